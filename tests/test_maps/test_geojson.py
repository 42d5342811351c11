import dataclasses
import json
import math
import warnings

import numpy as np
import pytest
import shapely
from dronesim.maps import MapFormatError, generate_city
from dronesim.maps.geojson import RepairWarning, city_to_geojson, read_geojson, write_geojson

ORIGIN = (8.5417, 47.3769)


@pytest.fixture(scope="module")
def city():
    return generate_city(4)


@pytest.mark.filterwarnings("error::maps.geojson.RepairWarning")
def test_round_trip_keeps_every_feature(city, tmp_path):
    path = tmp_path / "city.geojson"
    write_geojson(city, path, origin_lonlat=ORIGIN)
    back = read_geojson(path)
    assert (
        back.name == city.name and back.bounds_m == city.bounds_m and back.origin_lonlat == ORIGIN
    )
    assert len(back.buildings) == len(city.buildings)
    distances = shapely.hausdorff_distance(back.buildings.footprints, city.buildings.footprints)
    assert distances.max() < 1e-3  # metres, after lon/lat with 9 decimals
    assert np.array_equal(back.buildings.heights_m, city.buildings.heights_m)
    for mine, theirs in zip(city.zones, back.zones):
        assert (
            mine.name,
            mine.kind,
            mine.floor_m,
            mine.ceiling_m,
            mine.buffer_m,
            mine.active_from_s,
            mine.active_until_s,
        ) == (
            theirs.name,
            theirs.kind,
            theirs.floor_m,
            theirs.ceiling_m,
            theirs.buffer_m,
            theirs.active_from_s,
            theirs.active_until_s,
        )
        assert shapely.hausdorff_distance(mine.geometry, theirs.geometry) < 1e-3
    for group in ("depots", "base_stations", "hotspots"):
        for mine, theirs in zip(getattr(city, group), getattr(back, group)):
            assert mine.name == theirs.name
            assert math.hypot(mine.x_m - theirs.x_m, mine.y_m - theirs.y_m) < 1e-3
    assert [d.pads for d in back.depots] == [d.pads for d in city.depots]
    assert len(back.parks) == len(city.parks)
    assert np.array_equal(back.to_airspace(10.0).blocked, city.to_airspace(10.0).blocked)


def test_written_file_is_rfc7946_lon_lat(city, tmp_path):
    path = tmp_path / "city.geojson"
    write_geojson(city, path, origin_lonlat=ORIGIN)
    document = json.loads(path.read_text())
    assert document["type"] == "FeatureCollection"
    coords = np.concatenate(
        [
            shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
            for f in document["features"]
        ]
    )
    assert (
        np.abs(coords[:, 0] - ORIGIN[0]).max() < 0.05
        and np.abs(coords[:, 1] - ORIGIN[1]).max() < 0.05
    )
    assert not list(tmp_path.glob(".*tmp"))


def test_write_raises_without_a_geographic_anchor(city, tmp_path):
    with pytest.raises(ValueError, match="origin_lonlat"):
        write_geojson(city, tmp_path / "x.geojson")
    local = city_to_geojson(city)  # for recordings: local metres
    assert (
        local["properties"]["crs"].startswith("local metric frame")
        and local["properties"]["frame"] == "local"
    )


def test_local_frame_documents_round_trip_without_projection(city):
    from dronesim.maps.geojson import city_from_geojson

    document = json.loads(json.dumps(city_to_geojson(city, ORIGIN, local=True)))
    assert document["properties"]["origin_lonlat"] == list(ORIGIN)
    back = city_from_geojson(document)
    assert back.origin_lonlat == ORIGIN and back.bounds_m == city.bounds_m
    assert (
        shapely.hausdorff_distance(back.buildings.footprints, city.buildings.footprints).max()
        < 1e-9
    )


def test_reads_bluesky_bottom_top_and_foreign_buildings(tmp_path):
    square = [[[13.40, 52.52], [13.401, 52.52], [13.401, 52.521], [13.40, 52.521], [13.40, 52.52]]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"height": 25},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"name": "TRA", "bottom": -1e9, "top": 1e9},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"name": "LOW", "bottom": 20, "top": 60},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
        ],
    }
    path = tmp_path / "foreign.geojson"
    path.write_text(json.dumps(document))
    city = read_geojson(path)
    assert len(city.buildings) == 1 and city.buildings.heights_m[0] == 25
    tra, low = city.zones
    assert (tra.floor_m, tra.ceiling_m) == (0.0, math.inf) and (low.floor_m, low.ceiling_m) == (
        20.0,
        60.0,
    )
    # The frame is centred on the data: the square's centre sits near (0, 0), its sides ~68 m x 111 m.
    xmin, ymin, xmax, ymax = city.buildings.footprints[0].bounds
    assert abs(xmin + xmax) < 1 and abs(ymin + ymax) < 1
    assert xmax - xmin == pytest.approx(67.9, abs=0.5) and ymax - ymin == pytest.approx(
        111.3, abs=0.5
    )


def _write(tmp_path, document, name="bad.geojson"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def _feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [0.001, 0], [0.001, 0.001], [0, 0.001], [0, 0]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [0.001, 0.001], [0.001, 0], [0, 0.001], [0, 0]]],
}


@pytest.mark.parametrize(
    "document, message",
    [
        ('{"type": "FeatureCollection", "features": [', r"bad\.geojson:1: bad JSON"),
        ({"type": "Feature"}, "type: expected 'FeatureCollection', got 'Feature'"),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    _feature({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, height=3)
                ],
            },
            "feature 0: geometry.type: expected one of Point, Polygon, MultiPolygon, got 'LineString'",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature(SQUARE, height=5), _feature(SQUARE, height=-5)],
            },
            "feature 1: height: must be > 0, got -5",
        ),
        (
            {"type": "FeatureCollection", "features": [_feature(SQUARE, height="tall")]},
            "feature 0: height: expected a finite number, got 'tall'",
        ),
        ({"type": "FeatureCollection", "features": [_feature(SQUARE)]}, "feature 0: kind: missing"),
        (
            {"type": "FeatureCollection", "features": [_feature(SQUARE, kind="castle")]},
            "feature 0: kind: expected one of",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature(BOWTIE, kind="no_fly_zone", name="bow")],
            },
            "feature 0: zone 'bow': invalid geometry",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    _feature(
                        {
                            "type": "Polygon",
                            "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]],
                        },
                        height=3,
                    )
                ],
            },
            "not lon/lat degrees",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    _feature({"type": "Point", "coordinates": [0, 0]}, kind="depot", pads="many")
                ],
            },
            "feature 0: pads: expected an integer, got 'many'",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    _feature(SQUARE, kind="no_fly_zone", name="z", floor_m=50, ceiling_m=10)
                ],
            },
            "feature 0: zone 'z': ceiling_m must exceed floor_m",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature({"type": "Polygon", "coordinates": [[0, 0]]}, height=3)],
            },
            r"feature 0: geometry.coordinates\[0\]: a ring needs at least 4 positions",
        ),
    ],
)
def test_read_raises_naming_file_feature_and_field(tmp_path, document, message):
    path = _write(tmp_path, document)
    with pytest.raises(MapFormatError, match=message) as caught:
        read_geojson(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_read_raises_when_file_is_missing(tmp_path):
    with pytest.raises(MapFormatError, match="nope.geojson: no such file"):
        read_geojson(tmp_path / "nope.geojson")


def test_invalid_building_footprint_is_repaired_loudly_and_keeps_its_area(tmp_path):
    path = _write(tmp_path, {"type": "FeatureCollection", "features": [_feature(BOWTIE, height=9)]})
    with pytest.warns(RepairWarning, match="feature 0: building footprint invalid"):
        city = read_geojson(path)
    footprint = city.buildings.footprints[0]
    assert footprint.is_valid and footprint.area > 0


def test_loads_lower_manhattan(shared_data):
    city = read_geojson(shared_data / "geo" / "lower_manhattan_buildings_poly-extrude.geojson")
    assert len(city.buildings) == 2839
    assert city.buildings.heights_m.min() == pytest.approx(
        1.5
    ) and city.buildings.heights_m.max() == pytest.approx(541, abs=1)
    lon, lat = city.origin_lonlat
    assert -74.03 < lon < -73.99 and 40.69 < lat < 40.73
    airspace = city.to_airspace(10.0)
    share = airspace.summary()["blocked_share"]
    assert share[0] > share[-1] > 0.02  # skyscrapers reach the top layer
    # One World Trade Center (541 m) blocks every layer above its footprint.
    tallest = city.buildings.footprints[int(np.argmax(city.buildings.heights_m))]
    point = tallest.representative_point()
    k, j, i = airspace.cell_of(point.x, point.y, 110.0)
    assert airspace.blocked[:, j, i].all()


def test_loads_berlin_mitte_repairing_its_two_invalid_footprints(shared_data):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        city = read_geojson(shared_data / "geo" / "berlin_mitte_buildings_poly-extrude.geojson")
    assert len(city.buildings) == 2105
    assert sum(issubclass(w.category, RepairWarning) for w in caught) == 2
    airspace = city.to_airspace(5.0)
    assert airspace.blocked[0].mean() > 0.05


def test_land_round_trips(city, tmp_path):
    xmin, ymin, xmax, ymax = city.bounds_m
    land = shapely.box(xmin, ymin, (xmin + xmax) / 2, ymax).difference(
        shapely.Point((3 * xmin + xmax) / 4, (ymin + ymax) / 2).buffer(300)
    )
    path = tmp_path / "city.geojson"
    write_geojson(dataclasses.replace(city, land=(land,)), path, origin_lonlat=ORIGIN)
    back = read_geojson(path)
    assert len(back.land) == 1 and back.land[0].symmetric_difference(land).area < 1.0
    assert back.summary()["land"] == 1


def test_land_must_be_an_area(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"kind": "building", "height": 10},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[8.5, 47.3], [8.501, 47.3], [8.501, 47.301], [8.5, 47.3]]
                            ],
                        },
                    },
                    {
                        "type": "Feature",
                        "properties": {"kind": "land"},
                        "geometry": {"type": "Point", "coordinates": [8.5, 47.3]},
                    },
                ],
            }
        )
    )
    with pytest.raises(MapFormatError, match="feature 1: geometry.type: a land needs a Polygon"):
        read_geojson(path)
