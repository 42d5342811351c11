"""Jump point search on one uniform-cost layer (Harabor & Grastien, "Improving Jump Point
Search", ICAPS 2014), on the jump tables of `jumps`: the shared search loop of `search`
with successors found by jumps.
"""

from __future__ import annotations

from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import FOUND
from dronesim.planners.kernels.jumps import fill_jumps
from dronesim.planners.kernels.queues import radix_new
from dronesim.planners.kernels.search import JPS_2D, make_driver

_jps_2d = make_driver(JPS_2D)


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

    Same arguments as `astar.astar2d` (minus the rule switches), plus ``jumps`` (the
    layer's `jumps.jump_table`: every jump is a lookup or two), and the same optimal
    costs; ``expansions`` counts jump points expanded. ``path`` receives the full cell
    path (jump points joined by their straight or diagonal runs).
    """
    head, pn, pk, pnext = radix_new()
    return jps2d_pooled(
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
def jps2d_pooled(
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
    status, cost, expansions = _jps_2d(
        (blocked, None, None, jumps, px, 0),
        (None, None, None, None, None, None, None, None),
        (0, cell_size, 0.0, hmin, 1.0),
        (start, goal, max_expansions, g, parent, state, generation),
        (head, pn, pk, pnext, None, None),
        8,
    )
    if status == FOUND:
        return FOUND, cost, expansions, fill_jumps(parent, start, goal, px, blocked.shape[0], path)
    return status, cost, expansions, 0
