"""ASTM F3548-21 operational intents from a recording, and a 4D check of them.

A *flight* is one airborne stretch of a drone's recorded path: from the last point on the
ground (z = 0) before it lifts off to the first point on the ground after it touches down
(a landing on a pad, a depot or a merchant's pad ends a flight; the hover at the hand-over
height over a drop-off does not). A flight still airborne when the recording ended is cut
there. Each flight becomes one operational intent: a list of ``Volume4D``, each around one
straight piece of the flown path.

Volumes
-------
The path between two recorded points is a straight line flown at constant velocity
(`sim.recording`), so a volume can be exact about where the drone is. Pieces longer than
``max_volume_s`` are cut (by linear interpolation) into equal parts; consecutive parts are
grouped (collinear samples merged) while they are of one kind and the group lasts at most
``max_volume_s`` (a hover is never cut: the drone holds all of its volume all the time):

- *level*: straight horizontal flight at one altitude; outline: a polygon about the
  segment;
- *column*: climbing, descending or hovering over one point (one kind per direction);
  outline: a circle about the point;
- *mixed*: straight horizontal motion while climbing or descending (one kind per
  direction); outline: a polygon about the segment's horizontal projection.

Inflation. Each volume is the set of points within ``horizontal_m / 2`` horizontally and
``vertical_m / 2`` vertically of the flown path over its time window (the separation
minima of the scenario, ``meta.separation_m``). Half, not the whole minimum: two drones
lose separation only when at one instant they are closer than ``horizontal_m``
horizontally *and* ``vertical_m`` vertically; the discs of radius ``horizontal_m / 2``
about their positions then overlap, as do their altitude bands of ``+- vertical_m / 2``,
and both volumes hold that instant, so the two volumes intersect. Hence two intents whose
volumes do not intersect in 4D never lose separation: each operator's volumes carry half of
the minimum, as two UTM participants who each protect their own aircraft share it. The
converse does not hold (a volume covers its whole polygon for its whole window), which is
why windows are kept short (`check_intents` measures what remains).

A polygon holds the round corridor (every point within ``r`` of the segment) with 8
vertices: sides at ``r``, each cap half of the regular octagon circumscribing the end's
disc (at most 8 % beyond it, at its vertices); ``r`` grown by ``ROUND_MARGIN_M`` for the
rounding of the exported coordinates to 1e-8 degrees. Circles have radius
``r + ROUND_MARGIN_M``.
Altitudes are rounded outwards to centimetres; lower altitudes stop at the ground (no
aircraft is below it). So two drones exactly the minimum apart get volumes that overlap
by these few millimetres: `check_intents` counts overlaps of less than ``tolerance_m``
(and windows overlapping by less than ``tolerance_s``, the millisecond rounding) as
touching.

Geography
---------
Local ``(x, y)`` become WGS84 longitude/latitude through the recording's origin
(`maps.projection.LocalProjection`, its tangent plane; distances within 10 km of the
origin are good to a centimetre). Altitudes are ``ground_elevation_m + z + geoid_offset_m``
metres, reference ``W84``: the ground elevation is above mean sea level, and with the
default ``geoid_offset_m = 0`` mean sea level (AMSL) is used as the WGS84 ellipsoid height;
the geoid undulation (about +47 m in Zurich, -30 m in New York) is not modelled unless the
offset is given. Times are RFC 3339 in UTC from the recording's ``start_utc`` (the
scenario's ``start_date`` at ``demand.start_hour``), each window widened outwards to whole
milliseconds and by ``time_buffer_s`` (default 0: a recorded path is exact in time).

Identifiers are UUIDs derived from the scenario name, the seed, the drone and the flight's
index (SHA-1, as UUID version 5 does), with the version nibble set to 4 since the DSS
requires version-4 UUIDs: the same recording gives the same identifiers on every export.

The InterUSS flight intent collection (`flight_intent_collection`) is the format of
uss_qualifier's ``FlightIntentCollection`` resources (``intents`` of ``full``
``FlightInfoTemplate`` objects): the same volumes, with times as offsets from the start of
the test run (``lead_s`` plus the recorded time), so that a load test replays the day from
whenever it starts.
"""

from __future__ import annotations

import datetime
import gc
import hashlib
import json
import math
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from dronesim.maps.errors import InputError
from dronesim.maps.projection import LocalProjection

FORMAT = "dronesim-f3548-intents/1"
# Rounding of the exported lon and lat (8 decimals: under 1.2 mm) and a margin for it.
COORDINATE_DECIMALS = 8
ROUND_MARGIN_M = 0.002
DEFAULT_MAX_VOLUME_S = 10.0
STATES = ("Accepted", "Activated")
USAGE_STATES = {"Accepted": "Planned", "Activated": "InUse"}
_NAMESPACE = uuid.UUID("6f1c9a52-8b1e-4d4e-9a57-3d1f0c2b7e10")  # dronesim's, fixed

LEVEL, COLUMN, MIXED = 0, 1, 2
KIND_NAMES = ("level", "column", "mixed")


class IntentsError(InputError):
    """An export that cannot be made from the input given (one line)."""


@dataclass(frozen=True)
class Geography:
    """Where and when a recording lies on the Earth.

    Attributes
    ----------
    origin_lonlat : (float, float)
        Longitude and latitude, degrees, of the local frame's (0, 0).
    start_utc : datetime.datetime
        UTC time of simulation time 0 (timezone-aware).
    ground_elevation_m : float
        Ground above mean sea level, metres (the lowest, over an elevation grid).
    ground_elevation_max_m : float or None
        The highest ground under the map over an elevation grid, metres; each volume's
        upper altitude is taken over it (None: the ground is level).
    geoid_offset_m : float
        Geoid undulation (WGS84 ellipsoid height of mean sea level), metres; 0 uses AMSL
        as the WGS84 height.
    """

    origin_lonlat: tuple[float, float]
    start_utc: datetime.datetime
    ground_elevation_m: float = 0.0
    geoid_offset_m: float = 0.0
    ground_elevation_max_m: float | None = None


@dataclass(frozen=True)
class Volumes:
    """The 4D volumes of every flight of a recording, in the local frame.

    Attributes (``V`` volumes, sorted by drone, flight, time)
    ----------
    drone, flight : int64 (V,)
        Drone and its flight's index (0, 1, ... per drone).
    t0_s, t1_s : float64 (V,)
        Time window, seconds of simulation time (not widened).
    z_lo_m, z_hi_m : float64 (V,)
        Altitude band above the ground, metres, inflated by half the vertical minimum
        (the lower clipped at 0).
    kind : int8 (V,)
        ``LEVEL``, ``COLUMN`` or ``MIXED``.
    centre_xy_m : float64 (V, 2)
        The point of a column volume (NaN for the others).
    radius_m : float
        Horizontal inflation (half the horizontal minimum), metres: a column's radius.
    outlines : tuple of (k, 2) float64 arrays or None
        A polygon volume's outline vertices (not closed), metres; None for a column.
    """

    drone: np.ndarray
    flight: np.ndarray
    t0_s: np.ndarray
    t1_s: np.ndarray
    z_lo_m: np.ndarray
    z_hi_m: np.ndarray
    kind: np.ndarray
    centre_xy_m: np.ndarray
    radius_m: float
    outlines: tuple

    def __len__(self) -> int:
        return len(self.drone)


def geography(
    recording,
    origin_lonlat: tuple[float, float] | None = None,
    start_utc: datetime.datetime | None = None,
    ground_elevation_m: float | None = None,
    geoid_offset_m: float = 0.0,
) -> Geography:
    """The recording's place and time, each overridden where given.

    Falls back, for recordings written before these fields, to the scenario defaults
    (`sim.scenario.DEFAULT_START_DATE` at ``meta.start_hour``, ground at 0 m); the origin
    has no default.

    Raises
    ------
    IntentsError
        Neither the recording (its meta or its map) nor the caller gives an origin.
    """
    from dronesim.sim.scenario import DEFAULT_START_DATE

    origin = origin_lonlat or recording.origin_lonlat
    if origin is None:
        raise IntentsError(
            f"{recording.source}: meta.origin_lonlat: missing (the map has no geographic "
            "anchor): set map.origin_lonlat = [lon, lat] in the scenario and record again, "
            "or pass --origin LON,LAT"
        )
    if start_utc is None:
        start_utc = recording.start_utc
    if start_utc is None:
        midnight = datetime.datetime.combine(DEFAULT_START_DATE, datetime.time(), datetime.UTC)
        start_utc = midnight + datetime.timedelta(hours=float(recording.meta["start_hour"]))
    highest = None
    if ground_elevation_m is None:
        ground_elevation_m = recording.ground_elevation_m
        highest = getattr(recording, "ground_elevation_max_m", None)
    return Geography(
        origin_lonlat=(float(origin[0]), float(origin[1])),
        start_utc=start_utc.astimezone(datetime.UTC),
        ground_elevation_m=float(ground_elevation_m or 0.0),
        geoid_offset_m=float(geoid_offset_m),
        ground_elevation_max_m=None if highest is None else float(highest),
    )


# ----------------------------------------------------------------------------- volumes


def flight_volumes(
    recording,
    max_volume_s: float = DEFAULT_MAX_VOLUME_S,
    horizontal_m: float | None = None,
    vertical_m: float | None = None,
    flight_limits_s: dict[tuple[int, int], float] | None = None,
) -> Volumes:
    """Every flight's volumes (see the module docstring), in the local frame.

    Parameters
    ----------
    recording : sim.recording.Recording
    max_volume_s : float
        Longest time window of one volume of moving flight, seconds (> 0); a hover is
        not cut.
    horizontal_m, vertical_m : float, optional
        Separation minima, metres (default: the recording's ``meta.separation_m``); the
        volumes are inflated by half of each.
    flight_limits_s : dict, optional
        ``(drone, flight) -> seconds``: a shorter longest window for those flights
        (`refine_intents` tightens the flights whose volumes intersect).
    """
    if not (math.isfinite(max_volume_s) and max_volume_s > 0):
        raise IntentsError(f"max_volume_s: must be > 0 seconds, got {max_volume_s}")
    minima = recording.meta.get("separation_m", [30.0, 10.0])
    h = float(minima[0] if horizontal_m is None else horizontal_m)
    v = float(minima[1] if vertical_m is None else vertical_m)
    radius = h / 2.0
    drone_of, t, p = recording.traj_drone.astype(np.int64), recording.traj_t, recording.traj_xyz
    # Segment k joins points k and k + 1 of one drone; airborne unless both are on the ground.
    same = drone_of[1:] == drone_of[:-1]
    airborne = same & ((p[:-1, 2] > 0.0) | (p[1:, 2] > 0.0))
    segment = np.flatnonzero(airborne)
    # A flight: a run of consecutive airborne segments (a run never spans two drones).
    new_flight = np.ones(len(segment), bool)
    new_flight[1:] = segment[1:] != segment[:-1] + 1
    flight_id = np.cumsum(new_flight) - 1
    seg_drone = drone_of[segment]
    first_of_drone = np.ones(len(segment), bool)
    first_of_drone[1:] = seg_drone[1:] != seg_drone[:-1]
    # The index of each flight within its drone: flights so far less those of earlier drones.
    before = np.maximum.accumulate(np.where(first_of_drone, flight_id, 0))
    flight_index = flight_id - before
    # Cut moving segments longer than max_volume_s into equal parts (exact: linear motion);
    # a hover is not cut (the drone holds its whole volume all the time).
    a, b = p[segment], p[segment + 1]
    span = t[segment + 1] - t[segment]
    still = np.all(a == b, axis=1)
    limit = np.full(len(segment), float(max_volume_s))
    if flight_limits_s:
        keys = np.array(sorted(flight_limits_s), np.int64).reshape(-1, 2)
        values = np.array([flight_limits_s[tuple(k)] for k in keys.tolist()], np.float64)
        if not np.all(np.isfinite(values) & (values > 0)):
            raise IntentsError(f"flight_limits_s: must be > 0 seconds, got {values.min()}")
        width = int(max(flight_index.max(initial=0), keys[:, 1].max(initial=0))) + 1
        code = seg_drone * width + flight_index
        wanted = keys[:, 0] * width + keys[:, 1]
        order = np.argsort(wanted)
        at = np.clip(np.searchsorted(wanted[order], code), 0, len(wanted) - 1)
        hit = wanted[order][at] == code
        limit[hit] = np.minimum(limit[hit], values[order][at[hit]])
    parts = np.where(still, 1, np.maximum(1, np.ceil(span / limit - 1e-9))).astype(np.int64)
    owner = np.repeat(np.arange(len(segment)), parts)
    j = np.arange(len(owner)) - np.repeat(np.cumsum(parts) - parts, parts)
    f0 = (j / parts[owner])[:, None]
    f1 = ((j + 1) / parts[owner])[:, None]
    step = (b - a)[owner]
    start_p = a[owner] + f0 * step
    end_p = np.where(f1 >= 1.0, b[owner], a[owner] + f1 * step)
    start_t = t[segment][owner] + f0[:, 0] * span[owner]
    end_t = np.where(
        f1[:, 0] >= 1.0, t[segment + 1][owner], t[segment][owner] + f1[:, 0] * span[owner]
    )
    run = end_p[:, :2] - start_p[:, :2]
    length = np.hypot(run[:, 0], run[:, 1])
    moving = length > 1e-6
    heading = run / np.where(moving, length, 1.0)[:, None]  # unit vector (0, 0) if still
    dz = end_p[:, 2] - start_p[:, 2]
    climbing = np.sign(np.where(np.abs(dz) > 1e-9, dz, 0.0)).astype(np.int64)
    kind = np.where(moving, np.where(climbing == 0, LEVEL, MIXED), COLUMN)
    group = _groups(
        flight_id[owner].tolist(),
        kind.tolist(),
        climbing.tolist(),
        start_t.tolist(),
        end_t.tolist(),
        start_p.tolist(),
        heading.tolist(),
        length.tolist(),
        radius,
        limit[owner].tolist(),
    )
    # Volumes: groups of consecutive parts [first, last].
    first = np.flatnonzero(np.diff(np.concatenate([[-1], group])))
    last = np.concatenate([first[1:], [len(group)]])[: len(first)] - 1
    n = len(first)
    z_lo = np.minimum.reduceat(np.minimum(start_p[:, 2], end_p[:, 2]), first) if n else np.empty(0)
    z_hi = np.maximum.reduceat(np.maximum(start_p[:, 2], end_p[:, 2]), first) if n else np.empty(0)
    volume_kind = kind[first].astype(np.int8)
    centre = np.full((n, 2), np.nan)
    column = volume_kind == COLUMN
    centre[column] = start_p[first[column], :2]
    outlines: list[np.ndarray | None] = [None] * n
    lines = np.flatnonzero(~column)
    if len(lines):
        # Each moving part's capsule: sides at the radius, each cap the half of the regular
        # octagon circumscribing the end's disc (vertices at +-22.5 and +-67.5 degrees from
        # the part's direction, at r / cos(22.5 deg)); a volume's outline is the convex
        # hull of its parts' capsules (one capsule when they are collinear).
        in_line = np.flatnonzero(~column[group])
        start_xy, end_xy = start_p[in_line, :2], end_p[in_line, :2]
        u = heading[in_line]
        normal = np.column_stack([-u[:, 1], u[:, 0]])
        reach = (radius + ROUND_MARGIN_M) / math.cos(math.pi / 8)
        angles = np.radians([67.5, 22.5, -22.5, -67.5, -112.5, -157.5, 157.5, 112.5])
        at_end = (np.arange(8) < 4)[None, :, None]
        corners = np.where(at_end, end_xy[:, None, :], start_xy[:, None, :]) + reach * (
            np.cos(angles)[None, :, None] * u[:, None, :]
            + np.sin(angles)[None, :, None] * normal[:, None, :]
        )
        # A volume of one part: its capsule; of several: the hull of their capsules.
        single = first[lines] == last[lines]
        position = np.searchsorted(lines, group[in_line])  # each part's line volume
        for k in np.flatnonzero(single).tolist():
            outlines[int(lines[k])] = corners[np.searchsorted(in_line, first[lines[k]])]
        several = np.flatnonzero(~single)
        if len(several):
            parts = np.isin(position, several)
            hulls = shapely.convex_hull(  # of a line through the corners: no point objects
                shapely.linestrings(
                    corners[parts].reshape(-1, 2),
                    indices=np.repeat(np.searchsorted(several, position[parts]), 8),
                )
            )
            ring, ring_index = shapely.get_coordinates(
                shapely.get_exterior_ring(hulls), return_index=True
            )
            bounds = np.searchsorted(ring_index, np.arange(len(several) + 1))
            for k, i in enumerate(lines[several].tolist()):
                outlines[i] = ring[bounds[k] : bounds[k + 1] - 1]  # without the closing point
    return Volumes(
        drone=seg_drone[owner[first]],
        flight=flight_index[owner[first]],
        t0_s=start_t[first],
        t1_s=end_t[last],
        z_lo_m=np.maximum(0.0, z_lo - v / 2.0),
        z_hi_m=z_hi + v / 2.0,
        kind=volume_kind,
        centre_xy_m=centre,
        radius_m=radius + ROUND_MARGIN_M,
        outlines=tuple(outlines),
    )


def _groups(flight, kind, climbing, start_t, end_t, start_p, heading, length, short_m, limit_s):
    """The volume of each part (consecutive parts grouped), int64 array: a part joins the
    group before it when of the same flight, kind and vertical direction, and (level or
    mixed) in the same horizontal direction, collinear (level: at the same altitude),
    or (column) over the same point, and the group then lasts at most its flight's
    ``limit_s`` (per part; a hover has no limit)."""
    n = len(kind)
    group = np.empty(n, np.int64)
    current = -1
    head = 0
    travelled = 0.0
    for k in range(n):
        joins = (
            k > 0
            and flight[k] == flight[head]
            and kind[k] == kind[head]
            and climbing[k] == climbing[head]
        )
        if joins:
            if kind[k] == COLUMN:
                joins = start_p[k][0] == start_p[head][0] and start_p[k][1] == start_p[head][1]
                if joins and climbing[k] != 0:
                    joins = end_t[k] - start_t[head] <= limit_s[head] + 1e-9
            else:
                # Straight on (the same direction, on the group's line), or a short hop
                # (a part or a group so far under short_m long: the hull then widens the
                # outline by less than that at the turn).
                (ux, uy), (hx, hy) = heading[k], heading[head]
                ox, oy = start_p[k][0] - start_p[head][0], start_p[k][1] - start_p[head][1]
                straight = (
                    ux * hx + uy * hy > 0.0
                    and abs(ux * hy - uy * hx) <= 1e-9
                    and abs(ox * hy - oy * hx) <= 1e-6
                )
                joins = end_t[k] - start_t[head] <= limit_s[head] + 1e-9 and (
                    straight or length[k] <= short_m or travelled <= short_m
                )
                if joins and kind[k] == LEVEL:
                    joins = start_p[k][2] == start_p[head][2]
        if not joins:
            current += 1
            head = k
            travelled = 0.0
        travelled += length[k]
        group[k] = current
    return group


# ----------------------------------------------------------------------------- F3548


def run_tag(recording) -> str:
    """A digest of what a recording flew (its meta and its trajectory): two runs of one
    scenario and seed that differ in any setting fly differently and get other intent
    identifiers; the same run recorded again gets the same ones."""
    digest = hashlib.sha1(json.dumps(recording.meta, sort_keys=True).encode())
    for array in (recording.traj_drone, recording.traj_t, recording.traj_xyz):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def intent_id(scenario: str, seed: int, drone: int, flight: int, what: str = "intent") -> str:
    """A stable version-4-formatted UUID for a flight (or its subscription); ``scenario``
    names the run (with `run_tag`, what it flew)."""
    digest = hashlib.sha1(
        _NAMESPACE.bytes + f"{scenario}/{seed}/{drone}/{flight}/{what}".encode()
    ).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _times(start_utc: datetime.datetime, ms: np.ndarray, time_type, rfc3339) -> tuple:
    """F3548 ``Time`` objects of ``ms`` milliseconds after ``start_utc``: ``(objects, index)``
    with ``objects[index[k]]`` the time of ``ms[k]``; one object per distinct value, as
    neighbouring volumes share their boundaries.

    Each value is a ``StringBasedDateTime`` (an RFC 3339 string with milliseconds and
    ``Z``, and its ``datetime``) assembled directly: its constructor (through arrow) took
    most of an export's time. The strings come from numpy's datetime formatting in one call.
    """
    from implicitdict import StringBasedDateTime

    distinct, index = np.unique(ms, return_inverse=True)
    epoch = np.datetime64(start_utc.replace(tzinfo=None), "ms")
    texts = np.datetime_as_string(epoch + distinct.astype("timedelta64[ms]"), unit="ms")
    objects = []
    step = datetime.timedelta(milliseconds=1)
    for value, text in zip(distinct.tolist(), texts.tolist()):
        string = str.__new__(StringBasedDateTime, text + "Z")
        string.datetime = start_utc + value * step
        objects.append(_assemble(time_type, {"value": string, "format": rfc3339}))
    return objects, index.reshape(ms.shape).tolist()


def _assemble(cls, fields: dict):
    """An instance of the uas-standards type ``cls`` holding ``fields``, every field of
    ``cls`` given: the dict ``cls(**fields)`` builds, without the per-object field
    introspection of ``ImplicitDict.__init__`` (most of an export's time when used for
    each of a day's hundreds of thousands of points and volumes; the volume loop of
    `operational_intents` fills them the same way, item by item). Tests compare both."""
    instance = dict.__new__(cls)
    dict.__init__(instance, fields)
    return instance


def operational_intents(
    recording,
    geo: Geography,
    volumes: Volumes | None = None,
    *,
    max_volume_s: float = DEFAULT_MAX_VOLUME_S,
    time_buffer_s: float = 0.0,
    priority: int = 0,
    state: str = "Accepted",
    manager: str = "dronesim",
    uss_base_url: str = "https://dronesim.invalid",
) -> dict:
    """The recording's flights as F3548-21 operational intents, in one JSON-ready document.

    Parameters
    ----------
    recording : sim.recording.Recording
    geo : Geography
        Origin, start time and ground elevation (`geography`).
    volumes : Volumes, optional
        Precomputed `flight_volumes` (else computed with ``max_volume_s``).
    time_buffer_s : float
        Seconds added before and after each volume's window (>= 0).
    priority : int
        F3548 priority of every intent.
    state : {"Accepted", "Activated"}
        F3548 state of every intent.
    manager, uss_base_url : str
        The reference's ``manager`` and ``uss_base_url``.

    Returns
    -------
    dict
        ``format``, the provenance fields (scenario, seed, start_utc, origin_lonlat,
        ground_elevation_m, geoid_offset_m, separation_m, inflation_m, max_volume_s,
        time_buffer_s), ``flights`` (``id``, ``drone``, ``flight`` per intent) and
        ``operational_intents``: uas-standards ``OperationalIntent`` objects (dicts).
    """

    if state not in STATES:
        raise IntentsError(f"--state: expected one of {', '.join(STATES)}, got {state!r}")
    if not (math.isfinite(time_buffer_s) and time_buffer_s >= 0):
        raise IntentsError(f"--time-buffer-s: must be >= 0 seconds, got {time_buffer_s}")
    if volumes is None:
        volumes = flight_volumes(recording, max_volume_s)
    # A day's export makes about a million small dicts; the cyclic garbage collector
    # would walk the growing heap again and again (three quarters of the time), and
    # none of them is garbage until the document is.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _document(
            recording,
            geo,
            volumes,
            max_volume_s,
            time_buffer_s,
            priority,
            state,
            manager,
            uss_base_url,
        )
    finally:
        if enabled:
            gc.enable()


def _document(
    recording, geo, volumes, max_volume_s, time_buffer_s, priority, state, manager, uss_base_url
) -> dict:
    from uas_standards.astm.f3548.v21 import api as f3548

    scenario, seed = str(recording.meta["scenario"]), int(recording.meta.get("seed") or 0)
    run_name = f"{scenario}#{run_tag(recording)}"
    lon, lat, centre = _lonlat(volumes, geo)
    base = geo.ground_elevation_m + geo.geoid_offset_m
    # Over uneven ground (an elevation grid) the band runs from the flown height over the
    # lowest ground to the flown height over the highest: it holds the drone wherever it is.
    top = max(geo.ground_elevation_m, geo.ground_elevation_max_m or -math.inf) + geo.geoid_offset_m
    # Milliseconds after the start truncated to a whole millisecond (a fractional start
    # hour can leave a fraction), windows widened outwards.
    start = geo.start_utc.replace(microsecond=geo.start_utc.microsecond // 1000 * 1000)
    shift = (geo.start_utc - start).total_seconds()
    t0_ms = np.floor((volumes.t0_s + shift - time_buffer_s) * 1000.0 + 1e-6).astype(np.int64)
    t1_ms = np.ceil((volumes.t1_s + shift + time_buffer_s) * 1000.0 - 1e-6).astype(np.int64)
    t1_ms = np.maximum(t1_ms, t0_ms + 1)  # F3548: the end after the start
    # Whole centimetres, rounded outwards (the band still holds the path's).
    alt_lo = np.floor(np.round((base + volumes.z_lo_m) * 100.0, 6)) / 100.0
    alt_hi = np.ceil(np.round((top + volumes.z_hi_m) * 100.0, 6)) / 100.0
    radius = f3548.Radius(value=round(volumes.radius_m, 3), units=f3548.RadiusUnits.M)
    w84, metres = f3548.AltitudeReference.W84, f3548.AltitudeUnits.M
    point_type, polygon_type = f3548.LatLngPoint, f3548.Polygon
    volume3d_type, volume4d_type = f3548.Volume3D, f3548.Volume4D
    times, (t0_index, t1_index) = _times(
        start, np.stack([t0_ms, t1_ms]), f3548.Time, f3548.TimeFormat.RFC3339
    )
    # One Altitude object per distinct value (a few layers' bands) and one Circle per
    # distinct centre (pads recur); volumes share them.
    values, value_index = np.unique(np.stack([alt_lo, alt_hi]), return_inverse=True)
    altitude_objects = [
        _assemble(f3548.Altitude, {"value": v, "reference": w84, "units": metres})
        for v in values.tolist()
    ]
    lower = [altitude_objects[k] for k in value_index[0].tolist()]
    upper = [altitude_objects[k] for k in value_index[1].tolist()]
    circles: dict[tuple[float, float], Any] = {}

    def circle(lng: float, lat: float):
        found = circles.get((lng, lat))
        if found is None:
            found = circles[lng, lat] = f3548.Circle(
                center=point_type(lng=lng, lat=lat), radius=radius
            )
        return found

    intents, flights = [], []
    n = len(volumes)
    keys = volumes.drone * (int(volumes.flight.max()) + 1 if n else 1) + volumes.flight
    edges = [0, *(np.flatnonzero(np.diff(keys)) + 1).tolist(), n] if n else [0]
    # Python numbers for the loop (indexing numpy arrays one item at a time is slow).
    centre_list = centre.tolist()
    drone_list, flight_list = volumes.drone.tolist(), volumes.flight.tolist()
    new = dict.__new__
    for begin, end in zip(edges[:-1], edges[1:]):
        drone, flight = drone_list[begin], flight_list[begin]
        items = []
        for i in range(begin, end):
            volume = new(volume3d_type)
            if lon[i] is None:  # a column: a circle about its point
                volume["outline_circle"] = circle(*centre_list[i])
            else:
                vertices = []
                for x, y in zip(lon[i], lat[i], strict=True):
                    point = new(point_type)
                    point["lng"] = x
                    point["lat"] = y
                    vertices.append(point)
                polygon = new(polygon_type)
                polygon["vertices"] = vertices
                volume["outline_polygon"] = polygon
            volume["altitude_lower"] = lower[i]
            volume["altitude_upper"] = upper[i]
            volume4 = new(volume4d_type)
            volume4["volume"] = volume
            volume4["time_start"] = times[t0_index[i]]
            volume4["time_end"] = times[t1_index[i]]
            items.append(volume4)
        identifier = intent_id(run_name, seed, drone, flight)
        reference = f3548.OperationalIntentReference(
            id=identifier,
            manager=manager,
            uss_availability=f3548.UssAvailabilityState.Unknown,
            version=1,
            state=f3548.OperationalIntentState(state),
            time_start=times[min(t0_index[begin:end])],
            time_end=times[max(t1_index[begin:end])],
            uss_base_url=uss_base_url,
            subscription_id=intent_id(run_name, seed, drone, flight, "subscription"),
        )
        details = f3548.OperationalIntentDetails(
            volumes=items, off_nominal_volumes=[], priority=int(priority)
        )
        intents.append(f3548.OperationalIntent(reference=reference, details=details))
        flights.append({"id": identifier, "drone": drone, "flight": flight})
    minima = recording.meta.get("separation_m", [30.0, 10.0])
    return {
        "format": FORMAT,
        "standard": "ASTM F3548-21 OperationalIntent (UTM API 1.0.0, uas-standards)",
        "scenario": scenario,
        "seed": seed,
        "start_utc": _rfc3339(geo.start_utc),
        "origin_lonlat": list(geo.origin_lonlat),
        "ground_elevation_m": geo.ground_elevation_m,
        "geoid_offset_m": geo.geoid_offset_m,
        "separation_m": [float(minima[0]), float(minima[1])],
        "inflation_m": [float(minima[0]) / 2.0, float(minima[1]) / 2.0],
        "max_volume_s": float(max_volume_s),
        "time_buffer_s": float(time_buffer_s),
        "flights": flights,
        "operational_intents": intents,
    }


def _lonlat(volumes: Volumes, geo: Geography) -> tuple[list, list, np.ndarray]:
    """Each polygon volume's vertices as lists of rounded lon and lat (None for columns),
    and each column's centre as (lon, lat) (NaN for polygons), projected in one call;
    duplicates left by the rounding are dropped."""
    projection = LocalProjection(*geo.origin_lonlat)
    n = len(volumes)
    centre = np.full((n, 2), np.nan)
    columns = np.flatnonzero(volumes.kind == COLUMN)
    if len(columns):
        x, y = volumes.centre_xy_m[columns].T
        lon_c, lat_c = projection.to_lonlat(x, y)
        centre[columns, 0] = np.round(lon_c, COORDINATE_DECIMALS)
        centre[columns, 1] = np.round(lat_c, COORDINATE_DECIMALS)
    polygon_rows = [i for i, outline in enumerate(volumes.outlines) if outline is not None]
    lon_out: list = [None] * n
    lat_out: list = [None] * n
    if not polygon_rows:
        return lon_out, lat_out, centre
    counts = [len(volumes.outlines[i]) for i in polygon_rows]
    xy = np.concatenate([volumes.outlines[i] for i in polygon_rows])
    lon, lat = projection.to_lonlat(xy[:, 0], xy[:, 1])
    lon = np.round(lon, COORDINATE_DECIMALS).tolist()
    lat = np.round(lat, COORDINATE_DECIMALS).tolist()
    at = 0
    for i, count in zip(polygon_rows, counts):
        xs, ys = lon[at : at + count], lat[at : at + count]
        at += count
        keep_x, keep_y = [], []
        for x, y in zip(xs, ys):
            if keep_x and x == keep_x[-1] and y == keep_y[-1]:
                continue
            keep_x.append(x)
            keep_y.append(y)
        while len(keep_x) > 1 and keep_x[-1] == keep_x[0] and keep_y[-1] == keep_y[0]:
            keep_x.pop()
            keep_y.pop()
        lon_out[i], lat_out[i] = keep_x, keep_y
    return lon_out, lat_out, centre


# ----------------------------------------------------------------------------- InterUSS


def flight_intent_collection(document: dict, lead_s: float = 60.0) -> dict:
    """The intents of an `operational_intents` document as an InterUSS flight intent
    collection (uss_qualifier's ``FlightIntentCollection``: ``intents`` of ``full``
    ``FlightInfoTemplate`` objects), for load tests.

    Each flight keeps its volumes (outlines and altitudes as in the F3548 document); its
    times become offsets from the start of the test run (``time_during_test:
    StartOfTestRun``): ``lead_s`` plus the seconds after the recording's ``start_utc``, so
    that the day replays from whenever the test starts (absolute times of a past day
    would be refused). ``usage_state`` is ``Planned`` for Accepted intents, ``InUse`` for
    Activated; ``uas_state`` is ``Nominal``; the F3548 priority is kept; the intent's
    identifier, drone and flight are in ``additional_information.dronesim``.

    Parameters
    ----------
    document : dict
        As returned by `operational_intents`.
    lead_s : float
        Seconds between the start of the test run and the recording's time 0 (>= 0).
    """
    from implicitdict import StringBasedTimeDelta

    if not (math.isfinite(lead_s) and lead_s >= 0):
        raise IntentsError(f"--lead-s: must be >= 0 seconds, got {lead_s}")
    start = datetime.datetime.fromisoformat(document["start_utc"])
    offsets: dict[str, dict] = {}

    def offset(time: dict) -> dict:
        text = str(time["value"])
        found = offsets.get(text)
        if found is None:
            seconds = (datetime.datetime.fromisoformat(text) - start).total_seconds() + lead_s
            found = offsets[text] = {
                "offset_from": {
                    "starting_from": {"time_during_test": "StartOfTestRun"},
                    "offset": StringBasedTimeDelta(f"{seconds:.3f}s"),
                }
            }
        return found

    intents = {}
    for flight, intent in zip(document["flights"], document["operational_intents"], strict=True):
        area = []
        for volume in intent["details"]["volumes"]:
            template = dict(volume["volume"])
            template["start_time"] = offset(volume["time_start"])
            template["end_time"] = offset(volume["time_end"])
            area.append(template)
        state = intent["reference"]["state"]
        state = str(getattr(state, "value", state))  # an enum, or its text in parsed JSON
        intents[f"d{flight['drone']}-f{flight['flight']}"] = {
            "full": {
                "basic_information": {
                    "usage_state": USAGE_STATES[state],
                    "uas_state": "Nominal",
                    "area": area,
                },
                "astm_f3548_21": {"priority": intent["details"]["priority"]},
                "additional_information": {
                    "dronesim": {
                        "operational_intent_id": flight["id"],
                        "scenario": document["scenario"],
                        "seed": document["seed"],
                        "drone": flight["drone"],
                        "flight": flight["flight"],
                    }
                },
            }
        }
    return {"intents": intents}


def write_json(document: dict, path: str | os.PathLike) -> int:
    """Write ``document`` as compact JSON, atomically; returns the bytes written.

    An `operational_intents` document is encoded by `encode_intents`, any other with
    ``json.dumps``.
    """
    from dronesim.sim.report import atomic_write_bytes

    if document.get("format") == FORMAT:
        chunks = encode_intents(document)
    else:
        chunks = iter([json.dumps(document, separators=(",", ":"), check_circular=False)])
    written = 0

    def data():
        nonlocal written
        for chunk in chunks:
            encoded = chunk.encode("utf-8")
            written += len(encoded)
            yield encoded

    atomic_write_bytes(Path(path), data())
    return written


def encode_intents(document: dict) -> Iterator[str]:
    """The JSON text of an `operational_intents` document, in chunks (about one intent
    each): joined, the same text as ``json.dumps(document, separators=(",", ":"))``
    (tests compare them), several times faster.

    ``json.dumps`` asks every ``ImplicitDict`` for its items through the class's
    Python-level attribute lookup, a few microseconds for each of a day's millions of
    objects. Here each volume is written from its fields with its vertices, and the
    objects shared between volumes (altitudes, times, circles) are encoded once; anything
    else (and any volume with fields other than these) goes through ``json.dumps``.
    """
    encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
    memo: dict[int, str] = {}

    quote = json.encoder.encode_basestring_ascii  # what json.dumps uses for strings

    def shared(value) -> str:
        text = memo.get(id(value))
        if text is None:
            text = memo[id(value)] = encode(value)
        return text

    def time(value) -> str:  # a Time: its value string and format
        text = memo.get(id(value))
        if text is None:
            if len(value) == 2 and value["format"] == "RFC3339":
                text = '{"value":' + quote(value["value"]) + ',"format":"RFC3339"}'
            else:
                text = encode(value)
            memo[id(value)] = text
        return text

    # Fields are read with subscripts and dict's own methods: any method looked up on an
    # ImplicitDict instance goes through its slow attribute lookup.
    keys, get = dict.keys, dict.get
    volume_keys = {"volume", "time_start", "time_end"}
    outline_keys = ({"outline_polygon"}, {"outline_circle"})
    bands = {"altitude_lower", "altitude_upper"}

    real = float.__repr__  # json.dumps's own float text; a TypeError for anything else

    def volume4d(item) -> str:
        volume = get(item, "volume")
        if (
            keys(item) != volume_keys
            or not isinstance(volume, dict)
            or len(volume) != 3
            or keys(volume) - bands not in outline_keys
        ):
            return encode(item)
        polygon = get(volume, "outline_polygon")
        if polygon is not None:
            try:
                points = polygon["vertices"]
                if len(polygon) != 1 or any([len(p) != 2 for p in points]):
                    raise TypeError
                vertices = ",".join(
                    [f'{{"lng":{real(p["lng"])},"lat":{real(p["lat"])}}}' for p in points]
                )
            except (TypeError, KeyError):
                return encode(item)
            outline = '"outline_polygon":{"vertices":[' + vertices + "]}"
        else:
            outline = '"outline_circle":' + shared(volume["outline_circle"])
        return (
            '{"volume":{'
            + outline
            + ',"altitude_lower":'
            + shared(volume["altitude_lower"])
            + ',"altitude_upper":'
            + shared(volume["altitude_upper"])
            + '},"time_start":'
            + time(item["time_start"])
            + ',"time_end":'
            + time(item["time_end"])
            + "}"
        )

    def intent(value) -> str:
        details = get(value, "details")
        if keys(value) != {"reference", "details"} or not isinstance(details, dict):
            return encode(value)
        fields = []
        for key, item in dict.items(details):
            if key == "volumes" and isinstance(item, list):
                text = "[" + ",".join([volume4d(v) for v in item]) + "]"
            else:
                text = encode(item)
            fields.append(encode(key) + ":" + text)
        return (
            '{"reference":' + encode(value["reference"]) + ',"details":{' + ",".join(fields) + "}}"
        )

    separator = "{"
    for key, value in document.items():
        if key == "operational_intents":
            yield separator + encode(key) + ":["
            for k, item in enumerate(value):
                yield ("," if k else "") + intent(item)
            yield "]"
        else:
            yield separator + encode(key) + ":" + encode(value)
        separator = ","
    yield "}" if separator == "," else "{}"


# ----------------------------------------------------------------------------- check


@dataclass(frozen=True)
class Intersections:
    """Pairs of volumes of different drones that intersect in 4D (`check_intents`).

    Attributes
    ----------
    volumes, intents : int
        Volumes and intents checked.
    pairs : int64 (P, 2)
        Intersecting volumes, as (intent, volume index in it) flattened: indices into
        the document's volumes in order (intent by intent), lower first.
    intent_pairs : int64 (Q, 2)
        The intents they belong to (distinct pairs, lower first).
    drone_pairs : int64 (Q, 2)
        The drones of ``intent_pairs``.
    """

    volumes: int
    intents: int
    pairs: np.ndarray
    intent_pairs: np.ndarray
    drone_pairs: np.ndarray

    def summary(self) -> str:
        """One line: what was checked and what intersects."""
        head = f"4D check: {self.volumes:,} volumes of {self.intents:,} intents"
        if not len(self.pairs):
            return f"{head}: no two volumes of different drones intersect"
        drones = len({tuple(p) for p in self.drone_pairs.tolist()})
        return (
            f"{head}: {len(self.pairs):,} pairs of volumes of different drones intersect "
            f"({len(self.intent_pairs):,} pairs of intents, {drones:,} pairs of drones)"
        )


def refine_intents(build, volumes, document, max_volume_s, min_volume_s):
    """Check the document; while volumes of different drones intersect, halve the windows
    of the flights they belong to (down to ``min_volume_s``), rebuild and check again.

    A volume holds its whole outline for its whole window, so two drones that pass one
    place at different times can have intersecting volumes although they kept the minima
    apart; shorter windows then part them. Volumes that still intersect at the shortest
    window are reported as they are.

    Parameters
    ----------
    build : callable
        ``build(flight_limits_s) -> (volumes, document)``: the export with those flights'
        windows shortened (`flight_volumes`' ``flight_limits_s``; None: none).
    volumes, document
        The export built with no limits.
    max_volume_s, min_volume_s : float
        The export's longest window and the shortest the tightening goes to, seconds.

    Returns
    -------
    volumes, document, result, limits
        The final export, its `Intersections`, and the ``(drone, flight) -> seconds``
        limits applied (empty when nothing was tightened).
    """
    limits: dict[tuple[int, int], float] = {}
    result = check_intents(document)
    level = float(max_volume_s)
    while len(result.pairs) and level > min_volume_s:
        level = max(float(min_volume_s), level / 2.0)
        flights = document["flights"]
        for i in np.unique(result.intent_pairs).tolist():
            key = (int(flights[i]["drone"]), int(flights[i]["flight"]))
            limits[key] = min(limits.get(key, float(max_volume_s)), level)
        volumes, document = build(limits)
        result = check_intents(document)
    if limits:
        # Provenance: which flights' windows are shorter than ``max_volume_s``.
        document["tightened_flights"] = [[d, f, s] for (d, f), s in sorted(limits.items())]
    return volumes, document, result, limits


def check_intents(
    document: dict,
    tolerance_m: float = 0.01,
    tolerance_s: float = 0.002,
    bucket_s: float = 120.0,
) -> Intersections:
    """Which volumes of different drones' intents intersect in 4D.

    Reads the exported document alone (its geography and the F3548 fields): polygons and
    circles are projected to the tangent plane of ``origin_lonlat`` (a circle drawn as a
    polygon circumscribing it, at most 0.03 % out), altitude bands and time windows are
    read from their strings. Two volumes intersect when their time windows overlap by more
    than ``tolerance_s``, their altitude bands by more than ``tolerance_m``, and their
    outlines, each shrunk by ``tolerance_m / 2``, share interior points: volumes that touch,
    as those of two drones exactly the separation minimum apart do up to the export's
    rounding margins (see the module docstring), do not intersect. Candidates come from a
    shapely STRtree per ``bucket_s`` of time.

    Parameters
    ----------
    document : dict
        An `operational_intents` document (or the same parsed from its JSON file).
    tolerance_m : float
        Overlap of outlines or altitude bands below which volumes touch, metres.
    tolerance_s : float
        Overlap of time windows below which volumes touch, seconds.
    bucket_s : float
        Width of the time buckets, seconds (speed only).
    """
    origin = document["origin_lonlat"]
    projection = LocalProjection(float(origin[0]), float(origin[1]))
    drone_of = [int(f["drone"]) for f in document["flights"]]
    owner, t0, t1, lo, hi = [], [], [], [], []
    ring_xy, ring_of, circles, circle_of, radius = [], [], [], [], []
    index = 0
    for k, intent in enumerate(document["operational_intents"]):
        for volume4 in intent["details"]["volumes"]:
            volume = volume4["volume"]
            owner.append(k)
            t0.append(_seconds(volume4["time_start"]["value"]))
            t1.append(_seconds(volume4["time_end"]["value"]))
            lo.append(float(volume["altitude_lower"]["value"]))
            hi.append(float(volume["altitude_upper"]["value"]))
            polygon = volume.get("outline_polygon")
            if polygon:
                vertices = [(p["lng"], p["lat"]) for p in polygon["vertices"]]
                ring_xy.extend(vertices)
                ring_xy.append(vertices[0])
                ring_of.extend([index] * (len(vertices) + 1))
            else:
                circle = volume["outline_circle"]
                circles.append((circle["center"]["lng"], circle["center"]["lat"]))
                radius.append(float(circle["radius"]["value"]))
                circle_of.append(index)
            index += 1
    n = index
    shapes = np.empty(n, dtype=object)
    if ring_xy:
        lonlat = np.array(ring_xy, dtype=np.float64)
        x, y = projection.to_local(lonlat[:, 0], lonlat[:, 1])
        ring_of = np.array(ring_of)
        rows, starts = np.unique(ring_of, return_index=True)
        rings = shapely.linearrings(np.column_stack([x, y]), indices=np.searchsorted(rows, ring_of))
        shapes[rows] = shapely.polygons(rings)
    if circles:
        lonlat = np.array(circles, dtype=np.float64)
        x, y = projection.to_local(lonlat[:, 0], lonlat[:, 1])
        segments = 64
        outward = 1.0 / math.cos(math.pi / (4 * segments))
        shapes[np.array(circle_of)] = shapely.buffer(
            shapely.points(x, y), np.array(radius) * outward, quad_segs=segments
        )
    owner = np.array(owner, np.int64)
    drone = np.array(drone_of, np.int64)[owner] if n else np.empty(0, np.int64)
    t0, t1 = np.array(t0), np.array(t1)
    lo, hi = np.array(lo), np.array(hi)
    found = []
    if n:
        base = float(t0.min())
        first = np.floor((t0 - base) / bucket_s).astype(np.int64)
        last = np.floor((t1 - base) / bucket_s).astype(np.int64)
        spans = last - first + 1
        members = np.repeat(np.arange(n), spans)
        buckets = np.repeat(first, spans) + (
            np.arange(len(members)) - np.repeat(np.cumsum(spans) - spans, spans)
        )
        order = np.argsort(buckets, kind="stable")
        members, buckets = members[order], buckets[order]
        cuts = np.flatnonzero(np.diff(buckets)) + 1
        for group in np.split(members, cuts):
            if len(group) < 2:
                continue
            tree = shapely.STRtree(shapes[group])
            a, b = tree.query(shapes[group], predicate="intersects")
            a, b = group[a], group[b]
            keep = (a < b) & (drone[a] != drone[b])
            keep &= (np.minimum(t1[a], t1[b]) - np.maximum(t0[a], t0[b])) > tolerance_s
            keep &= (np.minimum(hi[a], hi[b]) - np.maximum(lo[a], lo[b])) > tolerance_m
            a, b = a[keep], b[keep]
            if len(a):
                shrink = -tolerance_m / 2.0
                keep = shapely.intersects(
                    shapely.buffer(shapes[a], shrink, join_style="mitre"),
                    shapely.buffer(shapes[b], shrink, join_style="mitre"),
                )
                found.append(np.column_stack([a[keep], b[keep]]))
    pairs = np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 2), np.int64)
    intent_pairs = np.unique(owner[pairs], axis=0) if len(pairs) else np.empty((0, 2), np.int64)
    return Intersections(
        volumes=n,
        intents=len(document["operational_intents"]),
        pairs=pairs,
        intent_pairs=intent_pairs,
        drone_pairs=np.array(drone_of, np.int64)[intent_pairs]
        if len(intent_pairs)
        else np.empty((0, 2), np.int64),
    )


def _rfc3339(moment: datetime.datetime) -> str:
    """A UTC time as RFC 3339 with ``Z`` (fractions of a second only when there are)."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _seconds(text: str) -> float:
    """POSIX seconds of an RFC 3339 time."""
    return datetime.datetime.fromisoformat(str(text)).timestamp()
