"""Kernel costs against networkx shortest paths on the same graph (an independent reference)."""

import networkx as nx
import numpy as np
import pytest
from dronesim.planners import PlanningGrid, PlanStatus
from dronesim.planners import grid as grid_module
from dronesim.planners.kernels import batch, common
from planner_cases import (
    assert_astar_matches_networkx,
    path_cost,
    random_airspace,
    random_pairs,
    reference_cost,
)

CASES = {
    "2d-uniform": dict(three_d=False, costs=False),
    "2d-costs": dict(three_d=False, costs=True),
    "3d-cubic": dict(three_d=True, costs=False),
    "3d-cubic-costs": dict(three_d=True, costs=True),
    "3d-layered-costs": dict(three_d=True, costs=True, layers=(15.0, 30.0, 55.0, 100.0)),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("prune", [None, False])
def test_astar_cost_equals_networkx(case, seed, prune):
    airspace = random_airspace(seed, **CASES[case])
    grid = PlanningGrid(airspace, climb_penalty_per_m=0.0 if case.startswith("2d") else 1.5)
    assert_astar_matches_networkx(
        grid, grid.step_graph(), random_pairs(grid, 25, seed), prune=prune
    )


def test_jump_point_search_matches_networkx_on_open_and_cluttered_maps():
    for seed, density in ((3, 0.05), (4, 0.3), (5, 0.45)):
        airspace = random_airspace(
            seed, three_d=False, costs=False, density=density, shape=(1, 40, 37)
        )
        grid = PlanningGrid(airspace)
        graph = grid.step_graph()
        for start, goal in random_pairs(grid, 40, seed):
            result = grid.astar(start, goal, prune=True)
            expected = reference_cost(graph, start, goal)
            if np.isinf(expected):
                assert result.status == PlanStatus.UNREACHABLE
            else:
                assert result.cost == pytest.approx(expected, rel=1e-12)
                assert path_cost(graph, result.cells) == pytest.approx(expected, rel=1e-12)


def _scan_jump(blocked, n, step, side):
    """A straight jump by walking the padded layer cell by cell (the table's definition)."""
    free = 0
    while True:
        ahead = n + step
        if blocked[ahead]:
            return -free
        free += 1
        if (not blocked[ahead + side] and blocked[n + side]) or (
            not blocked[ahead - side] and blocked[n - side]
        ):
            return free
        n = ahead


def _scan_diagonal(blocked, n, sx, sy, px):
    """A diagonal jump cell by cell: steps to the first cell whose straight jumps find a
    jump point, or minus the steps taken before a blocked or corner-cutting step."""
    steps = 0
    while True:
        if blocked[n + sx] or blocked[n + sy * px] or blocked[n + sx + sy * px]:
            return -steps
        n += sx + sy * px
        steps += 1
        if _scan_jump(blocked, n, sx, px) > 0 or _scan_jump(blocked, n, sy * px, 1) > 0:
            return steps


def _read_jump(table, n, column, step):
    """A table entry read on through its continuation entries (runs over 126 cells)."""
    total = 0
    while table[n, column] == 127:
        total += 126
        n += 126 * step
    entry = int(table[n, column])
    return total + entry if entry > 0 else -(total - entry)


@pytest.mark.parametrize(
    "density, shape",
    [(0.05, (1, 33, 41)), (0.3, (1, 33, 41)), (0.0005, (1, 150, 300))],
    ids=["open", "cluttered", "long-runs"],
)
def test_jump_table_equals_walking_the_grid(density, shape):
    grid = PlanningGrid(
        random_airspace(11, three_d=False, costs=False, density=density, shape=shape)
    )
    table = grid.jump_table
    blocked = grid._blocked
    px = grid.px
    free = np.flatnonzero(blocked == 0)
    for n in free[:: max(1, len(free) // 400)]:
        for direction, (step, side) in enumerate(((1, px), (-1, px), (px, 1), (-px, 1))):
            assert _read_jump(table, n, direction, step) == _scan_jump(blocked, n, step, side), (
                n,
                direction,
            )
        for direction, (sx, sy) in enumerate(((1, 1), (-1, 1), (1, -1), (-1, -1))):
            expected = _scan_diagonal(blocked, n, sx, sy, px)
            assert _read_jump(table, n, 4 + direction, sx + sy * px) == expected, (n, sx, sy)


def test_jump_point_search_is_exact_over_runs_longer_than_a_table_entry():
    blocked = np.zeros((1, 140, 300), np.uint8)
    rng = np.random.default_rng(5)
    blocked[0, rng.integers(0, 140, 40), rng.integers(0, 300, 40)] = 1
    blocked[0, 70, 20:280] = 1  # a long wall with open ends
    from dronesim.maps import Airspace

    grid = PlanningGrid(Airspace.from_grid(blocked))
    graph = grid.step_graph()
    pairs = random_pairs(grid, 10, 3) + [
        ((0, 5, 2), (0, 5, 290)),
        ((0, 2, 3), (0, 137, 138)),
        ((0, 100, 295), (0, 60, 5)),
    ]
    for start, goal in pairs:
        expected = reference_cost(graph, start, goal)
        result = grid.astar(start, goal, prune=True)
        assert result.cost == pytest.approx(expected, rel=1e-12)
        assert path_cost(graph, result.cells) == pytest.approx(expected, rel=1e-12)


def test_jump_point_search_is_exact_through_rooms_and_long_corridors():
    blocked = np.zeros((1, 61, 75), np.uint8)
    blocked[0, ::12, :] = 1
    blocked[0, :, ::15] = 1
    rng = np.random.default_rng(2)
    for j in range(0, 61, 12):  # doors in every wall
        blocked[0, j, rng.integers(0, 75, 6)] = 0
    for i in range(0, 75, 15):
        blocked[0, rng.integers(0, 61, 5), i] = 0
    from dronesim.maps import Airspace

    grid = PlanningGrid(Airspace.from_grid(blocked))
    graph = grid.step_graph()
    for start, goal in random_pairs(grid, 60, 9):
        expected = reference_cost(graph, start, goal)
        result = grid.astar(start, goal, prune=True)
        if np.isinf(expected):
            assert result.status == PlanStatus.UNREACHABLE
        else:
            assert result.cost == pytest.approx(expected, rel=1e-12)
            assert path_cost(graph, result.cells) == pytest.approx(expected, rel=1e-12)


def test_weighted_astar_is_bounded_suboptimal():
    airspace = random_airspace(7, three_d=True, costs=True)
    grid = PlanningGrid(airspace, climb_penalty_per_m=0.5)
    graph = grid.step_graph()
    for start, goal in random_pairs(grid, 30, 7):
        expected = reference_cost(graph, start, goal)
        result = grid.astar(start, goal, weight=1.5)
        if np.isinf(expected):
            assert result.status == PlanStatus.UNREACHABLE
        else:
            assert expected * (1 - 1e-12) <= result.cost <= 1.5 * expected * (1 + 1e-12)


@pytest.mark.parametrize(
    "whole_costs", [False, True], ids=["fractional-costs-radix", "whole-costs-dial"]
)
def test_pyastar2d_rules_match_a_directed_networkx_graph(whole_costs):
    airspace = random_airspace(8, three_d=False, costs=True, shape=(1, 40, 45))
    if whole_costs:
        airspace = airspace.replace(cost=np.floor(airspace.cost))
    grid = PlanningGrid(airspace)
    assert (grid.bucket_span > 0) == whole_costs
    cost = airspace.cost[0]
    graph = nx.DiGraph()
    ny, nx_ = cost.shape
    for j in range(ny):
        for i in range(nx_):
            if grid.blocked[0, j, i]:
                continue
            for dj in (-1, 0, 1):
                for di in (-1, 0, 1):
                    vj, vi = j + dj, i + di
                    if (
                        (dj or di)
                        and 0 <= vj < ny
                        and 0 <= vi < nx_
                        and not grid.blocked[0, vj, vi]
                    ):
                        graph.add_edge((0, j, i), (0, vj, vi), weight=float(cost[vj, vi]))
    for start, goal in random_pairs(grid, 30, 8):
        result = grid.astar(start, goal, rules="pyastar2d")
        expected = reference_cost(graph, start, goal)
        if np.isinf(expected):
            assert result.status == PlanStatus.UNREACHABLE
        else:
            assert result.cost == pytest.approx(expected, rel=1e-9)


def test_expansion_limit_and_unreachable_are_statuses():
    blocked = np.zeros((1, 10, 10), np.uint8)
    blocked[0, :, 5] = 1  # a wall splits the map
    from dronesim.maps import Airspace

    grid = PlanningGrid(Airspace.from_grid(blocked))
    assert grid.astar((0, 0, 0), (0, 9, 9)).status == PlanStatus.UNREACHABLE
    assert (
        grid.astar((0, 0, 0), (0, 9, 4), max_expansions=3, prune=False).status == PlanStatus.LIMIT
    )
    assert grid.astar((0, 0, 0), (0, 0, 0)).cost == 0.0
    with pytest.raises(ValueError, match="weight must be a number >= 1"):
        grid.astar((0, 0, 0), (0, 1, 1), weight=0.5)
    with pytest.raises(ValueError, match=r"goal cell \(0, 0, 5\) is blocked"):
        grid.astar((0, 0, 0), (0, 0, 5))
    with pytest.raises(ValueError, match="lies outside the grid"):
        grid.astar((0, 0, 0), (0, 10, 0))


@pytest.mark.parametrize("case", ["2d-uniform", "2d-costs", "3d-layered-costs"])
def test_distance_field_equals_networkx_single_source(case):
    airspace = random_airspace(9, **CASES[case])
    grid = PlanningGrid(airspace, climb_penalty_per_m=1.0)
    graph = grid.step_graph()
    source = random_pairs(grid, 1, 9)[0][0]
    field = grid.distance_field(source)
    expected = nx.single_source_dijkstra_path_length(graph, source)
    distance = field.distance
    for cell in map(tuple, np.argwhere(grid.blocked == 0)):
        if cell in expected:
            assert distance[cell] == pytest.approx(expected[cell], rel=1e-9)
            route = field.route_to(cell)
            assert tuple(route[0]) == source and tuple(route[-1]) == cell
            assert path_cost(graph, route) == pytest.approx(expected[cell], rel=1e-9)
        else:
            assert np.isinf(distance[cell]) and len(field.route_to(cell)) == 0


@pytest.mark.parametrize("case", CASES)
def test_networkx_reference_searches_with_the_kernels_heuristic(case):
    """The benchmark's networkx peer must be as well informed as the kernels, or its time
    ratio would measure the heuristics rather than the implementations: its heuristic is
    admissible on the graph and equal to the kernels' lower bound."""
    from dronesim.planners.registry import _networkx_heuristic

    airspace = random_airspace(3, **CASES[case])
    grid = PlanningGrid(airspace, climb_penalty_per_m=0.0 if case.startswith("2d") else 1.5)
    graph = grid.step_graph()
    heuristic = _networkx_heuristic(grid)
    layers = airspace.layers_m
    for start, goal in random_pairs(grid, 40, 3):
        bound = heuristic(start, goal)
        kernels = common.heuristic(
            grid.hmode,
            abs(start[2] - goal[2]),
            abs(start[1] - goal[1]),
            abs(start[0] - goal[0]),
            layers[start[0]],
            layers[goal[0]],
            grid.cell_size_m,
            grid.climb_penalty_per_m,
            grid.hmin,
        )
        assert bound == pytest.approx(kernels, rel=1e-12)
        assert bound <= reference_cost(graph, start, goal) * (1 + 1e-12)


def test_jump_point_search_is_exact_when_its_open_list_grows():
    """A long query across a cluttered map: over 600 jump points, more entries than the
    open list's first pool holds (1024), so the search pauses, grows it and resumes."""
    grid = PlanningGrid(
        random_airspace(21, three_d=False, costs=False, density=0.2, shape=(1, 120, 120))
    )
    graph = grid.step_graph()
    start, goal = (0, 60, 1), (0, 60, 118)
    result = grid.astar(start, goal, prune=True)
    assert result.expansions > 600
    assert result.cost == pytest.approx(reference_cost(graph, start, goal), rel=1e-12)
    assert path_cost(graph, result.cells) == pytest.approx(result.cost, rel=1e-12)


def test_one_call_jump_point_path_equals_the_search_and_names_bad_cells():
    """`astar_path` plans single-layer JPS queries in one numba call (checks, search and
    path arrays): the same path as `astar`, the same errors, the same statuses."""
    grid = PlanningGrid(
        random_airspace(6, three_d=False, costs=False, density=0.25, shape=(1, 30, 34))
    )
    assert grid._method("exact", None, 1.0) == batch.METHOD_JPS
    for start, goal in random_pairs(grid, 40, 6):
        path = grid.astar_path(start, goal)
        search = grid.astar(start, goal)
        assert path.status == search.status and path.expansions == search.expansions
        if search.status == PlanStatus.FOUND:
            assert path.cost == search.cost
            assert np.array_equal(path.cells, search.cells)
            assert (
                path.waypoints_m.shape == (len(search.cells), 3)
                and not path.waypoints_m.flags.writeable
            )
            assert not path.cells.flags.writeable
    blocked = tuple(int(v) for v in np.argwhere(grid.blocked == 1)[0])
    free = tuple(int(v) for v in np.argwhere(grid.blocked == 0)[0])
    with pytest.raises(ValueError, match=r"start cell \(0, 30, 0\) lies outside the grid"):
        grid.astar_path((0, 30, 0), free)
    with pytest.raises(ValueError, match="goal cell .* is blocked"):
        grid.astar_path(free, blocked)
    with pytest.raises(ValueError, match="start: expected a cell"):
        grid.astar_path((0, 1), free)
    assert grid.astar_path((np.int64(0), np.int64(free[1]), free[2]), free).found


def test_one_call_path_survives_generation_wrap_replaced_work_arrays_and_a_small_pool(monkeypatch):
    """The one-call JPS path reads the grid through its query context: after the
    generation counter wraps (the kernel clears the stamps), after a batch replaces the
    work arrays (the context is rebuilt), and with an open-list pool too small for the
    query (the kernel grows its own), it still returns the search's path."""
    monkeypatch.setattr(grid_module, "_context_pool_size", lambda nodes: 4)
    grid = PlanningGrid(
        random_airspace(21, three_d=False, costs=False, density=0.2, shape=(1, 120, 120))
    )
    graph = grid.step_graph()
    start, goal = (0, 60, 1), (0, 60, 118)
    expected = reference_cost(graph, start, goal)
    assert grid.astar_path(start, goal).cost == pytest.approx(expected, rel=1e-12)
    generations = grid._work["generations"]
    generations[0] = grid_module._GENERATION_LIMIT
    path = grid.astar_path(start, goal)
    assert generations[0] == 1 and path.cost == pytest.approx(expected, rel=1e-12)
    assert path_cost(graph, path.cells) == pytest.approx(path.cost, rel=1e-12)
    grid.astar_many([start, goal], [goal, start], threads=2)
    assert grid._context is None  # the two-thread work arrays replaced thread 0's rows
    path = grid.astar_path(goal, start)
    assert path.cost == pytest.approx(expected, rel=1e-12)
    assert path_cost(graph, path.cells) == pytest.approx(path.cost, rel=1e-12)
