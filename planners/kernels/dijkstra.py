"""Dijkstra distance fields."""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import SQRT2
from dronesim.planners.kernels.moves import eight_moves, free_sides, neighbour_offsets, occupancy
from dronesim.planners.kernels.queues import radix_new, radix_pop, radix_push, radix_reserve

# ----------------------------------------------------------------------------- Dijkstra


@kernel
def dijkstra_field(
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
    source,
    distance,
    parent,
):
    """Cheapest cost from ``source`` to every reachable cell (exact rules).

    ``distance`` (float64) and ``parent`` (int32) are filled for the whole padded grid:
    ``inf`` and -1 where unreachable. Returns the number of cells settled. Step costs are
    symmetric, so the same field gives routes to and from the source.
    """
    distance[:] = np.inf
    parent[:] = -1
    head, pn, pk, pnext = radix_new()
    last = np.uint64(0)
    settled = np.zeros(distance.shape[0], np.uint8)
    distance[source] = 0.0
    parent[source] = source
    used = radix_push(head, pn, pk, pnext, 0, last, 0.0, source)
    queued = 1
    count = 0
    while True:
        full, used, queued, last, count = _dijkstra_field_run(
            blocked,
            cost,
            px,
            py,
            move_offset,
            box_mask,
            step_length,
            step_climb,
            distance,
            parent,
            settled,
            head,
            pn,
            pk,
            pnext,
            used,
            queued,
            last,
            count,
        )
        if not full:
            return count
        # Doubled, and never less than one expansion's pushes (a caller's pool may be tiny).
        pn, pk, pnext = radix_reserve(pn, pk, pnext, used, max(used, move_offset.shape[0]))


@kernel
def _dijkstra_field_run(
    blocked,
    cost,
    px,
    py,
    move_offset,
    box_mask,
    step_length,
    step_climb,
    distance,
    parent,
    settled,
    head,
    pn,
    pk,
    pnext,
    used,
    queued,
    last,
    count,
):
    """The loop of `dijkstra_field`, resumable as `_jps2d_search` is: returns
    ``(full, used, queued, last, count)``, ``full`` when the pool must grow first."""
    plane = px * py
    n_moves = move_offset.shape[0]
    neighbourhood = neighbour_offsets(px, py, n_moves)
    while queued > 0:
        if used + n_moves > pn.shape[0]:
            return True, used, queued, last, count
        entry, last = radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if settled[n] != 0:
            continue
        settled[n] = 1
        count += 1
        dn = distance[n]
        k = n // plane
        cost_n = np.float64(cost[n])
        occupied = occupancy(blocked, n, neighbourhood)
        for m in range(n_moves):
            if occupied & box_mask[m, 0] != 0:
                continue
            v = n + move_offset[m]
            if settled[v] != 0:
                continue
            candidate = (
                dn + step_length[m, k] * 0.5 * (cost_n + np.float64(cost[v])) + step_climb[m, k]
            )
            if candidate < distance[v]:
                distance[v] = candidate
                parent[v] = n
                used = radix_push(head, pn, pk, pnext, used, last, candidate, v)
                queued += 1
    return False, used, queued, last, count


@kernel
def dijkstra_field_2d(blocked, px, straight, source, distance, parent):
    """`dijkstra_field` for one uniform-cost layer: the eight moves from tables (straight
    moves cost ``straight`` metres, diagonals that times sqrt(2)); same fields."""
    distance[:] = np.inf
    parent[:] = -1
    head, pn, pk, pnext = radix_new()
    last = np.uint64(0)
    settled = np.zeros(distance.shape[0], np.uint8)
    distance[source] = 0.0
    parent[source] = source
    used = radix_push(head, pn, pk, pnext, 0, last, 0.0, source)
    queued = 1
    count = 0
    while True:
        full, used, queued, last, count = _dijkstra_field_2d_run(
            blocked,
            px,
            straight,
            distance,
            parent,
            settled,
            head,
            pn,
            pk,
            pnext,
            used,
            queued,
            last,
            count,
        )
        if not full:
            return count
        pn, pk, pnext = radix_reserve(pn, pk, pnext, used, max(used, 8))


@kernel
def _dijkstra_field_2d_run(
    blocked, px, straight, distance, parent, settled, head, pn, pk, pnext, used, queued, last, count
):
    """The loop of `dijkstra_field_2d`, resumable as `_dijkstra_field_run` is."""
    diagonal = straight * SQRT2
    # Tables, not an if-chain over the move number (see `search`); a move needs its target
    # and the straight neighbours it passes free (bits of `free_sides`).
    offsets, _, _ = eight_moves(px)
    needs = np.array([1, 2, 4, 8, 1 | 4, 2 | 4, 1 | 8, 2 | 8], np.int64)
    while queued > 0:
        if used + 8 > pn.shape[0]:
            return True, used, queued, last, count
        entry, last = radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if settled[n] != 0:
            continue
        settled[n] = 1
        count += 1
        dn = distance[n]
        free = free_sides(blocked, n, px)
        for m in range(8):
            if free & needs[m] != needs[m]:
                continue
            v = n + offsets[m]
            if blocked[v] != 0 or settled[v] != 0:
                continue
            candidate = dn + (straight if m < 4 else diagonal)
            if candidate < distance[v]:
                distance[v] = candidate
                parent[v] = n
                used = radix_push(head, pn, pk, pnext, used, last, candidate, v)
                queued += 1
    return False, used, queued, last, count


@kernel
def trace_field(parent, cell, path):
    """Route from the field's source to ``cell`` read off ``parent``; returns its length (0: unreachable)."""
    if parent[cell] < 0:
        return 0
    length = 1
    n = cell
    while parent[n] != n:
        n = parent[n]
        length += 1
    n = cell
    for index in range(length - 1, -1, -1):
        path[index] = n
        n = parent[n]
    return length
