"""Build the bundled ``manhattan`` scenario's map files from the reference footprints.

Reads ``../shared/data/geo/lower_manhattan_buildings_poly-extrude.geojson`` (2,839
buildings with ``height`` in metres; data © OpenStreetMap contributors, ODbL) and writes,
under ``sim/scenarios/manhattan/``:

- ``lower_manhattan.geojson``: the city in the project's map-file format (``maps.geojson``):
  the buildings (coordinates rounded to 1e-7 degrees, about 1 cm; heights to 0.1 m), the
  depots, the demand hotspots, the land drop-offs may lie on (the built-up area) and the
  sample zones as ``no_fly_zone`` features;
- ``lower_manhattan_zones_ed269.json``: the same zones as a EUROCAE ED-269 document (a
  SAMPLE, not legal data), for the ED-269 reader (``map.uas_zones``).

The zones are defined once below and written to both files, so the two agree. The ED-269
schedule is in UTC; the GeoJSON windows are the same times for a run starting at
16:00 UTC (11:00 in New York in winter, the scenario's ``demand.start_hour``).

Run from the repository root: ``python scripts/build_manhattan.py``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import shapely
from dronesim.maps.projection import LocalProjection, project_geometry
from shapely.geometry import Point, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "geo" / "lower_manhattan_buildings_poly-extrude.geojson"
OUT = ROOT / "sim" / "scenarios" / "manhattan"
ORIGIN = (-74.0085, 40.7100)  # (0, 0) of the local frame: the data's centre, rounded
MARGIN_M = 150.0  # room around the buildings for the river piers and the approach to them
DECIMALS = 7
FT_M = 0.3048
LAND_HULL_RATIO = 0.05  # shapely.concave_hull: small = tight around the blocks
LAND_MARGIN_M = 30.0
# The scenario's grid (sim/scenarios/manhattan.toml), for the walled-in pockets.
CELL_SIZE_M = 5.0
LAYERS_M = (30.0, 75.0, 87.0, 99.0, 111.0)
CEILING_M = 120.0
CRUISE_LAYERS = (1, 2, 3, 4)
RUN_START_UTC_H = 16.0  # 11:00 EST: the GeoJSON windows are the schedule for this start

# Depots on open ground (a depot inside a building footprint is refused by the map reader:
# no rooftop depots in the model): two parks and a pier.
DEPOTS = [
    # name, lon, lat, pads; the point is where the free ground around it is widest
    ("city-hall-park", -74.00678, 40.71278, 6),
    ("the-battery", -74.01518, 40.70341, 6),
    ("pier-15", -74.00199, 40.70548, 6),
]
# Demand: offices of the Financial District and around the World Trade Center peak at
# lunch, the homes of Tribeca, Battery Park City and the Seaport in the evening.
HOTSPOTS = [
    # name, lon, lat, radius_m (standard deviation), weight, category
    ("financial-district", -74.00900, 40.70700, 160.0, 3.0, "commercial"),
    ("world-trade-center", -74.01150, 40.71000, 120.0, 2.0, "commercial"),
    ("civic-center", -74.00450, 40.71420, 130.0, 1.5, "commercial"),
    ("tribeca", -74.00850, 40.71700, 160.0, 2.0, "residential"),
    ("battery-park-city", -74.01500, 40.70950, 110.0, 1.5, "residential"),
    ("seaport", -74.00330, 40.70900, 120.0, 1.5, "residential"),
]


def _zones():
    """The sample zones: (ED-269 feature, [(shapely lon/lat polygon, floor m, ceiling m)],
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
    # ground to 400 ft within 300 m, from 200 ft to 400 ft out to 500 m.
    steps = [(300.0, 0.0, 400.0), (500.0, 200.0, 400.0)]
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
                        "uomDimensions": "FT",
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
            [
                ("circle", heliport, radius, lower * FT_M, upper * FT_M)
                for radius, lower, upper in steps
            ],
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
                "reason": ["PUBLIC_ORDER"],
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
            ((17.0 - RUN_START_UTC_H) * 3600.0, (17.75 - RUN_START_UTC_H) * 3600.0),
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


def _pockets(features, bounds):
    """Open ground that a drone cannot reach from the depots on some cruise layer of the
    scenario's grid (a courtyard or a plaza walled in by towers taller than the layer), as
    one geometry in the local frame: the router flies each leg on one layer, so an order
    there could never be delivered. Cut out of the land (`City.land`)."""
    from dronesim.maps.geojson import city_from_geojson
    from scipy import ndimage

    document = {
        "type": "FeatureCollection",
        "properties": {"origin_lonlat": list(ORIGIN), "bounds_m": bounds},
        "features": json.loads(json.dumps(features)),
    }
    airspace = city_from_geojson(document, "manhattan").to_airspace(
        CELL_SIZE_M, layers_m=LAYERS_M, ceiling_m=CEILING_M
    )
    free_column = ~airspace.blocked.any(axis=0)
    cut = np.zeros_like(free_column)
    for k in CRUISE_LAYERS:
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
    print(f"{len(rows)} open cells walled in on a cruise layer: cut out of the land")
    return shapely.union_all(boxes).buffer(1.0, quad_segs=1)


def _rounded(geometry):
    return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))


def main() -> int:
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    projection = LocalProjection(*ORIGIN)
    features = []
    footprints = []
    for index, feature in enumerate(source["features"]):
        footprint = _rounded(shape(feature["geometry"]))
        if not footprint.is_valid:
            sys.exit(f"building {index}: invalid after rounding to {DECIMALS} decimals")
        footprints.append(project_geometry(footprint, projection))
        height = round(float(feature["properties"]["height"]), 1)
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "building", "height": height},
                "geometry": mapping(footprint),
            }
        )
    tree = shapely.STRtree(footprints)
    for name, lon, lat, pads in DEPOTS:
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
    for name, lon, lat, radius, weight, category in HOTSPOTS:
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
    for record, volumes, window in _zones():
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
            features.append(
                {"type": "Feature", "properties": properties, "geometry": mapping(outline)}
            )
        for geometry, outline in zip(record["geometry"], outlines):
            if geometry["horizontalProjection"].get("coordinates", 0) is None:
                geometry["horizontalProjection"]["coordinates"] = mapping(outline)["coordinates"]
        ed269.append(record)

    boxes = shapely.total_bounds(np.array(footprints, dtype=object))
    bounds = [
        round(float(boxes[0]) - MARGIN_M, 1),
        round(float(boxes[1]) - MARGIN_M, 1),
        round(float(boxes[2]) + MARGIN_M, 1),
        round(float(boxes[3]) + MARGIN_M, 1),
    ]
    # The customers' land: the built-up area, the concave hull of every footprint's
    # vertices grown by 30 m (a street's width), so that no drop-off falls in the Hudson or
    # the East River, or north or east of the mapped blocks (the data is a rectangle cut).
    vertices = shapely.MultiPoint(shapely.get_coordinates(np.array(footprints, dtype=object)))
    land = shapely.concave_hull(vertices, ratio=LAND_HULL_RATIO).buffer(LAND_MARGIN_M, quad_segs=4)
    land = land.difference(_pockets(features, bounds))
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
            "name": "Lower Manhattan",
            "origin_lonlat": list(ORIGIN),
            "bounds_m": bounds,
            "attribution": "Buildings: © OpenStreetMap contributors (ODbL 1.0, "
            "https://www.openstreetmap.org/copyright). Depots, hotspots and zones: a "
            "SAMPLE for simulation, not legal data.",
        },
        "features": features,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "lower_manhattan.geojson").write_text(
        json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8"
    )
    zones_document = {
        "title": "SAMPLE UAS zones for Lower Manhattan (dronesim), NOT LEGAL DATA",
        "description": "Real-looking zones for the bundled manhattan scenario: a heliport, a "
        "memorial, a scheduled parade. Invented for simulation; not published by any authority.",
        "features": ed269,
    }
    (OUT / "lower_manhattan_zones_ed269.json").write_text(
        json.dumps(zones_document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
