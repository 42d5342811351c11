"""Grid A*: the general kernel and its one-layer and uniform-cost specialisations.

Each public kernel here packs its arguments for the shared search loop of `search` and
picks the variant; only `astar2d_pyastar` (Dial's bucket queue) has a loop of its own.
"""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import (
    FOUND,
    INITIAL_HEAP,
    LIMIT,
    POOL_FULL,
    UNREACHABLE,
    trace,
)
from dronesim.planners.kernels.moves import cubic_step_costs, eight_moves
from dronesim.planners.kernels.queues import grow_entries, heap_queue, radix_queue
from dronesim.planners.kernels.search import (
    ENTERED_2D,
    ENTERED_2D_WEIGHTED,
    MEAN,
    MEAN_2D,
    MEAN_2D_WEIGHTED,
    MEAN_WEIGHTED,
    UNIFORM_2D,
    UNIFORM_2D_WEIGHTED,
    UNIFORM_CUBIC,
    make_driver,
)

_uniform_2d = make_driver(UNIFORM_2D)
_uniform_2d_weighted = make_driver(UNIFORM_2D_WEIGHTED)
_mean_2d = make_driver(MEAN_2D)
_mean_2d_weighted = make_driver(MEAN_2D_WEIGHTED)
_entered_2d = make_driver(ENTERED_2D)
_entered_2d_weighted = make_driver(ENTERED_2D_WEIGHTED)
_uniform_cubic = make_driver(UNIFORM_CUBIC)
_mean = make_driver(MEAN)
_mean_weighted = make_driver(MEAN_WEIGHTED)

_ASTAR_DOC = """
    Parameters
    ----------
    blocked : uint8[:]
        Padded, flattened occupancy (1 = blocked; the padding is blocked).
    cost : float32[:]
        Padded, flattened cost multipliers (>= ``hmin``).
    alt : float64[:]
        Altitude in metres of each padded layer index.
    px, py : int
        Padded row length and rows per layer.
    move_offset, move_dk, move_dj, move_di : int arrays
        The move set (flat offset and per-axis steps).
    box_mask : int64[:, 2]
        ``[m, 0]``: the bits (see `occupancy`) of move ``m``'s bounding box around the
        cell moved from, its target included; all must be free (no corner cutting).
        ``[m, 1]``: the same box for the move arriving at the cell by move ``m``.
    step_length, step_climb : float64[:, :]
        ``[m, k]``: length in metres of move ``m`` from padded layer ``k``, and its climb
        penalty.
    hmode : int
        ``H_*`` heuristic code.
    cell_size, penalty, hmin, weight : float
        Cell size (m), climb penalty per metre, smallest cost multiplier, and the
        heuristic weight w >= 1 (w > 1: bounded-suboptimal, cost <= w * optimum).
    start, goal, max_expansions : int
    g, parent, state : arrays of the padded size
        Work arrays (see above).
    generation : int
        This query's stamp (1 <= generation < 2**30), distinct from every earlier one on
        these work arrays.
    path : int32[:]
        Receives the path (start first) when found.

    Returns
    -------
    status, cost, expansions, path_length
"""


@kernel
def astar(
    blocked,
    cost,
    alt,
    px,
    py,
    move_offset,
    move_dk,
    move_dj,
    move_di,
    box_mask,
    step_length,
    step_climb,
    hmode,
    cell_size,
    penalty,
    hmin,
    weight,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
):
    """Grid A* over any layered grid with the exact rules (no corner cutting)."""
    grid = (blocked, cost, alt, None, px, py)
    move_tables = (move_offset, move_dk, move_dj, move_di, box_mask, step_length, step_climb, None)
    params = (hmode, cell_size, penalty, hmin, weight)
    query = (start, goal, max_expansions, g, parent, state, generation)
    fanout = move_offset.shape[0]
    if weight == 1.0:  # popped keys only stay monotone without inflation
        status, found, expansions = _mean(grid, move_tables, params, query, radix_queue(), fanout)
    else:
        status, found, expansions = _mean_weighted(
            grid, move_tables, params, query, heap_queue(), fanout
        )
    if status == FOUND:
        return FOUND, found, expansions, trace(parent, start, goal, path)
    return status, found, expansions, 0


astar.__doc__ += _ASTAR_DOC


@kernel
def astar3d_uniform(
    blocked,
    px,
    py,
    move_offset,
    move_dk,
    move_dj,
    move_di,
    box_mask,
    cell_size,
    penalty,
    hmin,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
):
    """`astar` for uniform cost multipliers (all ``hmin``) on cubic cells (layers one cell
    apart), weight 1: step costs from a 26-entry table, the 3D octile heuristic inline, no
    cost lookups. The case of the voxel benchmark maps and of airspaces without cost
    layers. Arguments as in `astar`.
    """
    step_cost = cubic_step_costs(move_dk, move_dj, move_di, cell_size * hmin, penalty * cell_size)
    grid = (blocked, None, None, None, px, py)
    move_tables = (move_offset, move_dk, move_dj, move_di, box_mask, None, None, step_cost)
    params = (0, cell_size, penalty, hmin, 1.0)
    query = (start, goal, max_expansions, g, parent, state, generation)
    status, found, expansions = _uniform_cubic(
        grid, move_tables, params, query, radix_queue(), move_offset.shape[0]
    )
    if status == FOUND:
        return FOUND, found, expansions, trace(parent, start, goal, path)
    return status, found, expansions, 0


@kernel
def astar2d(
    blocked,
    cost,
    px,
    uniform,
    pyastar2d_rules,
    cell_size,
    hmin,
    weight,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
):
    """Grid A* specialised for one layer: the eight moves inline, no move tables.

    ``uniform`` skips the cost lookups (every multiplier equals ``hmin``).
    ``pyastar2d_rules`` switches to pyastar2d's rules: every move costs the multiplier of
    the cell entered (diagonals too, in grid units), corners may be cut, Chebyshev
    heuristic. Other arguments and the return value as in `astar`.
    """
    grid = (blocked, cost, None, None, px, 0)
    moves = (None, None, None, None, None, None, None, None)
    params = (0, cell_size, 0.0, hmin, weight)
    query = (start, goal, max_expansions, g, parent, state, generation)
    radix = weight == 1.0  # popped keys only stay monotone without inflation
    if pyastar2d_rules:
        if radix:
            status, found, expansions = _entered_2d(grid, moves, params, query, radix_queue(), 8)
        else:
            status, found, expansions = _entered_2d_weighted(
                grid, moves, params, query, heap_queue(), 8
            )
    elif uniform:
        if radix:
            status, found, expansions = _uniform_2d(grid, moves, params, query, radix_queue(), 8)
        else:
            status, found, expansions = _uniform_2d_weighted(
                grid, moves, params, query, heap_queue(), 8
            )
    elif radix:
        status, found, expansions = _mean_2d(grid, moves, params, query, radix_queue(), 8)
    else:
        status, found, expansions = _mean_2d_weighted(grid, moves, params, query, heap_queue(), 8)
    if status == FOUND:
        return FOUND, found, expansions, trace(parent, start, goal, path)
    return status, found, expansions, 0


@kernel
def astar2d_uniform(
    blocked, px, cell_size, hmin, start, goal, max_expansions, g, parent, state, generation, path
):
    """`astar2d` for one uniform-cost layer (every multiplier ``hmin``), weight 1: the case
    of most benchmark maps, with nothing but the moves left in the inner loop.
    """
    grid = (blocked, None, None, None, px, 0)
    moves = (None, None, None, None, None, None, None, None)
    params = (0, cell_size, 0.0, hmin, 1.0)
    query = (start, goal, max_expansions, g, parent, state, generation)
    status, found, expansions = _uniform_2d(grid, moves, params, query, radix_queue(), 8)
    if status == FOUND:
        return FOUND, found, expansions, trace(parent, start, goal, path)
    return status, found, expansions, 0


@kernel
def astar2d_pyastar(
    blocked,
    cost,
    px,
    hmin,
    bucket_span,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
):
    """pyastar2d's rules on one layer with whole-number multipliers, for like-for-like
    benchmarks: a move (diagonals too) costs the multiplier of the cell entered, corners
    may be cut, Chebyshev heuristic. Costs are in grid units. Arguments and return value
    as in `astar2d`, plus:

    bucket_span : int
        A power of two above twice the largest multiplier. Every f is a whole number and,
        the heuristic being consistent, a pushed f exceeds the f being expanded by at most
        twice the largest multiplier, so a circular array of ``bucket_span`` LIFO buckets
        indexed by f (Dial's queue) orders the search: O(1) push and pop, the same pop
        order as the radix heap. Other multipliers go to `astar2d` (``pyastar2d_rules``).
    """
    mask = bucket_span - 1
    buckets = np.full(bucket_span, -1, np.int32)
    # The entries: node and next entry in its bucket; popped entries are reused first.
    entry_node = np.empty(INITIAL_HEAP, np.int32)
    entry_next = np.empty(INITIAL_HEAP, np.int32)
    state[start] = 2 * generation
    g[start] = 0.0
    parent[start] = start
    gi = goal % px
    gj = goal // px
    current = np.int64(max(abs(start % px - gi), abs(start // px - gj)) * hmin)
    entry_node[0] = start
    entry_next[0] = -1
    buckets[current & mask] = 0
    progress = (current, -1, 1, 1, 0)  # current f, recycled entry, used, queued, expansions
    while True:
        status, found, progress = _dial_loop(
            blocked,
            cost,
            px,
            hmin,
            goal,
            max_expansions,
            g,
            parent,
            state,
            generation,
            buckets,
            entry_node,
            entry_next,
            progress,
        )
        if status != POOL_FULL:
            break
        entry_node, entry_next = grow_entries(entry_node, entry_next, progress[2])
    if status == FOUND:
        return FOUND, found, progress[4], trace(parent, start, goal, path)
    return status, found, progress[4], 0


@kernel
def _dial_loop(
    blocked,
    cost,
    px,
    hmin,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    buckets,
    entry_node,
    entry_next,
    progress,
):
    """The search loop of `astar2d_pyastar`, resumable as the loops of `search` are:
    returns `POOL_FULL` before the entries could overflow, and ``(status, cost,
    progress)``."""
    current, recycled, used, queued, expansions = progress
    gi = goal % px
    gj = goal // px
    opened = 2 * generation
    closed = opened + 1
    mask = buckets.shape[0] - 1
    # A table of moves, not an if-chain over the move number: LLVM turns the chain into
    # unpredictable branches.
    move_offset, move_di, move_dj = eight_moves(px)
    while queued > 0:
        if used + 8 > entry_node.shape[0]:
            return POOL_FULL, 0.0, (current, recycled, used, queued, expansions)
        bucket = current & mask
        while buckets[bucket] < 0:
            current += 1
            bucket = current & mask
        entry = buckets[bucket]
        buckets[bucket] = entry_next[entry]
        n = entry_node[entry]
        entry_next[entry] = recycled
        recycled = entry
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, (current, recycled, used, queued, expansions)
        if expansions >= max_expansions:
            return LIMIT, np.inf, (current, recycled, used, queued, expansions)
        expansions += 1
        j = n // px
        i = n - j * px
        for m in range(8):
            v = n + move_offset[m]
            if blocked[v] != 0:
                continue
            sv = state[v]
            if sv == closed:
                continue
            candidate = gn + np.float64(cost[v])
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = n
                dx = abs(i + move_di[m] - gi)
                dy = abs(j + move_dj[m] - gj)
                bucket = np.int64(candidate + (dx if dx > dy else dy) * hmin) & mask
                if recycled >= 0:
                    entry = recycled
                    recycled = entry_next[entry]
                else:
                    entry = used
                    used += 1
                entry_node[entry] = v
                entry_next[entry] = buckets[bucket]
                buckets[bucket] = entry
                queued += 1
    return UNREACHABLE, np.inf, (current, recycled, used, queued, expansions)
