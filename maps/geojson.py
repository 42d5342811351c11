"""Read and write cities as GeoJSON FeatureCollections (RFC 7946: WGS84 lon/lat).

Format (what `write_geojson` writes and `read_geojson` reads back exactly):

- top-level foreign member ``"properties"``: ``format`` (``"dronesim-city/1"``), ``name``,
  ``origin_lonlat`` (``[lon, lat]`` of the local frame's (0, 0)) and ``bounds_m``
  (``[xmin, ymin, xmax, ymax]`` in that frame);
- one Feature per object, told apart by ``properties.kind``:

  ========================  ==========  ====================================================
  kind                      geometry    properties
  ========================  ==========  ====================================================
  ``building``              (Multi)Poly ``height`` (metres, > 0)
  ``no_fly_zone``           (Multi)Poly ``name``, ``zone_kind``, ``floor_m``, ``ceiling_m``
                                        (null: unlimited), ``buffer_m``, ``active_from_s``,
                                        ``active_until_s`` (null: open), optional
                                        ``unannounced`` (true: not known before it
                                        switches on; needs ``active_from_s``)
  ``depot``                 Point       ``name``, ``pads``, optional ``pad_layout``
                                        (``ring``/``grid``) and ``pad_spacing_m``
                                        (metres; both override the scenario's)
  ``base_station``          Point       ``name``, ``range_m``
  ``hotspot``               Point       ``name``, ``radius_m``, ``weight``, ``category``
  ``park``                  (Multi)Poly (none)
  ``land``                  (Multi)Poly (none): where drop-offs may lie (the customers'
                                        ground); without any, anywhere on open ground
  ========================  ==========  ====================================================

Files from elsewhere are read leniently where the meaning is clear: a feature without
``kind`` is a building if it has ``height``, a zone if it has ``floor_m``/``ceiling_m`` or
BlueSky's ``bottom``/``top`` (metres, as BlueSky's area filter stores them; ``top`` >= 1e9
means unlimited). Without ``origin_lonlat`` the frame is centred on the data's bounding box
and ``bounds_m`` is the data's extent plus a margin.

Checked before anything is built (`dronesim.maps.limits`): the document's nesting depth,
every coordinate (numbers only, closed rings of at least four positions), every
coordinate within ``MAX_DISTANCE_FROM_CENTRE_M`` of the map's centre (the median of the
features' centres: a feature written lat, lon, or a building in another city, is an
error), zones of at least 1 m^2 whose window does not end before t = 0, the pads, and
depots outside buildings and permanent zones.

Building footprints from OpenStreetMap are sometimes self-intersecting; such a footprint is
replaced by shapely's ``make_valid`` of it, which keeps all of its area (an obstacle may
only grow), and a `RepairWarning` names the feature. Zones get no such repair: an invalid
zone is an error.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from dronesim.maps import limits
from dronesim.maps.city import City
from dronesim.maps.errors import MapFormatError
from dronesim.maps.features import BaseStation, Buildings, Depot, Hotspot, NoFlyZone
from dronesim.maps.projection import LocalProjection, project_geometry
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

FORMAT = "dronesim-city/1"
DEFAULT_MARGIN_M = 100.0
BLUESKY_UNLIMITED_M = 1e9
_COORD_DECIMALS = 9  # ~0.1 mm in latitude: round trips stay far below the cell size


class RepairWarning(UserWarning):
    """An input geometry was repaired (only ever for building footprints)."""


def read_geojson(
    path: str | os.PathLike, *, margin_m: float = DEFAULT_MARGIN_M, name: str | None = None
) -> City:
    """Read a city from a GeoJSON FeatureCollection.

    Coordinates are WGS84 lon/lat (RFC 7946) projected to a local East-North tangent plane
    (`maps.projection.LocalProjection`) about ``origin_lonlat`` from the file's top-level
    properties, or about the centre of the data's bounding box. Within 10 km of the
    origin, planar distances differ from WGS84 geodesic distances by well under a
    millimetre per kilometre (see `LocalProjection`), far below any cell size we use.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.geojson`` file.
    margin_m : float
        Margin in metres added around the data's extent when the file gives no
        ``bounds_m``.
    name : str, optional
        City name (default: the file's ``name`` property or its stem).

    Raises
    ------
    MapFormatError
        Unreadable file, bad JSON, not a FeatureCollection, an unknown geometry type, a
        missing or bad property: the message names the file, the feature index and the
        field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MapFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MapFormatError(path, f"cannot read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise MapFormatError(path, f"bad JSON: {error.msg}", line=error.lineno) from None
    except RecursionError:
        # The parser recurses once per nesting level; no valid map nests more than a few.
        raise MapFormatError(
            path, f"nested too deeply (GeoJSON maps nest at most {limits.MAX_JSON_DEPTH} levels)"
        ) from None
    return city_from_geojson(document, path, margin_m=margin_m, name=name)


def city_from_geojson(
    document: Any,
    source: str | os.PathLike = "<geojson>",
    *,
    margin_m: float = DEFAULT_MARGIN_M,
    name: str | None = None,
) -> City:
    """A city from a parsed GeoJSON document (see `read_geojson`).

    Documents written with ``city_to_geojson(..., local=True)`` (top-level property
    ``frame = "local"``) hold local metres and are read without projection.
    """
    path = Path(os.fspath(source))
    _check_depth(path, document)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise MapFormatError(path, f"type: expected 'FeatureCollection', got {found!r}")
    features = document.get("features")
    if not isinstance(features, list):
        raise MapFormatError(path, "features: expected a list")
    top = document.get("properties") or {}
    if not isinstance(top, dict):
        raise MapFormatError(path, "properties: expected an object")

    local_frame = top.get("frame") == "local"
    geometries: list[Any] = []
    for index, feature in enumerate(features):
        geometries.append(_feature_geometry(path, index, feature, geographic=not local_frame))

    if local_frame:
        local = geometries
        origin = top.get("origin_lonlat")
        projection = LocalProjection(*origin) if origin else None
    else:
        projection = _projection(path, top, geometries)
        local = [project_geometry(geometry, projection) for geometry in geometries]
    _check_extent(path, local)

    footprints: list[Polygon | MultiPolygon] = []
    heights: list[float] = []
    zones: list[NoFlyZone] = []
    depots: list[Depot] = []
    stations: list[BaseStation] = []
    hotspots: list[Hotspot] = []
    parks: list[Polygon | MultiPolygon] = []
    land: list[Polygon | MultiPolygon] = []
    depot_features: list[int] = []
    zone_features: list[int] = []
    building_features: list[int] = []
    for index, (feature, geometry) in enumerate(zip(features, local)):
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise MapFormatError(path, "properties: expected an object", feature=index)
        kind = _kind(path, index, props)
        try:
            if kind == "building":
                footprints.append(_building_footprint(path, index, geometry))
                building_features.append(index)
                heights.append(_number(path, index, props, "height", minimum=0.0, exclusive=True))
            elif kind == "no_fly_zone":
                zones.append(_zone(path, index, props, _area(path, index, geometry, kind)))
                # Degenerate rings keep a sliver of area after projection: below 1 m^2 a
                # zone is a mistake (a line, a point), not airspace.
                if not zones[-1].geometry.area >= 1.0:
                    raise MapFormatError(
                        path,
                        f"geometry: a zone of {zones[-1].geometry.area:.3g} m^2 (zero area: a line or a point?)",
                        feature=index,
                    )
                zone_features.append(index)
            elif kind == "depot":
                x, y = _point(path, index, geometry, kind)
                depots.append(
                    Depot(
                        _name(path, index, props, f"depot-{len(depots) + 1}"),
                        x,
                        y,
                        _integer(path, index, props, "pads", default=4, maximum=limits.MAX_PADS),
                        pad_layout=_pad_layout(path, index, props),
                        pad_spacing_m=_number(
                            path, index, props, "pad_spacing_m", minimum=1.0, allow_null=True
                        ),
                    )
                )
                depot_features.append(index)
            elif kind == "base_station":
                x, y = _point(path, index, geometry, kind)
                stations.append(
                    BaseStation(
                        _name(path, index, props, f"station-{len(stations) + 1}"),
                        x,
                        y,
                        _number(path, index, props, "range_m", default=2000.0),
                    )
                )
            elif kind == "hotspot":
                x, y = _point(path, index, geometry, kind)
                hotspots.append(
                    Hotspot(
                        _name(path, index, props, f"hotspot-{len(hotspots) + 1}"),
                        x,
                        y,
                        radius_m=_number(path, index, props, "radius_m", default=300.0),
                        weight=_number(path, index, props, "weight", default=1.0),
                        category=str(props.get("category", "residential")),
                    )
                )
            elif kind == "land":
                land.append(_area(path, index, geometry, kind))
            else:  # park
                parks.append(_area(path, index, geometry, kind))
        except MapFormatError:
            raise
        except ValueError as error:
            raise MapFormatError(path, str(error), feature=index) from None

    _check_depots(path, depots, depot_features, footprints, building_features, zones, zone_features)
    bounds = top.get("bounds_m")
    if bounds is None:
        extent = [g for g in local if g is not None and not g.is_empty]
        if not extent:
            raise MapFormatError(path, "no features with geometry")
        xmin, ymin, xmax, ymax = shapely.total_bounds(np.array(extent, dtype=object))
        bounds = (xmin - margin_m, ymin - margin_m, xmax + margin_m, ymax + margin_m)
    else:
        bounds = _bounds(path, bounds)
    try:
        return City(
            name=name or str(top.get("name") or path.stem),
            bounds_m=bounds,
            buildings=Buildings(footprints, np.array(heights, dtype=np.float64)),
            zones=tuple(zones),
            depots=tuple(depots),
            base_stations=tuple(stations),
            hotspots=tuple(hotspots),
            parks=tuple(parks),
            land=tuple(land),
            origin_lonlat=None
            if projection is None
            else (projection.lon0_deg, projection.lat0_deg),
        )
    except ValueError as error:
        raise MapFormatError(path, str(error)) from None


def write_geojson(
    city: City,
    path: str | os.PathLike,
    *,
    origin_lonlat: tuple[float, float] | None = None,
) -> None:
    """Write a city as a GeoJSON FeatureCollection (lon/lat), atomically.

    Parameters
    ----------
    city : City
        What to write.
    path : str or os.PathLike
        Destination file; written to a temporary file beside it, then renamed.
    origin_lonlat : (float, float), optional
        Where to anchor the local frame's (0, 0) on the globe; default the city's own
        ``origin_lonlat``. Required when the city has none.
    """
    origin = origin_lonlat or city.origin_lonlat
    if origin is None:
        raise ValueError(
            "origin_lonlat: the city has no geographic anchor; pass origin_lonlat=(lon, lat)"
        )
    document = city_to_geojson(city, origin)
    _atomic_write_text(Path(path), json.dumps(document, separators=(",", ":"), allow_nan=False))


def city_to_geojson(
    city: City, origin_lonlat: tuple[float, float] | None = None, *, local: bool = False
) -> dict[str, Any]:
    """The GeoJSON document (a dict) for a city; see the module docstring for the format.

    With ``local=True`` (or no geographic anchor at all) coordinates stay in the local
    metric frame (x east, y north, metres) and the top-level properties say so
    (``frame = "local"``) and carry ``origin_lonlat`` when known: the form recordings use,
    sharing the frame of their trajectories.
    """
    origin = origin_lonlat or city.origin_lonlat
    projection = LocalProjection(*origin) if origin is not None and not local else None

    def geometry(geom) -> dict[str, Any]:
        if projection is not None:
            geom = project_geometry(geom, projection, inverse=True)
        return mapping(_rounded(geom, projection is not None))

    features: list[dict[str, Any]] = []
    for footprint, height in zip(city.buildings.footprints, city.buildings.heights_m):
        features.append(_feature(geometry(footprint), kind="building", height=float(height)))
    for zone in city.zones:
        features.append(
            _feature(
                geometry(zone.geometry),
                kind="no_fly_zone",
                name=zone.name,
                zone_kind=zone.kind,
                floor_m=zone.floor_m,
                ceiling_m=None if math.isinf(zone.ceiling_m) else zone.ceiling_m,
                buffer_m=zone.buffer_m,
                active_from_s=zone.active_from_s,
                active_until_s=zone.active_until_s,
                # Written only when set, so that files of announced zones stay as they were.
                **({"unannounced": True} if zone.unannounced else {}),
            )
        )
    for depot in city.depots:
        features.append(
            _feature(
                geometry(shapely.Point(depot.x_m, depot.y_m)),
                kind="depot",
                name=depot.name,
                pads=depot.pads,
                **{
                    key: value
                    for key, value in (
                        ("pad_layout", depot.pad_layout),
                        ("pad_spacing_m", depot.pad_spacing_m),
                    )
                    if value is not None
                },
            )
        )
    for station in city.base_stations:
        features.append(
            _feature(
                geometry(shapely.Point(station.x_m, station.y_m)),
                kind="base_station",
                name=station.name,
                range_m=station.range_m,
            )
        )
    for spot in city.hotspots:
        features.append(
            _feature(
                geometry(shapely.Point(spot.x_m, spot.y_m)),
                kind="hotspot",
                name=spot.name,
                radius_m=spot.radius_m,
                weight=spot.weight,
                category=spot.category,
            )
        )
    for park in city.parks:
        features.append(_feature(geometry(park), kind="park"))
    for area in city.land:
        features.append(_feature(geometry(area), kind="land"))
    properties: dict[str, Any] = {
        "format": FORMAT,
        "name": city.name,
        "bounds_m": list(city.bounds_m),
    }
    if origin is not None:
        properties["origin_lonlat"] = [float(origin[0]), float(origin[1])]
    if projection is None:
        properties["frame"] = "local"
        properties["crs"] = (
            "local metric frame (x east, y north, metres); origin_lonlat, when given, is its (0, 0)"
        )
    return {"type": "FeatureCollection", "properties": properties, "features": features}


# --------------------------------------------------------------------------- helpers


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _rounded(geom, geographic: bool):
    if not geographic:
        return geom
    return shapely.transform(geom, lambda xy: np.round(xy, _COORD_DECIMALS))


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")


def _feature_geometry(path: Path, index: int, feature: Any, *, geographic: bool = True):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise MapFormatError(path, "type: expected 'Feature'", feature=index)
    raw = feature.get("geometry")
    if raw is None:
        raise MapFormatError(path, "geometry: missing", feature=index)
    if not isinstance(raw, dict) or raw.get("type") not in _GEOMETRY_TYPES:
        found = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
        raise MapFormatError(
            path,
            f"geometry.type: expected one of {', '.join(_GEOMETRY_TYPES)}, got {found!r}",
            feature=index,
        )
    _check_coordinates(path, index, raw["type"], raw.get("coordinates"))
    try:
        geometry = shape(raw)
    except Exception as error:  # shapely raises several types for malformed coordinate arrays
        raise MapFormatError(
            path, f"geometry.coordinates: malformed ({error})", feature=index
        ) from None
    coords = shapely.get_coordinates(geometry)
    if geometry.is_empty or not np.isfinite(coords).all():
        raise MapFormatError(path, "geometry.coordinates: empty or not finite", feature=index)
    if geographic and ((np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any()):
        raise MapFormatError(
            path,
            "geometry.coordinates: not lon/lat degrees (RFC 7946 order is lon, lat)",
            feature=index,
        )
    return geometry


def _projection(path: Path, top: dict[str, Any], geometries: list[Any]) -> LocalProjection:
    origin = top.get("origin_lonlat")
    if origin is not None:
        try:
            lon, lat = (float(v) for v in origin)
            return LocalProjection(lon, lat)
        except (TypeError, ValueError) as error:
            raise MapFormatError(
                path, f"properties.origin_lonlat: bad value {origin!r} ({error})"
            ) from None
    if not geometries:
        raise MapFormatError(path, "no features")
    coords = np.concatenate([shapely.get_coordinates(g) for g in geometries])
    return LocalProjection.about_centre(coords[:, 0], coords[:, 1])


def _kind(path: Path, index: int, props: dict[str, Any]) -> str:
    kind = props.get("kind")
    if kind is None:
        if "height" in props:
            return "building"
        if {"floor_m", "ceiling_m", "bottom", "top"} & props.keys():
            return "no_fly_zone"
        raise MapFormatError(
            path,
            "kind: missing, and no 'height' or zone altitudes to tell what it is",
            feature=index,
        )
    kinds = ("building", "no_fly_zone", "depot", "base_station", "hotspot", "park", "land")
    if kind not in kinds:
        raise MapFormatError(
            path, f"kind: expected one of {', '.join(kinds)}, got {kind!r}", feature=index
        )
    return kind


def _number(
    path, index, props, field, *, default=None, minimum=None, exclusive=False, allow_null=False
):
    value = props.get(field, default)
    if value is None:
        if allow_null:
            return None
        raise MapFormatError(path, f"{field}: missing", feature=index)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MapFormatError(
            path, f"{field}: expected a finite number, got {value!r}", feature=index
        )
    if minimum is not None and (value <= minimum if exclusive else value < minimum):
        relation = ">" if exclusive else ">="
        raise MapFormatError(
            path, f"{field}: must be {relation} {minimum:g}, got {value!r}", feature=index
        )
    return float(value)


def _integer(path, index, props, field, *, default, maximum=None):
    value = props.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MapFormatError(path, f"{field}: expected an integer, got {value!r}", feature=index)
    if maximum is not None and value > maximum:
        raise MapFormatError(path, f"{field}: must be <= {maximum}, got {value!r}", feature=index)
    return value


def _pad_layout(path, index, props):
    value = props.get("pad_layout")
    if value is not None and value not in ("ring", "grid"):
        raise MapFormatError(
            path, f"pad_layout: expected 'ring' or 'grid', got {value!r}", feature=index
        )
    return value


def _name(path, index, props, default):
    value = props.get("name", default)
    if not isinstance(value, str) or not value:
        raise MapFormatError(
            path, f"name: expected a non-empty string, got {value!r}", feature=index
        )
    return value


def _area(path, index, geometry, kind):
    if not isinstance(geometry, (Polygon, MultiPolygon)):
        raise MapFormatError(
            path,
            f"geometry.type: a {kind} needs a Polygon or MultiPolygon, got {geometry.geom_type}",
            feature=index,
        )
    return geometry


def _point(path, index, geometry, kind):
    if geometry.geom_type != "Point":
        raise MapFormatError(
            path, f"geometry.type: a {kind} needs a Point, got {geometry.geom_type}", feature=index
        )
    return float(geometry.x), float(geometry.y)


def _building_footprint(path, index, geometry):
    footprint = _area(path, index, geometry, "building")
    if footprint.is_valid:
        return footprint
    reason = shapely.is_valid_reason(footprint)
    repaired = shapely.make_valid(footprint)
    polygons = [
        g
        for g in shapely.get_parts(repaired)
        if isinstance(g, (Polygon, MultiPolygon)) and g.area > 0
    ]
    if not polygons:
        raise MapFormatError(
            path, f"geometry: invalid building footprint ({reason}) with no area", feature=index
        )
    warnings.warn(
        f"{path}: feature {index}: building footprint invalid ({reason}); repaired with make_valid",
        RepairWarning,
        stacklevel=3,
    )
    return shapely.union_all(polygons)


def _zone(path, index, props, geometry) -> NoFlyZone:
    floor = props.get("floor_m", props.get("bottom", 0.0))
    ceiling = props.get("ceiling_m", props.get("top"))
    if (
        "ceiling_m" not in props
        and "top" in props
        and isinstance(ceiling, (int, float))
        and ceiling >= BLUESKY_UNLIMITED_M
    ):
        ceiling = None
    if (
        "floor_m" not in props
        and "bottom" in props
        and isinstance(floor, (int, float))
        and floor < 0
    ):
        floor = 0.0  # BlueSky's default bottom is -1e9: from the ground up
    values = {"floor_m": floor, "ceiling_m": ceiling}
    for field_name, value in values.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise MapFormatError(
                path, f"{field_name}: expected a number or null, got {value!r}", feature=index
            )
    window = {}
    for field_name in ("active_from_s", "active_until_s"):
        window[field_name] = _number(path, index, props, field_name, allow_null=True)
    if window["active_until_s"] is not None and window["active_until_s"] <= 0:
        raise MapFormatError(
            path,
            f"active_until_s: the zone ends at or before t = 0 (the start of a run), so it is "
            f"never active, got {window['active_until_s']!r}",
            feature=index,
        )
    zone_kind = props.get("zone_kind", "restricted")
    return NoFlyZone(
        name=_name(path, index, props, f"zone-{index}"),
        geometry=geometry,
        floor_m=float(floor) if floor is not None else 0.0,
        ceiling_m=math.inf if ceiling is None else float(ceiling),
        buffer_m=_number(path, index, props, "buffer_m", default=0.0, minimum=0.0),
        kind=zone_kind,
        # Checked by the zone itself (true or false, and only on a zone with a start).
        unannounced=False if props.get("unannounced") is None else props["unannounced"],
        **window,
    )


def _bounds(path, bounds):
    try:
        values = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        raise MapFormatError(
            path, f"properties.bounds_m: expected 4 numbers, got {bounds!r}"
        ) from None
    if len(values) != 4:
        raise MapFormatError(path, f"properties.bounds_m: expected 4 numbers, got {bounds!r}")
    return values


def _check_depth(path: Path, document: Any) -> None:
    """The document nests at most `limits.MAX_JSON_DEPTH` levels (walked without
    recursion, so that a hostile depth cannot exhaust the stack)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.MAX_JSON_DEPTH:
            raise MapFormatError(
                path,
                f"nested too deeply (GeoJSON maps nest at most {limits.MAX_JSON_DEPTH} levels)",
            )
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


# Nesting of arrays around a position for each geometry type: a Point is a position, a
# Polygon a list of rings (lists of positions), a MultiPolygon a list of Polygons.
_RING_DEPTH = {"Polygon": 0, "MultiPolygon": 1}


def _check_coordinates(path: Path, index: int, kind: str, coordinates: Any) -> None:
    """RFC 7946 coordinates: positions of 2 or 3 numbers (not strings), and every
    polygon ring closed with at least four positions. Shapely would accept strings that
    parse as numbers and close open rings silently."""

    def fail(where: str, message: str) -> None:
        raise MapFormatError(path, f"geometry.coordinates{where}: {message}", feature=index)

    def position(value: Any, where: str) -> None:
        if not isinstance(value, list) or len(value) not in (2, 3):
            fail(where, f"expected a position [lon, lat], got {_short(value)}")
        for axis, number in enumerate(value):
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                fail(f"{where}[{axis}]", f"expected a number, got {_short(number)}")

    def polygon(value: Any, where: str) -> None:
        if not isinstance(value, list) or not value:
            fail(where, f"expected a list of rings, got {_short(value)}")
        for r, ring in enumerate(value):
            here = f"{where}[{r}]"
            if not isinstance(ring, list) or len(ring) < 4:
                fail(here, f"a ring needs at least 4 positions, got {_short(ring)}")
            for p, item in enumerate(ring):
                position(item, f"{here}[{p}]")
            if ring[0] != ring[-1]:
                fail(
                    here,
                    f"ring not closed: the first position {ring[0]} differs from the last {ring[-1]}",
                )

    if kind == "Point":
        position(coordinates, "")
    elif kind == "Polygon":
        polygon(coordinates, "")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            fail("", f"expected a list of polygons, got {_short(coordinates)}")
        for k, item in enumerate(coordinates):
            polygon(item, f"[{k}]")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_extent(path: Path, local: list[Any]) -> None:
    """Every coordinate within `limits.MAX_DISTANCE_FROM_CENTRE_M` of the map's centre, the
    median of the features' bounding-box centres (robust to a few stray features)."""
    present = [(i, g) for i, g in enumerate(local) if g is not None and not g.is_empty]
    if not present:
        return
    boxes = shapely.bounds(np.array([g for _, g in present], dtype=object))
    centre = np.median((boxes[:, :2] + boxes[:, 2:]) / 2, axis=0)
    # The farthest corner of each feature's box from the centre.
    far = np.hypot(
        np.maximum(np.abs(boxes[:, 0] - centre[0]), np.abs(boxes[:, 2] - centre[0])),
        np.maximum(np.abs(boxes[:, 1] - centre[1]), np.abs(boxes[:, 3] - centre[1])),
    )
    bad = np.flatnonzero(far > limits.MAX_DISTANCE_FROM_CENTRE_M)
    if bad.size:
        k = int(bad[0])
        raise MapFormatError(
            path,
            f"geometry.coordinates: {far[k] / 1000:.0f} km from the map's centre (the median of "
            f"the features); at most {limits.MAX_DISTANCE_FROM_CENTRE_M / 1000:g} km (lat, lon "
            f"written for lon, lat, or a feature from elsewhere?)",
            feature=present[k][0],
        )


def _check_depots(
    path, depots, depot_features, footprints, building_features, zones, zone_features
):
    """No depot inside a building footprint or a permanent zone's buffered footprint."""
    for depot, index in zip(depots, depot_features):
        point = shapely.Point(depot.x_m, depot.y_m)
        owner = f"depot {depot.name!r} at ({depot.x_m:.1f}, {depot.y_m:.1f}) m"
        for footprint, other in zip(footprints, building_features):
            if footprint.intersects(point):
                raise MapFormatError(
                    path, f"{owner} lies inside the building of feature {other}", feature=index
                )
        for zone, other in zip(zones, zone_features):
            if not zone.is_temporary and zone.floor_m <= 0 and zone.keep_out.intersects(point):
                raise MapFormatError(
                    path,
                    f"{owner} lies inside no-fly zone {zone.name!r} (feature {other})",
                    feature=index,
                )
