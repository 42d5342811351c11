"""Strategic deconfliction: whole trips planned as 4D plans against a reservation table.

A `StrategicPlanner` owns a `ReservationTable` over the airspace grid and plans a trip
(pad wait, climb in the pad column, cruise legs, descent and hover at each drop-off, climb
back, landing on the destination pad) leg by leg with SIPP (`SippPlanner`, drone rules),
each leg from the time the previous one ends. The trip is committed (reserved) only when
every leg is found and the landing is within the deadline; otherwise nothing is reserved
and the status says why.

Grid
----
The table's grid is the airspace grid with one extra layer underneath: table layer 0 is
the *low column* of a cell (altitudes ``[0, handover_height_m]``: the lift-off and landing
at a pad, the hover at the hand-over height over a drop-off) and table layer ``k + 1`` is
cruise layer ``k`` of the airspace. Low-column cells are closed to the search except the
two columns of the leg being planned, so a drone never flies horizontally below the cruise
layers. A low-column cell is statically blocked where cruise layer 0 is.

What a plan occupies (the drone rules, ``lead=True``)
-----------------------------------------------------
A plan is a list of cell visits with times. The flown plan is made of straight segments
between *waypoints*: the cell centre at the layer's altitude for cruise cells; the stop's
own ``(x, y)`` at ``handover_height_m`` for low-column cells (a pad or drop-off need not
lie at its cell's centre). Under the drone rules a cell is occupied from the departure of
the move into it until the arrival in the next cell, so during a move both its cells are
occupied. Every segment lies inside the closed union of its two cells: straight moves join
two points of adjacent cells, diagonal moves join two centres through the shared corner
(and SIPP requires the whole box of a diagonal move to be free of obstacles), vertical
moves stay in one column. Hence, at every instant, the drone is inside a cell whose
reservation covers that instant, at an altitude between those of its occupied layers.
Before the lift-off and after the landing the drone is on the ground and occupies nothing.

Separation
----------
Two drones are in conflict when closer than ``horizontal_m`` horizontally *and*
``vertical_m`` vertically. Reservations are inflated by a box footprint of
``h = ceil(horizontal_m / cell_size_m)`` cells in rows and columns: two points in cells
``h + 1`` or more cells apart along a row or a column are at least ``h * cell_size_m >=
horizontal_m`` apart. Vertically, each table layer has an altitude range (``[0,
handover_height_m]`` for the low column, the layer altitude for cruise layers); two layers
conflict when their ranges are closer than ``vertical_m``, and the footprint spans ``v``
layers, the largest index distance of two conflicting layers. Since a drone moving
between two layers occupies both, positions between layers are covered too. Reservations
are widened by ``time_buffer_s`` on both sides. So two committed plans never lose
separation, provided both are flown at their times.

At a stop the footprint is refined: while a drone holds a stop's low column it stays on
the segment from the stop's point to its column's centre (vertically at the point, then
across to the centre at cruise altitude on the way up, the reverse on the way down), so
low-column intervals are reserved with that segment (`StrategicPlan.segments`) and the
search queries a leg's start and goal low columns with theirs: a reservation whose segment
is at least ``horizontal_m`` from the query's does not count there
(`ReservationTable.safe_intervals`), and two drones hovering at drop-offs (or lifting off
from pads) at least the minimum apart no longer wait for each other. Everything else,
the cruise cells above the stops included, keeps the box.

Move durations are those of `drone_moves`: ``cell_size_m / cruise_speed_mps`` per straight
move (``sqrt(2)`` times that diagonally), and, per layer change, the largest gap between
adjacent table layers over the climb or descent rate (the same for every layer, as SIPP's
move table has one duration per offset; where layers are closer the drone climbs slower
than it could, which is safe because plans are flown at their times). The lift-off (ground
to hand-over height) and the landing take ``handover_height_m`` over the climb or descent
rate.

Optimality
----------
Each leg is optimal in arrival time given the reservations (SIPP is), including the pad
wait (every safe interval of the pad's low column is tried, earliest lift-off in each: a
later lift-off in the same interval is dominated by hovering there) and hover waits. The
trip is greedy over legs: the earliest arrival at a stop is kept even if a later one would
have made a later leg faster. When a leg out of a hover stop finds no slot at all (the sky
around the stop fills up before the drone can climb out), arrivals at that stop are
forbidden over a window after the failed one, doubled at each retry (`_BACKTRACKS` plans
at most), and the trip is planned again.

Heuristic
---------
SIPP is guided by a `LayeredHeuristic` (`planners.deconfliction.sipp`): the vertical time
to the goal's low column plus a horizontal bound, less one horizontal step per layer change
but the last (the goal's low column is entered vertically), consistent for the move table.
The horizontal bound is read off a search over the columns blocked in every layer (a
relaxation of the 3D grid), evaluated lazily in the search kernel, so a leg costs no
full-grid array:

- a leg that lands (on a pad): a column field per depot, prepared at set-up
  (`prepare_pads` with the pads' depots as groups): the seconds to the nearest of the
  depot's pads, exact for a leg that may land on any of them, a bound for one pad;
- a leg to a drop-off (``heuristic="reverse"``): an A* over the columns from the drop-off
  towards the leg's start (Silver's reverse A*, AIIDE 2005), run ``reverse_slack_s`` past
  closing the start; the columns it closed get their exact seconds, the others
  ``max(b, F - k)`` (``b``/``k`` the octile times to the goal and from the start, ``F`` the
  priority the search stopped at). ``heuristic="octile"`` uses ``b`` alone;
  ``heuristic="field"`` computes an exact 3D distance field per goal instead (a reference
  for tests: slow when goals do not recur).

The search is bounded by each stop's latest arrival (`Stop.latest_s`, e.g. an order's
deadline) and the trip's deadline less the rest of the trip in an empty sky, and by an
expansion budget (``max_expansions``, or per call).

Temporary zones
---------------
Each temporary zone of the airspace is reserved, uninflated (its raster already holds its
buffer), on its cells for its active window, under the owner ``ZONE_OWNER + zone index``,
so plans go around it (or wait) before take-off. Its low-column cells are reserved too when
the zone reaches down to the hand-over height. A zone flagged ``unannounced`` is not: see
below.

Unannounced zones and replans in flight
---------------------------------------
A zone flagged ``unannounced`` is not reserved ahead; `reserve_zone` reserves it (the same
cells, uninflated) from the moment it switches on. A committed trip is then replanned from
a *cut*: a cell ``c`` the drone is in at ``t_cut`` on its committed plan, a cruise cell
(the waypoint at its centre) or a low column where it hovers at the hand-over height
(the plan climbs out of it as a leg from a hover stop does). `replan_airborne` keeps the committed occupancy before ``t_cut`` (each
interval clipped at ``t_cut``: what is being flown is not changed, and it was
conflict-free when committed), frees the rest, and plans the remaining stops from ``c`` at
``t_cut`` (airborne: no lift-off, hover waits allowed) leg by leg as `plan_trip` does
(the same deadline test; no backtracking), to a landing on a pad. The committed plan is
then the kept part followed by the new one, under the same trip id: since ``c`` was
occupied by the old plan around ``t_cut`` every other plan keeps clear of it then, and the
new part is planned against every reservation, so separation holds as before. A drone
inside zones that switched on around it (``leaving``) first flies from ``c`` to the
nearest cell outside their rasters (`exit_cell`) by a SIPP search with their
reservations lifted for that search only, then on with them in place (when the first leg
finds no slot from the exit, arrivals there are forbidden over a doubling window and the
way out planned again). `hold`
commits a hover in ``c`` from ``t_cut`` instead (when there is no plan at all): later
plans keep clear of it; plans committed earlier keep clear of it for as long as ``c``'s
safe interval at ``t_cut`` lasts (`hold` says whether that is for the whole hold).

Releasing
---------
`release` removes a trip's reservations (when flown or replaced); `release_before` removes
every trip (and zone) whose reservations all end before a time, so that the table does not
grow over a day.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from dronesim.maps import Airspace
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.planners.deconfliction import (
    DeconflictionError,
    ReservationTable,
    SippPlanner,
    SippStatus,
    drone_moves,
    plan_occupancy,
)

HEURISTICS = ("reverse", "field", "octile")
ZONE_OWNER = 1 << 62  # owners of temporary zones: ZONE_OWNER + zone index; trips below
_HOLD_OWNER = ZONE_OWNER - 1  # internal: arrivals forbidden while backtracking
_BACKTRACKS = 12  # plans of one trip at most (the first and its backtracks)
_BACKTRACK_STEP_S = 5.0  # first window of forbidden arrivals, doubled at each retry
_PAD_COLUMNS_KEPT = 100_000  # pads' columns and stop segments remembered, at most


class StrategicStatus(IntEnum):
    """Outcome of `StrategicPlanner.plan_trip`."""

    FOUND = 0  # planned (and committed when asked)
    NO_ROUTE = 1  # a stop's column is blocked, or no route exists even in an empty sky
    NO_SLOT = 2  # no conflict-free plan for a leg
    DEADLINE = 3  # the earliest conflict-free landing is after the deadline
    LIMIT = 4  # a leg's search reached its expansion limit


@dataclass(frozen=True)
class Stop:
    """A stop of a trip.

    Attributes
    ----------
    x_m, y_m : float
        Where, metres (local frame).
    hold_s : float
        Seconds spent there: hovering at the hand-over height (``land=False``, e.g. the
        winch time at a drop-off) or on the ground (``land=True``, e.g. a pickup).
    land : bool
        Land (a pad) rather than hover.
    latest_s : float
        Latest arrival there, seconds (e.g. an order's deadline less the service time);
        searches are bounded by it.
    """

    x_m: float
    y_m: float
    hold_s: float = 0.0
    land: bool = False
    latest_s: float = math.inf


@dataclass(frozen=True)
class StrategicPlan:
    """A trip's 4D plan.

    Attributes
    ----------
    status : StrategicStatus
    reason : str
        Why there is no plan ("" when found).
    trip_id : int
    waypoints : numpy.ndarray
        ``float64 (n, 4)``: ``t_s, x_m, y_m, z_m`` (z above ground; 0 on the ground). The
        drone moves in a straight line at constant speed between consecutive waypoints;
        equal positions are waits. Empty without a plan.
    ready_s : float
        When the drone was ready on its start pad, seconds.
    depart_s : float
        Lift-off time, seconds (``depart_s - ready_s`` is the pad wait).
    arrival_s : float
        Landing time on the destination pad, seconds (inf without a plan).
    ground_wait_s : float
        Seconds waited on pads beyond the stops' ground holds (the start's pad wait
        included).
    hover_wait_s : float
        Seconds hovering in place beyond the stops' hover holds.
    hover_s : float
        All seconds hovering in place (stops' holds included), for the energy count.
    cells : numpy.ndarray
        ``int64``: flat table cells occupied (before the footprint), one per interval.
    t_from_s, t_to_s : numpy.ndarray
        Occupied interval of each of ``cells`` (before the time buffer), seconds.
    expansions : int
        SIPP states expanded over all searches of the trip.
    committed : bool
        Whether the plan holds reservations in the table.
    segments : numpy.ndarray or None
        ``float64 (len(cells), 4)``: for a low-column interval, the segment from the
        stop's point to its column's centre (metres) on which the drone stays while it
        holds the cell; NaN rows elsewhere. None: not known (the footprint decides).
    """

    status: StrategicStatus
    reason: str
    trip_id: int
    waypoints: np.ndarray
    ready_s: float
    depart_s: float = math.inf
    arrival_s: float = math.inf
    ground_wait_s: float = 0.0
    hover_wait_s: float = 0.0
    hover_s: float = 0.0
    cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    t_from_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    t_to_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    expansions: int = 0
    committed: bool = False
    segments: np.ndarray | None = None


class StrategicPlanner:
    """Plans whole trips conflict-free against every committed plan (see module).

    Parameters
    ----------
    airspace : Airspace
        Grid, static obstacles and temporary zones.
    cruise_speed_mps : float
        Ground speed in cruise, m/s.
    climb_rate_mps, descent_rate_mps : float
        Vertical speeds, m/s.
    horizontal_m, vertical_m : float
        Separation minima, metres (> 0, >= 0).
    time_buffer_s : float
        Seconds added before and after every reservation (>= 0).
    handover_height_m : float
        Hover height at drop-offs, metres; the top of the low column (below the lowest
        cruise layer).
    connectivity : int
        26 (default) or 6 moves in 3D.
    heuristic : str
        How legs are guided (see module): ``"reverse"`` (default; legs to pads use their
        depot's column field) a reverse A* over the columns from the drop-off, ``"octile"``
        the obstacle-free bound, ``"field"`` an exact 3D distance field per goal.
    reverse_slack_s : float
        The reverse A* goes on this many seconds of priority past the leg's start (more
        cells exact for detours around reservations, at the cost of a larger search).
    max_expansions : int
        Expansion limit of each SIPP search.
    field_cache : int
        Fields of goals not prepared by `prepare_pads` kept (least recently used dropped
        first).
    """

    def __init__(
        self,
        airspace: Airspace,
        *,
        cruise_speed_mps: float,
        climb_rate_mps: float,
        descent_rate_mps: float,
        horizontal_m: float,
        vertical_m: float,
        time_buffer_s: float = 0.0,
        handover_height_m: float = HANDOVER_HEIGHT_M,
        connectivity: int = 26,
        heuristic: str = "reverse",
        reverse_slack_s: float = 0.0,
        max_expansions: int = 500_000,
        field_cache: int = 32,
    ) -> None:
        for name, value, low in (
            ("cruise_speed_mps", cruise_speed_mps, 0.0),
            ("climb_rate_mps", climb_rate_mps, 0.0),
            ("descent_rate_mps", descent_rate_mps, 0.0),
            ("horizontal_m", horizontal_m, 0.0),
            ("handover_height_m", handover_height_m, 0.0),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > low):
                raise DeconflictionError(f"strategic planner: {name} must be > 0, got {value!r}")
        for name, value in (("vertical_m", vertical_m), ("time_buffer_s", time_buffer_s)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise DeconflictionError(f"strategic planner: {name} must be >= 0, got {value!r}")
        if handover_height_m >= airspace.layers_m[0]:
            raise DeconflictionError(
                f"strategic planner: handover_height_m must be below the lowest layer "
                f"({airspace.layers_m[0]:g} m), got {handover_height_m!r}"
            )
        if heuristic not in HEURISTICS:
            raise DeconflictionError(
                f"strategic planner: heuristic must be one of {', '.join(HEURISTICS)}, got {heuristic!r}"
            )
        if not (isinstance(reverse_slack_s, (int, float)) and reverse_slack_s >= 0):
            raise DeconflictionError(
                f"strategic planner: reverse_slack_s must be >= 0, got {reverse_slack_s!r}"
            )
        self.reverse_slack_s = float(reverse_slack_s)
        if int(max_expansions) != max_expansions or max_expansions < 1:
            raise DeconflictionError(
                f"strategic planner: max_expansions must be an integer >= 1, got {max_expansions!r}"
            )
        if int(field_cache) != field_cache or field_cache < 1:
            raise DeconflictionError(
                f"strategic planner: field_cache must be an integer >= 1, got {field_cache!r}"
            )
        self.airspace = airspace
        self.cell_size_m = float(airspace.cell_size_m)
        self.handover_height_m = float(handover_height_m)
        self.heuristic = heuristic
        self.max_expansions = int(max_expansions)
        self.field_cache = int(field_cache)
        nz, ny, nx = airspace.shape
        self.shape = (nz + 1, ny, nx)
        self.plane = ny * nx
        # Altitude range of each table layer: the low column, then the cruise layers.
        ranges = [(0.0, self.handover_height_m)] + [(z, z) for z in airspace.layers_m]
        self.layer_ranges_m = tuple(ranges)
        self.horizontal_cells = int(math.ceil(horizontal_m / self.cell_size_m))
        self.vertical_cells = max(
            [b - a for a in range(len(ranges)) for b in range(a + 1, len(ranges))
             if ranges[b][0] - ranges[a][1] < vertical_m] + [0]
        )  # fmt: skip
        self.connectivity = connectivity
        blocked = np.ones(self.shape, np.uint8)
        blocked[1:] = airspace.blocked
        self._set_speeds(cruise_speed_mps, climb_rate_mps, descent_rate_mps, blocked)
        self.table = ReservationTable(
            self.shape,
            horizontal_cells=self.horizontal_cells,
            vertical_cells=self.vertical_cells,
            separation_m=float(horizontal_m),
            time_buffer_s=float(time_buffer_s),
        )
        self.time_buffer_s = float(time_buffer_s)
        self._fields: OrderedDict[tuple[str, tuple[int, ...]], np.ndarray] = OrderedDict()
        # Column fields of prepared pad groups, by their sorted columns, and each pad's group.
        self._plane_fields: dict[tuple[int, ...], np.ndarray] = {}
        self._pad_groups: dict[int, tuple[int, ...]] = {}
        self._pad_columns: dict[tuple[float, float], int] = {}  # pad point: its column
        self._segments: dict[tuple[int, float, float], tuple] = {}  # `_segment`'s
        self._committed: dict[int, StrategicPlan] = {}
        self._ends: dict[int, float] = {}
        self._zone_from: dict[int, float] = {}  # zones reserved by `reserve_zone`: from when
        self._reserve_zones()

    def _set_speeds(
        self, cruise_speed_mps: float, climb_rate_mps: float, descent_rate_mps: float, blocked
    ) -> None:
        """Move durations from the speeds, and the search over ``blocked`` with them."""
        ranges = self.layer_ranges_m
        gaps = [b[0] - a[1] for a, b in zip(ranges, ranges[1:])]
        self.straight_s = self.cell_size_m / cruise_speed_mps
        self.diagonal_s = self.straight_s * math.sqrt(2.0)
        self.climb_s = max(gaps) / climb_rate_mps
        self.descent_s = max(gaps) / descent_rate_mps
        self.lift_s = self.handover_height_m / climb_rate_mps
        self.land_s = self.handover_height_m / descent_rate_mps
        self.moves = drone_moves(
            3,
            horizontal_s=self.straight_s,
            diagonal_s=self.diagonal_s,
            climb_s=self.climb_s,
            descent_s=self.descent_s,
            connectivity=self.connectivity,
        )
        self.sipp = SippPlanner(blocked, self.moves)

    def sharing_table(
        self, *, cruise_speed_mps: float, climb_rate_mps: float, descent_rate_mps: float
    ) -> StrategicPlanner:
        """A planner for another aircraft type (a mixed fleet) over the same airspace and
        with the same separation, sharing this one's reservation table, committed plans and
        zone reservations (so each type plans around every other's), with its own move
        durations, search and heuristic fields. Pads must be prepared on it again
        (`prepare_pads`).

        Raises
        ------
        DeconflictionError
            A speed or rate that is not > 0.
        """
        for name, value in (
            ("cruise_speed_mps", cruise_speed_mps),
            ("climb_rate_mps", climb_rate_mps),
            ("descent_rate_mps", descent_rate_mps),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise DeconflictionError(f"strategic planner: {name} must be > 0, got {value!r}")
        # A shallow copy shares table, _committed, _ends and _zone_from (this class's own
        # object: its private fields are ours to reset).
        other = copy.copy(self)
        other._fields = OrderedDict()  # noqa: SLF001
        other._plane_fields = {}  # noqa: SLF001
        other._pad_groups = {}  # noqa: SLF001
        other._pad_columns = {}  # noqa: SLF001
        other._segments = {}  # noqa: SLF001
        other._set_speeds(  # noqa: SLF001
            cruise_speed_mps,
            climb_rate_mps,
            descent_rate_mps,
            self.sipp.blocked.reshape(self.shape),
        )
        return other

    # ----------------------------------------------------------------- table
    def _reserve_zones(self) -> None:
        for mask in self.airspace.temporary_masks:
            zone = self.airspace.zones[mask.zone_index]
            if zone.unannounced:
                continue  # not known ahead: `reserve_zone` when it switches on
            t0 = -1e300 if zone.active_from_s is None else zone.active_from_s
            t1 = math.inf if zone.active_until_s is None else zone.active_until_s
            layers = [int(k) + 1 for k in mask.layers]
            if 0 in mask.layers and zone.floor_m <= self.handover_height_m:
                layers.append(0)
            cells = np.asarray(layers, np.int64)[:, None] * self.plane + mask.flat_cells[None, :]
            cells = cells.reshape(-1)
            if cells.size == 0:
                continue
            owner = ZONE_OWNER + mask.zone_index
            self.table.reserve(owner, cells, t0, t1, inflate=False)
            self._ends[owner] = t1

    def release(self, trip_id: int) -> int:
        """Remove the reservations of trip ``trip_id`` (flown or replaced); returns the
        number of table slots freed."""
        self._committed.pop(int(trip_id), None)
        self._ends.pop(int(trip_id), None)
        return self.table.release(int(trip_id))

    def release_before(self, t_s: float) -> list[int]:
        """Remove every owner (trip or zone) whose reservations, buffer included, all end
        at or before ``t_s`` seconds; returns the owners removed, sorted."""
        gone = sorted(owner for owner, end in self._ends.items() if end <= t_s)
        for owner in gone:
            self._committed.pop(owner, None)
            del self._ends[owner]
            self.table.release(owner)
        return gone

    @property
    def committed(self) -> dict[int, StrategicPlan]:
        """The committed plans by trip id (a copy)."""
        return dict(self._committed)

    def prepare_pads(self, pads_xy, groups=None) -> None:
        """Compute (and cache) the heuristics of landings on these pads now, e.g. at set-up,
        rather than at their first trip.

        Parameters
        ----------
        pads_xy : array_like, shape (n, 2)
            Pad positions, metres.
        groups : array_like of int, shape (n,), optional
            Pads with the same label (a depot's) share one column field: the seconds to
            the nearest of them (see module); default: one field per pad.
        """
        pads = np.asarray(pads_xy, np.float64).reshape(-1, 2)
        labels = np.arange(len(pads)) if groups is None else np.asarray(groups).reshape(-1)
        if labels.shape != (len(pads),):
            raise DeconflictionError(
                f"strategic planner: {len(pads)} pads but {labels.size} group labels"
            )
        members: dict[int, list[int]] = {}
        for (x, y), label in zip(pads, labels.tolist()):
            j, i = self.column_of(x, y)
            if j < 0:
                raise DeconflictionError(
                    f"strategic planner: pad ({x:g}, {y:g}) lies outside the grid"
                )
            column = j * self.shape[2] + i
            if self.heuristic == "field":
                self._field((column,))
                continue
            members.setdefault(label, []).append(column)
        # One search from all of a group's pads: the exact seconds to the nearest of them
        # (legs that may land on any), and a bound for a landing on each; the groups' searches
        # side by side.
        keys = [tuple(sorted(set(columns))) for columns in members.values()]
        missing = list(dict.fromkeys(k for k in keys if k not in self._plane_fields))
        for key, plane in zip(missing, self.sipp.plane_fields(missing), strict=True):
            self._plane_fields[key] = plane
        for key, columns in zip(keys, members.values(), strict=True):
            for column in columns:
                self._pad_groups[column] = key

    # ----------------------------------------------------------------- helpers
    def column_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        """Grid column ``(row, col)`` holding a point (metres); ``(-1, -1)`` outside."""
        # `Airspace.cell_of`'s arithmetic on scalars (called per stop and per waypoint).
        a = self.airspace
        u = (float(x_m) - a.origin_m[0]) / a.cell_size_m
        v = (float(y_m) - a.origin_m[1]) / a.cell_size_m
        if not (math.isfinite(u) and math.isfinite(v)):
            return (-1, -1)
        i, j = math.floor(u), math.floor(v)
        return (j, i) if 0 <= i < a.nx and 0 <= j < a.ny else (-1, -1)

    def _cached(self, key, compute) -> np.ndarray:
        """A field from the least-recently-used cache (``field_cache`` entries)."""
        cached = self._fields.get(key)
        if cached is not None:
            self._fields.move_to_end(key)
            return cached
        field = self._fields[key] = compute()
        while len(self._fields) > self.field_cache:
            self._fields.popitem(last=False)
        return field

    def _field(self, goals: tuple[int, ...]) -> np.ndarray:
        """The exact 3D distance field to the nearest of the low-column cells ``goals``
        (``heuristic="field"``)."""

        def compute():
            blocked = self.sipp.blocked
            index = np.asarray(goals, np.int64)
            was = blocked[index].copy()
            blocked[index] = 0
            try:
                return self.sipp.distance_field(*goals)
            finally:
                blocked[index] = was

        return self._cached(("3d", goals), compute)

    def _heuristic(self, goals: tuple[int, ...], pad_goal: bool, start: int):
        """Seconds-to-goal lower bound of a leg from ``start`` to the nearest of the
        low-column cells ``goals`` (see module): an array or a `LayeredHeuristic`."""
        if self.heuristic == "field":
            return self._field(goals)
        goal = goals[0]
        if pad_goal:
            # The column field to the nearest of the goals (low-column cells are their
            # columns); one prepared pad uses its depot's, a bound for it.
            key = tuple(sorted(set(goals)))
            if len(key) == 1:
                key = self._pad_groups.get(goal, key)
            field = self._plane_fields.get(key)
            if field is None:
                field = self._cached(("plane", key), lambda: self.sipp.plane_field(key))
            return self.sipp.field_heuristic(goal, field, vertical_ends=True)
        if self.heuristic == "octile":
            return self.sipp.octile_heuristic(goal, vertical_ends=True)
        return self.sipp.reverse_heuristic(goal, start, self.reverse_slack_s, vertical_ends=True)

    def _intervals_from(self, cell: int, t: float, segment=None):
        """Safe intervals of ``cell`` ending after ``t`` (for a drone on ``segment``)."""
        return [(lo, hi) for lo, hi in self.table.safe_intervals(cell, segment) if hi > t]

    # ----------------------------------------------------------------- one leg
    def _leg(self, start_col, goal_col, t_ready, from_ground: bool, goal_hold_s: float,
             pad_goal: bool, arrive_by_s: float = math.inf, budget: int | None = None,
             start_xy=None, goal_xy=None):  # fmt: skip
        """Plan one leg between low-column cells (flat column indices).

        ``start_col`` and ``goal_col`` are one cell or a list of alternatives (e.g. a
        depot's pads), ``t_ready`` one time or one per start: a single search finds the
        earliest arrival at any goal from any start (`SippPlanner.plan_many`).

        ``start_xy`` and ``goal_xy`` (dicts, low-column cell -> stop point, metres) say
        where the drone stays in those cells: they are then queried with their segments
        (`_segment`), so that plans at stops far enough apart do not block each other
        through the footprint.

        Returns ``(status, visits, t_lift, expansions)``: visits are ``(cell, arrive_s,
        enter_s)`` from the chosen start's low column to the chosen goal's; ``t_lift`` is
        the lift-off (``from_ground``) or None.
        """
        starts = [int(c) for c in np.atleast_1d(start_col)]
        segments: dict[int, tuple[float, float, float, float] | None] = {}
        for known in (start_xy or {}, goal_xy or {}):
            for cell, xy in known.items():
                where = (cell, float(xy[0]), float(xy[1]))
                seg = self._segments.get(where)
                if seg is None:
                    seg = self._segment(cell, xy)
                    if len(self._segments) < _PAD_COLUMNS_KEPT:
                        self._segments[where] = seg
                # A cell that is both a start and a goal at two points: no one segment.
                segments[cell] = seg if segments.get(cell, seg) == seg else None
        segments = {cell: seg for cell, seg in segments.items() if seg is not None}
        if isinstance(t_ready, (int, float, np.integer, np.floating)):
            readies = [float(t_ready)] * len(starts)
        else:
            readies = [float(t) for t in t_ready]
            if len(readies) != len(starts):
                raise DeconflictionError(
                    f"strategic planner: {len(readies)} ready times for {len(starts)} starts"
                )
        goals = tuple(int(c) for c in np.atleast_1d(goal_col))
        goal_set = set(goals)
        blocked = self.sipp.blocked
        opened = sorted(goal_set | set(starts))
        was = blocked[opened].copy()
        # Low columns are left and entered vertically only (``low_vertical``), so opening
        # every start and goal column cannot let a drone cross at the hand-over height.
        blocked[opened] = 0
        h = None
        patched: dict[int, float] = {}
        try:
            h = self._heuristic(goals, pad_goal, starts[0] + self.plane)
            # Entries into the leg: (SIPP start cell, its time, prefix visits, lift-off,
            # the first visit).
            candidates = []
            windows = self.table.safe_intervals_many(starts, [segments.get(s) for s in starts])
            for start, ready, intervals in zip(starts, readies, windows):
                above = start + self.plane
                entries = []
                if from_ground:
                    for lo, hi in intervals:
                        if hi <= ready + self.lift_s:
                            continue
                        t_lift = max(ready, lo)
                        if t_lift + self.lift_s < hi:
                            entries.append((t_lift, t_lift + self.lift_s, hi))
                else:
                    for lo, hi in intervals:
                        if lo <= ready < hi:
                            entries.append((None, ready, hi))
                for t_lift, t_in, hi_start in entries:
                    first = (start, t_in, t_lift if t_lift is not None else t_in)
                    if start not in goal_set:
                        candidates.append((start, t_in, [], t_lift, first))
                        continue
                    # A goal in the start's own column: climb out of it first (the leg
                    # flies at least up to the cruise layer and back).
                    for lo, hi in self._intervals_from(above, t_in + self.climb_s):
                        t_dep = max(t_in, lo)
                        if t_dep + self.climb_s > hi_start:
                            break
                        if t_dep + self.climb_s >= hi:
                            continue
                        climb = (above, t_dep + self.climb_s, t_dep)
                        candidates.append((above, t_dep + self.climb_s, [climb], t_lift, first))
            # An exact 3D field is made with only the goals' low columns open: give each
            # start its bound through the column above (layered bounds need nothing).
            if isinstance(h, np.ndarray):
                for start in starts:
                    if start not in goal_set and start not in patched:
                        patched[start] = h[start]
                        h[start] = self.climb_s + h[start + self.plane]

            bounds: dict[int, float] = {}

            def bound(cell):
                value = bounds.get(cell)
                if value is None:
                    value = bounds[cell] = self.sipp.heuristic_at(h, cell)
                return value

            candidates = [c for c in candidates if bound(c[0]) < math.inf]
            if not any(bound(s + self.plane) < math.inf for s in starts):
                return StrategicStatus.NO_ROUTE, None, None, 0
            candidates = [c for c in candidates if c[1] + bound(c[0]) < arrive_by_s]
            if not candidates:
                return StrategicStatus.NO_SLOT, None, None, 0
            result = self.sipp.plan_many(
                self.table, [(c[0], c[1]) for c in candidates], list(goals), heuristic=h,
                goal_hold_s=goal_hold_s, arrive_by_s=arrive_by_s, low_vertical=True,
                segments=segments,
                max_expansions=self.max_expansions if budget is None else budget,
            )  # fmt: skip
        finally:
            for start, value in patched.items():
                h[start] = value
            blocked[opened] = was
        if result.status == SippStatus.LIMIT:
            return StrategicStatus.LIMIT, None, None, result.expansions
        if result.status != SippStatus.FOUND:
            return StrategicStatus.NO_SLOT, None, None, result.expansions
        cell0, t0 = int(result.cells[0]), float(result.arrive_s[0])
        _, _, prefix, t_lift, first = next(c for c in candidates if c[0] == cell0 and c[1] == t0)
        visits = [first, *prefix] if prefix else [first]
        visits += list(zip(result.cells.tolist(), result.arrive_s.tolist(),
                           result.enter_s.tolist()))[1:]  # fmt: skip
        return StrategicStatus.FOUND, visits, t_lift, result.expansions

    # ----------------------------------------------------------------- in flight
    def reserve_zone(self, zone_index: int, t_from_s: float) -> None:
        """Reserve temporary zone ``zone_index`` (an unannounced one that switched on) from
        ``t_from_s`` seconds to the end of its window, uninflated, under ``ZONE_OWNER +
        zone_index`` (as the known zones are at set-up). Reserving it again replaces it."""
        zone = self.airspace.zones[int(zone_index)]
        owner = ZONE_OWNER + int(zone_index)
        self.table.release(owner)
        t1 = math.inf if zone.active_until_s is None else zone.active_until_s
        cells = self._zone_cells(int(zone_index))
        if cells.size == 0 or not t1 > t_from_s:
            return
        self.table.reserve(owner, cells, float(t_from_s), t1, inflate=False)
        self._ends[owner] = t1
        self._zone_from[owner] = float(t_from_s)

    def _zone_cells(self, zone_index: int) -> np.ndarray:
        """Flat table cells of a temporary zone's raster (as `_reserve_zones` reserves)."""
        zone = self.airspace.zones[zone_index]
        mask = next(m for m in self.airspace.temporary_masks if m.zone_index == zone_index)
        layers = [int(k) + 1 for k in mask.layers]
        if 0 in mask.layers and zone.floor_m <= self.handover_height_m:
            layers.append(0)
        cells = np.asarray(layers, np.int64)[:, None] * self.plane + mask.flat_cells[None, :]
        return cells.reshape(-1)

    def in_zone(self, cell: int, zone_index: int) -> bool:
        """Whether flat table ``cell`` is in temporary zone ``zone_index``'s raster."""
        return bool(np.any(self._zone_cells(int(zone_index)) == int(cell)))

    def exit_cell(self, cell: int, zones: Sequence[int]) -> int:
        """The cell nearest ``cell`` (fewest horizontal moves on its layer, ties by index)
        outside the rasters of temporary ``zones`` and free of static obstacles; ``cell``
        itself when outside; -1 when none is reachable."""
        inside = np.zeros(self.sipp.blocked.size, bool)
        for k in zones:
            inside[self._zone_cells(int(k))] = True
        if not inside[cell]:
            return int(cell)
        ny, nx = self.shape[1:]
        layer = cell - cell % self.plane
        seen = {int(cell)}
        frontier = [int(cell)]
        while frontier:
            following = []
            for c in frontier:
                j, i = divmod(c - layer, nx)
                for dj in (-1, 0, 1):
                    for di in (-1, 0, 1):
                        jj, ii = j + dj, i + di
                        if not (0 <= jj < ny and 0 <= ii < nx):
                            continue
                        n = layer + jj * nx + ii
                        if n in seen or self.sipp.blocked[n]:
                            continue
                        seen.add(n)
                        following.append(n)
            outside = sorted(n for n in following if not inside[n])
            if outside:
                return outside[0]
            frontier = sorted(n for n in following)
        return -1

    def _escape_leg(self, start: int, goal: int, t0: float, zones: Sequence[int]):
        """SIPP from ``start`` at ``t0`` to the cruise cell ``goal`` with the reservations
        of temporary ``zones`` lifted for this search only (a way out of them, as
        `sim.routing.LayerRouter.escape` lifts them); ``(status, visits, expansions)``."""
        lifted = []
        for k in zones:
            owner = ZONE_OWNER + int(k)
            zone = self.airspace.zones[int(k)]
            default = -1e300 if zone.active_from_s is None else zone.active_from_s
            lifted.append((int(k), self._zone_from.get(owner, default)))
            self.table.release(owner)
        try:
            h = self.sipp.octile_heuristic(goal)
            result = self.sipp.plan(
                self.table, start, goal, t0_s=t0, heuristic=h, goal_hold_s=0.0,
                max_expansions=self.max_expansions,
            )  # fmt: skip
        finally:
            for k, t_from in lifted:
                zone = self.airspace.zones[k]
                t1 = math.inf if zone.active_until_s is None else zone.active_until_s
                cells = self._zone_cells(k)
                if cells.size and t1 > t_from:
                    self.table.reserve(ZONE_OWNER + k, cells, t_from, t1, inflate=False)
        if result.status != SippStatus.FOUND:
            status = (
                StrategicStatus.LIMIT
                if result.status == SippStatus.LIMIT
                else StrategicStatus.NO_SLOT
            )
            return status, None, result.expansions
        visits = list(zip(result.cells.tolist(), result.arrive_s.tolist(),
                          result.enter_s.tolist()))  # fmt: skip
        return StrategicStatus.FOUND, visits, result.expansions

    def waypoint(self, cell: int, xy=None) -> tuple[float, float, float]:
        """Where a plan flies in flat table ``cell``: a cruise cell's centre, or ``xy``
        (metres) at the hand-over height in a low column."""
        return self._position_at(int(cell), xy)

    def cruise_cell(self, x_m: float, y_m: float, z_m: float) -> int:
        """The flat table cell whose waypoint is ``(x, y, z)`` (metres): a cruise layer's
        cell centre; -1 for any other point."""
        layers = np.asarray(self.airspace.layers_m, np.float64)
        k = np.flatnonzero(layers == z_m)
        j, i = self.column_of(x_m, y_m)
        if len(k) != 1 or j < 0:
            return -1
        cx, cy, _ = self.airspace.cell_centre(int(k[0]), j, i)
        if float(cx) != x_m or float(cy) != y_m:
            return -1
        return (int(k[0]) + 1) * self.plane + j * self.shape[2] + i

    def _kept(self, trip_id: int, t_cut_s: float):
        """The committed occupancy of ``trip_id`` before ``t_cut_s``, clipped there."""
        old = self._committed[trip_id]
        keep = (old.t_from_s < t_cut_s) & (np.minimum(old.t_to_s, t_cut_s) > old.t_from_s)
        return (old.cells[keep], old.t_from_s[keep], np.minimum(old.t_to_s[keep], t_cut_s))

    def commit(self, plan: StrategicPlan) -> StrategicPlan:
        """Commit a found plan (from `plan_trip`, or one found with ``commit=False`` by
        `replan_airborne` or `hold`), replacing the trip's committed plan; nothing else may
        have been reserved since it was planned."""
        trip_id = plan.trip_id
        self.table.release(trip_id)
        self._reserve(plan)
        plan = _replace(plan, committed=True)
        self._committed[trip_id] = plan
        self._ends[trip_id] = float(plan.t_to_s.max()) + self.time_buffer_s
        return plan

    def _reserve(self, plan: StrategicPlan) -> None:
        self.table.reserve(plan.trip_id, plan.cells, plan.t_from_s, plan.t_to_s,
                           segments=plan.segments)  # fmt: skip

    def _segment(self, cell: int, xy) -> tuple[float, float, float, float]:
        """Where a drone stays in low-column ``cell`` at the stop point ``xy``: the segment
        from the point to the column's centre (lift-off, hover and landing at the point,
        the hop to the centre at cruise altitude)."""
        j, i = divmod(int(cell) % self.plane, self.shape[2])
        x0, y0 = self.airspace.origin_m
        centre = (x0 + (i + 0.5) * self.cell_size_m, y0 + (j + 0.5) * self.cell_size_m)
        return (float(xy[0]), float(xy[1]), *centre)

    def replan_airborne(
        self,
        trip_id: int,
        start_cell: int,
        t_cut_s: float,
        stops: Sequence[Stop],
        end_xy: tuple[float, float],
        *,
        deadline_s: float = math.inf,
        commit: bool = True,
        leaving: Sequence[int] = (),
        start_xy: tuple[float, float] | None = None,
    ) -> StrategicPlan:
        """Replan committed trip ``trip_id`` in flight from ``start_cell`` at ``t_cut_s``
        (see module: the occupancy before the cut is kept).

        Parameters
        ----------
        trip_id : int
            A committed trip.
        start_cell : int
            Flat table cell the drone is in at ``t_cut_s`` on its committed plan: a
            cruise cell (`cruise_cell`), or a low-column cell where it hovers at the
            hand-over height (then ``start_xy`` is that point; it climbs out from there).
        t_cut_s : float
            Seconds.
        stops : sequence of Stop
            The stops still to fly, in order.
        end_xy : (float, float)
            The pad to land on, metres.
        deadline_s : float
            Latest landing, seconds.
        commit : bool
            Replace the committed plan when found (else see `commit`).
        start_xy : (float, float), optional
            The hover point of a low-column ``start_cell``, metres.
        leaving : sequence of int
            Temporary zones the drone is inside (a cruise ``start_cell`` only): the plan first flies to the nearest cell
            outside their rasters (`exit_cell`) with their reservations lifted for that
            search only (`_escape_leg`), then on with them in place.

        Returns
        -------
        StrategicPlan
            Its ``waypoints`` start at the cut (the cell's centre at ``t_cut_s``); its
            cells and intervals are the whole trip's (the kept part included). When not
            found the committed plan is unchanged.
        """
        trip_id = int(trip_id)
        if trip_id not in self._committed:
            raise DeconflictionError(f"strategic planner: trip {trip_id} is not committed")
        low = 0 <= start_cell < self.plane
        if not 0 <= start_cell < self.sipp.blocked.size or (low and (start_xy is None or leaving)):
            raise DeconflictionError(
                f"strategic planner: start_cell must be a cruise cell, or a low-column cell "
                f"with start_xy and no zones to leave, got {start_cell!r}"
            )
        points = [(float(s.x_m), float(s.y_m), float(s.hold_s), bool(s.land)) for s in stops]
        points.append((float(end_xy[0]), float(end_xy[1]), 0.0, True))
        columns = []
        for x, y, _, _ in points:
            j, i = self.column_of(x, y)
            col = j * self.shape[2] + i
            if j < 0 or self.sipp.blocked[col + self.plane]:
                return self._refused(trip_id, t_cut_s, StrategicStatus.NO_ROUTE,
                                     f"no free column at ({x:.1f}, {y:.1f})")  # fmt: skip
            columns.append(col)
        kept = self._kept(trip_id, t_cut_s)
        old = self._committed[trip_id]
        self.table.release(trip_id)
        try:
            plan = self._plan_airborne(trip_id, int(start_cell), float(t_cut_s), points,
                                       columns, deadline_s, tuple(leaving),
                                       start_xy)  # fmt: skip
        finally:
            self._reserve(old)
        if plan.status != StrategicStatus.FOUND:
            return plan
        plan = _replace(
            plan,
            cells=np.concatenate([kept[0], plan.cells]),
            t_from_s=np.concatenate([kept[1], plan.t_from_s]),
            t_to_s=np.concatenate([kept[2], plan.t_to_s]),
            segments=None,  # the kept part's are not carried: the footprint decides
        )
        return self.commit(plan) if commit else plan

    def hold(self, trip_id: int, cell: int, t_cut_s: float, until_s: float, xy=None,
             position=None, only_if_clear: bool = False):  # fmt: skip
        """Commit a hover of trip ``trip_id`` in table cell ``cell`` from ``t_cut_s`` to
        ``until_s`` seconds, after its committed occupancy before the cut (``xy``: the
        hover point of a low-column ``cell``, metres). With ``cell = -1`` the drone
        hovers at ``position`` (metres), where its committed plan has it at ``t_cut_s``,
        and the cells that plan occupies then are held. With ``only_if_clear`` nothing
        changes unless the hold is clear (then ``plan`` is None).

        Returns
        -------
        plan : StrategicPlan
            Committed; waypoints: the hover.
        clear : bool
            Whether no other trip's reservation meets the hover (every plan committed
            earlier keeps clear of it for its whole length; zones do not count).
        """
        trip_id = int(trip_id)
        if cell < 0:
            old = self._committed[trip_id]
            now = (old.t_from_s <= t_cut_s) & (old.t_to_s > t_cut_s)
            cells = np.unique(old.cells[now])
            pos = tuple(float(v) for v in position)
        else:
            cells = np.array([cell], np.int64)
            pos = self._position_at(int(cell), xy)
        kept = self._kept(trip_id, t_cut_s)
        old = self._committed[trip_id]
        self.table.release(trip_id)
        # Clear of every other plan (zones are not plans: the hover's point is the
        # caller's to keep out of them).
        clear = not any(
            lo < until_s and hi > t_cut_s and owner < _HOLD_OWNER
            for c in cells
            for lo, hi, owner in self.table.reservations(int(c))
        )
        if only_if_clear and not clear:
            self._reserve(old)
            return None, False
        plan = StrategicPlan(
            StrategicStatus.FOUND, "", trip_id,
            np.array([(t_cut_s, *pos), (until_s, *pos)], np.float64), float(t_cut_s),
            depart_s=float(t_cut_s), arrival_s=math.inf, hover_s=float(until_s - t_cut_s),
            cells=np.concatenate([kept[0], cells]),
            t_from_s=np.concatenate([kept[1], np.full(len(cells), float(t_cut_s))]),
            t_to_s=np.concatenate([kept[2], np.full(len(cells), float(until_s))]),
        )  # fmt: skip
        return self.commit(plan), clear

    def _air_leg(self, start: int, goal: int, t0: float, goal_hold_s: float, pad_goal: bool):
        """SIPP from cruise cell ``start`` at ``t0`` (airborne) to the low-column cell
        ``goal``; returns ``(status, visits, expansions)``."""
        blocked = self.sipp.blocked
        blocked[goal] = 0
        try:
            h = self._heuristic((goal,), pad_goal, start)
            if not self.sipp.heuristic_at(h, start) < math.inf:
                return StrategicStatus.NO_ROUTE, None, 0
            result = self.sipp.plan(
                self.table, start, goal, t0_s=t0, heuristic=h, goal_hold_s=goal_hold_s,
                max_expansions=self.max_expansions,
            )  # fmt: skip
        finally:
            blocked[goal] = 1
        if result.status == SippStatus.LIMIT:
            return StrategicStatus.LIMIT, None, result.expansions
        if result.status != SippStatus.FOUND:
            return StrategicStatus.NO_SLOT, None, result.expansions
        visits = list(zip(result.cells.tolist(), result.arrive_s.tolist(),
                          result.enter_s.tolist()))  # fmt: skip
        return StrategicStatus.FOUND, visits, result.expansions

    def _plan_airborne(self, trip_id, start_cell, t_cut, points, columns, deadline_s,
                       leaving=(), start_xy=None):  # fmt: skip
        """`_plan_once` from a cruise cell in the air: the way out of ``leaving`` zones by
        `_escape_leg`, the first leg by `_air_leg`, the others by `_leg`; assembled by
        `_assemble` with the airborne start's ground waypoint removed."""
        why = {
            StrategicStatus.LIMIT: "expansion limit",
            StrategicStatus.NO_ROUTE: "no route even in an empty sky",
            StrategicStatus.NO_SLOT: "no conflict-free slot",
        }
        hold = self.land_s if points[0][3] else points[0][2] + self.climb_s
        if start_cell < self.plane:
            # Hovering in a low column (after a drop-off): the first leg climbs out of it
            # as a leg from a hover stop does.
            status, leg, _, expansions = self._leg(
                start_cell, columns[0], t_cut, False, hold, points[0][3]
            )
            if status != StrategicStatus.FOUND:
                return self._refused(trip_id, t_cut, status, f"{why[status]} for leg 1",
                                     expansions)  # fmt: skip
            last = len(leg) - 1
            visits = [(start_cell, t_cut, t_cut, tuple(start_xy))]
            visits += [
                (c, a, e, points[0][:2] if n == last else tuple(start_xy) if c == start_cell else None)
                for n, (c, a, e) in enumerate(leg) if n > 0
            ]  # fmt: skip
            return self._plan_rest(trip_id, t_cut, points, columns, deadline_s, visits,
                                   expansions, tuple(start_xy))  # fmt: skip
        centre = self._position_at(start_cell, None)[:2]
        visits = [(start_cell, t_cut, t_cut, centre)]
        expansions = 0
        out = self.exit_cell(start_cell, leaving) if leaving else start_cell
        if out < 0:
            return self._refused(trip_id, t_cut, StrategicStatus.NO_ROUTE,
                                 "no way out of the zone")  # fmt: skip
        # The way out ends where the first leg can start: when the first leg finds no slot
        # from the exit (the sky there fills up at once), arrivals at the exit are
        # forbidden over a doubling window after the failed one and the way out planned
        # again (as `_plan` backtracks).
        forbid = None
        for _ in range(_BACKTRACKS if out != start_cell else 1):
            way = [(start_cell, t_cut, t_cut)]
            if out != start_cell:
                try:
                    if forbid is not None:
                        self.table.reserve(_HOLD_OWNER, [out], *forbid, inflate=False)
                    status, way, used = self._escape_leg(start_cell, out, t_cut, leaving)
                finally:
                    self.table.release(_HOLD_OWNER)
                expansions += used
                if status != StrategicStatus.FOUND:
                    return self._refused(trip_id, t_cut, status,
                                         f"{why[status]} out of the zone", expansions)  # fmt: skip
            t_first = way[-1][1]
            status, leg, used = self._air_leg(out, columns[0], t_first, hold, points[0][3])
            expansions += used
            if status != StrategicStatus.NO_SLOT or out == start_cell:
                break
            t0, t1 = forbid if forbid is not None else (t_first, t_first)
            forbid = (t0, t1 + max(_BACKTRACK_STEP_S, 2.0 * (t1 - t0)))
        if status != StrategicStatus.FOUND:
            return self._refused(trip_id, t_cut, status, f"{why[status]} for leg 1", expansions)
        visits += [(c, a, e, None) for c, a, e in way[1:]]
        visits += [(c, a, e, points[0][:2] if c == columns[0] else None) for c, a, e in leg[1:]]
        return self._plan_rest(trip_id, t_cut, points, columns, deadline_s, visits,
                               expansions, centre)  # fmt: skip

    def _plan_rest(self, trip_id, t_cut, points, columns, deadline_s, visits, expansions,
                   start_xy):  # fmt: skip
        """The legs after the first (``visits``: the first flight so far, ending at stop
        0), as `_plan_once` plans them; assembled."""
        why = {
            StrategicStatus.LIMIT: "expansion limit",
            StrategicStatus.NO_ROUTE: "no route even in an empty sky",
            StrategicStatus.NO_SLOT: "no conflict-free slot",
        }
        flights = []
        t_lift_flight = ground_ready = t_cut
        arrive = visits[-1][1]
        rest = self._remaining_all(points, columns)
        for k in range(len(columns)):
            if arrive + rest[k] > deadline_s:
                return self._refused(trip_id, t_cut, StrategicStatus.DEADLINE,
                                     f"earliest landing after the deadline ({deadline_s:g} s)",
                                     expansions)  # fmt: skip
            here = points[k]
            if here[3]:
                flights.append((t_lift_flight, ground_ready, visits, arrive + self.land_s))
                t = arrive + self.land_s + here[2]
                ground_ready = t
                from_ground = True
            else:
                t = arrive + here[2]
                from_ground = False
            if k + 1 == len(columns):
                break
            nxt = points[k + 1]
            hold = self.land_s if nxt[3] else nxt[2] + self.climb_s
            status, leg, t_lift, used = self._leg(
                columns[k], columns[k + 1], t, from_ground, hold, nxt[3]
            )
            expansions += used
            if status != StrategicStatus.FOUND:
                return self._refused(trip_id, t_cut, status, f"{why[status]} for leg {k + 2}",
                                     expansions)  # fmt: skip

            last = len(leg) - 1

            def where(n, cell, k=k, nxt=nxt, last=last):
                # The leg ends at the next stop's point, even when both stops share a
                # column; other low-column visits are at this stop's point.
                if n == last:
                    return nxt[:2]
                return points[k][:2] if cell == columns[k] else None

            if from_ground:
                t_lift_flight = t_lift
                visits = [(leg[0][0], leg[0][1], leg[0][2], points[k][:2])]
            visits += [(c, a, e, where(n, c)) for n, (c, a, e) in enumerate(leg) if n > 0]
            arrive = leg[-1][1]
        stops = [(start_xy[0], start_xy[1], 0.0, False), *points]
        plan = self._assemble(trip_id, t_cut, flights, stops, expansions)
        wp = plan.waypoints
        first = 0
        while first < len(wp) and wp[first, 3] == 0.0 and wp[first, 0] <= t_cut:
            first += 1  # the airborne start's ground waypoint (there is no lift-off)
        return _replace(plan, waypoints=wp[first:], depart_s=float(t_cut))

    # ----------------------------------------------------------------- trips
    def plan_trip(
        self,
        trip_id: int,
        start_xy: tuple[float, float],
        stops: Sequence[Stop],
        end_xy: tuple[float, float],
        *,
        ready_s: float,
        deadline_s: float = math.inf,
        commit: bool = True,
        max_expansions: int | None = None,
    ) -> StrategicPlan:
        """Plan a trip from the pad at ``start_xy`` (on the ground, ready at ``ready_s``)
        through ``stops`` to a landing on the pad at ``end_xy``.

        Parameters
        ----------
        trip_id : int
            Owner of the reservations, ``0 <= trip_id < ZONE_OWNER``. A trip id already
            committed is replanned: its old plan is ignored while planning and kept when
            no new plan is found.
        start_xy, end_xy : (float, float) or sequence of them
            Pads, metres; given several (e.g. a depot's pads), the search picks the one
            that lands earliest (ties: the first found).
        ready_s : float or sequence of float
            Earliest lift-off, seconds (one per start pad when several).
        stops : sequence of Stop
            Drop-offs (hover) and pickups (land), in flying order.
        deadline_s : float
            Latest landing, seconds.
        commit : bool
            Reserve the plan when found.
        max_expansions : int, optional
            Expansion limit of each search of this call (default: the planner's).

        Returns
        -------
        StrategicPlan
        """
        if int(trip_id) != trip_id or not 0 <= trip_id < _HOLD_OWNER:
            raise DeconflictionError(
                f"strategic planner: trip_id must be an integer in [0, 2**62 - 1), got {trip_id!r}"
            )
        trip_id = int(trip_id)
        starts_xy = np.asarray(start_xy, np.float64).reshape(-1, 2)
        ends_xy = np.asarray(end_xy, np.float64).reshape(-1, 2)
        readies = np.asarray(ready_s, np.float64).reshape(-1)
        if len(readies) == 1:
            readies = np.repeat(readies, len(starts_xy))
        if len(readies) != len(starts_xy) or len(starts_xy) == 0 or len(ends_xy) == 0:
            raise DeconflictionError(
                f"strategic planner: {len(starts_xy)} start pads, {len(ends_xy)} end pads and "
                f"{np.size(ready_s)} ready times (one, or one per start pad)"
            )
        if not np.all(np.isfinite(readies)):
            raise DeconflictionError(f"strategic planner: ready_s must be finite, got {ready_s!r}")
        ready_s = float(readies.min())
        if math.isnan(deadline_s):
            raise DeconflictionError("strategic planner: deadline_s must not be NaN")
        for stop in stops:
            if not (math.isfinite(stop.hold_s) and stop.hold_s >= 0):
                raise DeconflictionError(
                    f"strategic planner: a stop's hold_s must be finite and >= 0, got {stop.hold_s!r}"
                )
        points = [(float(starts_xy[0, 0]), float(starts_xy[0, 1]), 0.0, True, math.inf)]
        points += [
            (float(s.x_m), float(s.y_m), float(s.hold_s), bool(s.land), float(s.latest_s))
            for s in stops
        ]
        points.append((float(ends_xy[0, 0]), float(ends_xy[0, 1]), 0.0, True, math.inf))
        columns = []
        alternatives = {}  # (stop index, low-column cell) of a start or end pad: its point
        groups = [starts_xy] + [None] * len(stops) + [ends_xy]
        for (x, y, *_), group in zip(points, groups):
            cols = []
            for gx, gy in [(x, y)] if group is None else group.tolist():
                col = self._pad_columns.get((gx, gy))  # pads recur trip after trip
                if col is None:
                    j, i = self.column_of(gx, gy)
                    if j < 0:
                        return self._refused(trip_id, ready_s, StrategicStatus.NO_ROUTE,
                                             f"({gx:.1f}, {gy:.1f}) lies outside the grid")  # fmt: skip
                    col = j * self.shape[2] + i
                    if self.sipp.blocked[col + self.plane]:
                        return self._refused(trip_id, ready_s, StrategicStatus.NO_ROUTE,
                                             f"the column at ({gx:.1f}, {gy:.1f}) is blocked")  # fmt: skip
                    if group is not None and len(self._pad_columns) < _PAD_COLUMNS_KEPT:
                        self._pad_columns[(gx, gy)] = col
                if group is not None:
                    alternatives.setdefault((len(columns), col), (gx, gy))
                cols.append(col)
            columns.append(cols[0] if group is None or len(cols) == 1 else cols)
        start_readies: dict[int, float] = {}  # start pad's low-column cell: its ready time
        for col, t in zip(np.atleast_1d(columns[0]).tolist(), readies.tolist()):
            start_readies[col] = min(t, start_readies.get(col, math.inf))
        if isinstance(columns[0], list):
            columns[0] = list(start_readies)
        old = self._committed.get(trip_id)
        plan = None
        if old is not None:
            self.table.release(trip_id)
        try:
            budget = self.max_expansions if max_expansions is None else int(max_expansions)
            plan = self._plan(trip_id, points, columns, start_readies, deadline_s, budget,
                              alternatives)  # fmt: skip
        finally:
            found = plan is not None and plan.status == StrategicStatus.FOUND
            if old is not None and not (commit and found):
                self._reserve(old)
        if plan.status == StrategicStatus.FOUND and commit:
            plan = self.commit(plan)  # the old plan's reservations are already released
        return plan

    def _refused(self, trip_id, ready_s, status, reason, expansions=0) -> StrategicPlan:
        return StrategicPlan(status, reason, trip_id, np.zeros((0, 4)), float(ready_s),
                             expansions=expansions)  # fmt: skip

    def _remaining_all(self, points, columns) -> list[float]:
        """Seconds from the arrival in each stop's low column to the final landing, in an
        empty sky (lower bounds for the deadline tests); each hop computed once, each
        stop's sum added up from that stop on."""
        nx = self.shape[2]
        last = len(columns) - 1
        hops = []  # per stop before the last: the seconds from its arrival to the next's
        for a in range(last):
            hold, land = points[a][2], points[a][3]
            # The nearest pair of alternatives (a lower bound), by the octile time.
            u = np.atleast_1d(np.asarray(columns[a], np.int64))[:, None]
            v = np.atleast_1d(np.asarray(columns[a + 1], np.int64))[None, :]
            dy = np.abs(u // nx - v // nx)
            dx = np.abs(u % nx - v % nx)
            short = np.minimum(dx, dy)
            flat = float(
                ((np.maximum(dx, dy) - short) * self.straight_s + short * self.diagonal_s).min()
            )
            hops.append((hold + (self.land_s + self.lift_s if land else 0.0), flat))
        rest = []
        for k in range(last + 1):
            total = 0.0
            for stay, flat in hops[k:]:
                total += stay
                total += self.climb_s + flat + self.descent_s
            rest.append(total + self.land_s)
        return rest

    def _plan(self, trip_id, points, columns, readies, deadline_s, budget,
              alternatives) -> StrategicPlan:  # fmt: skip
        """Plan leg by leg; when a leg out of a hover stop finds no slot (the greedy
        earliest arrival there led into a dead end: the sky around the stop fills up before
        the drone can leave), forbid arrivals at that stop over a doubling window after
        the failed one and plan again."""
        forbid: dict[int, tuple[float, float]] = {}
        expansions = 0
        for _ in range(_BACKTRACKS):
            try:
                for stop, (t0, t1) in forbid.items():
                    self.table.reserve(_HOLD_OWNER, [columns[stop]], t0, t1, inflate=False)
                plan, dead_end = self._plan_once(
                    trip_id, points, columns, readies, deadline_s, budget, alternatives
                )
            finally:
                self.table.release(_HOLD_OWNER)
            expansions += plan.expansions
            if dead_end is None:
                break
            stop, arrive = dead_end
            t0, t1 = forbid.get(stop, (arrive, arrive))
            forbid[stop] = (t0, t1 + max(_BACKTRACK_STEP_S, 2.0 * (t1 - t0)))
        return dataclasses.replace(plan, expansions=expansions)

    @staticmethod
    def _stop_points(columns, points, alternatives, k: int) -> dict:
        """Low-column cell -> point of stop ``k`` (each of its alternatives)."""
        return {
            col: alternatives.get((k, col), points[k][:2])
            for col in np.atleast_1d(columns[k]).tolist()
        }

    def _plan_once(self, trip_id, points, columns, readies, deadline_s, budget, alternatives):
        flights = []  # per airborne flight: (t_lift, on the ground since, visits, t_land)
        ready_s = min(readies.values())
        t = list(readies.values()) if isinstance(columns[0], list) else ready_s
        from_ground = True
        expansions = 0
        ground_ready = ready_s
        visits: list[tuple[int, float, float, tuple[float, float] | None]] = []
        t_lift_flight = math.nan
        rest = self._remaining_all(points, columns)
        if ready_s + rest[0] + self.lift_s > deadline_s:
            return self._refused(trip_id, ready_s, StrategicStatus.DEADLINE,
                                 f"landing after the deadline ({deadline_s:g} s) even in an empty sky"), None  # fmt: skip
        for k in range(len(columns) - 1):
            nxt = points[k + 1]
            land = nxt[3]
            hold = self.land_s if land else nxt[2] + self.climb_s
            # Arrivals after this cannot land by the deadline even in an empty sky.
            arrive_by = min(nxt[4], deadline_s - rest[k + 1])
            status, leg, t_lift, used = self._leg(
                columns[k], columns[k + 1], t, from_ground, hold, land, arrive_by, budget,
                self._stop_points(columns, points, alternatives, k),
                self._stop_points(columns, points, alternatives, k + 1),
            )  # fmt: skip
            expansions += used
            if status == StrategicStatus.NO_SLOT and from_ground and math.isfinite(arrive_by):
                status = StrategicStatus.DEADLINE
            if status != StrategicStatus.FOUND:
                why = {
                    StrategicStatus.DEADLINE: "no conflict-free slot early enough for the deadline",
                    StrategicStatus.LIMIT: "expansion limit",
                    StrategicStatus.NO_ROUTE: "no route even in an empty sky",
                    StrategicStatus.NO_SLOT: "no conflict-free slot",
                }[status]
                refused = self._refused(
                    trip_id, ready_s, status, f"{why} for leg {k + 1}", expansions
                )
                dead_end = (
                    (k, t - points[k][2])
                    if status == StrategicStatus.NO_SLOT and not from_ground
                    else None
                )
                return refused, dead_end

            # The stops' own points (of the pads chosen among alternatives).
            here_xy = alternatives.get((k, leg[0][0]), points[k][:2])
            next_xy = alternatives.get((k + 1, leg[-1][0]), nxt[:2])

            def where(cell, start=leg[0][0], end=leg[-1][0], here_xy=here_xy, next_xy=next_xy):
                # Low-column visits fly at the stop's own point, cruise visits at centres.
                if cell == start:
                    return here_xy
                if cell == end:
                    return next_xy
                return None

            if from_ground:
                t_lift_flight = t_lift
                if k == 0:
                    ready_s = ground_ready = readies[leg[0][0]]
                visits = [(leg[0][0], leg[0][1], leg[0][2], here_xy)]
            # The leg ends at the next stop's point even when both stops share a column
            # (e.g. a drop-off in the column of the pad the trip lands on).
            visits += [(c, a, e, where(c)) for c, a, e in leg[1:-1]]
            visits.append((*leg[-1], next_xy))
            arrive = leg[-1][1]
            if arrive > arrive_by + 1e-9:
                return self._refused(
                    trip_id, ready_s, StrategicStatus.DEADLINE,
                    f"earliest landing after the deadline ({deadline_s:g} s)", expansions,
                ), None  # fmt: skip
            if land:
                flights.append((t_lift_flight, ground_ready, visits, arrive + self.land_s))
                t = arrive + self.land_s + nxt[2]
                ground_ready = t
                from_ground = True
            else:
                t = arrive + nxt[2]
                from_ground = False
        return self._assemble(trip_id, ready_s, flights, points, expansions), None

    def _assemble(self, trip_id, ready_s, flights, points, expansions) -> StrategicPlan:
        """The plan from its flights (``(t_lift, on the ground since, visits, t_land)``,
        visits ``(cell, arrive_s, enter_s, xy)``): each flight's waypoints and occupancy
        computed with numpy over all its visits at once (one waypoint per visit, and one
        more at its end when the drone waits there)."""
        parts = []
        cells, t_from, t_to, segments = [], [], [], []
        hover_s = 0.0
        ground_total = 0.0
        last_land = None
        for t_lift, t_ground, visits, t_land in flights:
            c_list, a_list, e_list, xys = zip(*visits)
            c = np.array(c_list, np.int64)
            a = np.array(a_list, np.float64)
            e = np.array(e_list, np.float64)
            first_xy, last_xy = xys[0], xys[-1]
            if last_land is not None:
                ground_total += t_ground - last_land
            head = [(t_ground, first_xy[0], first_xy[1], 0.0)]
            if t_lift > t_ground:
                head.append((t_lift, first_xy[0], first_xy[1], 0.0))
            ground_total += t_lift - t_ground
            # A visit is left when the move into the next cell starts (the last one when
            # the landing starts).
            leave = np.empty_like(a)
            leave[:-1] = e[1:]
            leave[-1] = t_land - self.land_s
            e[0] = t_lift
            oc, of, ot = plan_occupancy(c, a, e, self.land_s)
            cells.append(oc)
            t_from.append(of)
            t_to.append(ot)
            seg = np.full((len(c), 4), np.nan)
            for k in np.flatnonzero(c < self.plane).tolist():
                seg[k] = self._segment(int(c[k]), xys[k])  # low columns have their point
            segments.append(seg)
            # Rows (arrive, position) and (leave, position) per visit, the second only
            # where the drone waits.
            rows = np.empty((len(c), 2, 4))
            rows[:, 0, 0] = a
            rows[:, 1, 0] = leave
            rows[:, :, 1:] = self._positions(c, xys)[:, None, :]
            wait = leave > a
            for seconds in (leave[wait] - a[wait]).tolist():
                hover_s += seconds  # in visit order, as the times were flown
            keep = np.ones((len(c), 2), bool)
            keep[:, 1] = wait
            parts += [np.array(head, np.float64), rows[keep],
                      np.array([(t_land, last_xy[0], last_xy[1], 0.0)], np.float64)]  # fmt: skip
            last_land = t_land
        holds_hover = sum(p[2] for p in points[1:-1] if not p[3])
        holds_ground = sum(p[2] for p in points[1:-1] if p[3])
        wp = np.concatenate(parts)
        return StrategicPlan(
            StrategicStatus.FOUND,
            "",
            trip_id,
            wp,
            float(ready_s),
            depart_s=float(flights[0][0]),
            arrival_s=float(wp[-1, 0]),
            # Sums of differences of times: clip the rounding noise below zero.
            ground_wait_s=max(0.0, float(ground_total - holds_ground)),
            hover_wait_s=max(0.0, float(hover_s - holds_hover)),
            hover_s=float(hover_s),
            cells=np.concatenate(cells),
            t_from_s=np.concatenate(t_from),
            t_to_s=np.concatenate(t_to),
            expansions=int(expansions),
            segments=np.concatenate(segments),
        )

    def _positions(self, cells: np.ndarray, xys) -> np.ndarray:
        """Waypoints ``(n, 3)`` (metres) of flat table ``cells``: a cruise cell's centre at
        its layer's altitude; ``xys[n]`` at the hand-over height in a low column."""
        a = self.airspace
        layer, rest = np.divmod(cells, self.plane)
        j, i = np.divmod(rest, self.shape[2])
        out = np.empty((len(cells), 3))
        # `Airspace.cell_centre`'s arithmetic; the low column's altitude is the hand-over
        # height.
        out[:, 0] = a.origin_m[0] + (i + 0.5) * a.cell_size_m
        out[:, 1] = a.origin_m[1] + (j + 0.5) * a.cell_size_m
        out[:, 2] = np.array((self.handover_height_m, *a.layers_m))[layer]
        for n in np.flatnonzero(layer == 0).tolist():
            out[n, :2] = (float(xys[n][0]), float(xys[n][1]))
        return out

    def _position_at(self, cell: int, xy):
        """`_positions` of one cell, as a tuple of floats."""
        x, y, z = self._positions(np.array([cell], np.int64), [xy])[0].tolist()
        return (x, y, z)


def _replace(plan: StrategicPlan, **changes) -> StrategicPlan:
    return dataclasses.replace(plan, **changes)
