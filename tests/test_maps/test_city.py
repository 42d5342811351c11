import numpy as np
import pytest
import shapely
from dronesim.maps import generate_city


def _fingerprint(city):
    return (
        [g.wkb for g in city.buildings.footprints],
        city.buildings.heights_m.tobytes(),
        [
            (
                z.name,
                z.geometry.wkb,
                z.floor_m,
                z.ceiling_m,
                z.buffer_m,
                z.active_from_s,
                z.active_until_s,
            )
            for z in city.zones
        ],
        city.depots,
        city.base_stations,
        city.hotspots,
        [p.wkb for p in city.parks],
    )


def test_same_seed_same_city_bit_for_bit():
    first, second = generate_city(11), generate_city(11)
    assert _fingerprint(first) == _fingerprint(second)
    assert np.array_equal(first.to_airspace(10.0).blocked, second.to_airspace(10.0).blocked)
    assert _fingerprint(generate_city(12)) != _fingerprint(first)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_generated_city_has_every_kind_of_feature(seed):
    city = generate_city(seed)
    kinds = [zone.kind for zone in city.zones]
    airport = city.zones[kinds.index("airport")]
    assert (
        airport.ceiling_m == np.inf
        and airport.floor_m == 0
        and airport.geometry.area > 0.03 * 3000 * 3000
    )
    permanent_small = [z for z in city.zones if not z.is_temporary and z.kind != "airport"]
    assert {z.kind for z in permanent_small} >= {"government", "helipad"}
    assert all(z.geometry.area < 0.01 * 3000 * 3000 for z in permanent_small)
    temporary = [z for z in city.zones if z.is_temporary]
    assert temporary and all(z.active_until_s > z.active_from_s for z in temporary)
    assert len(city.depots) == 3 and all(d.pads >= 1 for d in city.depots)
    assert {h.category for h in city.hotspots} == {"residential", "commercial"}
    assert city.base_stations and city.parks
    # Buildings keep out of the airport, and some footprints are concave or have courtyards.
    hits = city.buildings.tree.query(airport.geometry, predicate="intersects")
    assert hits.size == 0
    footprints = city.buildings.footprints
    assert (shapely.area(footprints) < shapely.area(shapely.convex_hull(footprints)) - 1e-6).any()
    assert (shapely.get_num_interior_rings(footprints) > 0).any()
    # Depots are usable: the airspace constructor validates them.
    airspace = city.to_airspace(10.0)
    assert airspace.shape == (5, 300, 300)


def test_height_mix_is_mostly_low_rise_with_towers_above_the_cruise_layers():
    heights = np.concatenate([generate_city(seed).buildings.heights_m for seed in range(3)])
    assert np.median(heights) < 20
    assert np.mean(heights <= 20) > 0.6
    assert (heights > 120).sum() >= 3
    assert heights.min() >= 6 and heights.max() <= 250


def test_temporary_zone_does_not_cover_a_depot():
    for seed in range(5):
        city = generate_city(seed)
        depots = shapely.points([(d.x_m, d.y_m) for d in city.depots])
        for zone in city.zones:
            if zone.is_temporary:
                assert not shapely.intersects(zone.keep_out, depots).any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width_m": 100}, "at least 2 x 2 blocks"),
        ({"block_m": 0}, "block_m must be > 0"),
        ({"depots": 0}, "depots must be >= 1"),
    ],
)
def test_generate_city_raises_when_parameters_are_bad(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_city(0, **kwargs)


def _demand_points(city, n=4000, seed=9):
    """Drop-off-like points: a hotspot by weight, a Gaussian point of its radius, off
    every building (drawn here, independently of the generator's siting stream)."""
    rng = np.random.default_rng(seed)
    spots = city.hotspots
    weights = np.array([s.weight for s in spots])
    which = rng.choice(len(spots), size=n, p=weights / weights.sum())
    centres = np.array([[s.x_m, s.y_m] for s in spots])[which]
    radii = np.array([s.radius_m for s in spots])[which]
    points = centres + rng.normal(size=(n, 2)) * radii[:, None]
    union = shapely.union_all(list(city.buildings.footprints))
    keep = ~shapely.contains_xy(union, points[:, 0], points[:, 1])
    return points[keep]


def test_demand_siting_moves_depots_to_the_demand_and_keeps_the_rest_of_the_city():
    even = generate_city(11, width_m=6000, height_m=6000, depots=8)
    sited = generate_city(11, width_m=6000, height_m=6000, depots=8, depot_siting="demand")
    assert sited.hotspots == even.hotspots
    assert [(z.name, z.geometry.wkb) for z in sited.zones] == [
        (z.name, z.geometry.wkb) for z in even.zones
    ]
    again = generate_city(11, width_m=6000, height_m=6000, depots=8, depot_siting="demand")
    assert [(d.x_m, d.y_m) for d in again.depots] == [(d.x_m, d.y_m) for d in sited.depots]
    points = _demand_points(even)

    def distance_to_nearest(city):
        depots = np.array([[d.x_m, d.y_m] for d in city.depots])
        return np.hypot(*(points[:, None, :] - depots[None, :, :]).transpose(2, 0, 1)).min(axis=1)

    assert len(sited.depots) == 8
    # Much nearer the demand on average than depots spread evenly.
    assert distance_to_nearest(sited).mean() < 0.6 * distance_to_nearest(even).mean()
    # A depot's block is cleared: no building within 40 m of a depot point; every
    # building of the sited city is one of the even city's, and the even city's
    # buildings that went were all near a new depot.
    even_set = {f.wkb for f in even.buildings.footprints}
    assert all(f.wkb in even_set for f in sited.buildings.footprints)
    sited_set = {f.wkb for f in sited.buildings.footprints}
    gone = [f for f in even.buildings.footprints if f.wkb not in sited_set]
    for depot in sited.depots:
        point = shapely.Point(depot.x_m, depot.y_m)
        assert all(point.distance(f) > 40.0 for f in sited.buildings.footprints)
    depot_points = [shapely.Point(d.x_m, d.y_m) for d in sited.depots]
    assert all(min(p.distance(f) for p in depot_points) < 60.0 for f in gone)
    # No depot inside a zone's keep-out.
    for depot in sited.depots:
        point = shapely.Point(depot.x_m, depot.y_m)
        assert not any(zone.keep_out.contains(point) for zone in sited.zones)


def test_temporary_zone_goes_to_the_free_block_nearest_the_point_given():
    drawn = generate_city(7, width_m=3000, height_m=3000, depots=3)
    placed = generate_city(
        7, width_m=3000, height_m=3000, depots=3, temporary_zone_xy_m=(2300, 1400)
    )
    assert placed.hotspots == drawn.hotspots
    assert [(d.x_m, d.y_m) for d in placed.depots] == [(d.x_m, d.y_m) for d in drawn.depots]
    event = {z.name: z for z in placed.zones}["event-stadium"]
    before = {z.name: z for z in drawn.zones}["event-stadium"]
    centre = event.geometry.centroid
    assert centre.distance(shapely.Point(2300, 1400)) < 200.0
    assert centre.distance(before.geometry.centroid) > 500.0
    assert event.geometry.area == pytest.approx(before.geometry.area)
    assert (event.active_from_s, event.active_until_s) == (
        before.active_from_s,
        before.active_until_s,
    )
    # As clear of every depot as a drawn event zone, and no building left on its grounds
    # (its block: the zone reaches over the streets into the blocks around, as a drawn
    # one does).
    for depot in placed.depots:
        assert centre.distance(shapely.Point(depot.x_m, depot.y_m)) > 220 + 110 + 40
    grounds = shapely.box(centre.x - 55, centre.y - 55, centre.x + 55, centre.y + 55)
    assert not any(grounds.intersects(f) for f in placed.buildings.footprints)
    assert any(grounds.intersects(f) for f in drawn.buildings.footprints)
    # The other zones are where they were.
    others = [(z.name, z.geometry.wkb) for z in placed.zones if z.name != "event-stadium"]
    assert others == [(z.name, z.geometry.wkb) for z in drawn.zones if z.name != "event-stadium"]
