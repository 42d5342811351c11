"""Grid A*: the general kernel and its one-layer and uniform-cost specialisations."""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import (
    FOUND,
    INITIAL_HEAP,
    LIMIT,
    SQRT2,
    SQRT2_MINUS_1,
    SQRT3_MINUS_SQRT2,
    TIE_BREAK,
    UNREACHABLE,
    heuristic,
    trace,
)
from dronesim.planners.kernels.moves import (
    cubic_step_costs,
    eight_moves,
    free_sides,
    neighbour_offsets,
    occupancy,
)
from dronesim.planners.kernels.queues import (
    grow_entries,
    heap_new,
    heap_pop,
    heap_push,
    heap_reserve,
    radix_new,
    radix_pop,
    radix_push,
    radix_reserve,
)

# ----------------------------------------------------------------------------- A*
# Work arrays are reused across queries without clearing: ``state[n]`` is ``2 * generation``
# while n is open in this query and ``2 * generation + 1`` once closed; any other value
# means untouched, so ``g`` and ``parent`` are only read where ``state`` says so.

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
    plane = px * py
    gi = goal % px
    gj = (goal // px) % py
    gk = goal // plane
    zg = alt[gk]
    n_moves = move_offset.shape[0]
    neighbourhood = neighbour_offsets(px, py, n_moves)
    opened = 2 * generation
    closed = opened + 1
    radix = weight == 1.0  # popped keys only stay monotone without inflation
    head, pn, pk, pnext = radix_new()
    used = 0
    last = np.uint64(0)
    hk, hn = heap_new()
    size = 0
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    if radix:
        used = radix_push(head, pn, pk, pnext, used, last, 0.0, start)
    else:
        size = heap_push(hk, hn, size, 0.0, start)
    queued = 1
    expansions = 0
    while queued > 0:
        if radix:
            entry, last = radix_pop(head, pk, pnext, last)
            n = pn[entry]
        else:
            n = hn[0]
            size = heap_pop(hk, hn, size)
        queued -= 1
        if state[n] == closed:
            continue  # a stale duplicate: the first pop of a node carries its best g
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if radix:
            if used + n_moves > pn.shape[0]:
                pn, pk, pnext = radix_reserve(pn, pk, pnext, used, n_moves)
        elif size + n_moves > hn.shape[0]:
            hk, hn = heap_reserve(hk, hn, size, n_moves)
        i = n % px
        j = (n // px) % py
        k = n // plane
        cost_n = np.float64(cost[n])
        occupied = occupancy(blocked, n, neighbourhood)
        for m in range(n_moves):
            if occupied & box_mask[m, 0] != 0:
                continue
            v = n + move_offset[m]
            sv = state[v]
            if sv == closed:
                continue
            candidate = (
                gn + step_length[m, k] * 0.5 * (cost_n + np.float64(cost[v])) + step_climb[m, k]
            )
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = n
                vk = k + move_dk[m]
                h = heuristic(
                    hmode,
                    abs(i + move_di[m] - gi),
                    abs(j + move_dj[m] - gj),
                    abs(vk - gk),
                    alt[vk],
                    zg,
                    cell_size,
                    penalty,
                    hmin,
                )
                if radix:
                    used = radix_push(head, pn, pk, pnext, used, last, candidate + h, v)
                else:
                    size = heap_push(hk, hn, size, candidate + weight * h, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


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
    layers; about 1.4x faster than `astar` there. Arguments as in `astar`.
    """
    plane = px * py
    gi = goal % px
    gj = (goal // px) % py
    gk = goal // plane
    n_moves = move_offset.shape[0]
    neighbourhood = neighbour_offsets(px, py, n_moves)
    unit = cell_size * hmin
    step_cost = cubic_step_costs(move_dk, move_dj, move_di, unit, penalty * cell_size)
    opened = 2 * generation
    closed = opened + 1
    head, pn, pk, pnext = radix_new()
    last = np.uint64(0)
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    used = radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    queued = 1
    expansions = 0
    while queued > 0:
        entry, last = radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + n_moves > pn.shape[0]:
            pn, pk, pnext = radix_reserve(pn, pk, pnext, used, n_moves)
        i = n % px
        j = (n // px) % py
        k = n // plane
        occupied = occupancy(blocked, n, neighbourhood)
        for m in range(n_moves):
            if occupied & box_mask[m, 0] != 0:
                continue
            v = n + move_offset[m]
            sv = state[v]
            if sv == closed:
                continue
            candidate = gn + step_cost[m]
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = n
                d3 = abs(i + move_di[m] - gi)
                d2 = abs(j + move_dj[m] - gj)
                d1 = abs(k + move_dk[m] - gk)
                vertical = d1
                if d1 > d2:
                    d1, d2 = d2, d1
                if d2 > d3:
                    d2, d3 = d3, d2
                if d1 > d2:
                    d1, d2 = d2, d1
                h = (
                    SQRT3_MINUS_SQRT2 * d1 + SQRT2_MINUS_1 * d2 + d3
                ) * unit + penalty * cell_size * vertical
                used = radix_push(head, pn, pk, pnext, used, last, candidate + h * TIE_BREAK, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


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
    gi = goal % px
    gj = goal // px
    opened = 2 * generation
    closed = opened + 1
    radix = weight == 1.0
    head, pn, pk, pnext = radix_new()
    used = 0
    last = np.uint64(0)
    hk, hn = heap_new()
    size = 0
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    if radix:
        used = radix_push(head, pn, pk, pnext, used, last, 0.0, start)
    else:
        size = heap_push(hk, hn, size, 0.0, start)
    queued = 1
    expansions = 0
    straight = cell_size * hmin if uniform else cell_size
    diagonal = straight * SQRT2
    scale = cell_size * hmin
    while queued > 0:
        if radix:
            entry, last = radix_pop(head, pk, pnext, last)
            n = pn[entry]
        else:
            n = hn[0]
            size = heap_pop(hk, hn, size)
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if radix:
            if used + 8 > pn.shape[0]:
                pn, pk, pnext = radix_reserve(pn, pk, pnext, used, 8)
        elif size + 8 > hn.shape[0]:
            hk, hn = heap_reserve(hk, hn, size, 8)
        j = n // px
        i = n - j * px
        free_e = blocked[n + 1] == 0
        free_w = blocked[n - 1] == 0
        free_n = blocked[n + px] == 0
        free_s = blocked[n - px] == 0
        cost_n = np.float64(cost[n])
        for m in range(8):
            if m == 0:
                v = n + 1
                di, dj, ok = 1, 0, free_e
            elif m == 1:
                v = n - 1
                di, dj, ok = -1, 0, free_w
            elif m == 2:
                v = n + px
                di, dj, ok = 0, 1, free_n
            elif m == 3:
                v = n - px
                di, dj, ok = 0, -1, free_s
            elif m == 4:
                v = n + px + 1
                di, dj, ok = 1, 1, blocked[v] == 0 and (pyastar2d_rules or (free_e and free_n))
            elif m == 5:
                v = n + px - 1
                di, dj, ok = -1, 1, blocked[v] == 0 and (pyastar2d_rules or (free_w and free_n))
            elif m == 6:
                v = n - px + 1
                di, dj, ok = 1, -1, blocked[v] == 0 and (pyastar2d_rules or (free_e and free_s))
            else:
                v = n - px - 1
                di, dj, ok = -1, -1, blocked[v] == 0 and (pyastar2d_rules or (free_w and free_s))
            if not ok:
                continue
            sv = state[v]
            if sv == closed:
                continue
            if pyastar2d_rules:
                step = np.float64(cost[v])
            elif uniform:
                step = straight if m < 4 else diagonal
            else:
                step = (straight if m < 4 else diagonal) * 0.5 * (cost_n + np.float64(cost[v]))
            candidate = gn + step
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = n
                dx = abs(i + di - gi)
                dy = abs(j + dj - gj)
                if pyastar2d_rules:
                    h = (dx if dx > dy else dy) * hmin
                elif dx > dy:
                    h = (dx + SQRT2_MINUS_1 * dy) * scale
                else:
                    h = (dy + SQRT2_MINUS_1 * dx) * scale
                if radix:
                    used = radix_push(head, pn, pk, pnext, used, last, candidate + h, v)
                else:
                    size = heap_push(hk, hn, size, candidate + weight * h, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


@kernel
def astar2d_uniform(
    blocked, px, cell_size, hmin, start, goal, max_expansions, g, parent, state, generation, path
):
    """`astar2d` for one uniform-cost layer (every multiplier ``hmin``), weight 1: the case
    of most benchmark maps, with nothing but the moves left in the inner loop.
    """
    gi = goal % px
    gj = goal // px
    opened = 2 * generation
    closed = opened + 1
    head, pn, pk, pnext = radix_new()
    last = np.uint64(0)
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    used = radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    queued = 1
    expansions = 0
    straight = cell_size * hmin
    diagonal = straight * SQRT2
    # Tables, not an if-chain over the move number (see `astar2d_pyastar`). A move needs
    # its target and the straight neighbours it passes free: bits of ``free`` (see
    # `free_sides`).
    move_offset, move_di, move_dj = eight_moves(px)
    move_needs = np.array([1, 2, 4, 8, 1 | 4, 2 | 4, 1 | 8, 2 | 8], np.int64)
    while queued > 0:
        entry, last = radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + 8 > pn.shape[0]:
            pn, pk, pnext = radix_reserve(pn, pk, pnext, used, 8)
        j = n // px
        i = n - j * px
        free = free_sides(blocked, n, px)
        for m in range(8):
            if free & move_needs[m] != move_needs[m]:
                continue
            v = n + move_offset[m]
            if blocked[v] != 0:
                continue
            di = move_di[m]
            dj = move_dj[m]
            sv = state[v]
            if sv == closed:
                continue
            candidate = gn + (straight if m < 4 else diagonal)
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = n
                dx = abs(i + di - gi)
                dy = abs(j + dj - gj)
                if dx > dy:
                    h = (dx + SQRT2_MINUS_1 * dy) * straight
                else:
                    h = (dy + SQRT2_MINUS_1 * dx) * straight
                used = radix_push(head, pn, pk, pnext, used, last, candidate + h * TIE_BREAK, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


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
    gi = goal % px
    gj = goal // px
    opened = 2 * generation
    closed = opened + 1
    # A table of moves, not an if-chain over the move number: LLVM turns the chain into
    # unpredictable branches, and the table is ~25 % faster on mazes.
    move_offset, move_di, move_dj = eight_moves(px)
    mask = bucket_span - 1
    buckets = np.full(bucket_span, -1, np.int32)
    # The entries: node and next entry in its bucket; popped entries are reused first.
    entry_node = np.empty(INITIAL_HEAP, np.int32)
    entry_next = np.empty(INITIAL_HEAP, np.int32)
    recycled = -1
    used = 1
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    current = np.int64(max(abs(start % px - gi), abs(start // px - gj)) * hmin)
    entry_node[0] = start
    entry_next[0] = -1
    buckets[current & mask] = 0
    queued = 1
    expansions = 0
    while queued > 0:
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
            return FOUND, gn, expansions, trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + 8 > entry_node.shape[0]:
            entry_node, entry_next = grow_entries(entry_node, entry_next, used)
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
    return UNREACHABLE, np.inf, expansions, 0
