"""Many queries over threads, and the kernel chooser."""

from __future__ import annotations

from dronesim.planners._jit import kernel, parallel_kernel
from dronesim.planners.kernels.astar import (
    astar,
    astar2d,
    astar2d_pyastar,
    astar2d_uniform,
    astar3d_uniform,
)
from dronesim.planners.kernels.jps2d import jps2d
from dronesim.planners.kernels.jps3d import jps3d
from numba import prange

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
    if method == METHOD_ASTAR or method == METHOD_ASTAR3D_UNIFORM:  # noqa: SIM109 (a numba kernel: plain integer tests)
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
