import math

import numpy as np
import pytest
import shapely
from dronesim.maps.features import (
    BaseStation,
    Buildings,
    Depot,
    Hotspot,
    NoFlyZone,
    conservative_buffer,
)
from hypothesis import given, settings
from hypothesis import strategies as st

SQUARE = shapely.box(0, 0, 100, 100)


def test_zone_raises_when_self_intersecting_and_names_the_zone():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    with pytest.raises(ValueError, match=r"zone 'bow'.*Self-intersection"):
        NoFlyZone("bow", bowtie)


@pytest.mark.parametrize(
    "geometry, message",
    [
        (shapely.Polygon(), "empty"),
        (shapely.LineString([(0, 0), (1, 1)]), "Polygon or MultiPolygon, got LineString"),
        ("not a geometry", "got str"),
    ],
)
def test_zone_raises_when_geometry_is_bad(geometry, message):
    with pytest.raises(ValueError, match=message):
        NoFlyZone("z", geometry)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_zone_raises_when_coordinates_are_nan():
    with pytest.raises(ValueError, match="zone 'z': geometry has non-finite coordinates"):
        NoFlyZone("z", shapely.Polygon([(0, 0), (1, math.nan), (1, 0)]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"floor_m": -1}, "floor_m must be >= 0, got -1"),
        ({"floor_m": 50, "ceiling_m": 50}, "ceiling_m must exceed floor_m"),
        ({"buffer_m": -2}, "buffer_m must be >= 0, got -2"),
        ({"kind": "castle"}, "kind must be one of"),
        ({"active_from_s": 10, "active_until_s": 5}, "active_until_s must exceed active_from_s"),
        ({"floor_m": "low"}, "floor_m must be a number, got 'low'"),
        ({"ceiling_m": math.nan}, "ceiling_m must not be NaN"),
    ],
)
def test_zone_raises_when_field_is_bad(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NoFlyZone("z", SQUARE, **kwargs)


def test_zone_active_window_is_half_open():
    zone = NoFlyZone("event", SQUARE, kind="event", active_from_s=100, active_until_s=200)
    assert zone.is_temporary
    assert [zone.active_at(t) for t in (99.9, 100, 150, 199.9, 200)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert NoFlyZone("p", SQUARE).active_at(-1e9) and not NoFlyZone("p", SQUARE).is_temporary
    open_ended = NoFlyZone("o", SQUARE, active_from_s=5)
    assert not open_ended.active_at(4) and open_ended.active_at(1e12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 50), st.floats(0, 50)), min_size=3, max_size=7),
    st.floats(0.5, 30),
    st.integers(0, 2**31 - 1),
)
def test_conservative_buffer_holds_every_point_within_the_distance(points, distance, seed):
    polygon = shapely.convex_hull(shapely.MultiPoint(points))
    if polygon.area < 1e-3:
        return
    grown = conservative_buffer(polygon, distance, quad_segs=4)
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = polygon.bounds
    samples = rng.uniform(
        [xmin - distance, ymin - distance], [xmax + distance, ymax + distance], (400, 2)
    )
    near = shapely.distance(shapely.points(samples), polygon) <= distance
    assert shapely.covers(grown, shapely.points(samples[near])).all()


def test_buildings_raise_when_height_is_bad():
    with pytest.raises(ValueError, match="building 1: height_m must be > 0"):
        Buildings([SQUARE, SQUARE], [10.0, 0.0])
    with pytest.raises(ValueError, match="2 footprints but 1 heights"):
        Buildings([SQUARE, SQUARE], [10.0])
    with pytest.raises(ValueError, match="building 0: invalid geometry"):
        Buildings([shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])], [5.0])


def test_point_features_validate_their_fields():
    with pytest.raises(ValueError, match="depot 'd': pads must be an integer >= 1, got 0"):
        Depot("d", 0, 0, pads=0)
    with pytest.raises(ValueError, match="depot 'd': x_m must be finite"):
        Depot("d", math.inf, 0)
    with pytest.raises(ValueError, match="range_m must be > 0"):
        BaseStation("s", 0, 0, range_m=0)
    with pytest.raises(ValueError, match="category must be one of"):
        Hotspot("h", 0, 0, category="industrial")
