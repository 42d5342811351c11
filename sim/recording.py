"""Recordings: a run saved as one ``.npz`` file, readable with ``numpy.load`` alone.

Format ``dronesim-recording/2`` (arrays; ``N`` trajectory points, ``M`` orders); codes are
those of `sim.vocabulary` and are named in ``meta``:

====================  =========  =========================================================
``meta``              str        JSON object: format, scenario, seed, duration_s,
                                 recorded_until_s, start_hour, state_names,
                                 order_status_names, event_names (code as a string ->
                                 name), reasons (failure texts), drone_model,
                                 separation_m (minima), depots (name, x_m, y_m, pads, pads_xy_m),
                                 drones (fleet size); optional: drone_types (one model
                                 object per aircraft type, ``drone_model`` the first) and
                                 drone_type (each drone's index into drone_types);
                                 where on the Earth and when (optional, for geographic
                                 exports such as `sim.intents`; recordings written before
                                 lack them): start_utc (RFC 3339 UTC time of t = 0),
                                 origin_lonlat ([lon, lat] degrees of the local frame's
                                 (0, 0), or null when the map has no geographic anchor),
                                 ground_elevation_m (ground above mean sea level, metres)
``traj_drone``        int32 N    drone of each point, 0 .. drones-1; points sorted by drone,
                                 then time; every drone has at least one point
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
``order_event_*``     events     t, order, kind (5 assigned, 1 picked up, 2 delivered,
                                 4 brought back undelivered, -1 failed), drone (-1 for
                                 a failure before any drone took the order)
``state_t/drone/code``           drone state changes (codes in meta state_names)
``separation_t/losses``          cumulative losses of separation over time (sorted)
``end_heading_rad``   float64    each drone's heading at the end of the recording
``end_route_*``                  ``drone`` (int32, sorted) and ``xyz`` (float64, Kx3): the
                                 waypoints each drone still had planned when the recording
                                 ended (both optional, together)
``loss_*``            L rows     losses of separation, one row per encounter (a pair
                                 continuously in loss), sorted by ``start_s``: ``start_s``,
                                 ``end_s`` (float64, 0 <= start < end <= recorded_until_s),
                                 ``drone`` (int32 Lx2, a < b), ``closest_m`` (float64 Lx2,
                                 least horizontal and vertical distance, >= 0), ``xyz``
                                 (float64 Lx3, midpoint at the closest approach), ``phase``
                                 (int8: 0 cruise, 1 vertical, 2 mixed, names in
                                 ``meta.loss_phases``); optional, all together (recordings
                                 written before they existed have none)
====================  =========  =========================================================

Reading checks all of it (`validate_recording`) before indexing anything: dtype kinds
(integers may be any width, floats any precision), shapes, shared lengths, finite floats
(``order_delivered_s`` may be NaN), coordinates within ``MAX_COORDINATE_M`` of the origin,
ids and codes within range, the orders above; any violation is one `RecordingError` line
naming the file, the field and the value. Version 1 (until the event codes were made
distinct: 0 assigned, 3 brought back) is refused with a one-line error naming
``meta.format``.

Writes are atomic (temporary file, then rename); the file gets the mode a plain write
would (the umask's for a new file).
"""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
from dronesim.maps.errors import InputError
from dronesim.sim.report import atomic_write_bytes
from dronesim.sim.runlog import LOSS_PHASES, LossLog
from dronesim.sim.snapshot import (
    Snapshot,
    active_loss_pairs,
    route_ahead,
    segment_heading,
    trail_points,
    zone_timing,
)
from dronesim.sim.vocabulary import (
    CHARGING,
    EV_ASSIGNED,
    EV_FAILED,
    EV_PICKED,
    EV_RETURNED,
    EVENT_NAMES,
    IDLE,
    ORDER_LOG_KINDS,
    ORDER_STATUS_NAMES,
    REST_STATE_NAMES,
    STATE_NAMES,
    WAITING_PAD,
)

# Version 2: every event code distinct (version 1 shared 3 between "landed" and
# "returned", and 0 between "no event" and "assigned"); version-1 files are refused.
FORMAT = "dronesim-recording/2"
TRAIL_S = 60.0
# The arrays of the format: name -> (dtype kinds, shape after the first axis, the length
# they share). Lengths: "traj" N points, "order" M orders, "order_event", "state",
# "separation" and "end_route" their own row counts, "drones" the fleet size in meta.
ARRAYS: dict[str, tuple[str, tuple[int, ...], str]] = {
    "traj_drone": ("iu", (), "traj"),
    "traj_t": ("f", (), "traj"),
    "traj_xyz": ("f", (3,), "traj"),
    "traj_battery_wh": ("f", (), "traj"),
    "order_created_s": ("f", (), "order"),
    "order_deadline_s": ("f", (), "order"),
    "order_pickup_xy": ("f", (2,), "order"),
    "order_dropoff_xy": ("f", (2,), "order"),
    "order_weight_kg": ("f", (), "order"),
    "order_status": ("iu", (), "order"),
    "order_delivered_s": ("f", (), "order"),
    "order_drone": ("iu", (), "order"),
    "order_reason": ("iu", (), "order"),
    "order_event_t": ("f", (), "order_event"),
    "order_event_order": ("iu", (), "order_event"),
    "order_event_kind": ("iu", (), "order_event"),
    "order_event_drone": ("iu", (), "order_event"),
    "state_t": ("f", (), "state"),
    "state_drone": ("iu", (), "state"),
    "state_code": ("iu", (), "state"),
    "separation_t": ("f", (), "separation"),
    "separation_losses": ("iu", (), "separation"),
}
# Written since the end-of-recording headings and routes were added; older files lack them.
OPTIONAL_ARRAYS: dict[str, tuple[str, tuple[int, ...], str]] = {
    "end_heading_rad": ("f", (), "drones"),
    "end_route_drone": ("iu", (), "end_route"),
    "end_route_xyz": ("f", (3,), "end_route"),
    "loss_start_s": ("f", (), "loss"),
    "loss_end_s": ("f", (), "loss"),
    "loss_drone": ("iu", (2,), "loss"),
    "loss_closest_m": ("f", (2,), "loss"),
    "loss_xyz": ("f", (3,), "loss"),
    "loss_phase": ("iu", (), "loss"),
}
LOSS_ARRAYS = tuple(name for name in OPTIONAL_ARRAYS if name.startswith("loss_"))
REQUIRED = ("meta", *ARRAYS, "airspace_geojson")
GROUP_ROWS = {
    "traj": "trajectory point (traj_*)",
    "order": "order (order_*)",
    "order_event": "order event (order_event_*)",
    "state": "state change (state_*)",
    "separation": "separation sample (separation_*)",
    "end_route": "end-route waypoint (end_route_*)",
    "loss": "loss of separation (loss_*)",
    "drones": "drone",
}
# Farther from the frame's origin than any city reaches (10,000 km): a coordinate beyond
# is corruption, not a place.
MAX_COORDINATE_M = 1e7
# Pads per depot: far above any airfield, low enough that the viewer can draw each pad.
MAX_PADS = 100_000
# State names the viewer looks up by name (pads in use and queues at depots).
NEEDED_STATE_NAMES = (STATE_NAMES[CHARGING], STATE_NAMES[WAITING_PAD])


class RecordingError(InputError):
    """A recording file is missing, corrupt or of another format (one line)."""


def write_recording(simulation, path: str | os.PathLike) -> None:
    """Save a simulation (finished or not) as a recording, atomically.

    Parameters
    ----------
    simulation : sim.engine.Simulation
        Read through its public attributes and its run log (``simulation.log``).
    path : str or os.PathLike
        The ``.npz`` file to write.
    """
    from dronesim.maps.geojson import city_to_geojson

    s = simulation
    drone, t, xyz, wh = s.trajectory()
    created = s.created_count()
    event_t, event_order, event_kind, event_drone = s.log.order_events()
    state_t, state_drone, state_code = s.log.state_changes()
    separation_t, separation_losses = s.log.separation_series()
    route_drone, route_xyz = s.remaining_waypoints()
    losses = s.separation_log()
    meta = {
        "format": FORMAT,
        "scenario": s.scenario.name,
        "seed": s.seed,
        "duration_s": s.duration_s,
        "recorded_until_s": s.t,
        "start_hour": s.scenario.demand.start_hour,
        "state_names": list(STATE_NAMES),
        "order_status_names": list(ORDER_STATUS_NAMES),
        "event_names": {str(code): name for code, name in EVENT_NAMES.items()},
        "reasons": list(s.reasons),
        "drone_model": s.model.to_dict(),
        "separation_m": [s.scenario.separation.horizontal_m, s.scenario.separation.vertical_m],
        "depots": [
            {
                "name": d.name,
                "x_m": d.x_m,
                "y_m": d.y_m,
                "pads": d.pads,
                "pads_xy_m": np.asarray(pads, dtype=float).tolist(),
            }
            for d, pads in zip(s.airspace.depots, s.pads_xy)
        ],
        "drones": s.n_drones,
        "drone_types": [model.to_dict() for model in s.models],
        "drone_type": np.asarray(s.drone_type).tolist(),
        "loss_phases": list(LOSS_PHASES),
        # Where and when the run happened (for geographic exports, `sim.intents`).
        "start_utc": s.scenario.start_utc.isoformat().replace("+00:00", "Z"),
        "origin_lonlat": None if s.city.origin_lonlat is None else list(s.city.origin_lonlat),
        # Over an elevation grid, the lowest and the highest ground under the map: exports
        # widen each altitude band from one to the other.
        **_ground_span(s.scenario.map),
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
        "order_event_t": event_t,
        "order_event_order": event_order.astype(np.int32),
        "order_event_kind": event_kind.astype(np.int8),
        "order_event_drone": event_drone.astype(np.int32),
        "state_t": state_t,
        "state_drone": state_drone.astype(np.int32),
        "state_code": state_code.astype(np.int8),
        "end_heading_rad": s.snapshot().heading_rad,
        "end_route_drone": route_drone,
        "end_route_xyz": route_xyz,
        "separation_t": separation_t,
        "separation_losses": separation_losses,
        "loss_start_s": losses.start_s,
        "loss_end_s": losses.end_s,
        "loss_drone": losses.drone.astype(np.int32),
        "loss_closest_m": losses.closest_m,
        "loss_xyz": losses.xyz_m,
        "loss_phase": losses.phase.astype(np.int8),
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(Path(path), buffer.getvalue())


class Recording:
    """A loaded recording; answers `snapshot` like a live `Simulation`."""

    def __init__(
        self, arrays: dict[str, np.ndarray], source: str = "<memory>", read_map: bool = True
    ) -> None:
        """Check ``arrays`` against the format (see the module docstring) and index them.

        ``read_map=False`` skips building the map (``city`` is then None and ``zones``
        empty): for exports that use only the trajectories, as reading a city-day map
        takes seconds. The map's ``origin_lonlat`` is still read when ``meta`` lacks it.

        Raises
        ------
        RecordingError
            One line naming ``source``, the field and the value when an array is missing,
            of the wrong dtype or shape, or holds values the format does not allow.
        """
        self.source = source
        self.meta = validate_recording(arrays, source)
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
        self.city = _read_airspace(arrays["airspace_geojson"], source) if read_map else None
        self.zones = self.city.zones if read_map else ()
        # Where and when (None where the recording does not say: written before these
        # fields, or a map without a geographic anchor).
        self.start_utc: datetime.datetime | None = None
        if "start_utc" in self.meta:
            self.start_utc = datetime.datetime.fromisoformat(self.meta["start_utc"])
        origin = self.meta.get("origin_lonlat")
        if origin is None and "origin_lonlat" not in self.meta:  # written before the field
            origin = (
                self.city.origin_lonlat
                if read_map
                else _map_origin(arrays["airspace_geojson"], source)
            )
        self.origin_lonlat: tuple[float, float] | None = (
            None if origin is None else (float(origin[0]), float(origin[1]))
        )
        self.ground_elevation_m: float | None = self.meta.get("ground_elevation_m")
        self.ground_elevation_max_m: float | None = self.meta.get(
            "ground_elevation_max_m", self.ground_elevation_m
        )
        self.depots_xy = np.array([[d["x_m"], d["y_m"]] for d in self.meta["depots"]])
        self.pads = np.array([d["pads"] for d in self.meta["depots"]], np.int64)
        self.pads_xy = tuple(
            np.array(d.get("pads_xy_m", []), dtype=np.float64).reshape(-1, 2)
            for d in self.meta["depots"]
        )
        self.battery_wh = float(self.meta["drone_model"]["battery_wh"])
        # Each drone's battery capacity, Wh (its aircraft type's, in a mixed fleet).
        self.capacity_wh = np.full(self.n_drones, self.battery_wh)
        if "drone_type" in self.meta:
            capacities = np.array([m["battery_wh"] for m in self.meta["drone_types"]], float)
            self.capacity_wh = capacities[np.asarray(self.meta["drone_type"], np.int64)]
        self._end_route = None
        if "end_route_drone" in arrays:
            owners = arrays["end_route_drone"]
            starts = np.searchsorted(owners, np.arange(self.n_drones + 1))
            self._end_route = [
                arrays["end_route_xyz"][starts[d] : starts[d + 1]] for d in range(self.n_drones)
            ]
        self.losses = _empty_losses()
        if "loss_start_s" in arrays:
            self.losses = LossLog(
                start_s=arrays["loss_start_s"].astype(np.float64),
                end_s=arrays["loss_end_s"].astype(np.float64),
                drone=arrays["loss_drone"].astype(np.int64),
                closest_m=arrays["loss_closest_m"].astype(np.float64),
                xyz_m=arrays["loss_xyz"].astype(np.float64),
                phase=arrays["loss_phase"].astype(np.int64),
            )

    def next_loss_s(self, t_s: float) -> float | None:
        """Start of the first loss of separation that begins after ``t_s`` (seconds), or
        None."""
        later = np.flatnonzero(self.losses.start_s > t_s)
        return float(self.losses.start_s[later[0]]) if len(later) else None

    @classmethod
    def load(cls, path: str | os.PathLike, read_map: bool = True) -> Recording:
        """Read and check a recording file (``read_map``: see `Recording`).

        Raises
        ------
        RecordingError
            Missing file, not a zip/npz, or any violation of the format (missing arrays,
            dtypes, shapes, lengths, ranges, order, meta): one line naming the file, the
            field and the value.
        """
        path = Path(path)
        if path.is_dir():
            raise RecordingError(f"{path}: is a directory, not a recording")
        if not path.is_file():
            raise RecordingError(f"{path}: no such file")
        try:
            with path.open("rb") as stream:
                magic = stream.read(6)
            if magic.startswith(b"\x93NUMPY"):
                raise RecordingError(f"{path}: not a dronesim recording (a single .npy array)")
            if not magic.startswith(b"PK"):  # numpy would try it as a pickle
                raise RecordingError(f"{path}: corrupt recording (not an .npz/zip file)")
            known = (*REQUIRED, *OPTIONAL_ARRAYS)
            _check_member_sizes(path, known)
            data = np.load(path, allow_pickle=False)
            with data:
                missing = [name for name in REQUIRED if name not in data.files]
                if missing:
                    raise RecordingError(
                        f"{path}: not a dronesim recording (missing {', '.join(missing[:3])})"
                    )
                # Only the format's arrays: an extra member is never decompressed.
                arrays = {name: data[name] for name in data.files if name in known}
        except RecordingError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
        ) as error:
            raise RecordingError(f"{path}: corrupt recording ({_one_line(error)})") from None
        return cls(arrays, str(path), read_map)

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
            state[d] = self._state_code[lo + k] if k >= 0 else IDLE
            resting = position[d, 2] <= 0.0 and self.state_names[state[d]] in REST_STATE_NAMES
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
        failed[orders[kinds == EV_FAILED]] = True
        carried = np.zeros(len(created), bool)
        carried[orders[kinds == EV_PICKED]] = True
        carried[orders[kinds == EV_RETURNED]] = False  # brought back undelivered
        carried &= ~delivered
        payload = np.zeros(n)
        for order in np.flatnonzero(carried):
            last = drones[orders == order]
            if len(last):
                payload[last[-1]] += a["order_weight_kg"][order]
        open_orders = created & ~delivered & ~failed
        assigned_to = np.full(len(created), -1, np.int64)
        assigned_to[orders[kinds == EV_ASSIGNED]] = drones[kinds == EV_ASSIGNED]
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
            battery_fraction=np.clip(battery / self.capacity_wh, 0.0, 1.0),
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
            depot_pad_xy_m=self.pads_xy,
            depot_in_use=in_use,
            depot_queue=queue,
            delivered=int(delivered.sum()),
            late=int(late.sum()),
            failed=int(failed.sum()),
            pending=int(open_orders.sum()),
            energy_used_wh=float(energy),
            separation_losses=int(a["separation_losses"][k]) if k >= 0 else 0,
            state_names=self.state_names,
            loss_pairs=active_loss_pairs(self.losses, t),
        )


# ----------------------------------------------------------------------------- checks


def _check_member_sizes(path: Path, names) -> None:
    """Refuse a member whose ``.npy`` header declares more bytes than the member holds.

    numpy allocates the declared shape before reading a zip member, so a damaged or
    hostile header (shape ``(10**12,)`` over a few bytes) would otherwise end in a
    terabyte allocation; the zip's own record of each member's size is checked against it.
    """
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name not in names:
                continue
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                else:  # numpy reads (and checks) other versions itself
                    continue
            declared = math.prod(shape) * dtype.itemsize
            if declared > info.file_size:
                raise RecordingError(
                    f"{path}: {name}: corrupt recording (the header declares shape "
                    f"{tuple(shape)} of {dtype}, {declared:,} bytes, in a member of "
                    f"{info.file_size:,} bytes)"
                )


def validate_recording(arrays: dict[str, np.ndarray], source: str = "<memory>") -> dict:
    """Check a recording's arrays against the format; returns the parsed ``meta``.

    Checked, in this order so that no check indexes or allocates from unchecked data:
    ``meta`` (a JSON object of this format with the keys the reader needs), every array
    present with its dtype kind and shape, the lengths each group shares, then values:
    finite times, positions, energies and coordinates; drone ids within the fleet; state,
    order-status, reason and event codes within the names ``meta`` carries; trajectory
    points sorted by drone (each drone has at least one) and by time within a drone;
    ``separation_t`` and ``end_route_drone`` sorted. ``airspace_geojson`` is checked when
    the map is built (`Recording`).

    Parameters
    ----------
    arrays
        Array name -> array, as ``numpy.load`` gives them.
    source
        The file name used in error messages.

    Raises
    ------
    RecordingError
        One line: ``<source>: <field>: <what is wrong> (<value>)``.
    """
    missing = [name for name in REQUIRED if name not in arrays]
    if missing:
        raise RecordingError(
            f"{source}: not a dronesim recording (missing {', '.join(missing[:3])})"
        )
    meta = _check_meta(arrays["meta"], source)
    n_drones = meta["drones"]
    present = {**ARRAYS, **{k: v for k, v in OPTIONAL_ARRAYS.items() if k in arrays}}
    if ("end_route_drone" in present) != ("end_route_xyz" in present):
        name = "end_route_xyz" if "end_route_drone" in present else "end_route_drone"
        raise RecordingError(
            f"{source}: {name}: missing (end_route_drone and end_route_xyz go together)"
        )
    if any(name in present for name in LOSS_ARRAYS):
        for name in LOSS_ARRAYS:
            if name not in present:
                raise RecordingError(
                    f"{source}: {name}: missing (the loss_* arrays go together: "
                    f"{', '.join(LOSS_ARRAYS)})"
                )
    lengths: dict[str, tuple[str, int]] = {"drones": ("meta.drones", n_drones)}
    for name, (kinds, tail, group) in present.items():
        array = arrays[name]
        if not isinstance(array, np.ndarray) or array.dtype.kind not in kinds:
            wanted = {"iu": "integers", "f": "floats"}[kinds]
            found = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
            raise RecordingError(f"{source}: {name}: expected {wanted}, got dtype {found}")
        if array.ndim != 1 + len(tail) or array.shape[1:] != tail:
            wanted = f"(rows, {', '.join(map(str, tail))})" if tail else "(rows,)"
            raise RecordingError(
                f"{source}: {name}: expected shape {wanted}, got {tuple(array.shape)}"
            )
        first, count = lengths.setdefault(group, (name, len(array)))
        if len(array) != count:
            raise RecordingError(
                f"{source}: {name}: {len(array)} rows, but {first} has {count} "
                f"(one row per {GROUP_ROWS[group]})"
            )
    for name in present:  # NaN in order_delivered_s: not delivered
        _check_finite(arrays[name], name, source, allow_nan=name == "order_delivered_s")
    for name in ("traj_xyz", "order_pickup_xy", "order_dropoff_xy", "end_route_xyz", "loss_xyz"):
        if name in present:
            _check_extent(arrays[name], name, source)

    drone = arrays["traj_drone"]
    _check_range(drone, "traj_drone", 0, n_drones, source, "drone id")
    _check_sorted(drone, "traj_drone", source, "by drone")
    if len(drone) < n_drones:
        raise RecordingError(
            f"{source}: traj_drone: {len(drone)} trajectory points for {n_drones} drones "
            "(meta.drones; each drone needs at least one)"
        )
    points = np.bincount(drone.astype(np.int64), minlength=n_drones)
    if not points.all():
        raise RecordingError(
            f"{source}: traj_drone: drone {int(np.argmin(points))} has no trajectory point "
            f"(each of the {n_drones} drones needs at least one)"
        )
    same = drone[1:] == drone[:-1]
    back = np.flatnonzero(same & (np.diff(arrays["traj_t"]) < 0))
    if len(back):
        i = int(back[0])
        t = arrays["traj_t"]
        raise RecordingError(
            f"{source}: traj_t: not sorted by time within drone {int(drone[i])}: "
            f"{t[i + 1].item()!r} s at row {i + 1} after {t[i].item()!r} s"
        )

    n_orders = len(arrays["order_created_s"])
    _check_range(
        arrays["order_status"],
        "order_status",
        0,
        len(meta["order_status_names"]),
        source,
        "status code",
    )
    _check_range(arrays["order_drone"], "order_drone", -1, n_drones, source, "drone id")
    _check_range(
        arrays["order_reason"],
        "order_reason",
        -1,
        len(meta["reasons"]),
        source,
        "reason index",
    )
    _check_at_least(arrays["order_weight_kg"], "order_weight_kg", 0.0, source)
    kind = arrays["order_event_kind"]
    unknown = np.flatnonzero(~np.isin(kind, ORDER_LOG_KINDS))
    if len(unknown):
        i = int(unknown[0])
        raise RecordingError(
            f"{source}: order_event_kind: {int(kind[i])} at row {i} is not an event kind "
            f"(known: {', '.join(map(str, ORDER_LOG_KINDS))})"
        )
    _check_range(
        arrays["order_event_order"], "order_event_order", 0, n_orders, source, "order index"
    )
    event_drone = arrays["order_event_drone"]
    _check_range(event_drone, "order_event_drone", -1, n_drones, source, "drone id")
    unowned = np.flatnonzero((event_drone < 0) & (kind != -1))
    if len(unowned):
        i = int(unowned[0])
        raise RecordingError(
            f"{source}: order_event_drone: -1 at row {i}, but only a failure (kind -1) "
            f"may have no drone (kind {int(kind[i])})"
        )
    _check_range(arrays["state_drone"], "state_drone", 0, n_drones, source, "drone id")
    states = meta["state_names"]
    _check_range(
        arrays["state_code"],
        "state_code",
        0,
        len(states),
        source,
        "state code",
        f": {states[0]} .. {states[-1]} in meta.state_names",
    )
    _check_sorted(arrays["separation_t"], "separation_t", source, "by time")
    _check_at_least(arrays["separation_losses"], "separation_losses", 0, source)
    if "end_route_drone" in present:
        _check_range(arrays["end_route_drone"], "end_route_drone", 0, n_drones, source, "drone id")
        _check_sorted(arrays["end_route_drone"], "end_route_drone", source, "by drone")
    if "loss_start_s" in present:
        _check_losses(arrays, n_drones, float(meta["recorded_until_s"]), source)
    if "drone_type" in meta and len(meta["drone_type"]) != n_drones:
        raise RecordingError(
            f"{source}: meta.drone_type: expected one type per drone ({n_drones}), "
            f"got {len(meta['drone_type'])}"
        )
    return meta


def _check_losses(arrays, n_drones: int, until_s: float, source: str) -> None:
    """The ``loss_*`` arrays (shapes and finiteness already checked): drones, order of
    the pair, times within the recording, distances, phases, rows sorted by start."""
    drone = arrays["loss_drone"]
    for column in range(2):
        _check_range(drone[:, column], "loss_drone", 0, n_drones, source, "drone id")
    same = np.flatnonzero(drone[:, 0] >= drone[:, 1])
    if len(same):
        i = int(same[0])
        raise RecordingError(
            f"{source}: loss_drone: {drone[i].tolist()} at row {i}; a pair of two drones, "
            "lower index first"
        )
    start, end = arrays["loss_start_s"], arrays["loss_end_s"]
    _check_at_least(start, "loss_start_s", 0.0, source)
    backwards = np.flatnonzero(end <= start)
    if len(backwards):
        i = int(backwards[0])
        raise RecordingError(
            f"{source}: loss_end_s: {end[i].item()!r} at row {i} is not after its start "
            f"({start[i].item()!r} s)"
        )
    late = np.flatnonzero(end > until_s + 1e-6)
    if len(late):
        i = int(late[0])
        raise RecordingError(
            f"{source}: loss_end_s: {end[i].item()!r} at row {i} is after the recording's "
            f"end (meta.recorded_until_s {until_s!r})"
        )
    _check_sorted(start, "loss_start_s", source, "by start time")
    for column in range(2):
        _check_at_least(arrays["loss_closest_m"][:, column], "loss_closest_m", 0.0, source)
    _check_range(
        arrays["loss_phase"],
        "loss_phase",
        0,
        len(LOSS_PHASES),
        source,
        "phase code",
        f": {', '.join(LOSS_PHASES)}",
    )


def _empty_losses() -> LossLog:
    return LossLog(
        start_s=np.empty(0),
        end_s=np.empty(0),
        drone=np.empty((0, 2), np.int64),
        closest_m=np.empty((0, 2)),
        xyz_m=np.empty((0, 3)),
        phase=np.empty(0, np.int64),
    )


def _check_meta(value: np.ndarray, source: str) -> dict:
    """``meta``: a JSON object of this format with the keys and types the reader needs."""
    if not isinstance(value, np.ndarray) or value.shape != () or value.dtype.kind != "U":
        found = (
            f"dtype {value.dtype}, shape {value.shape}"
            if isinstance(value, np.ndarray)
            else type(value).__name__
        )
        raise RecordingError(f"{source}: meta: expected one JSON string, got {found}")
    meta = _parse_json(value, "meta", source)
    if not isinstance(meta, dict):
        raise RecordingError(
            f"{source}: meta: expected a JSON object, got {type(meta).__name__} {_show(meta)}"
        )
    if meta.get("format") != FORMAT:
        raise RecordingError(
            f"{source}: meta.format: expected {FORMAT!r}, got {_show(meta.get('format'))}"
        )

    def need(key: str, what: str, ok) -> None:
        if key not in meta:
            raise RecordingError(f"{source}: meta.{key}: missing ({what})")
        if not ok(meta[key]):
            raise RecordingError(f"{source}: meta.{key}: expected {what}, got {_show(meta[key])}")

    def names(item) -> bool:
        return isinstance(item, list) and all(isinstance(name, str) for name in item)

    need("drones", "a whole number of drones >= 1", lambda v: _is_int(v) and v >= 1)
    need("recorded_until_s", "a finite time >= 0 in seconds", lambda v: _is_real(v) and v >= 0)
    need("start_hour", "a finite hour of day", _is_real)
    need("scenario", "the scenario's name (a string)", lambda v: isinstance(v, str))
    need("state_names", "a list of state names", lambda v: names(v) and len(v) >= 1)
    for name in NEEDED_STATE_NAMES:
        if name not in meta["state_names"]:
            raise RecordingError(
                f"{source}: meta.state_names: no {name!r} state in {_show(meta['state_names'])}"
            )
    need("order_status_names", "a list of order status names", names)
    need("reasons", "a list of failure reasons (strings)", names)
    need("drone_model", "an object with the drone model", lambda v: isinstance(v, dict))
    battery = meta["drone_model"].get("battery_wh")
    if not (_is_real(battery) and battery > 0):
        raise RecordingError(
            f"{source}: meta.drone_model.battery_wh: expected a capacity > 0 in Wh, "
            f"got {_show(battery)}"
        )
    if "drone_type" in meta or "drone_types" in meta:
        need(
            "drone_types",
            "a list of drone models with battery_wh > 0",
            lambda v: (
                isinstance(v, list)
                and len(v) >= 1
                and all(
                    isinstance(m, dict) and _is_real(m.get("battery_wh")) and m["battery_wh"] > 0
                    for m in v
                )
            ),
        )
        need(
            "drone_type",
            "a list of type indices into meta.drone_types",
            lambda v: (
                isinstance(v, list)
                and all(
                    isinstance(k, int)
                    and not isinstance(k, bool)
                    and 0 <= k < len(meta["drone_types"])
                    for k in v
                )
            ),
        )
    # Optional (recordings before them lack them): where on the Earth and when.
    if "start_utc" in meta:
        need("start_utc", "an RFC 3339 UTC time like 2026-06-01T12:00:00Z", _is_utc_time)
    if meta.get("origin_lonlat") is not None:
        need(
            "origin_lonlat",
            "[lon, lat] in degrees (lon in [-180, 180], lat in [-89.9, 89.9]) or null",
            _is_lonlat,
        )
    for key in ("ground_elevation_m", "ground_elevation_max_m"):
        if key in meta:
            need(
                key,
                "a ground elevation in metres above mean sea level (-500 .. 9000)",
                lambda v: _is_real(v) and -500.0 <= v <= 9000.0,
            )
    if "ground_elevation_max_m" in meta and not (
        meta["ground_elevation_max_m"] >= meta.get("ground_elevation_m", -math.inf)
    ):
        need("ground_elevation_max_m", "at least ground_elevation_m", lambda v: False)
    need("depots", "a non-empty list of depots", lambda v: isinstance(v, list) and len(v) >= 1)
    for index, depot in enumerate(meta["depots"]):
        field = f"meta.depots[{index}]"
        if not isinstance(depot, dict):
            raise RecordingError(f"{source}: {field}: expected an object, got {_show(depot)}")
        for key, what, ok in (
            ("x_m", "a coordinate in metres", _is_coordinate),
            ("y_m", "a coordinate in metres", _is_coordinate),
            (
                "pads",
                f"a whole number of pads in 0..{MAX_PADS}",
                lambda v: _is_int(v) and 0 <= v <= MAX_PADS,
            ),
        ):
            if not ok(depot.get(key)):
                raise RecordingError(
                    f"{source}: {field}.{key}: expected {what}, got {_show(depot.get(key))}"
                )
        # Pad positions (optional: recordings before vertiports have none).
        pads_xy = depot.get("pads_xy_m", [])
        if not (
            isinstance(pads_xy, list)
            and len(pads_xy) in (0, depot["pads"])
            and all(
                isinstance(p, list) and len(p) == 2 and all(_is_coordinate(v) for v in p)
                for p in pads_xy
            )
        ):
            raise RecordingError(
                f"{source}: {field}.pads_xy_m: expected {depot['pads']} [x, y] pairs in "
                f"metres, got {_show(pads_xy)}"
            )
    return meta


def _read_airspace(value: np.ndarray, source: str):
    """The `City` stored in ``airspace_geojson`` (a JSON string); RecordingError otherwise."""
    from dronesim.maps.errors import MapFormatError
    from dronesim.maps.geojson import city_from_geojson

    if not isinstance(value, np.ndarray) or value.shape != () or value.dtype.kind != "U":
        found = (
            f"dtype {value.dtype}, shape {value.shape}"
            if isinstance(value, np.ndarray)
            else type(value).__name__
        )
        raise RecordingError(f"{source}: airspace_geojson: expected one JSON string, got {found}")
    document = _parse_json(value, "airspace_geojson", source)
    try:
        return city_from_geojson(document, f"{source}: airspace_geojson")
    except MapFormatError as error:
        raise RecordingError(_one_line(error)) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        # Shapes the GeoJSON reader does not name itself: still the file's fault.
        raise RecordingError(
            f"{source}: airspace_geojson: not a map this format writes ({_one_line(error)})"
        ) from None


def _map_origin(value: np.ndarray, source: str) -> tuple[float, float] | None:
    """The ``origin_lonlat`` of the map in ``airspace_geojson``, or None, without building
    the map (RecordingError when it is not a JSON string or the origin is malformed)."""
    if not isinstance(value, np.ndarray) or value.shape != () or value.dtype.kind != "U":
        raise RecordingError(f"{source}: airspace_geojson: expected one JSON string")
    document = _parse_json(value, "airspace_geojson", source)
    properties = document.get("properties") if isinstance(document, dict) else None
    origin = properties.get("origin_lonlat") if isinstance(properties, dict) else None
    if origin is None:
        return None
    if not _is_lonlat(origin):
        raise RecordingError(
            f"{source}: airspace_geojson: properties.origin_lonlat: expected [lon, lat] "
            f"in degrees, got {_show(origin)}"
        )
    return float(origin[0]), float(origin[1])


def _parse_json(value: np.ndarray, field: str, source: str):
    try:
        return json.loads(str(value))
    except (ValueError, RecursionError) as error:
        raise RecordingError(f"{source}: {field}: not valid JSON ({_one_line(error)})") from None


def _check_finite(array: np.ndarray, name: str, source: str, allow_nan: bool) -> None:
    if array.dtype.kind != "f":
        return
    bad = np.isinf(array) if allow_nan else ~np.isfinite(array)
    if bad.any():
        row = int(np.argmax(bad.reshape(len(array), -1).any(axis=1)))
        value = array[row].tolist()
        allowed = "finite or NaN" if allow_nan else "finite"
        everywhere = " (all rows)" if bad.all() and len(array) > 1 else ""
        raise RecordingError(
            f"{source}: {name}: {_show(value)} at row {row}{everywhere}; values must be {allowed}"
        )


def _check_extent(array: np.ndarray, name: str, source: str) -> None:
    far = np.abs(array) > MAX_COORDINATE_M
    if far.any():
        row = int(np.argmax(far.reshape(len(array), -1).any(axis=1)))
        raise RecordingError(
            f"{source}: {name}: {_show(array[row].tolist())} at row {row}; coordinates must "
            f"lie within {MAX_COORDINATE_M:g} m of the frame's origin"
        )


def _check_range(
    array, name: str, low: int, high: int, source: str, what: str, names: str = ""
) -> None:
    """Every value in ``[low, high)``."""
    bad = np.flatnonzero((array < low) | (array >= high))
    if len(bad):
        i = int(bad[0])
        allowed = f"{low}..{high - 1}" if high - 1 > low else f"{low} only"
        raise RecordingError(
            f"{source}: {name}: {int(array[i])} at row {i} is not a valid {what} "
            f"(allowed {allowed}{names})"
        )


def _check_at_least(array, name: str, low, source: str) -> None:
    bad = np.flatnonzero(array < low)
    if len(bad):
        i = int(bad[0])
        raise RecordingError(f"{source}: {name}: {array[i].item()!r} at row {i}; must be >= {low}")


def _check_sorted(array, name: str, source: str, how: str) -> None:
    back = np.flatnonzero(array[1:] < array[:-1])
    if len(back):
        i = int(back[0])
        raise RecordingError(
            f"{source}: {name}: not sorted {how}: {array[i + 1].item()!r} at row {i + 1} "
            f"after {array[i].item()!r}"
        )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_utc_time(value) -> bool:
    if not (isinstance(value, str) and value.endswith("Z")):
        return False
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_lonlat(value) -> bool:
    from dronesim.maps.projection import origin_in_range

    return (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_real(v) for v in value)
        and origin_in_range(float(value[0]), float(value[1]))
    )


def _is_coordinate(value) -> bool:
    return _is_real(value) and abs(value) <= MAX_COORDINATE_M


def _show(value, limit: int = 60) -> str:
    """A value for a one-line message, cut to ``limit`` characters."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(error: BaseException) -> str:
    return str(error).replace("\n", " ")


def _pad_use(position, state, depots_xy, state_names) -> tuple[np.ndarray, np.ndarray]:
    charging = state_names.index(STATE_NAMES[CHARGING])
    waiting = state_names.index(STATE_NAMES[WAITING_PAD])
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


def _ground_span(spec) -> dict[str, float]:
    """``ground_elevation_m`` (and ``ground_elevation_max_m`` over a grid) for the meta."""
    grid = spec.ground_elevation_grid
    if grid is None:
        return {"ground_elevation_m": spec.ground_elevation_m}
    heights = np.asarray(grid.heights_m, dtype=np.float64)
    return {
        "ground_elevation_m": float(heights.min()),
        "ground_elevation_max_m": float(heights.max()),
    }
