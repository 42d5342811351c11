"""The assignment kernel against brute force, networkx matching and scipy."""

import itertools

import networkx as nx
import numpy as np
import pytest
from dronesim.planners.fleet import solve_assignment


def _score(cost, col4row):
    pairs = [(r, c) for r, c in enumerate(col4row) if c >= 0]
    assert len({c for _, c in pairs}) == len(pairs), "a column used twice"
    assert all(np.isfinite(cost[r, c]) for r, c in pairs), "an infeasible pair assigned"
    return len(pairs), sum(cost[r, c] for r, c in pairs)


def _brute_force(cost):
    """Most feasible pairs, then least total cost, over every injective map."""
    n_rows, n_cols = cost.shape
    best = (-1, 0.0)
    if n_rows <= n_cols:
        for columns in itertools.permutations(range(n_cols), n_rows):
            pairs = [(r, c) for r, c in enumerate(columns) if np.isfinite(cost[r, c])]
            score = (len(pairs), -sum(cost[r, c] for r, c in pairs))
            best = max(best, score)
    else:
        for rows in itertools.permutations(range(n_rows), n_cols):
            pairs = [(r, c) for c, r in enumerate(rows) if np.isfinite(cost[r, c])]
            score = (len(pairs), -sum(cost[r, c] for r, c in pairs))
            best = max(best, score)
    return best[0], -best[1]


def _random_cost(rng, shape, infeasible):
    cost = rng.integers(0, 50, shape).astype(float) + rng.random(shape)
    cost[rng.random(shape) < infeasible] = np.inf
    return cost


@pytest.mark.parametrize("seed", range(30))
def test_equals_brute_force_up_to_8x8(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 9, 2))
    if shape[0] * shape[1] > 42:  # keep brute force fast: 8x5 or 6x7 at most
        shape = (min(shape[0], 6), min(shape[1], 7))
    cost = _random_cost(rng, shape, infeasible=[0.0, 0.3, 0.7][seed % 3])
    count, total = _score(cost, solve_assignment(cost))
    best_count, best_total = _brute_force(cost)
    assert count == best_count
    assert total == pytest.approx(best_total, abs=1e-9)


@pytest.mark.parametrize("shape", [(8, 8), (8, 3), (3, 8)])
def test_equals_brute_force_on_the_largest_shapes(shape):
    rng = np.random.default_rng(sum(shape))
    cost = _random_cost(rng, shape, infeasible=0.25)
    assert _score(cost, solve_assignment(cost)) == pytest.approx(_brute_force(cost))


@pytest.mark.parametrize(
    "seed, shape", [(1, (60, 60)), (2, (40, 60)), (3, (60, 35)), (4, (50, 50))]
)
def test_equals_networkx_max_weight_matching(seed, shape):
    rng = np.random.default_rng(seed)
    cost = _random_cost(rng, shape, infeasible=0.4)
    graph = nx.Graph()
    big = 1e6
    for r, c in zip(*np.nonzero(np.isfinite(cost))):
        graph.add_edge(("r", r), ("c", c), weight=big - cost[r, c])
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    expected_count = len(matching)
    expected_total = sum(big - graph[a][b]["weight"] for a, b in matching)
    count, total = _score(cost, solve_assignment(cost))
    assert count == expected_count
    assert total == pytest.approx(expected_total, rel=1e-9)


def test_equals_scipy_on_dense_matrices():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(5)
    for shape in ((200, 200), (150, 300), (300, 120)):
        cost = rng.random(shape) * 1000
        rows, cols = scipy_optimize.linear_sum_assignment(cost)
        count, total = _score(cost, solve_assignment(cost))
        assert count == min(shape) and total == pytest.approx(cost[rows, cols].sum(), rel=1e-12)


def test_degenerate_inputs():
    assert solve_assignment(np.full((3, 4), np.inf)).tolist() == [-1, -1, -1]
    assert solve_assignment(np.empty((0, 5))).tolist() == []
    assert solve_assignment(np.empty((2, 0))).tolist() == [-1, -1]
    assert solve_assignment(np.array([[-5.0, 2.0], [1.0, -3.0]])).tolist() == [0, 1]
    with pytest.raises(ValueError, match="2D"):
        solve_assignment(np.zeros(3))
