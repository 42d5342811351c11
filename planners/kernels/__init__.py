"""Numba kernels for grid search, one algorithm per module.

- `common`: status codes (`FOUND`, `UNREACHABLE`, `LIMIT`: returned, never raised),
  heuristic modes and the heuristic, the parent-chain trace.
- `queues`: the radix heap, the binary heap, Dial's bucket entries.
- `moves`: neighbourhood bit words, move tables, corner checks.
- `astar`: grid A* (general, one layer, uniform cost, pyastar2d's rules).
- `jps2d`, `jps3d`: jump point search on one layer and on cubic cells.
- `dijkstra`: distance fields.
- `anyangle`: line of sight, Lazy Theta*, string pulling.
- `corners`: Theta* on cell corners (the MovingAI any-angle rules).
- `batch`: many queries over threads, and the kernel chooser `run_method`.
- `paths`: padded nodes to cells and world waypoints.
- `context`: the raw-pointer query context (the only unsafe module; see its docstring).

Everything here takes and returns arrays and scalars only (`context.jps2d_path_at` takes
its arrays as one integer, the address of a query context). The grid arrives *padded*:
one blocked cell on every side of every axis that has moves (so neighbours never need
bounds checks) and flattened to 1D, node ``n = (k * PY + j) * PX + i`` in padded
coordinates. The Python side (`planners.grid.PlanningGrid`) builds these arrays once per
airspace and time.

Step cost of a move from cell ``u`` to neighbour ``v`` (the exact rules)::

    length_m(u, v) * (cost[u] + cost[v]) / 2 + climb_penalty_per_m * |z_v - z_u|

which is also the exact line integral of the piecewise-constant cost field along the
segment between the two centres (half of it lies in each cell), so any-angle segments use
the same definition (`anyangle.line_of_sight`). `astar.astar2d` can also follow
pyastar2d's rules: every move costs the weight of the cell entered (diagonals too) and
corners may be cut.

numba caches compiled kernels per file: a kernel's cache entry is keyed on its own
module's source, so an edit in one of these modules may leave kernels of modules that
import it stale until the cache is cleared (see `planners._jit`).
"""
