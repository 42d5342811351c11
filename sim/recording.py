"""Recordings: a run saved as one ``.npz`` file, readable with ``numpy.load`` alone.

Format ``dronesim-recording/1`` (arrays; ``N`` trajectory points, ``M`` orders):

====================  =========  =========================================================
``meta``              str        JSON: format, scenario, seed, duration_s, start_hour,
                                 state_names, order_status_names, reasons (failure texts),
                                 drone model, separation minima, depots (name, x_m, y_m, pads)
``traj_drone``        int32 N    drone of each point; points sorted by drone, then time
``traj_t``            float64 N  seconds
``traj_xyz``          float64 Nx3  metres, local frame (x east, y north, z up); linear
                                 interpolation between a drone's consecutive points is
                                 its exact position
``traj_battery_wh``   float64 N  battery energy at each point (linear between points)
``airspace_geojson``  str        buildings, zones (floor_m, ceiling_m, buffer_m, active
                                 windows), depots, base stations, hotspots, parks, as a
                                 GeoJSON FeatureCollection in the same local metric frame
                                 (``properties.frame = "local"``; ``origin_lonlat`` when the
                                 map came from geographic data)
``order_*``           M rows     created_s, deadline_s, pickup_xy, dropoff_xy, weight_kg,
                                 status (codes in meta), delivered_s (NaN), drone (-1),
                                 reason (index into meta reasons, -1)
``order_event_*``     events     t, order, kind (0 assigned, 1 picked up, 2 delivered,
                                 3 brought back undelivered, -1 failed), drone
``state_t/drone/code``           drone state changes (codes in meta state_names)
``separation_t/losses``          cumulative losses of separation over time
``end_heading_rad``   float64    each drone's heading at the end of the recording
``end_route_*``                  ``drone`` (int32) and ``xyz`` (float64, Kx3): the waypoints
                                 each drone still had planned when the recording ended
====================  =========  =========================================================

Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
from dronesim.maps.errors import InputError
from dronesim.sim.report import atomic_write_bytes
from dronesim.sim.snapshot import (
    REST_STATES,
    Snapshot,
    route_ahead,
    segment_heading,
    trail_points,
    zone_timing,
)

FORMAT = "dronesim-recording/1"
TRAIL_S = 60.0
REQUIRED = (
    "meta",
    "traj_drone",
    "traj_t",
    "traj_xyz",
    "traj_battery_wh",
    "airspace_geojson",
    "order_created_s",
    "order_deadline_s",
    "order_pickup_xy",
    "order_dropoff_xy",
    "order_weight_kg",
    "order_status",
    "order_delivered_s",
    "order_drone",
    "order_reason",
    "order_event_t",
    "order_event_order",
    "order_event_kind",
    "order_event_drone",
    "state_t",
    "state_drone",
    "state_code",
    "separation_t",
    "separation_losses",
)


class RecordingError(InputError):
    """A recording file is missing, corrupt or of another format (one line)."""


def write_recording(simulation, path: str | os.PathLike) -> None:
    """Save a simulation (finished or not) as a recording, atomically."""
    from dronesim.maps.geojson import city_to_geojson
    from dronesim.sim.engine import ORDER_STATUS_NAMES, STATE_NAMES

    s = simulation
    drone, t, xyz, wh = s.trajectory()
    created = s.created_count()
    log = np.array(s._order_log, dtype=np.float64).reshape(-1, 4)
    states = np.array(s._state_log, dtype=np.float64).reshape(-1, 3)
    order = np.lexsort((states[:, 1], states[:, 0]))
    states = states[order]
    meta = {
        "format": FORMAT,
        "scenario": s.scenario.name,
        "seed": s.seed,
        "duration_s": s.duration_s,
        "recorded_until_s": s.t,
        "start_hour": s.scenario.demand.start_hour,
        "state_names": list(STATE_NAMES),
        "order_status_names": list(ORDER_STATUS_NAMES),
        "reasons": list(s.reasons),
        "drone_model": s.model.to_dict(),
        "separation_m": [s.scenario.separation.horizontal_m, s.scenario.separation.vertical_m],
        "depots": [
            {"name": d.name, "x_m": d.x_m, "y_m": d.y_m, "pads": d.pads} for d in s.airspace.depots
        ],
        "drones": s.n_drones,
    }
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "traj_drone": drone.astype(np.int32),
        "traj_t": t.astype(np.float64),
        "traj_xyz": xyz.astype(np.float64),
        "traj_battery_wh": wh.astype(np.float64),
        "airspace_geojson": np.array(
            json.dumps(city_to_geojson(s.city, local=True), separators=(",", ":"))
        ),
        "order_created_s": s.orders.created_s[:created],
        "order_deadline_s": s.orders.deadline_s[:created],
        "order_pickup_xy": s.orders.pickup_xy[:created],
        "order_dropoff_xy": s.orders.dropoff_xy[:created],
        "order_weight_kg": s.orders.weight_kg[:created],
        "order_status": s.order_status[:created].astype(np.int8),
        "order_delivered_s": s.order_delivered_s[:created],
        "order_drone": s.order_drone[:created].astype(np.int32),
        "order_reason": s.order_reason[:created].astype(np.int16),
        "order_event_t": log[:, 0],
        "order_event_order": log[:, 1].astype(np.int32),
        "order_event_kind": log[:, 2].astype(np.int8),
        "order_event_drone": log[:, 3].astype(np.int32),
        "state_t": states[:, 0],
        "state_drone": states[:, 1].astype(np.int32),
        "state_code": states[:, 2].astype(np.int8),
        "end_heading_rad": s.snapshot().heading_rad,
        "end_route_drone": np.repeat(
            np.arange(s.n_drones, dtype=np.int32), np.maximum(s.plan_len - 1 - s.plan_pos, 0)
        ),
        "end_route_xyz": np.concatenate(
            [s.plan_xyz[d, s.plan_pos[d] + 1 : s.plan_len[d]] for d in range(s.n_drones)]
            + [np.empty((0, 3))]
        ),
        "separation_t": np.array([p[0] for p in s._separation_log], dtype=np.float64),
        "separation_losses": np.array([p[1] for p in s._separation_log], dtype=np.int64),
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(Path(path), buffer.getvalue())


class Recording:
    """A loaded recording; answers `snapshot` like a live `Simulation`."""

    def __init__(self, arrays: dict[str, np.ndarray], source: str = "<memory>") -> None:
        self.source = source
        self.meta = json.loads(str(arrays["meta"]))
        if self.meta.get("format") != FORMAT:
            raise RecordingError(
                f"{source}: meta.format: expected {FORMAT!r}, got {self.meta.get('format')!r}"
            )
        self.arrays = arrays
        self.n_drones = int(self.meta["drones"])
        self.state_names = tuple(self.meta["state_names"])
        self.traj_drone = arrays["traj_drone"]
        self.traj_t = arrays["traj_t"]
        self.traj_xyz = arrays["traj_xyz"]
        self.traj_wh = arrays["traj_battery_wh"]
        self._starts = np.searchsorted(self.traj_drone, np.arange(self.n_drones + 1))
        drops = np.zeros(len(self.traj_wh))
        if len(self.traj_wh) > 1:
            same = self.traj_drone[1:] == self.traj_drone[:-1]
            drops[1:] = np.where(same, np.maximum(self.traj_wh[:-1] - self.traj_wh[1:], 0.0), 0.0)
        self._energy_cum = np.cumsum(drops)
        state_order = np.lexsort((arrays["state_t"], arrays["state_drone"]))
        self._state_drone = arrays["state_drone"][state_order]
        self._state_t = arrays["state_t"][state_order]
        self._state_code = arrays["state_code"][state_order]
        self._state_starts = np.searchsorted(self._state_drone, np.arange(self.n_drones + 1))
        from dronesim.maps.geojson import city_from_geojson

        self.city = city_from_geojson(
            json.loads(str(arrays["airspace_geojson"])), f"{source}: airspace_geojson"
        )
        self.zones = self.city.zones
        self.depots_xy = np.array([[d["x_m"], d["y_m"]] for d in self.meta["depots"]])
        self.pads = np.array([d["pads"] for d in self.meta["depots"]], np.int64)
        self.battery_wh = float(self.meta["drone_model"]["battery_wh"])
        self._end_route = None
        if "end_route_drone" in arrays:
            owners = arrays["end_route_drone"]
            starts = np.searchsorted(owners, np.arange(self.n_drones + 1))
            self._end_route = [
                arrays["end_route_xyz"][starts[d] : starts[d + 1]] for d in range(self.n_drones)
            ]

    @classmethod
    def load(cls, path: str | os.PathLike) -> Recording:
        """Read a recording file.

        Raises
        ------
        RecordingError
            Missing file, not a zip/npz, missing arrays, another format.
        """
        path = Path(path)
        if not path.is_file():
            raise RecordingError(f"{path}: no such file")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [name for name in REQUIRED if name not in data.files]
                if missing:
                    raise RecordingError(
                        f"{path}: not a dronesim recording (missing {', '.join(missing[:3])})"
                    )
                arrays = {name: data[name] for name in data.files}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            if isinstance(error, RecordingError):
                raise
            raise RecordingError(f"{path}: corrupt recording ({error})") from None
        try:
            return cls(arrays, str(path))
        except (KeyError, ValueError, json.JSONDecodeError) as error:
            if isinstance(error, RecordingError):
                raise
            raise RecordingError(f"{path}: corrupt recording ({error})") from None

    @property
    def time_span(self) -> tuple[float, float]:
        """``(0, recorded_until_s)``: the recorded period, seconds."""
        return (0.0, float(self.meta["recorded_until_s"]))

    def check_time(self, t_s: float) -> float:
        start, end = self.time_span
        if not (start <= t_s <= end):
            raise RecordingError(
                f"{self.source}: time {t_s:g} s lies outside the recording [{start:g}, {end:g}] s"
            )
        return float(t_s)

    def snapshot(self, t_s: float) -> Snapshot:
        """The run at time ``t_s`` (seconds), rebuilt from the recorded arrays."""
        t = self.check_time(t_s)
        n = self.n_drones
        position = np.zeros((n, 3))
        heading = np.zeros(n)
        battery = np.zeros(n)
        routes = []
        trails = []
        energy = 0.0
        a_end_heading = self.arrays.get("end_heading_rad")
        ahead_from = []
        for d in range(n):
            lo, hi = self._starts[d], self._starts[d + 1]
            times = self.traj_t[lo:hi]
            k = int(np.searchsorted(times, t, side="right")) - 1
            k = max(k, 0)
            i = lo + k
            if k + 1 < hi - lo:
                t0, t1 = times[k], times[k + 1]
                f = 0.0 if t1 <= t0 else (t - t0) / (t1 - t0)
                position[d] = self.traj_xyz[i] + f * (self.traj_xyz[i + 1] - self.traj_xyz[i])
                battery[d] = self.traj_wh[i] + f * (self.traj_wh[i + 1] - self.traj_wh[i])
                energy += self._energy_cum[i] + f * (self._energy_cum[i + 1] - self._energy_cum[i])
            else:
                position[d] = self.traj_xyz[i]
                battery[d] = self.traj_wh[i]
                energy += self._energy_cum[i]
            energy -= self._energy_cum[lo]
            if k + 1 < hi - lo:
                heading[d] = segment_heading(self.traj_xyz[i], self.traj_xyz[i + 1])
            else:  # the end of the recording: the segment then being flown is not in it
                heading[d] = a_end_heading[d] if a_end_heading is not None else 0.0
            ahead_from.append(i + 1)
            trails.append(trail_points(times, self.traj_xyz[lo:hi], t, position[d], TRAIL_S))
        state = np.zeros(n, np.int64)
        for d in range(n):
            lo, hi = self._state_starts[d], self._state_starts[d + 1]
            k = int(np.searchsorted(self._state_t[lo:hi], t, side="right")) - 1
            state[d] = self._state_code[lo + k] if k >= 0 else 0
            resting = position[d, 2] <= 0.0 and self.state_names[state[d]] in REST_STATES
            ahead = self.traj_xyz[ahead_from[d] : self._starts[d + 1]]
            if (
                self._end_route is not None
            ):  # what the drone still had planned when the recording ended
                ahead = np.concatenate([ahead, self._end_route[d]])
            routes.append(route_ahead(position[d], ahead, resting))
        a = self.arrays
        events_t = a["order_event_t"]
        done = events_t <= t
        kinds = a["order_event_kind"][done]
        orders = a["order_event_order"][done]
        drones = a["order_event_drone"][done]
        created = a["order_created_s"] <= t
        delivered_at = a["order_delivered_s"]
        delivered = created & (delivered_at <= t)
        failed = np.zeros(len(created), bool)
        failed[orders[kinds == -1]] = True
        carried = np.zeros(len(created), bool)
        carried[orders[kinds == 1]] = True
        carried[orders[kinds == 3]] = False  # brought back undelivered
        carried &= ~delivered
        payload = np.zeros(n)
        for order in np.flatnonzero(carried):
            last = drones[orders == order]
            if len(last):
                payload[last[-1]] += a["order_weight_kg"][order]
        open_orders = created & ~delivered & ~failed
        assigned_to = np.full(len(created), -1, np.int64)
        assigned_to[orders[kinds == 0]] = drones[kinds == 0]
        late = delivered & (delivered_at > a["order_deadline_s"])
        active, upcoming, countdown = zone_timing(self.zones, t)
        in_use, queue = _pad_use(position, state, self.depots_xy, self.state_names)
        losses_t = a["separation_t"]
        k = int(np.searchsorted(losses_t, t, side="right")) - 1
        return Snapshot(
            t_s=t,
            clock_s=(self.meta["start_hour"] * 3600.0 + t) % 86400.0,
            position_m=position,
            heading_rad=heading,
            state=state,
            battery_fraction=np.clip(battery / self.battery_wh, 0.0, 1.0),
            payload_kg=payload,
            route_m=tuple(routes),
            trail_m=tuple(trails),
            active_zones=active,
            upcoming_zones=upcoming,
            zone_countdown_s=countdown,
            order_pickup_m=a["order_pickup_xy"][open_orders],
            order_dropoff_m=a["order_dropoff_xy"][open_orders],
            order_created_s=a["order_created_s"][open_orders],
            order_deadline_s=a["order_deadline_s"][open_orders],
            order_carried=carried[open_orders],
            order_drone=assigned_to[open_orders],
            depot_pads=self.pads,
            depot_in_use=in_use,
            depot_queue=queue,
            delivered=int(delivered.sum()),
            late=int(late.sum()),
            failed=int(failed.sum()),
            pending=int(open_orders.sum()),
            energy_used_wh=float(energy),
            separation_losses=int(a["separation_losses"][k]) if k >= 0 else 0,
            state_names=self.state_names,
        )


def _pad_use(position, state, depots_xy, state_names) -> tuple[np.ndarray, np.ndarray]:
    charging = state_names.index("charging")
    waiting = state_names.index("waiting for pad")
    k = len(depots_xy)
    in_use = np.zeros(k, np.int64)
    queue = np.zeros(k, np.int64)
    for d in np.flatnonzero((state == charging) | (state == waiting)):
        depot = int(
            np.argmin(np.hypot(depots_xy[:, 0] - position[d, 0], depots_xy[:, 1] - position[d, 1]))
        )
        if state[d] == charging:
            in_use[depot] += 1
        else:
            queue[depot] += 1
    return in_use, queue
