"""Routes for the simulation: per-layer planning grids, depot distance fields, and the
timed flight plans built from them.

Drones climb vertically from the ground to a cruise layer, fly a planned route on that
layer, and descend vertically at the destination. The cruise layer of a leg is the
deconfliction policy's choice (`sim.deconfliction`). Legs that
start or end at a depot are read off that depot's distance field on the layer (Dijkstra
once per depot, layer and zone epoch), led out of (or into) a pad's own cell; other legs go
to the planner the deconfliction policy names, else the scenario's. A *zone
epoch* is a period in which the same temporary zones are active; the grids and fields of
an epoch are built when first needed. `ReplanAnswer` is what a deconfliction policy's
in-flight replan gives the engine (a timed plan of `PlanBuilder.timed`'s form).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from dronesim.maps import Airspace
from dronesim.planners import PlanningGrid, get_planner
from dronesim.planners.wind import as_wind_field
from dronesim.sim import _kernels as K
from dronesim.sim import audit
from dronesim.sim.vocabulary import EV_NONE, IDLE

_NO_CLOCK = np.empty(0)  # time_path: segment times are the ones it computes


@dataclass
class Leg:
    """A horizontal route on one layer: world points ``(n, 2)`` at altitude ``z_m``."""

    xy: np.ndarray
    z_m: float


class LayerRouter:
    """Routes on each cruise layer for one zone epoch."""

    def __init__(
        self,
        airspace: Airspace,
        t_s: float,
        planner_name: str,
        smooth: bool,
        timers: dict[str, float],
    ) -> None:
        self.airspace = airspace
        self.t_s = t_s
        self.active = tuple(
            i for i, zone in enumerate(airspace.zones) if zone.is_temporary and zone.active_at(t_s)
        )
        self.blocked = airspace.blocked_at(t_s)
        self.planner = get_planner(planner_name)
        self.smooth = smooth
        self.timers = timers
        self._grids: dict[int, PlanningGrid] = {}
        self._fields: dict[tuple[int, int], object] = {}
        self.planner_calls = 0
        self._escape_grids: dict[tuple[int, ...], PlanningGrid] = {}

    def grid(self, layer: int) -> PlanningGrid:
        """The single-layer planning grid of ``layer`` in this epoch."""
        grid = self._grids.get(layer)
        if grid is None:
            a = self.airspace
            flat = Airspace.from_grid(
                self.blocked[layer],
                cell_size_m=a.cell_size_m,
                origin_m=a.origin_m,
                layers_m=(a.layers_m[layer],),
                ceiling_m=a.ceiling_m,
                cost=a.cost[layer : layer + 1],
            )
            grid = PlanningGrid(flat)
            self._grids[layer] = grid
        return grid

    def field(self, layer: int, depot: int, depot_xy):
        key = (layer, depot)
        found = self._fields.get(key)
        if found is None:
            tic = time.perf_counter()
            grid = self.grid(layer)
            found = grid.distance_field(self.cell(depot_xy))
            self.timers["planning"] += time.perf_counter() - tic
            self._fields[key] = found
        return found

    def _ji(self, xy) -> tuple[int, int]:
        """Row and column of a point (-1 outside); scalar arithmetic, called per leg."""
        x0, y0 = self.airspace.origin_m
        size = self.airspace.cell_size_m
        i = math.floor((xy[0] - x0) / size)
        j = math.floor((xy[1] - y0) / size)
        if not (0 <= i < self.airspace.nx and 0 <= j < self.airspace.ny):
            return -1, -1
        return j, i

    def cell(self, xy) -> tuple[int, int, int]:
        j, i = self._ji(xy)
        return (0, j, i)

    def column_free(self, xy, top_layer: int) -> bool:
        """Whether the column over a point is free from the ground up to ``top_layer``."""
        j, i = self._ji(xy)
        if i < 0:
            return False
        return not self.blocked[: top_layer + 1, j, i].any()

    def free_at(self, xy, layer: int) -> bool:
        j, i = self._ji(xy)
        return i >= 0 and not self.blocked[layer, j, i]

    def leg(self, a_xy, b_xy, layer: int, a_depot: int, b_depot: int, depots_xy) -> Leg | None:
        """Route from a to b on ``layer`` (None when unreachable)."""
        grid = self.grid(layer)
        a_cell, b_cell = self.cell(a_xy), self.cell(b_xy)
        if grid.blocked[a_cell] or grid.blocked[b_cell]:
            return None
        if a_cell == b_cell:
            cells = np.array([a_cell])
        elif a_depot >= 0:
            cells = self.field(layer, a_depot, depots_xy[a_depot]).route_to(b_cell)
            cells = _from_pad(grid, a_cell, cells)
        elif b_depot >= 0:
            cells = self.field(layer, b_depot, depots_xy[b_depot]).route_to(a_cell)[::-1]
            cells = _from_pad(grid, b_cell, cells[::-1])
            cells = None if cells is None else cells[::-1]
        else:
            tic = time.perf_counter()
            path = self.planner.plan(grid, a_cell, b_cell)
            self.timers["planning"] += time.perf_counter() - tic
            self.planner_calls += 1
            if not path.found:
                return None
            cells = path.cells
        if cells is None or len(cells) == 0:
            return None
        if self.smooth and len(cells) > 2:
            tic = time.perf_counter()
            cells, _ = grid.smooth(cells)
            self.timers["planning"] += time.perf_counter() - tic
        x, y, _ = grid.airspace.cell_centre(cells[:, 0], cells[:, 1], cells[:, 2])
        # Start and end exactly at a and b: the extra moves stay inside their free cells.
        xy = np.concatenate([[a_xy], np.stack([x, y], axis=1), [b_xy]])
        keep = np.ones(len(xy), bool)
        keep[1:] = np.any(np.diff(xy, axis=0) != 0, axis=1)
        return Leg(xy[keep], self.airspace.layers_m[layer])

    def escape(self, xyz, t_s: float, leaving: tuple[int, ...], top_layer: int):
        """The shortest safe way from an airborne point to open air: a cell whose column
        is free in this epoch from the ground up to ``top_layer``, where a trip can
        climb or descend to any cruise layer.

        The way leads through cells free of buildings, permanent zones and the active
        temporary zones except those being left (``leaving``, indices into
        ``airspace.zones``): first vertically in the drone's own column to the nearest
        layer it can reach there (a low drone, e.g. hovering at the hand-over height,
        climbs, checked against the same volumes as the audit), then along grid moves
        between cell centres (a 3D Dijkstra field; diagonal moves only where their
        bounding box is free, so no move cuts a corner between layers or columns).
        The target must be free of every active zone, so the route ends out of the
        zones being left. The whole route is then audited (`sim.audit`) against every
        building and every active zone but those being left.

        Parameters
        ----------
        xyz : (float, float, float)
            Where the drone is, metres (z > 0).
        t_s : float
            Now, seconds (which zones are active).
        leaving : tuple of int
            Zones the drone is inside (they switched on around it).
        top_layer : int
            Highest cruise layer trips use.

        Returns
        -------
        numpy.ndarray of float, shape (n, 3), or None
            Waypoints from ``xyz`` (first row) to the exit (last row), metres; None when
            no safe way exists.
        """
        a = self.airspace
        x, y, z = (float(v) for v in xyz)
        j, i = self._ji((x, y))
        if i < 0 or not z > 0:
            return None
        grid = self._escape_grid(leaving)
        passable = grid.blocked == 0
        layers = np.asarray(a.layers_m)
        start = None
        for k in np.argsort(np.abs(layers - z), kind="stable"):
            low, high = min(z, layers[k]), max(z, layers[k])
            crossed = (layers >= low) & (layers <= high)
            if not passable[crossed, j, i].all():
                continue
            if self.clear([(x, y, z), (x, y, layers[k])], t_s, leaving):
                start = int(k)
                break
        if start is None:
            return None
        field = grid.distance_field((start, j, i))
        distance = field.distance
        nz = a.nz
        open_column = ~self.blocked[: top_layer + 1].any(axis=0)
        target = (
            open_column[None]
            & (np.arange(nz)[:, None, None] <= top_layer)
            & (self.blocked == 0)
            & np.isfinite(distance)
        )
        if not target.any():
            return None
        best = np.unravel_index(int(np.argmin(np.where(target, distance, np.inf))), target.shape)
        cells = field.route_to(tuple(int(v) for v in best))
        if len(cells) == 0:
            return None
        cx, cy, cz = a.cell_centre(cells[:, 0], cells[:, 1], cells[:, 2])
        points = np.concatenate([[(x, y, z), (x, y, layers[start])], np.stack([cx, cy, cz], 1)])
        points = _drop_repeats_and_straight_runs(points)
        return points if self.clear(points, t_s, leaving) else None

    def _escape_grid(self, leaving: tuple[int, ...]) -> PlanningGrid:
        """A 3D grid of this epoch with the zones in ``leaving`` lifted (cached)."""
        key = tuple(sorted(leaving))
        found = self._escape_grids.get(key)
        if found is None:
            a = self.airspace
            blocked = a.blocked.copy()
            flat = blocked.reshape(-1)
            plane = a.ny * a.nx
            for mask in a.temporary_masks:
                if mask.zone_index in self.active and mask.zone_index not in key:
                    flat[(mask.layers[:, None] * plane + mask.flat_cells[None, :]).reshape(-1)] = 1
            found = PlanningGrid(
                Airspace.from_grid(
                    blocked,
                    cell_size_m=a.cell_size_m,
                    origin_m=a.origin_m,
                    layers_m=a.layers_m,
                    ceiling_m=a.ceiling_m,
                )
            )
            self._escape_grids[key] = found
        return found

    def clear(self, points, t_s: float, exempt: tuple[int, ...] = ()) -> bool:
        """Whether a polyline is outside every building and every zone active at ``t_s``
        but those in ``exempt`` (indices into ``airspace.zones``), by the engine's audit
        (`sim.audit`); repeated points are hovers.

        Parameters
        ----------
        points : array_like, shape (n, 3)
            Metres.
        t_s : float
            Seconds: which zones are active.
        exempt : tuple of int
            Zones not checked (those a drone is leaving).
        """
        a = self.airspace
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        n = len(points)
        if n < 2:
            points = np.concatenate([points, points])
            n = len(points)
        drone = np.zeros(n, np.int64)
        # Audit times inside the zones' current windows: the check is about geometry.
        t = t_s + np.arange(n) * 1e-6
        segments, _ = audit.building_intrusions(
            drone, t, points, a.buildings, a.horizontal_clearance_m, a.vertical_clearance_m
        )
        if len(segments):
            return False
        zones = tuple(
            zone
            for index, zone in enumerate(a.zones)
            if zone.active_at(t_s) and index not in exempt
        )
        segments, _ = audit.zone_intrusions(drone, t, points, zones)
        return not len(segments)


def _from_pad(grid: PlanningGrid, pad_cell, cells: np.ndarray) -> np.ndarray | None:
    """A depot field's route (from the depot's cell) led out of a pad's own cell instead:
    the pad cell first, when the line between it and the depot cell is clear (None when
    it is not: no route through blocked air). String-pulling then straightens it, so
    that drones leave a pad (and reach one) without passing over the depot point."""
    if len(cells) == 0 or tuple(int(v) for v in cells[0]) == tuple(pad_cell):
        return cells
    clear, _ = grid.line_of_sight(tuple(pad_cell), tuple(int(v) for v in cells[0]))
    if not clear:
        return None
    return np.concatenate([np.asarray([pad_cell], dtype=cells.dtype), cells])


def _drop_repeats_and_straight_runs(points: np.ndarray) -> np.ndarray:
    """The polyline without repeated points and without points in the middle of a
    straight run (the same step direction before and after)."""
    keep = np.ones(len(points), bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    points = points[keep]
    if len(points) < 3:
        return points
    step = np.diff(points, axis=0)
    step /= np.linalg.norm(step, axis=1)[:, None]
    bend = np.ones(len(points), bool)
    bend[1:-1] = np.any(np.abs(step[1:] - step[:-1]) > 1e-12, axis=1)
    return points[bend]


@dataclass(frozen=True)
class ReplanAnswer:
    """What a policy's ``replan_in_flight`` hook gives the engine.

    Attributes
    ----------
    timed : dict or None
        The drone's new timed plan (`PlanBuilder.timed` form, its first point
        where the drone is now), or None with ``stay``.
    dropped : tuple of int
        Orders given up (they fail as `sim.vocabulary.REASON_NO_ROUTE_AROUND_ZONE`; a
        carried parcel comes back).
    held : bool
        The plan holds the drone where it is, for want of any plan: the engine asks again
        at the next zone change, with ``held_stops``.
    held_stops : tuple of (int, int)
        With ``held``: the stops still to fly after the events of the plan (order, kind).
    stay : bool
        The drone is on the ground at a depot and stays there (its orders dropped).
    escape_until_s : float or None
        For a drone inside an active zone: when the plan's way out of it ends (the
        engine records it as an `sim.audit.Escape`).
    """

    timed: dict | None
    dropped: tuple[int, ...] = ()
    held: bool = False
    held_stops: tuple = ()
    stay: bool = False
    escape_until_s: float | None = None


class PlanBuilder:
    """Accumulates the waypoints of one drone's flight plan, then times it.

    States and events are `sim.vocabulary` codes (event 0, `EV_NONE`: no event).
    """

    def __init__(self, x: float, y: float, z: float, payload_kg: float) -> None:
        self.xyz = [(x, y, z)]
        self.kind: list[int] = []
        self.hold: list[float] = []
        self.payload: list[float] = []
        self.state: list[int] = []
        self.event = [EV_NONE]
        self.arg = [-1]
        self.load = payload_kg

    @property
    def here(self) -> tuple[float, float, float]:
        return self.xyz[-1]

    def move(
        self, x: float, y: float, z: float, state: int, event: int = EV_NONE, arg: int = -1
    ) -> None:
        if (x, y, z) == self.here and event == EV_NONE:
            return
        self._segment(K.SEG_MOVE, 0.0, state, (x, y, z), event, arg)

    def taxi(
        self, x: float, y: float, seconds: float, state: int, event: int = EV_NONE, arg: int = -1
    ) -> None:
        """Move on the ground to ``(x, y, 0)`` in ``seconds`` (no flight energy)."""
        self._segment(K.SEG_GROUND, seconds, state, (x, y, 0.0), event, arg)

    def hold_at(
        self, seconds: float, state: int, on_ground: bool, event: int = EV_NONE, arg: int = -1
    ) -> None:
        self._segment(
            K.SEG_GROUND if on_ground else K.SEG_HOVER, seconds, state, self.here, event, arg
        )

    def _segment(self, kind: int, hold: float, state: int, target, event: int, arg: int) -> None:
        self.kind.append(kind)
        self.hold.append(hold)
        self.payload.append(self.load)
        self.state.append(state)
        self.xyz.append(tuple(float(v) for v in target))
        self.event.append(event)
        self.arg.append(arg)

    def timed(self, params: np.ndarray, wind, start_t: float, start_wh: float, clock=None):
        """Times and battery energy at every waypoint; None if a leg cannot be flown.
        ``wind`` is a `planners.wind.WindField` or a steady ``(east, north)`` pair, m/s;
        ``clock``, the waypoints' times when the caller sets them (`_time_segments`)."""
        return _time_segments(
            params, wind, start_t, start_wh, np.array(self.xyz, dtype=np.float64), self.kind,
            self.hold, self.payload, self.state, self.event, self.arg, clock,
        )  # fmt: skip


def _time_segments(params, wind, start_t, start_wh, xyz, kind, hold_s, payload, state, event,
                   arg, clock=None):  # fmt: skip
    """`PlanBuilder.timed` of a plan given as sequences: waypoints ``xyz`` (``(n, 3)``
    metres), per segment ``kind`` (`sim._kernels` codes), ``hold_s`` (seconds),
    ``payload`` (kg) and ``state``, per waypoint ``event`` and ``arg``; None if a leg
    cannot be flown. ``wind``: a `WindField` or an ``(east, north)`` pair (m/s);
    ``clock``: the waypoints' times when they are set elsewhere (the wind of each
    segment is then taken at its start there)."""
    xyz = np.ascontiguousarray(xyz, dtype=np.float64)
    n = len(xyz)
    times = np.empty(n)
    energy = np.empty(n)
    field = as_wind_field(wind)
    ok = K.time_path(
        params,
        field.table,
        field.meta,
        _NO_CLOCK if clock is None else np.ascontiguousarray(clock, dtype=np.float64),
        xyz,
        np.asarray(kind, np.int64),
        np.asarray(hold_s, np.float64),
        np.asarray(payload, np.float64),
        float(start_t),
        float(start_wh),
        times,
        energy,
    )
    if not ok:
        return None
    states = np.empty(n, np.int64)
    states[:-1] = state
    states[-1] = IDLE  # no segment starts at the end
    return {
        "t": times,
        "xyz": xyz,
        "wh": energy,
        "state": states,
        "event": np.array(event, np.int64),
        "arg": np.array(arg, np.int64),
    }


def measure_detour(
    router: LayerRouter,
    layer: int,
    depots_xy: np.ndarray,
    rng: np.random.Generator,
    samples: int = 60,
) -> float:
    """Mean ratio of depot-field route length to straight-line distance on a layer (>= 1)."""
    grid = router.grid(layer)
    free = np.argwhere(grid.blocked[0] == 0)
    ratios = []
    for depot, xy in enumerate(depots_xy):
        field = router.field(layer, depot, xy)
        picks = free[rng.integers(len(free), size=max(1, samples // len(depots_xy)))]
        for j, i in picks:
            cells = field.route_to((0, int(j), int(i)))
            if len(cells) < 2:
                continue
            x, y, _ = grid.airspace.cell_centre(cells[:, 0], cells[:, 1], cells[:, 2])
            length = np.hypot(np.diff(x), np.diff(y)).sum()
            straight = math.hypot(x[-1] - x[0], y[-1] - y[0])
            if straight > 200:
                ratios.append(length / straight)
    return float(max(1.0, np.mean(ratios))) if ratios else 1.2
