"""Small random airspaces and the networkx reference shared by the planner tests."""

import networkx as nx
import numpy as np
import pytest
from dronesim.maps import Airspace
from dronesim.planners import PlanStatus


def random_airspace(
    seed: int, *, three_d: bool, costs: bool, layers=None, density: float = 0.25, shape=None
) -> Airspace:
    """A small random grid airspace (10 m cells) for comparisons with networkx."""
    rng = np.random.default_rng(seed)
    shape = shape or ((4, 14, 16) if three_d else (1, 24, 26))
    blocked = (rng.random(shape) < density).astype(np.uint8)
    cost = 1.0 + rng.random(shape) * 3.0 if costs else None
    kwargs = {}
    if three_d:
        kwargs["layers_m"] = (
            tuple(layers) if layers else tuple((k + 0.5) * 10.0 for k in range(shape[0]))
        )
        kwargs["ceiling_m"] = max(kwargs["layers_m"]) + 10.0
    return Airspace.from_grid(blocked, cell_size_m=10.0, cost=cost, **kwargs)


def random_pairs(grid, count: int, seed: int):
    """``count`` random (start, goal) pairs of free cells."""
    rng = np.random.default_rng(seed)
    free = np.argwhere(grid.blocked == 0)
    picks = rng.integers(len(free), size=(count, 2))
    return [(tuple(int(v) for v in free[a]), tuple(int(v) for v in free[b])) for a, b in picks]


def reference_cost(graph, start, goal) -> float:
    """networkx's shortest-path cost on a step graph (inf when unreachable)."""
    try:
        return nx.dijkstra_path_length(graph, start, goal)
    except nx.NetworkXNoPath:
        return np.inf


def path_cost(graph, cells) -> float:
    """Sum of the graph's edge weights along a path of cells (KeyError where two
    consecutive cells are not a move apart)."""
    return sum(graph[tuple(a)][tuple(b)]["weight"] for a, b in zip(cells[:-1], cells[1:]))


def assert_astar_matches_networkx(grid, graph, pairs, **options) -> None:
    """For each (start, goal): ``grid.astar(start, goal, **options)`` is unreachable where
    networkx finds no path, and otherwise costs what networkx's shortest path costs, from
    the start to the goal along moves of the graph whose weights add up to that cost."""
    for start, goal in pairs:
        result = grid.astar(start, goal, **options)
        expected = reference_cost(graph, start, goal)
        if np.isinf(expected):
            assert result.status == PlanStatus.UNREACHABLE
            continue
        assert result.status == PlanStatus.FOUND
        assert result.cost == pytest.approx(expected, rel=1e-9)
        cells = [tuple(int(v) for v in cell) for cell in result.cells]
        assert cells[0] == start and cells[-1] == goal
        moved = path_cost(graph, cells)
        assert moved == pytest.approx(expected, rel=1e-9) and moved == pytest.approx(
            result.cost, rel=1e-9
        )
