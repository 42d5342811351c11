import dataclasses
import math
import pickle

import numpy as np
import pytest
import shapely
from dronesim.maps import Airspace, Buildings, Depot, NoFlyZone

LAYERS = (30.0, 50.0, 70.0, 90.0, 110.0)


def small_airspace(**kwargs) -> Airspace:
    fields = dict(origin_m=(0.0, 0.0), cell_size_m=10.0, nx=20, ny=15, layers_m=LAYERS)
    fields.update(kwargs)
    return Airspace(**fields)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("cell_size_m", 0.0, "cell_size_m must be > 0, got 0.0"),
        ("cell_size_m", "ten", "cell_size_m must be a number, got 'ten'"),
        ("nx", 0, "nx must be an integer >= 1, got 0"),
        ("ny", 2.5, "ny must be an integer >= 1, got 2.5"),
        ("layers_m", (30.0, 30.0), "layers_m must be strictly increasing"),
        ("layers_m", (30.0, 130.0), r"layers_m must lie in \(0, ceiling_m=120.0\)"),
        ("layers_m", (), "layers_m must hold at least one altitude"),
        ("ceiling_m", -5.0, "ceiling_m must be > 0, got -5.0"),
        ("origin_m", (0.0, math.nan), "origin_m must be two finite numbers"),
        ("horizontal_clearance_m", -1.0, "horizontal_clearance_m must be >= 0, got -1.0"),
        (
            "cost",
            np.ones((5, 15, 20)) * 0.5,
            r"cost must be finite and >= 1, got 0.5 at cell \(0, 0, 0\)",
        ),
        ("cost", np.ones((5, 15, 21)), r"cost must have shape \(5, 15, 20\)"),
        ("obstacles", np.zeros((1, 15, 20)), r"obstacles must have shape \(5, 15, 20\)"),
        ("origin_lonlat", (200.0, 0.0), "origin_lonlat must be"),
    ],
)
def test_airspace_raises_when_field_is_bad(field, value, message):
    with pytest.raises(ValueError, match=message):
        small_airspace(**{field: value})


def test_airspace_is_frozen_and_its_arrays_read_only():
    airspace = small_airspace()
    with pytest.raises(dataclasses.FrozenInstanceError):
        airspace.cell_size_m = 5.0
    with pytest.raises(ValueError):
        airspace.blocked[0, 0, 0] = 1
    with pytest.raises(ValueError):
        airspace.cost[0, 0, 0] = 2


def test_layer_bands_split_at_midpoints_between_ground_and_ceiling():
    airspace = small_airspace()
    assert airspace.layer_bands_m.tolist() == [[0, 40], [40, 60], [60, 80], [80, 100], [100, 120]]
    assert airspace.layer_of([0, 39.9, 40, 40.1, 119, 120, 120.5, -1]).tolist() == [
        0,
        0,
        0,
        1,
        4,
        4,
        -1,
        -1,
    ]


def test_world_cell_transforms_round_trip_and_flag_outside_points():
    airspace = small_airspace(origin_m=(-100.0, 250.0))
    k, j, i = np.meshgrid(np.arange(5), np.arange(15), np.arange(20), indexing="ij")
    x, y, z = airspace.cell_centre(k, j, i)
    assert [a.tolist() for a in airspace.cell_of(x, y, z)] == [k.tolist(), j.tolist(), i.tolist()]
    assert [int(v) for v in airspace.cell_of(-100.0, 250.0)] == [0, 0, 0]
    assert [int(v) for v in airspace.cell_of(-100.1, 400.0, 500.0)] == [-1, -1, -1]
    assert [int(v) for v in airspace.cell_of(100.0, 300.0)] == [
        0,
        5,
        -1,
    ]  # x = east edge is outside
    assert airspace.contains_xy([-100, 99.99, 100], [250, 399.99, 300]).tolist() == [
        True,
        True,
        False,
    ]


def test_buildings_block_layers_up_to_roof_plus_clearance_on_the_grown_footprint():
    footprint = shapely.box(83, 63, 117, 87)
    airspace = small_airspace(
        buildings=Buildings([footprint], [42.0]),
        horizontal_clearance_m=6.0,
        vertical_clearance_m=10.0,
    )
    # 42 + 10 = 52 m: layers 30 and 50 blocked, 70 and above free.
    assert airspace.blocked[2:].sum() == 0
    j, i = np.mgrid[0:15, 0:20]
    boxes = shapely.box(i * 10.0, j * 10.0, i * 10.0 + 10, j * 10.0 + 10)
    distance = shapely.distance(boxes, footprint)
    assert airspace.blocked[0][distance <= 6.0].all()
    assert not airspace.blocked[0][distance > 6.0 * 1.02].any()
    assert np.array_equal(airspace.blocked[0], airspace.blocked[1])


def test_zone_blocks_only_layers_whose_band_overlaps_its_altitudes():
    zone = NoFlyZone("upper", shapely.box(50, 50, 100, 100), floor_m=60.0, ceiling_m=120.0)
    airspace = small_airspace(zones=(zone,))
    per_layer = airspace.blocked.reshape(5, -1).sum(axis=1)
    assert (
        per_layer[:2].tolist() == [0, 0]
        and (per_layer[2:] == per_layer[2]).all()
        and per_layer[2] > 0
    )
    low = NoFlyZone("low", shapely.box(50, 50, 100, 100), floor_m=0.0, ceiling_m=45.0)
    per_layer = small_airspace(zones=(low,)).blocked.reshape(5, -1).sum(axis=1)
    assert per_layer[2:].sum() == 0 and per_layer[0] > 0 and per_layer[1] > 0


def test_temporary_zone_is_blocked_only_inside_its_window():
    event = NoFlyZone(
        "event",
        shapely.Point(100, 75).buffer(30),
        buffer_m=5.0,
        kind="event",
        active_from_s=600,
        active_until_s=1200,
    )
    airspace = small_airspace(zones=(event,))
    assert airspace.blocked.sum() == 0
    assert airspace.blocked_at(0.0) is airspace.blocked
    during = airspace.blocked_at(600.0)
    expected = np.zeros((15, 20), dtype=bool)
    j, i = np.mgrid[0:15, 0:20]
    expected[
        shapely.intersects(
            shapely.box(i * 10.0, j * 10.0, i * 10.0 + 10, j * 10.0 + 10),
            event.geometry.buffer(5.0),
        )
    ] = True
    assert np.array_equal(
        during[0].astype(bool) | expected, during[0].astype(bool)
    )  # never less than exact
    assert (during == during[0]).all()
    assert airspace.blocked_at(1200.0).sum() == 0
    assert [z.name for z in airspace.active_zones(700)] == ["event"] and airspace.active_zones(
        1300
    ) == ()
    assert [z.name for z in airspace.zones_at(100, 75, 50, t_s=700)] == ["event"]
    assert airspace.zones_at(100, 75, 50, t_s=100) == ()


def test_depot_raises_when_inside_a_building_zone_or_under_a_blocked_cell():
    building = Buildings([shapely.box(40, 40, 60, 60)], [80.0])
    with pytest.raises(ValueError, match=r"depot 'hub' at \(50.0, 50.0\): lies inside building 0"):
        small_airspace(buildings=building, depots=(Depot("hub", 50, 50),))
    with pytest.raises(ValueError, match="cannot take off"):
        small_airspace(buildings=building, depots=(Depot("hub", 63, 50),))
    zone = NoFlyZone("gov", shapely.box(100, 0, 150, 50))
    with pytest.raises(ValueError, match="lies inside no-fly zone 'gov'"):
        small_airspace(zones=(zone,), depots=(Depot("hub", 120, 20),))
    with pytest.raises(ValueError, match="lies outside the map"):
        small_airspace(depots=(Depot("hub", 500, 20),))
    with pytest.raises(ValueError, match="depots: duplicate name 'a'"):
        small_airspace(depots=(Depot("a", 5, 5), Depot("a", 15, 5)))


def test_replace_rebuilds_rasters_only_when_their_inputs_change():
    zone = NoFlyZone("gov", shapely.box(100, 0, 150, 50))
    airspace = small_airspace(zones=(zone,))
    cheaper = airspace.replace(cost=np.full(airspace.shape, 2.0))
    assert cheaper.blocked is airspace.blocked and cheaper.cost.max() == 2.0
    moved = airspace.replace(zones=(NoFlyZone("gov", shapely.box(0, 0, 50, 50)),))
    assert not np.array_equal(moved.blocked, airspace.blocked)
    with pytest.raises(ValueError, match="cost must be finite"):
        airspace.replace(cost=np.zeros(airspace.shape))
    with pytest.raises(ValueError, match="unknown field"):
        airspace.replace(colour="red")


def test_airspace_pickles():
    zone = NoFlyZone("event", shapely.box(0, 0, 30, 30), active_from_s=5, active_until_s=10)
    airspace = small_airspace(
        zones=(zone,), buildings=Buildings([shapely.box(100, 100, 120, 120)], [35.0])
    )
    copy = pickle.loads(pickle.dumps(airspace))
    assert np.array_equal(copy.blocked, airspace.blocked)
    assert np.array_equal(copy.blocked_at(7), airspace.blocked_at(7))
    assert copy.zones[0].geometry.equals(zone.geometry)


def test_from_grid_wraps_2d_and_3d_occupancy():
    grid = np.zeros((4, 6), dtype=np.uint8)
    grid[1, 2] = 1
    flat = Airspace.from_grid(grid)
    assert flat.shape == (1, 4, 6) and flat.blocked[0, 1, 2] == 1 and flat.blocked.sum() == 1
    voxels = Airspace.from_grid(np.ones((3, 4, 6)), cell_size_m=2.0)
    assert voxels.layers_m == (1.0, 3.0, 5.0) and voxels.ceiling_m == 6.0 and voxels.blocked.all()
