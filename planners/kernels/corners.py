"""Corner-model Theta*."""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import FOUND, POOL_FULL, SQRT2, UNREACHABLE, trace
from dronesim.planners.kernels.queues import heap_new, heap_pop, heap_push, heap_reserve

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
    hk, hn = heap_new()
    state[start] = 2 * generation
    g[start] = 0.0
    parent[start] = start
    size = heap_push(hk, hn, 0, 0.0, start)
    expansions = 0
    while True:
        status, found, size, expansions = _corner_theta_loop(
            cells, sx, sy, gx, gy, g, parent, state, generation, hk, hn, size, expansions
        )
        if status != POOL_FULL:
            break
        hk, hn = heap_reserve(hk, hn, size, max(size, 8))
    if status == FOUND:
        return FOUND, found, expansions, trace(parent, start, goal, path)
    return status, found, expansions, 0


@kernel
def _corner_theta_loop(
    cells, sx, sy, gx, gy, g, parent, state, generation, hk, hn, size, expansions
):
    """The search loop of `corner_theta`, resumable: returns `POOL_FULL` before the heap could
    overflow (the caller grows it), and ``(status, cost, size, expansions)``."""
    stride = cells.shape[1] + 1
    goal = gy * stride + gx
    opened = 2 * generation
    closed = opened + 1
    while size > 0:
        if size + 8 > hn.shape[0]:
            return POOL_FULL, 0.0, size, expansions
        n = hn[0]
        size = heap_pop(hk, hn, size)
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
            return FOUND, gn, size, expansions
        expansions += 1
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
                size = heap_push(hk, hn, size, candidate + h, v)
    return UNREACHABLE, np.inf, size, expansions


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
