"""Safe interval path planning (SIPP; Phillips & Likhachev, ICRA 2011) over a reservation
table.

A search state is a cell with one of its safe intervals (a maximal free interval of the
`ReservationTable`); its value is the earliest arrival time in that interval. Waiting is
allowed anywhere inside an interval, so the earliest arrival dominates every later one and
A* over these states (with a consistent heuristic) returns a plan that is optimal in arrival
time given the reservations.

Moves come from a move table: offsets ``(dz, dy, dx)`` with a duration in seconds each. A
move with more than one non-zero offset needs every cell of the box it spans free of static
obstacles (no corner cutting). Two occupancy rules:

- ``lead=False`` (the classic MAPF rules): an agent occupies a cell from its arrival until
  the end of the move out of it; reserve plans with `plan_occupancy` and `enter_s` equal to
  the arrival. Following another agent one step behind is allowed; a swap is forbidden by the
  table's move reservations.
- ``lead=True`` (the drone rules): during a move both cells are occupied, the destination
  from the departure on. Swaps and following too closely are excluded by the cell
  reservations alone. Diagonal moves sweep their corner cells; the separation footprint of
  the reservations (one cell or more) is what keeps them apart.

Status codes: `FOUND` (0), `NO_PATH` (1: the start time is not free, or no plan reaches the
goal), `LIMIT` (2: the expansion limit was reached first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numba
import numpy as np
from dronesim.planners._jit import inlined, kernel, parallel_kernel
from dronesim.planners.deconfliction.reservations import (
    DeconflictionError,
    ReservationTable,
    _safe_intervals,
)

FOUND = 0
NO_PATH = 1
LIMIT = 2
_WORKSPACE = -1  # internal: work arrays too small, grow and search again


class SippStatus(IntEnum):
    """Outcome of a SIPP search."""

    FOUND = FOUND
    NO_PATH = NO_PATH
    LIMIT = LIMIT


# --------------------------------------------------------------------------- kernels


@inlined
def _tie_key(f):
    """``f`` rounded to a microsecond: sums of move durations and heuristic values that
    are equal in exact arithmetic differ in the last bits, and would otherwise break the
    tie rule below into an arbitrary order (a breadth-first sweep of every equally short
    path: many times the expansions)."""
    return np.floor(f * 1e6 + 0.5) * 1e-6


@inlined
def _heap_less(heap_f, heap_g, i, j):
    # Ties on f go to the later arrival (deeper state): fewer states expanded.
    return heap_f[i] < heap_f[j] or (heap_f[i] == heap_f[j] and heap_g[i] > heap_g[j])


@inlined
def _heap_swap(heap_f, heap_g, heap_s, i, j):
    heap_f[i], heap_f[j] = heap_f[j], heap_f[i]
    heap_g[i], heap_g[j] = heap_g[j], heap_g[i]
    heap_s[i], heap_s[j] = heap_s[j], heap_s[i]


@inlined
def _heap_push(heap_f, heap_g, heap_s, size, f, g, s):
    i = size
    heap_f[i] = f
    heap_g[i] = g
    heap_s[i] = s
    while i > 0:
        parent = (i - 1) // 2
        if _heap_less(heap_f, heap_g, i, parent):
            _heap_swap(heap_f, heap_g, heap_s, i, parent)
            i = parent
        else:
            break
    return size + 1


@inlined
def _heap_pop(heap_f, heap_g, heap_s, size):
    size -= 1
    _heap_swap(heap_f, heap_g, heap_s, 0, size)
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        best = left
        if left + 1 < size and _heap_less(heap_f, heap_g, left + 1, left):
            best = left + 1
        if _heap_less(heap_f, heap_g, best, i):
            _heap_swap(heap_f, heap_g, heap_s, i, best)
            i = best
        else:
            break
    return size


@inlined
def _heap_grown(heap_f, heap_g, heap_s, used):
    """The heap's arrays at twice their size, the first ``used`` entries copied."""
    size = 2 * heap_f.shape[0]
    grown_f = np.empty(size, np.float64)
    grown_g = np.empty(size, np.float64)
    grown_s = np.empty(size, np.int64)
    grown_f[:used] = heap_f[:used]
    grown_g[:used] = heap_g[:used]
    grown_s[:used] = heap_s[:used]
    return grown_f, grown_g, grown_s


@inlined
def _move_free(blocked, nz, ny, nx, z, y, x, dz, dy, dx):
    """The destination and every cell of the box the move spans are inside and unblocked."""
    for a in range(2 if dz != 0 else 1):
        for b in range(2 if dy != 0 else 1):
            for e in range(2 if dx != 0 else 1):
                if a == 0 and b == 0 and e == 0:
                    continue
                zz = z + a * dz
                yy = y + b * dy
                xx = x + e * dx
                if zz < 0 or zz >= nz or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
                    return False
                if blocked[(zz * ny + yy) * nx + xx] != 0:
                    return False
    return True


@kernel
def _distance_field(blocked, nz, ny, nx, mdz, mdy, mdx, mdur, goals, out):
    """Dijkstra from the cells ``goals`` over the reversed move table: ``out[c]`` =
    seconds from ``c`` to the nearest goal in an empty sky (inf where unreachable)."""
    out[:] = np.inf
    n = nz * ny * nx
    if np.all(mdur == mdur[0]):
        # Equal durations: a breadth-first search gives the same field, several times faster.
        queue = np.empty(n + goals.shape[0], np.int64)
        write = 0
        for k in range(goals.shape[0]):
            if out[goals[k]] == np.inf:
                out[goals[k]] = 0.0
                queue[write] = goals[k]
                write += 1
        read = 0
        while read < write:
            c = queue[read]
            read += 1
            z = c // (ny * nx)
            y = (c // nx) % ny
            x = c % nx
            for m in range(mdz.shape[0]):
                if not _move_free(blocked, nz, ny, nx, z, y, x, -mdz[m], -mdy[m], -mdx[m]):
                    continue
                u = ((z - mdz[m]) * ny + (y - mdy[m])) * nx + (x - mdx[m])
                if out[u] == np.inf:
                    out[u] = out[c] + mdur[0]
                    queue[write] = u
                    write += 1
        return
    heap_f = np.empty(n + 16, np.float64)
    heap_g = np.zeros(n + 16, np.float64)
    heap_s = np.empty(n + 16, np.int64)
    size = 0
    for k in range(goals.shape[0]):
        if out[goals[k]] == np.inf:
            out[goals[k]] = 0.0
            size = _heap_push(heap_f, heap_g, heap_s, size, 0.0, 0.0, goals[k])
    while size > 0:
        d = heap_f[0]
        c = heap_s[0]
        size = _heap_pop(heap_f, heap_g, heap_s, size)
        if d > out[c]:
            continue
        z = c // (ny * nx)
        y = (c // nx) % ny
        x = c % nx
        for m in range(mdz.shape[0]):
            # A move u -> c with offset (dz, dy, dx) starts at u = c - offset.
            dz = -mdz[m]
            dy = -mdy[m]
            dx = -mdx[m]
            if not _move_free(blocked, nz, ny, nx, z, y, x, dz, dy, dx):
                continue
            u = ((z + dz) * ny + (y + dy)) * nx + (x + dx)
            nd = d + mdur[m]
            if nd < out[u]:
                out[u] = nd
                if size == heap_f.shape[0]:
                    # Lazy deletion may hold a cell several times: grow the heap.
                    heap_f, heap_g, heap_s = _heap_grown(heap_f, heap_g, heap_s, size)
                size = _heap_push(heap_f, heap_g, heap_s, size, nd, 0.0, u)


@parallel_kernel
def _distance_fields(blocked, ny, nx, mdz, mdy, mdx, mdur, anchors, first, out):
    """`_distance_field` on a one-layer grid for several groups of anchors at once, one
    group per row of ``out``: group ``g`` is ``anchors[first[g]:first[g + 1]]``, opened in
    its own copy of ``blocked``. Each row is computed alone, so it is the same on any
    number of threads."""
    for g in numba.prange(out.shape[0]):
        own = blocked.copy()
        group = anchors[first[g] : first[g + 1]]
        for k in range(group.shape[0]):
            own[group[k]] = 0
        _distance_field(own, 1, ny, nx, mdz, mdy, mdx, mdur, group, out[g])


@inlined
def _octile_s(dy, dx, straight_s, diagonal_s):
    """Seconds of the obstacle-free 8-connected path over ``dy`` rows and ``dx`` columns."""
    short = min(dy, dx)
    return (max(dy, dx) - short) * straight_s + short * diagonal_s


@inlined
def _guide(v, mode, h, plane, nx, gi, gf, h2, h2_stamp):
    """Seconds-to-goal lower bound of cell ``v`` (see `LayeredHeuristic`): ``h[v]`` (mode
    0), or the larger of a per-column bound and the vertical time to the goal's layer."""
    if mode == 0:
        return h[v]
    z = v // plane
    p = v - z * plane
    y = p // nx
    x = p - y * nx
    gz = gi[0]
    layers = abs(z - gz)
    vertical = layers * gf[5] if z > gz else layers * gf[4]
    if mode == 1:
        flat = h2[p] - gf[0]
        if flat < 0.0:
            flat = 0.0
    elif h2_stamp[p] == gi[5]:
        flat = h2[p]
    else:
        b = _octile_s(abs(y - gi[1]), abs(x - gi[2]), gf[2], gf[3])
        k = _octile_s(abs(y - gi[3]), abs(x - gi[4]), gf[2], gf[3])
        flat = max(b, gf[1] - k)
    if gf[6] > 0.0:
        # Each layer change carries at most one horizontal step (``gf[6]`` seconds of it),
        # except into and out of a goal layer entered only vertically (``gi[6]``).
        if gi[6] == 0:
            return vertical + max(0.0, flat - layers * gf[6])
        if layers > 0:
            return vertical + max(0.0, flat - (layers - 1) * gf[6])
        return 0.0 if flat == 0.0 else gf[4] + gf[5] + flat
    return max(flat, vertical)


@kernel
def _guide_at(v, mode, h, plane, nx, gi, gf, h2, h2_stamp):
    """`_guide` for Python callers (a few cells per search)."""
    return _guide(v, mode, h, plane, nx, gi, gf, h2, h2_stamp)


@inlined
def _plane_neighbour(blocked2, ny, nx, y, x, dy, dx, straight_s, diagonal_s):
    """Column and seconds of the plane move ``(dy, dx)`` from ``(y, x)`` (no corner
    cutting); ``(-1, 0.0)`` when the move is not free."""
    if (dy == 0 and dx == 0) or not _move_free(blocked2, 1, ny, nx, 0, y, x, 0, dy, dx):
        return -1, 0.0
    return (y + dy) * nx + (x + dx), (diagonal_s if dy != 0 and dx != 0 else straight_s)


@kernel
def _reverse_plane(blocked2, ny, nx, goal, start, slack_s, straight_s, diagonal_s, g, g_stamp,
                   closed, stamp):  # fmt: skip
    """A* over one plane from ``goal`` towards ``start`` (Silver's reverse A*, AIIDE 2005),
    run until ``slack_s`` past closing the start. Every column closed (``closed[p] ==
    stamp``) gets its exact seconds to the goal in ``g``; returns ``F``, the priority the
    search stopped at: every column with ``d(p) + k(p) < F`` is closed (``k`` the octile
    time from the start), so ``max(b(p), F - k(p))`` bounds the others (``b`` the octile
    time to the goal; inf when the start is unreachable)."""
    gy = goal // nx
    gx = goal % nx
    sy = start // nx
    sx = start % nx
    heap_f = np.empty(4096, np.float64)
    heap_g = np.empty(4096, np.float64)
    heap_s = np.empty(4096, np.int64)
    g[goal] = 0.0
    g_stamp[goal] = stamp
    f0 = _octile_s(abs(gy - sy), abs(gx - sx), straight_s, diagonal_s)
    used = _heap_push(heap_f, heap_g, heap_s, 0, f0, 0.0, goal)
    limit = np.inf
    while used > 0:
        f = heap_f[0]
        c = heap_s[0]
        used = _heap_pop(heap_f, heap_g, heap_s, used)
        if closed[c] == stamp:
            continue
        if f > limit:
            return f
        closed[c] = stamp
        if c == start:
            limit = f + slack_s
        y = c // nx
        x = c % nx
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                u, step = _plane_neighbour(blocked2, ny, nx, y, x, dy, dx, straight_s, diagonal_s)
                if u < 0 or closed[u] == stamp:
                    continue
                du = g[c] + step
                if g_stamp[u] == stamp and du >= g[u]:
                    continue
                g[u] = du
                g_stamp[u] = stamp
                if used == heap_f.shape[0]:
                    heap_f, heap_g, heap_s = _heap_grown(heap_f, heap_g, heap_s, used)
                k = _octile_s(abs(u // nx - sy), abs(u % nx - sx), straight_s, diagonal_s)
                used = _heap_push(heap_f, heap_g, heap_s, used, du + k, du, u)
    return limit


@inlined
def _goal_window(t, win_lo, win_hi):
    """The earliest time ``>= t`` inside one of the goal's arrival windows ``[win_lo[k],
    win_hi[k])`` (sorted, disjoint); inf when none. Arrival at the goal is only possible
    inside them, so this lifts a state's ``arrival + heuristic`` bound to the next window:
    still a lower bound of the arrival through the state, and non-decreasing along paths
    (so A* stays optimal), but a congested goal no longer makes the search expand every
    state that would arrive while the goal is taken."""
    lo = 0
    hi = win_hi.shape[0]
    while lo < hi:  # first window ending after t
        mid = (lo + hi) // 2
        if win_hi[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    if lo == win_hi.shape[0]:
        return np.inf
    return max(t, win_lo[lo])


@inlined
def _touch(head, start_s, end_s, next_slot, cell, stamp, cell_stamp, cell_base, cell_count,
           pool_used, st_lo, st_hi, st_g, st_enter, st_parent, st_cell, st_closed, lo_buf, hi_buf,
           seg, apart_m, q_cells, q_seg):  # fmt: skip
    """Give ``cell``'s safe intervals state slots in this search; returns the new pool size
    or -1 when the pool is full. A cell listed in ``q_cells`` is queried with its segment
    (the row of ``q_seg``: where the drone stays in it), the others with none."""
    if cell_stamp[cell] == stamp:
        return pool_used
    query = q_seg[0]  # row 0: no segment (NaN)
    for k in range(1, q_cells.shape[0]):
        if q_cells[k] == cell:
            query = q_seg[k]
    n = _safe_intervals(head, start_s, end_s, next_slot, cell, lo_buf, hi_buf, seg, query, apart_m)
    if pool_used + n > st_lo.shape[0]:
        return -1
    for k in range(n):
        s = pool_used + k
        st_lo[s] = lo_buf[k]
        st_hi[s] = hi_buf[k]
        st_g[s] = np.inf
        st_enter[s] = np.inf
        st_parent[s] = -1
        st_cell[s] = cell
        st_closed[s] = 0
    cell_stamp[cell] = stamp
    cell_base[cell] = pool_used
    cell_count[cell] = n
    return pool_used + n


@kernel
def _sipp_kernel(
    head, start_s, end_s, other, next_slot, move_head,
    blocked, nz, ny, nx, mdz, mdy, mdx, mdur, lead,
    mode, h, gi, gf, h2, h2_stamp, win_lo, win_hi, f_limit, start_cells, start_times,
    goal_mark, low_vertical, goal_hold_s, max_expansions, seg, apart_m, q_cells, q_seg,
    stamp, cell_stamp, cell_base, cell_count,
    st_lo, st_hi, st_g, st_enter, st_parent, st_cell, st_closed,
    heap_f, heap_g, heap_s, lo_buf, hi_buf,
    out_cell, out_arrive, out_enter,
):  # fmt: skip
    """SIPP from the earliest of the starts ``(start_cells[k], start_times[k])`` to any
    goal cell (``goal_mark[c] == stamp``); returns ``(status, path length, expansions)``.
    The path is written to ``out_*`` (cells, arrival and entry seconds), its first cell
    being the start it leaves from. States are popped by their arrival bound
    (`_goal_window` of arrival plus heuristic), ties to the state nearest the goal (the
    heap's second key is minus the heuristic). States whose arrival plus heuristic exceeds
    ``f_limit`` are not opened. With ``low_vertical``, layer 0 is left and entered only
    vertically (a drone's low column: no flight across at the hand-over height)."""
    plane = ny * nx
    pool = 0
    size = 0
    for k in range(start_cells.shape[0]):
        c0 = start_cells[k]
        t0 = start_times[k]
        pool = _touch(head, start_s, end_s, next_slot, c0, stamp, cell_stamp, cell_base,
                      cell_count, pool, st_lo, st_hi, st_g, st_enter, st_parent, st_cell,
                      st_closed, lo_buf, hi_buf, seg, apart_m, q_cells, q_seg)  # fmt: skip
        if pool < 0:
            return _WORKSPACE, 0, 0
        first = -1
        for j in range(cell_base[c0], cell_base[c0] + cell_count[c0]):
            if st_lo[j] <= t0 < st_hi[j]:
                first = j
        h_start = _guide(c0, mode, h, plane, nx, gi, gf, h2, h2_stamp)
        f_start = _goal_window(t0 + h_start, win_lo, win_hi)
        if first < 0 or not (f_start < np.inf) or f_start > f_limit or not (t0 < st_g[first]):
            continue
        if size >= heap_f.shape[0]:
            return _WORKSPACE, 0, 0
        st_g[first] = t0
        st_enter[first] = t0
        size = _heap_push(heap_f, heap_g, heap_s, size, _tie_key(f_start), -h_start, first)
    if size == 0:
        return NO_PATH, 0, 0
    expansions = 0
    found = -1
    while size > 0:
        s = heap_s[0]
        size = _heap_pop(heap_f, heap_g, heap_s, size)
        if st_closed[s] != 0:
            continue  # expanded already (an older entry of a reopened state)
        g = st_g[s]
        st_closed[s] = 1
        c = st_cell[s]
        if goal_mark[c] == stamp and st_hi[s] - g >= goal_hold_s:
            found = s
            break
        if expansions >= max_expansions:
            return LIMIT, 0, expansions
        expansions += 1
        hi_i = st_hi[s]
        z = c // (ny * nx)
        y = (c // nx) % ny
        x = c % nx
        for m in range(mdz.shape[0]):
            if low_vertical and (z == 0 or z + mdz[m] == 0) and (mdy[m] != 0 or mdx[m] != 0):
                continue
            if not _move_free(blocked, nz, ny, nx, z, y, x, mdz[m], mdy[m], mdx[m]):
                continue
            v = ((z + mdz[m]) * ny + (y + mdy[m])) * nx + (x + mdx[m])
            h_v = _guide(v, mode, h, plane, nx, gi, gf, h2, h2_stamp)
            if not (h_v < np.inf) or g + mdur[m] + h_v > f_limit:
                continue
            d = mdur[m]
            lead_s = d if lead else 0.0
            pool = _touch(head, start_s, end_s, next_slot, v, stamp, cell_stamp, cell_base,
                          cell_count, pool, st_lo, st_hi, st_g, st_enter, st_parent, st_cell,
                          st_closed, lo_buf, hi_buf, seg, apart_m, q_cells, q_seg)  # fmt: skip
            if pool < 0:
                return _WORKSPACE, 0, expansions
            for j in range(cell_base[v], cell_base[v] + cell_count[v]):
                # Depart as early as both cells allow: the origin stays occupied until
                # the move ends, the destination from ``lead_s`` before the arrival.
                td = max(g, st_lo[j] - d + lead_s)
                if td + d > hi_i:
                    break
                if td + d >= st_hi[j]:
                    continue
                # A reserved move v -> c departing at td would be a swap: wait it out.
                slot = move_head[c]
                while slot >= 0:
                    if other[slot] == v and start_s[slot] <= td < end_s[slot]:
                        td = end_s[slot]
                    slot = next_slot[slot]
                if td + d > hi_i:
                    break
                if td + d >= st_hi[j]:
                    continue
                arrival = td + d
                f_new = _goal_window(arrival + h_v, win_lo, win_hi)
                if f_new > f_limit:
                    break
                if arrival < st_g[j]:
                    # The window bound and the tie rule (later arrival first) can close a
                    # state before its earliest arrival is known: reopen it (A* with
                    # reopening stays optimal under an admissible bound).
                    st_closed[j] = 0
                    if size >= heap_f.shape[0]:
                        return _WORKSPACE, 0, expansions
                    st_g[j] = arrival
                    st_enter[j] = arrival - lead_s
                    st_parent[j] = s
                    size = _heap_push(heap_f, heap_g, heap_s, size, _tie_key(f_new), -h_v, j)
    if found < 0:
        return NO_PATH, 0, expansions
    n = 0
    s = found
    while s >= 0:
        n += 1
        s = st_parent[s]
    if n > out_cell.shape[0]:
        return _WORKSPACE, 0, expansions
    s = found
    for k in range(n - 1, -1, -1):
        out_cell[k] = st_cell[s]
        out_arrive[k] = st_g[s]
        out_enter[k] = st_enter[s]
        s = st_parent[s]
    return FOUND, n, expansions


# --------------------------------------------------------------------------- API


@dataclass(frozen=True)
class MoveTable:
    """Moves of a grid search: offsets in cells and durations in seconds.

    Attributes
    ----------
    offsets : numpy.ndarray
        ``int64 (m, 3)``: ``(dz, dy, dx)`` per move (``dz = 0`` on 2D grids).
    duration_s : numpy.ndarray
        ``float64 (m,)``: seconds per move, > 0.
    lead : bool
        Occupancy rule: False for the MAPF rules, True for the drone rules (see module).
    """

    offsets: np.ndarray
    duration_s: np.ndarray
    lead: bool

    def __post_init__(self):
        offsets = np.asarray(self.offsets, np.int64).reshape(-1, 3)
        duration = np.asarray(self.duration_s, np.float64).reshape(-1)
        if offsets.shape[0] != duration.shape[0] or offsets.shape[0] == 0:
            raise DeconflictionError("move table: one duration per offset, at least one move")
        if not np.all(np.isfinite(duration)) or np.any(duration <= 0):
            raise DeconflictionError(
                f"move table: durations must be finite and > 0, got {duration.tolist()}"
            )
        if np.any(np.all(offsets == 0, axis=1)) or np.any(np.abs(offsets) > 1):
            raise DeconflictionError("move table: offsets must be in -1..1 and not all zero")
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "duration_s", duration)


def mapf_moves() -> MoveTable:
    """The classic MAPF moves: 4-connected, one time unit each, MAPF occupancy rules."""
    offsets = [(0, -1, 0), (0, 0, 1), (0, 1, 0), (0, 0, -1)]
    return MoveTable(np.array(offsets), np.ones(4), lead=False)


def drone_moves(
    ndim: int,
    *,
    horizontal_s: float,
    diagonal_s: float | None = None,
    climb_s: float | None = None,
    descent_s: float | None = None,
    connectivity: int | None = None,
) -> MoveTable:
    """Drone moves with the drone occupancy rules.

    Parameters
    ----------
    ndim : int
        2 (8-connected, or 4 with ``connectivity=4``) or 3 (26-connected, or 6).
    horizontal_s : float
        Seconds per straight horizontal move (cell size / cruise speed).
    diagonal_s : float, optional
        Seconds per diagonal horizontal move (default ``horizontal_s * sqrt(2)``).
    climb_s, descent_s : float
        Seconds per layer up / down (layer spacing / climb or descent rate); required in 3D.
        A move that changes layer and position takes the longer of the two times (the
        drone climbs while it flies).
    connectivity : int, optional
        4 or 8 in 2D, 6 or 26 in 3D (default 8 / 26).
    """
    diagonal_s = horizontal_s * math.sqrt(2.0) if diagonal_s is None else diagonal_s
    for name, value in (("horizontal_s", horizontal_s), ("diagonal_s", diagonal_s)):
        if not (math.isfinite(value) and value > 0):
            raise DeconflictionError(f"drone moves: {name} must be finite and > 0, got {value!r}")
    if ndim == 2:
        connectivity = 8 if connectivity is None else connectivity
        if connectivity not in (4, 8):
            raise DeconflictionError(
                f"drone moves: 2D connectivity must be 4 or 8, got {connectivity!r}"
            )
        layers = [0]
    elif ndim == 3:
        connectivity = 26 if connectivity is None else connectivity
        if connectivity not in (6, 26):
            raise DeconflictionError(
                f"drone moves: 3D connectivity must be 6 or 26, got {connectivity!r}"
            )
        for name, value in (("climb_s", climb_s), ("descent_s", descent_s)):
            if value is None or not (math.isfinite(value) and value > 0):
                raise DeconflictionError(
                    f"drone moves: {name} must be finite and > 0, got {value!r}"
                )
        layers = [-1, 0, 1]
    else:
        raise DeconflictionError(f"drone moves: ndim must be 2 or 3, got {ndim!r}")
    offsets, durations = [], []
    for dz in layers:
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dz == dy == dx == 0:
                    continue
                if connectivity in (4, 6) and abs(dz) + abs(dy) + abs(dx) != 1:
                    continue
                flat = 0.0 if dy == dx == 0 else (diagonal_s if dy and dx else horizontal_s)
                vertical = 0.0 if dz == 0 else (climb_s if dz > 0 else descent_s)
                offsets.append((dz, dy, dx))
                durations.append(max(flat, vertical))
    return MoveTable(np.array(offsets), np.array(durations), lead=True)


@dataclass(frozen=True)
class SippResult:
    """A SIPP plan.

    Attributes
    ----------
    status : SippStatus
    cells : numpy.ndarray
        ``int64 (n,)`` flat cell indices (row-major over the grid shape), start first.
    arrive_s : numpy.ndarray
        Arrival time at each cell in seconds (the first is the start time); the plan waits
        in ``cells[k]`` until ``arrive_s[k + 1] - duration of the move``.
    enter_s : numpy.ndarray
        When each cell starts being occupied (= ``arrive_s`` under the MAPF rules, the
        departure from the previous cell under the drone rules).
    expansions : int
        States expanded.
    """

    status: SippStatus
    cells: np.ndarray
    arrive_s: np.ndarray
    enter_s: np.ndarray
    expansions: int

    @property
    def arrival_s(self) -> float:
        """Arrival time at the goal in seconds (inf without a plan)."""
        return float(self.arrive_s[-1]) if self.status == SippStatus.FOUND else math.inf


@dataclass(frozen=True)
class LayeredHeuristic:
    """A seconds-to-goal lower bound for 3D drone searches, stored per column.

    The bound of cell ``(z, y, x)``, ``n = |z - goal layer|`` layers away, combines a
    per-column horizontal bound ``H`` with the vertical time ``V`` (``up_s``/``down_s`` per
    layer). A move takes the longer of its horizontal and vertical times, so a layer change
    carries at most one horizontal step (at most ``diagonal_s`` of ``H``):
    ``V + max(0, H - n * diagonal_s)`` is a lower bound, and it is consistent when a layer
    change takes at least ``diagonal_s`` (moves away from the goal's layer gain at most
    ``diagonal_s`` of ``H`` back); otherwise the bound is ``max(H, V)``. When the goal's
    layer is closed to horizontal moves (``vertical_ends``: a drone's low column, left and
    entered vertically), the last layer change carries no horizontal step:
    ``V + max(0, H - (n - 1) * diagonal_s)``, and ``up_s + down_s + H`` in that layer away
    from the goal's column. The horizontal
    bound comes from a search over the columns blocked in every layer (a relaxation of the
    3D grid):

    - ``mode=1`` (a field): ``max(0, plane[p] - shift_s)``; with ``plane`` the exact
      seconds to an *anchor* column and ``shift_s`` the anchor's seconds to the goal, this
      is a triangle-inequality bound to any goal near the anchor (exact for the anchor);
    - ``mode=2`` (a reverse search, `reverse_search`): ``plane[p]`` where
      ``stamp[p] == valid`` (exact), elsewhere ``max(b(p), bound_s - k(p))`` with ``b``
      and ``k`` the octile times to the goal and from ``start``; ``bound_s = -inf`` and no
      valid column give the octile bound alone.

    Build with `SippPlanner.field_heuristic`, `SippPlanner.reverse_heuristic` or
    `SippPlanner.octile_heuristic`.
    """

    mode: int
    plane: np.ndarray
    stamp: np.ndarray
    ints: np.ndarray  # goal layer, row, column; start row, column; valid; vertical ends
    floats: np.ndarray  # shift_s, bound_s, straight_s, diagonal_s, up_s, down_s, allowance_s


class SippPlanner:
    """SIPP over a static grid and a `ReservationTable` of the same shape.

    Parameters
    ----------
    blocked : numpy.ndarray
        2D ``(rows, columns)`` or 3D ``(layers, rows, columns)``; non-zero = static obstacle.
    moves : MoveTable
        `mapf_moves()` or `drone_moves(...)` (2D tables use ``dz = 0``).
    """

    def __init__(self, blocked: np.ndarray, moves: MoveTable) -> None:
        blocked = np.asarray(blocked)
        if blocked.ndim not in (2, 3) or blocked.size == 0:
            raise DeconflictionError(
                f"SIPP: blocked must be a non-empty 2D or 3D array, got {blocked.shape}"
            )
        if blocked.ndim == 2 and np.any(moves.offsets[:, 0] != 0):
            raise DeconflictionError("SIPP: a 2D grid takes moves with dz = 0")
        self.shape = blocked.shape
        self.dims = (1, *blocked.shape) if blocked.ndim == 2 else blocked.shape
        self.blocked = np.ascontiguousarray(blocked != 0, np.uint8).reshape(-1)
        self.moves = moves
        self._mdz = np.ascontiguousarray(moves.offsets[:, 0])
        self._mdy = np.ascontiguousarray(moves.offsets[:, 1])
        self._mdx = np.ascontiguousarray(moves.offsets[:, 2])
        n = self.blocked.size
        self._cell_stamp = np.zeros(n, np.int64)
        self._cell_base = np.zeros(n, np.int64)
        self._cell_count = np.zeros(n, np.int64)
        self._goal_mark = np.zeros(n, np.int64)  # == the search's stamp: a goal cell
        self._stamp = 0
        self._allocate(max(1024, n // 4))
        empty_i = np.zeros(6, np.int64)
        self._array_heuristic = LayeredHeuristic(
            0, np.zeros(1), np.zeros(1, np.int64), empty_i, np.zeros(6)
        )

    def _allocate(self, states: int) -> None:
        self._st_lo = np.empty(states, np.float64)
        self._st_hi = np.empty(states, np.float64)
        self._st_g = np.empty(states, np.float64)
        self._st_enter = np.empty(states, np.float64)
        self._st_parent = np.empty(states, np.int64)
        self._st_cell = np.empty(states, np.int64)
        self._st_closed = np.empty(states, np.uint8)
        heap = 4 * states
        self._heap_f = np.empty(heap, np.float64)
        self._heap_g = np.empty(heap, np.float64)
        self._heap_s = np.empty(heap, np.int64)
        self._out_cell = np.empty(states, np.int64)
        self._out_arrive = np.empty(states, np.float64)
        self._out_enter = np.empty(states, np.float64)

    def cell_index(self, cell) -> int:
        """Flat index of a cell given as coordinates (``(row, col)`` or ``(layer, row, col)``)
        or as a flat index."""
        if isinstance(cell, (int, np.integer)) and 0 <= cell < self.blocked.size:
            return int(cell)  # the hot path
        if np.ndim(cell) == 0:
            index = int(cell)
            if not 0 <= index < self.blocked.size:
                raise DeconflictionError(
                    f"SIPP: cell index {index} outside 0..{self.blocked.size - 1}"
                )
            return index
        cell = tuple(int(v) for v in cell)
        if len(cell) != len(self.shape) or any(not 0 <= v < n for v, n in zip(cell, self.shape)):
            raise DeconflictionError(f"SIPP: cell {cell} outside the grid {self.shape}")
        return int(np.ravel_multi_index(cell, self.shape))

    def distance_field(self, goal, *more) -> np.ndarray:
        """Seconds from every cell to ``goal`` (or the nearest of ``goal`` and ``more``
        cells) in an empty sky (flat ``float64``; inf where unreachable): the exact
        heuristic for `plan`."""
        out = np.empty(self.blocked.size, np.float64)
        nz, ny, nx = self.dims
        goals = np.array([self.cell_index(g) for g in (goal, *more)], np.int64)
        _distance_field(self.blocked, nz, ny, nx, self._mdz, self._mdy, self._mdx,
                        self.moves.duration_s, goals, out)  # fmt: skip
        return out

    # -- layered heuristics (3D drone grids) ------------------------------------------
    def _plane_blocked(self) -> np.ndarray:
        """Columns blocked in every layer (cached; the grid's blocked cells are fixed)."""
        cached = getattr(self, "_plane_cache", None)
        if cached is None:
            nz, ny, nx = self.dims
            cached = np.ascontiguousarray(
                self.blocked.reshape(nz, ny, nx).min(axis=0).reshape(-1), np.uint8
            )
            self._plane_cache = cached
            self._plane_g = np.empty(ny * nx, np.float64)
            self._plane_g_stamp = np.zeros(ny * nx, np.int64)
            self._plane_closed = np.zeros(ny * nx, np.int64)
            self._plane_stamp = 0
        return cached

    def _move_seconds(self) -> tuple[float, float, float, float]:
        """Seconds of a straight and a diagonal horizontal move, one layer up and down
        (the move table is fixed: computed once)."""
        cached = getattr(self, "_move_seconds_cache", None)
        if cached is not None:
            return cached
        offsets, seconds = self.moves.offsets, self.moves.duration_s
        flat = offsets[:, 0] == 0
        steps = np.abs(offsets[:, 1:]).sum(axis=1)
        vertical = steps == 0
        straight = float(seconds[flat & (steps == 1)].min())
        diagonal = seconds[flat & (steps == 2)]
        self._move_seconds_cache = (
            straight,
            float(diagonal.min()) if diagonal.size else 2.0 * straight,
            float(seconds[vertical & (offsets[:, 0] > 0)].min()),
            float(seconds[vertical & (offsets[:, 0] < 0)].min()),
        )
        return self._move_seconds_cache

    def _layered(self, mode, plane, goal, start_col, valid, shift_s, bound_s, vertical_ends):
        nz, ny, nx = self.dims
        gz, rest = divmod(int(goal), ny * nx)
        sy, sx = divmod(int(start_col), nx)
        ints = np.array([gz, rest // nx, rest % nx, sy, sx, valid, vertical_ends], np.int64)
        straight, diagonal, up, down = self._move_seconds()
        # The additive bound is consistent when a layer change takes at least as long as
        # the horizontal step it may carry (see `LayeredHeuristic`); else the maximum.
        allowance = diagonal if diagonal <= min(up, down) else 0.0
        floats = np.array([shift_s, bound_s, straight, diagonal, up, down, allowance])
        return LayeredHeuristic(mode, plane, self._plane_closed, ints, floats)

    def plane_field(self, anchor_column) -> np.ndarray:
        """Seconds from every column to the nearest of ``anchor_column`` (one flat ``row *
        nx + col`` or a sequence of them) over the columns blocked in every layer (inf where
        unreachable); 3D drone grids only."""
        return self.plane_fields([anchor_column])[0]

    def plane_fields(self, anchor_groups) -> list[np.ndarray]:
        """`plane_field` of each group of anchor columns (a sequence of sequences of flat
        ``row * nx + col``), computed side by side on the cores: e.g. every depot's pads
        at set-up. The plane is a one-layer grid of 8-connected moves."""
        groups = [np.atleast_1d(np.asarray(g, np.int64)) for g in anchor_groups]
        if not groups:
            return []
        blocked2 = self._plane_blocked()
        nz, ny, nx = self.dims
        for group in groups:  # the kernel indexes with them unchecked
            if group.size == 0 or group.min() < 0 or group.max() >= ny * nx:
                raise DeconflictionError(
                    f"SIPP: anchor columns {group.tolist()} must be 0..{ny * nx - 1}, at least one"
                )
        straight, diagonal, _, _ = self._move_seconds()
        flat = drone_moves(2, horizontal_s=straight, diagonal_s=diagonal)
        offsets = np.ascontiguousarray(flat.offsets.T)
        first = np.cumsum([0, *(len(g) for g in groups)]).astype(np.int64)
        out = np.empty((len(groups), ny * nx), np.float64)
        _distance_fields(blocked2, ny, nx, offsets[0], offsets[1], offsets[2], flat.duration_s,
                         np.concatenate(groups), first, out)  # fmt: skip
        return list(out)

    def field_heuristic(
        self, goal, field: np.ndarray, shift_s: float = 0.0, *, vertical_ends: bool = False
    ) -> LayeredHeuristic:
        """A `LayeredHeuristic` to ``goal`` from an anchor's `plane_field`, ``shift_s`` being
        the field's value at the goal's column (0 when the goal is the anchor).
        ``vertical_ends``: the goal's layer is closed to horizontal moves (a drone's low
        column: the start and the goal are left and reached vertically)."""
        goal = self.cell_index(goal)
        self._plane_blocked()
        return self._layered(1, field, goal, 0, -1, float(shift_s), 0.0, vertical_ends)

    def reverse_heuristic(
        self, goal, start, slack_s: float = 0.0, *, vertical_ends: bool = False
    ) -> LayeredHeuristic:
        """A `LayeredHeuristic` to ``goal`` from a reverse A* over the columns towards
        ``start``'s column, run ``slack_s`` seconds past closing it (``vertical_ends``: see
        `field_heuristic`). Valid until the next call of this method."""
        goal = self.cell_index(goal)
        start = self.cell_index(start)
        blocked2 = self._plane_blocked()
        nz, ny, nx = self.dims
        plane = ny * nx
        self._plane_stamp += 1
        stamp = self._plane_stamp
        h = self._layered(2, self._plane_g, goal, start % plane, stamp, 0.0, 0.0, vertical_ends)
        goal_col = goal % plane
        was = blocked2[goal_col]
        blocked2[goal_col] = 0
        try:
            bound = _reverse_plane(blocked2, ny, nx, goal_col, start % plane, float(slack_s),
                                   h.floats[2], h.floats[3], self._plane_g, self._plane_g_stamp,
                                   self._plane_closed, stamp)  # fmt: skip
        finally:
            blocked2[goal_col] = was
        h.floats[1] = bound
        return h

    def octile_heuristic(self, goal, *, vertical_ends: bool = False) -> LayeredHeuristic:
        """The obstacle-free `LayeredHeuristic` to ``goal`` (``vertical_ends``: see
        `field_heuristic`)."""
        goal = self.cell_index(goal)
        self._plane_blocked()
        return self._layered(2, self._plane_g, goal, 0, -1, 0.0, -math.inf, vertical_ends)

    def heuristic_at(self, heuristic, cell: int) -> float:
        """A heuristic's value at one flat cell (an array or a `LayeredHeuristic`)."""
        if not isinstance(heuristic, LayeredHeuristic):
            return float(heuristic[cell])
        nz, ny, nx = self.dims
        return float(_guide_at(int(cell), heuristic.mode, heuristic.plane, ny * nx, nx,
                               heuristic.ints, heuristic.floats, heuristic.plane, heuristic.stamp))  # fmt: skip

    def plan(
        self,
        table: ReservationTable,
        start,
        goal,
        *,
        t0_s: float = 0.0,
        heuristic: np.ndarray | LayeredHeuristic | None = None,
        goal_hold_s: float = math.inf,
        max_expansions: int = 1_000_000,
        arrive_by_s: float = math.inf,
    ) -> SippResult:
        """Plan from ``start`` at ``t0_s`` to ``goal``, earliest arrival given ``table``.

        Parameters
        ----------
        table : ReservationTable
            Reservations to avoid (same shape as the grid).
        start, goal : cell
            Coordinates or flat indices; must be free of static obstacles.
        t0_s : float
            Start time in seconds; the start cell must be free at that time.
        heuristic : numpy.ndarray or LayeredHeuristic, optional
            Flat seconds-to-goal per cell, admissible and consistent (e.g.
            `distance_field`), or a `LayeredHeuristic` on a 3D grid; zeros when omitted
            (Dijkstra order). Inf cells are skipped.
        goal_hold_s : float
            The goal must stay free this long after the arrival (inf: for ever, as a MAPF
            agent parked at its goal, or a drone landed on its pad).
        max_expansions : int
            Give up with `SippStatus.LIMIT` after this many expansions.
        arrive_by_s : float
            Only plans arriving by this time, seconds (`SippStatus.NO_PATH` otherwise);
            states that cannot make it are pruned, so a tight bound searches less.
        """
        return self.plan_many(
            table, [(start, t0_s)], [goal], heuristic=heuristic, goal_hold_s=goal_hold_s,
            max_expansions=max_expansions, arrive_by_s=arrive_by_s,
        )  # fmt: skip

    def plan_many(
        self,
        table: ReservationTable,
        starts,
        goals,
        *,
        heuristic: np.ndarray | LayeredHeuristic | None = None,
        goal_hold_s: float = math.inf,
        max_expansions: int = 1_000_000,
        arrive_by_s: float = math.inf,
        low_vertical: bool = False,
        segments=None,
    ) -> SippResult:
        """`plan` from several starts to several goals: the earliest arrival at any goal,
        leaving from any start (the result's first cell and time say which).

        Parameters
        ----------
        table : ReservationTable
        starts : sequence of (cell, float)
            Start cells (coordinates or flat indices) with their start times in seconds;
            a start whose cell is not free at its time is skipped.
        goals : sequence of cell
            Goal cells; each must stay free ``goal_hold_s`` after the arrival.
        heuristic : numpy.ndarray or LayeredHeuristic, optional
            A lower bound of the seconds to the nearest goal (see `plan`).
        goal_hold_s, max_expansions, arrive_by_s
            As in `plan`.
        low_vertical : bool
            Layer 0 is left and entered only vertically (3D drone grids: the low columns
            of stops, which the drone never crosses at the hand-over height).
        segments : dict, optional
            Cell -> ``(x0, y0, x1, y1)`` metres: while in that cell the drone stays on
            that segment, so the table's reservations holding a segment far enough from
            it do not count there (`ReservationTable.safe_intervals`).
        """
        if table.shape != self.shape:
            raise DeconflictionError(
                f"SIPP: table shape {table.shape} differs from grid {self.shape}"
            )
        starts = [(self.cell_index(cell), float(t)) for cell, t in starts]
        goals = [self.cell_index(cell) for cell in goals]
        if not starts or not goals:
            raise DeconflictionError("SIPP: at least one start and one goal are needed")
        for _, t in starts:
            if not math.isfinite(t):
                raise DeconflictionError(f"SIPP: t0_s must be finite, got {t!r}")
        if math.isnan(goal_hold_s) or goal_hold_s < 0:
            raise DeconflictionError(f"SIPP: goal_hold_s must be >= 0, got {goal_hold_s!r}")
        if max_expansions < 1:
            raise DeconflictionError(f"SIPP: max_expansions must be >= 1, got {max_expansions!r}")
        for name, cells in (("start", [c for c, _ in starts]), ("goal", goals)):
            for cell in cells:
                if self.blocked[cell]:
                    raise DeconflictionError(
                        f"SIPP: {name} cell {np.unravel_index(cell, self.shape)} is blocked"
                    )
        if math.isnan(arrive_by_s):
            raise DeconflictionError("SIPP: arrive_by_s must not be NaN")
        if heuristic is None:
            heuristic = np.zeros(self.blocked.size, np.float64)
        if isinstance(heuristic, LayeredHeuristic):
            layered = heuristic
            heuristic = layered.plane  # unused by the kernel in modes 1 and 2
        elif heuristic.shape != (self.blocked.size,) or heuristic.dtype != np.float64:
            raise DeconflictionError(
                f"SIPP: heuristic must be float64 of shape ({self.blocked.size},)"
            )
        else:
            layered = self._array_heuristic
        # Arrival windows at the goals: inside a safe interval, held free ``goal_hold_s``
        # (the union over the goals: still a bound for an arrival at any of them).
        # (The search's own test is ``arrival <= end``: the window is widened by a hair.)
        known = {} if segments is None else {self.cell_index(c): q for c, q in segments.items()}
        distinct = sorted(set(goals))
        windows = sorted(
            (lo, math.inf if hi == math.inf else hi - goal_hold_s + 1e-9)
            for intervals in table.safe_intervals_many(distinct, [known.get(g) for g in distinct])
            for lo, hi in intervals
        )
        merged: list[list[float]] = []
        for lo, hi in windows:
            if not hi > lo:
                continue
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        merged = merged or [[math.inf, math.inf]]
        win_lo = np.array([w[0] for w in merged], np.float64)
        win_hi = np.array([w[1] for w in merged], np.float64)
        start_cells = np.array([c for c, _ in starts], np.int64)
        start_times = np.array([t for _, t in starts], np.float64)
        goal_cells = np.array(goals, np.int64)
        # Row 0: no segment, for every cell not listed.
        q_cells = np.array([-1, *known], np.int64)
        q_seg = np.full((len(q_cells), 4), np.nan)
        for k, q in enumerate(known.values(), start=1):
            q_seg[k] = q
        nz, ny, nx = self.dims
        while True:
            self._stamp += 1
            self._goal_mark[goal_cells] = self._stamp
            if self._lo_size(table) > getattr(self, "_lo_buf", np.empty(0)).shape[0]:
                self._lo_buf = np.empty(2 * self._lo_size(table), np.float64)
                self._hi_buf = np.empty(2 * self._lo_size(table), np.float64)
            status, n, expansions = _sipp_kernel(
                table.head, table.start_s, table.end_s, table.other, table.next_slot, table.move_head,
                self.blocked, nz, ny, nx, self._mdz, self._mdy, self._mdx, self.moves.duration_s,
                self.moves.lead, layered.mode, heuristic, layered.ints, layered.floats,
                layered.plane, layered.stamp, win_lo, win_hi, float(arrive_by_s + 1e-9),
                start_cells, start_times, self._goal_mark, bool(low_vertical),
                float(goal_hold_s), int(max_expansions), table.seg, table.separation_m,
                q_cells, q_seg,
                self._stamp, self._cell_stamp, self._cell_base, self._cell_count,
                self._st_lo, self._st_hi, self._st_g, self._st_enter, self._st_parent, self._st_cell,
                self._st_closed, self._heap_f, self._heap_g, self._heap_s, self._lo_buf, self._hi_buf,
                self._out_cell, self._out_arrive, self._out_enter,
            )  # fmt: skip
            if status != _WORKSPACE:
                break
            self._allocate(2 * self._st_lo.shape[0])
        return SippResult(
            SippStatus(status),
            self._out_cell[:n].copy(),
            self._out_arrive[:n].copy(),
            self._out_enter[:n].copy(),
            int(expansions),
        )

    @staticmethod
    def _lo_size(table: ReservationTable) -> int:
        # A cell's list cannot hold more reservations than the pool has in use.
        return table.used + 2
