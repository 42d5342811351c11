"""Status codes, heuristic modes and constants shared by the grid kernels, the heuristic,
and the parent-chain trace."""

from __future__ import annotations

import math

from dronesim.planners._jit import kernel

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
TIE_EPS = 1e-9
# The uniform-cost kernels (and JPS) order by g + h * TIE_BREAK: among nodes of equal f the one
# nearer the goal (larger g) comes first, so that of the many equally short paths of an
# open grid one is followed to the end instead of all being explored side by side (fewer
# expansions and less time on open maps). As a heuristic weight it bounds
# the cost by (1 + 1e-12) x the optimum; distinct path costs on a uniform grid
# (a + b sqrt 2 (+ c sqrt 3) cells) differ by far more than that for any path under
# thousands of cells, and it stays above the rounding of g over such paths. The radix
# heap files the slightly smaller keys this can produce with the last key popped.
TIE_BREAK = 1.0 + 1e-12
POOL_FULL = -1  # internal status of the resumable search loops: grow the open list's pool
INITIAL_HEAP = 1024


# ----------------------------------------------------------------------------- heuristic


@kernel
def heuristic(hmode, di, dj, dk, zu, zg, cell_size, penalty, hmin):
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


@kernel
def trace(parent, start, goal, path):
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
