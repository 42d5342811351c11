"""The engine's audit of flown paths: segments inside no-fly zones and inside buildings.

The audit reads a trajectory as `Simulation.trajectory` gives it: arrays ``drone``,
``t_s`` and ``xyz_m`` sorted by drone then time, a drone's position being the linear
interpolation between its consecutive points. A *flown segment* joins two consecutive
points of one drone and is either a move (the points differ) or a hover in the air (the
same point, above the ground: the hand-over hover and winch at a drop-off). A drone
standing on the ground at a depot is not flying and is not audited.

"Inside" is defined by the geometry that blocks grid cells for the planners
(`maps.airspace`, rasterized conservatively: every cell touched is blocked), extended
continuously in altitude, so that a path through free cells is never inside:

- **zone**: during the zone's active window ``[active_from_s, active_until_s)``, at an
  altitude in ``[floor_m, ceiling_m]``, over the zone's `keep_out` (its footprint grown
  by ``buffer_m`` with `maps.features.conservative_buffer`). The planners block every
  cell that `keep_out` touches on every layer whose band overlaps ``[floor_m, ceiling_m]``.
- **building**: over the footprint grown by the airspace's horizontal clearance (the same
  `conservative_buffer`), at or below the roof plus the vertical clearance. The planners
  block every layer whose altitude is at or below roof + clearance on the cells the grown
  footprint touches. The same volume holds between layers and below the lowest one: a
  climb from a depot, a descent to the hand-over height (`HANDOVER_HEIGHT_M`, 10 m) and
  the hover there are inside a building when their point lies on its grown footprint and
  their altitude is at or below its roof + clearance. Drop-off points are placed on open
  ground, outside every grown footprint reaching the hand-over height (`sim.demand`);
  depots of the generated cities stand in cleared blocks. A depot that a map puts within
  a low building's clearance (the airspace only requires it off the footprint and under
  a free lowest-layer cell) makes its take-offs and landings count, as they should.

Boundaries count as inside (closed sets), as touched cells are blocked. Each segment is
clipped exactly: first to the part flown while the zone was active (time is linear along
a segment), then to the part in the altitude band, and that part's horizontal shadow
(a line, or a point for a vertical or hovering part) is tested against the area.

An *escape* (`Escape`) exempts one drone's segments within a time window from the zones
it was leaving (a temporary zone that switched on around it); they are still checked
against every other zone and every building.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from dronesim.maps.features import Buildings, NoFlyZone, conservative_buffer


@dataclass(frozen=True)
class Escape:
    """A drone leading itself out of zones that switched on around it.

    Attributes
    ----------
    drone : int
    from_s, until_s : float
        The escape route's first and last waypoint times, seconds.
    zones : tuple of int
        Indices (in the audited zone sequence) of the zones being left.
    """

    drone: int
    from_s: float
    until_s: float
    zones: tuple[int, ...]


@dataclass(frozen=True)
class Segments:
    """Flown segments of a trajectory: ``a_m -> b_m`` flown by ``drone`` from ``t0_s`` to
    ``t1_s``; ``index`` is the position of ``a_m`` in the trajectory arrays."""

    drone: np.ndarray
    t0_s: np.ndarray
    t1_s: np.ndarray
    a_m: np.ndarray
    b_m: np.ndarray
    index: np.ndarray

    def __len__(self) -> int:
        return int(self.drone.shape[0])


def flown_segments(drone, t_s, xyz_m) -> Segments:
    """The flown segments (moves, and hovers above the ground) of a trajectory.

    Parameters
    ----------
    drone : array of int, shape (n,)
    t_s : array of float, shape (n,)
        Seconds; sorted within each drone.
    xyz_m : array of float, shape (n, 3)
        Metres, local frame (z above ground).
    """
    drone = np.asarray(drone)
    t_s = np.asarray(t_s, dtype=np.float64)
    xyz_m = np.asarray(xyz_m, dtype=np.float64).reshape(-1, 3)
    index = np.flatnonzero(drone[1:] == drone[:-1])
    a, b = xyz_m[index], xyz_m[index + 1]
    flown = np.any(a != b, axis=1) | (a[:, 2] > 0.0) | (b[:, 2] > 0.0)
    index = index[flown]
    return Segments(drone[index], t_s[index], t_s[index + 1], xyz_m[index], xyz_m[index + 1], index)


def _clip_altitude(a, b, low_m, high_m) -> tuple[np.ndarray, np.ndarray]:
    """Parameters ``[f0, f1]`` (``f0 > f1`` when empty) of the part of each segment
    a -> b at altitudes in ``[low_m, high_m]`` (arrays or scalars)."""
    za, dz = a[:, 2], b[:, 2] - a[:, 2]
    level = dz == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        f_low = (low_m - za) / dz
        f_high = (high_m - za) / dz
    f0 = np.where(level, 0.0, np.minimum(f_low, f_high))
    f1 = np.where(level, 1.0, np.maximum(f_low, f_high))
    f0 = np.where(level & ~((za >= low_m) & (za <= high_m)), np.inf, f0)
    return np.maximum(f0, 0.0), np.minimum(f1, 1.0)


def _shadows(a, b, f0, f1) -> np.ndarray:
    """Horizontal shadows of the parts ``[f0, f1]`` of segments a -> b: lines, or points
    where the part does not move horizontally."""
    p = a + f0[:, None] * (b - a)
    q = a + f1[:, None] * (b - a)
    shapes = shapely.linestrings(np.stack([p[:, :2], q[:, :2]], axis=1))
    still = np.all(p[:, :2] == q[:, :2], axis=1)
    shapes[still] = shapely.points(p[still, :2])
    return shapes


def zone_intrusions(
    drone, t_s, xyz_m, zones: tuple[NoFlyZone, ...], escapes=()
) -> tuple[np.ndarray, np.ndarray]:
    """Flown segments inside an active zone (see the module docstring for "inside").

    Parameters
    ----------
    drone, t_s, xyz_m : arrays
        The trajectory (see `flown_segments`).
    zones : sequence of NoFlyZone
    escapes : sequence of Escape
        Segments of ``escape.drone`` flown within ``[from_s, until_s]`` are not checked
        against the zones ``escape.zones`` (indices into ``zones``).

    Returns
    -------
    segment, zone : numpy.ndarray of int64
        One entry per (segment, zone) pair: the trajectory index of the segment's first
        point, and the zone's index.
    """
    seg = flown_segments(drone, t_s, xyz_m)
    found_seg: list[np.ndarray] = []
    found_zone: list[np.ndarray] = []
    if len(seg):
        duration = seg.t1_s - seg.t0_s
        level = duration <= 0.0
        span = np.where(level, 1.0, duration)
        exempt = _exempt(seg, escapes)
        for z, zone in enumerate(zones):
            start = -np.inf if zone.active_from_s is None else zone.active_from_s
            end = np.inf if zone.active_until_s is None else zone.active_until_s
            # The part of each segment flown while the zone was active.
            during = (seg.t1_s > start) & (seg.t0_s < end)
            if z in exempt:
                during &= ~exempt[z]
            rows = np.flatnonzero(during)
            if not len(rows):
                continue
            a, b = seg.a_m[rows], seg.b_m[rows]
            t0 = seg.t0_s[rows]
            f0 = np.where(level[rows], 0.0, np.clip((start - t0) / span[rows], 0.0, 1.0))
            f1 = np.where(level[rows], 1.0, np.clip((end - t0) / span[rows], 0.0, 1.0))
            h0, h1 = _clip_altitude(a, b, zone.floor_m, zone.ceiling_m)
            f0, f1 = np.maximum(f0, h0), np.minimum(f1, h1)
            keep = f0 <= f1
            rows = rows[keep]
            if not len(rows):
                continue
            hit = shapely.intersects(_shadows(a[keep], b[keep], f0[keep], f1[keep]), zone.keep_out)
            found_seg.append(seg.index[rows[hit]])
            found_zone.append(np.full(int(hit.sum()), z, np.int64))
    if not found_seg:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(found_seg).astype(np.int64), np.concatenate(found_zone)


def _exempt(seg: Segments, escapes) -> dict[int, np.ndarray]:
    """Per zone index, the segments that escapes exempt from it."""
    exempt: dict[int, np.ndarray] = {}
    by_drone = bool(np.all(seg.drone[1:] >= seg.drone[:-1]))
    for escape in escapes:
        if by_drone:  # the usual case: segments sorted by drone
            lo, hi = np.searchsorted(seg.drone, [escape.drone, escape.drone + 1])
        else:
            lo, hi = 0, len(seg)
        part = slice(lo, hi)
        rows = lo + np.flatnonzero(
            (seg.drone[part] == escape.drone)
            & (seg.t0_s[part] >= escape.from_s)
            & (seg.t1_s[part] <= escape.until_s)
        )
        for z in escape.zones:
            exempt.setdefault(z, np.zeros(len(seg), bool))[rows] = True
    return exempt


@dataclass(frozen=True, eq=False)
class BuildingVolumes:
    """Buildings as the planners block them: footprints grown by the horizontal clearance
    (`conservative_buffer`), up to roof + vertical clearance (``top_m``, metres)."""

    keep_out: np.ndarray
    top_m: np.ndarray
    tree: shapely.STRtree


@lru_cache(maxsize=8)
def building_volumes(
    buildings: Buildings, horizontal_clearance_m: float, vertical_clearance_m: float
) -> BuildingVolumes:
    """The `BuildingVolumes` of ``buildings`` with the given clearances (metres); cached
    per buildings object."""
    grown = np.empty(len(buildings), dtype=object)
    if len(buildings):
        grown[:] = list(conservative_buffer(buildings.footprints, horizontal_clearance_m))
    return BuildingVolumes(
        grown,
        np.asarray(buildings.heights_m, dtype=np.float64) + vertical_clearance_m,
        shapely.STRtree(grown),
    )


def building_intrusions(
    drone,
    t_s,
    xyz_m,
    buildings: Buildings,
    horizontal_clearance_m: float,
    vertical_clearance_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Flown segments inside a building (see the module docstring for "inside").

    Parameters
    ----------
    drone, t_s, xyz_m : arrays
        The trajectory (see `flown_segments`).
    buildings : Buildings
    horizontal_clearance_m, vertical_clearance_m : float
        The airspace's clearances around buildings, metres.

    Returns
    -------
    segment, building : numpy.ndarray of int64
        One entry per (segment, building) pair: the trajectory index of the segment's
        first point, and the building's index.
    """
    seg = flown_segments(drone, t_s, xyz_m)
    empty = np.empty(0, np.int64)
    if not len(seg) or not len(buildings):
        return empty, empty
    volumes = building_volumes(
        buildings, float(horizontal_clearance_m), float(vertical_clearance_m)
    )
    ones = np.ones(len(seg))
    rows, owner = volumes.tree.query(
        _shadows(seg.a_m, seg.b_m, np.zeros(len(seg)), ones), predicate="intersects"
    )
    if not len(rows):
        return empty, empty
    a, b = seg.a_m[rows], seg.b_m[rows]
    f0, f1 = _clip_altitude(a, b, -np.inf, volumes.top_m[owner])
    keep = f0 <= f1
    rows, owner = rows[keep], owner[keep]
    hit = shapely.intersects(
        _shadows(a[keep], b[keep], f0[keep], f1[keep]), volumes.keep_out[owner]
    )
    rows, owner = rows[hit], owner[hit]
    order = np.lexsort((owner, rows))
    return seg.index[rows[order]].astype(np.int64), owner[order].astype(np.int64)


__all__ = [
    "BuildingVolumes",
    "Escape",
    "Segments",
    "building_intrusions",
    "building_volumes",
    "flown_segments",
    "zone_intrusions",
]
