"""An independent check of flown trajectories against zones and buildings, for the tests.

Written from the definitions, with shapely, and sharing no code with `sim/audit.py`:

- a zone is the set of points within ``buffer_m`` (exact distance) of its footprint, in its
  altitude band ``[floor_m, ceiling_m]``, during ``[active_from_s, active_until_s)``;
- a building is the set of points within the horizontal clearance (exact distance) of its
  footprint, at or below its roof plus the vertical clearance;
- a flown segment is one between two consecutive trajectory points of a drone that moves, or
  stays in the air (a hover); a drone standing on the ground is not flying.

A drone in the air inside a zone at the moment it switches on may stay in that zone (and
only that one) until it first reaches a trajectory point outside it, if it does so before
the zone lifts: that is its way out.
"""

from __future__ import annotations

import numpy as np
import shapely


def _segments(drone, t_s, xyz_m):
    same = drone[1:] == drone[:-1]
    a, b = xyz_m[:-1][same], xyz_m[1:][same]
    ta, tb = t_s[:-1][same], t_s[1:][same]
    flown = np.any(a != b, axis=1) | (a[:, 2] > 0) | (b[:, 2] > 0)
    return drone[:-1][same][flown], ta[flown], tb[flown], a[flown], b[flown]


def _clip_z(a, b, low, high):
    """Parameter range ``[f0, f1]`` of each segment a->b where ``low <= z <= high``
    (``f0 > f1`` when empty)."""
    dz = b[:, 2] - a[:, 2]
    flat = dz == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        fa = (low - a[:, 2]) / dz
        fb = (high - a[:, 2]) / dz
    lo = np.where(flat, 0.0, np.minimum(fa, fb))
    hi = np.where(flat, 1.0, np.maximum(fa, fb))
    inside_flat = (a[:, 2] >= low) & (a[:, 2] <= high)
    lo = np.where(flat & ~inside_flat, 2.0, lo)
    return np.maximum(lo, 0.0), np.minimum(hi, 1.0)


def _pieces(a, b, f0, f1):
    """The horizontal shadows of the parts ``[f0, f1]`` of segments a->b: lines, or
    points where the part is vertical or stationary."""
    p = a + f0[:, None] * (b - a)
    q = a + f1[:, None] * (b - a)
    shapes = shapely.linestrings(np.stack([p[:, :2], q[:, :2]], axis=1))
    same = np.all(p[:, :2] == q[:, :2], axis=1)
    shapes[same] = shapely.points(p[same, :2])
    return shapes


def position_at(drone, t_s, xyz_m, d, t):
    """Where drone ``d`` was at time ``t`` (linear between its trajectory points)."""
    mine = drone == d
    times, points = t_s[mine], xyz_m[mine]
    if t <= times[0]:
        return points[0]
    if t >= times[-1]:
        return points[-1]
    k = int(np.searchsorted(times, t, side="right")) - 1
    span = times[k + 1] - times[k]
    f = 0.0 if span <= 0 else (t - times[k]) / span
    return points[k] + f * (points[k + 1] - points[k])


def _inside_zone(zone, point) -> bool:
    return bool(
        zone.floor_m <= point[2] <= zone.ceiling_m
        and shapely.dwithin(shapely.Point(point[0], point[1]), zone.geometry, zone.buffer_m)
    )


def zone_entries(drone, t_s, xyz_m, zones) -> list[tuple[int, float, str]]:
    """Flown segments inside an active zone, apart from leaving a zone that switched on
    around the drone: ``(drone, segment start time, zone name)`` for each."""
    seg_drone, ta, tb, a, b = _segments(drone, t_s, xyz_m)
    found = []
    for zone in zones:
        start = -np.inf if zone.active_from_s is None else zone.active_from_s
        end = np.inf if zone.active_until_s is None else zone.active_until_s
        # Drones inside the zone when it switched on may fly out: until their first
        # trajectory point outside it.
        allowed_until = {}
        if np.isfinite(start):
            for d in np.unique(drone):
                here = position_at(drone, t_s, xyz_m, d, start)
                if here[2] > 0 and _inside_zone(zone, here):
                    mine = (drone == d) & (t_s > start)
                    # Staying in until the zone lifts is no way out: nothing is allowed.
                    leave = start
                    for t, point in zip(t_s[mine], xyz_m[mine]):
                        if t >= end:
                            break
                        if not _inside_zone(zone, point):
                            leave = t
                            break
                    allowed_until[int(d)] = leave
        span = np.maximum(tb - ta, 1e-12)
        stationary = ta == tb
        f0 = np.where(stationary, 0.0, np.clip((start - ta) / span, 0, 1))
        f1 = np.where(stationary, 1.0, np.clip((end - ta) / span, 0, 1))
        during = (tb > start) & (ta < end) & (f1 >= f0)
        z0, z1 = _clip_z(a, b, zone.floor_m, zone.ceiling_m)
        g0, g1 = np.maximum(f0, z0), np.minimum(f1, z1)
        candidate = np.flatnonzero(during & (g0 <= g1))
        if not len(candidate):
            continue
        lines = _pieces(a[candidate], b[candidate], g0[candidate], g1[candidate])
        hit = shapely.dwithin(lines, zone.geometry, zone.buffer_m)
        for index in candidate[hit]:
            d = int(seg_drone[index])
            if d in allowed_until and ta[index] >= start and tb[index] <= allowed_until[d]:
                continue
            found.append((d, float(ta[index]), zone.name))
    return found


def building_intrusions(
    drone, t_s, xyz_m, buildings, horizontal_clearance_m, vertical_clearance_m
) -> list[tuple[int, float, int]]:
    """Flown segments that come within the horizontal clearance of a building's footprint
    at or below its roof plus the vertical clearance: ``(drone, start time, building)``."""
    seg_drone, ta, _, a, b = _segments(drone, t_s, xyz_m)
    if not len(a) or not len(buildings):
        return []
    footprints = np.asarray(buildings.footprints)
    tree = shapely.STRtree(footprints)
    flat = _pieces(a, b, np.zeros(len(a)), np.ones(len(a)))
    seg, building = tree.query(flat, predicate="dwithin", distance=horizontal_clearance_m)
    top = np.asarray(buildings.heights_m)[building] + vertical_clearance_m
    z0, z1 = _clip_z(a[seg], b[seg], -np.inf, top)
    keep = z0 <= z1
    seg, building, z0, z1 = seg[keep], building[keep], z0[keep], z1[keep]
    pieces = _pieces(a[seg], b[seg], z0, z1)
    hit = shapely.dwithin(pieces, footprints[building], horizontal_clearance_m)
    return [(int(seg_drone[s]), float(ta[s]), int(k)) for s, k in zip(seg[hit], building[hit])]


def dropoffs_on_footprints(dropoff_xy, buildings) -> int:
    """Drop-off points that lie on a building footprint."""
    tree = shapely.STRtree(np.asarray(buildings.footprints))
    index, _ = tree.query(shapely.points(dropoff_xy), predicate="intersects")
    return len(np.unique(index))
