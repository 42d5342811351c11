"""The query context: one planner query through one integer, with raw pointers.

This module is the only place where kernels read memory through raw addresses. It holds
the fast path of `PlanningGrid.astar_path` (and so of the ``astar`` and ``jps`` planners)
for jump point search on one uniform-cost layer: `jps2d_path_at` takes the address of a
table of the grid's array addresses (a *query context*, laid out by the ``CTX_*`` slots
below) instead of twenty array arguments, checks the cells, advances the generation,
searches and builds the path's cells and waypoints in one call. numba unboxes every array
argument into a fresh reference-counted descriptor, and the open list made per query
costs as much again; on small maps that is several times the search itself (measured
figures: ``benchmarks/README-planners.md``). Every other query, and every batch, passes
its arrays as arguments.

What makes it safe
------------------
- The addresses are only ever made by `PlanningGrid._query_context`, which keeps every
  array it points into alive beside the table and builds them itself (C-contiguous, of
  the dtypes and sizes written in the slots' comments). It drops the table whenever one
  of the arrays is replaced (new work arrays), and a grid's blocked cells, jump table
  and layers never change after construction. A kernel call holds the GIL's owner's
  references, so nothing is freed while it runs.
- `jps2d_path_at` checks the start and goal cells against the grid's size before
  indexing; every other index comes from the padded grid (blocked border), as in the
  argument path. The open list's pool grows into fresh arrays when a search needs more
  than the context's pool.
- The context is per grid and not thread-safe, like the grid's work arrays.
- The tests run this module's kernels with ``NUMBA_BOUNDSCHECK=1`` (every array view made
  from an address is bounds-checked), and without the JIT, where the pure-Python twins
  below stand in for the intrinsics.
"""

from __future__ import annotations

import ctypes

import numba
import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import FOUND
from dronesim.planners.kernels.jps2d import jps2d_pooled
from dronesim.planners.kernels.paths import decode_into, waypoints_into
from llvmlite import ir
from numba import carray, types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic

BAD_CELL = -1  # status of `jps2d_path_at`: the start or the goal is outside the grid or blocked

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


def _pointer_intrinsic(typingctx, address):
    """An integer address as a void pointer (for `numba.carray`)."""
    signature = types.voidptr(types.int64)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return signature, codegen


def _read_only_intrinsic(typingctx, array):
    """The same array, typed read-only: numba returns it to Python with the writeable flag
    off, which costs nothing here and a `setflags` call there."""
    signature = array.copy(readonly=True)(array)

    def codegen(context, builder, sig, args):
        return impl_ret_borrowed(context, builder, sig.return_type, args[0])

    return signature, codegen


def _pointer_python(address):
    """Pure-Python twin of ``_pointer`` (``NUMBA_DISABLE_JIT=1``): `numba.carray` accepts it."""
    return ctypes.c_void_p(int(address))


def _read_only_python(array):
    """Pure-Python twin of ``_read_only`` (``NUMBA_DISABLE_JIT=1``)."""
    array.flags.writeable = False
    return array


# numba's intrinsics exist only in compiled code: without the JIT the twins stand in.
if numba.config.DISABLE_JIT:
    _pointer = _pointer_python
    _read_only = _read_only_python
else:
    _pointer = intrinsic(_pointer_intrinsic)
    _read_only = intrinsic(_read_only_intrinsic)


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
        status, cost, expansions, count = jps2d_pooled(
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
        decode_into(
            carray(_pointer(ctx[CTX_SCRATCH]), (count,), np.int32), px, ctx[CTX_PY], 0, cells
        )
        layers = carray(_pointer(ctx[CTX_LAYERS]), (ctx[CTX_LAYER_COUNT],), np.float64)
        length = waypoints_into(
            cells,
            floats[CTXF_ORIGIN_X],
            floats[CTXF_ORIGIN_Y],
            floats[CTXF_CELL_SIZE],
            layers,
            waypoints,
        )
    return status, cost, expansions, _read_only(cells), _read_only(waypoints), length
