"""Move sets and neighbourhoods: occupancy bit words, move tables, corner checks."""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._jit import inlined, kernel

# ----------------------------------------------------------------------------- neighbourhoods
# A cell's 3 x 3 (x 3) neighbourhood is read once per expansion into the bits of one
# integer; a move is then allowed when none of its bounding box's bits is set. One load per
# neighbour instead of one per cell of each of 26 bounding boxes, which makes the 3D
# kernels' expansions much cheaper.


@kernel
def neighbour_offsets(px, py, n_moves):
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
def occupancy(blocked, n, neighbourhood):
    """Bits of the blocked cells around ``n`` (see `neighbour_offsets`)."""
    bits = np.int64(0)
    for c in range(neighbourhood.shape[0]):
        bits |= np.int64(blocked[n + neighbourhood[c]] != 0) << c
    return bits


@inlined
def cubic_step_costs(move_dk, move_dj, move_di, unit, vertical_cost):
    """Cost of each move on uniform cubic cells: sqrt(axes) cells of ``unit`` (cell size x
    multiplier) plus ``vertical_cost`` per layer climbed or descended (`grid._step_cost` is
    its Python twin, for the jump rules)."""
    step_cost = np.empty(move_dk.shape[0])
    for m in range(move_dk.shape[0]):
        axes = abs(move_dk[m]) + abs(move_dj[m]) + abs(move_di[m])
        step_cost[m] = math.sqrt(axes) * unit + vertical_cost * abs(move_dk[m])
    return step_cost


@inlined
def eight_moves(px):
    """The single-layer moves as tables ``(flat offset, di, dj)``: east, west, north,
    south, then the diagonals NE, NW, SE, SW."""
    return (
        np.array([1, -1, px, -px, px + 1, px - 1, 1 - px, -px - 1], np.int64),
        np.array([1, -1, 0, 0, 1, -1, 1, -1], np.int64),
        np.array([0, 0, 1, -1, 1, 1, -1, -1], np.int64),
    )


@inlined
def free_sides(blocked, n, px):
    """Bits of a cell's free straight neighbours: 1 east, 2 west, 4 north (+y), 8 south."""
    return (
        np.int64(blocked[n + 1] == 0)
        | (np.int64(blocked[n - 1] == 0) << 1)
        | (np.int64(blocked[n + px] == 0) << 2)
        | (np.int64(blocked[n - px] == 0) << 3)
    )


@inlined
def side_free(free, sx, sy):
    """Whether the straight neighbour (sx, 0) or (0, sy) is free, from `free_sides` bits."""
    if sx > 0:
        return free & 1 != 0
    if sx < 0:
        return free & 2 != 0
    if sy > 0:
        return free & 4 != 0
    return free & 8 != 0


@inlined
def cell_of(n, px, plane):
    """``(i, j, k)`` of padded node ``n``, with two integer divisions."""
    k = n // plane
    rest = n - k * plane
    j = rest // px
    return rest - j * px, j, k
