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
