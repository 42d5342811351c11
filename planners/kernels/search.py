"""The A* search loop, written once and specialised per variant.

`make_search` builds the loop every grid A* shares: pop the open list, skip stale
duplicates, stop at the goal or the expansion limit, generate the successors, relax them
and push them. Its arguments choose, once per variant, how successors are generated
(``MOVES_*``), what a step costs (``COST_*``) and which queue orders the search (radix heap
or binary heap); numba compiles each variant on its own with those choices as constants,
pruning the branches of the others, so every variant runs the code a kernel written for
it alone would run. Constants of a closure are part of numba's cache key, so each variant
is cached apart.

The loop is *resumable*: it returns `POOL_FULL` (and where it stands) before the open list
could overflow, and its caller grows the queue arrays and calls it again. The queue arrays
are never reassigned inside the loop, which keeps numba from reference-counting them on
every expansion.

Work arrays are reused across queries without clearing: ``state[n]`` is
``2 * generation`` while n is open in this query and ``2 * generation + 1`` once closed;
any other value means untouched, so ``g`` and ``parent`` are only read where ``state`` says
so.

A variant's loop takes six tuples (a variant never reads the members its choices leave
out; its callers pass None there)::

    grid = (blocked, cost, alt, jumps, px, py)
    move_tables = (move_offset, move_dk, move_dj, move_di, box_mask,
                   step_length, step_climb, step_cost)
    params = (hmode, cell_size, penalty, hmin, weight)
    query = (start, goal, max_expansions, g, parent, state, generation)
    queue = (head, pn, pk, pnext, hk, hn)        # radix heap, binary heap
    progress = (used, last, size, queued, expansions)

and returns ``(status, cost, progress)``: `FOUND`, `UNREACHABLE`, `LIMIT` or `POOL_FULL`.
Arguments as in `astar.astar`; the queues' as in `queues`.
"""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import inlined, kernel
from dronesim.planners.kernels.common import (
    FOUND,
    LIMIT,
    POOL_FULL,
    SQRT2,
    SQRT2_MINUS_1,
    SQRT3_MINUS_SQRT2,
    TIE_BREAK,
    UNREACHABLE,
    heuristic,
)
from dronesim.planners.kernels.jumps import canonical, jump_diagonal, jump_straight
from dronesim.planners.kernels.moves import eight_moves, free_sides, neighbour_offsets, occupancy
from dronesim.planners.kernels.queues import (
    heap_pop,
    heap_push,
    heap_reserve,
    radix_pop,
    radix_push,
    radix_reserve,
)

MOVES_2D = 0  # one layer: the eight moves from a table, no corner cutting (unless COST_ENTERED)
MOVES_TABLE = 1  # any layered grid: the move tables and occupancy words of `moves`
MOVES_JPS2D = 2  # one layer, jump point search: jumps read off the layer's jump table

COST_UNIFORM = 0  # every multiplier is hmin: a step costs its length times hmin
COST_MEAN = 1  # exact rules: length x mean of the two cells' multipliers, plus climb penalty
COST_ENTERED = 2  # pyastar2d's rules: the multiplier of the cell entered; corners may be cut


def make_search(moves, costs, radix):
    """The A* loop of one variant (see the module docstring), compiled as a kernel.

    Parameters
    ----------
    moves : int
        ``MOVES_*``: how successors are generated.
    costs : int
        ``COST_*``: what a step costs, and the heuristic that goes with it.
    radix : bool
        True: the radix heap (popped keys never decrease: weight 1), keys ``g + h`` times
        `TIE_BREAK` on uniform costs. False: the binary heap, keys ``g + weight * h``.
    """
    two_d = moves == MOVES_2D
    jps = moves == MOVES_JPS2D
    table = moves == MOVES_TABLE
    uniform = costs == COST_UNIFORM
    entered = costs == COST_ENTERED
    # On uniform costs, f-ties break towards the goal (see `TIE_BREAK`).
    tie = TIE_BREAK if uniform else 1.0

    def search(grid, move_tables, params, query, queue, progress):
        blocked, cost, alt, jumps, px, py = grid
        move_offset, move_dk, move_dj, move_di, box_mask, step_length, step_climb, step_cost = (
            move_tables
        )
        hmode, cell_size, penalty, hmin, weight = params
        start, goal, max_expansions, g, parent, state, generation = query
        head, pn, pk, pnext, hk, hn = queue
        used, last, size, queued, expansions = progress
        opened = 2 * generation
        closed = opened + 1
        gi = goal % px
        if table:
            plane = px * py
            gj = (goal // px) % py
            gk = goal // plane
            if not uniform:
                zg = alt[gk]
            fanout = move_offset.shape[0]
            neighbourhood = neighbour_offsets(px, py, fanout)
        else:
            gj = goal // px
            fanout = 8
        if two_d:
            # Tables, not an if-chain over the move number: LLVM turns the chain into
            # unpredictable branches. A move needs its target and the straight neighbours
            # it passes free: bits of ``free`` (see `free_sides`).
            offsets, steps_i, steps_j = eight_moves(px)
            needs = np.array([1, 2, 4, 8, 1 | 4, 2 | 4, 1 | 8, 2 | 8], np.int64)
        if jps:
            # Directions in the jump table's column order: +x, -x, +y, -y, the diagonals.
            move_sx = np.array([1, -1, 0, 0, 1, -1, 1, -1], np.int64)
            move_sy = np.array([0, 0, 1, -1, 1, 1, -1, -1], np.int64)
        unit = cell_size * hmin
        straight = unit if uniform else cell_size
        diagonal = straight * SQRT2
        while queued > 0:
            if radix:
                if used + fanout > pn.shape[0]:
                    return POOL_FULL, 0.0, (used, last, size, queued, expansions)
                entry, last = radix_pop(head, pk, pnext, last)
                n = pn[entry]
            else:
                if size + fanout > hn.shape[0]:
                    return POOL_FULL, 0.0, (used, last, size, queued, expansions)
                n = hn[0]
                size = heap_pop(hk, hn, size)
            queued -= 1
            if state[n] == closed:
                continue  # a stale duplicate: the first pop of a node carries its best g
            gn = g[n]
            state[n] = closed
            if n == goal:
                return FOUND, gn, (used, last, size, queued, expansions)
            if expansions >= max_expansions:
                return LIMIT, np.inf, (used, last, size, queued, expansions)
            expansions += 1
            if table:
                i = n % px
                j = (n // px) % py
                k = n // plane
                occupied = occupancy(blocked, n, neighbourhood)
            else:
                j = n // px
                i = n - j * px
                free = free_sides(blocked, n, px)
            if jps:
                p = parent[n]
                pj = p // px
                dx = np.sign(i - (p - pj * px))
                dy = np.sign(j - pj)
            if not uniform:
                cost_n = np.float64(cost[n])
            for m in range(fanout):
                # The successor v by move m, and the cost of reaching it through n.
                if jps:
                    sx = move_sx[m]
                    sy = move_sy[m]
                    if n != start and not canonical(free, dx, dy, sx, sy):
                        continue
                    if sx != 0 and sy != 0:
                        v, steps = jump_diagonal(jumps, n, sx, sy, px, i, j, gi, gj)
                        length = steps * SQRT2
                    elif sy == 0:
                        v, length = jump_straight(jumps, m, n, sx, i * sx, j, gi * sx, gj)
                    else:
                        v, length = jump_straight(jumps, m, n, sy * px, j * sy, i, gj * sy, gi)
                    if v < 0:
                        continue
                elif two_d:
                    if not entered and free & needs[m] != needs[m]:
                        continue
                    v = n + offsets[m]
                    if blocked[v] != 0:
                        continue
                else:
                    if occupied & box_mask[m, 0] != 0:
                        continue
                    v = n + move_offset[m]
                sv = state[v]
                if sv == closed:
                    continue
                if jps:
                    candidate = gn + length * unit
                elif entered:
                    candidate = gn + np.float64(cost[v])
                elif two_d:
                    if uniform:
                        candidate = gn + (straight if m < 4 else diagonal)
                    else:
                        candidate = gn + (straight if m < 4 else diagonal) * 0.5 * (
                            cost_n + np.float64(cost[v])
                        )
                elif uniform:
                    candidate = gn + step_cost[m]
                else:
                    candidate = (
                        gn
                        + step_length[m, k] * 0.5 * (cost_n + np.float64(cost[v]))
                        + step_climb[m, k]
                    )
                if sv != opened or candidate < g[v]:
                    state[v] = opened
                    g[v] = candidate
                    parent[v] = n
                    # A lower bound on the cost from v to the goal.
                    if table:
                        if uniform:
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
                        else:
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
                    else:
                        if jps:
                            vj = v // px
                            ddx = abs(v - vj * px - gi)
                            ddy = abs(vj - gj)
                        else:
                            ddx = abs(i + steps_i[m] - gi)
                            ddy = abs(j + steps_j[m] - gj)
                        if entered:
                            h = (ddx if ddx > ddy else ddy) * hmin
                        elif ddx > ddy:
                            h = (ddx + SQRT2_MINUS_1 * ddy) * unit
                        else:
                            h = (ddy + SQRT2_MINUS_1 * ddx) * unit
                    if radix:
                        used = radix_push(head, pn, pk, pnext, used, last, candidate + h * tie, v)
                    else:
                        size = heap_push(hk, hn, size, candidate + weight * h, v)
                    queued += 1
        return UNREACHABLE, np.inf, (used, last, size, queued, expansions)

    return kernel(search)


@kernel
def start_search(g, parent, state, generation, start, head, pn, pk, pnext, hk, hn):
    """Open ``start`` in the queue given (the radix heap's arrays or the binary heap's,
    None for the other; ``head`` is cleared here); returns the initial progress."""
    state[start] = 2 * generation
    g[start] = 0.0
    parent[start] = start
    used = 0
    size = 0
    last = np.uint64(0)
    if head is not None:
        for bucket in range(head.shape[0]):
            head[bucket] = -1
        used = radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    if hn is not None:
        size = heap_push(hk, hn, 0, 0.0, start)
    return used, last, size, 1, 0


@kernel
def grow(head, pn, pk, pnext, hk, hn, progress, fanout):
    """The queue with its arrays doubled, and never by less than one expansion's pushes
    (a caller's pool may be tiny)."""
    used, last, size, queued, expansions = progress
    if pn is not None:
        pn, pk, pnext = radix_reserve(pn, pk, pnext, used, max(used, fanout))
    if hn is not None:
        hk, hn = heap_reserve(hk, hn, size, max(size, fanout))
    return head, pn, pk, pnext, hk, hn


# The variants in use: (moves, costs, radix).
UNIFORM_2D = 0  # one uniform-cost layer, weight 1: most benchmark maps
UNIFORM_2D_WEIGHTED = 1
MEAN_2D = 2  # one layer with cost multipliers
MEAN_2D_WEIGHTED = 3
ENTERED_2D = 4  # pyastar2d's rules on the radix heap (multipliers Dial's queue cannot take)
ENTERED_2D_WEIGHTED = 5
UNIFORM_CUBIC = 6  # uniform cost on cubic cells (layers one cell apart), weight 1
MEAN = 7  # any layered grid, exact rules
MEAN_WEIGHTED = 8
JPS_2D = 9  # jump point search on one uniform-cost layer
VARIANTS = {
    UNIFORM_2D: (MOVES_2D, COST_UNIFORM, True),
    UNIFORM_2D_WEIGHTED: (MOVES_2D, COST_UNIFORM, False),
    MEAN_2D: (MOVES_2D, COST_MEAN, True),
    MEAN_2D_WEIGHTED: (MOVES_2D, COST_MEAN, False),
    ENTERED_2D: (MOVES_2D, COST_ENTERED, True),
    ENTERED_2D_WEIGHTED: (MOVES_2D, COST_ENTERED, False),
    UNIFORM_CUBIC: (MOVES_TABLE, COST_UNIFORM, True),
    MEAN: (MOVES_TABLE, COST_MEAN, True),
    MEAN_WEIGHTED: (MOVES_TABLE, COST_MEAN, False),
    JPS_2D: (MOVES_JPS2D, COST_UNIFORM, True),
}
_uniform_2d = make_search(*VARIANTS[UNIFORM_2D])
_uniform_2d_weighted = make_search(*VARIANTS[UNIFORM_2D_WEIGHTED])
_mean_2d = make_search(*VARIANTS[MEAN_2D])
_mean_2d_weighted = make_search(*VARIANTS[MEAN_2D_WEIGHTED])
_entered_2d = make_search(*VARIANTS[ENTERED_2D])
_entered_2d_weighted = make_search(*VARIANTS[ENTERED_2D_WEIGHTED])
_uniform_cubic = make_search(*VARIANTS[UNIFORM_CUBIC])
_mean = make_search(*VARIANTS[MEAN])
_mean_weighted = make_search(*VARIANTS[MEAN_WEIGHTED])
_jps_2d = make_search(*VARIANTS[JPS_2D])


def make_driver(variant):
    """A kernel running variant ``variant``'s loop to the end: it opens the start, resumes
    the loop after growing the queue whenever the loop asks, and returns ``(status, cost,
    expansions)``; the path is left in ``parent``.

    Its arguments: the loop's first five tuples (``queue`` made by the caller, e.g. by
    `queues.radix_queue`) and ``fanout``, the most pushes of one expansion. (A kernel
    holding another in a closure is not cached by numba, so the loop is picked from the
    module's globals by the constant ``variant``; every other branch is pruned.) It is
    compiled into each caller, as the per-query kernels were before the loop was shared:
    a call of its own costs the one-call path (`context`) a measurable share of its
    shortest queries.
    """

    def drive(grid, move_tables, params, query, queue, fanout):
        start, goal, max_expansions, g, parent, state, generation = query
        head, pn, pk, pnext, hk, hn = queue
        progress = start_search(g, parent, state, generation, start, head, pn, pk, pnext, hk, hn)
        while True:
            arguments = (grid, move_tables, params, query, queue, progress)
            if variant == UNIFORM_2D:
                status, cost, progress = _uniform_2d(*arguments)
            elif variant == UNIFORM_2D_WEIGHTED:
                status, cost, progress = _uniform_2d_weighted(*arguments)
            elif variant == MEAN_2D:
                status, cost, progress = _mean_2d(*arguments)
            elif variant == MEAN_2D_WEIGHTED:
                status, cost, progress = _mean_2d_weighted(*arguments)
            elif variant == ENTERED_2D:
                status, cost, progress = _entered_2d(*arguments)
            elif variant == ENTERED_2D_WEIGHTED:
                status, cost, progress = _entered_2d_weighted(*arguments)
            elif variant == UNIFORM_CUBIC:
                status, cost, progress = _uniform_cubic(*arguments)
            elif variant == MEAN:
                status, cost, progress = _mean(*arguments)
            elif variant == MEAN_WEIGHTED:
                status, cost, progress = _mean_weighted(*arguments)
            else:
                status, cost, progress = _jps_2d(*arguments)
            if status != POOL_FULL:
                return status, cost, progress[4]
            head, pn, pk, pnext, hk, hn = queue
            queue = grow(head, pn, pk, pnext, hk, hn, progress, fanout)

    return inlined(drive)
