"""Jump point search on cubic voxels (`jps3d.jps3d`): exact against networkx, jumps that
really skip cells, and a jump table equal to walking the grid cell by cell."""

import itertools
import math

import numpy as np
import pytest
from dronesim.maps import Airspace
from dronesim.planners import PlanningGrid
from dronesim.planners.kernels import batch, jps3d, jumps
from planner_cases import assert_astar_matches_networkx, random_airspace, random_pairs


@pytest.mark.parametrize("density", [0.02, 0.12, 0.3])
@pytest.mark.parametrize("penalty", [0.0, 1.5])
@pytest.mark.parametrize("seed", [0, 1])
def test_jps3d_equals_networkx_on_random_voxels(density, penalty, seed):
    grid = PlanningGrid(
        random_airspace(seed, three_d=True, costs=False, density=density, shape=(7, 15, 17)),
        climb_penalty_per_m=penalty,
    )
    assert grid._method("exact", None, 1.0) == batch.METHOD_JPS3D
    assert_astar_matches_networkx(grid, grid.step_graph(), random_pairs(grid, 30, seed))


def test_jps3d_is_exact_through_walls_with_holes_and_long_runs():
    """Floors and walls with a few holes (many forced neighbours, many equal-cost ties),
    and runs longer than one jump-table entry (126 cells)."""
    blocked = np.zeros((6, 12, 300), np.uint8)
    blocked[3, :, :] = 1
    blocked[3, 5, 40] = blocked[3, 9, 200] = 0  # holes in the floor
    blocked[:, :, 150] = 1
    blocked[1, 2, 150] = blocked[5, 10, 150] = 0  # holes in the wall
    airspace = Airspace.from_grid(
        blocked, cell_size_m=10.0, layers_m=tuple(5.0 + 10 * k for k in range(6)), ceiling_m=60.0
    )
    grid = PlanningGrid(airspace, climb_penalty_per_m=0.3)
    pairs = random_pairs(grid, 12, 4) + [
        ((0, 0, 0), (5, 11, 299)),
        ((5, 0, 299), (0, 11, 0)),
        ((1, 6, 2), (1, 6, 290)),
    ]
    assert_astar_matches_networkx(grid, grid.step_graph(), pairs)


def test_jps3d_jumps_over_cells_that_astar_expands():
    """With few obstacles, straight runs are jumped: fewer expansions for the same costs
    (a seeded grid: 342 against 581 when written)."""
    grid = PlanningGrid(
        random_airspace(0, three_d=True, costs=False, density=0.01, shape=(12, 40, 40))
    )
    jumped = plain = 0
    for start, goal in random_pairs(grid, 30, 0):
        with_jumps, without = grid.astar(start, goal), grid.astar(start, goal, prune=False)
        assert with_jumps.cost == pytest.approx(without.cost, rel=1e-9)
        jumped += with_jumps.expansions
        plain += without.expansions
    assert jumped * 1.5 < plain


def test_jps3d_batch_equals_one_by_one():
    grid = PlanningGrid(
        random_airspace(3, three_d=True, costs=False, density=0.15, shape=(6, 14, 16))
    )
    pairs = random_pairs(grid, 24, 3)
    starts = np.array([s for s, _ in pairs])
    goals = np.array([g for _, g in pairs])
    for together, (start, goal) in zip(grid.astar_many(starts, goals), pairs):
        alone = grid.astar(start, goal)
        assert together.status == alone.status and together.cost == alone.cost
        assert np.array_equal(together.cells, alone.cells)


# ----------------------------------------------------------------------------- the jump table

CUBE = list(itertools.product((-1, 0, 1), repeat=3))


def _step(move, penalty):
    return math.sqrt(sum(abs(v) for v in move)) + penalty * abs(move[0])


def _free(blocked, cell):
    return not blocked[cell]


def _box_free(blocked, a, b):
    """Whether every cell of the box between grid cells a and b is free."""
    ranges = [range(min(x, y), max(x, y) + 1) for x, y in zip(a, b)]
    return all(not blocked[cell] for cell in itertools.product(*ranges))


def _forced(blocked, c, d, penalty):
    """A forced neighbour of cell c reached by straight move d, by its definition: a
    neighbour whose move is open and that no way of one or two moves from the cell behind
    (inside c's cube, not through c) reaches more cheaply, or as cheaply with the move
    along more axes first."""
    add = lambda a, b: tuple(x + y for x, y in zip(a, b))  # noqa: E731
    back = tuple(x - y for x, y in zip(c, d))
    if blocked[back]:
        return True
    for e in CUBE:
        if e in ((0, 0, 0), d):
            continue
        target = add(c, e)
        if target == back or not _box_free(blocked, c, target):
            continue
        through = _step(d, penalty) + _step(e, penalty)
        other = tuple(x - y for x, y in zip(target, back))
        if (
            max(map(abs, other)) <= 1
            and _box_free(blocked, back, target)
            and _step(other, penalty) < through * (1 - 1e-12)
        ):
            continue
        reachable = False
        for w in CUBE:
            via = add(c, w)
            first = tuple(x - y for x, y in zip(via, back))
            second = tuple(x - y for x, y in zip(target, via))
            if w == (0, 0, 0) or max(map(abs, first)) > 1 or max(map(abs, second)) > 1:
                continue
            if first == (0, 0, 0) or second == (0, 0, 0):
                continue
            if not (_box_free(blocked, back, via) and _box_free(blocked, via, target)):
                continue
            cheaper = _step(first, penalty) + _step(second, penalty) < through * (1 - 1e-12)
            canonical = first == e and second == d and sum(map(abs, e)) > 1
            if cheaper or canonical:
                reachable = True
                break
        if not reachable:
            return True
    return False


def _walk(blocked, cell, d, penalty):
    """A straight jump by walking the padded grid cell by cell: steps to the first cell
    that has a forced neighbour (or obstacles around it and one), else minus the free
    steps before the wall."""
    steps = 0
    while True:
        ahead = tuple(x + y for x, y in zip(cell, d))
        if blocked[ahead]:
            return -steps
        steps += 1
        open_cube = all(not blocked[tuple(x + y for x, y in zip(ahead, w))] for w in CUBE)
        if not open_cube and _forced(blocked, ahead, d, penalty):
            return steps
        cell = ahead


def _read(table, n, column, offset):
    total = 0
    while table[n, column] == jumps.JUMP_ON:
        total += jumps.JUMP_RUN
        n += jumps.JUMP_RUN * offset
    entry = int(table[n, column])
    return total + entry if entry > 0 else -(total - entry)


@pytest.mark.parametrize(
    "density, shape, penalty, samples",
    [
        (0.05, (6, 12, 14), 0.0, 150),
        (0.25, (6, 12, 14), 0.0, 150),
        (0.12, (5, 9, 11), 1.5, 150),
        (0.0004, (3, 6, 290), 0.0, 25),
    ],
    ids=["open", "cluttered", "climb-penalty", "long-runs"],
)
def test_jump_table_3d_equals_walking_the_grid(density, shape, penalty, samples):
    grid = PlanningGrid(
        random_airspace(8, three_d=True, costs=False, density=density, shape=shape),
        climb_penalty_per_m=penalty,
    )
    table = grid.jump_table
    blocked = grid._blocked.reshape(grid._pshape)
    moves = grid._moves
    free = np.flatnonzero(grid._blocked == 0)
    for n in free[:: max(1, len(free) // samples)]:
        cell = tuple(int(v) for v in np.unravel_index(n, grid._pshape))
        open_cube = all(not blocked[tuple(x + y for x, y in zip(cell, w))] for w in CUBE)
        assert table[n, jps3d.JPS3D_OPEN] == open_cube
        for column in range(6):
            d = (int(moves.dk[column]), int(moves.dj[column]), int(moves.di[column]))
            assert _read(table, n, column, int(moves.offset[column])) == _walk(
                blocked, cell, d, penalty
            ), (cell, d)
