"""Numba kernels for grid search: A*, Dijkstra distance fields, line of sight, Lazy Theta*,
path smoothing and parallel batches.

Everything here takes and returns arrays and scalars only (`jps2d_path_at`, the per-query
entry point of the planners on one uniform layer, takes its arrays as one integer: the
address of a query context, see `CTX_BLOCKED`). The grid arrives *padded*: one
blocked cell on every side of every axis that has moves (so neighbours never need bounds
checks) and flattened to 1D, node ``n = (k * PY + j) * PX + i`` in padded coordinates. The
Python side (`planners.grid.PlanningGrid`) builds these arrays once per airspace and time.

Step cost of a move from cell ``u`` to neighbour ``v`` (the exact rules)::

    length_m(u, v) * (cost[u] + cost[v]) / 2 + climb_penalty_per_m * |z_v - z_u|

which is also the exact line integral of the piecewise-constant cost field along the
segment between the two centres (half of it lies in each cell), so any-angle segments use
the same definition (`line_of_sight`). `astar2d` can also follow pyastar2d's rules: every move
costs the weight of the cell entered (diagonals too) and corners may be cut.

Status codes (returned, never raised): `FOUND`, `UNREACHABLE`, `LIMIT`.
"""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._jit import inlined, kernel, parallel_kernel
from llvmlite import ir
from numba import carray, prange, types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic

FOUND = 0
UNREACHABLE = 1
LIMIT = 2

H_OCTILE_2D = 0  # one layer: octile distance
H_OCTILE_3D = 1  # cubic cells (layers one cell apart): 3D octile distance
H_LAYERED = 2  # any layer spacing: sqrt(horizontal octile^2 + vertical^2)
H_CHEBYSHEV = 3  # pyastar2d rules: diagonal steps cost like straight ones
H_ZERO = 4  # Dijkstra

SQRT2 = math.sqrt(2.0)
SQRT2_MINUS_1 = SQRT2 - 1.0
SQRT3_MINUS_SQRT2 = math.sqrt(3.0) - math.sqrt(2.0)
_TIE_EPS = 1e-9
# The uniform-cost kernels (and JPS) order by g + h * TIE_BREAK: among nodes of equal f the one
# nearer the goal (larger g) comes first, so that of the many equally short paths of an
# open grid one is followed to the end instead of all being explored side by side (17 %
# fewer expansions, 25-35 % less time on random512). As a heuristic weight it bounds
# the cost by (1 + 1e-12) x the optimum; distinct path costs on a uniform grid
# (a + b sqrt 2 (+ c sqrt 3) cells) differ by far more than that for any path under
# thousands of cells, and it stays above the rounding of g over such paths. The radix
# heap files the slightly smaller keys this can produce with the last key popped.
TIE_BREAK = 1.0 + 1e-12
_POOL_FULL = -1  # internal status of the resumable search loops: grow the open list's pool
_INITIAL_HEAP = 1024


# ----------------------------------------------------------------------------- queues
# Two priority queues of (key, node), both keyed by f alone:
#
# - a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) for searches whose popped keys
#   never decrease (A* with a consistent heuristic, Dijkstra). Keys are non-negative
#   float64, whose bit patterns order like the numbers, so the classic integer radix heap
#   applies to their uint64 bits: 65 buckets by the highest bit in which a key differs
#   from the last popped key; push is O(1), pop amortised O(log C). Entries live in a pool
#   of linked lists (``pn`` node, ``pk`` key bits, ``pnext`` link; ``head`` per bucket).
#   Equal keys pop last-in first-out, which breaks f-ties towards the newest (deepest)
#   node, the tie-breaking that saves expansions on open maps.
# - a binary heap (``hk`` keys, ``hn`` nodes) for the others (weighted A*, Lazy Theta*).


@intrinsic
def _leading_zeros(typingctx, value):
    """Count of leading zero bits of a uint64 (LLVM ctlz), value > 0."""
    signature = types.int64(types.uint64)

    def codegen(context, builder, sig, args):
        return builder.ctlz(args[0], ir.Constant(ir.IntType(1), 0))

    return signature, codegen


@intrinsic
def _float_bits(typingctx, value):
    """The IEEE-754 bits of a float64 as a uint64 (monotone for non-negative values)."""
    signature = types.uint64(types.float64)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return signature, codegen


@kernel
def _radix_new():
    return (
        np.full(65, -1, np.int32),
        np.empty(_INITIAL_HEAP, np.int32),
        np.empty(_INITIAL_HEAP, np.uint64),
        np.empty(_INITIAL_HEAP, np.int32),
    )


@kernel
def _radix_reserve(pn, pk, pnext, used, extra):
    """The pool arrays, doubled as often as needed to hold ``used + extra`` entries."""
    capacity = pn.shape[0]
    if used + extra <= capacity:
        return pn, pk, pnext
    while capacity < used + extra:
        capacity *= 2
    new_n = np.empty(capacity, np.int32)
    new_k = np.empty(capacity, np.uint64)
    new_next = np.empty(capacity, np.int32)
    # Element loops rather than slice copies: a slice copy drags in numba's shape-checked
    # error path, which costs seconds of compilation.
    for index in range(used):
        new_n[index] = pn[index]
        new_k[index] = pk[index]
        new_next[index] = pnext[index]
    return new_n, new_k, new_next


@kernel
def _radix_push(head, pn, pk, pnext, used, last, key, node):
    """Add ``node`` with key ``key`` (float64 >= the last popped key); returns ``used + 1``."""
    bits = _float_bits(key)
    if bits < last:
        bits = last  # rounding may put a key an ulp below the last popped one
    difference = bits ^ last
    bucket = 0 if difference == 0 else 64 - _leading_zeros(difference)
    pn[used] = node
    pk[used] = bits
    pnext[used] = head[bucket]
    head[bucket] = used
    return used + 1


@kernel
def _radix_pop(head, pk, pnext, last):
    """Take an entry with the smallest key (the queue must not be empty).

    Returns ``(entry, last)``: the pool index and the new last key bits.
    """
    if head[0] < 0:
        bucket = 1
        while head[bucket] < 0:
            bucket += 1
        entry = head[bucket]
        smallest = pk[entry]
        entry = pnext[entry]
        while entry >= 0:
            if pk[entry] < smallest:
                smallest = pk[entry]
            entry = pnext[entry]
        last = smallest
        entry = head[bucket]
        head[bucket] = -1
        while entry >= 0:
            following = pnext[entry]
            difference = pk[entry] ^ last
            target = 0 if difference == 0 else 64 - _leading_zeros(difference)
            pnext[entry] = head[target]
            head[target] = entry
            entry = following
    entry = head[0]
    head[0] = pnext[entry]
    return entry, last


@kernel
def _heap_new():
    return np.empty(_INITIAL_HEAP, np.float64), np.empty(_INITIAL_HEAP, np.int32)


@kernel
def _heap_push(hk, hn, size, key, node):
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        parent_key = hk[parent]
        if parent_key <= key:
            break
        hk[pos] = parent_key
        hn[pos] = hn[parent]
        pos = parent
    hk[pos] = key
    hn[pos] = node
    return size + 1


@kernel
def _heap_pop(hk, hn, size):
    """Remove the root; returns the new size. The caller reads the root (hn[0]) first."""
    size -= 1
    if size == 0:
        return 0
    key = hk[size]
    node = hn[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        child_key = hk[child]
        right = child + 1
        if right < size and hk[right] < child_key:
            child = right
            child_key = hk[right]
        if key <= child_key:
            break
        hk[pos] = child_key
        hn[pos] = hn[child]
        pos = child
    hk[pos] = key
    hn[pos] = node
    return size


@kernel
def _heap_reserve(hk, hn, size, extra):
    """The heap arrays, doubled as often as needed to hold ``size + extra`` entries."""
    capacity = hn.shape[0]
    if size + extra <= capacity:
        return hk, hn
    while capacity < size + extra:
        capacity *= 2
    new_k = np.empty(capacity, np.float64)
    new_n = np.empty(capacity, np.int32)
    for index in range(size):
        new_k[index] = hk[index]
        new_n[index] = hn[index]
    return new_k, new_n


# ----------------------------------------------------------------------------- heuristic


@kernel
def _heuristic(hmode, di, dj, dk, zu, zg, cell_size, penalty, hmin):
    """Lower bound on the cost between two cells ``(di, dj, dk)`` apart (absolute, cells)."""
    if hmode == H_ZERO:
        return 0.0
    big = di if di > dj else dj
    small = dj if di > dj else di
    if hmode == H_CHEBYSHEV:
        return big * hmin
    if hmode == H_OCTILE_2D:
        return (big + SQRT2_MINUS_1 * small) * cell_size * hmin
    vertical = abs(zg - zu)
    if hmode == H_OCTILE_3D:
        # Sort the three offsets: d1 <= d2 <= d3.
        d3 = big
        d2 = small
        d1 = dk
        if d1 > d2:
            d1, d2 = d2, d1
        if d2 > d3:
            d2, d3 = d3, d2
        if d1 > d2:
            d1, d2 = d2, d1
        return (
            SQRT3_MINUS_SQRT2 * d1 + SQRT2_MINUS_1 * d2 + d3
        ) * cell_size * hmin + penalty * vertical
    horizontal = (big + SQRT2_MINUS_1 * small) * cell_size
    return math.sqrt(horizontal * horizontal + vertical * vertical) * hmin + penalty * vertical


# ----------------------------------------------------------------------------- neighbourhoods
# A cell's 3 x 3 (x 3) neighbourhood is read once per expansion into the bits of one
# integer; a move is then allowed when none of its bounding box's bits is set. One load per
# neighbour instead of one per cell of each of 26 bounding boxes: the 3D kernels expand
# about twice as fast.


@kernel
def _neighbourhood(px, py, n_moves):
    """Flat offsets of the 3 x 3 x 3 neighbourhood (3 x 3 for 8 moves); bit
    ``c = (dk + 1) * 9 + (dj + 1) * 3 + (di + 1)`` (``dk = 0`` in 2D) stands for offset
    ``c``. Negating a move maps bit ``c`` to bit ``last - c``."""
    three_d = n_moves > 8
    count = 27 if three_d else 9
    offsets = np.empty(count, np.int64)
    for c in range(count):
        dk = c // 9 - 1 if three_d else 0
        dj = (c // 3) % 3 - 1
        di = c % 3 - 1
        offsets[c] = (dk * py + dj) * px + di
    return offsets


@kernel
def _occupancy(blocked, n, neighbourhood):
    """Bits of the blocked cells around ``n`` (see `_neighbourhood`)."""
    bits = np.int64(0)
    for c in range(neighbourhood.shape[0]):
        bits |= np.int64(blocked[n + neighbourhood[c]] != 0) << c
    return bits


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
        ``[m, 0]``: the bits (see `_occupancy`) of move ``m``'s bounding box around the
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
    neighbourhood = _neighbourhood(px, py, n_moves)
    opened = 2 * generation
    closed = opened + 1
    radix = weight == 1.0  # popped keys only stay monotone without inflation
    head, pn, pk, pnext = _radix_new()
    used = 0
    last = np.uint64(0)
    hk, hn = _heap_new()
    size = 0
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    if radix:
        used = _radix_push(head, pn, pk, pnext, used, last, 0.0, start)
    else:
        size = _heap_push(hk, hn, size, 0.0, start)
    queued = 1
    expansions = 0
    while queued > 0:
        if radix:
            entry, last = _radix_pop(head, pk, pnext, last)
            n = pn[entry]
        else:
            n = hn[0]
            size = _heap_pop(hk, hn, size)
        queued -= 1
        if state[n] == closed:
            continue  # a stale duplicate: the first pop of a node carries its best g
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if radix:
            if used + n_moves > pn.shape[0]:
                pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, n_moves)
        elif size + n_moves > hn.shape[0]:
            hk, hn = _heap_reserve(hk, hn, size, n_moves)
        i = n % px
        j = (n // px) % py
        k = n // plane
        cost_n = np.float64(cost[n])
        occupied = _occupancy(blocked, n, neighbourhood)
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
                h = _heuristic(
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
                    used = _radix_push(head, pn, pk, pnext, used, last, candidate + h, v)
                else:
                    size = _heap_push(hk, hn, size, candidate + weight * h, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


astar.__doc__ += _ASTAR_DOC


@inlined
def _cubic_step_costs(move_dk, move_dj, move_di, unit, vertical_cost):
    """Cost of each move on uniform cubic cells: sqrt(axes) cells of ``unit`` (cell size x
    multiplier) plus ``vertical_cost`` per layer climbed or descended (`grid._step_cost` is
    its Python twin, for the jump rules)."""
    step_cost = np.empty(move_dk.shape[0])
    for m in range(move_dk.shape[0]):
        axes = abs(move_dk[m]) + abs(move_dj[m]) + abs(move_di[m])
        step_cost[m] = math.sqrt(axes) * unit + vertical_cost * abs(move_dk[m])
    return step_cost


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
    neighbourhood = _neighbourhood(px, py, n_moves)
    unit = cell_size * hmin
    step_cost = _cubic_step_costs(move_dk, move_dj, move_di, unit, penalty * cell_size)
    opened = 2 * generation
    closed = opened + 1
    head, pn, pk, pnext = _radix_new()
    last = np.uint64(0)
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    used = _radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    queued = 1
    expansions = 0
    while queued > 0:
        entry, last = _radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + n_moves > pn.shape[0]:
            pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, n_moves)
        i = n % px
        j = (n // px) % py
        k = n // plane
        occupied = _occupancy(blocked, n, neighbourhood)
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
                used = _radix_push(head, pn, pk, pnext, used, last, candidate + h * TIE_BREAK, v)
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
    head, pn, pk, pnext = _radix_new()
    used = 0
    last = np.uint64(0)
    hk, hn = _heap_new()
    size = 0
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    if radix:
        used = _radix_push(head, pn, pk, pnext, used, last, 0.0, start)
    else:
        size = _heap_push(hk, hn, size, 0.0, start)
    queued = 1
    expansions = 0
    straight = cell_size * hmin if uniform else cell_size
    diagonal = straight * SQRT2
    scale = cell_size * hmin
    while queued > 0:
        if radix:
            entry, last = _radix_pop(head, pk, pnext, last)
            n = pn[entry]
        else:
            n = hn[0]
            size = _heap_pop(hk, hn, size)
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if radix:
            if used + 8 > pn.shape[0]:
                pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, 8)
        elif size + 8 > hn.shape[0]:
            hk, hn = _heap_reserve(hk, hn, size, 8)
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
                    used = _radix_push(head, pn, pk, pnext, used, last, candidate + h, v)
                else:
                    size = _heap_push(hk, hn, size, candidate + weight * h, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


@inlined
def _eight_moves(px):
    """The single-layer moves as tables ``(flat offset, di, dj)``: east, west, north,
    south, then the diagonals NE, NW, SE, SW."""
    return (
        np.array([1, -1, px, -px, px + 1, px - 1, 1 - px, -px - 1], np.int64),
        np.array([1, -1, 0, 0, 1, -1, 1, -1], np.int64),
        np.array([0, 0, 1, -1, 1, 1, -1, -1], np.int64),
    )


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
    head, pn, pk, pnext = _radix_new()
    last = np.uint64(0)
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    used = _radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    queued = 1
    expansions = 0
    straight = cell_size * hmin
    diagonal = straight * SQRT2
    # Tables, not an if-chain over the move number (see `astar2d_pyastar`). A move needs
    # its target and the straight neighbours it passes free: bits of ``free`` (see
    # `_free_sides`).
    move_offset, move_di, move_dj = _eight_moves(px)
    move_needs = np.array([1, 2, 4, 8, 1 | 4, 2 | 4, 1 | 8, 2 | 8], np.int64)
    while queued > 0:
        entry, last = _radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + 8 > pn.shape[0]:
            pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, 8)
        j = n // px
        i = n - j * px
        free = _free_sides(blocked, n, px)
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
                used = _radix_push(head, pn, pk, pnext, used, last, candidate + h * TIE_BREAK, v)
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
    move_offset, move_di, move_dj = _eight_moves(px)
    mask = bucket_span - 1
    buckets = np.full(bucket_span, -1, np.int32)
    # The entries: node and next entry in its bucket; popped entries are reused first.
    entry_node = np.empty(_INITIAL_HEAP, np.int32)
    entry_next = np.empty(_INITIAL_HEAP, np.int32)
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
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + 8 > entry_node.shape[0]:
            entry_node, entry_next = _grow_entries(entry_node, entry_next, used)
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


@kernel
def _grow_entries(entry_node, entry_next, used):
    """The bucket-queue entry arrays at twice their size."""
    grown_node = np.empty(2 * entry_node.shape[0], np.int32)
    grown_next = np.empty(2 * entry_node.shape[0], np.int32)
    for index in range(used):
        grown_node[index] = entry_node[index]
        grown_next[index] = entry_next[index]
    return grown_node, grown_next


@kernel
def _trace(parent, start, goal, path):
    """Write the parent chain from start to goal into ``path``; returns its length."""
    length = 1
    n = goal
    while n != start:
        n = parent[n]
        length += 1
    n = goal
    for index in range(length - 1, -1, -1):
        path[index] = n
        n = parent[n]
    return length


# ----------------------------------------------------------------------------- JPS
# Jump Point Search for one uniform-cost layer without corner cutting (Harabor & Grastien,
# "Improving Jump Point Search", ICAPS 2014): straight jumps stop at forced neighbours,
# diagonal jumps stop where a straight sub-jump finds something, and only the canonical
# successors of a jump point are generated. Costs are identical to A*'s.

JUMP_RUN = 126  # longest run one jump-table entry describes (entries are int8)
JUMP_ON = 127  # entry: JUMP_RUN free cells without a stop, continue from the last of them


@kernel
def _chain(after):
    """The entry of a cell from the entry ``after`` of the next cell along a direction."""
    if after == JUMP_ON:
        return JUMP_ON
    if after > 0:
        return after + 1 if after < JUMP_RUN else JUMP_ON
    return after - 1 if -after < JUMP_RUN else JUMP_ON


@kernel
def jump_table(blocked, px, jumps):
    """Fill the jump table of one padded layer (JPS+, Rabin 2015): ``jumps[n, d]`` (int8)
    for free cell ``n`` and direction ``d``.

    Straight directions 0: +x, 1: -x, 2: +y, 3: -y. ``s`` in 1..126: a straight jump from
    ``n`` stops at the jump point ``s`` cells away, a cell with a side cell that opens up
    behind a wall (a forced neighbour); ``-s`` in -126..0: it runs into a wall after ``s``
    free cells; `JUMP_ON`: 126 free cells without a stop, read on from the 126th.

    Diagonal directions 4: (+x, +y), 5: (-x, +y), 6: (+x, -y), 7: (-x, -y), the same way
    in diagonal steps: the jump stops at the first cell from which a straight jump along
    either component finds a jump point; it ends where the next step is blocked or would
    cut a corner.

    One byte an entry keeps the table at 8 bytes a cell (a cell's eight directions in one
    read), which matters on mazes, where jumps are short and many.
    """
    size = blocked.shape[0]
    for d in range(4):
        step = 1 if d == 0 else -1 if d == 1 else px if d == 2 else -px
        side = px if d < 2 else 1
        # Sweep against the direction, so that n + step is known before n.
        for index in range(size):
            n = size - 1 - index if step > 0 else index
            ahead = n + step
            if blocked[n] != 0 or blocked[ahead] != 0:
                jumps[n, d] = 0
            elif (blocked[ahead + side] == 0 and blocked[n + side] != 0) or (
                blocked[ahead - side] == 0 and blocked[n - side] != 0
            ):
                jumps[n, d] = 1
            else:
                jumps[n, d] = _chain(jumps[ahead, d])
    for d in range(4):
        sx = 1 if d % 2 == 0 else -1
        sy = 1 if d < 2 else -1
        along_x = 0 if sx > 0 else 1
        along_y = 2 if sy > 0 else 3
        step = sx + sy * px
        for index in range(size):
            n = size - 1 - index if step > 0 else index
            ahead = n + step
            if (
                blocked[n] != 0
                or blocked[n + sx] != 0
                or blocked[n + sy * px] != 0
                or blocked[ahead] != 0
            ):
                jumps[n, 4 + d] = 0
            elif (
                _read_jump(jumps, along_x, ahead, sx)[1]
                or _read_jump(jumps, along_y, ahead, sy * px)[1]
            ):
                jumps[n, 4 + d] = 1
            else:
                jumps[n, 4 + d] = _chain(jumps[ahead, 4 + d])


@inlined
def _read_jump(jumps, column, n, step):
    """A jump from ``n`` along ``step`` (table ``column``), its entries read on past 126
    cells: ``(distance, stops)``, the steps to the jump point when it ``stops`` at one,
    else the free steps before the wall or corner."""
    distance = 0
    entry = np.int64(jumps[n, column])
    while entry == JUMP_ON:
        distance += JUMP_RUN
        n += JUMP_RUN * step
        entry = np.int64(jumps[n, column])
    if entry > 0:
        return distance + entry, True
    return distance - entry, False


@inlined
def _jump_straight(jumps, direction, n, step, along, across, goal_along, goal_across):
    """The jump from n along ``step`` (+-1 or +-px, ``direction`` its table column):
    ``(cell, steps)``, the jump point or the goal if it comes first, or ``(-1, 0)`` at a
    wall. ``along``/``across``: n's coordinate along the move (signed: increasing in the
    move's direction) and across it; ``goal_along``/``goal_across`` the goal's. Coordinates
    are passed in because integer division costs more than the rest of a short jump."""
    distance, stops = _read_jump(jumps, direction, n, step)
    ahead = goal_along - along
    if across == goal_across and 0 < ahead <= distance:
        return n + ahead * step, ahead
    if stops:
        return n + distance * step, distance
    return -1, 0


@inlined
def _jump_diagonal(jumps, n, sx, sy, px, ni, nj, gi, gj):
    """Jump from n along the diagonal (sx, sy): ``(jump point, steps)`` or ``(-1, 0)``.

    The table gives the first cell whose straight jumps find a jump point; the goal can
    stop the jump earlier, at the step that reaches its row or column when the straight
    jump from there along the other axis reaches it (or at the goal itself). ``(ni, nj)``
    and ``(gi, gj)``: the columns and rows of n and of the goal.
    """
    along_x = 0 if sx > 0 else 1
    along_y = 2 if sy > 0 else 3
    diagonal = sx + sy * px
    distance, stops = _read_jump(
        jumps, 4 + (0 if sx > 0 else 1) + (0 if sy > 0 else 2), n, diagonal
    )
    best = distance if stops else distance + 1  # distance + 1: no stop on the way
    to_row = (gj - nj) * sy
    if 1 <= to_row < best:
        ahead = (gi - (ni + to_row * sx)) * sx
        if ahead == 0 or (
            ahead > 0 and ahead <= _read_jump(jumps, along_x, n + to_row * diagonal, sx)[0]
        ):
            best = to_row
    to_column = (gi - ni) * sx
    if 1 <= to_column < best:
        ahead = (gj - (nj + to_column * sy)) * sy
        if ahead > 0 and ahead <= _read_jump(jumps, along_y, n + to_column * diagonal, sy * px)[0]:
            best = to_column
    if best > distance:
        return -1, 0
    return n + best * diagonal, best


@kernel
def _jps2d_search(
    blocked,
    jumps,
    px,
    cell_size,
    hmin,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    head,
    pn,
    pk,
    pnext,
    used,
    queued,
    last,
    expansions,
):
    """The search loop of `jps2d`, resumable: it returns `_POOL_FULL` (and where it
    stands) before the open list's pool could overflow. The pool arrays are never
    reassigned here, which keeps numba from reference-counting them on every expansion."""
    gi = goal % px
    gj = goal // px
    opened = 2 * generation
    closed = opened + 1
    unit = cell_size * hmin
    # Directions in the jump table's column order: +x, -x, +y, -y, then the diagonals.
    move_sx = np.array([1, -1, 0, 0, 1, -1, 1, -1], np.int64)
    move_sy = np.array([0, 0, 1, -1, 1, 1, -1, -1], np.int64)
    while queued > 0:
        if used + 8 > pn.shape[0]:
            return _POOL_FULL, 0.0, expansions, used, queued, last
        entry, last = _radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, used, queued, last
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, used, queued, last
        expansions += 1
        j = n // px
        i = n - j * px
        p = parent[n]
        pj = p // px
        dx = np.sign(i - (p - pj * px))
        dy = np.sign(j - pj)
        free = _free_sides(blocked, n, px)
        for d in range(8):
            sx = move_sx[d]
            sy = move_sy[d]
            if n != start and not _canonical(free, dx, dy, sx, sy):
                continue
            if sx != 0 and sy != 0:
                jp, steps = _jump_diagonal(jumps, n, sx, sy, px, i, j, gi, gj)
                length = steps * SQRT2
            elif sy == 0:
                jp, length = _jump_straight(jumps, d, n, sx, i * sx, j, gi * sx, gj)
            else:
                jp, length = _jump_straight(jumps, d, n, sy * px, j * sy, i, gj * sy, gi)
            if jp < 0:
                continue
            sv = state[jp]
            if sv == closed:
                continue
            candidate = gn + length * unit
            if sv != opened or candidate < g[jp]:
                state[jp] = opened
                g[jp] = candidate
                parent[jp] = n
                jj = jp // px
                ddx = abs(jp - jj * px - gi)
                ddy = abs(jj - gj)
                if ddx > ddy:
                    h = (ddx + SQRT2_MINUS_1 * ddy) * unit
                else:
                    h = (ddy + SQRT2_MINUS_1 * ddx) * unit
                used = _radix_push(head, pn, pk, pnext, used, last, candidate + h * TIE_BREAK, jp)
                queued += 1
    return UNREACHABLE, np.inf, expansions, used, queued, last


@kernel
def jps2d(
    blocked,
    jumps,
    px,
    cell_size,
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
    """A* with jump-point pruning on one uniform-cost layer (multiplier ``hmin`` everywhere).

    Same arguments as `astar2d` (minus the rule switches), plus ``jumps`` (the layer's
    `jump_table`: every jump is a lookup or two), and the same optimal costs; ``expansions`` counts jump points expanded.
    ``path`` receives the full cell path (jump points joined by their straight or
    diagonal runs).
    """
    head, pn, pk, pnext = _radix_new()
    return _jps2d_pooled(
        blocked,
        jumps,
        px,
        cell_size,
        hmin,
        start,
        goal,
        max_expansions,
        g,
        parent,
        state,
        generation,
        path,
        head,
        pn,
        pk,
        pnext,
    )


@kernel
def _jps2d_pooled(
    blocked,
    jumps,
    px,
    cell_size,
    hmin,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
    head,
    pn,
    pk,
    pnext,
):
    """`jps2d` on a radix heap's arrays given by the caller (``head`` is cleared here; the
    pool grows into new arrays when a search needs more)."""
    for bucket in range(head.shape[0]):
        head[bucket] = -1
    state[start] = 2 * generation
    g[start] = 0.0
    parent[start] = start
    last = np.uint64(0)
    used = _radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    queued = 1
    expansions = 0
    while True:
        status, cost, expansions, used, queued, last = _jps2d_search(
            blocked,
            jumps,
            px,
            cell_size,
            hmin,
            start,
            goal,
            max_expansions,
            g,
            parent,
            state,
            generation,
            head,
            pn,
            pk,
            pnext,
            used,
            queued,
            last,
            expansions,
        )
        if status != _POOL_FULL:
            break
        # Doubled, and never less than one expansion's pushes (a caller's pool may be tiny).
        pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, max(used, 8))
    if status == FOUND:
        return FOUND, cost, expansions, _fill_jumps(parent, start, goal, px, blocked.shape[0], path)
    return status, cost, expansions, 0


BAD_CELL = -1  # status of `jps2d_path_at`: the start or the goal is outside the grid or blocked


# A query context: the addresses of a grid's arrays in one int64 array, so that the
# per-query entry points take one integer for them. numba unboxes every array argument
# into a fresh reference-counted descriptor (0.15 us each), and the open list's arrays,
# made per query, cost 0.5 us; on a 49x49 map the search itself takes 1.5 us, and the
# twenty arguments, the fresh open list and the read-only flags set on the path's
# arrays afterwards cost three times that. The Python side
# (`PlanningGrid._query_context`) owns the arrays and rebuilds the table whenever one of
# them is replaced, so the addresses stay valid while a kernel runs.
CTX_BLOCKED = 0  # uint8 (nodes,)
CTX_JUMPS = 1  # int8 (nodes, 8)
CTX_G = 2  # float64 (nodes,): thread 0's row of the work arrays from here on
CTX_PARENT = 3  # int32 (nodes,)
CTX_STATE = 4  # int32 (nodes,)
CTX_SCRATCH = 5  # int32 (nodes,)
CTX_GENERATIONS = 6  # int32 (1,): thread 0's generation, advanced by the kernel
CTX_FLOATS = 7  # float64 (CTX_FLOAT_COUNT,): see CTXF_*
CTX_LAYERS = 8  # float64 (layers,): layer altitudes, metres
CTX_NODES = 9
CTX_PX = 10
CTX_NY = 11
CTX_NX = 12
CTX_PY = 13
CTX_LAYER_COUNT = 14
CTX_GENERATION_LIMIT = 15
CTX_HEAD = 16  # int32 (65,): the radix heap of the searches, kept between queries
CTX_POOL_NODES = 17  # int32 (pool,)
CTX_POOL_KEYS = 18  # uint64 (pool,)
CTX_POOL_NEXT = 19  # int32 (pool,)
CTX_POOL = 20
CTX_SIZE = 21
CTX_HEAD_SIZE = 65
CTXF_CELL_SIZE = 0
CTXF_HMIN = 1
CTXF_ORIGIN_X = 2
CTXF_ORIGIN_Y = 3
CTX_FLOAT_COUNT = 4


@intrinsic
def _pointer(typingctx, address):
    """An integer address as a void pointer (for `numba.carray`)."""
    signature = types.voidptr(types.int64)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return signature, codegen


@intrinsic
def _read_only(typingctx, array):
    """The same array, typed read-only: numba returns it to Python with the writeable flag
    off, which costs nothing here and 0.6 us as a `setflags` call there."""
    signature = array.copy(readonly=True)(array)

    def codegen(context, builder, sig, args):
        return impl_ret_borrowed(context, builder, sig.return_type, args[0])

    return signature, codegen


@kernel
def jps2d_path_at(
    context_address, start_k, start_j, start_i, goal_k, goal_j, goal_i, max_expansions
):
    """`jps2d` between cells given as ``(k, j, i)`` on the grid of a query context (see
    `CTX_BLOCKED`), with the cells checked, the generation advanced and the path made here.

    Returns ``(status, cost, expansions, cells, waypoints, length_m)``: the path's cells
    ``(k, j, i)`` and world waypoints (metres), both ``(m, 3)`` and read-only (empty
    unless found), and its length in metres. Status `BAD_CELL` when the start or the goal
    lies outside the layer or in a blocked cell (the caller names the problem).
    """
    ctx = carray(_pointer(context_address), (CTX_SIZE,), np.int64)
    nodes = ctx[CTX_NODES]
    px, ny, nx = ctx[CTX_PX], ctx[CTX_NY], ctx[CTX_NX]
    blocked = carray(_pointer(ctx[CTX_BLOCKED]), (nodes,), np.uint8)
    inside = (
        start_k == 0
        and goal_k == 0
        and 0 <= start_j < ny
        and 0 <= goal_j < ny
        and 0 <= start_i < nx
        and 0 <= goal_i < nx
    )
    start = (start_j + 1) * px + start_i + 1
    goal = (goal_j + 1) * px + goal_i + 1
    floats = carray(_pointer(ctx[CTX_FLOATS]), (CTX_FLOAT_COUNT,), np.float64)
    status = BAD_CELL
    cost = np.inf
    expansions = 0
    count = 0
    if inside and blocked[start] == 0 and blocked[goal] == 0:
        state = carray(_pointer(ctx[CTX_STATE]), (nodes,), np.int32)
        generations = carray(_pointer(ctx[CTX_GENERATIONS]), (1,), np.int32)
        if generations[0] >= ctx[CTX_GENERATION_LIMIT]:
            for node in range(nodes):
                state[node] = 0
            generations[0] = 0
        generation = generations[0] + 1
        generations[0] = generation
        pool = ctx[CTX_POOL]
        status, cost, expansions, count = _jps2d_pooled(
            blocked,
            carray(_pointer(ctx[CTX_JUMPS]), (nodes, 8), np.int8),
            px,
            floats[CTXF_CELL_SIZE],
            floats[CTXF_HMIN],
            start,
            goal,
            max_expansions,
            carray(_pointer(ctx[CTX_G]), (nodes,), np.float64),
            carray(_pointer(ctx[CTX_PARENT]), (nodes,), np.int32),
            state,
            generation,
            carray(_pointer(ctx[CTX_SCRATCH]), (nodes,), np.int32),
            carray(_pointer(ctx[CTX_HEAD]), (CTX_HEAD_SIZE,), np.int32),
            carray(_pointer(ctx[CTX_POOL_NODES]), (pool,), np.int32),
            carray(_pointer(ctx[CTX_POOL_KEYS]), (pool,), np.uint64),
            carray(_pointer(ctx[CTX_POOL_NEXT]), (pool,), np.int32),
        )
    cells = np.empty((count, 3), np.int64)
    waypoints = np.empty((count, 3), np.float64)
    length = np.inf
    if status == FOUND:
        _decode_into(
            carray(_pointer(ctx[CTX_SCRATCH]), (count,), np.int32), px, ctx[CTX_PY], 0, cells
        )
        layers = carray(_pointer(ctx[CTX_LAYERS]), (ctx[CTX_LAYER_COUNT],), np.float64)
        length = _waypoints_into(
            cells,
            floats[CTXF_ORIGIN_X],
            floats[CTXF_ORIGIN_Y],
            floats[CTXF_CELL_SIZE],
            layers,
            waypoints,
        )
    return status, cost, expansions, _read_only(cells), _read_only(waypoints), length


@inlined
def _canonical(free, dx, dy, sx, sy):
    """Whether direction (sx, sy) is a natural or forced successor after arriving along
    (dx, dy); ``free``: the cell's open straight neighbours (see `_free_sides`)."""
    if dx != 0 and dy != 0:
        # Diagonal arrival: continue diagonally or along either component.
        if sx == dx and sy == dy:
            return _side_free(free, dx, 0) and _side_free(free, 0, dy)
        return (sx == dx and sy == 0) or (sx == 0 and sy == dy)
    if dy == 0:
        # Horizontal arrival: ahead, the diagonals ahead, and the sides (forced when open).
        if sx == dx and sy == 0:
            return True
        if sx == 0:
            return True
        if sx == dx:
            return _side_free(free, dx, 0) and _side_free(free, 0, sy)
        return False
    if sy == dy and sx == 0:
        return True
    if sy == 0:
        return True
    if sy == dy:
        return _side_free(free, 0, dy) and _side_free(free, sx, 0)
    return False


@inlined
def _free_sides(blocked, n, px):
    """Bits of a cell's free straight neighbours: 1 east, 2 west, 4 north (+y), 8 south."""
    return (
        np.int64(blocked[n + 1] == 0)
        | (np.int64(blocked[n - 1] == 0) << 1)
        | (np.int64(blocked[n + px] == 0) << 2)
        | (np.int64(blocked[n - px] == 0) << 3)
    )


@inlined
def _side_free(free, sx, sy):
    """Whether the straight neighbour (sx, 0) or (0, sy) is free, from `_free_sides` bits."""
    if sx > 0:
        return free & 1 != 0
    if sx < 0:
        return free & 2 != 0
    if sy > 0:
        return free & 4 != 0
    return free & 8 != 0


@inlined
def _cell_of(n, px, plane):
    """``(i, j, k)`` of padded node ``n``, with two integer divisions."""
    k = n // plane
    rest = n - k * plane
    j = rest // px
    return rest - j * px, j, k


@kernel
def _fill_jumps(parent, start, goal, px, plane, path):
    """Expand the jump-point chain into every cell along it (jump points are joined by
    straight or diagonal runs); returns the path length. ``plane``: cells per padded layer
    (any number >= the grid's size for one layer)."""
    length = 1
    n = goal
    ni, nj, nk = _cell_of(n, px, plane)
    while n != start:
        p = parent[n]
        pi, pj, pk = _cell_of(p, px, plane)
        length += max(abs(ni - pi), abs(nj - pj), abs(nk - pk))
        n, ni, nj, nk = p, pi, pj, pk
    index = length - 1
    n = goal
    ni, nj, nk = _cell_of(n, px, plane)
    while n != start:
        p = parent[n]
        pi, pj, pk = _cell_of(p, px, plane)
        step = np.sign(pk - nk) * plane + np.sign(pj - nj) * px + np.sign(pi - ni)
        m = n
        while m != p:
            path[index] = m
            index -= 1
            m += step
        n, ni, nj, nk = p, pi, pj, pk
    path[0] = start
    return length


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
    neighbourhood = _neighbourhood(px, py, 26)
    plane = px * py
    for n in range(size):
        jumps[n, JPS3D_OPEN] = 0
        jumps[n, 7] = 0
    for n in range(plane + px + 1, size - plane - px - 1):
        if blocked[n] == 0 and _occupancy(blocked, n, neighbourhood) == 0:
            jumps[n, JPS3D_OPEN] = 1
    for d in range(6):
        step = move_offset[d]
        for index in range(size):
            n = size - 1 - index if step > 0 else index
            ahead = n + step
            if blocked[n] != 0 or ahead < 0 or ahead >= size or blocked[ahead] != 0:
                jumps[n, d] = 0
            elif jumps[ahead, JPS3D_OPEN] == 0 and _forced(
                _occupancy(blocked, ahead, neighbourhood),
                d,
                box_mask,
                alternatives,
                alternative_count,
                behind,
            ):
                jumps[n, d] = 1
            else:
                jumps[n, d] = _chain(jumps[ahead, d])


@inlined
def _octile3d(n, px, plane, gi, gj, gk, unit, vertical_cost):
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
    plane = px * py
    gi = goal % px
    gj = (goal % plane) // px
    gk = goal // plane
    n_moves = move_offset.shape[0]
    every_move = (np.int64(1) << n_moves) - 1
    neighbourhood = _neighbourhood(px, py, n_moves)
    unit = cell_size * hmin
    vertical_cost = penalty * cell_size
    step_cost = _cubic_step_costs(move_dk, move_dj, move_di, unit, vertical_cost)
    directions = path
    opened = 2 * generation
    closed = opened + 1
    head, pn, pk, pnext = _radix_new()
    last = np.uint64(0)
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    directions[start] = 0
    used = _radix_push(head, pn, pk, pnext, 0, last, 0.0, start)
    queued = 1
    expansions = 0
    while queued > 0:
        entry, last = _radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if state[n] == closed:
            continue
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, _fill_jumps(parent, start, goal, px, plane, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if used + n_moves > pn.shape[0]:
            pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, n_moves)
        incoming = np.int64(directions[n])
        if jumps[n, JPS3D_OPEN] != 0 and n != start:
            occupied = np.int64(0)
            allowed = np.int64(0)
            bits = incoming & every_move
            while bits != 0:
                allowed |= box_mask[63 - _leading_zeros(np.uint64(bits & -bits)), 2]
                bits &= bits - 1
            directions[n] = incoming | _EXPANDED_PRUNED
        else:
            occupied = _occupancy(blocked, n, neighbourhood)
            allowed = every_move
        ni = n % px
        nj = (n % plane) // px
        nk = n // plane
        for m in range(n_moves):
            if (allowed >> m) & 1 == 0:
                continue
            if m < 6:
                distance, stops = _read_jump(jumps, m, n, move_offset[m])
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
                    key = (
                        g[v] + _octile3d(v, px, plane, gi, gj, gk, unit, vertical_cost) * TIE_BREAK
                    )
                    used = _radix_push(head, pn, pk, pnext, used, last, key, v)
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
                    candidate + _octile3d(v, px, plane, gi, gj, gk, unit, vertical_cost) * TIE_BREAK
                )
                used = _radix_push(head, pn, pk, pnext, used, last, key, v)
                queued += 1
    return UNREACHABLE, np.inf, expansions, 0


# ----------------------------------------------------------------------------- batch


@parallel_kernel
def astar_batch(
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
    method,
    hmode,
    cell_size,
    penalty,
    hmin,
    weight,
    bucket_span,
    jumps,
    starts,
    goals,
    max_expansions,
    g,
    parent,
    state,
    generations,
    scratch,
    path_buffer,
    status,
    costs,
    expansions,
    owner,
    offset,
    lengths,
):
    """Many (start, goal) queries spread over threads; ``method`` picks the kernel
    (`METHOD_ASTAR`, `METHOD_ASTAR2D`, `METHOD_ASTAR2D_UNIFORM`, `METHOD_PYASTAR2D`,
    `METHOD_JPS`, `METHOD_ASTAR3D_UNIFORM`, `METHOD_JPS3D`).

    Thread ``t`` takes queries ``t, t + T, t + 2T, ...`` with its own work arrays (row
    ``t`` of ``g``, ``parent``, ``state``, ``scratch``; its own ``generations[t]``), so no
    two threads write the same slot, and writes each path into its own row of
    ``path_buffer``. A path that does not fit gets ``lengths[q] = -1`` (the caller replans
    it alone). Results equal planning the queries one by one.
    """
    threads = g.shape[0]
    n_queries = starts.shape[0]
    capacity = path_buffer.shape[1]
    rounds = (n_queries + threads - 1) // threads
    for t in prange(threads):
        used = 0
        for r in range(rounds):
            q = t + r * threads
            if q >= n_queries:
                break
            generations[t] += 1
            s, c, e, length = run_method(
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
                method,
                hmode,
                cell_size,
                penalty,
                hmin,
                weight,
                bucket_span,
                jumps,
                starts[q],
                goals[q],
                max_expansions,
                g[t],
                parent[t],
                state[t],
                generations[t],
                scratch[t],
            )
            status[q] = s
            costs[q] = c
            expansions[q] = e
            owner[q] = t
            if used + length <= capacity:
                for index in range(length):
                    path_buffer[t, used + index] = scratch[t, index]
                offset[q] = used
                lengths[q] = length
                used += length
            else:
                offset[q] = 0
                lengths[q] = -1


METHOD_ASTAR = 0
METHOD_ASTAR2D = 1
METHOD_ASTAR2D_UNIFORM = 2
METHOD_PYASTAR2D = 3
METHOD_JPS = 4
METHOD_ASTAR3D_UNIFORM = 5
METHOD_JPS3D = 6


@kernel
def run_method(
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
    method,
    hmode,
    cell_size,
    penalty,
    hmin,
    weight,
    bucket_span,
    jumps,
    start,
    goal,
    max_expansions,
    g,
    parent,
    state,
    generation,
    path,
):
    """One query with the kernel ``method`` names (see `astar_batch`; ``bucket_span`` as in
    `astar2d_pyastar`, ``jumps`` as in `jps2d`)."""
    if method == METHOD_JPS:
        return jps2d(
            blocked,
            jumps,
            px,
            cell_size,
            hmin,
            start,
            goal,
            max_expansions,
            g,
            parent,
            state,
            generation,
            path,
        )
    if method == METHOD_JPS3D:
        return jps3d(
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
        )
    if method == METHOD_ASTAR3D_UNIFORM and weight == 1.0:
        return astar3d_uniform(
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
        )
    if method == METHOD_ASTAR or method == METHOD_ASTAR3D_UNIFORM:
        return astar(
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
        )
    if method == METHOD_ASTAR2D_UNIFORM and weight == 1.0:
        return astar2d_uniform(
            blocked,
            px,
            cell_size,
            hmin,
            start,
            goal,
            max_expansions,
            g,
            parent,
            state,
            generation,
            path,
        )
    if method == METHOD_PYASTAR2D and weight == 1.0 and bucket_span > 0:
        return astar2d_pyastar(
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
        )
    return astar2d(
        blocked,
        cost,
        px,
        method == METHOD_ASTAR2D_UNIFORM,
        method == METHOD_PYASTAR2D,
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
    )


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
    head, pn, pk, pnext = _radix_new()
    last = np.uint64(0)
    settled = np.zeros(distance.shape[0], np.uint8)
    distance[source] = 0.0
    parent[source] = source
    used = _radix_push(head, pn, pk, pnext, 0, last, 0.0, source)
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
        pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, max(used, move_offset.shape[0]))


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
    neighbourhood = _neighbourhood(px, py, n_moves)
    while queued > 0:
        if used + n_moves > pn.shape[0]:
            return True, used, queued, last, count
        entry, last = _radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if settled[n] != 0:
            continue
        settled[n] = 1
        count += 1
        dn = distance[n]
        k = n // plane
        cost_n = np.float64(cost[n])
        occupied = _occupancy(blocked, n, neighbourhood)
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
                used = _radix_push(head, pn, pk, pnext, used, last, candidate, v)
                queued += 1
    return False, used, queued, last, count


@kernel
def dijkstra_field_2d(blocked, px, straight, source, distance, parent):
    """`dijkstra_field` for one uniform-cost layer: the eight moves inline (straight moves
    cost ``straight`` metres, diagonals that times sqrt(2)); same fields, about twice as
    fast."""
    distance[:] = np.inf
    parent[:] = -1
    head, pn, pk, pnext = _radix_new()
    last = np.uint64(0)
    settled = np.zeros(distance.shape[0], np.uint8)
    distance[source] = 0.0
    parent[source] = source
    used = _radix_push(head, pn, pk, pnext, 0, last, 0.0, source)
    queued = 1
    count = 0
    diagonal = straight * SQRT2
    while queued > 0:
        entry, last = _radix_pop(head, pk, pnext, last)
        n = pn[entry]
        queued -= 1
        if settled[n] != 0:
            continue
        settled[n] = 1
        count += 1
        if used + 8 > pn.shape[0]:
            pn, pk, pnext = _radix_reserve(pn, pk, pnext, used, 8)
        dn = distance[n]
        free_e = blocked[n + 1] == 0
        free_w = blocked[n - 1] == 0
        free_n = blocked[n + px] == 0
        free_s = blocked[n - px] == 0
        for m in range(8):
            if m == 0:
                v, ok = n + 1, free_e
            elif m == 1:
                v, ok = n - 1, free_w
            elif m == 2:
                v, ok = n + px, free_n
            elif m == 3:
                v, ok = n - px, free_s
            elif m == 4:
                v, ok = n + px + 1, free_e and free_n
            elif m == 5:
                v, ok = n + px - 1, free_w and free_n
            elif m == 6:
                v, ok = n - px + 1, free_e and free_s
            else:
                v, ok = n - px - 1, free_w and free_s
            if not ok or blocked[v] != 0 or settled[v] != 0:
                continue
            candidate = dn + (straight if m < 4 else diagonal)
            if candidate < distance[v]:
                distance[v] = candidate
                parent[v] = n
                used = _radix_push(head, pn, pk, pnext, used, last, candidate, v)
                queued += 1
    return count


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
        step_i = ti - t_next <= _TIE_EPS
        step_j = tj - t_next <= _TIE_EPS
        step_k = tk - t_next <= _TIE_EPS
        if (step_i + step_j + step_k) >= 2:
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
    plane = px * py
    gi = goal % px
    gj = (goal // px) % py
    gk = goal // plane
    zg = alt[gk]
    n_moves = move_offset.shape[0]
    neighbourhood = _neighbourhood(px, py, n_moves)
    opened = 2 * generation
    closed = opened + 1
    hk, hn = _heap_new()
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    size = _heap_push(hk, hn, 0, 0.0, start)
    expansions = 0
    while size > 0:
        n = hn[0]
        size = _heap_pop(hk, hn, size)
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
                occupied = _occupancy(blocked, n, neighbourhood)
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
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        if expansions >= max_expansions:
            return LIMIT, np.inf, expansions, 0
        expansions += 1
        if size + n_moves > hn.shape[0]:
            hk, hn = _heap_reserve(hk, hn, size, n_moves)
        p = parent[n]
        gp = g[p]
        occupied = _occupancy(blocked, n, neighbourhood)
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
                h = _heuristic(
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
                size = _heap_push(hk, hn, size, candidate + h, v)
    return UNREACHABLE, np.inf, expansions, 0


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


# ----------------------------------------------------------------------------- corner model
# Any-angle search on the grid's corner points, with the rules of the Grid-Based Path
# Planning Competition's any-angle track (the MovingAI any-angle benchmarks): points are
# cell corners; a segment may run along the edge of a blocked cell or touch its corner,
# but never crosses a blocked cell's interior, never runs between two blocked cells and
# never passes through a "double corner" (a point where two diagonally adjacent cells are
# blocked). Cells are indexed ``cells[y, x]`` (1 = blocked), corners ``(x, y)`` with
# ``0 <= x <= width``, ``0 <= y <= height``; corner (x, y) is the minimum corner of cell
# (x, y). Double corners are never used as intermediate vertices (the competition allows
# visiting them without cutting through; forbidding them only ever lengthens a path), and
# a start or goal on one may only leave or arrive through its one free quadrant.


@kernel
def _cell_free(cells, x, y):
    if x < 0 or y < 0 or y >= cells.shape[0] or x >= cells.shape[1]:
        return False
    return cells[y, x] == 0


@kernel
def _double_corner(cells, x, y):
    """Whether corner (x, y) joins two diagonally adjacent blocked cells (and not four)."""
    a = _cell_free(cells, x - 1, y - 1)
    b = _cell_free(cells, x, y - 1)
    c = _cell_free(cells, x - 1, y)
    d = _cell_free(cells, x, y)
    return (not a and not d and (b or c)) or (not b and not c and (a or d))


@kernel
def _leaves_properly(cells, x, y, dx, dy):
    """At a double-corner endpoint, a segment must point into the endpoint's free quadrant."""
    if not _double_corner(cells, x, y):
        return True
    qx = 0 if dx > 0 else -1
    qy = 0 if dy > 0 else -1
    return dx != 0 and dy != 0 and _cell_free(cells, x + qx, y + qy)


@kernel
def corner_visible(cells, x0, y0, x1, y1):
    """Line of sight between corners (x0, y0) and (x1, y1) under the corner-model rules."""
    dx = x1 - x0
    dy = y1 - y0
    if dx == 0 and dy == 0:
        return True
    if not _leaves_properly(cells, x0, y0, dx, dy) or not _leaves_properly(cells, x1, y1, -dx, -dy):
        return False
    ax = abs(dx)
    ay = abs(dy)
    sx = 1 if dx > 0 else -1
    sy = 1 if dy > 0 else -1
    # Interior lattice points of the segment must not be double corners.
    g = ax
    b = ay
    while b != 0:
        g, b = b, g % b
    for step in range(1, g):
        if _double_corner(cells, x0 + dx // g * step, y0 + dy // g * step):
            return False
    if dy == 0:
        for step in range(ax):
            x = x0 + sx * step + (0 if sx > 0 else -1)
            if not _cell_free(cells, x, y0 - 1) and not _cell_free(cells, x, y0):
                return False
        return True
    if dx == 0:
        for step in range(ay):
            y = y0 + sy * step + (0 if sy > 0 else -1)
            if not _cell_free(cells, x0 - 1, y) and not _cell_free(cells, x0, y):
                return False
        return True
    # Each column the segment crosses: the rows whose interiors it passes, exactly, by
    # integer arithmetic on y(x) = y0 + dy (x - x0) / dx.
    xa = x0 if dx > 0 else x1
    ya = y0 if dx > 0 else y1
    slope_num = dy * sx  # dy per +1 in x, over ax
    for column in range(ax):
        x = xa + column
        # y at the column's left and right edges, as fractions num / ax.
        left = ya * ax + slope_num * column
        right = left + slope_num
        low = min(left, right)
        high = max(left, right)
        # Rows r with (r, r + 1) overlapping (low, high) / ax: r from floor(low / ax) to
        # ceil(high / ax) - 1.
        first = low // ax
        last = -((-high) // ax) - 1
        for row in range(first, last + 1):
            if not _cell_free(cells, x, row):
                return False
    return True


@kernel
def _corner_move_ok(cells, x, y, mx, my, goal_x, goal_y):
    """Whether the unit move (mx, my) from corner (x, y) is allowed."""
    nx = x + mx
    ny = y + my
    if nx < 0 or ny < 0 or ny > cells.shape[0] or nx > cells.shape[1]:
        return False
    if _double_corner(cells, nx, ny) and not (nx == goal_x and ny == goal_y):
        return False
    return corner_visible(cells, x, y, nx, ny)


@kernel
def corner_theta(cells, sx, sy, gx, gy, g, parent, state, generation, path):
    """Lazy Theta* over corner points (see the section comment); uniform costs in cell units.

    Work arrays (``g``, ``parent``, ``state``, ``path``) have ``(height + 1) * (width + 1)``
    entries. Returns ``(status, length, expansions, n_vertices)``; ``path`` receives the
    vertices as flat corner indices ``y * (width + 1) + x``, start first.
    """
    stride = cells.shape[1] + 1
    start = sy * stride + sx
    goal = gy * stride + gx
    opened = 2 * generation
    closed = opened + 1
    hk, hn = _heap_new()
    state[start] = opened
    g[start] = 0.0
    parent[start] = start
    size = _heap_push(hk, hn, 0, 0.0, start)
    expansions = 0
    while size > 0:
        n = hn[0]
        size = _heap_pop(hk, hn, size)
        if state[n] == closed:
            continue
        y = n // stride
        x = n - y * stride
        p = parent[n]
        if p != n:
            py = p // stride
            px_ = p - py * stride
            if not corner_visible(cells, px_, py, x, y):
                # The optimistic link fails: take the best expanded neighbour instead.
                best = np.inf
                best_parent = p
                for m in range(8):
                    mx, my = _unit_move(m)
                    vx = x - mx
                    vy = y - my
                    if vx < 0 or vy < 0 or vx >= stride or vy > cells.shape[0]:
                        continue
                    v = vy * stride + vx
                    if state[v] != closed or not _corner_move_ok(cells, vx, vy, mx, my, gx, gy):
                        continue
                    through = g[v] + (SQRT2 if mx != 0 and my != 0 else 1.0)
                    if through < best:
                        best = through
                        best_parent = v
                parent[n] = best_parent
                g[n] = best
        gn = g[n]
        state[n] = closed
        if n == goal:
            return FOUND, gn, expansions, _trace(parent, start, goal, path)
        expansions += 1
        if size + 8 > hn.shape[0]:
            hk, hn = _heap_reserve(hk, hn, size, 8)
        p = parent[n]
        py = p // stride
        px_ = p - py * stride
        for m in range(8):
            mx, my = _unit_move(m)
            if not _corner_move_ok(cells, x, y, mx, my, gx, gy):
                continue
            vx = x + mx
            vy = y + my
            v = vy * stride + vx
            sv = state[v]
            if sv == closed:
                continue
            candidate = g[p] + math.sqrt(float((vx - px_) ** 2 + (vy - py) ** 2))
            if sv != opened or candidate < g[v]:
                state[v] = opened
                g[v] = candidate
                parent[v] = p
                ddx = abs(vx - gx)
                ddy = abs(vy - gy)
                h = math.sqrt(float(ddx * ddx + ddy * ddy))
                size = _heap_push(hk, hn, size, candidate + h, v)
    return UNREACHABLE, np.inf, expansions, 0


@kernel
def _unit_move(m):
    if m == 0:
        return 1, 0
    if m == 1:
        return -1, 0
    if m == 2:
        return 0, 1
    if m == 3:
        return 0, -1
    if m == 4:
        return 1, 1
    if m == 5:
        return -1, 1
    if m == 6:
        return 1, -1
    return -1, -1


# ----------------------------------------------------------------------------- helpers


@inlined
def _decode_into(nodes, px, py, pad_z, cells):
    plane = px * py
    for index in range(nodes.shape[0]):
        n = np.int64(nodes[index])
        k = n // plane
        rest = n - k * plane
        j = rest // px
        cells[index, 0] = k - pad_z
        cells[index, 1] = j - 1
        cells[index, 2] = rest - j * px - 1


@inlined
def _waypoints_into(cells, origin_x, origin_y, cell_size, layers, points):
    length = 0.0
    for index in range(cells.shape[0]):
        points[index, 0] = origin_x + (cells[index, 2] + 0.5) * cell_size
        points[index, 1] = origin_y + (cells[index, 1] + 0.5) * cell_size
        points[index, 2] = layers[cells[index, 0]]
        if index > 0:
            dx = points[index, 0] - points[index - 1, 0]
            dy = points[index, 1] - points[index - 1, 1]
            dz = points[index, 2] - points[index - 1, 2]
            length += math.sqrt(dx * dx + dy * dy + dz * dz)
    return length


@kernel
def decode_nodes(nodes, px, py, pad_z):
    """``(n, 3)`` cells ``(k, j, i)`` of padded flat node indices."""
    cells = np.empty((nodes.shape[0], 3), np.int64)
    _decode_into(nodes, px, py, pad_z, cells)
    return cells


@kernel
def node_path(nodes, px, py, pad_z, origin_x, origin_y, cell_size, layers, cells, waypoints):
    """`decode_nodes` and `cell_waypoints` in one call, into ``cells`` and ``waypoints``
    (both ``(len(nodes), 3)``, made by the caller: cheaper than returning new arrays);
    returns the polyline's length in metres."""
    _decode_into(nodes, px, py, pad_z, cells)
    return _waypoints_into(cells, origin_x, origin_y, cell_size, layers, waypoints)


@kernel
def cell_waypoints(cells, origin_x, origin_y, cell_size, layers):
    """World centres ``(n, 3)`` of cells (metres; z = layer altitude) and the polyline length."""
    points = np.empty((cells.shape[0], 3), np.float64)
    return points, _waypoints_into(cells, origin_x, origin_y, cell_size, layers, points)
