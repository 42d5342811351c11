"""`PlanningGrid`: an airspace prepared for the grid kernels at one moment.

It pads and flattens the airspace's blocked and cost arrays, precomputes the move set
and step-cost tables, and owns the reusable work arrays, so that each query costs what it
explores. Build one per airspace and time (temporary zones change the blocked cells) and
reuse it for every query; it is cheap to keep and not thread-safe (one per thread).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
import shapely
from dronesim.maps import Airspace
from dronesim.maps.features import conservative_buffer
from dronesim.planners.kernels import (
    anyangle,
    astar,
    batch,
    common,
    context,
    corners,
    dijkstra,
    jps2d,
    jps3d,
    jumps,
    paths,
)
from dronesim.planners.path import FlightPath

Cell = tuple[int, int, int]
BUCKET_COST_LIMIT = 1024  # whole multipliers up to this use Dial's queue (2 * 1024 buckets)
_NO_LIMIT = 2**62
_NO_JUMPS = np.zeros((1, 8), np.int8)  # the jump table argument of kernels other than JPS
_GENERATION_LIMIT = 2**30 - 16  # state stamps are 2 * generation (+ 1) in int32
# Module globals for the per-query path: one dictionary lookup each instead of two.
_METHOD_JPS = batch.METHOD_JPS
_FOUND = common.FOUND
_jps2d_path_at = context.jps2d_path_at


def _context_pool_size(nodes: int) -> int:
    """Entries of the query context's open-list pool: one per node is more than most
    searches push (one that needs more grows a pool of its own for that query)."""
    return max(nodes, 1024)


@dataclass(frozen=True)
class SearchResult:
    """What a kernel search returned.

    Attributes
    ----------
    status : int
        `FOUND`, `UNREACHABLE` or `LIMIT` (see `planners.PlanStatus`).
    cost : float
        Path cost (metres weighted by cost multipliers, plus climb penalties); ``inf``
        unless found.
    expansions : int
        Nodes expanded.
    cells : numpy.ndarray of int64, shape (n, 3)
        ``(k, j, i)`` of the path's vertices, start first (empty unless found).
    """

    status: int
    cost: float
    expansions: int
    cells: np.ndarray


class PlanningGrid:
    """An `Airspace` prepared for grid search at time ``t_s``.

    Parameters
    ----------
    airspace : Airspace
        The airspace (its cost multipliers apply).
    t_s : float, optional
        Simulation time in seconds: temporary zones active then are blocked. ``None``
        plans against permanent restrictions only.
    climb_penalty_per_m : float
        Extra cost per metre of altitude change, up or down (>= 0): climbing costs
        energy and time that the horizontal length does not show.
    threads : int, optional
        Work-array sets for `astar_many` (default: numba's thread count).
    """

    def __init__(
        self,
        airspace: Airspace,
        *,
        t_s: float | None = None,
        climb_penalty_per_m: float = 0.0,
        threads: int | None = None,
    ) -> None:
        if not (
            isinstance(climb_penalty_per_m, (int, float))
            and math.isfinite(climb_penalty_per_m)
            and climb_penalty_per_m >= 0
        ):
            raise ValueError(
                f"climb_penalty_per_m must be a finite number >= 0, got {climb_penalty_per_m!r}"
            )
        self.airspace = airspace
        self.t_s = t_s
        self.climb_penalty_per_m = float(climb_penalty_per_m)
        self.blocked = airspace.blocked if t_s is None else airspace.blocked_at(t_s)
        nz, ny, nx = airspace.shape
        self.shape = (nz, ny, nx)
        self.three_d = nz > 1
        pad_z = 1 if self.three_d else 0
        self._pad_z = pad_z
        pz, py, px = nz + 2 * pad_z, ny + 2, nx + 2
        self._pshape = (pz, py, px)
        self.px, self.py = px, py
        blocked = np.ones(self._pshape, dtype=np.uint8)
        blocked[pad_z : pad_z + nz, 1:-1, 1:-1] = self.blocked
        self._blocked = blocked.reshape(-1)
        self._blocked_view = memoryview(self._blocked)  # lookups give Python ints, no numpy scalars
        self._cell_size = float(airspace.cell_size_m)
        cost = np.ones(self._pshape, dtype=np.float32)
        cost[pad_z : pad_z + nz, 1:-1, 1:-1] = airspace.cost
        self._cost = cost.reshape(-1)
        self.hmin = float(airspace.cost.min())
        self.uniform_cost = bool(airspace.cost.max() == self.hmin)

        layers = np.asarray(airspace.layers_m, dtype=np.float64)
        bands = airspace.layer_bands_m
        edges = np.concatenate([bands[:, 0], bands[-1:, 1]])
        if self.three_d:
            self._alt = np.concatenate([[layers[0]], layers, [layers[-1]]])
            self._edges = np.concatenate([[edges[0] - 1.0], edges, [edges[-1] + 1.0]])
        else:
            self._alt = layers.copy()
            self._edges = edges.copy()
        self._layers = layers
        self._origin = (*(float(v) for v in airspace.origin_m), float(airspace.cell_size_m))
        cell = airspace.cell_size_m
        spacing = np.diff(layers)
        if not self.three_d:
            self.hmode = common.H_OCTILE_2D
        elif np.allclose(spacing, cell, rtol=1e-12, atol=0):
            self.hmode = common.H_OCTILE_3D
        else:
            self.hmode = common.H_LAYERED
        self._moves = _move_tables(self.three_d, px, py, self._alt, cell, self.climb_penalty_per_m)
        self._threads = threads
        self._work: dict[str, np.ndarray] | None = None
        self._bucket_span: int | None = None
        self._jumps: np.ndarray | None = None
        self._options: dict[tuple, tuple[int, float, int]] = {}  # validated search options
        self._corner_work: tuple[np.ndarray, ...] | None = None
        self._rows: tuple[np.ndarray, ...] | None = None
        self._generations: memoryview | None = None
        self._context: tuple[int, tuple[np.ndarray, ...]] | None = None  # see `_query_context`
        self._corner_generation = 0

    # ------------------------------------------------------------------ cells
    @property
    def cell_size_m(self) -> float:
        return self.airspace.cell_size_m

    def node(self, cell: Cell) -> int:
        """Padded flat index of an in-bounds cell ``(k, j, i)``."""
        k, j, i = cell
        return int(((k + self._pad_z) * self.py + (j + 1)) * self.px + (i + 1))

    def nodes(self, cells: np.ndarray) -> np.ndarray:
        """Padded flat indices (int32) of an ``(n, 3)`` array of cells."""
        cells = np.asarray(cells, dtype=np.int64).reshape(-1, 3)
        return (
            ((cells[:, 0] + self._pad_z) * self.py + (cells[:, 1] + 1)) * self.px
            + (cells[:, 2] + 1)
        ).astype(np.int32)

    def cells_of(self, nodes: np.ndarray) -> np.ndarray:
        """``(n, 3)`` cells ``(k, j, i)`` of padded flat indices."""
        return paths.decode_nodes(np.asarray(nodes), self.px, self.py, self._pad_z)

    def check_cell(self, cell, role: str = "cell") -> Cell:
        """Validate a cell for planning; returns it as a tuple of ints.

        Raises
        ------
        ValueError
            Outside the grid, or blocked (saying by which zone, building or obstacle).
        """
        self._checked_node(cell, role)
        k, j, i = cell
        return (int(k), int(j), int(i))

    def _checked_node(self, cell, role: str) -> int:
        """`check_cell`, returning the padded flat node (one query validates two cells)."""
        try:
            k, j, i = cell
            k, j, i = int(k), int(j), int(i)
        except (TypeError, ValueError):
            raise ValueError(f"{role}: expected a cell (k, j, i), got {cell!r}") from None
        nz, ny, nx = self.shape
        if not (0 <= k < nz and 0 <= j < ny and 0 <= i < nx):
            raise ValueError(f"{role} cell {(k, j, i)} lies outside the grid of shape {self.shape}")
        node = ((k + self._pad_z) * self.py + (j + 1)) * self.px + (i + 1)
        if self._blocked_view[node]:
            raise ValueError(
                f"{role} cell {(k, j, i)} is blocked: {self.blocked_reason((k, j, i))}"
            )
        return node

    def blocked_reason(self, cell: Cell) -> str:
        """Why a cell is blocked, in words (zones and buildings that touch it)."""
        airspace = self.airspace
        k, j, i = cell
        x0, y0 = airspace.origin_m
        size = airspace.cell_size_m
        box = shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
        low, high = airspace.layer_bands_m[k]
        reasons = [
            f"no-fly zone {zone.name!r}"
            for zone in airspace.zones
            if (
                self.t_s is None
                and not zone.is_temporary
                or self.t_s is not None
                and zone.active_at(self.t_s)
            )
            and zone.overlaps_band(low, high)
            and zone.keep_out.intersects(box)
        ]
        buildings = airspace.buildings
        if len(buildings):
            for index in buildings.tree.query(box.buffer(airspace.horizontal_clearance_m * 1.01)):
                top = buildings.heights_m[index] + airspace.vertical_clearance_m
                if airspace.layers_m[k] <= top and conservative_buffer(
                    buildings.footprints[index], airspace.horizontal_clearance_m
                ).intersects(box):
                    reasons.append(
                        f"building {int(index)} ({buildings.heights_m[index]:.0f} m tall)"
                    )
        if airspace.obstacles is not None and airspace.obstacles[k, j, i]:
            reasons.append("an obstacle of the grid map")
        return ", ".join(reasons) if reasons else "blocked cell"

    def world_to_cell(self, point_m, role: str = "point") -> Cell:
        """The free cell holding a world point ``(x, y, z)`` in metres (z: altitude).

        Raises
        ------
        ValueError
            Non-finite coordinates, outside the map or the layers, or in a blocked cell.
        """
        try:
            x, y, z = (float(v) for v in point_m)
        except (TypeError, ValueError):
            raise ValueError(f"{role}: expected (x, y, z) in metres, got {point_m!r}") from None
        if not all(math.isfinite(v) for v in (x, y, z)):
            raise ValueError(f"{role} ({x}, {y}, {z}) m: coordinates must be finite")
        k, j, i = (int(v) for v in self.airspace.cell_of(x, y, z))
        if j < 0 or i < 0:
            raise ValueError(
                f"{role} ({x:.1f}, {y:.1f}) m lies outside the map {self.airspace.bounds_m}"
            )
        if k < 0:
            raise ValueError(
                f"{role} altitude {z:.1f} m lies outside [0, {self.airspace.ceiling_m:g}] m"
            )
        if self.blocked[k, j, i]:
            raise ValueError(
                f"{role} ({x:.1f}, {y:.1f}, {z:.1f}) m is in a blocked cell: {self.blocked_reason((k, j, i))}"
            )
        return (k, j, i)

    # ------------------------------------------------------------------ work arrays
    def _work_arrays(self, threads: int) -> dict[str, np.ndarray]:
        if self._work is None or self._work["g"].shape[0] < threads:
            size = self._blocked.shape[0]
            # Written once here, so that the operating system maps every page now: left to
            # the searches, first touches cost a page fault each and made a query on a
            # fresh part of a large grid markedly slower than the same query again.
            self._work = {
                "g": np.empty((threads, size), np.float64),
                "parent": np.empty((threads, size), np.int32),
                "state": np.empty((threads, size), np.int32),
                "scratch": np.empty((threads, size), np.int32),
                "generations": np.zeros(threads, np.int32),
            }
            for name in ("g", "parent", "state", "scratch"):
                self._work[name].fill(0)  # state 0: no generation has touched the cell
            self._rows = None  # thread 0's rows of the arrays replaced
            self._context = None
        work = self._work
        if work["generations"].max() >= _GENERATION_LIMIT:
            work["state"][:] = 0
            work["generations"][:] = 0
        return work

    def _next_generation(self) -> tuple[tuple[np.ndarray, ...], int]:
        """Thread 0's work rows ``(g, parent, state, scratch)`` and a fresh generation."""
        rows = self._rows
        if rows is None or self._generations[0] >= _GENERATION_LIMIT:
            work = self._work_arrays(1)
            rows = self._rows = (
                work["g"][0],
                work["parent"][0],
                work["state"][0],
                work["scratch"][0],
            )
            self._generations = memoryview(work["generations"])  # Python ints, no numpy scalars
        generation = self._generations[0] + 1
        self._generations[0] = generation
        return rows, generation

    def _query_context(self) -> int:
        """The address of this grid's query context (`context.CTX_BLOCKED`): the one integer the
        per-query kernels take instead of twenty arguments. The arrays it points into are
        kept here with it, and it is rebuilt whenever the work arrays are replaced."""
        if self._context is None:
            work = self._work_arrays(1)
            rows = {name: work[name][0] for name in ("g", "parent", "state", "scratch")}
            floats = np.zeros(context.CTX_FLOAT_COUNT, np.float64)
            floats[context.CTXF_CELL_SIZE] = self._cell_size
            floats[context.CTXF_HMIN] = self.hmin
            floats[context.CTXF_ORIGIN_X], floats[context.CTXF_ORIGIN_Y] = self._origin[:2]
            layers = np.ascontiguousarray(self._layers, dtype=np.float64)
            pool = _context_pool_size(self._blocked.shape[0])
            arrays = {
                context.CTX_BLOCKED: self._blocked,
                context.CTX_JUMPS: self.jump_table,
                context.CTX_G: rows["g"],
                context.CTX_PARENT: rows["parent"],
                context.CTX_STATE: rows["state"],
                context.CTX_SCRATCH: rows["scratch"],
                context.CTX_GENERATIONS: work["generations"],
                context.CTX_FLOATS: floats,
                context.CTX_LAYERS: layers,
                context.CTX_HEAD: np.full(context.CTX_HEAD_SIZE, -1, np.int32),
                context.CTX_POOL_NODES: np.empty(pool, np.int32),
                context.CTX_POOL_KEYS: np.empty(pool, np.uint64),
                context.CTX_POOL_NEXT: np.empty(pool, np.int32),
            }
            table = np.zeros(context.CTX_SIZE, np.int64)
            for slot, array in arrays.items():
                table[slot] = array.ctypes.data  # each one C-contiguous: made so here
            table[context.CTX_NODES] = self._blocked.shape[0]
            table[context.CTX_PX], table[context.CTX_PY] = self.px, self.py
            table[context.CTX_NY], table[context.CTX_NX] = self.shape[1], self.shape[2]
            table[context.CTX_LAYER_COUNT] = layers.shape[0]
            table[context.CTX_GENERATION_LIMIT] = _GENERATION_LIMIT
            table[context.CTX_POOL] = pool
            self._context = (int(table.ctypes.data), (table, *arrays.values()))
        return self._context[0]

    @property
    def jump_table(self) -> np.ndarray:
        """The jump table of jump-point search (`jumps.jump_table` on one layer,
        `jps3d.jump_table_3d` on cubic cells), built on first use: 8 bytes per cell."""
        if self._jumps is None:
            table = np.empty((self._blocked.shape[0], 8), np.int8)
            if self.three_d:
                alternatives, count, behind = _jump_rules_3d(
                    self._moves,
                    lambda move: _step_cost(
                        move, self._cell_size, self.hmin, self.climb_penalty_per_m
                    ),
                )
                m = self._moves
                jps3d.jump_table_3d(
                    self._blocked,
                    self.px,
                    self.py,
                    m.offset,
                    m.box_mask,
                    alternatives,
                    count,
                    behind,
                    table,
                )
            else:
                jumps.jump_table(self._blocked, self.px, table)
            self._jumps = table
        return self._jumps

    def _grid_args(self):
        return (self._blocked, self._cost, self._alt, self.px, self.py)

    def _move_args(self):
        m = self._moves
        return (m.offset, m.dk, m.dj, m.di, m.box_mask, m.length, m.climb)

    # ------------------------------------------------------------------ searches
    @property
    def jps_applicable(self) -> bool:
        """Whether jump-point pruning gives exact A* costs here: uniform cost multipliers
        on one layer, or on cubic cells (layers one cell apart). The automatic choice
        (``prune=None``, weight 1) uses it wherever it applies: with the jump tables it is
        as fast as A* or faster on every MovingAI and voxel map (figures in
        ``benchmarks/README-planners.md``)."""
        return self.uniform_cost and (not self.three_d or self.hmode == common.H_OCTILE_3D)

    @property
    def bucket_span(self) -> int:
        """Buckets for the pyastar2d-rules kernel's Dial queue (see
        `kernels.astar.astar2d_pyastar`): a power of two above twice the largest cost
        multiplier when all of them are whole numbers up to `BUCKET_COST_LIMIT`, else 0
        (`astar2d` and its radix heap)."""
        if self._bucket_span is None:
            cost = self.airspace.cost
            largest = float(cost.max())
            whole = largest <= BUCKET_COST_LIMIT and bool(np.all(cost == np.floor(cost)))
            self._bucket_span = 1 << int(2 * largest + 2).bit_length() if whole else 0
        return self._bucket_span

    def _method(self, rules: str, prune: bool | None, weight: float) -> int:
        if rules == "pyastar2d":
            if self.three_d or self.climb_penalty_per_m:
                raise ValueError(
                    "rules='pyastar2d' is defined for single-layer grids without climb penalty"
                )
            return batch.METHOD_PYASTAR2D
        if rules != "exact":
            raise ValueError(f"rules must be 'exact' or 'pyastar2d', got {rules!r}")
        if prune and not self.jps_applicable:
            raise ValueError(
                "jump point search needs uniform cost multipliers, on one layer or on cubic cells"
            )
        if prune or (prune is None and weight == 1.0 and self.jps_applicable):
            return batch.METHOD_JPS3D if self.three_d else batch.METHOD_JPS
        if self.three_d:
            return (
                batch.METHOD_ASTAR3D_UNIFORM
                if self.uniform_cost and self.hmode == common.H_OCTILE_3D
                else batch.METHOD_ASTAR
            )
        return batch.METHOD_ASTAR2D_UNIFORM if self.uniform_cost else batch.METHOD_ASTAR2D

    def astar(
        self,
        start: Cell,
        goal: Cell,
        *,
        weight: float = 1.0,
        max_expansions: int | None = None,
        rules: str = "exact",
        prune: bool | None = None,
    ) -> SearchResult:
        """Grid A* between two free cells.

        Parameters
        ----------
        start, goal : (k, j, i)
            Free cells.
        weight : float
            Heuristic weight w >= 1; the cost found is at most w times the optimum.
        max_expansions : int, optional
            Give up (status `LIMIT`) after expanding this many nodes.
        rules : {"exact", "pyastar2d"}
            ``"exact"``: no corner cutting, step cost = length x mean multiplier + climb
            penalty. ``"pyastar2d"``: pyastar2d's rules (every move costs the cost
            multiplier of the cell entered, diagonals too; corners may be cut), for
            like-for-like benchmarks.
        prune : bool, optional
            Jump-point pruning: ``None`` uses it wherever it is exact (one uniform-cost
            layer, ``weight == 1``), ``False`` never, ``True`` always (error where it is
            not exact). Costs are the same either way; expansions count jump points.
        """
        status, cost, expansions, nodes = self._search(
            start, goal, weight, max_expansions, rules, prune
        )
        return SearchResult(status, cost, expansions, self.cells_of(nodes))

    def astar_path(
        self,
        start: Cell,
        goal: Cell,
        *,
        planner: str = "astar",
        weight: float = 1.0,
        max_expansions: int | None = None,
        rules: str = "exact",
        prune: bool | None = None,
    ) -> FlightPath:
        """`astar` straight to a `FlightPath` named ``planner`` (the path's cells and world
        waypoints made in one kernel call: the planners' per-query path)."""
        return self._astar_path(start, goal, planner, (weight, max_expansions, rules, prune))

    def _astar_path(self, start: Cell, goal: Cell, planner: str, options: tuple) -> FlightPath:
        """`astar_path` with its options as the tuple ``(weight, max_expansions, rules,
        prune)``: the planners call this once per query, and keyword arguments cost more
        than the search on a small map."""
        try:
            method, weight, limit = self._options[options]
        except (KeyError, TypeError):  # new options, or unhashable ones (checked there)
            method, weight, limit = self._search_method(*options)
        if method == _METHOD_JPS:
            try:
                start_k, start_j, start_i = start
                goal_k, goal_j, goal_i = goal
                # One index() per coordinate: a third of the cost of mapping over the cells.
                start_k, start_j, start_i = (
                    operator.index(start_k),
                    operator.index(start_j),
                    operator.index(start_i),
                )
                goal_k, goal_j, goal_i = (
                    operator.index(goal_k),
                    operator.index(goal_j),
                    operator.index(goal_i),
                )
            except (TypeError, ValueError):
                pass  # not three integers: `_search` says so
            else:
                # Jump point search on one layer: checks, search and path in one numba call
                # through the query context.
                address = self._context[0] if self._context is not None else self._query_context()
                status, cost, expansions, cells, waypoints, length = _jps2d_path_at(
                    address, start_k, start_j, start_i, goal_k, goal_j, goal_i, limit
                )
                if status == _FOUND:
                    return FlightPath.of_read_only_arrays(
                        planner, waypoints, cells, length, cost, expansions
                    )
                if status != context.BAD_CELL:
                    return FlightPath.not_found(planner, status, expansions)
                # A start or goal outside or blocked: `_search` names the problem.
        status, cost, expansions, nodes = self._search(start, goal, *options)
        if status != common.FOUND:
            return FlightPath.not_found(planner, status, expansions)
        count = nodes.shape[0]
        cells = np.empty((count, 3), np.int64)
        waypoints = np.empty((count, 3), np.float64)
        length = paths.node_path(
            nodes, self.px, self.py, self._pad_z, *self._origin, self._layers, cells, waypoints
        )
        return FlightPath.of_arrays(planner, waypoints, cells, length, cost, expansions)

    def _search(
        self, start, goal, weight, max_expansions, rules, prune
    ) -> tuple[int, float, int, np.ndarray]:
        """One A* query: status, cost, expansions and the path's padded nodes (a view of
        the work arrays, valid until the next query)."""
        method, weight, limit = self._search_method(weight, max_expansions, rules, prune)
        start_node = self._checked_node(start, "start")
        goal_node = self._checked_node(goal, "goal")
        (g, parent, state, scratch), generation = self._next_generation()
        # The specialised kernels take few arguments: numba's dispatch cost grows with them.
        if method == batch.METHOD_JPS:
            status, cost, expansions, length = jps2d.jps2d(
                self._blocked,
                self._jumps if self._jumps is not None else self.jump_table,
                self.px,
                self._cell_size,
                self.hmin,
                start_node,
                goal_node,
                limit,
                g,
                parent,
                state,
                generation,
                scratch,
            )
        elif method == batch.METHOD_JPS3D:
            m = self._moves
            status, cost, expansions, length = jps3d.jps3d(
                self._blocked,
                self._jumps if self._jumps is not None else self.jump_table,
                self.px,
                self.py,
                m.offset,
                m.dk,
                m.dj,
                m.di,
                m.box_mask,
                self._cell_size,
                self.climb_penalty_per_m,
                self.hmin,
                start_node,
                goal_node,
                limit,
                g,
                parent,
                state,
                generation,
                scratch,
            )
        elif method == batch.METHOD_ASTAR3D_UNIFORM and weight == 1.0:
            m = self._moves
            status, cost, expansions, length = astar.astar3d_uniform(
                self._blocked,
                self.px,
                self.py,
                m.offset,
                m.dk,
                m.dj,
                m.di,
                m.box_mask,
                self._cell_size,
                self.climb_penalty_per_m,
                self.hmin,
                start_node,
                goal_node,
                limit,
                g,
                parent,
                state,
                generation,
                scratch,
            )
        elif method == batch.METHOD_ASTAR2D_UNIFORM and weight == 1.0:
            status, cost, expansions, length = astar.astar2d_uniform(
                self._blocked,
                self.px,
                self._cell_size,
                self.hmin,
                start_node,
                goal_node,
                limit,
                g,
                parent,
                state,
                generation,
                scratch,
            )
        else:
            status, cost, expansions, length = batch.run_method(
                *self._grid_args(),
                *self._move_args(),
                *self._method_args(method, weight),
                start_node,
                goal_node,
                limit,
                g,
                parent,
                state,
                generation,
                scratch,
            )
        return status, cost, expansions, scratch[:length]

    def _search_method(self, weight, max_expansions, rules, prune) -> tuple[int, float, int]:
        """The kernel, weight and expansion limit for these search options (validated once
        per grid and option set, then cached)."""
        key = (weight, max_expansions, rules, prune)
        try:
            return self._options[key]
        except (KeyError, TypeError):  # new options, or unhashable ones (checked here)
            weight, limit = self._search_options(weight, max_expansions)
            method = self._method(rules, prune, weight)
            if len(self._options) < 64:
                self._options[key] = (method, weight, limit)
            return method, weight, limit

    def _method_args(self, method: int, weight: float) -> tuple:
        """The arguments of `batch.run_method` and `batch.astar_batch` that choose and tune the kernel."""
        return (
            method,
            self.hmode,
            self.cell_size_m,
            self.climb_penalty_per_m,
            self.hmin,
            weight,
            self.bucket_span if method == batch.METHOD_PYASTAR2D else 0,
            self.jump_table if method in (batch.METHOD_JPS, batch.METHOD_JPS3D) else _NO_JUMPS,
        )

    @staticmethod
    def _search_options(weight, max_expansions) -> tuple[float, int]:
        if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight >= 1):
            raise ValueError(f"weight must be a number >= 1, got {weight!r}")
        if max_expansions is None:
            return float(weight), _NO_LIMIT
        if isinstance(max_expansions, (int, np.integer)) and max_expansions >= 0:
            return float(weight), int(max_expansions)
        raise ValueError(f"max_expansions must be an integer >= 0, got {max_expansions!r}")

    def astar_many(
        self,
        starts,
        goals,
        *,
        weight: float = 1.0,
        max_expansions: int | None = None,
        rules: str = "exact",
        prune: bool | None = None,
        threads: int | None = None,
        buffer_cells: int | None = None,
    ) -> list[SearchResult]:
        """A* over many (start, goal) pairs in parallel; same results as one by one.

        Parameters
        ----------
        starts, goals : array_like, shape (n, 3)
            Free cells.
        threads : int, optional
            Threads (and work-array sets) to use; default numba's thread count.
        buffer_cells : int, optional
            Path cells each thread may hold (default: ample for the map size); a path
            that does not fit is planned again alone.
        Other parameters as in `astar`.
        """
        import numba

        weight, limit = self._search_options(weight, max_expansions)
        method = self._method(rules, prune, weight)
        starts = np.asarray(starts, dtype=np.int64).reshape(-1, 3)
        goals = np.asarray(goals, dtype=np.int64).reshape(-1, 3)
        if starts.shape != goals.shape:
            raise ValueError(
                f"starts and goals must have the same shape, got {starts.shape} and {goals.shape}"
            )
        for role, cells in (("start", starts), ("goal", goals)):
            for index, cell in enumerate(cells):
                self.check_cell(cell, f"{role} {index}")
        n = starts.shape[0]
        if n == 0:
            return []
        threads = int(threads or self._threads or numba.get_num_threads())
        threads = max(1, min(threads, n))
        work = self._work_arrays(threads)
        nz, ny, nx = self.shape
        per_thread = -(-n // threads)
        capacity = buffer_cells or min(
            max(4 * (nx + ny + nz) * per_thread, 4096), per_thread * self._blocked.shape[0]
        )
        buffer = np.empty((threads, capacity), np.int32)
        status = np.empty(n, np.int64)
        costs = np.empty(n, np.float64)
        expansions = np.empty(n, np.int64)
        owner = np.empty(n, np.int64)
        offset = np.empty(n, np.int64)
        lengths = np.empty(n, np.int64)
        batch.astar_batch(
            *self._grid_args(),
            *self._move_args(),
            *self._method_args(method, weight),
            self.nodes(starts),
            self.nodes(goals),
            limit,
            work["g"][:threads],
            work["parent"][:threads],
            work["state"][:threads],
            work["generations"][:threads],
            work["scratch"][:threads],
            buffer,
            status,
            costs,
            expansions,
            owner,
            offset,
            lengths,
        )
        results = []
        for q in range(n):
            if lengths[q] < 0:  # did not fit in its thread's buffer: replan alone
                results.append(
                    self.astar(
                        tuple(starts[q]),
                        tuple(goals[q]),
                        weight=weight,
                        max_expansions=max_expansions,
                        rules=rules,
                        prune=prune,
                    )
                )
                continue
            nodes = buffer[owner[q], offset[q] : offset[q] + lengths[q]]
            results.append(
                SearchResult(
                    int(status[q]), float(costs[q]), int(expansions[q]), self.cells_of(nodes)
                )
            )
        return results

    def theta(
        self, start: Cell, goal: Cell, *, max_expansions: int | None = None, smooth: bool = True
    ) -> SearchResult:
        """Lazy Theta* any-angle search, optionally string-pulled afterwards.

        Costs are line integrals of the cost multipliers along each segment (metres) plus
        the climb penalty; the line-of-sight test is conservative (no part of a blocked
        cell is touched).
        """
        _, limit = self._search_options(1.0, max_expansions)
        start_node = self.node(self.check_cell(start, "start"))
        goal_node = self.node(self.check_cell(goal, "goal"))
        (g, parent, state, scratch), generation = self._next_generation()
        status, cost, expansions, length = anyangle.lazy_theta(
            self._blocked,
            self._cost,
            self._alt,
            self._edges,
            self.px,
            self.py,
            *self._move_args(),
            self.hmode,
            self.cell_size_m,
            self.climb_penalty_per_m,
            self.hmin,
            start_node,
            goal_node,
            limit,
            g,
            parent,
            state,
            generation,
            scratch,
        )
        nodes = scratch[:length].copy()
        if status == common.FOUND and smooth and length > 2:
            nodes, cost = self._pull(nodes)
        return SearchResult(int(status), float(cost), int(expansions), self.cells_of(nodes))

    def theta_corners(self, start_xy, goal_xy) -> SearchResult:
        """Any-angle search between cell *corners* of a single-layer grid, under the rules
        of the MovingAI / GPPC any-angle benchmarks (see `kernels.corners.corner_theta`).

        Parameters
        ----------
        start_xy, goal_xy : (int, int)
            Corners ``(i, j)``: the minimum corner of cell ``(j, i)`` (MovingAI's top-left),
            ``0 <= i <= nx``, ``0 <= j <= ny``.

        Returns
        -------
        SearchResult
            ``cells`` holds the path's corners as ``(0, j, i)``; ``cost`` its length in
            cells (uniform costs; cost layers are ignored in this model).
        """
        if self.three_d:
            raise ValueError("the corner model is defined for single-layer grids")
        _, ny, nx = self.shape
        points = []
        for role, point in (("start", start_xy), ("goal", goal_xy)):
            try:
                i, j = (int(v) for v in point)
            except (TypeError, ValueError):
                raise ValueError(f"{role}: expected a corner (i, j), got {point!r}") from None
            if not (0 <= i <= nx and 0 <= j <= ny):
                raise ValueError(
                    f"{role} corner {(i, j)} lies outside the grid's corners 0..{nx} x 0..{ny}"
                )
            points.append((i, j))
        if self._corner_work is None:
            size = (ny + 1) * (nx + 1)
            self._corner_work = (
                np.empty(size),
                np.empty(size, np.int32),
                np.zeros(size, np.int32),
                np.empty(size, np.int32),
            )
        g, parent, state, path = self._corner_work
        self._corner_generation += 1
        if self._corner_generation >= _GENERATION_LIMIT:
            state[:] = 0
            self._corner_generation = 1
        (si, sj), (gi, gj) = points
        status, cost, expansions, length = corners.corner_theta(
            np.ascontiguousarray(self.blocked[0]),
            si,
            sj,
            gi,
            gj,
            g,
            parent,
            state,
            self._corner_generation,
            path,
        )
        flat = path[:length].astype(np.int64)
        j, i = np.divmod(flat, nx + 1)
        return SearchResult(
            int(status), float(cost), int(expansions), np.stack([np.zeros_like(j), j, i], axis=1)
        )

    def smooth(self, cells) -> tuple[np.ndarray, float]:
        """String-pull a cell path (e.g. from `astar`) with the conservative line of sight.

        Returns the kept vertices ``(n, 3)`` and the smoothed path's cost; a shortcut is
        taken only where it is clear and costs no more than the stretch it replaces.
        """
        nodes, cost = self._pull(self.nodes(cells))
        return self.cells_of(nodes), cost

    def _pull(self, nodes: np.ndarray) -> tuple[np.ndarray, float]:
        out = np.empty(nodes.shape[0], np.int32)
        kept, cost = anyangle.string_pull(
            self._blocked,
            self._cost,
            self._alt,
            self._edges,
            self.px,
            self.py,
            self.cell_size_m,
            self.climb_penalty_per_m,
            nodes.astype(np.int32),
            nodes.shape[0],
            out,
        )
        return out[:kept], float(cost)

    def line_of_sight(self, a: Cell, b: Cell) -> tuple[bool, float]:
        """Conservative line of sight between two cell centres, and the segment's cost."""
        clear, cost = anyangle.line_of_sight(
            self._blocked,
            self._cost,
            self._alt,
            self._edges,
            self.px,
            self.py,
            self.cell_size_m,
            self.climb_penalty_per_m,
            self.node(a),
            self.node(b),
        )
        return bool(clear), float(cost)

    def distance_field(self, source: Cell) -> DistanceField:
        """Dijkstra from one cell (e.g. a depot's) over the whole grid, in one call."""
        source_node = self.node(self.check_cell(source, "source"))
        size = self._blocked.shape[0]
        distance = np.empty(size, np.float64)
        parent = np.empty(size, np.int32)
        if not self.three_d and self.uniform_cost:  # one uniform-cost layer: the specialised kernel
            dijkstra.dijkstra_field_2d(
                self._blocked, self.px, self.cell_size_m * self.hmin, source_node, distance, parent
            )
        else:
            dijkstra.dijkstra_field(
                *self._grid_args(), *self._move_args(), source_node, distance, parent
            )
        return DistanceField(self, tuple(int(v) for v in source), distance, parent)

    def step_graph(self):
        """The grid as a networkx graph with the kernels' step costs (the test reference).

        Nodes are cells ``(k, j, i)``; an edge joins two free cells a move apart whose
        bounding box is free, weighted like `astar` (exact rules).
        """
        import networkx as nx

        graph = nx.Graph()
        free = np.argwhere(self.blocked == 0)
        graph.add_nodes_from(map(tuple, free.tolist()))
        nz, ny, nx_ = self.shape
        layers = np.asarray(self.airspace.layers_m)
        cost = self.airspace.cost
        size = self.cell_size_m
        blocked = self.blocked
        for dk, dj, di in _MOVES_3D if self.three_d else _MOVES_2D:
            if (dk, dj, di) < (0, 0, 0):
                continue  # undirected: each pair once
            k, j, i = free[:, 0], free[:, 1], free[:, 2]
            vk, vj, vi = k + dk, j + dj, i + di
            inside = (vk >= 0) & (vk < nz) & (vj >= 0) & (vj < ny) & (vi >= 0) & (vi < nx_)
            k, j, i, vk, vj, vi = (a[inside] for a in (k, j, i, vk, vj, vi))
            ok = blocked[vk, vj, vi] == 0
            for ek, ej, ei in _box_cells(dk, dj, di):
                ok &= blocked[k + ek, j + ej, i + ei] == 0
            k, j, i, vk, vj, vi = (a[ok] for a in (k, j, i, vk, vj, vi))
            dz = layers[vk] - layers[k]
            length = np.sqrt((di * di + dj * dj) * size * size + dz * dz)
            weight = length * 0.5 * (
                cost[k, j, i].astype(np.float64) + cost[vk, vj, vi]
            ) + self.climb_penalty_per_m * np.abs(dz)
            graph.add_weighted_edges_from(
                zip(
                    zip(k.tolist(), j.tolist(), i.tolist()),
                    zip(vk.tolist(), vj.tolist(), vi.tolist()),
                    weight.tolist(),
                )
            )
        return graph


class DistanceField:
    """Cheapest costs from one source cell to every cell, and the routes behind them.

    Attributes
    ----------
    source : (k, j, i)
    grid : PlanningGrid
    """

    def __init__(
        self, grid: PlanningGrid, source: Cell, distance: np.ndarray, parent: np.ndarray
    ) -> None:
        self.grid = grid
        self.source = source
        self._distance = distance
        self._parent = parent
        # DistanceField and PlanningGrid share the padded layout of this module.
        self._scratch = np.empty(grid._blocked.shape[0], np.int32)  # noqa: SLF001

    @property
    def distance(self) -> np.ndarray:
        """``(nz, ny, nx)`` cost from the source (``inf`` where unreachable)."""
        pz, py, px = self.grid._pshape  # noqa: SLF001  (same module's padded layout)
        pad = self.grid._pad_z  # noqa: SLF001
        nz = self.grid.shape[0]
        return self._distance.reshape(pz, py, px)[pad : pad + nz, 1:-1, 1:-1]

    def cost_to(self, cell: Cell) -> float:
        """Cost from the source to ``cell`` (``inf`` when unreachable)."""
        return float(self._distance[self.grid.node(cell)])

    def route_to(self, cell: Cell) -> np.ndarray:
        """Cells ``(n, 3)`` from the source to ``cell``, read off the field in O(path length).

        Empty when unreachable. Reverse it for the route back to the source (step costs
        are symmetric).
        """
        length = dijkstra.trace_field(self._parent, self.grid.node(cell), self._scratch)
        return self.grid.cells_of(self._scratch[:length])


@dataclass(frozen=True)
class _MoveTables:
    offset: np.ndarray
    dk: np.ndarray
    dj: np.ndarray
    di: np.ndarray
    box_mask: np.ndarray
    length: np.ndarray
    climb: np.ndarray


def _all_moves(three_d: bool) -> list[Cell]:
    return [
        (dk, dj, di)
        for dk in ((-1, 0, 1) if three_d else (0,))
        for dj in (-1, 0, 1)
        for di in (-1, 0, 1)
        if (dk, dj, di) != (0, 0, 0)
    ]


_MOVES_2D = _all_moves(False)
_MOVES_3D = _all_moves(True)


def _box_cells(dk: int, dj: int, di: int) -> list[Cell]:
    """Cells of a move's bounding box other than its two ends (they must be free)."""
    return [
        (ek, ej, ei)
        for ek in {0, dk}
        for ej in {0, dj}
        for ei in {0, di}
        if (ek, ej, ei) != (0, 0, 0) and (ek, ej, ei) != (dk, dj, di)
    ]


def _neighbour_bit(dk: int, dj: int, di: int, three_d: bool) -> int:
    """The bit of a neighbourhood offset in the kernels' occupancy words (`moves.neighbour_offsets`)."""
    return ((dk + 1) * 9 if three_d else 0) + (dj + 1) * 3 + (di + 1)


def _step_cost(move: Cell, cell_size: float, hmin: float, penalty: float) -> float:
    """Cost of a move on uniform cubic cells, as `jps3d.jps3d` and `astar.astar3d_uniform` count it."""
    dk, dj, di = move
    return math.sqrt(abs(dk) + abs(dj) + abs(di)) * cell_size * hmin + penalty * cell_size * abs(dk)


def _move_box(a: Cell, b: Cell) -> int:
    """Occupancy bits (around a cell, see `_neighbour_bit`) of the box between two cells of
    its cube, both included."""
    bits = 0
    for k in range(min(a[0], b[0]), max(a[0], b[0]) + 1):
        for j in range(min(a[1], b[1]), max(a[1], b[1]) + 1):
            for i in range(min(a[2], b[2]), max(a[2], b[2]) + 1):
                bits |= 1 << _neighbour_bit(k, j, i, True)
    return bits


def _jump_rules_3d(moves: _MoveTables, step_cost) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forced-neighbour rules of `jps3d.jps3d` for cell c reached by straight move d (from
    p = c - d), as occupancy bits of c's cube: ``alternatives[d, e, :count[d, e]]`` are the
    boxes of the other ways from p to c + e that make neighbour e not forced (strictly
    cheaper, or the same two moves with the one along more axes first); e is forced when
    its own move is free and every alternative is blocked. ``behind[d]``: p's bit.

    Only ways of one or two moves inside c's cube are looked for. Missing a longer
    alternative (with a climb penalty one can be cheaper) only forces more neighbours,
    never fewer: the search stops at more jump points, and stays exact.
    """
    table = [(int(a), int(b), int(c)) for a, b, c in zip(moves.dk, moves.dj, moves.di)]
    index = {move: m for m, move in enumerate(table)}
    axes = [sum(map(abs, move)) for move in table]
    cost = [step_cost(move) for move in table]
    cube = [(k, j, i) for k in (-1, 0, 1) for j in (-1, 0, 1) for i in (-1, 0, 1)]
    alternatives = np.zeros((6, len(table), 32), np.int64)
    count = np.zeros((6, len(table)), np.int64)
    behind = np.zeros(6, np.int64)
    for d in range(6):
        back = tuple(-v for v in table[d])
        behind[d] = 1 << _neighbour_bit(*back, True)
        for e, target in enumerate(table):
            if e == d:
                continue
            through = cost[d] + cost[e]
            ways = []
            if target == back:
                ways.append(0)  # back where it came from: never needed
            direct = tuple(a - b for a, b in zip(target, back))
            if direct in index and cost[index[direct]] < through * (1 - 1e-12):
                ways.append(_move_box(back, target))
            for via in cube:
                first = tuple(a - b for a, b in zip(via, back))
                second = tuple(a - b for a, b in zip(target, via))
                if via == (0, 0, 0) or first not in index or second not in index:
                    continue
                cheaper = cost[index[first]] + cost[index[second]] < through * (1 - 1e-12)
                canonical = index[first] == e and index[second] == d and axes[e] > axes[d]
                if cheaper or canonical:
                    ways.append(_move_box(back, via) | _move_box(via, target))
            count[d, e] = len(ways)
            alternatives[d, e, : len(ways)] = ways
    return alternatives, count, behind


def _move_tables(
    three_d: bool, px: int, py: int, alt: np.ndarray, cell_size: float, penalty: float
) -> _MoveTables:
    moves = _MOVES_3D if three_d else _MOVES_2D
    # Straight moves first, then diagonals: the order only decides which of equally good
    # parents is kept, but a fixed order keeps results reproducible.
    moves = sorted(moves, key=lambda m: (sum(map(abs, m)), m))
    plane = px * py
    offset = np.array([dk * plane + dj * px + di for dk, dj, di in moves], dtype=np.int64)
    box_mask = np.zeros((len(moves), 3), np.int64)
    for m, (dk, dj, di) in enumerate(moves):
        for ek, ej, ei in [*_box_cells(dk, dj, di), (dk, dj, di)]:
            box_mask[m, 0] |= 1 << _neighbour_bit(ek, ej, ei, three_d)
            box_mask[m, 1] |= 1 << _neighbour_bit(ek - dk, ej - dj, ei - di, three_d)
        # Natural successors (jump point search): the moves along a subset of m's axes.
        for n, other in enumerate(moves):
            if all(b == 0 or b == a for a, b in zip((dk, dj, di), other)):
                box_mask[m, 2] |= 1 << n
    nk = alt.shape[0]
    length = np.zeros((len(moves), nk))
    climb = np.zeros((len(moves), nk))
    for m, (dk, dj, di) in enumerate(moves):
        for k in range(nk):
            if 0 <= k + dk < nk:
                dz = alt[k + dk] - alt[k]
                length[m, k] = math.sqrt((di * di + dj * dj) * cell_size * cell_size + dz * dz)
                climb[m, k] = penalty * abs(dz)
    as_int = np.array(moves, dtype=np.int64).reshape(-1, 3)
    return _MoveTables(
        offset=offset,
        dk=as_int[:, 0].copy(),
        dj=as_int[:, 1].copy(),
        di=as_int[:, 2].copy(),
        box_mask=box_mask,
        length=length,
        climb=climb,
    )
