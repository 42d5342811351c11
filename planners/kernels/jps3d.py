"""Jump point search on uniform-cost cubic cells."""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import inlined, kernel
from dronesim.planners.kernels.common import (
    FOUND,
    LIMIT,
    POOL_FULL,
    SQRT2_MINUS_1,
    SQRT3_MINUS_SQRT2,
    TIE_BREAK,
    UNREACHABLE,
)
from dronesim.planners.kernels.jumps import chain, fill_jumps, read_jump
from dronesim.planners.kernels.moves import cubic_step_costs, neighbour_offsets, occupancy
from dronesim.planners.kernels.queues import (
    leading_zeros,
    radix_new,
    radix_pop,
    radix_push,
)
from dronesim.planners.kernels.search import grow, start_search

# ----------------------------------------------------------------------------- JPS in 3D
# Jump point search on uniform-cost cubic cells (26 moves, no corner cutting), in the
# canonical-ordering form of Sturtevant & Rabin ("Canonical Orderings on Grids", IJCAI 2016):
#
# - Canonical order: of equally short paths, the one that takes its moves with most axes
#   first. A cell reached by move d needs only the moves whose axes are a subset of d's
#   (same signs): its natural successors, 7 after a 3D diagonal, 3 after a 2D diagonal, 1
#   after a straight move. Where the 3 x 3 x 3 cube around the cell is free this is exact:
#   any other two-move path through the cell has, inside the cube, a strictly shorter
#   alternative or the same two moves with the larger first. Cells whose cube holds an
#   obstacle are expanded in all 26 directions.
# - Straight jumps: a cell reached straight has one natural successor, the next cell on,
#   unless it has a forced neighbour: a neighbour whose every alternative path from the
#   cell behind (inside the cube: strictly shorter, or the canonical order of the same
#   moves) is blocked. Straight runs are read off a jump table, as in `jump_table` for one
#   layer; runs into walls end in nothing.
# - Ties: A* keeps one parent per cell, but the pruning depends on the direction a cell was
#   reached from. Every direction that reaches a cell at its best cost (within 1e-10,
#   relative) is kept in a bit set; a closed cell that was expanded with pruning and is
#   reached as cheaply from a new direction is expanded again for it. With that, the
#   argument of Harabor & Grastien (AAAI 2011) goes through: of the optimal paths, the one
#   latest in canonical order is generated move by move.

JPS3D_OPEN = 6  # jump-table column of the 3D table: 1 where the cell's cube is all free


@inlined
def _forced(occupied, d, box_forward, alternatives, alternative_count, behind):
    """Whether a cell with occupancy word ``occupied``, reached by straight move ``d``, has
    a forced neighbour (see the section comment; tables from `grid._jump_rules_3d`)."""
    if occupied & behind[d] != 0:
        return True
    for e in range(box_forward.shape[0]):
        if e == d or occupied & box_forward[e, 0] != 0:
            continue
        forced = True
        for a in range(alternative_count[d, e]):
            if occupied & alternatives[d, e, a] == 0:
                forced = False
                break
        if forced:
            return True
    return False


@kernel
def jump_table_3d(
    blocked, px, py, move_offset, box_mask, alternatives, alternative_count, behind, jumps
):
    """Fill the jump table of a padded voxel grid for `jps3d`: ``jumps[n, d]`` (int8) for
    the six straight moves ``d`` (the first six of the move tables), encoded as in
    `jump_table` (``s`` > 0: jump point ``s`` cells on; ``-s``: a wall after ``s`` free
    cells; `JUMP_ON`: read on), and ``jumps[n, JPS3D_OPEN]``: 1 where the 3 x 3 x 3 cube
    around ``n`` is free."""
    size = blocked.shape[0]
    neighbourhood = neighbour_offsets(px, py, 26)
    plane = px * py
    for n in range(size):
        jumps[n, JPS3D_OPEN] = 0
        jumps[n, 7] = 0
    for n in range(plane + px + 1, size - plane - px - 1):
        if blocked[n] == 0 and occupancy(blocked, n, neighbourhood) == 0:
            jumps[n, JPS3D_OPEN] = 1
    for d in range(6):
        step = move_offset[d]
        for index in range(size):
            n = size - 1 - index if step > 0 else index
            ahead = n + step
            if blocked[n] != 0 or ahead < 0 or ahead >= size or blocked[ahead] != 0:
                jumps[n, d] = 0
            elif jumps[ahead, JPS3D_OPEN] == 0 and _forced(
                occupancy(blocked, ahead, neighbourhood),
                d,
                box_mask,
                alternatives,
                alternative_count,
                behind,
            ):
                jumps[n, d] = 1
            else:
                jumps[n, d] = chain(jumps[ahead, d])


@inlined
def octile3d(n, px, plane, gi, gj, gk, unit, vertical_cost):
    """The 3D octile distance from cell ``n`` to the goal, plus the climb penalty."""
    d3 = abs(n % px - gi)
    d2 = abs((n % plane) // px - gj)
    d1 = abs(n // plane - gk)
    vertical = d1
    if d1 > d2:
        d1, d2 = d2, d1
    if d2 > d3:
        d2, d3 = d3, d2
    if d1 > d2:
        d1, d2 = d2, d1
    return (SQRT3_MINUS_SQRT2 * d1 + SQRT2_MINUS_1 * d2 + d3) * unit + vertical_cost * vertical


TIE_TOLERANCE = 1e-10  # relative: costs this close reach a cell "as cheaply" (see above)
_EXPANDED_PRUNED = 1 << 30  # direction-set flag: the cell was expanded with pruning


@kernel
def jps3d(
    blocked,
    jumps,
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
    """A* with canonical pruning and straight jumps on uniform-cost cubic cells (see the
    section comment): the same optimal costs as `astar3d_uniform`, with fewer
    expansions. ``jumps``: the grid's `jump_table_3d`; ``box_mask[m, 2]``: the natural
    successors of move ``m`` (bits over moves); other arguments as in `astar`.
    ``expansions`` counts expansions, repeated ones included. ``path`` doubles as the
    direction sets during the search, and receives the full cell path.
    """
    directions = path
    directions[start] = 0
    head, pn, pk, pnext = radix_new()
    progress = start_search(g, parent, state, generation, start, head, pn, pk, pnext, None, None)
    while True:
        status, cost, progress = _jps3d_loop(
            blocked,
            jumps,
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
            directions,
            head,
            pn,
            pk,
            pnext,
            progress,
        )
        if status != POOL_FULL:
            break
        head, pn, pk, pnext, _, _ = grow(
            head, pn, pk, pnext, None, None, progress, move_offset.shape[0]
        )
    if status == FOUND:
        return FOUND, cost, progress[4], fill_jumps(parent, start, goal, px, px * py, path)
    return status, cost, progress[4], 0


@kernel
def _jps3d_loop(
    blocked,
    jumps,
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
    directions,
    head,
    pn,
    pk,
    pnext,
    progress,
):
    """The search loop of `jps3d`, resumable as the loops of `search` are (the same
    progress tuple; returns ``(status, cost, progress)``)."""
    used, last, size, queued, expansions = progress
    plane = px * py
    gi = goal % px
    gj = (goal % plane) // px
    gk = goal // plane
    n_moves = move_offset.shape[0]
    every_move = (np.int64(1) << n_moves) - 1
    neighbourhood = neighbour_offsets(px, py, n_moves)
    unit = cell_size * hmin
    vertical_cost = penalty * cell_size
    step_cost = cubic_step_costs(move_dk, move_dj, move_di, unit, vertical_cost)
    opened = 2 * generation
    closed = opened + 1
    while queued > 0:
        if used + n_moves > pn.shape[0]:
            return POOL_FULL, 0.0, (used, last, size, queued, expansions)
        entry, last = radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, (used, last, size, queued, expansions)
        if expansions >= max_expansions:
            return LIMIT, np.inf, (used, last, size, queued, expansions)
        expansions += 1
        incoming = np.int64(directions[n])
        if jumps[n, JPS3D_OPEN] != 0 and n != start:
            occupied = np.int64(0)
            allowed = np.int64(0)
            bits = incoming & every_move
            while bits != 0:
                allowed |= box_mask[63 - leading_zeros(np.uint64(bits & -bits)), 2]
                bits &= bits - 1
            directions[n] = incoming | _EXPANDED_PRUNED
        else:
            occupied = occupancy(blocked, n, neighbourhood)
            allowed = every_move
        ni = n % px
        nj = (n % plane) // px
        nk = n // plane
        for m in range(n_moves):
            if (allowed >> m) & 1 == 0:
                continue
            if m < 6:
                distance, stops = read_jump(jumps, m, n, move_offset[m])
                if move_di[m] != 0 and nj == gj and nk == gk:
                    ahead = (gi - ni) * move_di[m]
                elif move_dj[m] != 0 and ni == gi and nk == gk:
                    ahead = (gj - nj) * move_dj[m]
                elif move_dk[m] != 0 and ni == gi and nj == gj:
                    ahead = (gk - nk) * move_dk[m]
                else:
                    ahead = 0
                if 0 < ahead <= distance:
                    distance = ahead  # the goal on the way
                elif not stops:
                    continue
                v = n + distance * move_offset[m]
                candidate = gn + distance * step_cost[m]
            else:
                if occupied & box_mask[m, 0] != 0:
                    continue
                v = n + move_offset[m]
                candidate = gn + step_cost[m]
            sv = state[v]
            arrival = np.int64(1) << m
            if sv == closed:
                known = np.int64(directions[v])
                if (
                    known & _EXPANDED_PRUNED != 0
                    and known & arrival == 0
                    and abs(candidate - g[v]) <= TIE_TOLERANCE * g[v]
                ):
                    directions[v] = (known | arrival) & ~_EXPANDED_PRUNED
                    state[v] = opened
                    key = g[v] + octile3d(v, px, plane, gi, gj, gk, unit, vertical_cost) * TIE_BREAK
                    used = radix_push(head, pn, pk, pnext, used, last, key, v)
                    queued += 1
                continue
            if sv != opened:
                improves = True
                directions[v] = arrival
            else:
                gv = g[v]
                if candidate < gv - TIE_TOLERANCE * gv:
                    improves = True
                    directions[v] = arrival
                elif candidate <= gv + TIE_TOLERANCE * gv:
                    directions[v] |= arrival
                    improves = candidate < gv
                else:
                    improves = False
            if improves:
                state[v] = opened
                g[v] = candidate
                parent[v] = n
                key = (
                    candidate + octile3d(v, px, plane, gi, gj, gk, unit, vertical_cost) * TIE_BREAK
                )
                used = radix_push(head, pn, pk, pnext, used, last, key, v)
                queued += 1
    return UNREACHABLE, np.inf, (used, last, size, queued, expansions)
