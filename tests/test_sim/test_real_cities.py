"""The bundled real cities, ``manhattan`` and ``berlin-mitte``: their data against the
reference footprints, the sample zones in both formats, and short runs whose drop-offs are
checked with shapely against the raw buildings."""

import dataclasses
import json
import math
from importlib import resources

import numpy as np
import pytest
import shapely
from cli_checks import run
from dronesim.maps.projection import LocalProjection
from dronesim.sim.scenario import bundled_scenarios, load_scenario
from shapely.geometry import Point, shape

RAW = "geo/lower_manhattan_buildings_poly-extrude.geojson"
# scenario: (its folder's map file, the reference file under ../shared/data)
CITIES = {
    "manhattan": ("manhattan/lower_manhattan.geojson", RAW),
    "berlin-mitte": (
        "berlin-mitte/berlin_mitte.geojson",
        "geo/berlin_mitte_buildings_poly-extrude.geojson",
    ),
}


def _bundled(name, folder="manhattan"):
    return json.loads(
        resources.files("dronesim.sim")
        .joinpath("scenarios", folder, name)
        .read_text(encoding="utf-8")
    )


@pytest.fixture(scope="module")
def city_document():
    return _bundled("lower_manhattan.geojson")


@pytest.fixture(scope="module")
def raw_footprints(shared_data):
    raw = json.loads((shared_data / RAW).read_text(encoding="utf-8"))
    return raw, [shape(f["geometry"]) for f in raw["features"]]


@pytest.fixture(scope="module", params=list(CITIES))
def real_city(request, shared_data):
    """(scenario name, bundled document, raw document, raw footprints projected to metres
    by `_metres` about the bundled document's origin)."""
    folder, name = CITIES[request.param][0].split("/")
    document = _bundled(name, folder)
    raw = json.loads((shared_data / CITIES[request.param][1]).read_text(encoding="utf-8"))
    origin = document["properties"]["origin_lonlat"]
    projected = [
        shapely.transform(
            shape(f["geometry"]), lambda xy: np.column_stack(_metres(xy[:, 0], xy[:, 1], origin))
        )
        for f in raw["features"]
    ]
    return request.param, document, raw, projected


def _metres(lon, lat, origin):
    """An equirectangular projection written here (not the project's), metres per degree
    at 40.7 degrees north: within 1 m of the true distances over the 2 km of the map."""
    lon0, lat0 = origin
    return (
        (np.asarray(lon) - lon0) * 111_412.8 * math.cos(math.radians(lat0)),
        (np.asarray(lat) - lat0) * 111_034.6,
    )


@pytest.mark.parametrize("name", list(CITIES))
def test_scenario_loads_and_lists_the_credit(capsys, name):
    scenario = load_scenario(name)
    assert scenario.map.geojson.endswith(CITIES[name][0].split("/")[1])
    assert name in bundled_scenarios()
    code, out, _ = run(capsys, "scenarios")
    line = next(row for row in out.splitlines() if row.startswith(name + " "))
    assert code == 0 and "© OpenStreetMap contributors" in line and "ODbL" in line


def test_berlin_buildings_are_the_reference_ones_with_22_m_for_unknown_heights(shared_data):
    """The source's 4 m without levels (its default for an unknown height) becomes 22 m,
    the Berlin block's eaves height; every other height and every footprint is kept."""
    ours = _bundled("berlin_mitte.geojson", "berlin-mitte")
    raw = json.loads((shared_data / CITIES["berlin-mitte"][1]).read_text(encoding="utf-8"))
    buildings = [f for f in ours["features"] if f["properties"]["kind"] == "building"]
    assert len(buildings) == len(raw["features"]) == 2105
    for mine, theirs in zip(buildings, raw["features"]):
        props = theirs["properties"]
        unknown = props["height"] == 4 and "levels" not in props
        assert mine["properties"]["height"] == (22.0 if unknown else pytest.approx(props["height"]))
        footprint = shape(theirs["geometry"])
        # Rounded to 1e-7 degrees; two self-intersecting footprints are repaired (their
        # area is not defined: only the outline is compared).
        if footprint.is_valid:
            assert shape(mine["geometry"]).area == pytest.approx(footprint.area, rel=1e-3)
        assert shape(mine["geometry"]).hausdorff_distance(footprint) < 2e-7


def test_bundled_buildings_are_the_reference_ones(city_document, raw_footprints):
    raw, footprints = raw_footprints
    buildings = [f for f in city_document["features"] if f["properties"]["kind"] == "building"]
    assert len(buildings) == len(raw["features"]) == 2839
    for ours, theirs, footprint in zip(buildings, raw["features"], footprints):
        assert ours["properties"]["height"] == pytest.approx(
            theirs["properties"]["height"], abs=0.05
        )
        # Rounded to 1e-7 degrees (about 1 cm): the outline moves by less than that.
        assert shape(ours["geometry"]).hausdorff_distance(footprint) < 2e-7


def test_depots_stand_on_open_ground_of_the_raw_data(real_city):
    """Every depot on open ground: at least 25 m from every real footprint (a park's
    lawn, a square, a pier's deck; the engine checks each pad's column)."""
    name, document, _, projected = real_city
    origin = document["properties"]["origin_lonlat"]
    depots = [f for f in document["features"] if f["properties"]["kind"] == "depot"]
    assert len(depots) == 3
    for depot in depots:
        x, y = _metres(*depot["geometry"]["coordinates"], origin)
        nearest = min(g.distance(Point(float(x), float(y))) for g in projected)
        assert nearest > 25.0, (name, depot["properties"]["name"], nearest)


def test_scenario_flies_its_ed269_zones(city_document):
    """The scenario's zones come from its ED-269 file (`map.uas_zones`), none from the map
    file: checked against the raw document with the test's own projection and the limits
    and times worked out by hand."""
    from dronesim.sim.engine import build_world

    ed269 = _bundled("lower_manhattan_zones_ed269.json")
    assert "NOT LEGAL DATA" in ed269["title"]
    assert not [f for f in city_document["features"] if f["properties"]["kind"] == "no_fly_zone"]
    city, _ = build_world(load_scenario("manhattan"))
    zones = {z.name: z for z in city.zones}
    origin = city_document["properties"]["origin_lonlat"]
    assert len(zones) == sum(len(z["geometry"]) for z in ed269["features"]) == 4
    # In metres in the file: 122 m (400 ft) and 61 m (200 ft).
    heliport = [z for z in ed269["features"] if z["identifier"] == "SAMPLE-KJRB"][0]
    expected = {"SAMPLE-KJRB #1": (0.0, 122.0, 300), "SAMPLE-KJRB #2": (61.0, 122.0, 500)}
    for name, (floor, ceiling, radius) in expected.items():
        zone = zones[name]
        assert (zone.floor_m, zone.ceiling_m) == (floor, ceiling) and not zone.is_temporary
        geometry = heliport["geometry"][int(name[-1]) - 1]
        assert (
            geometry["uomDimensions"] == "M"
            and geometry["horizontalProjection"]["radius"] == radius
        )
        # The zone holds the whole circle, and not much more.
        cx, cy = _metres(*geometry["horizontalProjection"]["center"], origin)
        circle = Point(float(cx), float(cy)).buffer(radius * 0.999, quad_segs=64)
        assert zone.geometry.contains(circle)
        assert zone.geometry.area == pytest.approx(math.pi * radius**2, rel=0.01)
    parade = zones["SAMPLE-CANYON-OF-HEROES"]
    # Weekdays 17:00-17:45 UTC; the run starts at 16:00 UTC (11:00 in New York in winter).
    assert (parade.active_from_s, parade.active_until_s) == (3600.0, 6300.0)
    schedule = [z for z in ed269["features"] if z["identifier"] == "SAMPLE-CANYON-OF-HEROES"][0]
    assert schedule["applicability"][0]["schedule"][0]["startTime"] == "17:00:00.00Z"


def test_short_run_delivers_on_real_ground(capsys, tmp_path, real_city):
    """``dronesim run NAME`` from the bundled data; every drop-off off every real
    footprint and within 60 m of one (the rivers and the unmapped blocks lie further)."""
    name, document, _, projected = real_city
    code, _, err = run(
        capsys,
        "run",
        name,
        "--duration",
        "1200",
        "--quiet",
        "--report",
        tmp_path / "r.json",
        "--record",
        tmp_path / "r.npz",
    )
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["nofly_violations"] == 0 and report["building_intrusions"] == 0
    assert report["orders_delivered"] > 0.8 * report["orders_created"] > 0
    recording = np.load(tmp_path / "r.npz", allow_pickle=False)
    dropoff = recording["order_dropoff_xy"]
    origin = document["properties"]["origin_lonlat"]
    lon, lat = LocalProjection(*origin).to_lonlat(dropoff[:, 0], dropoff[:, 1])
    tree = shapely.STRtree(projected)
    points = shapely.points(*_metres(lon, lat, origin))
    inside = tree.query(points, predicate="intersects")
    assert inside.size == 0, "a drop-off inside a building"
    _, distance = tree.query_nearest(points, return_distance=True, all_matches=False)
    assert distance.max() < 60.0


def test_drop_offs_stay_on_the_maps_land():
    """A map's ``land`` (`City.land`): every drop-off drawn on it (a shapely check of the
    drawn points; without land the same draws spread over the whole city)."""
    from dronesim.maps import generate_city
    from dronesim.sim.demand import generate_orders
    from dronesim.sim.scenario import DemandSpec

    city = generate_city(4)
    xmin, ymin, xmax, ymax = city.bounds_m
    # The western half of the city, less a hole around its centre.
    land = shapely.box(xmin, ymin, (xmin + xmax) / 2, ymax).difference(
        shapely.Point((3 * xmin + xmax) / 4, (ymin + ymax) / 2).buffer(300)
    )
    demand = DemandSpec(orders_per_hour=(300.0,) * 24)
    airspace = city.to_airspace(20.0)
    on_land = dataclasses.replace(city, land=(land,))
    orders = generate_orders(demand, on_land, airspace, 3600.0, 4, np.random.default_rng(3))
    assert len(orders) > 200
    assert shapely.intersects_xy(land, *orders.dropoff_xy.T).all()
    plain = generate_orders(demand, city, airspace, 3600.0, 4, np.random.default_rng(3))
    assert not shapely.intersects_xy(land, *plain.dropoff_xy.T).all()


def test_map_info_lists_a_bundled_scenarios_zones_by_name(capsys):
    """``dronesim map info manhattan``: the scenario's ED-269 volumes with the parade's
    window (17:00-17:45 UTC on the scenario's Monday, t = 3600 to 6300 s)."""
    code, out, err = run(capsys, "map", "info", "manhattan")
    assert code == 0, err
    parade = [line for line in out.splitlines() if "SAMPLE-CANYON-OF-HEROES" in line]
    assert len(parade) == 1 and "[3600, 6300) s" in parade[0] and "17:00:00-17:45:00" in parade[0]
    code, _, err = run(capsys, "map", "info", "demo")
    assert code == 2 and "map.uas_zones" in err and len(err.strip().splitlines()) == 1
