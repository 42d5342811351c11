"""Prioritized multi-agent path finding with SIPP, on the classic MAPF rules.

Agents are planned one after another, each with `SippPlanner` against the reservations of
those before it (vertex intervals and swap moves), under the classic rules: 4-connected unit
moves plus waits, all agents at their starts at t = 0, an agent that has arrived stays on
its goal for ever.

Goals held after arrival: an agent's goal is reserved from its arrival on for ever, so no
later agent passes through it. The other direction is the classic subtlety of prioritized
planning: an agent must not park on its goal while an earlier agent's plan still crosses
that cell later. SIPP handles it by accepting only an arrival in the goal's *last* safe
interval (the one that never ends), so the arrival is after every reservation of the goal.

Priority restarts: when an agent finds no plan, it moves to the front of the order and the
planning starts again, until a plan is found for every agent or the time limit passes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from dronesim.planners.deconfliction.reservations import DeconflictionError, ReservationTable
from dronesim.planners.deconfliction.sipp import SippPlanner, SippStatus, mapf_moves


@dataclass(frozen=True)
class MapfResult:
    """The outcome of `prioritized_planning`.

    Attributes
    ----------
    success : bool
        Every agent has a plan.
    paths : list of numpy.ndarray
        Per agent, ``int64 (T_i + 1, 2)``: its cell ``(row, column)`` at each time step
        ``0 .. T_i`` (``T_i`` its arrival at the goal; it stays there afterwards). Empty
        when ``success`` is False.
    arrival : numpy.ndarray
        ``int64 (k,)``: each agent's arrival time step at its goal (-1 without success).
    sum_of_costs : int
        Sum of the arrival times (waiting at the goal after the last move is free); -1
        without success.
    restarts : int
        Priority restarts made.
    seconds : float
        Wall time spent, in seconds.
    order : list of int
        The priority order of the last attempt (first = highest priority).
    reason : str
        Why it failed ("" on success).
    """

    success: bool
    paths: list[np.ndarray]
    arrival: np.ndarray
    sum_of_costs: int
    restarts: int
    seconds: float
    order: list[int]
    reason: str = ""
    expansions: int = field(default=0)


def _check_cells(name: str, cells: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    cells = np.asarray(cells)
    if cells.ndim != 2 or cells.shape[1] != 2 or cells.dtype.kind not in "iu":
        raise DeconflictionError(f"MAPF: {name} must be integer (k, 2) rows of (row, column)")
    cells = cells.astype(np.int64)
    inside = (cells >= 0).all(axis=1) & (cells < np.array(blocked.shape)).all(axis=1)
    if not inside.all():
        i = int(np.argmin(inside))
        raise DeconflictionError(
            f"MAPF: {name}[{i}] = {tuple(cells[i])} lies outside the map {blocked.shape}"
        )
    on_wall = blocked[cells[:, 0], cells[:, 1]] != 0
    if on_wall.any():
        i = int(np.argmax(on_wall))
        raise DeconflictionError(f"MAPF: {name}[{i}] = {tuple(cells[i])} is an obstacle")
    _, first, counts = np.unique(cells, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        i = int(first[np.argmax(counts > 1)])
        raise DeconflictionError(f"MAPF: {name}[{i}] = {tuple(cells[i])} is shared by two agents")
    return cells


def prioritized_planning(
    blocked: np.ndarray,
    starts: np.ndarray,
    goals: np.ndarray,
    *,
    time_limit_s: float = 1.0,
    order: list[int] | None = None,
    max_expansions: int = 1_000_000,
    max_restarts: int = 4,
    planner: SippPlanner | None = None,
) -> MapfResult:
    """Solve a MAPF instance by prioritized SIPP with priority restarts.

    Parameters
    ----------
    blocked : numpy.ndarray
        ``(rows, columns)``; non-zero = obstacle.
    starts, goals : numpy.ndarray
        ``(k, 2)`` integer ``(row, column)`` cells, distinct within each array.
    time_limit_s : float
        Wall-clock budget in seconds (> 0); the search gives up after it.
    order : list of int, optional
        Initial priority order (default: agents with the longer shortest path first).
    max_expansions : int
        SIPP expansion limit per agent and attempt.
    max_restarts : int
        Restarts from the shortest-first order before the longest-first order is tried
        (with the given ``order``, restarts go on until the time limit).
    planner : SippPlanner, optional
        A planner over ``blocked`` with `mapf_moves` to reuse (its work arrays persist).
    """
    began = time.perf_counter()
    blocked = np.asarray(blocked)
    if blocked.ndim != 2:
        raise DeconflictionError(f"MAPF: blocked must be 2D, got shape {blocked.shape}")
    if not (
        isinstance(time_limit_s, int | float) and math.isfinite(time_limit_s) and time_limit_s > 0
    ):
        raise DeconflictionError(f"MAPF: time_limit_s must be finite and > 0, got {time_limit_s!r}")
    starts = _check_cells("starts", starts, blocked)
    goals = _check_cells("goals", goals, blocked)
    if starts.shape != goals.shape:
        raise DeconflictionError(f"MAPF: {len(starts)} starts but {len(goals)} goals")
    k = len(starts)
    if planner is None:
        planner = SippPlanner(blocked, mapf_moves())
    fields = [planner.distance_field(tuple(goal)) for goal in goals]
    start_flat = np.ravel_multi_index(tuple(starts.T), blocked.shape)
    lengths = np.array([fields[a][start_flat[a]] for a in range(k)])
    empty = np.full(k, -1, np.int64)
    if not np.all(np.isfinite(lengths)):
        a = int(np.argmin(np.isfinite(lengths)))
        return MapfResult(False, [], empty, -1, 0, time.perf_counter() - began, [],
                          f"agent {a} cannot reach its goal")  # fmt: skip
    if order is None:
        # Shortest first, then longest first (ties by index). Shortest first delays the
        # fewest agents (a lower sum of costs on the MovingAI maps), but parks agents early
        # on goals that may wall others off; when it needs more than ``max_restarts``
        # restarts, longest first (which parks them late) takes the remaining time.
        orders = [
            sorted(range(k), key=lambda a: (lengths[a], a)),
            sorted(range(k), key=lambda a: (-lengths[a], a)),
        ]
    else:
        order = [int(a) for a in order]
        if sorted(order) != list(range(k)):
            raise DeconflictionError(f"MAPF: order must be a permutation of 0..{k - 1}")
        orders = [order]
    restarts = 0
    expansions = 0
    plans: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
    reason = ""
    order = orders[0]
    for attempt, initial in enumerate(orders):
        order = initial
        budget = math.inf if attempt == len(orders) - 1 else max_restarts
        tries = 0
        while plans is None:
            outcome, failed, count = _plan_in_order(
                planner, blocked.shape, order, start_flat, goals, fields, max_expansions,
                began, time_limit_s,
            )  # fmt: skip
            expansions += count
            if isinstance(outcome, dict):
                plans = outcome
                break
            reason = outcome
            if reason == "time limit" or time.perf_counter() - began > time_limit_s:
                return MapfResult(False, [], empty, -1, restarts, time.perf_counter() - began,
                                  order, "time limit" if reason == "time limit"
                                  else f"time limit ({reason})", expansions)  # fmt: skip
            if tries >= budget:
                break
            # Priority restart: the agent that found no plan goes first.
            order = [failed] + [a for a in order if a != failed]
            restarts += 1
            tries += 1
        if plans is not None:
            break
    if plans is None:
        return MapfResult(False, [], empty, -1, restarts, time.perf_counter() - began, order,
                          reason, expansions)  # fmt: skip
    paths = []
    arrival = np.empty(k, np.int64)
    for agent in range(k):
        cells, arrive = plans[agent]
        steps = np.rint(arrive).astype(np.int64)
        arrival[agent] = steps[-1]
        timeline = np.repeat(cells, np.diff(np.append(steps, steps[-1] + 1)))
        rows, cols = np.unravel_index(timeline, blocked.shape)
        paths.append(np.stack([rows, cols], axis=1).astype(np.int64))
    return MapfResult(True, paths, arrival, int(arrival.sum()), restarts,
                      time.perf_counter() - began, order, "", expansions)  # fmt: skip


def _plan_in_order(planner, shape, order, start_flat, goals, fields, max_expansions, began,
                   time_limit_s):  # fmt: skip
    """Plan the agents in ``order`` against one table; returns ``(plans, -1, expansions)``
    or ``(reason, failed agent, expansions)``."""
    table = ReservationTable(shape, capacity=max(1024, 64 * len(order)))
    plans: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    expansions = 0
    for agent in order:
        if time.perf_counter() - began > time_limit_s:
            return "time limit", agent, expansions
        result = planner.plan(
            table, start_flat[agent], tuple(goals[agent]), heuristic=fields[agent],
            max_expansions=max_expansions,
        )  # fmt: skip
        expansions += result.expansions
        if result.status != SippStatus.FOUND:
            return (
                f"agent {agent}: {result.status.name.lower().replace('_', ' ')}",
                agent,
                expansions,
            )
        cells, arrive = result.cells, result.arrive_s
        table.reserve_plan(agent, cells, arrive, hold_s=math.inf)
        if len(cells) > 1:
            # The MAPF swap rule: the opposite move in the same step is forbidden.
            table.reserve_moves(agent, cells[:-1], cells[1:], arrive[1:] - 1.0)
        plans[agent] = (cells, arrive)
    return plans, -1, expansions
