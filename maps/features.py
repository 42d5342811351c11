"""Vector features of a city's airspace: no-fly zones, buildings, depots, base stations.

All coordinates are in the local metric frame (x east, y north, metres). Every class is
immutable and validated on construction: a bad value raises ``ValueError`` naming the
feature, the field and the value, never a silent repair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

ZONE_KINDS = ("airport", "government", "helipad", "hospital", "event", "restricted", "temporary")


def _check_finite(owner: str, name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return number


def check_area_geometry(owner: str, geometry: object) -> Polygon | MultiPolygon:
    """Return ``geometry`` if it is a valid, non-empty, finite (multi)polygon.

    Parameters
    ----------
    owner : str
        How to name the feature in the error, e.g. ``"zone 'airport'"``.
    geometry : object
        The candidate geometry, local frame (metres).

    Raises
    ------
    ValueError
        Naming the owner and what is wrong (type, emptiness, NaN, self-intersection with
        its location).
    """
    if not isinstance(geometry, (Polygon, MultiPolygon)):
        kind = geometry.geom_type if isinstance(geometry, BaseGeometry) else type(geometry).__name__
        raise ValueError(f"{owner}: geometry must be a Polygon or MultiPolygon, got {kind}")
    if geometry.is_empty:
        raise ValueError(f"{owner}: geometry is empty")
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        raise ValueError(f"{owner}: geometry has non-finite coordinates")
    if not geometry.is_valid:
        raise ValueError(f"{owner}: invalid geometry ({shapely.is_valid_reason(geometry)})")
    if geometry.area <= 0.0:
        raise ValueError(f"{owner}: geometry has zero area")
    return geometry


def conservative_buffer(geometry: BaseGeometry, distance_m: float, quad_segs: int = 8):
    """Grow ``geometry`` by at least ``distance_m`` everywhere.

    shapely (GEOS) approximates the round corners of a buffer by chords whose vertices lie
    on the circle. GEOS splits a corner's arc into ``round(angle / q)`` chords, with
    ``q = pi / (2 quad_segs)``, so one chord spans up to ``1.5 q`` and sags inside the
    circle by up to ``r * (1 - cos(0.75 q))``. Buffering by ``r / cos(0.75 q)`` puts every
    chord outside the true circle instead, so the result contains the exact buffer: what
    keep-out areas need. (0.8 % more distance at the default 8 segments.)

    Parameters
    ----------
    geometry : shapely geometry or array of them
        Local frame, metres.
    distance_m : float or array
        Buffer distance in metres (0 returns the geometry unchanged).
    quad_segs : int
        Segments per quarter circle.
    """
    distance = np.asarray(distance_m, dtype=np.float64)
    if not np.any(distance > 0):
        return geometry
    inflated = distance / math.cos(0.75 * math.pi / (2 * quad_segs))
    return shapely.buffer(geometry, inflated, quad_segs=quad_segs, join_style="round")


@dataclass(frozen=True, eq=False)
class NoFlyZone:
    """A volume of airspace drones must not enter.

    Parameters
    ----------
    name : str
        Unique, human-readable name (used in errors and reports).
    geometry : shapely.Polygon or shapely.MultiPolygon
        Footprint in the local frame, metres. Must be valid: a self-intersecting, empty or
        NaN geometry is an error, never repaired silently.
    floor_m, ceiling_m : float
        Altitude band in metres above ground, ``0 <= floor_m < ceiling_m``; ``ceiling_m``
        may be ``math.inf`` (no upper limit).
    buffer_m : float
        Horizontal safety margin in metres added around the footprint when rasterized
        and when paths are validated.
    kind : str
        One of ``ZONE_KINDS`` (what the zone protects; drawn and reported by kind).
    active_from_s, active_until_s : float or None
        Active window ``[active_from_s, active_until_s)`` in simulation seconds for a
        temporary restriction; both ``None`` for a permanent zone. One alone means an
        open-ended window.
    unannounced : bool
        The zone is not known before it switches on (a temporary zone with an
        ``active_from_s``): planners that plan ahead (the ``strategic`` deconfliction
        policy) cannot route around it before take-off, and drones crossing it are
        replanned in flight when it switches on. Default False (known in advance).
    """

    name: str
    geometry: Polygon | MultiPolygon
    floor_m: float = 0.0
    ceiling_m: float = math.inf
    buffer_m: float = 0.0
    kind: str = "restricted"
    active_from_s: float | None = None
    active_until_s: float | None = None
    unannounced: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"zone name must be a non-empty string, got {self.name!r}")
        owner = f"zone {self.name!r}"
        check_area_geometry(owner, self.geometry)
        floor = _check_finite(owner, "floor_m", self.floor_m)
        try:
            ceiling = float(self.ceiling_m)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: ceiling_m must be a number, got {self.ceiling_m!r}"
            ) from None
        if math.isnan(ceiling):
            raise ValueError(f"{owner}: ceiling_m must not be NaN")
        if floor < 0:
            raise ValueError(f"{owner}: floor_m must be >= 0, got {floor}")
        if not ceiling > floor:
            raise ValueError(f"{owner}: ceiling_m must exceed floor_m ({floor}), got {ceiling}")
        buffer = _check_finite(owner, "buffer_m", self.buffer_m)
        if buffer < 0:
            raise ValueError(f"{owner}: buffer_m must be >= 0, got {buffer}")
        if self.kind not in ZONE_KINDS:
            raise ValueError(
                f"{owner}: kind must be one of {', '.join(ZONE_KINDS)}, got {self.kind!r}"
            )
        start = (
            None
            if self.active_from_s is None
            else _check_finite(owner, "active_from_s", self.active_from_s)
        )
        end = (
            None
            if self.active_until_s is None
            else _check_finite(owner, "active_until_s", self.active_until_s)
        )
        if start is not None and end is not None and not end > start:
            raise ValueError(
                f"{owner}: active_until_s must exceed active_from_s ({start}), got {end}"
            )
        if not isinstance(self.unannounced, (bool, np.bool_)):
            raise ValueError(
                f"{owner}: unannounced must be true or false, got {self.unannounced!r}"
            )
        if self.unannounced and start is None:
            raise ValueError(
                f"{owner}: unannounced needs a temporary zone with active_from_s (a zone "
                f"active from the start is known), got unannounced = true"
            )
        object.__setattr__(self, "unannounced", bool(self.unannounced))
        object.__setattr__(self, "floor_m", floor)
        object.__setattr__(self, "ceiling_m", ceiling)
        object.__setattr__(self, "buffer_m", buffer)
        object.__setattr__(self, "active_from_s", start)
        object.__setattr__(self, "active_until_s", end)

    @property
    def is_temporary(self) -> bool:
        """True when the zone has an active window rather than being permanent."""
        return self.active_from_s is not None or self.active_until_s is not None

    def active_at(self, t_s: float) -> bool:
        """Whether the zone is in force at simulation time ``t_s`` (seconds)."""
        if self.active_from_s is not None and t_s < self.active_from_s:
            return False
        return self.active_until_s is None or t_s < self.active_until_s

    @cached_property
    def keep_out(self) -> Polygon | MultiPolygon:
        """The footprint grown by ``buffer_m`` (conservatively, see `conservative_buffer`)."""
        return conservative_buffer(self.geometry, self.buffer_m)

    def overlaps_band(self, low_m: float, high_m: float) -> bool:
        """Whether the altitude band ``[low_m, high_m]`` (metres) overlaps the zone's band."""
        return low_m < self.ceiling_m and high_m > self.floor_m


@dataclass(frozen=True, eq=False)
class Buildings:
    """Building footprints with roof heights.

    Parameters
    ----------
    footprints : sequence of shapely.Polygon / MultiPolygon
        Local frame, metres; each must be valid and non-empty.
    heights_m : array_like of float
        Roof height of each building in metres above ground, > 0 and finite.
    """

    footprints: np.ndarray
    heights_m: np.ndarray

    def __post_init__(self) -> None:
        footprints = np.empty(len(self.footprints), dtype=object)
        footprints[:] = list(self.footprints)
        heights = np.asarray(self.heights_m, dtype=np.float64).reshape(-1)
        if heights.shape[0] != footprints.shape[0]:
            raise ValueError(
                f"buildings: {footprints.shape[0]} footprints but {heights.shape[0]} heights"
            )
        for index, footprint in enumerate(footprints):
            check_area_geometry(f"building {index}", footprint)
        bad = np.flatnonzero(~np.isfinite(heights) | (heights <= 0))
        if bad.size:
            raise ValueError(
                f"building {bad[0]}: height_m must be > 0 and finite, got {heights[bad[0]]}"
            )
        footprints.flags.writeable = False
        heights.flags.writeable = False
        object.__setattr__(self, "footprints", footprints)
        object.__setattr__(self, "heights_m", heights)

    @classmethod
    def empty(cls) -> Buildings:
        """No buildings."""
        return cls(np.empty(0, dtype=object), np.empty(0))

    def __len__(self) -> int:
        return int(self.heights_m.shape[0])

    @cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index over the footprints (built on first use)."""
        return shapely.STRtree(self.footprints)


@dataclass(frozen=True)
class Depot:
    """A ground site where drones start, load parcels and charge.

    Parameters
    ----------
    name : str
        Unique name.
    x_m, y_m : float
        Position in the local frame, metres.
    pads : int
        Number of pads (take-off and landing pads, and chargers: drones that can charge
        at once), >= 1.
    pad_layout : {"ring", "grid"} or None
        How the pads stand around the depot point (None: the scenario's ``map.pad_layout``).
    pad_spacing_m : float or None
        Least distance between two pads, metres (None: the scenario's).
    """

    name: str
    x_m: float
    y_m: float
    pads: int = 4
    pad_layout: str | None = None
    pad_spacing_m: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"depot name must be a non-empty string, got {self.name!r}")
        owner = f"depot {self.name!r}"
        object.__setattr__(self, "x_m", _check_finite(owner, "x_m", self.x_m))
        object.__setattr__(self, "y_m", _check_finite(owner, "y_m", self.y_m))
        if (
            isinstance(self.pads, bool)
            or not isinstance(self.pads, (int, np.integer))
            or self.pads < 1
        ):
            raise ValueError(f"{owner}: pads must be an integer >= 1, got {self.pads!r}")
        object.__setattr__(self, "pads", int(self.pads))
        if self.pad_layout not in (None, "ring", "grid"):
            raise ValueError(
                f"{owner}: pad_layout must be 'ring' or 'grid', got {self.pad_layout!r}"
            )
        if self.pad_spacing_m is not None:
            spacing = _check_finite(owner, "pad_spacing_m", self.pad_spacing_m)
            if not spacing > 0:
                raise ValueError(f"{owner}: pad_spacing_m must be > 0, got {spacing!r}")
            object.__setattr__(self, "pad_spacing_m", spacing)

    @property
    def point(self) -> Point:
        return Point(self.x_m, self.y_m)


@dataclass(frozen=True)
class BaseStation:
    """A radio base station that links drones to their operator.

    Parameters
    ----------
    name : str
        Unique name.
    x_m, y_m : float
        Position in the local frame, metres.
    range_m : float
        Horizontal distance in metres beyond which the link is lost, > 0.
    """

    name: str
    x_m: float
    y_m: float
    range_m: float = 2000.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"base station name must be a non-empty string, got {self.name!r}")
        owner = f"base station {self.name!r}"
        object.__setattr__(self, "x_m", _check_finite(owner, "x_m", self.x_m))
        object.__setattr__(self, "y_m", _check_finite(owner, "y_m", self.y_m))
        range_m = _check_finite(owner, "range_m", self.range_m)
        if range_m <= 0:
            raise ValueError(f"{owner}: range_m must be > 0, got {range_m}")
        object.__setattr__(self, "range_m", range_m)


HOTSPOT_CATEGORIES = ("residential", "commercial")


@dataclass(frozen=True)
class Hotspot:
    """A centre of delivery demand.

    Parameters
    ----------
    name : str
        Unique name.
    x_m, y_m : float
        Centre in the local frame, metres.
    radius_m : float
        Standard deviation in metres of drop-off points around the centre, > 0.
    weight : float
        Relative share of the city's demand, > 0.
    category : str
        ``"residential"`` or ``"commercial"`` (they peak at different hours).
    """

    name: str
    x_m: float
    y_m: float
    radius_m: float = 300.0
    weight: float = 1.0
    category: str = "residential"

    def __post_init__(self) -> None:
        owner = f"hotspot {self.name!r}"
        object.__setattr__(self, "x_m", _check_finite(owner, "x_m", self.x_m))
        object.__setattr__(self, "y_m", _check_finite(owner, "y_m", self.y_m))
        for name in ("radius_m", "weight"):
            value = _check_finite(owner, name, getattr(self, name))
            if value <= 0:
                raise ValueError(f"{owner}: {name} must be > 0, got {value}")
            object.__setattr__(self, name, value)
        if self.category not in HOTSPOT_CATEGORIES:
            raise ValueError(
                f"{owner}: category must be one of {', '.join(HOTSPOT_CATEGORIES)}, got {self.category!r}"
            )


def unique_names(owner: str, items) -> None:
    """Raise ``ValueError`` if two items share a name."""
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{owner}: duplicate name {item.name!r}")
        seen.add(item.name)


__all__ = [
    "BaseStation",
    "Buildings",
    "Depot",
    "Hotspot",
    "NoFlyZone",
    "ZONE_KINDS",
    "HOTSPOT_CATEGORIES",
    "check_area_geometry",
    "conservative_buffer",
    "unique_names",
]
