"""Any-angle paths: line of sight, Lazy Theta*, string pulling."""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import (
    FOUND,
    LIMIT,
    POOL_FULL,
    TIE_EPS,
    UNREACHABLE,
    heuristic,
    trace,
)
from dronesim.planners.kernels.moves import neighbour_offsets, occupancy
from dronesim.planners.kernels.queues import heap_new, heap_pop, heap_push, heap_reserve

# ----------------------------------------------------------------------------- line of sight


@kernel
def line_of_sight(blocked, cost, alt, edges, px, py, cell_size, penalty, a, b):
    """Whether the segment between the centres of cells ``a`` and ``b`` stays clear, and its cost.

    Conservative: the segment is clear only if no point of it lies in any part (closed
    square or box) of a blocked cell, and where it climbs through a layer's band from
    below, the cell under it is free too (see the comment in the loop). The traversal visits every cell whose box the
    segment crosses; where it passes exactly through an edge or a corner shared by
    several cells (parameters equal within 1e-9), all of those cells must be free too.
    Layers may be unevenly spaced: ``edges[k]``, ``edges[k + 1]`` bound padded layer
    ``k``'s altitude band (metres).

    Returns
    -------
    clear : bool
    cost : float
        Line integral of the cost multipliers along the segment times its length in
        metres, plus the climb penalty (``inf`` when not clear).
    """
    plane = px * py
    ai = a % px
    aj = (a // px) % py
    ak = a // plane
    bi = b % px
    bj = (b // px) % py
    bk = b // plane
    di = bi - ai
    dj = bj - aj
    z0 = alt[ak]
    z1 = alt[bk]
    dz = z1 - z0
    steps_i = abs(di)
    steps_j = abs(dj)
    steps_k = abs(bk - ak)
    si = 1 if di > 0 else -1
    sj = 1 if dj > 0 else -1
    sk = 1 if bk > ak else -1
    # Parameter t in [0, 1] along the segment where it crosses the next boundary per axis.
    ti = 0.5 / steps_i if steps_i > 0 else np.inf
    tj = 0.5 / steps_j if steps_j > 0 else np.inf
    if steps_k > 0:
        tk = ((edges[ak + 1] if sk > 0 else edges[ak]) - z0) / dz
    else:
        tk = np.inf
    di_t = 1.0 / steps_i if steps_i > 0 else np.inf
    dj_t = 1.0 / steps_j if steps_j > 0 else np.inf
    i = ai
    j = aj
    k = ak
    done_i = 0
    done_j = 0
    done_k = 0
    t_prev = 0.0
    integral = 0.0
    lowest = min(ak, bk)
    while True:
        n = (k * py + j) * px + i
        if blocked[n] != 0:
            return False, np.inf
        # A free cell promises clearance at its layer's altitude and above (a building
        # blocks the layers at or below its roof plus clearance). A segment coming up
        # from a lower layer also crosses the lower part of this cell's band, which only
        # the cell below being free makes safe.
        if k > lowest and blocked[n - plane] != 0:
            return False, np.inf
        t_next = min(ti, tj, tk, 1.0)
        integral += (t_next - t_prev) * np.float64(cost[n])
        if done_i == steps_i and done_j == steps_j and done_k == steps_k:
            break
        t_prev = t_next
        step_i = ti - t_next <= TIE_EPS
        step_j = tj - t_next <= TIE_EPS
        step_k = tk - t_next <= TIE_EPS
        # Counted as integers: numpy booleans (NUMBA_DISABLE_JIT=1) would add as logical or.
        if (1 if step_i else 0) + (1 if step_j else 0) + (1 if step_k else 0) >= 2:
            # Through an edge or corner: every cell sharing it must be free.
            oi = si if step_i else 0
            oj = sj if step_j else 0
            ok = sk if step_k else 0
            for ci in range(2):
                for cj in range(2):
                    for ck in range(2):
                        if ci * oi == 0 and ci == 1:
                            continue
                        if cj * oj == 0 and cj == 1:
                            continue
                        if ck * ok == 0 and ck == 1:
                            continue
                        side = ((k + ck * ok) * py + (j + cj * oj)) * px + (i + ci * oi)
                        if blocked[side] != 0:
                            return False, np.inf
        if step_i:
            i += si
            done_i += 1
            ti = ti + di_t if done_i < steps_i else np.inf
        if step_j:
            j += sj
            done_j += 1
            tj = tj + dj_t if done_j < steps_j else np.inf
        if step_k:
            k += sk
            done_k += 1
            if done_k < steps_k:
                tk = ((edges[k + 1] if sk > 0 else edges[k]) - z0) / dz
            else:
                tk = np.inf
    horizontal = cell_size * math.sqrt(float(di * di + dj * dj))
    length = math.sqrt(horizontal * horizontal + dz * dz)
    return True, length * integral + penalty * abs(dz)


@kernel
def _euclid(alt, px, py, cell_size, penalty, hmin, a, b):
    """Cost of the a-b segment if its cells all had the cheapest multiplier (a lower bound)."""
    plane = px * py
    di = (b % px) - (a % px)
    dj = ((b // px) % py) - ((a // px) % py)
    dz = alt[b // plane] - alt[a // plane]
    horizontal = cell_size * math.sqrt(float(di * di + dj * dj))
    return math.sqrt(horizontal * horizontal + dz * dz) * hmin + penalty * abs(dz)


# ----------------------------------------------------------------------------- Lazy Theta*


@kernel
def lazy_theta(
    blocked,
    cost,
    alt,
    edges,
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
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
):
    """Lazy Theta* (Nash, Koenig & Tovey, AAAI 2010): any-angle paths on the grid.

    A neighbour is first linked optimistically to its parent's parent at the lower-bound
    cost; when it is expanded its link is checked with `line_of_sight` (which also gives
    the true line-integral cost) and, if blocked or dearer, replaced by the best expanded
    grid neighbour. Work arrays as in `astar`. Returns ``(status, cost, expansions,
    n_vertices)``; ``path`` receives the any-angle vertices, start first.
    """
    hk, hn = heap_new()
    state[start] = 2 * generation
    g[start] = 0.0
    parent[start] = start
    size = heap_push(hk, hn, 0, 0.0, start)
    expansions = 0
    while True:
        status, found, size, expansions = _lazy_theta_loop(
            blocked,
            cost,
            alt,
            edges,
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
            start,
            goal,
            max_expansions,
            g,
            parent,
            state,
            generation,
            hk,
            hn,
            size,
            expansions,
        )
        if status != POOL_FULL:
            break
        hk, hn = heap_reserve(hk, hn, size, max(size, move_offset.shape[0]))
    if status == FOUND:
        return FOUND, found, expansions, trace(parent, start, goal, path)
    return status, found, expansions, 0


@kernel
def _lazy_theta_loop(
    blocked,
    cost,
    alt,
    edges,
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
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    hk,
    hn,
    size,
    expansions,
):
    """The search loop of `lazy_theta`, resumable: returns `POOL_FULL` before the heap could
    overflow (the caller grows it), and ``(status, cost, size, expansions)``."""
    plane = px * py
    gi = goal % px
    gj = (goal // px) % py
    gk = goal // plane
    zg = alt[gk]
    n_moves = move_offset.shape[0]
    neighbourhood = neighbour_offsets(px, py, n_moves)
    opened = 2 * generation
    closed = opened + 1
    while size > 0:
        if size + move_offset.shape[0] > hn.shape[0]:
            return POOL_FULL, 0.0, size, expansions
        n = hn[0]
        size = heap_pop(hk, hn, size)
        if state[n] == closed:
            continue
        gn = g[n]
        i = n % px
        j = (n // px) % py
        k = n // plane
        p = parent[n]
        if p != n:
            clear, line_cost = line_of_sight(
                blocked, cost, alt, edges, px, py, cell_size, penalty, p, n
            )
            best = g[p] + line_cost if clear else np.inf
            if not clear or best > gn:
                best_parent = p
                occupied = occupancy(blocked, n, neighbourhood)
                for m in range(n_moves):
                    v = n - move_offset[m]  # v reaches n by move m
                    if state[v] != closed or occupied & box_mask[m, 1] != 0:
                        continue
                    vk = k - move_dk[m]
                    through = (
                        g[v]
                        + step_length[m, vk] * 0.5 * (np.float64(cost[v]) + np.float64(cost[n]))
                        + step_climb[m, vk]
                    )
                    if through < best:
                        best = through
                        best_parent = v
                parent[n] = best_parent
                g[n] = best
                gn = best
        state[n] = closed
        if n == goal:
            return FOUND, gn, size, expansions
        if expansions >= max_expansions:
            return LIMIT, np.inf, size, expansions
        expansions += 1
        p = parent[n]
        gp = g[p]
        occupied = occupancy(blocked, n, neighbourhood)
        for m in range(n_moves):
            if occupied & box_mask[m, 0] != 0:
                continue
            v = n + move_offset[m]
            sv = state[v]
            if sv == closed:
                continue
            candidate = gp + _euclid(alt, px, py, cell_size, penalty, hmin, p, v)
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = p
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
                size = heap_push(hk, hn, size, candidate + h, v)
    return UNREACHABLE, np.inf, size, expansions


# ----------------------------------------------------------------------------- smoothing


@kernel
def string_pull(blocked, cost, alt, edges, px, py, cell_size, penalty, vertices, n_vertices, out):
    """Greedy string pulling of a vertex chain (e.g. an A* path).

    From each kept vertex, skip ahead to the farthest later vertex it sees (conservative
    `line_of_sight`) whose direct segment costs no more than the chain between them.
    Returns ``(n_kept, cost)``; ``out`` receives the kept vertices.
    """
    if n_vertices <= 2:
        total = 0.0
        for index in range(n_vertices):
            out[index] = vertices[index]
        if n_vertices == 2:
            total = line_of_sight(
                blocked, cost, alt, edges, px, py, cell_size, penalty, vertices[0], vertices[1]
            )[1]
        return n_vertices, total
    # Cost of the chain up to each vertex, for the no-dearer test.
    chain = np.zeros(n_vertices, np.float64)
    for index in range(1, n_vertices):
        chain[index] = (
            chain[index - 1]
            + line_of_sight(
                blocked,
                cost,
                alt,
                edges,
                px,
                py,
                cell_size,
                penalty,
                vertices[index - 1],
                vertices[index],
            )[1]
        )
    kept = 1
    out[0] = vertices[0]
    anchor = 0
    total = 0.0
    anchor_cost = 0.0
    index = 1
    while index < n_vertices:
        last_cost = chain[index] - chain[anchor]
        last = index
        probe = index + 1
        while probe < n_vertices:
            clear, direct = line_of_sight(
                blocked,
                cost,
                alt,
                edges,
                px,
                py,
                cell_size,
                penalty,
                vertices[anchor],
                vertices[probe],
            )
            if not clear or direct > chain[probe] - chain[anchor] + 1e-9:
                break
            last = probe
            last_cost = direct
            probe += 1
        if last == index:
            last_cost = chain[index] - chain[anchor]
        out[kept] = vertices[last]
        kept += 1
        total = anchor_cost + last_cost
        anchor_cost = total
        anchor = last
        index = last + 1
    return kept, total
