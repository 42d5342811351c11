"""`FlightPath`: a planned route in world coordinates that can check itself against an airspace."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import shapely
from dronesim.maps import Airspace
from dronesim.planners.kernels import common, paths


class PlanStatus(IntEnum):
    """Outcome of a planning query (the kernels' integer status codes)."""

    FOUND = common.FOUND
    UNREACHABLE = common.UNREACHABLE
    LIMIT = common.LIMIT


_FOUND = PlanStatus.FOUND


@dataclass(frozen=True, eq=False)
class FlightPath:
    """A route through the airspace.

    Attributes
    ----------
    planner : str
        Name of the planner that made it.
    status : PlanStatus
        `FOUND`, `UNREACHABLE` (no route exists) or `LIMIT` (the search gave up).
    waypoints_m : numpy.ndarray, shape (k, 3)
        World waypoints ``(x, y, z)`` in metres (z is the altitude), flown in straight
        segments; empty unless found.
    cells : numpy.ndarray of int64, shape (m, 3)
        Grid cells ``(k, j, i)`` of the planner's vertices (every cell for grid A*, the
        corners for any-angle planners).
    length_m : float
        Length of the polyline through the waypoints, metres (``inf`` unless found).
    cost : float
        The planner's objective: metres weighted by the cost layer, plus climb penalties
        (``inf`` unless found).
    expansions : int
        Nodes the search expanded.
    """

    planner: str
    status: PlanStatus
    waypoints_m: np.ndarray = field(repr=False)
    cells: np.ndarray = field(repr=False)
    length_m: float
    cost: float
    expansions: int

    @property
    def found(self) -> bool:
        """Whether a route was found."""
        return self.status == PlanStatus.FOUND

    @classmethod
    def not_found(cls, planner: str, status: int, expansions: int) -> FlightPath:
        """An empty path carrying a failure status."""
        return cls(
            planner,
            PlanStatus(status),
            np.empty((0, 3)),
            np.empty((0, 3), np.int64),
            math.inf,
            math.inf,
            expansions,
        )

    @classmethod
    def of_arrays(
        cls,
        planner: str,
        waypoints_m: np.ndarray,
        cells: np.ndarray,
        length_m: float,
        cost: float,
        expansions: int,
    ) -> FlightPath:
        """A found path from arrays it may own (they are made read-only)."""
        waypoints_m.setflags(write=False)
        cells.setflags(write=False)
        return cls.of_read_only_arrays(
            planner, waypoints_m, cells, float(length_m), float(cost), int(expansions)
        )

    @classmethod
    def of_read_only_arrays(
        cls,
        planner: str,
        waypoints_m: np.ndarray,
        cells: np.ndarray,
        length_m: float,
        cost: float,
        expansions: int,
    ) -> FlightPath:
        """`of_arrays` for read-only arrays it may own, with ``length_m`` and ``cost`` already
        Python floats and ``expansions`` a Python int (as numba returns them)."""
        path = object.__new__(cls)
        # The frozen dataclass __init__ sets each field through object.__setattr__; giving
        # the instance its dict at once is cheaper, which shows on the fastest queries.
        object.__setattr__(
            path,
            "__dict__",
            {
                "planner": planner,
                "status": _FOUND,
                "waypoints_m": waypoints_m,
                "cells": cells,
                "length_m": length_m,
                "cost": cost,
                "expansions": expansions,
            },
        )
        return path

    @classmethod
    def from_cells(
        cls,
        airspace: Airspace,
        cells: np.ndarray,
        *,
        planner: str,
        cost: float,
        expansions: int,
        start_m=None,
        goal_m=None,
    ) -> FlightPath:
        """Build a found path from grid vertices (cell centres at layer altitudes).

        ``start_m`` and ``goal_m`` (world points inside the first and last cells) are
        prepended and appended when given and different from those centres, so the path
        begins and ends exactly where asked; the extra segments stay inside their cells.
        """
        cells = np.ascontiguousarray(cells, dtype=np.int64).reshape(-1, 3)
        x0, y0 = airspace.origin_m
        waypoints, length = paths.cell_waypoints(
            cells, x0, y0, airspace.cell_size_m, np.asarray(airspace.layers_m)
        )
        if start_m is not None or goal_m is not None:
            points = [waypoints]
            if start_m is not None:
                start = np.asarray(start_m, dtype=np.float64).reshape(1, 3)
                if not np.array_equal(start, waypoints[:1]):
                    points.insert(0, start)
            if goal_m is not None:
                goal = np.asarray(goal_m, dtype=np.float64).reshape(1, 3)
                if not np.array_equal(goal, waypoints[-1:]):
                    points.append(goal)
            waypoints = np.concatenate(points)
            length = float(np.linalg.norm(np.diff(waypoints, axis=0), axis=1).sum())
        return cls.of_arrays(planner, waypoints, cells, length, cost, expansions)

    def violations(self, airspace: Airspace, t_s: float | None = None) -> list[str]:
        """Every place where a segment enters a zone or a building's clearance volume.

        Checked with shapely, independently of the grid: for each segment and each zone in
        force at ``t_s`` (permanent ones only when ``t_s`` is None), the part of the segment
        inside the zone's altitude band must not meet its buffered footprint; for each
        building, the part below roof + vertical clearance must not meet its footprint
        grown by the horizontal clearance.

        Returns
        -------
        list of str
            One line per violation, naming the segment and the zone or building; empty
            when the path is clear.
        """
        if not self.found or len(self.waypoints_m) < 2:
            return []
        a = self.waypoints_m[:-1]
        b = self.waypoints_m[1:]
        found: list[str] = []
        zones = [
            zone
            for zone in airspace.zones
            if (zone.active_at(t_s) if t_s is not None else not zone.is_temporary)
        ]
        for zone in zones:
            pieces, index = _clip_to_band(a, b, zone.floor_m, zone.ceiling_m)
            if len(index):
                hits = shapely.intersects(pieces, zone.keep_out)
                found.extend(
                    f"segment {int(s)} enters no-fly zone {zone.name!r}" for s in index[hits]
                )
        buildings = airspace.buildings
        if len(buildings):
            flat = shapely.linestrings(np.stack([a[:, :2], b[:, :2]], axis=1))
            segment_index, building_index = buildings.tree.query(
                flat, predicate="dwithin", distance=airspace.horizontal_clearance_m * 1.01
            )
            for s, k in zip(segment_index, building_index):
                top = buildings.heights_m[k] + airspace.vertical_clearance_m
                pieces, index = _clip_to_band(a[s : s + 1], b[s : s + 1], -math.inf, top)
                if len(index) and shapely.dwithin(
                    pieces[0], buildings.footprints[k], airspace.horizontal_clearance_m
                ):
                    found.append(f"segment {int(s)} passes within clearance of building {int(k)}")
        return found

    def validate(self, airspace: Airspace, t_s: float | None = None) -> None:
        """Raise ``ValueError`` listing the violations (see `violations`), if any."""
        problems = self.violations(airspace, t_s)
        if problems:
            raise ValueError(
                f"{self.planner} path violates the airspace: " + "; ".join(problems[:5])
            )


def _clip_to_band(a: np.ndarray, b: np.ndarray, low: float, high: float):
    """2D pieces of 3D segments ``a -> b`` with altitude in ``[low, high]`` and their indices."""
    za, zb = a[:, 2], b[:, 2]
    dz = zb - za
    with np.errstate(divide="ignore", invalid="ignore"):
        t_low = np.where(dz != 0, (low - za) / dz, np.where(za >= low, -np.inf, np.inf))
        t_high = np.where(dz != 0, (high - za) / dz, np.where(za <= high, np.inf, -np.inf))
    # Rising segments enter the band at its floor, falling ones at its ceiling.
    enter = np.maximum(np.where(dz >= 0, t_low, t_high), 0.0)
    leave = np.minimum(np.where(dz >= 0, t_high, t_low), 1.0)
    inside = enter <= leave
    inside &= ~((dz == 0) & ((za < low) | (za > high)))
    index = np.flatnonzero(inside)
    p = a[index, :2] + enter[index, None] * (b[index, :2] - a[index, :2])
    q = a[index, :2] + leave[index, None] * (b[index, :2] - a[index, :2])
    return shapely.linestrings(np.stack([p, q], axis=1)), index
