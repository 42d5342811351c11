"""Build the bundled real cities' map files (``manhattan``, ``berlin-mitte``).

Reads the reference footprints in ``../shared/data/geo/`` (buildings with ``height`` in
metres; data © OpenStreetMap contributors, ODbL) and writes, for each city, under
``sim/scenarios/<scenario>/``:

- ``<stem>.geojson``: the city in the project's map-file format (``maps.geojson``): the
  buildings (coordinates rounded to 1e-7 degrees, about 1 cm; heights to 0.1 m), the
  depots, the demand hotspots, the land drop-offs may lie on (the built-up area, less the
  open ground walled in on a cruise layer) and the sample zones as ``no_fly_zone`` features;
- ``<stem>_zones_ed269.json``: the same zones as a EUROCAE ED-269 document (a SAMPLE, not
  legal data), for the ED-269 reader (``map.uas_zones``).

The zones are defined once below and written to both files, so the two agree. The ED-269
schedules are in UTC; the GeoJSON windows are the same times for a run starting at the
city's ``run_start_utc_h`` (11:00 local time in winter, the scenarios' ``demand.start_hour``).

Run from the repository root: ``python scripts/build_real_cities.py [manhattan] [berlin-mitte]``
(needs ``../shared/data`` and scipy). With ``--no-geojson-zones`` the map files hold no
zones, for scenarios that load the ED-269 files instead.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from dronesim.maps.projection import LocalProjection, project_geometry
from shapely.geometry import Point, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "geo"
DECIMALS = 7
LAND_HULL_RATIO = 0.05  # shapely.concave_hull: small = tight around the blocks
LAND_MARGIN_M = 30.0
ATTRIBUTION = (
    "Buildings: © OpenStreetMap contributors (ODbL 1.0, https://www.openstreetmap.org/copyright). "
    "Depots, hotspots and zones: a SAMPLE for simulation, not legal data."
)


@dataclass(frozen=True)
class CitySpec:
    """One bundled real city: its source, frame, depots, demand, zones and grid."""

    key: str  # the scenario's folder under sim/scenarios/
    stem: str  # the files' stem
    name: str
    source: str  # file under ../shared/data/geo
    origin: tuple[float, float]  # (0, 0) of the local frame: the data's centre, rounded
    margin_m: float  # room around the buildings (the approach to the depots)
    depots: list  # (name, lon, lat, pads): open ground, where the free ground is widest
    hotspots: list  # (name, lon, lat, radius_m (standard deviation), weight, category)
    zones: Callable  # start_utc_h -> [(ED-269 feature, volumes, window or None)]
    run_start_utc_h: float  # the GeoJSON windows are the ED-269 schedule for this start
    # The scenario's grid (its TOML), for the walled-in pockets.
    cell_size_m: float
    layers_m: tuple
    ceiling_m: float
    cruise_layers: tuple
    height: Callable = lambda properties: float(properties["height"])
    zones_title: str = ""


def _manhattan_zones(start_utc_h):
    """Lower Manhattan's sample zones: (ED-269 feature, [(shapely lon/lat polygon, floor m, ceiling m)],
    (active_from_s, active_until_s) in run time or None)."""
    heliport = (-74.00898, 40.70119)  # Downtown Manhattan Heliport (KJRB), Pier 6
    memorial = [
        (-74.01445, 40.71040),
        (-74.01215, 40.71040),
        (-74.01215, 40.71250),
        (-74.01445, 40.71250),
    ]
    # Broadway from Bowling Green to Vesey Street, 25 m either side of its centre line.
    parade_line = [(-74.01370, 40.70540), (-74.01140, 40.70920), (-74.00930, 40.71120)]
    authority = [{"name": "SAMPLE authority (not legal data)", "purpose": "INFORMATION"}]
    zones = []

    # Heliport: stepped, like ED-269's aerodrome zones (Reichenbach in the InterUSS sample):
    # ground to 122 m (400 ft) within 300 m, from 61 m (200 ft) to 122 m out to 500 m. In
    # metres: whether ED-269's uomDimensions also scales a circle's radius is read
    # differently by different tools, and in metres both readings agree.
    steps = [(300.0, 0.0, 122.0), (500.0, 61.0, 122.0)]
    zones.append(
        (
            {
                "identifier": "SAMPLE-KJRB",
                "country": "USA",
                "name": "SAMPLE Downtown Manhattan Heliport",
                "type": "COMMON",
                "restriction": "PROHIBITED",
                "reason": ["AIR_TRAFFIC"],
                "message": "SAMPLE, not legal data: heliport approach area",
                "applicability": [{"permanent": "YES"}],
                "zoneAuthority": authority,
                "geometry": [
                    {
                        "uomDimensions": "M",
                        "lowerLimit": lower,
                        "lowerVerticalReference": "AGL",
                        "upperLimit": upper,
                        "upperVerticalReference": "AGL",
                        "horizontalProjection": {
                            "type": "Circle",
                            "center": list(heliport),
                            "radius": radius,
                        },
                    }
                    for radius, lower, upper in steps
                ],
            },
            [("circle", heliport, radius, lower, upper) for radius, lower, upper in steps],
            None,
        )
    )
    ring = [list(p) for p in [*memorial, memorial[0]]]
    zones.append(
        (
            {
                "identifier": "SAMPLE-WTC-MEMORIAL",
                "country": "USA",
                "name": "SAMPLE 9/11 Memorial",
                "type": "COMMON",
                "restriction": "PROHIBITED",
                "reason": ["SENSITIVE"],
                "message": "SAMPLE, not legal data: memorial plaza",
                "applicability": [{"permanent": "YES"}],
                "zoneAuthority": authority,
                "geometry": [
                    {
                        "uomDimensions": "M",
                        "lowerLimit": 0,
                        "lowerVerticalReference": "AGL",
                        "upperLimit": 120,
                        "upperVerticalReference": "AGL",
                        "horizontalProjection": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            },
            [("polygon", memorial, None, 0.0, 120.0)],
            None,
        )
    )
    zones.append(
        (
            {
                "identifier": "SAMPLE-CANYON-OF-HEROES",
                "country": "USA",
                "name": "SAMPLE Broadway parade",
                "type": "COMMON",
                "restriction": "PROHIBITED",
                "reason": ["POPULATION"],
                "message": "SAMPLE, not legal data: parade on Broadway, weekdays 17:00-17:45 UTC",
                "applicability": [
                    {
                        "startDateTime": "2026-01-01T00:00:00.00Z",
                        "endDateTime": "2027-01-01T00:00:00.00Z",
                        "permanent": "NO",
                        "schedule": [
                            {
                                "day": ["MON", "TUE", "WED", "THU", "FRI"],
                                "startTime": "17:00:00.00Z",
                                "endTime": "17:45:00.00Z",
                            }
                        ],
                    }
                ],
                "zoneAuthority": authority,
                "geometry": [
                    {
                        "uomDimensions": "M",
                        "lowerLimit": 0,
                        "lowerVerticalReference": "AGL",
                        "upperLimit": 120,
                        "upperVerticalReference": "AGL",
                        "horizontalProjection": {"type": "Polygon", "coordinates": None},
                    }
                ],
            },
            [("corridor", parade_line, 25.0, 0.0, 120.0)],
            ((17.0 - start_utc_h) * 3600.0, (17.75 - start_utc_h) * 3600.0),
        )
    )
    return zones


def _lonlat_polygon(kind, where, size, projection: LocalProjection) -> Polygon:
    """A zone's outline in lon/lat; a circle as a polygon drawn *around* it (vertices on
    radius / cos(pi / n)), so that the polygon holds the whole circle."""
    if kind == "polygon":
        return Polygon(where)
    if kind == "circle":
        x, y = projection.to_local(*where)
        n = 72
        radius = size / math.cos(math.pi / n)
        angles = np.arange(n) * 2 * math.pi / n
        local = Polygon(np.column_stack([x + radius * np.cos(angles), y + radius * np.sin(angles)]))
        return project_geometry(local, projection, inverse=True)
    # corridor: the centre line grown by the half-width, in metres
    line = project_geometry(shapely.LineString(where), projection)
    return project_geometry(line.buffer(size, cap_style="flat"), projection, inverse=True)


def _pockets(spec: CitySpec, features, bounds):
    """Open ground that a drone cannot reach from the depots on some cruise layer of the
    scenario's grid (a courtyard or a plaza walled in by towers taller than the layer), as
    one geometry in the local frame: the router flies each leg on one layer, so an order
    there could never be delivered. Cut out of the land (`City.land`)."""
    from dronesim.maps.geojson import city_from_geojson
    from scipy import ndimage

    document = {
        "type": "FeatureCollection",
        "properties": {"origin_lonlat": list(spec.origin), "bounds_m": bounds},
        "features": json.loads(json.dumps(features)),
    }
    airspace = city_from_geojson(document, spec.key).to_airspace(
        spec.cell_size_m, layers_m=spec.layers_m, ceiling_m=spec.ceiling_m
    )
    free_column = ~airspace.blocked.any(axis=0)
    cut = np.zeros_like(free_column)
    for k in spec.cruise_layers:
        labels, _ = ndimage.label(airspace.blocked[k] == 0)
        _, j, i = airspace.cell_of(
            np.array([d.x_m for d in airspace.depots]), np.array([d.y_m for d in airspace.depots])
        )
        cut |= free_column & ~np.isin(labels, np.unique(labels[j, i]))
    rows, cols = np.nonzero(cut)
    x0, y0 = airspace.origin_m
    size = airspace.cell_size_m
    boxes = shapely.box(
        x0 + cols * size, y0 + rows * size, x0 + (cols + 1) * size, y0 + (rows + 1) * size
    )
    print(f"{spec.key}: {len(rows)} open cells walled in on a cruise layer: cut out of the land")
    return shapely.union_all(boxes).buffer(1.0, quad_segs=1)


def _rounded(geometry):
    return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))


def build(spec: CitySpec, geojson_zones: bool = True) -> None:
    """Write the city's map file and its ED-269 zones under sim/scenarios/<key>/; without
    ``geojson_zones`` the map file holds no ``no_fly_zone`` features (the scenario then
    loads the ED-269 file, ``map.uas_zones``)."""
    source = json.loads((DATA / spec.source).read_text(encoding="utf-8"))
    projection = LocalProjection(*spec.origin)
    features = []
    footprints = []
    for index, feature in enumerate(source["features"]):
        raw = shape(feature["geometry"])
        if not raw.is_valid:
            # Two Berlin footprints self-intersect: repaired as the map reader would
            # (make_valid keeps all the area: an obstacle may only grow).
            parts = shapely.get_parts(shapely.make_valid(raw))
            raw = shapely.union_all(
                [g for g in parts if g.geom_type in ("Polygon", "MultiPolygon")]
            )
            print(f"{spec.key}: building {index}: invalid footprint repaired with make_valid")
        footprint = _rounded(raw)
        if not footprint.is_valid:
            sys.exit(f"building {index}: invalid after rounding to {DECIMALS} decimals")
        footprints.append(project_geometry(footprint, projection))
        height = round(spec.height(feature["properties"]), 1)
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "building", "height": height},
                "geometry": mapping(footprint),
            }
        )
    tree = shapely.STRtree(footprints)
    for name, lon, lat, pads in spec.depots:
        x, y = projection.to_local(lon, lat)
        point = Point(float(x), float(y))
        if len(tree.query(point, predicate="intersects")):
            sys.exit(f"depot {name} lies inside a building")
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "depot", "name": name, "pads": pads},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    for name, lon, lat, radius, weight, category in spec.hotspots:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "hotspot",
                    "name": name,
                    "radius_m": radius,
                    "weight": weight,
                    "category": category,
                },
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    ed269 = []
    zone_features = []  # the zones as map features: walled-in pockets count them either way
    for record, volumes, window in spec.zones(spec.run_start_utc_h):
        outlines = []
        for number, (kind, where, size, floor_m, ceiling_m) in enumerate(volumes):
            outline = _rounded(_lonlat_polygon(kind, where, size, projection))
            outlines.append(outline)
            properties = {
                "kind": "no_fly_zone",
                "name": record["identifier"] + (f"-{number + 1}" if len(volumes) > 1 else ""),
                "zone_kind": "restricted",
                "floor_m": round(floor_m, 3),
                "ceiling_m": round(ceiling_m, 3),
                "buffer_m": 0.0,
                "active_from_s": None if window is None else window[0],
                "active_until_s": None if window is None else window[1],
            }
            zone_features.append(
                {"type": "Feature", "properties": properties, "geometry": mapping(outline)}
            )
        for geometry, outline in zip(record["geometry"], outlines):
            if geometry["horizontalProjection"].get("coordinates", 0) is None:
                geometry["horizontalProjection"]["coordinates"] = mapping(outline)["coordinates"]
        ed269.append(record)

    boxes = shapely.total_bounds(np.array(footprints, dtype=object))
    bounds = [
        round(float(boxes[0]) - spec.margin_m, 1),
        round(float(boxes[1]) - spec.margin_m, 1),
        round(float(boxes[2]) + spec.margin_m, 1),
        round(float(boxes[3]) + spec.margin_m, 1),
    ]
    # The customers' land: the built-up area, the concave hull of every footprint's
    # vertices grown by 30 m (a street's width), so that no drop-off falls in a river or
    # beyond the mapped blocks (the data are rectangles cut out of bigger cities).
    vertices = shapely.MultiPoint(shapely.get_coordinates(np.array(footprints, dtype=object)))
    land = shapely.concave_hull(vertices, ratio=LAND_HULL_RATIO).buffer(LAND_MARGIN_M, quad_segs=4)
    land = land.difference(_pockets(spec, features + zone_features, bounds))
    if geojson_zones:
        features.extend(zone_features)
    features.append(
        {
            "type": "Feature",
            "properties": {"kind": "land"},
            "geometry": mapping(_rounded(project_geometry(land, projection, inverse=True))),
        }
    )

    document = {
        "type": "FeatureCollection",
        "properties": {
            "format": "dronesim-city/1",
            "name": spec.name,
            "origin_lonlat": list(spec.origin),
            "bounds_m": bounds,
            "attribution": ATTRIBUTION,
        },
        "features": features,
    }
    out = ROOT / "sim" / "scenarios" / spec.key
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{spec.stem}.geojson").write_text(
        json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8"
    )
    zones_document = {
        "title": f"SAMPLE UAS zones for {spec.name} (dronesim), NOT LEGAL DATA",
        "description": spec.zones_title
        + " Invented for simulation; not published by any authority.",
        "features": ed269,
    }
    (out / f"{spec.stem}_zones_ed269.json").write_text(
        json.dumps(zones_document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


MANHATTAN = CitySpec(
    key="manhattan",
    stem="lower_manhattan",
    name="Lower Manhattan",
    source="lower_manhattan_buildings_poly-extrude.geojson",
    origin=(-74.0085, 40.7100),
    margin_m=150.0,  # room for the river piers and the approach to them
    # Two parks and a pier (a depot inside a footprint is refused: no rooftop depots).
    depots=[
        ("city-hall-park", -74.00678, 40.71278, 6),
        ("the-battery", -74.01518, 40.70341, 6),
        ("pier-15", -74.00199, 40.70548, 6),
    ],
    # Offices of the Financial District and around the World Trade Center peak at lunch,
    # the homes of Tribeca, Battery Park City and the Seaport in the evening.
    hotspots=[
        ("financial-district", -74.00900, 40.70700, 160.0, 3.0, "commercial"),
        ("world-trade-center", -74.01150, 40.71000, 120.0, 2.0, "commercial"),
        ("civic-center", -74.00450, 40.71420, 130.0, 1.5, "commercial"),
        ("tribeca", -74.00850, 40.71700, 160.0, 2.0, "residential"),
        ("battery-park-city", -74.01500, 40.70950, 110.0, 1.5, "residential"),
        ("seaport", -74.00330, 40.70900, 120.0, 1.5, "residential"),
    ],
    zones=_manhattan_zones,
    run_start_utc_h=16.0,  # 11:00 EST
    cell_size_m=5.0,
    layers_m=(30.0, 75.0, 87.0, 99.0, 111.0),
    ceiling_m=120.0,
    cruise_layers=(1, 2, 3, 4),
    zones_title="Real-looking zones for the bundled manhattan scenario: a heliport, a memorial, "
    "a scheduled parade.",
)


def _polygon_zone(
    identifier, name, reason, message, applicability, corners_or_line, kind, size, window
):
    """An ED-269 zone of one polygon from the ground to 120 m, and its volume."""
    authority = [{"name": "SAMPLE authority (not legal data)", "purpose": "INFORMATION"}]
    return (
        {
            "identifier": identifier,
            "country": "DEU",
            "name": name,
            "type": "COMMON",
            "restriction": "PROHIBITED",
            "reason": [reason],
            "message": message,
            "applicability": applicability,
            "zoneAuthority": authority,
            "geometry": [
                {
                    "uomDimensions": "M",
                    "lowerLimit": 0,
                    "lowerVerticalReference": "AGL",
                    "upperLimit": 120,
                    "upperVerticalReference": "AGL",
                    "horizontalProjection": {"type": "Polygon", "coordinates": None},
                }
            ],
        },
        [(kind, corners_or_line, size, 0.0, 120.0)],
        window,
    )


def _berlin_zones(start_utc_h):
    """Berlin Mitte's sample zones, after the kinds of place German rules keep drones
    away from (LuftVO 21h: hospitals, police sites, crowds; 100 m around them)."""
    hospital = (13.39930, 52.52640)  # St. Hedwig-Krankenhaus, Grosse Hamburger Strasse
    authority = [{"name": "SAMPLE authority (not legal data)", "purpose": "INFORMATION"}]
    zones = [
        (
            {
                "identifier": "SAMPLE-ST-HEDWIG",
                "country": "DEU",
                "name": "SAMPLE St. Hedwig hospital",
                "type": "COMMON",
                "restriction": "PROHIBITED",
                "reason": ["EMERGENCY"],
                "message": "SAMPLE, not legal data: hospital and its 100 m",
                "applicability": [{"permanent": "YES"}],
                "zoneAuthority": authority,
                "geometry": [
                    {
                        "uomDimensions": "M",
                        "lowerLimit": 0,
                        "lowerVerticalReference": "AGL",
                        "upperLimit": 120,
                        "upperVerticalReference": "AGL",
                        "horizontalProjection": {
                            "type": "Circle",
                            "center": list(hospital),
                            "radius": 180,
                        },
                    }
                ],
            },
            [("circle", hospital, 180.0, 0.0, 120.0)],
            None,
        ),
        _polygon_zone(
            "SAMPLE-POLICE-KEIBELSTRASSE",
            "SAMPLE police headquarters",
            "SENSITIVE",
            "SAMPLE, not legal data: police site and its 100 m",
            [{"permanent": "YES"}],
            [
                (13.41500, 52.52050),
                (13.41800, 52.52050),
                (13.41800, 52.52280),
                (13.41500, 52.52280),
            ],
            "polygon",
            None,
            None,
        ),
        _polygon_zone(
            "SAMPLE-ROSA-LUXEMBURG-PLATZ",
            "SAMPLE rally on Rosa-Luxemburg-Platz",
            "POPULATION",
            "SAMPLE, not legal data: a rally, weekdays 11:00-11:45 UTC",
            [
                {
                    "startDateTime": "2026-01-01T00:00:00.00Z",
                    "endDateTime": "2027-01-01T00:00:00.00Z",
                    "permanent": "NO",
                    "schedule": [
                        {
                            "day": ["MON", "TUE", "WED", "THU", "FRI"],
                            "startTime": "11:00:00.00Z",
                            "endTime": "11:45:00.00Z",
                        }
                    ],
                }
            ],
            [
                (13.40960, 52.52560),
                (13.41240, 52.52560),
                (13.41240, 52.52730),
                (13.40960, 52.52730),
            ],
            "polygon",
            None,
            ((11.0 - start_utc_h) * 3600.0, (11.75 - start_utc_h) * 3600.0),
        ),
    ]
    for record, volumes, _ in zones:
        for geometry, (kind, where, _, _, _) in zip(record["geometry"], volumes):
            if kind == "polygon":
                ring = [list(p) for p in [*where, where[0]]]
                geometry["horizontalProjection"]["coordinates"] = [ring]
    return zones


def _berlin_height(properties) -> float:
    """The source's height, except its 4 m default (no levels given): the Berlin block's
    22 m eaves height (Traufhoehe), a far better guess in Mitte than one storey."""
    height = float(properties["height"])
    if "levels" not in properties and height == 4.0:
        return BERLIN_DEFAULT_HEIGHT_M
    return height


BERLIN_DEFAULT_HEIGHT_M = 22.0
BERLIN_MITTE = CitySpec(
    key="berlin-mitte",
    stem="berlin_mitte",
    name="Berlin Mitte",
    source="berlin_mitte_buildings_poly-extrude.geojson",
    origin=(13.4134, 52.5295),
    margin_m=150.0,
    # Open ground: north of Alexanderplatz, the lawns between the blocks on Mollstrasse,
    # Teutoburger Platz.
    depots=[
        ("alexanderplatz", 13.41264, 52.52380, 6),
        ("mollstrasse", 13.42023, 52.52798, 6),
        ("teutoburger-platz", 13.40866, 52.53180, 6),
    ],
    # Shops and restaurants of Hackescher Markt, Alexanderplatz and Torstrasse at lunch,
    # the homes of the Spandauer Vorstadt, southern Prenzlauer Berg and Mollstrasse at night.
    hotspots=[
        ("hackescher-markt", 13.40250, 52.52500, 150.0, 2.5, "commercial"),
        ("alexanderplatz", 13.41250, 52.52280, 150.0, 2.5, "commercial"),
        ("torstrasse", 13.40600, 52.52900, 150.0, 1.5, "commercial"),
        ("spandauer-vorstadt", 13.40300, 52.53000, 150.0, 1.5, "residential"),
        ("prenzlauer-berg", 13.41400, 52.53300, 200.0, 2.5, "residential"),
        ("mollstrasse", 13.42000, 52.52650, 150.0, 1.5, "residential"),
    ],
    zones=_berlin_zones,
    run_start_utc_h=10.0,  # 11:00 CET
    cell_size_m=5.0,
    layers_m=(30.0, 50.0, 70.0, 90.0, 110.0),
    ceiling_m=120.0,
    cruise_layers=(1, 2, 3, 4),
    height=_berlin_height,
    zones_title="Real-looking zones for the bundled berlin-mitte scenario: a hospital, a police "
    "site, a scheduled rally.",
)
CITIES = {spec.key: spec for spec in (MANHATTAN, BERLIN_MITTE)}


def main(argv: list[str]) -> int:
    """``[--no-geojson-zones] [CITY ...]`` (default: every city, zones in both files)."""
    geojson_zones = "--no-geojson-zones" not in argv
    keys = [a for a in argv if a != "--no-geojson-zones"]
    for key in keys or list(CITIES):
        build(CITIES[key], geojson_zones)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
