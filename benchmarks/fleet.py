"""Fleet-scheduling benchmarks (``dronesim bench fleet``).

Cases (each the median of ``repeats`` timed runs after one warm-up; JSON: ``name``,
``seconds``, ``peer``, ``peer_seconds``, ``total_cost``, ``peer_total_cost``, ``target``):

- ``assignment-1000x1000``: dense random costs, our kernel beside
  ``scipy.optimize.linear_sum_assignment`` (target: at most 1.5x its time, same total);
- ``assignment-500x2000``: the rectangular shape of a dispatch round;
- ``trip-estimates-500x2000``: the cost matrix of 500 drones x 2,000 open orders;
- ``dispatch-assignment-500x2000`` and ``dispatch-batching-500x2000``: full dispatch
  rounds (cost matrix, assignment or batching, charging, rebalancing; target < 0.5 s),
  beside the greedy first-come-first-served baseline on the same round.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
from dronesim.planners.energy import DroneModel
from dronesim.planners.fleet import (
    DepotState,
    FleetState,
    OrderBatch,
    TravelModel,
    dispatch,
    solve_assignment,
    trip_estimates,
)


def _median_time(function, repeats: int) -> tuple[float, Any]:
    function()  # warm-up: JIT compile or load from cache
    times = []
    result = None
    for _ in range(repeats):
        tic = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - tic)
    return statistics.median(times), result


def city_round(n_drones: int = 500, n_orders: int = 2000, n_depots: int = 10, seed: int = 0):
    """A dispatch round in a 10 km city: drones at depots or in flight, orders picked up
    at depots and dropped within a few kilometres."""
    rng = np.random.default_rng(seed)
    depots = DepotState(
        rng.uniform(1000, 9000, (n_depots, 2)),
        np.full(n_depots, 8),
        queue=rng.integers(0, 4, n_depots),
    )
    home = rng.integers(n_depots, size=n_drones)
    airborne = rng.random(n_drones) < 0.4
    position = np.c_[
        depots.position_m[home] + airborne[:, None] * rng.normal(0, 1500, (n_drones, 2)),
        airborne * 50.0,
    ]
    fleet = FleetState(
        position,
        rng.uniform(0, 600, n_drones),
        rng.uniform(30, 130, n_drones),
        rng.random(n_drones) < 0.95,
    )
    pickup = depots.position_m[rng.integers(n_depots, size=n_orders)]
    orders = OrderBatch(
        pickup,
        pickup + rng.normal(0, 1500, (n_orders, 2)),
        rng.uniform(0.1, 1.0, n_orders),
        np.sort(rng.uniform(0, 600, n_orders)),
        rng.uniform(1800, 3600, n_orders),
    )
    return fleet, orders, depots, rng.uniform(0, 60, n_depots)


def run(repeats: int = 5) -> dict[str, Any]:
    """All cases; returns ``{"cases": [...]}``."""
    rng = np.random.default_rng(1)
    cases: list[dict[str, Any]] = []
    try:
        from scipy.optimize import linear_sum_assignment as scipy_lsa
    except ImportError:
        scipy_lsa = None
    for rows, cols in ((1000, 1000), (500, 2000)):
        cost = rng.random((rows, cols)) * 1000.0
        seconds, col4row = _median_time(lambda cost=cost: solve_assignment(cost), repeats)
        case = {
            "name": f"assignment-{rows}x{cols}",
            "seconds": seconds,
            "total_cost": float(cost[np.arange(rows), col4row].sum()),
            "peer": None,
            "peer_seconds": None,
            "peer_total_cost": None,
            "target": "<= 1.5 x scipy time, same total" if rows == cols else None,
        }
        if scipy_lsa is not None:
            peer_seconds, (r, c) = _median_time(lambda cost=cost: scipy_lsa(cost), repeats)
            case.update(
                peer="scipy.optimize.linear_sum_assignment",
                peer_seconds=peer_seconds,
                peer_total_cost=float(cost[r, c].sum()),
            )
        cases.append(case)

    model = DroneModel()
    travel = TravelModel()
    fleet, orders, depots, forecast = city_round()
    seconds, estimates = _median_time(
        lambda: trip_estimates(fleet, orders, depots, model, travel, 600.0), repeats
    )
    cases.append(
        {
            "name": "trip-estimates-500x2000",
            "seconds": seconds,
            "total_cost": None,
            "peer": None,
            "peer_seconds": None,
            "peer_total_cost": None,
            "target": None,
            "feasible_pairs": int(np.isfinite(estimates.cost).sum()),
        }
    )
    greedy_seconds, greedy = _median_time(
        lambda: dispatch(
            fleet,
            orders,
            depots,
            model,
            travel,
            600.0,
            policy="greedy",
            forecast_per_depot=forecast,
        ),
        repeats,
    )
    for policy in ("assignment", "batching"):
        seconds, plan = _median_time(
            lambda policy=policy: dispatch(
                fleet,
                orders,
                depots,
                model,
                travel,
                600.0,
                policy=policy,
                forecast_per_depot=forecast,
            ),
            repeats,
        )
        cases.append(
            {
                "name": f"dispatch-{policy}-500x2000",
                "seconds": seconds,
                "total_cost": plan.total_cost,
                "peer": "greedy first-come-first-served (same round)",
                "peer_seconds": greedy_seconds,
                "peer_total_cost": greedy.total_cost,
                "target": "< 0.5 s",
                "orders_assigned": int((plan.drone4order >= 0).sum()),
                "peer_orders_assigned": int((greedy.drone4order >= 0).sum()),
                "sent_to_charge": int((plan.charge_depot >= 0).sum()),
                "rebalanced": int((plan.rebalance_depot >= 0).sum()),
            }
        )
    return {"cases": cases}


def format_table(document: dict[str, Any]) -> str:
    """Human-readable table of `run`'s cases."""
    lines = [
        f"{'case':34s} {'seconds':>9s} {'peer s':>9s} {'ratio':>6s} {'total cost':>14s} {'peer total':>14s}  target"
    ]
    for case in document["cases"]:
        peer_s = case["peer_seconds"]
        ratio = f"{case['seconds'] / peer_s:.2f}" if peer_s else "-"
        total = "-" if case["total_cost"] is None else f"{case['total_cost']:.1f}"
        peer_total = "-" if case["peer_total_cost"] is None else f"{case['peer_total_cost']:.1f}"
        extra = ""
        if "orders_assigned" in case:
            extra = f" (assigned {case['orders_assigned']} vs {case['peer_orders_assigned']})"
        lines.append(
            f"{case['name']:34s} {case['seconds']:9.4f} {peer_s if peer_s else float('nan'):9.4f} {ratio:>6s} "
            f"{total:>14s} {peer_total:>14s}  {case['target'] or ''}{extra}"
        )
    peers = sorted({case["peer"] for case in document["cases"] if case["peer"]})
    lines.append(
        "peers: " + "; ".join(peers)
        if peers
        else "peers: none installed (pip install 'dronesim[bench]')"
    )
    return "\n".join(lines)
