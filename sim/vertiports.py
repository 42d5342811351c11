"""Vertiports: where a depot's pads stand, and the sequencing of every vertical column.

Pads
    Each depot has ``pads`` take-off and landing pads at distinct positions around the
    depot point (`pad_positions`): on a ``ring`` (equal chords of ``spacing_m``, and no
    pad nearer than ``spacing_m`` to the depot point) or on a square ``grid`` of pitch
    ``spacing_m`` (its nodes nearest the depot point, none nearer than ``spacing_m``).
    Without a spacing in the scenario (``map.pad_spacing_m``) or the map file, a depot
    takes the first of `DEFAULT_SPACINGS` x ``separation.horizontal_m`` at which its
    pads fit (on open ground, free columns): 1.2 keeps a margin between two pads'
    columns, 1.0 still separates them (a loss needs a distance below the minimum) and
    lets ten pads fit a generated city's depot block. The depot point itself is the
    depot's apron: drones rest and charge there (the depot's ``pads`` count is also its
    number of chargers), and taxi on the ground to a pad to take off and from it after
    landing (`TAXI_SPEED_MPS`).

Columns
    A *column operation* is a maximal run of a plan's waypoints at one horizontal point
    that goes below the lowest cruise layer: a take-off (on the pad, then the climb), a
    landing (the descent), a pickup at another depot or a merchant's pad (descent,
    loading on the pad, climb), or a drop-off (descent to the hand-over height, the hover there, the climb
    back). It occupies its column from its first waypoint to its last. Two operations
    conflict when their points are closer than ``radius_m`` (``separation.horizontal_m``)
    and their times, each widened by ``buffer_s`` (``deconfliction.time_buffer_s``) at
    its end, overlap; so two drones never use one column (or two columns closer than the
    minimum) at once.

Sequencing (`sequence`)
    The trip builder picks each pad operation's pad (`sim.trips.TripPlanner`), its
    route leading to and from that pad's own cell: for a take-off, the pad on which the
    climb would end first (to 0.1 s; ties: the pad nearest the leg's target); for a
    landing, the nearest pad whose column is free on arrival, else the pad on which the
    landing would end first. The operations of a new plan
    are then placed in flying order, each at its earliest start without conflict
    against every committed reservation (`ColumnSchedule`). A late start becomes a wait
    just before the operation: a ground delay on the apron before the taxi to the pad,
    or, for an arrival from cruise, a hover at the cruise layer at the last route point
    at least ``radius_m`` from the column (the approach point, outside the column, so
    that a drone waiting at a lower layer is never in the path of one descending from a
    higher layer). Hover energy is part of
    the timed plan, so the battery reserve check sees it. A plan that starts inside a
    column (a replan in the air) keeps its first operation's start.

Cost: a query looks at the reservations in the 3 x 3 bins of side ``radius_m`` around
the point; reservations end when the engine prunes them (`ColumnSchedule.prune`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from dronesim.sim import _kernels as K

TAXI_SPEED_MPS = 3.0  # ground handling between the apron and a pad
DEFAULT_SPACINGS = (1.2, 1.0)  # default pad spacings, over separation.horizontal_m
LAYOUTS = ("ring", "grid")


def pad_positions(x_m: float, y_m: float, pads: int, layout: str, spacing_m: float) -> np.ndarray:
    """The pads of a depot at ``(x_m, y_m)``.

    Parameters
    ----------
    x_m, y_m : float
        The depot point (its apron), metres.
    pads : int
        Number of pads, >= 1.
    layout : {"ring", "grid"}
        Pads on a circle, or on the nodes of a square grid nearest the depot point.
    spacing_m : float
        Least distance between two pads, and between a pad and the depot point, metres.

    Returns
    -------
    numpy.ndarray, shape (pads, 2)
        Pad positions, metres; pairwise at least ``spacing_m`` apart.
    """
    if layout == "ring":
        if pads == 1:
            radius = spacing_m
        else:
            radius = max(spacing_m, spacing_m / (2.0 * math.sin(math.pi / pads)))
        # A hair more than the chord asks, so that rounding never brings two pads closer
        # than spacing_m.
        radius *= 1.0 + 1e-9
        angle = 2.0 * math.pi * np.arange(pads) / pads  # pad 0 north, then clockwise
        return np.stack([x_m + radius * np.sin(angle), y_m + radius * np.cos(angle)], axis=1)
    if layout == "grid":
        half = int(math.ceil(math.sqrt(pads + 1))) + 1
        steps = np.arange(-half, half + 1, dtype=np.float64)
        gx, gy = np.meshgrid(steps, steps)
        gx, gy = gx.ravel(), gy.ravel()
        keep = (gx != 0) | (gy != 0)  # not on the apron
        gx, gy = gx[keep], gy[keep]
        order = np.lexsort((np.arctan2(gx, gy) % (2 * math.pi), np.hypot(gx, gy)))[:pads]
        return np.stack([x_m + spacing_m * gx[order], y_m + spacing_m * gy[order]], axis=1)
    raise ValueError(f"pad layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")


@dataclass
class Reservation:
    """One column operation: drone ``drone`` at ``(x_m, y_m)`` from ``start_s`` to ``end_s``."""

    drone: int
    x_m: float
    y_m: float
    start_s: float
    end_s: float


@dataclass
class ColumnSchedule:
    """Committed column operations of every drone, binned by position.

    Parameters
    ----------
    radius_m : float
        Two columns closer than this conflict (``separation.horizontal_m``), metres.
    buffer_s : float
        Kept free after each operation before a conflicting one starts, seconds.
    """

    radius_m: float
    buffer_s: float
    _bins: dict = field(default_factory=dict)
    _by_drone: dict = field(default_factory=dict)

    def _key(self, x: float, y: float) -> tuple[int, int]:
        return (math.floor(x / self.radius_m), math.floor(y / self.radius_m))

    def _near(self, x: float, y: float, drone: int, after_s: float):
        bx, by = self._key(x, y)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for r in self._bins.get((bx + dx, by + dy), ()):
                    if (
                        r.drone != drone
                        and r.end_s + self.buffer_s > after_s
                        and math.hypot(r.x_m - x, r.y_m - y) < self.radius_m
                    ):
                        yield r

    def earliest(self, x: float, y: float, start_s: float, duration_s: float, drone: int) -> float:
        """The earliest start at or after ``start_s`` of an operation of ``duration_s``
        at ``(x, y)`` that conflicts with no other drone's reservation, seconds."""
        near = sorted(
            ((r.start_s, r.end_s) for r in self._near(x, y, drone, start_s)),
        )
        s = start_s
        moved = True
        while moved:
            moved = False
            for a, b in near:
                if s < b + self.buffer_s and a < s + duration_s + self.buffer_s:
                    s = b + self.buffer_s
                    moved = True
        return s

    def conflicts(self, reservation: Reservation) -> bool:
        """Whether ``reservation`` overlaps another drone's (for checks and tests)."""
        r = reservation
        for other in self._near(r.x_m, r.y_m, r.drone, r.start_s - self.buffer_s):
            if r.start_s < other.end_s + self.buffer_s and other.start_s < r.end_s + self.buffer_s:
                return True
        return False

    def reserve(self, reservations) -> None:
        """Commit reservations (from `sequence`)."""
        for r in reservations:
            self._bins.setdefault(self._key(r.x_m, r.y_m), []).append(r)
            self._by_drone.setdefault(r.drone, []).append(r)

    def release(self, drone: int, after_s: float) -> None:
        """Drop the drone's reservations that end after ``after_s`` (its plan is replaced)."""
        mine = self._by_drone.get(drone, [])
        gone = [r for r in mine if r.end_s > after_s]
        if not gone:
            return
        self._by_drone[drone] = [r for r in mine if r.end_s <= after_s]
        for r in gone:
            self._bins[self._key(r.x_m, r.y_m)].remove(r)

    def prune(self, now_s: float) -> None:
        """Forget reservations that can no longer conflict with anything starting now."""
        horizon = now_s - self.buffer_s
        for key in list(self._bins):
            kept = [r for r in self._bins[key] if r.end_s > horizon]
            if kept:
                self._bins[key] = kept
            else:
                del self._bins[key]
        for drone in list(self._by_drone):
            self._by_drone[drone] = [r for r in self._by_drone[drone] if r.end_s > horizon]

    def __len__(self) -> int:
        return sum(len(v) for v in self._bins.values())


@dataclass
class Sequenced:
    """`sequence`'s result: the timed plan, its reservations, and what waiting cost."""

    timed: dict
    reservations: list[Reservation]
    takeoff_delay_s: float | None  # ground delay before leaving the apron (None: not a take-off)
    hover_wait_s: float  # hover at approach points, waiting for a column


def column_runs(xyz: np.ndarray, low_m: float) -> list[tuple[int, int]]:
    """Column operations of a plan: ``(first, last)`` waypoint indices of each maximal
    run at one horizontal point that goes below ``low_m`` and moves vertically."""
    n = len(xyz)
    runs = []
    i = 0
    while i < n:
        j = i
        while j + 1 < n and xyz[j + 1, 0] == xyz[i, 0] and xyz[j + 1, 1] == xyz[i, 1]:
            j += 1
        z = xyz[i : j + 1, 2]
        if j > i and z.min() < low_m and np.any(z != z[0]):
            runs.append((i, j))
        i = j + 1
    return runs


def sequence(
    plan,
    params: np.ndarray,
    wind,
    t_s: float,
    battery_wh: float,
    drone: int,
    schedule: ColumnSchedule,
    low_m: float,
) -> Sequenced | None:
    """Insert waits so that the plan's column operations conflict with no committed
    reservation (see the module docstring); ``plan`` is changed in place.

    Parameters
    ----------
    plan : sim.routing.PlanBuilder
        The untimed plan, its pads chosen (`sim.trips.TripPlanner`).
    params : numpy.ndarray
        Drone model row (`DroneModel.as_array`).
    wind : planners.wind.WindField or (float, float)
        The wind flown in (a steady ``(east, north)`` pair is one too), m/s.
    t_s, battery_wh : float
        Start time (s) and battery (Wh) of the plan.
    drone : int
        Whose plan (its own reservations never conflict with it).
    schedule : ColumnSchedule
        Committed reservations (not changed here).
    low_m : float
        The lowest cruise layer, metres: runs below it are column operations.

    Returns
    -------
    Sequenced or None
        None when a leg cannot be flown (wind).
    """
    timed = plan.timed(params, wind, t_s, battery_wh)
    if timed is None:
        return None
    reservations: list[Reservation] = []
    takeoff_delay = None
    hover_wait = 0.0
    done = 0  # runs before this waypoint are placed
    while True:
        runs = [run for run in column_runs(timed["xyz"], low_m) if run[0] >= done]
        if not runs:
            break
        i, j = runs[0]
        x, y = plan.xyz[i][0], plan.xyz[i][1]
        a, e = float(timed["t"][i]), float(timed["t"][j])
        s = a if i == 0 else schedule.earliest(x, y, a, e - a, drone)
        wait = s - a
        if not reservations and plan.xyz[0][2] == 0.0:
            takeoff_delay = wait  # the first column of a plan from the ground: its take-off
        if wait > 0.0:
            k = _waiting_point(plan, i, x, y, schedule.radius_m)
            on_ground = plan.xyz[k][2] == 0.0
            _insert_hold(plan, k, wait, K.SEG_GROUND if on_ground else K.SEG_HOVER)
            if not on_ground:
                hover_wait += wait
            i, j = i + 1, j + 1
            timed = plan.timed(params, wind, t_s, battery_wh)
            if timed is None:
                return None
        reservations.append(Reservation(drone, x, y, float(timed["t"][i]), float(timed["t"][j])))
        done = j + 1
    return Sequenced(timed, reservations, takeoff_delay, hover_wait)


def _waiting_point(plan, i: int, x: float, y: float, radius_m: float) -> int:
    """Where to wait before the column operation starting at waypoint ``i``: on the
    ground before the taxi to the pad, or in the air at the last waypoint of the level
    flight before it that is at least ``radius_m`` from the column (outside it)."""
    k = i - 1
    if plan.xyz[k][2] == 0.0:
        return k
    while (
        k > 0
        and math.hypot(plan.xyz[k][0] - x, plan.xyz[k][1] - y) < radius_m
        and plan.kind[k - 1] == K.SEG_MOVE
        and plan.xyz[k - 1][2] == plan.xyz[k][2]
    ):
        k -= 1
    return k


def _insert_hold(plan, k: int, seconds: float, kind: int) -> None:
    """Insert a hold of ``seconds`` at waypoint ``k``, before segment ``k``."""
    plan.xyz.insert(k + 1, plan.xyz[k])
    plan.kind.insert(k, kind)
    plan.hold.insert(k, float(seconds))
    plan.payload.insert(k, plan.payload[k])
    plan.state.insert(k, plan.state[k])
    plan.event.insert(k + 1, 0)
    plan.arg.insert(k + 1, -1)


__all__ = [
    "ColumnSchedule",
    "DEFAULT_SPACINGS",
    "LAYOUTS",
    "Reservation",
    "Sequenced",
    "TAXI_SPEED_MPS",
    "column_runs",
    "pad_positions",
    "sequence",
]
