"""Jump tables and jumps (JPS+) for jump point search on one layer, the canonical successors,
and the jump-point path fill shared with 3D."""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import inlined, kernel
from dronesim.planners.kernels.moves import cell_of, side_free

# ----------------------------------------------------------------------------- JPS
# Jump Point Search for one uniform-cost layer without corner cutting (Harabor & Grastien,
# "Improving Jump Point Search", ICAPS 2014): straight jumps stop at forced neighbours,
# diagonal jumps stop where a straight sub-jump finds something, and only the canonical
# successors of a jump point are generated. Costs are identical to A*'s.

JUMP_RUN = 126  # longest run one jump-table entry describes (entries are int8)
JUMP_ON = 127  # entry: JUMP_RUN free cells without a stop, continue from the last of them


@kernel
def chain(after):
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
                jumps[n, d] = chain(jumps[ahead, d])
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
                read_jump(jumps, along_x, ahead, sx)[1]
                or read_jump(jumps, along_y, ahead, sy * px)[1]
            ):
                jumps[n, 4 + d] = 1
            else:
                jumps[n, 4 + d] = chain(jumps[ahead, 4 + d])


@inlined
def read_jump(jumps, column, n, step):
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
def jump_straight(jumps, direction, n, step, along, across, goal_along, goal_across):
    """The jump from n along ``step`` (+-1 or +-px, ``direction`` its table column):
    ``(cell, steps)``, the jump point or the goal if it comes first, or ``(-1, 0)`` at a
    wall. ``along``/``across``: n's coordinate along the move (signed: increasing in the
    move's direction) and across it; ``goal_along``/``goal_across`` the goal's. Coordinates
    are passed in because integer division costs more than the rest of a short jump."""
    distance, stops = read_jump(jumps, direction, n, step)
    ahead = goal_along - along
    if across == goal_across and 0 < ahead <= distance:
        return n + ahead * step, ahead
    if stops:
        return n + distance * step, distance
    return -1, 0


@inlined
def jump_diagonal(jumps, n, sx, sy, px, ni, nj, gi, gj):
    """Jump from n along the diagonal (sx, sy): ``(jump point, steps)`` or ``(-1, 0)``.

    The table gives the first cell whose straight jumps find a jump point; the goal can
    stop the jump earlier, at the step that reaches its row or column when the straight
    jump from there along the other axis reaches it (or at the goal itself). ``(ni, nj)``
    and ``(gi, gj)``: the columns and rows of n and of the goal.
    """
    along_x = 0 if sx > 0 else 1
    along_y = 2 if sy > 0 else 3
    diagonal = sx + sy * px
    distance, stops = read_jump(jumps, 4 + (0 if sx > 0 else 1) + (0 if sy > 0 else 2), n, diagonal)
    best = distance if stops else distance + 1  # distance + 1: no stop on the way
    to_row = (gj - nj) * sy
    if 1 <= to_row < best:
        ahead = (gi - (ni + to_row * sx)) * sx
        if ahead == 0 or (
            ahead > 0 and ahead <= read_jump(jumps, along_x, n + to_row * diagonal, sx)[0]
        ):
            best = to_row
    to_column = (gi - ni) * sx
    if 1 <= to_column < best:
        ahead = (gj - (nj + to_column * sy)) * sy
        if ahead > 0 and ahead <= read_jump(jumps, along_y, n + to_column * diagonal, sy * px)[0]:
            best = to_column
    if best > distance:
        return -1, 0
    return n + best * diagonal, best


@inlined
def canonical(free, dx, dy, sx, sy):
    """Whether direction (sx, sy) is a natural or forced successor after arriving along
    (dx, dy); ``free``: the cell's open straight neighbours (see `free_sides`)."""
    if dx != 0 and dy != 0:
        # Diagonal arrival: continue diagonally or along either component.
        if sx == dx and sy == dy:
            return side_free(free, dx, 0) and side_free(free, 0, dy)
        return (sx == dx and sy == 0) or (sx == 0 and sy == dy)
    if dy == 0:
        # Horizontal arrival: ahead, the diagonals ahead, and the sides (forced when open).
        if sx == dx and sy == 0:
            return True
        if sx == 0:
            return True
        if sx == dx:
            return side_free(free, dx, 0) and side_free(free, 0, sy)
        return False
    if sy == dy and sx == 0:
        return True
    if sy == 0:
        return True
    if sy == dy:
        return side_free(free, 0, dy) and side_free(free, sx, 0)
    return False


@kernel
def fill_jumps(parent, start, goal, px, plane, path):
    """Expand the jump-point chain into every cell along it (jump points are joined by
    straight or diagonal runs); returns the path length. ``plane``: cells per padded layer
    (any number >= the grid's size for one layer)."""
    length = 1
    n = goal
    ni, nj, nk = cell_of(n, px, plane)
    while n != start:
        p = parent[n]
        pi, pj, pk = cell_of(p, px, plane)
        length += max(abs(ni - pi), abs(nj - pj), abs(nk - pk))
        n, ni, nj, nk = p, pi, pj, pk
    index = length - 1
    n = goal
    ni, nj, nk = cell_of(n, px, plane)
    while n != start:
        p = parent[n]
        pi, pj, pk = cell_of(p, px, plane)
        step = np.sign(pk - nk) * plane + np.sign(pj - nj) * px + np.sign(pi - ni)
        m = n
        while m != p:
            path[index] = m
            index -= 1
            m += step
        n, ni, nj, nk = p, pi, pj, pk
    path[0] = start
    return length
