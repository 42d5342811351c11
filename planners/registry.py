"""Planners by name: the protocol a planner implements, the built-in ones, and the registry
that scenarios, benchmarks and users' plug-ins share.

A planner is any object with a ``name`` and a ``plan(grid, start, goal)`` method that
returns a `FlightPath`; ``plan_many`` is optional (a loop is used otherwise). Register
your own with ``planners.register(MyPlanner())``, or from an installed package through an
entry point in the group ``dronesim.planners`` (see `dronesim.planners.plugins`). Lookups
by name never import a module the name spells: ``module:attribute`` is loaded only by
`load_planner`, which the command line uses where the user typed it
(``dronesim bench planners --planner mypkg.mod:MyPlanner``); a scenario file cannot.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from dronesim.planners.grid import Cell, PlanningGrid, SearchResult
from dronesim.planners.kernels import common
from dronesim.planners.path import FlightPath, PlanStatus
from dronesim.planners.plugins import (
    PLANNER_GROUP,
    PluginError,
    find_plugin,
    plugin_names,
)


@runtime_checkable
class Planner(Protocol):
    """What the registry, the simulator and the benchmarks need from a planner."""

    name: str

    def plan(self, grid: PlanningGrid, start: Cell, goal: Cell) -> FlightPath:
        """Route between two free cells of ``grid`` (their centres); never raises for an
        unreachable goal (return a path with that status instead)."""
        ...


@dataclass
class GridAStar:
    """A* on the grid (the numba kernels).

    Parameters
    ----------
    name : str
        Registry name.
    weight : float
        Heuristic weight (1: optimal; w > 1: at most w times the optimum, faster).
    prune : bool or None
        Jump-point search: None = wherever it is exact (see
        `PlanningGrid.jps_applicable`), True = always (error where it is not exact),
        False = never.
    rules : str
        ``"exact"`` or ``"pyastar2d"`` (see `PlanningGrid.astar`).
    smooth : bool
        String-pull the result into an any-angle path (never dearer).
    max_expansions : int, optional
        Expansion limit per query.
    """

    name: str = "astar"
    weight: float = 1.0
    prune: bool | None = None
    rules: str = "exact"
    smooth: bool = False
    max_expansions: int | None = None
    description: str = "exact grid A* (jump-point search where it is exact)"

    @property
    def respects_airspace(self) -> bool:
        """Whether its paths keep out of every blocked cell (corner cutting does not)."""
        return self.rules == "exact"

    def plan(self, grid: PlanningGrid, start: Cell, goal: Cell) -> FlightPath:
        if not self.smooth:
            # The per-query fast path (options as one hashable tuple, no keywords).
            return grid._astar_path(  # noqa: SLF001
                start, goal, self.name, (self.weight, self.max_expansions, self.rules, self.prune)
            )
        result = grid.astar(
            start,
            goal,
            weight=self.weight,
            max_expansions=self.max_expansions,
            rules=self.rules,
            prune=self.prune,
        )
        return self._path(grid, result)

    def plan_many(self, grid: PlanningGrid, starts, goals) -> list[FlightPath]:
        results = grid.astar_many(
            starts,
            goals,
            weight=self.weight,
            max_expansions=self.max_expansions,
            rules=self.rules,
            prune=self.prune,
        )
        return [self._path(grid, result) for result in results]

    def _path(self, grid: PlanningGrid, result: SearchResult) -> FlightPath:
        if result.status != PlanStatus.FOUND:
            return FlightPath.not_found(self.name, result.status, result.expansions)
        cells, cost = result.cells, result.cost
        if self.smooth:
            cells, cost = grid.smooth(cells)
        return FlightPath.from_cells(
            grid.airspace, cells, planner=self.name, cost=cost, expansions=result.expansions
        )


@dataclass
class LazyThetaStar:
    """Any-angle paths: Lazy Theta* with conservative line of sight, then string pulling."""

    name: str = "theta"
    smooth: bool = True
    max_expansions: int | None = None
    description: str = "any-angle Lazy Theta* (conservative line of sight) with string pulling"
    respects_airspace: bool = True

    def plan(self, grid: PlanningGrid, start: Cell, goal: Cell) -> FlightPath:
        result = grid.theta(start, goal, max_expansions=self.max_expansions, smooth=self.smooth)
        if result.status != PlanStatus.FOUND:
            return FlightPath.not_found(self.name, result.status, result.expansions)
        return FlightPath.from_cells(
            grid.airspace,
            result.cells,
            planner=self.name,
            cost=result.cost,
            expansions=result.expansions,
        )


@dataclass
class CornerThetaStar:
    """Any-angle paths between cell corners under the MovingAI / GPPC any-angle rules.

    For benchmarks against the any-angle ``.scen`` files, whose points are corners: a
    query cell ``(0, j, i)`` stands for its minimum corner (MovingAI's top-left). Drone
    routing uses `LazyThetaStar`, whose stricter line of sight keeps a clearance.
    """

    name: str = "theta-corners"
    description: str = "Lazy Theta* on cell corners, MovingAI any-angle rules (benchmarks)"
    respects_airspace: bool = False

    def plan(self, grid: PlanningGrid, start: Cell, goal: Cell) -> FlightPath:
        result = grid.theta_corners((start[2], start[1]), (goal[2], goal[1]))
        if result.status != PlanStatus.FOUND:
            return FlightPath.not_found(self.name, result.status, result.expansions)
        airspace = grid.airspace
        x0, y0 = airspace.origin_m
        size = airspace.cell_size_m
        cells = result.cells
        waypoints = np.stack(
            [
                x0 + cells[:, 2] * size,
                y0 + cells[:, 1] * size,
                np.full(len(cells), airspace.layers_m[0]),
            ],
            axis=1,
        )
        length = float(np.linalg.norm(np.diff(waypoints, axis=0), axis=1).sum())
        return FlightPath(
            self.name, PlanStatus.FOUND, waypoints, cells, length, result.cost, result.expansions
        )


@dataclass
class NetworkXReference:
    """networkx's A* on the same graph and step costs as the kernels: the slow, obviously
    correct reference. The graph is built once per grid (not timed by the benchmarks)."""

    name: str = "networkx"
    description: str = "networkx astar_path on the kernels' step graph (reference)"
    respects_airspace: bool = True
    _graphs: dict[int, Any] = field(default_factory=dict, repr=False)

    def graph(self, grid: PlanningGrid):
        """The grid's step graph, built on first use and kept while the grid lives."""
        key = id(grid)
        cached = self._graphs.get(key)
        if cached is None or cached[0] is not grid:
            self._graphs.clear()  # one grid at a time: graphs are large
            cached = (grid, grid.step_graph())
            self._graphs[key] = cached
        return cached[1]

    def plan(self, grid: PlanningGrid, start: Cell, goal: Cell) -> FlightPath:
        import networkx as nx

        start = grid.check_cell(start, "start")
        goal = grid.check_cell(goal, "goal")
        graph = self.graph(grid)
        heuristic = _networkx_heuristic(grid)
        try:
            nodes = nx.astar_path(graph, start, goal, heuristic=heuristic, weight="weight")
        except nx.NetworkXNoPath:
            return FlightPath.not_found(self.name, PlanStatus.UNREACHABLE, 0)
        cost = float(nx.path_weight(graph, nodes, weight="weight"))
        return FlightPath.from_cells(
            grid.airspace, np.array(nodes), planner=self.name, cost=cost, expansions=0
        )


def _networkx_heuristic(grid: PlanningGrid):
    """The kernels' admissible heuristic for cells, for networkx: the same lower bound as
    theirs (`kernels.common.heuristic`), so that both searches are equally informed and
    the benchmark's time ratio compares implementations, not heuristics."""
    import math

    layers = grid.airspace.layers_m
    size = grid.cell_size_m
    penalty = grid.climb_penalty_per_m
    hmin = grid.hmin
    root2 = math.sqrt(2.0) - 1.0
    root3 = math.sqrt(3.0) - math.sqrt(2.0)

    if grid.hmode == common.H_OCTILE_3D:

        def heuristic(a: Cell, b: Cell) -> float:
            low, middle, high = sorted((abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2])))
            vertical = abs(layers[a[0]] - layers[b[0]])
            return (root3 * low + root2 * middle + high) * size * hmin + penalty * vertical

        return heuristic

    def heuristic(a: Cell, b: Cell) -> float:
        dj, di = abs(a[1] - b[1]), abs(a[2] - b[2])
        horizontal = (max(dj, di) + root2 * min(dj, di)) * size
        vertical = abs(layers[a[0]] - layers[b[0]])
        return math.hypot(horizontal, vertical) * hmin + penalty * vertical

    return heuristic


class PlannerRegistry:
    """Planners by name."""

    def __init__(self) -> None:
        self._planners: dict[str, Planner] = {}

    def register(self, planner: Planner, *, replace: bool = False) -> Planner:
        """Add a planner under its ``name``; returns it (usable as a decorator on instances)."""
        if not isinstance(planner, Planner):
            raise ValueError(
                f"a planner needs a 'name' and a 'plan(grid, start, goal)' method, got {planner!r}"
            )
        if planner.name in self._planners and not replace:
            raise ValueError(
                f"a planner named {planner.name!r} is already registered (pass replace=True)"
            )
        self._planners[planner.name] = planner
        return planner

    def unregister(self, name: str) -> Planner | None:
        """Remove the planner registered as ``name`` (a plug-in's tests clean up this
        way); returns it, or None when no such name was registered."""
        return self._planners.pop(name, None)

    def names(self) -> list[str]:
        """Registered names, in registration order (installed entry points not yet
        looked up are not among them: see `available`)."""
        return list(self._planners)

    def available(self) -> list[str]:
        """Registered names, then the names installed packages declare as entry points."""
        return plugin_names(self._planners, PLANNER_GROUP)

    def find(self, name: str) -> Planner | None:
        """A registered planner, or one an installed package declares in the entry-point
        group ``dronesim.planners`` (loaded and registered on first use); None if neither.

        Raises
        ------
        PluginError
            The entry point does not load or its object is not a planner of that name.
        """
        return find_plugin(
            self._planners,
            PLANNER_GROUP,
            name,
            lambda target: isinstance(target, Planner),
            "a planner",
            "'name' and 'plan(grid, start, goal)'",
            self.register,
        )

    def get(self, name: str | Planner) -> Planner:
        """A planner by registered name (or entry point), or the planner itself.

        A ``module:attribute`` string is not imported here: use `load_planner` where the
        user typed it.

        Raises
        ------
        PluginError
            Unknown name (listing the known ones), or an entry point that does not load.
        """
        if isinstance(name, Planner):
            return name
        found = self.find(name) if isinstance(name, str) else None
        if found is None:
            raise PluginError(f"unknown planner {name!r}; known: {', '.join(self.available())}")
        return found


def load_planner(spec: str) -> Planner:
    """A registered planner, or ``module:attribute`` imported (a class or factory is
    called with no arguments).

    For names the user typed on a command line only: it imports and runs code, so it is
    never called on a name read from a scenario file.

    Raises
    ------
    PluginError
        Unknown name, or an import spec that does not load or is not a planner.
    """
    if ":" not in spec:
        return PLANNERS.get(spec)
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise PluginError(f"planner {spec!r}: expected module:attribute")
    try:
        module = importlib.import_module(module_name)
        target = getattr(module, attribute)
    except (ImportError, AttributeError) as error:
        raise PluginError(f"planner {spec!r}: cannot load ({error})") from None
    is_factory = isinstance(target, type) or (callable(target) and not isinstance(target, Planner))
    planner = target() if is_factory else target
    if not isinstance(planner, Planner):
        raise PluginError(
            f"planner {spec!r}: {planner!r} has no 'name' and 'plan(grid, start, goal)'"
        )
    return planner


PLANNERS = PlannerRegistry()
for _planner in (
    GridAStar(),
    GridAStar("astar-plain", prune=False, description="exact grid A* without jump-point pruning"),
    GridAStar(
        "jps",
        prune=True,
        description="jump point search (uniform cost: one layer, or cubic voxels)",
    ),
    GridAStar(
        "astar-weighted", weight=1.5, description="weighted A*, w = 1.5 (cost <= 1.5 x optimum)"
    ),
    GridAStar(
        "astar-smooth", smooth=True, prune=False, description="exact A*, then string pulling"
    ),
    LazyThetaStar(),
    CornerThetaStar(),
    NetworkXReference(),
    GridAStar(
        "astar-pyastar2d-rules",
        rules="pyastar2d",
        description="A* with pyastar2d's rules (corner cutting, diagonal = straight): benchmarks only",
    ),
):
    PLANNERS.register(_planner)


def register(planner: Planner, *, replace: bool = False) -> Planner:
    """Register a planner in the shared registry (see `PlannerRegistry.register`)."""
    return PLANNERS.register(planner, replace=replace)


def get_planner(name: str | Planner) -> Planner:
    """A planner from the shared registry (see `PlannerRegistry.get`)."""
    return PLANNERS.get(name)


def plan_cells(
    grid: PlanningGrid, start: Cell, goal: Cell, planner: str | Planner = "astar"
) -> FlightPath:
    """Plan between two free cells ``(k, j, i)``; see `plan_route` for world coordinates."""
    return get_planner(planner).plan(
        grid, grid.check_cell(start, "start"), grid.check_cell(goal, "goal")
    )


def plan_route(grid: PlanningGrid, start_m, goal_m, planner: str | Planner = "astar") -> FlightPath:
    """Plan between two world points ``(x, y, z)`` in metres.

    The path starts and ends exactly at the given points (the first and last segments
    stay inside their cells).

    Raises
    ------
    ValueError
        A point outside the map or the layers, non-finite, or inside a blocked cell
        (naming the zone or building). An unreachable goal is not an error: the returned
        path's ``status`` says so.
    """
    start = grid.world_to_cell(start_m, "start")
    goal = grid.world_to_cell(goal_m, "goal")
    path = get_planner(planner).plan(grid, start, goal)
    if not path.found:
        return path
    return FlightPath.from_cells(
        grid.airspace,
        path.cells,
        planner=path.planner,
        cost=path.cost,
        expansions=path.expansions,
        start_m=start_m,
        goal_m=goal_m,
    )


def plan_many(
    grid: PlanningGrid,
    starts: Sequence[Cell],
    goals: Sequence[Cell],
    planner: str | Planner = "astar",
) -> list[FlightPath]:
    """Plan many cell pairs; in parallel when the planner supports it (same results)."""
    chosen = get_planner(planner)
    if hasattr(chosen, "plan_many"):
        return chosen.plan_many(grid, starts, goals)
    return [chosen.plan(grid, tuple(s), tuple(g)) for s, g in zip(starts, goals)]
