"""dronesim.planners: route planning over the airspace grid. Knows `maps`.

Kernels (numba, arrays in and out) live in ``kernels``, one algorithm per module; this
package's API wraps them: prepare a `PlanningGrid` once per airspace and time, then plan
with a planner from the registry (``"astar"``, ``"theta"``, ``"networkx"``, ...) or your
own.
"""

from dronesim.planners.grid import DistanceField, PlanningGrid, SearchResult
from dronesim.planners.path import FlightPath, PlanStatus
from dronesim.planners.registry import (
    PLANNERS,
    CornerThetaStar,
    GridAStar,
    LazyThetaStar,
    NetworkXReference,
    Planner,
    PlannerRegistry,
    get_planner,
    plan_cells,
    plan_many,
    plan_route,
    register,
)

__all__ = [
    "PLANNERS",
    "CornerThetaStar",
    "DistanceField",
    "FlightPath",
    "GridAStar",
    "LazyThetaStar",
    "NetworkXReference",
    "PlanStatus",
    "Planner",
    "PlannerRegistry",
    "PlanningGrid",
    "SearchResult",
    "get_planner",
    "plan_cells",
    "plan_many",
    "plan_route",
    "register",
]
