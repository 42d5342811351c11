"""Deconfliction: a space-time reservation table, safe interval path planning (SIPP) over
it, and prioritized multi-agent path finding built on both.

- `ReservationTable` (``reservations``): occupied time intervals per grid cell, inflated by
  a separation footprint and a time buffer; safe intervals per cell.
- `SippPlanner` (``sipp``): earliest-arrival plans against the table, under the classic
  MAPF rules (`mapf_moves`) or the drone rules (`drone_moves`: 8/26-connected, per-move
  durations).
- `prioritized_planning` (``mapf``): prioritized SIPP with priority restarts, goals held.
"""

from dronesim.planners.deconfliction.mapf import MapfResult, prioritized_planning
from dronesim.planners.deconfliction.reservations import (
    DeconflictionError,
    ReservationTable,
    plan_occupancy,
)
from dronesim.planners.deconfliction.sipp import (
    MoveTable,
    SippPlanner,
    SippResult,
    SippStatus,
    drone_moves,
    mapf_moves,
)

__all__ = [
    "DeconflictionError",
    "MapfResult",
    "MoveTable",
    "ReservationTable",
    "SippPlanner",
    "SippResult",
    "SippStatus",
    "drone_moves",
    "mapf_moves",
    "plan_occupancy",
    "prioritized_planning",
]
