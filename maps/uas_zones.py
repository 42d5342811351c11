"""Read EUROCAE ED-269 and ED-318 UAS geographical zones into the zone model.

Airspace authorities publish drone zones as ED-269 JSON (a ``features`` list, or the
``UASZoneList`` wrapper) or as its successor ED-318 (a GeoJSON ``FeatureCollection`` with
``metadata``; per feature, zone ``properties`` with ``limitedApplicability`` and the
vertical ``layer`` inside the geometry). `read_uas_zone_file` reads either (told apart by
`detect_format`) into `UASZoneVolume` records, and `read_uas_zones` into the
`NoFlyZone` objects every other part of dronesim knows.

Conversions (one rule each, applied in this order):

- **Shapes.** A polygon is projected into the local metric frame of the city
  (`LocalProjection` about the city's ``origin_lonlat``). A circle (ED-269 ``Circle`` with
  ``center`` and ``radius``; ED-318 ``Point`` with ``extent`` ``Circle``) becomes the
  regular ``CIRCLE_SIDES``-gon *circumscribing* it (vertices at ``r / cos(pi / n)``), so
  the drawn zone holds the whole circle: its area is ``n r^2 tan(pi / n)``, 0.08 % more
  than the disc at 64 sides. Every geometry of a zone (stepped floors) is a volume of its
  own. ED-269's ``uomDimensions`` applies to the radius as to the limits; ED-318 radii are
  metres.
- **Limits.** ``FT`` (ED-318: ``ft``) times 0.3048 exactly; ``AGL`` used as is; ``AMSL``
  minus the ground elevation. With an elevation grid the floor uses the highest and the
  ceiling the lowest ground under the zone's footprint, so the converted volume holds the
  true one. ``upperLimit: null`` is unbounded; a missing or null lower limit is the
  ground. A floor below ground is clamped to 0 (recorded in `UASZoneVolume.notes`). A
  volume whose ceiling is at or below the ground here blocks nothing (informational).
- **Times.** Applicability is UTC (times may carry their own offset) and is mapped onto
  simulation seconds from ``start_utc``: ``permanent: YES`` is in force from
  ``startDateTime`` (if given) to ``endDateTime`` (if given) and any schedule beside it
  is ignored (the zone is then in force more, never less); otherwise the date range,
  intersected with the weekly ``schedule`` when there is one. A schedule entry names days
  (``MON``..``SUN``, ``ANY``) and a ``startTime``/``endTime``; an end at or before the
  start crosses midnight into the next day (``17:00``-``00:00`` is the evening to
  midnight; equal times are 24 hours). Several applicability entries are a union. No
  applicability at all (ED-318 without ``limitedApplicability``) is permanent. Windows
  are merged, clipped to the run ``[0, duration_s)``, and each window of each volume
  becomes one `NoFlyZone` (the engine and the rasterizer handle any number of temporary
  zones; a zone in force over the whole run is permanent).
- **Restrictions.** ``PROHIBITED`` blocks; ``REQ_AUTHORISATION`` (ED-318:
  ``REQ_AUTHORIZATION``) and ``CONDITIONAL`` block unless the zone's identifier is among
  ``authorised``; ``NO_RESTRICTION`` (and ED-318 ``USPACE``) is informational: kept in
  the records, never a `NoFlyZone`.

Validation: anything dronesim uses is checked here first (one-line `UASZoneError` naming
the file, the zone identifier, the field and the value), then the zone is read with the
typed readers of ``uas-standards`` (InterUSS) where they fit: ED-269 zones whole
(`uas_standards.eurocae_ed269.UASZoneVersion`); for ED-318 the time periods and vertical
layers (its `UASZone` and `Feature` types refuse InterUSS's own ED-318 sample: a geometry
union they cannot parse, free-form ``extendedProperties``, string ``siteURL``). Their
parse errors become `UASZoneError` too, never a traceback. The typed readers accept some
bad values silently (a fractional limit is truncated to an integer), so values are
always taken from the checked raw document.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import shapely
from dronesim.maps import limits
from dronesim.maps.errors import MapFormatError
from dronesim.maps.features import NoFlyZone, check_area_geometry
from dronesim.maps.projection import LocalProjection, project_geometry
from shapely.geometry import MultiPolygon, Polygon

FT_TO_M = 0.3048
CIRCLE_SIDES = 64
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
BLOCKING = ("PROHIBITED", "REQ_AUTHORISATION", "CONDITIONAL")
AUTHORISABLE = ("REQ_AUTHORISATION", "CONDITIONAL")
INFORMATIONAL = ("NO_RESTRICTION", "USPACE")
# ED-318 spells authorisation with a z; one vocabulary inside dronesim.
_RESTRICTION_ALIASES = {"REQ_AUTHORIZATION": "REQ_AUTHORISATION"}
_MAX_FILE_BYTES = 200_000_000

_TIME = re.compile(
    r"^(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


class UASZoneError(MapFormatError):
    """A zone file is unreadable or a zone in it is malformed.

    The message names the file, the zone identifier (or feature index), the field (a
    path inside the zone) and the value, on one line.
    """

    def __init__(self, path: str | os.PathLike, zone: str | None, field: str, message: str):
        self.zone = zone
        self.field = field
        where = "" if zone is None else f"zone {zone!r}: "
        super().__init__(path, f"{where}{field}: {message}" if field else f"{where}{message}")


@dataclass(frozen=True)
class ElevationGrid:
    """Ground elevation above mean sea level on a small regular grid (local frame).

    Parameters
    ----------
    origin_m : (float, float)
        South-west corner ``(x0, y0)`` of the grid in the local frame, metres.
    cell_size_m : float
        Side of a square cell, metres, > 0.
    heights_m : tuple of tuple of float
        Elevation AMSL in metres of each cell, rows from south to north (row ``j`` covers
        ``y0 + j c .. y0 + (j + 1) c``), each row west to east.
    """

    origin_m: tuple[float, float]
    cell_size_m: float
    heights_m: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        grid = np.asarray(self.heights_m, dtype=np.float64)
        if grid.ndim != 2 or grid.size == 0:
            raise ValueError("heights_m must be a non-empty rectangular table of rows")
        if not np.isfinite(grid).all():
            raise ValueError("heights_m must be finite")
        if not (math.isfinite(self.cell_size_m) and self.cell_size_m > 0):
            raise ValueError(f"cell_size_m must be > 0, got {self.cell_size_m!r}")

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` the grid covers, metres."""
        ny, nx = len(self.heights_m), len(self.heights_m[0])
        x0, y0 = self.origin_m
        return (x0, y0, x0 + nx * self.cell_size_m, y0 + ny * self.cell_size_m)

    def range_under(self, geometry) -> tuple[float, float] | None:
        """Lowest and highest elevation (metres AMSL) of the cells under the
        geometry's bounding box, or None when the box misses the grid."""
        grid = np.asarray(self.heights_m, dtype=np.float64)
        ny, nx = grid.shape
        x0, y0 = self.origin_m
        xmin, ymin, xmax, ymax = geometry.bounds
        c = self.cell_size_m
        i0, i1 = max(0, math.floor((xmin - x0) / c)), min(nx - 1, math.floor((xmax - x0) / c))
        j0, j1 = max(0, math.floor((ymin - y0) / c)), min(ny - 1, math.floor((ymax - y0) / c))
        if i0 > i1 or j0 > j1:
            return None
        cells = grid[j0 : j1 + 1, i0 : i1 + 1]
        return float(cells.min()), float(cells.max())


@dataclass(frozen=True, eq=False)
class UASZoneVolume:
    """One geometry of one standards zone, converted (what `dronesim map info` lists).

    Attributes
    ----------
    identifier : str
        The zone's identifier in the file.
    name : str
        The volume's unique name (identifier, then ``#k`` for the k-th geometry of a
        stepped zone); its `NoFlyZone` objects are this name, then ``@w`` for the w-th
        window when there are several.
    restriction : str
        ``PROHIBITED``, ``REQ_AUTHORISATION``, ``CONDITIONAL``, ``NO_RESTRICTION`` or
        ``USPACE``.
    blocks : bool
        Whether drones must keep out (see `status`).
    status : str
        ``"blocks"``, ``"authorised"`` (listed in the scenario's authorised zones),
        ``"informational"`` (no restriction, or a volume under ground here).
    shape : str
        ``"circle"`` or ``"polygon"``.
    geometry : shapely.Polygon or shapely.MultiPolygon
        Footprint in the local frame, metres (a circle's circumscribed polygon).
    circle_m : (float, float, float) or None
        ``(x, y, radius)`` of a circle, metres.
    floor_m, ceiling_m : float
        Altitude band in metres above ground (``ceiling_m`` may be inf).
    windows_s : tuple of (float, float)
        Windows in force during the run, simulation seconds, merged, within
        ``[0, duration_s]``; ``((0, duration_s),)`` for a zone in force throughout.
    start_utc : datetime.datetime
        Simulation time 0 the windows count from.
    kind : str
        The `NoFlyZone` kind (``airport`` for air-traffic zones, else ``restricted``).
    message : str
        The zone's message in the file (first text for ED-318), may be empty.
    notes : tuple of str
        Conversions worth saying (a floor clamped to the ground, a schedule ignored).
    """

    identifier: str
    name: str
    restriction: str
    blocks: bool
    status: str
    shape: str
    geometry: Polygon | MultiPolygon
    circle_m: tuple[float, float, float] | None
    floor_m: float
    ceiling_m: float
    windows_s: tuple[tuple[float, float], ...]
    start_utc: datetime.datetime
    duration_s: float
    kind: str = "restricted"
    message: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def windows_utc(self) -> tuple[tuple[datetime.datetime, datetime.datetime], ...]:
        """`windows_s` as UTC date-times."""
        return tuple(
            (
                self.start_utc + datetime.timedelta(seconds=a),
                self.start_utc + datetime.timedelta(seconds=b),
            )
            for a, b in self.windows_s
        )

    def to_zones(self) -> list[NoFlyZone]:
        """The `NoFlyZone` objects of a blocking volume, one per window (none if it does
        not block or is never in force during the run)."""
        if not self.blocks:
            return []
        zones = []
        for index, (start, end) in enumerate(self.windows_s):
            name = self.name if len(self.windows_s) == 1 else f"{self.name} @{index + 1}"
            zones.append(
                NoFlyZone(
                    name,
                    self.geometry,
                    floor_m=self.floor_m,
                    ceiling_m=self.ceiling_m,
                    kind=self.kind,
                    # In force from the start, or to the end, of the run: open on that side
                    # (both: a permanent zone, baked into the static grid).
                    active_from_s=None if start <= 0.0 else start,
                    active_until_s=None if end >= self.duration_s else end,
                )
            )
        return zones


@dataclass(frozen=True)
class UASZoneFile:
    """What `read_uas_zone_file` found: the format and every volume of every zone."""

    path: str
    format: str  # "ED-269" or "ED-318"
    volumes: tuple[UASZoneVolume, ...]

    @property
    def identifiers(self) -> tuple[str, ...]:
        """The zone identifiers, in file order, each once."""
        return tuple(dict.fromkeys(volume.identifier for volume in self.volumes))

    def zones(self) -> list[NoFlyZone]:
        """Every blocking volume's `NoFlyZone` objects (see `UASZoneVolume.to_zones`)."""
        return [zone for volume in self.volumes for zone in volume.to_zones()]


def detect_format(document: Any) -> str | None:
    """``"ED-269"``, ``"ED-318"`` or None for a parsed JSON document.

    ED-269: an object with a ``UASZoneList`` list, or with a ``features`` list and no
    GeoJSON ``type``. ED-318: a ``FeatureCollection`` whose features' properties carry
    a zone ``identifier`` (a dronesim city's features carry ``kind`` instead).
    """
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("UASZoneList"), list):
        return "ED-269"
    features = document.get("features")
    if not isinstance(features, list):
        return None
    if document.get("type") is None:
        return "ED-269"
    if document.get("type") == "FeatureCollection":
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            if isinstance(props, dict) and "identifier" in props and "kind" not in props:
                return "ED-318"
    return None


def load_document(path: str | os.PathLike) -> Any:
    """The parsed JSON of a zone file (errors as `UASZoneError`)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise UASZoneError(
                path, None, "", f"{size:,} bytes; a zone file holds at most {_MAX_FILE_BYTES:,}"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UASZoneError(path, None, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UASZoneError(path, None, "", f"cannot read ({error})") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise UASZoneError(
            path, None, "", f"bad JSON at line {error.lineno}: {error.msg}"
        ) from None
    except ValueError as error:  # NaN, Infinity or a number out of range
        raise UASZoneError(path, None, "", f"bad JSON: {error}") from None
    except RecursionError:
        raise UASZoneError(path, None, "", "nested too deeply") from None
    _check_depth(path, document)
    return document


def read_uas_zone_file(
    path: str | os.PathLike,
    projection: LocalProjection | None,
    start_utc: datetime.datetime,
    duration_s: float,
    ground_elevation: float | ElevationGrid = 0.0,
    authorised: tuple[str, ...] | list[str] = (),
) -> UASZoneFile:
    """Read an ED-269 or ED-318 zone file into converted volumes (see the module text).

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file.
    projection : LocalProjection or None
        The city's local frame (its ``origin_lonlat``); None: about the centre of the
        file's coordinates (a zone file shown alone).
    start_utc : datetime.datetime
        UTC date and time of simulation time 0 (timezone-aware).
    duration_s : float
        Length of the run, seconds: windows are clipped to ``[0, duration_s]``.
    ground_elevation : float or ElevationGrid
        Ground elevation above mean sea level, metres, for ``AMSL`` limits.
    authorised : sequence of str
        Identifiers of ``REQ_AUTHORISATION``/``CONDITIONAL`` zones the operator may enter.

    Returns
    -------
    UASZoneFile

    Raises
    ------
    UASZoneError
        One line naming the file, the zone identifier, the field and the value.
    """
    path = Path(path)
    if start_utc.tzinfo is None:
        raise ValueError(f"start_utc must be timezone-aware (UTC), got {start_utc!r}")
    document = load_document(path)
    kind = detect_format(document)
    if kind is None:
        raise UASZoneError(
            path,
            None,
            "",
            "not an ED-269 (features or UASZoneList) or ED-318 (FeatureCollection of zones) document",
        )
    raw_zones = _raw_zones(path, kind, document)
    if projection is None:
        projection = _centre_projection(path, kind, raw_zones)
    authorised = tuple(authorised)
    counts: dict[str, int] = {}
    for _, identifier, _ in raw_zones:
        counts[identifier] = counts.get(identifier, 0) + 1
    volumes: list[UASZoneVolume] = []
    context = _Context(path, projection, start_utc, float(duration_s), ground_elevation, authorised)
    total_windows = 0
    for index, identifier, zone in raw_zones:
        base = identifier if counts[identifier] == 1 else f"{identifier} (feature {index})"
        read = _read_ed269_zone if kind == "ED-269" else _read_ed318_zone
        for volume in read(context, identifier, base, zone):
            volumes.append(volume)
            total_windows += len(volume.windows_s) if volume.blocks else 0
        if total_windows > limits.MAX_ZONE_VOLUMES:
            raise UASZoneError(
                path,
                identifier,
                "applicability",
                f"the file gives more than {limits.MAX_ZONE_VOLUMES:,} zone volumes in force "
                f"over the run (volumes x windows); at most {limits.MAX_ZONE_VOLUMES:,}",
            )
    return UASZoneFile(str(path), kind, tuple(volumes))


def read_uas_zones(
    path: str | os.PathLike,
    projection: LocalProjection | None,
    start_utc: datetime.datetime,
    duration_s: float,
    ground_elevation: float | ElevationGrid = 0.0,
    authorised: tuple[str, ...] | list[str] = (),
) -> list[NoFlyZone]:
    """The blocking `NoFlyZone` objects of an ED-269 or ED-318 file, one per volume and
    window (parameters and errors as `read_uas_zone_file`)."""
    return read_uas_zone_file(
        path, projection, start_utc, duration_s, ground_elevation, authorised
    ).zones()


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Context:
    path: Path
    projection: LocalProjection
    start_utc: datetime.datetime
    duration_s: float
    ground: float | ElevationGrid
    authorised: tuple[str, ...]

    def fail(self, zone: str | None, field_path: str, message: str) -> NoReturn:
        raise self.error(zone, field_path, message)

    def error(self, zone: str | None, field_path: str, message: str) -> UASZoneError:
        return UASZoneError(self.path, zone, field_path, message)


def _raw_zones(path: Path, kind: str, document: dict) -> list[tuple[int, str, dict]]:
    """``(index, identifier, zone)`` per zone; for ED-318 the zone is the Feature."""
    if kind == "ED-269":
        zones = document.get("UASZoneList", document.get("features"))
        where = "UASZoneList" if "UASZoneList" in document else "features"
    else:
        zones = document["features"]
        where = "features"
    out = []
    for index, zone in enumerate(zones):
        props = zone.get("properties") if kind == "ED-318" and isinstance(zone, dict) else zone
        if not isinstance(props, dict):
            raise UASZoneError(
                path, None, f"{where}[{index}]", f"expected an object, got {_short(props)}"
            )
        identifier = props.get("identifier")
        if not isinstance(identifier, str) or not identifier.strip():
            raise UASZoneError(
                path,
                f"feature {index}",
                "identifier",
                f"expected a non-empty string, got {_short(identifier)}",
            )
        out.append((index, identifier, zone))
    if not out:
        raise UASZoneError(path, None, where, "no zones")
    return out


def _read_ed269_zone(ctx: _Context, identifier: str, base: str, zone: dict):
    from implicitdict import ImplicitDict
    from uas_standards import eurocae_ed269

    restriction = _restriction(ctx, identifier, zone.get("restriction"), "restriction")
    geometries = zone.get("geometry")
    if not isinstance(geometries, list) or not geometries:
        ctx.fail(identifier, "geometry", f"expected a list of volumes, got {_short(geometries)}")
    footprints = []
    for g, volume in enumerate(geometries):
        where = f"geometry[{g}]"
        if not isinstance(volume, dict):
            ctx.fail(identifier, where, f"expected an object, got {_short(volume)}")
        uom = volume.get("uomDimensions")
        if uom not in ("M", "FT"):
            ctx.fail(identifier, f"{where}.uomDimensions", f"expected M or FT, got {_short(uom)}")
        scale = FT_TO_M if uom == "FT" else 1.0
        footprints.append(
            _ed269_projection(ctx, identifier, f"{where}.horizontalProjection", volume, scale)
        )
    windows, notes = _windows(ctx, identifier, zone.get("applicability"), "applicability", True)
    # Then the typed reader on the rest of the schema (required fields, enumerations);
    # values are taken from the checked raw zone above, never from it.
    typed_input = dict(zone)
    typed_input.pop("extendedProperties", None)  # free-form; the typed reader cannot parse Any
    applicability = typed_input.get("applicability")
    if isinstance(applicability, list):
        # ``dailyPeriod`` (InterUSS's sample) is not in the typed schema: it is read above.
        typed_input["applicability"] = [
            {k: v for k, v in entry.items() if v is not None and k != "dailyPeriod"}
            for entry in applicability
            if isinstance(entry, dict)
        ]
    # Positions are checked above; the typed reader would parse each number again (most of
    # its time on a large file).
    typed_input["geometry"] = [
        {
            **volume,
            "horizontalProjection": {
                k: v for k, v in volume["horizontalProjection"].items() if k != "coordinates"
            },
        }
        for volume in geometries
    ]
    _typed(ctx, identifier, typed_input, eurocae_ed269.UASZoneVersion, ImplicitDict)
    kind = "airport" if "AIR_TRAFFIC" in (zone.get("reason") or ()) else "restricted"
    message = zone.get("message") if isinstance(zone.get("message"), str) else ""
    volumes = []
    for g, (volume, (shape, geometry, circle)) in enumerate(zip(geometries, footprints)):
        where = f"geometry[{g}]"
        scale = FT_TO_M if volume["uomDimensions"] == "FT" else 1.0
        floor_m, ceiling_m, limit_notes = _limits(
            ctx,
            identifier,
            geometry,
            (volume.get("lowerLimit"), volume.get("lowerVerticalReference"), f"{where}.lowerLimit"),
            (volume.get("upperLimit"), volume.get("upperVerticalReference"), f"{where}.upperLimit"),
            scale,
        )
        name = base if len(geometries) == 1 else f"{base} #{g + 1}"
        volumes.append(
            _volume(
                ctx, identifier, name, restriction, shape, geometry, circle,
                floor_m, ceiling_m, windows, kind, message, notes + limit_notes,
            )
        )  # fmt: skip
    return volumes


def _read_ed318_zone(ctx: _Context, identifier: str, base: str, feature: dict):
    from implicitdict import ImplicitDict
    from uas_standards import eurocae_ed318

    props = feature["properties"]
    restriction = _restriction(ctx, identifier, props.get("type"), "properties.type")
    windows, notes = _windows(
        ctx, identifier, props.get("limitedApplicability"), "properties.limitedApplicability", False
    )
    periods = props.get("limitedApplicability")
    if periods is not None:
        for p, period in enumerate(periods):
            _typed(
                ctx,
                identifier,
                {k: v for k, v in period.items() if v is not None},
                eurocae_ed318.TimePeriod,
                ImplicitDict,
                f"properties.limitedApplicability[{p}].",
            )
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        ctx.fail(identifier, "geometry", f"expected an object, got {_short(geometry)}")
    if geometry.get("type") == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list) or not members:
            ctx.fail(identifier, "geometry.geometries", f"expected a list, got {_short(members)}")
        parts = [(f"geometry.geometries[{g}]", member) for g, member in enumerate(members)]
    else:
        parts = [("geometry", geometry)]
    kind = "airport" if "AIR_TRAFFIC" in (props.get("reason") or ()) else "restricted"
    message = _first_text(props.get("message"))
    volumes = []
    for g, (where, member) in enumerate(parts):
        if not isinstance(member, dict):
            ctx.fail(identifier, where, f"expected an object, got {_short(member)}")
        layer = member.get("layer", geometry.get("layer"))
        if not isinstance(layer, dict):
            ctx.fail(identifier, f"{where}.layer", f"expected an object, got {_short(layer)}")
        uom = layer.get("uom")
        if uom not in ("m", "ft"):
            ctx.fail(identifier, f"{where}.layer.uom", f"expected m or ft, got {_short(uom)}")
        _typed(ctx, identifier, layer, eurocae_ed318.VerticalLayer, ImplicitDict, f"{where}.layer.")
        shape, footprint, circle = _ed318_geometry(ctx, identifier, where, member)
        floor_m, ceiling_m, limit_notes = _limits(
            ctx,
            identifier,
            footprint,
            (layer.get("lower"), layer.get("lowerReference"), f"{where}.layer.lower"),
            (layer.get("upper"), layer.get("upperReference"), f"{where}.layer.upper"),
            FT_TO_M if uom == "ft" else 1.0,
            upper_required=True,
        )
        name = base if len(parts) == 1 else f"{base} #{g + 1}"
        volumes.append(
            _volume(
                ctx, identifier, name, restriction, shape, footprint, circle,
                floor_m, ceiling_m, windows, kind, message, notes + limit_notes,
            )
        )  # fmt: skip
    return volumes


def _volume(
    ctx, identifier, name, restriction, shape, geometry, circle, floor_m, ceiling_m,
    windows, kind, message, notes,
) -> UASZoneVolume:  # fmt: skip
    if restriction in INFORMATIONAL:
        blocks, status = False, "informational"
    elif ceiling_m <= max(floor_m, 0.0):
        blocks, status = False, "informational"
        notes = notes + ("ceiling at or below the floor or the ground here: blocks nothing",)
    elif restriction in AUTHORISABLE and identifier in ctx.authorised:
        blocks, status = False, "authorised"
    else:
        blocks, status = True, "blocks"
    return UASZoneVolume(
        identifier=identifier,
        name=name,
        restriction=restriction,
        blocks=blocks,
        status=status,
        shape=shape,
        geometry=geometry,
        circle_m=circle,
        floor_m=max(floor_m, 0.0),
        ceiling_m=ceiling_m,
        windows_s=windows,
        start_utc=ctx.start_utc,
        duration_s=ctx.duration_s,
        kind=kind,
        message=message,
        notes=notes,
    )


def _refuse_constant(name: str):
    """JSON has no NaN or Infinity: Python's reader accepts them, a zone file may not."""
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a number")
    return value


def _typed(ctx, identifier, value, kind, implicit, prefix: str = "") -> None:
    """Parse ``value`` with a ``uas-standards`` type; its errors become one line."""
    try:
        implicit.parse(value, kind)
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as error:
        text = str(error).replace("\n", " ")
        match = re.match(r"^At ([^:]+): (.*)$", text)
        if match:
            ctx.fail(identifier, prefix + match.group(1), match.group(2))
        ctx.fail(identifier, prefix.rstrip(".") or "zone", text)


def _restriction(ctx, identifier, value, field_path) -> str:
    value = _RESTRICTION_ALIASES.get(value, value) if isinstance(value, str) else value
    known = BLOCKING + INFORMATIONAL
    if value not in known:
        ctx.fail(
            identifier,
            field_path,
            f"unknown restriction type {_short(value)} (known: {', '.join(known)})",
        )
    return value


# --------------------------------------------------------------------------- geometry


def _ed269_projection(ctx, identifier, where, volume, scale):
    projection = volume.get("horizontalProjection")
    if not isinstance(projection, dict):
        ctx.fail(identifier, where, f"expected an object, got {_short(projection)}")
    kind = projection.get("type")
    if kind == "Circle":
        return _circle(
            ctx, identifier, where, projection.get("center"), projection.get("radius"), scale
        )
    if kind == "Polygon":
        return _polygon(ctx, identifier, where, projection.get("coordinates"))
    raise ctx.error(identifier, f"{where}.type", f"expected Circle or Polygon, got {_short(kind)}")


def _ed318_geometry(ctx, identifier, where, member):
    kind = member.get("type")
    if kind == "Point":
        extent = member.get("extent")
        if not isinstance(extent, dict) or extent.get("subType") != "Circle":
            ctx.fail(
                identifier,
                f"{where}.extent",
                f"a Point zone needs an extent of subType Circle with a radius, got {_short(extent)}",
            )
        return _circle(
            ctx,
            identifier,
            where,
            member.get("coordinates"),
            extent.get("radius"),
            1.0,
            "extent.radius",
            "coordinates",
        )
    if kind == "Polygon":
        return _polygon(ctx, identifier, where, member.get("coordinates"))
    if kind == "MultiPolygon":
        coordinates = member.get("coordinates")
        if not isinstance(coordinates, list) or not coordinates:
            ctx.fail(
                identifier, f"{where}.coordinates", f"expected polygons, got {_short(coordinates)}"
            )
        polygons = [
            _polygon(ctx, identifier, f"{where}.coordinates[{k}]", rings, key=None)[1]
            for k, rings in enumerate(coordinates)
        ]
        merged = shapely.union_all(polygons)
        return "polygon", _checked_area(ctx, identifier, f"{where}.coordinates", merged), None
    raise ctx.error(
        identifier,
        f"{where}.type",
        f"expected Polygon, MultiPolygon, GeometryCollection or a Point with a Circle extent, got {_short(kind)}",
    )


def _lonlat(ctx, identifier, where, value) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
    ):
        ctx.fail(identifier, where, f"expected a position [lon, lat], got {_short(value)}")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        ctx.fail(identifier, where, f"not lon/lat degrees (lon first), got {_short(value)}")
    return lon, lat


def _circle(
    ctx, identifier, where, centre, radius, scale, radius_key="radius", centre_key="center"
):
    lon, lat = _lonlat(ctx, identifier, f"{where}.{centre_key}", centre)
    if radius is None:
        ctx.fail(identifier, f"{where}.{radius_key}", "missing: a circle needs a radius")
    if (
        isinstance(radius, bool)
        or not isinstance(radius, (int, float))
        or not math.isfinite(radius)
        or radius <= 0
    ):
        ctx.fail(
            identifier, f"{where}.{radius_key}", f"expected a number > 0, got {_short(radius)}"
        )
    radius_m = float(radius) * scale
    x, y = (float(v) for v in ctx.projection.to_local(lon, lat))
    # The circumscribed polygon: its edges touch the circle, so it holds all of it.
    angles = np.linspace(0.0, 2.0 * math.pi, CIRCLE_SIDES, endpoint=False)
    reach = radius_m / math.cos(math.pi / CIRCLE_SIDES)
    polygon = Polygon(np.c_[x + reach * np.cos(angles), y + reach * np.sin(angles)])
    return "circle", _checked_area(ctx, identifier, where, polygon), (x, y, radius_m)


def _polygon(ctx, identifier, where, coordinates, key: str | None = "coordinates"):
    here = f"{where}.{key}" if key else where
    if not isinstance(coordinates, list) or not coordinates:
        ctx.fail(identifier, here, f"expected a list of rings, got {_short(coordinates)}")
    rings = []
    for r, ring in enumerate(coordinates):
        if not isinstance(ring, list) or len(ring) < 4:
            ctx.fail(
                identifier, f"{here}[{r}]", f"a ring needs at least 4 positions, got {_short(ring)}"
            )
        points = [
            _lonlat(ctx, identifier, f"{here}[{r}][{p}]", item) for p, item in enumerate(ring)
        ]
        if points[0] != points[-1]:
            ctx.fail(
                identifier,
                f"{here}[{r}]",
                f"ring not closed: first {ring[0]} differs from last {ring[-1]}",
            )
        rings.append(points)
    polygon = Polygon(rings[0], rings[1:])
    local = project_geometry(polygon, ctx.projection)
    return "polygon", _checked_area(ctx, identifier, here, local), None


def _checked_area(ctx, identifier, where, geometry):
    try:
        check_area_geometry("zone", geometry)
    except ValueError as error:
        ctx.fail(identifier, where, str(error).removeprefix("zone: "))
    if geometry.area < 1.0:
        ctx.fail(identifier, where, f"a zone of {geometry.area:.3g} m^2 (a line or a point?)")
    return geometry


# --------------------------------------------------------------------------- limits


def _number(ctx, identifier, field_path, value, *, allow_null: bool) -> float | None:
    if value is None:
        if allow_null:
            return None
        ctx.fail(identifier, field_path, "missing")
    if isinstance(value, str):  # InterUSS's ED-269 sample writes "0"
        try:
            number = float(value)
        except ValueError:
            ctx.fail(identifier, field_path, f"expected a number, got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        ctx.fail(identifier, field_path, f"expected a number, got {_short(value)}")
    else:
        number = float(value)
    if not math.isfinite(number):
        ctx.fail(identifier, field_path, f"must be finite, got {value!r}")
    return number


def _limits(ctx, identifier, geometry, lower, upper, scale, *, upper_required=False):
    """Floor and ceiling in metres above ground, and notes."""
    (low_value, low_ref, low_field), (up_value, up_ref, up_field) = lower, upper
    low = _number(ctx, identifier, low_field, low_value, allow_null=True)
    up = _number(ctx, identifier, up_field, up_value, allow_null=not upper_required)
    for value, reference, field_path in ((low, low_ref, low_field), (up, up_ref, up_field)):
        ref_field = (
            field_path.replace("Limit", "VerticalReference")
            .replace("layer.lower", "layer.lowerReference")
            .replace("layer.upper", "layer.upperReference")
        )
        if reference == "WGS84":
            ctx.fail(
                identifier,
                ref_field,
                "WGS84 (ellipsoid) heights are not supported: give AGL or AMSL",
            )
        if reference not in ("AGL", "AMSL") and not (value is None and reference is None):
            ctx.fail(identifier, ref_field, f"expected AGL or AMSL, got {_short(reference)}")
    if low is not None and up is not None and low_ref == up_ref and not up > low:
        ctx.fail(
            identifier,
            up_field,
            f"upper limit {up_value!r} must exceed the lower limit {low_value!r} ({low_ref})",
        )
    ground_low = ground_high = 0.0
    if "AMSL" in (low_ref, up_ref):
        if isinstance(ctx.ground, ElevationGrid):
            span = ctx.ground.range_under(geometry)
            if span is None:
                # The grid covers the map, so this zone lies off the map (a national file):
                # left out of the city later; its limits stay unconverted, ground to sky.
                return 0.0, math.inf, ("off map.ground_elevation_grid: AMSL limits not converted",)
            ground_low, ground_high = span
        else:
            ground_low = ground_high = float(ctx.ground)
    notes: list[str] = []
    if low is None:
        floor = 0.0
    else:
        # Conservative with a grid: the floor over the highest ground, the ceiling over the lowest.
        floor = low * scale - (ground_high if low_ref == "AMSL" else 0.0)
    if up is None:
        ceiling = math.inf
    else:
        ceiling = up * scale - (ground_low if up_ref == "AMSL" else 0.0)
    if floor < 0.0:
        notes.append(f"floor {floor:.1f} m below ground clamped to 0")
        floor = 0.0
    if low_ref != up_ref and not ceiling > floor:
        # Limits of different references (AGL floor, AMSL ceiling) over high ground: an empty
        # volume here, as a ceiling under the ground is (`_volume` lets it block nothing).
        notes.append(
            f"upper limit {up_value!r} {up_ref} is {ceiling:.1f} m above ground here, not above "
            f"the lower limit {low_value!r} {low_ref} ({floor:.1f} m): an empty volume"
        )
    return floor, ceiling, tuple(notes)


# --------------------------------------------------------------------------- time


def _datetime(ctx, identifier, field_path, value) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        ctx.fail(identifier, field_path, f"expected an ISO 8601 date-time, got {_short(value)}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        ctx.fail(identifier, field_path, f"expected an ISO 8601 date-time, got {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _time(ctx, identifier, field_path, value) -> tuple[float, datetime.timedelta]:
    """Seconds after midnight and the UTC offset of an ``hh:mm[:ss[.ff]][Z|+hh:mm]``."""
    if not isinstance(value, str):
        ctx.fail(identifier, field_path, f"expected a time hh:mm[:ss][Z], got {_short(value)}")
    match = _TIME.match(value.strip())
    if match is None:
        ctx.fail(identifier, field_path, f"expected a time hh:mm[:ss][Z], got {value!r}")
    hours, minutes = int(match["h"]), int(match["m"])
    seconds = int(match["s"] or 0) + float("0." + (match["f"] or "0"))
    if hours > 23 or minutes > 59 or seconds >= 60:
        ctx.fail(
            identifier,
            field_path,
            f"not a time of day (hours 00-23; write 00:00 for the end of the day), got {value!r}",
        )
    offset = datetime.timedelta(0)
    tz = match["tz"]
    if tz and tz not in ("Z",):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:])
        if oh > 23 or om > 59:
            ctx.fail(identifier, field_path, f"bad UTC offset in {value!r}")
        offset = sign * datetime.timedelta(hours=oh, minutes=om)
    return hours * 3600 + minutes * 60 + seconds, offset


def _windows(ctx, identifier, periods, where, ed269):
    """Merged windows in simulation seconds within ``[0, duration_s]``, and notes."""
    run_start = ctx.start_utc.astimezone(datetime.UTC)
    run_end = run_start + datetime.timedelta(seconds=ctx.duration_s)
    notes: list[str] = []
    if periods is None or (isinstance(periods, list) and not periods):
        intervals = [(run_start, run_end)]
        return _clip(ctx, intervals), ("permanent (no applicability given)",) if ed269 else ()
    if not isinstance(periods, list):
        ctx.fail(identifier, where, f"expected a list of time periods, got {_short(periods)}")
    intervals: list[tuple[datetime.datetime, datetime.datetime]] = []
    for p, period in enumerate(periods):
        here = f"{where}[{p}]"
        if not isinstance(period, dict):
            ctx.fail(identifier, here, f"expected an object, got {_short(period)}")
        start = _datetime(ctx, identifier, f"{here}.startDateTime", period.get("startDateTime"))
        end = _datetime(ctx, identifier, f"{here}.endDateTime", period.get("endDateTime"))
        if start is not None and end is not None and not end > start:
            ctx.fail(
                identifier,
                f"{here}.endDateTime",
                f"must be after startDateTime ({period.get('startDateTime')}), got {period.get('endDateTime')!r}",
            )
        schedule = period.get("schedule")
        key = "schedule"
        if schedule is None and "dailyPeriod" in period:
            schedule, key = period.get("dailyPeriod"), "dailyPeriod"
            # InterUSS's sample writes an empty dailyPeriod (no days, null times): no schedule.
            if isinstance(schedule, list) and all(
                isinstance(e, dict) and not e.get("day") and e.get("startTime") is None
                and e.get("endTime") is None
                for e in schedule
            ):  # fmt: skip
                schedule = None
        permanent = period.get("permanent")
        if ed269 and permanent not in ("YES", "NO"):
            ctx.fail(
                identifier, f"{here}.permanent", f"expected YES or NO, got {_short(permanent)}"
            )
        lo = start if start is not None else run_start - datetime.timedelta(days=1)
        hi = end if end is not None else run_end + datetime.timedelta(days=1)
        if permanent == "YES":
            if schedule:
                notes.append("permanent YES: its schedule is ignored (in force throughout)")
            intervals.append((lo, hi))
            continue
        if schedule is None or schedule == []:
            if start is None and end is None:
                ctx.fail(
                    identifier,
                    here,
                    "a time period needs startDateTime, endDateTime or a schedule"
                    + (" (or permanent YES)" if ed269 else ""),
                )
            intervals.append((lo, hi))
            continue
        if not isinstance(schedule, list):
            ctx.fail(identifier, f"{here}.{key}", f"expected a list, got {_short(schedule)}")
        for s, entry in enumerate(schedule):
            there = f"{here}.{key}[{s}]"
            intervals.extend(_weekly(ctx, identifier, there, entry, lo, hi, run_start, run_end))
    return _clip(ctx, intervals), tuple(notes)


def _weekly(ctx, identifier, where, entry, lo, hi, run_start, run_end):
    if not isinstance(entry, dict):
        ctx.fail(identifier, where, f"expected an object, got {_short(entry)}")
    days = entry.get("day")
    if not isinstance(days, list) or not days:
        ctx.fail(
            identifier,
            f"{where}.day",
            f"expected a list of days (MON..SUN, ANY), got {_short(days)}",
        )
    weekdays: set[int] = set()
    for d, day in enumerate(days):
        if day == "ANY":
            weekdays.update(range(7))
        elif day in DAYS:
            weekdays.add(DAYS.index(day))
        else:
            ctx.fail(
                identifier,
                f"{where}.day[{d}]",
                f"expected one of {', '.join(DAYS)}, ANY, got {_short(day)}",
            )
    for key in ("startEvent", "endEvent"):
        if entry.get(key) is not None:
            ctx.fail(
                identifier,
                f"{where}.{key}",
                f"sunrise/sunset events are not supported, got {_short(entry[key])}",
            )
    start_s, start_offset = _time(ctx, identifier, f"{where}.startTime", entry.get("startTime"))
    end_s, end_offset = _time(ctx, identifier, f"{where}.endTime", entry.get("endTime"))
    out = []
    # Every calendar day that can start a window meeting the run (a window starting the
    # day before may cross midnight into it; offsets shift by under a day).
    first = (run_start - datetime.timedelta(days=2)).date()
    last = (run_end + datetime.timedelta(days=1)).date()
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            midnight = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
            begin = midnight + datetime.timedelta(seconds=start_s) - start_offset
            finish = midnight + datetime.timedelta(seconds=end_s) - end_offset
            if finish <= begin:  # crosses midnight (equal times: a whole day)
                finish += datetime.timedelta(days=1)
            begin, finish = max(begin, lo), min(finish, hi)
            if finish > begin:
                out.append((begin, finish))
        day += datetime.timedelta(days=1)
    return out


def _clip(ctx, intervals) -> tuple[tuple[float, float], ...]:
    """UTC intervals -> merged simulation-second windows within ``[0, duration_s]``."""
    run_start = ctx.start_utc
    spans = []
    for begin, finish in intervals:
        a = max(0.0, (begin - run_start).total_seconds())
        b = min(ctx.duration_s, (finish - run_start).total_seconds())
        if b > a:
            spans.append((a, b))
    spans.sort()
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


# --------------------------------------------------------------------------- helpers


def _centre_projection(path, kind, raw_zones) -> LocalProjection:
    """About the centre of the file's positions (a zone file shown alone)."""
    lons, lats = [], []

    def walk(value):
        if (
            isinstance(value, list)
            and len(value) in (2, 3)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        ):
            lons.append(float(value[0]))
            lats.append(float(value[1]))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key in ("center", "coordinates", "geometry", "geometries", "horizontalProjection"):
                if key in value:
                    walk(value[key])

    for _, _, zone in raw_zones:
        walk(zone.get("geometry"))
    try:
        return LocalProjection.about_centre(lons, lats)
    except (TypeError, ValueError) as error:
        raise UASZoneError(
            path, None, "geometry", f"no usable lon/lat positions ({error})"
        ) from None


def _first_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        text = value[0].get("text")
        return text if isinstance(text, str) else ""
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_depth(path: Path, document: Any) -> None:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.MAX_JSON_DEPTH:
            raise UASZoneError(
                path, None, "", f"nested too deeply (at most {limits.MAX_JSON_DEPTH} levels)"
            )
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


__all__ = [
    "CIRCLE_SIDES",
    "FT_TO_M",
    "ElevationGrid",
    "UASZoneError",
    "UASZoneFile",
    "UASZoneVolume",
    "detect_format",
    "read_uas_zone_file",
    "read_uas_zones",
]
