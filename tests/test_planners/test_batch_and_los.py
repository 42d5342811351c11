import numpy as np
import pytest
import shapely
from dronesim.maps import Airspace
from dronesim.planners import PlanningGrid
from planner_cases import random_airspace, random_pairs


@pytest.mark.parametrize(
    "case, options",
    [
        (dict(three_d=False, costs=False), {}),
        (dict(three_d=False, costs=False), {"prune": False}),
        (dict(three_d=False, costs=True), {}),
        (dict(three_d=False, costs=True), {"rules": "pyastar2d"}),
        (dict(three_d=True, costs=True), {}),
        (dict(three_d=True, costs=True), {"weight": 2.0}),
    ],
)
def test_batch_equals_one_by_one(case, options):
    grid = PlanningGrid(random_airspace(11, **case))
    pairs = random_pairs(grid, 40, 11)
    starts = [s for s, _ in pairs]
    goals = [g for _, g in pairs]
    batch = grid.astar_many(starts, goals, threads=2, **options)
    for (start, goal), result in zip(pairs, batch):
        alone = grid.astar(start, goal, **options)
        assert (result.status, result.cost, result.expansions) == (
            alone.status,
            alone.cost,
            alone.expansions,
        )
        assert np.array_equal(result.cells, alone.cells)


def test_batch_replans_paths_that_overflow_their_thread_buffer():
    grid = PlanningGrid(random_airspace(12, three_d=False, costs=False, density=0.1))
    pairs = random_pairs(grid, 10, 12)
    batch = grid.astar_many([s for s, _ in pairs], [g for _, g in pairs], threads=2, buffer_cells=3)
    for (start, goal), result in zip(pairs, batch):
        alone = grid.astar(start, goal)
        assert result.cost == alone.cost and np.array_equal(result.cells, alone.cells)


def _touched_blocked(grid, a, b):
    """Whether the a-b centre segment touches any blocked cell's closed square (shapely)."""
    blocked = np.argwhere(grid.blocked[0] != 0)
    boxes = shapely.box(blocked[:, 1], blocked[:, 0], blocked[:, 1] + 1.0, blocked[:, 0] + 1.0)
    segment = shapely.LineString([(a[2] + 0.5, a[1] + 0.5), (b[2] + 0.5, b[1] + 0.5)])
    return bool(shapely.intersects(boxes, segment).any())


@pytest.mark.parametrize("seed", range(4))
def test_line_of_sight_is_exactly_the_touched_cells_test_in_2d(seed):
    rng = np.random.default_rng(seed)
    blocked = (rng.random((1, 20, 20)) < 0.15).astype(np.uint8)
    grid = PlanningGrid(Airspace.from_grid(blocked))
    free = np.argwhere(grid.blocked == 0)
    for _ in range(300):
        a, b = (tuple(int(v) for v in free[k]) for k in rng.integers(len(free), size=2))
        clear, cost = grid.line_of_sight(a, b)
        assert clear == (not _touched_blocked(grid, a, b))
        if clear:
            assert cost == pytest.approx(np.hypot(a[1] - b[1], a[2] - b[2]))


def test_line_of_sight_through_a_corner_needs_both_side_cells():
    blocked = np.zeros((1, 3, 3), np.uint8)
    blocked[0, 0, 1] = 1
    grid = PlanningGrid(Airspace.from_grid(blocked))
    assert grid.line_of_sight((0, 0, 0), (0, 1, 1)) == (False, np.inf)
    assert grid.line_of_sight((0, 1, 0), (0, 2, 1))[0]


def test_line_of_sight_cost_is_the_line_integral_of_the_cost_layer():
    cost = np.ones((1, 1, 4))
    cost[0, 0, 1:3] = 3.0
    grid = PlanningGrid(Airspace.from_grid(np.zeros((1, 1, 4)), cell_size_m=2.0, cost=cost))
    # Centre to centre over 3 cells: half of cell 0, all of 1 and 2, half of 3 -> (0.5 + 3 + 3 + 0.5) * 2 m.
    assert grid.line_of_sight((0, 0, 0), (0, 0, 3)) == (True, pytest.approx(14.0))


def test_line_of_sight_climbing_through_a_band_needs_the_cell_below():
    # Layer 1 is free above a column whose layer 0 is blocked (a building under 50 m):
    # a climb from layer 0 elsewhere through that column's band must be refused.
    blocked = np.zeros((3, 1, 6), np.uint8)
    blocked[0, 0, 3] = 1
    airspace = Airspace.from_grid(
        blocked, cell_size_m=10.0, layers_m=(30.0, 50.0, 70.0), ceiling_m=120.0
    )
    grid = PlanningGrid(airspace)
    assert not grid.line_of_sight((0, 0, 0), (2, 0, 5))[0]
    assert grid.line_of_sight((1, 0, 0), (2, 0, 5))[0]
