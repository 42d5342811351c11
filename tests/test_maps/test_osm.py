"""OpenStreetMap import: heights from tags, footprints (multipolygons with holes), parks.

The extract is written by the test; expected heights are worked out by hand below and
expected footprints are built with shapely from the same coordinates the test writes.
"""

import pytest
import shapely
from dronesim.maps.errors import MapFormatError
from dronesim.maps.geojson import city_from_geojson
from dronesim.maps.osm import import_osm, parse_height_m, parse_levels
from shapely.geometry import Polygon, shape

pytest.importorskip("osmium")

LAT0, LON0 = 52.5200, 13.4000
STEP = 0.0002  # degrees: about 22 m of latitude, 14 m of longitude


def square(i, j, size=1.0, step=STEP):
    """Corners (lon, lat) of a square of ``size`` steps at grid position (i, j)."""
    x0, y0 = LON0 + i * step, LAT0 + j * step
    d = size * step
    return [(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d)]


# name: (corners, tags); every way is closed. Heights worked out by hand (3 m storeys):
BUILDINGS = {
    "metres": (square(0, 0), {"building": "yes", "height": "12 m"}),
    "feet": (square(3, 0), {"building": "office", "height": "40'"}),  # 40 x 0.3048 = 12.192
    "levels": (square(6, 0), {"building": "yes", "building:levels": "4"}),  # 12
    "untagged": (square(9, 0), {"building": "yes"}),  # default 10
    "bad-then-levels": (
        square(0, 3),
        {"building": "yes", "height": "tall", "building:levels": "5"},
    ),
    "bad-only": (square(3, 3), {"building": "yes", "height": "-3"}),  # default 10
    "feet-inches": (square(6, 3), {"building": "yes", "height": "40'6\""}),  # 12.3444
}
EXPECTED_HEIGHT_M = {
    "metres": 12.0,
    "feet": 12.192,
    "levels": 12.0,
    "untagged": 10.0,
    "bad-then-levels": 15.0,
    "bad-only": 10.0,
    "feet-inches": 12.3444,
    "courtyard": 30.0,
}
# A multipolygon relation: a 4 x 4 step block with a 2 x 2 courtyard.
OUTER = square(0, 6, size=4)
INNER = square(1, 6 + 1, size=2)
PARK = square(12, 0, size=3)


def write_osm(path, buildings=BUILDINGS, relation=True, park=True):
    nodes, ways, next_id = [], [], [1]

    def ring(corners, tags=None, way_id=None):
        ids = []
        for lon, lat in corners:
            nodes.append(f'<node id="{next_id[0]}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            ids.append(next_id[0])
            next_id[0] += 1
        refs = "".join(f'<nd ref="{n}"/>' for n in [*ids, ids[0]])
        tag_xml = "".join(
            f'<tag k="{k}" v="{v.replace(chr(34), "&quot;").replace(chr(39), "&apos;")}"/>'
            for k, v in (tags or {}).items()
        )
        ways.append(f'<way id="{way_id}">{refs}{tag_xml}</way>')

    for number, (corners, tags) in enumerate(buildings.values(), start=100):
        ring(corners, tags, number)
    relations = []
    if relation:
        ring(OUTER, None, 900)
        ring(INNER, None, 901)
        relations.append(
            '<relation id="5000"><member type="way" ref="900" role="outer"/>'
            '<member type="way" ref="901" role="inner"/><tag k="type" v="multipolygon"/>'
            '<tag k="building" v="yes"/><tag k="height" v="30"/></relation>'
        )
    if park:
        ring(PARK, {"leisure": "park", "name": "Green"}, 950)
    # An open way (a street) is no area and is ignored.
    nodes.append(f'<node id="{next_id[0]}" lat="{LAT0:.7f}" lon="{LON0 - STEP:.7f}"/>')
    nodes.append(
        f'<node id="{next_id[0] + 1}" lat="{LAT0 + 5 * STEP:.7f}" lon="{LON0 - STEP:.7f}"/>'
    )
    ways.append(
        f'<way id="990"><nd ref="{next_id[0]}"/><nd ref="{next_id[0] + 1}"/>'
        '<tag k="highway" v="residential"/><tag k="building" v="yes"/></way>'
    )
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
        + "\n".join(nodes + ways + relations)
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return path


def _match(features, expected: Polygon):
    """The feature whose footprint is ``expected`` (symmetric difference ~ 0)."""
    found = [
        f
        for f in features
        if shape(f["geometry"]).symmetric_difference(expected).area < 1e-6 * expected.area
    ]
    assert len(found) == 1, f"{len(found)} features match {expected.wkt[:60]}"
    return found[0]


def test_heights_and_footprints_against_hand_values(tmp_path):
    result = import_osm(write_osm(tmp_path / "town.osm"))
    features = result.document["features"]
    buildings = [f for f in features if f["properties"]["kind"] == "building"]
    assert len(buildings) == len(BUILDINGS) + 1  # the open way tagged building is no area
    for name, (corners, _) in BUILDINGS.items():
        feature = _match(buildings, Polygon(corners))
        assert feature["properties"]["height"] == pytest.approx(
            EXPECTED_HEIGHT_M[name], abs=0.005
        ), name
    courtyard = Polygon(OUTER, [INNER])
    feature = _match(buildings, courtyard)
    assert feature["properties"]["height"] == 30.0
    # The hole is kept: the footprint is 16 - 4 = 12 squares, not 16.
    assert shape(feature["geometry"]).area == pytest.approx(12 * STEP**2, rel=1e-4)
    assert result.from_height == 4  # metres, feet, feet-inches, the relation
    assert result.from_levels == 2
    assert result.defaulted == 2
    assert result.bad_values == {"height": 2}
    parks = [f for f in features if f["properties"]["kind"] == "park"]
    assert len(parks) == 1 and result.parks == 1
    assert shape(parks[0]["geometry"]).symmetric_difference(Polygon(PARK)).area < 1e-12
    assert "OpenStreetMap contributors" in result.document["properties"]["attribution"]


def test_imported_document_loads_as_a_city_with_the_same_areas(tmp_path):
    result = import_osm(write_osm(tmp_path / "town.osm"), storey_height_m=3.5, default_height_m=7)
    city = city_from_geojson(result.document, "town.geojson")
    assert len(city.buildings) == len(BUILDINGS) + 1 and len(city.parks) == 1
    heights = sorted(city.buildings.heights_m.tolist())
    # levels x 3.5: 4 -> 14, 5 -> 17.5; defaults 7
    assert heights == pytest.approx(sorted([12, 12.192, 14, 7, 17.5, 7, 12.3444, 30]), abs=0.005)
    # Local areas (m^2) against a hand projection: a square step is STEP degrees of
    # latitude (111.3 km/degree here) by STEP degrees of longitude (x cos(lat)).
    step_area = (STEP * 111_300) * (STEP * 111_300 * 0.6087)
    total = sum(g.area for g in city.buildings.footprints)
    assert total == pytest.approx((len(BUILDINGS) + 12) * step_area, rel=0.01)


@pytest.mark.parametrize(
    "text, metres",
    [
        ("12", 12.0),
        ("12.5 m", 12.5),
        ("12m", 12.0),
        ("40'", 12.192),
        ("40 ft", 12.192),
        ("40'6\"", 12.3444),
        ("tall", None),
        ("-3", None),
        ("0", None),
        ("12,5", None),
        ("5000", None),
        ("", None),
    ],
)
def test_parse_height(text, metres):
    value = parse_height_m(text)
    assert value == (None if metres is None else pytest.approx(metres))


@pytest.mark.parametrize(
    "text, levels", [("4", 4.0), ("2.5", 2.5), ("0", None), ("x", None), ("nan", None)]
)
def test_parse_levels(text, levels):
    assert parse_levels(text) == levels


def test_import_raises_when_file_is_missing_not_osm_or_without_buildings(tmp_path):
    with pytest.raises(MapFormatError, match="missing.osm: no such file"):
        import_osm(tmp_path / "missing.osm")
    (tmp_path / "junk.osm").write_text("this is not XML")
    with pytest.raises(MapFormatError, match="junk.osm: not a readable OSM file"):
        import_osm(tmp_path / "junk.osm")
    (tmp_path / "junk.osm.pbf").write_bytes(b"\x00\x01not a pbf at all")
    with pytest.raises(MapFormatError, match="junk.osm.pbf: not a readable OSM file"):
        import_osm(tmp_path / "junk.osm.pbf")
    parks_only = write_osm(tmp_path / "parks.osm", buildings={}, relation=False)
    with pytest.raises(MapFormatError, match="parks.osm: no buildings"):
        import_osm(parks_only)
    (tmp_path / "city.txt").write_text("x")
    with pytest.raises(MapFormatError, match="unknown extension"):
        import_osm(tmp_path / "city.txt")


def test_footprints_keep_their_area_after_rounding(tmp_path):
    """Coordinates are rounded to 1e-7 degrees (about 1 cm): areas stay within 1e-4."""
    result = import_osm(write_osm(tmp_path / "town.osm"))
    areas = [shape(f["geometry"]).area for f in result.document["features"]]
    assert all(a > 0 for a in areas)
    assert shapely.union_all([shape(f["geometry"]) for f in result.document["features"]]).is_valid
