"""Conservative rasterization against shapely brute force on random, thin and concave shapes."""

import numpy as np
import pytest
import shapely
from dronesim.maps.raster import segments_meet_boxes, touched_cells, touched_mask


def _random_polygon(rng: np.random.Generator, size: float):
    kind = rng.integers(5)
    if kind == 0:  # thin sliver, thinner than a cell
        a, b = rng.uniform(0, size, (2, 2))
        return shapely.LineString([a, b]).buffer(rng.uniform(0.01, 0.2), cap_style="flat")
    if kind == 1:  # concave star
        n = int(rng.integers(5, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, 2 * n))
        radii = np.where(np.arange(2 * n) % 2 == 0, size / 2.5, size / 8)
        centre = rng.uniform(size / 3, 2 * size / 3, 2)
        return shapely.Polygon(centre + np.c_[radii * np.cos(angles), radii * np.sin(angles)])
    if kind == 2:  # polygon with a hole
        outer = shapely.box(*rng.uniform(0, size / 3, 2), *rng.uniform(2 * size / 3, size, 2))
        return outer.difference(
            outer.centroid.buffer(
                min(outer.bounds[2] - outer.bounds[0], outer.bounds[3] - outer.bounds[1]) / 4
            )
        )
    if kind == 3:  # multipolygon of two triangles
        return shapely.MultiPolygon(
            [
                shapely.Polygon(rng.uniform(0, size / 2, (3, 2))),
                shapely.Polygon(rng.uniform(size / 2, size, (3, 2))),
            ]
        )
    return shapely.convex_hull(shapely.MultiPoint(rng.uniform(0, size, (6, 2))))


def _brute_mask(geometry, origin, cell, nx, ny):
    j, i = np.mgrid[0:ny, 0:nx]
    boxes = shapely.box(
        origin[0] + i * cell,
        origin[1] + j * cell,
        origin[0] + (i + 1) * cell,
        origin[1] + (j + 1) * cell,
    )
    return shapely.intersects(boxes, geometry)


@pytest.mark.parametrize("seed", range(40))
def test_touched_cells_equal_shapely_box_intersection(seed):
    rng = np.random.default_rng(seed)
    geometry = shapely.make_valid(_random_polygon(rng, 30.0))
    if geometry.is_empty or geometry.area == 0:
        pytest.skip("degenerate random shape")
    cell = float(rng.uniform(0.4, 4.0))
    origin = tuple(rng.uniform(-4, 0, 2))
    nx = ny = int(36 / cell)
    assert np.array_equal(
        touched_mask(geometry, origin, cell, nx, ny), _brute_mask(geometry, origin, cell, nx, ny)
    )


def test_touched_cells_catch_a_corner_touch_and_a_polygon_inside_one_cell():
    # A triangle touching the grid point (10, 10) only: all four cells meeting there are touched.
    triangle = shapely.Polygon([(10, 10), (14, 13), (13, 14)])
    mask = touched_mask(triangle, (0.0, 0.0), 5.0, 4, 4)
    assert mask[1, 1] and mask[2, 2]
    assert np.array_equal(mask, _brute_mask(triangle, (0.0, 0.0), 5.0, 4, 4))
    speck = shapely.box(6, 6, 6.5, 6.5)
    assert np.argwhere(touched_mask(speck, (0.0, 0.0), 5.0, 4, 4)).tolist() == [[1, 1]]


def test_touched_cells_clip_to_the_grid_and_keep_owners():
    inside = shapely.box(1, 1, 3, 3)
    outside = shapely.box(100, 100, 120, 120)
    straddling = shapely.box(-5, -5, 2, 2)
    owner, rows, cols = touched_cells([inside, outside, straddling], (0.0, 0.0), 1.0, 10, 10)
    assert set(np.unique(owner)) == {0, 2}
    assert rows.min() >= 0 and cols.min() >= 0 and rows.max() < 10 and cols.max() < 10


@pytest.mark.parametrize("seed", range(10))
def test_free_cells_give_segments_that_never_cross_the_shape(seed):
    rng = np.random.default_rng(100 + seed)
    geometry = shapely.make_valid(_random_polygon(rng, 20.0))
    if geometry.is_empty:
        pytest.skip("degenerate random shape")
    origin, cell, n = (0.0, 0.0), 1.0, 24
    blocked = touched_mask(geometry, origin, cell, n, n)
    free = np.argwhere(~blocked)
    j, i = np.mgrid[0:n, 0:n]
    boxes = shapely.box(i * cell, j * cell, (i + 1) * cell, (j + 1) * cell).reshape(-1)
    checked = 0
    for _ in range(300):
        (ja, ia), (jb, ib) = free[rng.integers(len(free), size=2)]
        segment = shapely.LineString([(ia + 0.5, ja + 0.5), (ib + 0.5, jb + 0.5)])
        crossed = shapely.intersects(boxes, segment).reshape(n, n)
        if blocked[crossed].any():
            continue  # the segment passes a blocked cell: not a free corridor
        checked += 1
        assert not segment.intersects(geometry)
    assert checked > 20


def test_segments_meet_boxes_matches_shapely():
    rng = np.random.default_rng(7)
    start = rng.uniform(0, 10, (2000, 2))
    end = start + rng.normal(0, 3, (2000, 2))
    end[::7, 0] = start[::7, 0]  # vertical segments
    end[::11, 1] = start[::11, 1]  # horizontal segments
    lo = rng.uniform(0, 10, (2000, 2))
    hi = lo + rng.uniform(0.1, 3, (2000, 2))
    got = segments_meet_boxes(start, end, lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    expected = shapely.intersects(
        shapely.linestrings(np.stack([start, end], axis=1)),
        shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]),
    )
    assert np.array_equal(got, expected)
