"""Deconfliction benchmark (``dronesim bench deconfliction``).

Each case runs once under each deconfliction policy, with the same scenario and seed, in
one process (so the ratios compare runs made side by side on the same machine):

- ``demo``: the bundled demo (2 h, 30 drones);
- ``city-day``: the bundled 24 h, 300-drone day;
- ``noon``: the city-day map for 2 h from 11:00 with 2,000 drones and demand scaled with
  the fleet (the dense case).

Per run (JSON, one object per case and policy): ``separation_losses`` and
``separation_losses_by_phase`` (cruise, vertical, mixed), ``separation_loss_pair_seconds``,
``takeoff_delay_s`` (mean, p90, max, departures), ``delivery_time_s`` (mean, p90),
``on_time_share`` (orders delivered by their deadline over all orders created),
``energy_kwh``, ``planning_s_per_departure`` (planning wall time over departures; for
``strategic`` this includes its whole-trip searches), ``planning_ms_per_trip`` (``median``,
``p90``, ``max`` in milliseconds and ``trips``: the wall time of each trip's search
against the reservation table, refused trips included; null for policies that plan no
trip against a table) and ``planning_ms_per_reposition`` (the same for repositioning
flights, with ``flights``), ``duration_s`` (simulated seconds), ``wall_seconds``, and
against the ``layers`` run of the same case: ``delivery_time_change`` and
``energy_change`` (ratios minus one), ``on_time_share_change_points`` (difference of
``on_time_share`` in percentage points) and ``wall_ratio``.

``duration_s`` given to `run` (``--duration S``) cuts every case to at most that many
simulated seconds, for a quick look; ``time_buffer_s`` (``--time-buffer-s S``) gives every
case that ``deconfliction.time_buffer_s`` (the pad and drop-off columns' buffer, and the
strategic reservations' widening), to measure what the buffer costs. The document records
both at its top (``duration_s``, ``time_buffer_s``; null for the cases' own).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
from dronesim.sim.engine import Simulation
from dronesim.sim.scenario import Scenario, load_scenario

CASES = ("demo", "city-day", "noon")
POLICIES = ("none", "layers", "strategic")
NOON_DRONES = 2000


def case_scenario(case: str) -> tuple[Scenario, float | None]:
    """The scenario of a named case and its duration override, seconds (None: its own)."""
    if case == "demo":
        return load_scenario("demo"), None
    city = load_scenario("city-day")
    if case == "city-day":
        return city, None
    if case == "noon":
        per_depot = max(1, round(NOON_DRONES / city.map.depots))
        counts = city.fleet.drones_per_depot
        city_drones = sum(counts) if len(counts) > 1 else counts[0] * city.map.depots
        scenario = city.replace(
            fleet=dataclasses.replace(city.fleet, drones_per_depot=(per_depot,)),
            demand=dataclasses.replace(
                city.demand,
                scale=city.demand.scale * per_depot * city.map.depots / city_drones,
                start_hour=11.0,
            ),
        )
        return scenario, 7200.0
    raise ValueError(f"unknown case {case!r}; known: {', '.join(CASES)}")


def measure(scenario: Scenario, policy: str, duration_s: float | None) -> dict[str, Any]:
    """One run of ``scenario`` under deconfliction ``policy``: the figures of the module
    docstring (the ratios against ``layers`` are added by `run`)."""
    scenario = scenario.replace(
        deconfliction=dataclasses.replace(scenario.deconfliction, policy=policy)
    )
    tic = time.perf_counter()
    simulation = Simulation(scenario, duration_s=duration_s)
    report = simulation.run()
    wall = time.perf_counter() - tic
    # Per-search times of a policy that plans against a table (`StrategicRun`).
    policy_run = simulation.deconfliction
    departures = max(1, int(report.takeoff_delay_s["departures"]))
    created = max(1, report.orders_created)
    return {
        "policy": policy,
        "drones": report.drones,
        "orders_created": report.orders_created,
        "orders_delivered": report.orders_delivered,
        "separation_losses": report.separation_losses,
        "separation_losses_by_phase": report.separation_losses_by_phase,
        "separation_loss_pair_seconds": report.separation_loss_pair_seconds,
        "takeoff_delay_s": report.takeoff_delay_s,
        "delivery_time_s": {
            "mean": report.delivery_time_s["mean"],
            "p90": report.delivery_time_s["p90"],
        },
        "on_time_share": report.on_time_rate * report.orders_delivered / created
        if report.on_time_rate is not None
        else 0.0,
        "energy_kwh": report.energy_kwh,
        "planning_s_per_departure": report.time_s["planning"] / departures,
        "planning_ms_per_trip": _milliseconds(getattr(policy_run, "trip_planning_s", None)),
        "planning_ms_per_reposition": _milliseconds(
            getattr(policy_run, "reposition_planning_s", None), "flights"
        ),
        "duration_s": simulation.duration_s,
        "nofly_violations": report.nofly_violations,
        "building_intrusions": report.building_intrusions,
        "wall_seconds": wall,
    }


def _milliseconds(seconds: list[float] | None, count: str = "trips") -> dict[str, Any] | None:
    """``median``, ``p90`` and ``max`` of ``seconds`` in milliseconds, and their number
    under ``count``; None when the policy keeps no such times."""
    if seconds is None:
        return None
    ms = 1000.0 * np.asarray(seconds, np.float64)
    if not len(ms):
        return {"median": None, "p90": None, "max": None, count: 0}
    return {
        "median": float(np.median(ms)),
        "p90": float(np.percentile(ms, 90)),
        "max": float(ms.max()),
        count: int(len(ms)),
    }


def _change(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference - 1.0


def run(
    cases: Iterable[str] = CASES,
    policies: Iterable[str] = POLICIES,
    scenarios: dict[str, tuple[Scenario, float | None]] | None = None,
    duration_s: float | None = None,
    time_buffer_s: float | None = None,
) -> dict[str, Any]:
    """Every case under every policy; ``scenarios`` maps extra case names to
    ``(scenario, duration_s)`` (tests use a small one); ``duration_s`` cuts every case to
    at most that many simulated seconds (None: each case's own); ``time_buffer_s``, seconds,
    replaces every case's ``deconfliction.time_buffer_s`` (None: each case's own)."""
    policies = tuple(policies)
    if time_buffer_s is not None:
        if not (math.isfinite(time_buffer_s) and 0 <= time_buffer_s <= 3600):
            raise ValueError(f"time_buffer_s must be within [0, 3600] seconds, got {time_buffer_s}")
        time_buffer_s = float(time_buffer_s) + 0.0  # -0.0 is 0
    results: dict[str, Any] = {
        "duration_s": duration_s,
        "time_buffer_s": time_buffer_s,
        "cases": {},
    }
    for case in cases:
        scenario, duration = (scenarios or {}).get(case) or case_scenario(case)
        if time_buffer_s is not None:
            scenario = scenario.replace(
                deconfliction=dataclasses.replace(
                    scenario.deconfliction, time_buffer_s=float(time_buffer_s)
                )
            )
        if duration_s is not None:
            duration = min(scenario.duration_s if duration is None else duration, duration_s)
        rows = {policy: measure(scenario, policy, duration) for policy in policies}
        reference = rows.get("layers")
        if reference is not None:
            for row in rows.values():
                row["delivery_time_change"] = _change(
                    row["delivery_time_s"]["mean"], reference["delivery_time_s"]["mean"]
                )
                row["energy_change"] = _change(row["energy_kwh"], reference["energy_kwh"])
                row["on_time_share_change_points"] = 100.0 * (
                    row["on_time_share"] - reference["on_time_share"]
                )
                row["wall_ratio"] = row["wall_seconds"] / reference["wall_seconds"]
        results["cases"][case] = rows
    return results


def format_table(results: dict[str, Any]) -> str:
    """Readable summary of `run`'s results."""
    lines = []
    if results.get("duration_s") is not None:
        lines.append(f"(every case cut to at most {results['duration_s']:g} s)")
    if results.get("time_buffer_s") is not None:
        lines.append(f"(every case with a time buffer of {results['time_buffer_s']:g} s)")
    for case, rows in results["cases"].items():
        lines.append(f"{case}:")
        for policy, row in rows.items():
            phases = ", ".join(f"{v} {k}" for k, v in row["separation_losses_by_phase"].items())
            delay = row["takeoff_delay_s"]
            extra = ""
            if row.get("wall_ratio") is not None:
                change = row["delivery_time_change"]
                extra = (
                    f"; vs layers: wall {row['wall_ratio']:.2f}x, delivery time "
                    f"{'n/a' if change is None else f'{100 * change:+.1f} %'}, on time "
                    f"{row['on_time_share_change_points']:+.1f} points"
                )
            per_trip = row.get("planning_ms_per_trip")
            if per_trip and per_trip["trips"]:
                searches = (
                    f" (trip search median {per_trip['median']:.1f} ms, p90 "
                    f"{per_trip['p90']:.1f} ms, max {per_trip['max']:.1f} ms, "
                    f"{per_trip['trips']} trips)"
                )
            else:
                searches = ""
            lines.append(
                f"  {policy:10s} {row['separation_losses']:6d} losses ({phases}), "
                f"{row['separation_loss_pair_seconds']:8.0f} pair-s, on time "
                f"{100 * row['on_time_share']:5.1f} % of all, take-off delay mean "
                f"{delay['mean']:.1f} s p90 {delay['p90']:.1f} s, planning "
                f"{1000 * row['planning_s_per_departure']:.1f} ms/departure{searches}, wall "
                f"{row['wall_seconds']:.1f} s{extra}"
            )
    return "\n".join(lines)
