import numpy as np
import pytest
import shapely
from dronesim.maps import Airspace, BaseStation, Buildings, Depot, generate_city
from dronesim.maps.cost import ground_risk_cost, radio_coverage_cost, with_cost_layers


@pytest.fixture(scope="module")
def city_airspace():
    city = generate_city(5)
    return city, city.to_airspace(20.0)


def test_ground_risk_is_higher_over_dense_blocks_than_over_parks(city_airspace):
    city, airspace = city_airspace
    cost = ground_risk_cost(airspace, city.hotspots, max_multiplier=3.0)
    assert cost.shape == airspace.shape and cost.dtype == np.float32
    assert cost.min() >= 1.0 and cost.max() <= 3.0 + 1e-6
    assert np.array_equal(cost[0], cost[-1])
    _, rows, cols = airspace.cell_of(
        *shapely.get_coordinates(shapely.centroid(np.array(city.parks, dtype=object))).T
    )
    park_cost = cost[0, rows, cols].mean()
    tall = city.buildings.heights_m > 40
    centroids = shapely.get_coordinates(shapely.centroid(city.buildings.footprints[tall]))
    _, rows, cols = airspace.cell_of(centroids[:, 0], centroids[:, 1])
    assert cost[0, rows, cols].mean() > park_cost + 0.3
    assert airspace.replace(cost=cost).cost.max() == cost.max()


def test_ground_risk_of_an_empty_city_is_uniform():
    airspace = Airspace((0.0, 0.0), 10.0, 10, 10)
    assert (ground_risk_cost(airspace) == 1).all()


def test_radio_cost_grows_with_distance_and_flags_cells_out_of_range():
    station = BaseStation("s", 55.0, 55.0, range_m=300.0)
    airspace = Airspace((0.0, 0.0), 10.0, 60, 12, layers_m=(30.0, 60.0), base_stations=(station,))
    cost, out = radio_coverage_cost(airspace, max_multiplier=4.0)
    row = cost[0, 5]
    assert row[5] == pytest.approx(1.0) and (np.diff(row[5:]) >= 0).all()
    xc, yc, _ = airspace.cell_centre(0, np.arange(12)[:, None], np.arange(60)[None, :])
    distance = np.hypot(xc - 55, yc - 55)
    assert np.array_equal(out, distance > 300)
    assert np.allclose(
        cost[0], np.where(out, 4.0, 1 + 3 * (np.minimum(distance, 300) / 300) ** 2), rtol=1e-6
    )


def test_with_cost_layers_multiplies_and_blocks():
    station = BaseStation("s", 50.0, 50.0, range_m=200.0)
    airspace = Airspace((0.0, 0.0), 10.0, 40, 10, base_stations=(station,))
    radio, out = radio_coverage_cost(airspace)
    doubled = np.full(airspace.shape, 2.0, dtype=np.float32)
    combined = with_cost_layers(airspace, radio, doubled, block=out)
    assert np.allclose(combined.cost, radio * 2)
    assert np.array_equal(combined.blocked[0].astype(bool), out)
    far_depot = Airspace(
        (0.0, 0.0), 10.0, 40, 10, base_stations=(station,), depots=(Depot("far", 395, 50),)
    )
    with pytest.raises(ValueError, match="depot 'far'.*cannot take off"):
        with_cost_layers(far_depot, radio, block=out)


def test_ground_risk_counts_floor_area():
    tower = Buildings([shapely.box(10, 10, 30, 30), shapely.box(160, 160, 180, 180)], [100.0, 7.0])
    airspace = Airspace((0.0, 0.0), 10.0, 20, 20, buildings=tower)
    cost = ground_risk_cost(airspace, smoothing_m=0.0)
    assert cost[0, 2, 2] > cost[0, 17, 17] > cost[0, 10, 10] == 1.0
