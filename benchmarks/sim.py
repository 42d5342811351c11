"""Simulation benchmarks (``dronesim bench sim``).

- ``demo-cold``: ``dronesim run demo`` in a fresh process with an empty numba cache
  (every kernel compiled), wall time of the whole process (target < 20 s);
- ``demo-warm``: the same with the cache filled (target < 3 s);
- ``city-day``: the bundled 24 h, 500-drone scenario with its recording (target < 60 s,
  recording < 100 MB), with the wall-time split between planning, dispatch and stepping;
- ``scaling``: city-day at noon for 2 h with 100 to 2,000 drones (demand scaled with the
  fleet): run time (wall minus the fixed set-up of the map) should grow about linearly;
- ``deconfliction``: the demo with ``none`` and with ``layers``: losses of separation
  (total and by phase).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dronesim.sim.engine import Simulation
from dronesim.sim.recording import write_recording
from dronesim.sim.scenario import load_scenario


def _process_seconds(arguments: list[str], environment: dict[str, str]) -> float:
    tic = time.perf_counter()
    subprocess.run(
        arguments, check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - tic


def run(quick: bool = False) -> dict[str, Any]:
    """All cases (``quick``: skip city-day and the largest fleets)."""
    results: dict[str, Any] = {}
    command = [sys.executable, "-m", "dronesim.sim.cli", "run", "demo", "--quiet"]
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        results["demo_cold_process_seconds"] = _process_seconds(command, environment)
        results["demo_warm_process_seconds"] = _process_seconds(command, environment)
    demo = load_scenario("demo")
    Simulation(demo, duration_s=60).run()  # load kernels in this process
    tic = time.perf_counter()
    report = Simulation(demo).run()
    results["demo_warm_in_process_seconds"] = time.perf_counter() - tic
    results["demo_report"] = report.to_dict()

    losses = {}
    for policy in ("none", "layers"):
        scenario = demo.replace(
            deconfliction=dataclasses.replace(demo.deconfliction, policy=policy)
        )
        outcome = Simulation(scenario).run()
        losses[policy] = {
            "separation_losses": outcome.separation_losses,
            "separation_losses_by_phase": outcome.separation_losses_by_phase,
            "separation_loss_pair_seconds": outcome.separation_loss_pair_seconds,
            "orders_delivered": outcome.orders_delivered,
            "energy_wh_per_delivery": outcome.energy_wh_per_delivery,
        }
    results["deconfliction_demo"] = losses

    city = load_scenario("city-day")
    if not quick:
        simulation = Simulation(city)
        report = simulation.run()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "city-day.npz"
            tic = time.perf_counter()
            write_recording(simulation, path)
            results["city_day_recording_seconds"] = time.perf_counter() - tic
            results["city_day_recording_mb"] = path.stat().st_size / 1e6
        results["city_day_report"] = report.to_dict()
    scaling = []
    for drones in (100, 250, 500, 1000) if quick else (100, 250, 500, 1000, 2000):
        per_depot = max(1, round(drones / city.map.depots))
        scenario = city.replace(
            fleet=dataclasses.replace(city.fleet, drones_per_depot=(per_depot,)),
            demand=dataclasses.replace(
                city.demand, scale=per_depot * city.map.depots / 500.0, start_hour=11.0
            ),
        )
        tic = time.perf_counter()
        outcome = Simulation(scenario, duration_s=7200.0).run()
        wall = time.perf_counter() - tic
        scaling.append(
            {
                "drones": outcome.drones,
                "orders_created": outcome.orders_created,
                "orders_delivered": outcome.orders_delivered,
                "wall_seconds": wall,
                "run_seconds": wall - outcome.time_s["setup"],
                "time_s": outcome.time_s,
            }
        )
    results["scaling_2h_noon"] = scaling
    return results


def format_table(results: dict[str, Any]) -> str:
    """Readable summary of `run`'s results."""
    lines = [
        f"demo, cold process (empty numba cache)   {results['demo_cold_process_seconds']:7.1f} s   (target < 20 s)",
        f"demo, warm process                       {results['demo_warm_process_seconds']:7.1f} s   (target < 3 s; "
        f"in process {results['demo_warm_in_process_seconds']:.2f} s)",
    ]
    if "city_day_report" in results:
        report = results["city_day_report"]
        split = report["time_s"]
        lines += [
            f"city-day (24 h, {report['drones']} drones, {report['orders_created']} orders)   {report['wall_seconds']:7.1f} s   "
            f"(target < 60 s; {report['sim_seconds'] / report['wall_seconds']:,.0f}x real time)",
            f"  planning {split['planning']:.1f} s, dispatch {split['dispatch']:.1f} s, stepping {split['stepping']:.1f} s, "
            f"set-up {split['setup']:.1f} s; delivered {report['orders_delivered']}, on time {100 * report['on_time_rate']:.1f} %",
            f"  recording {results['city_day_recording_mb']:.1f} MB (target < 100 MB), written in {results['city_day_recording_seconds']:.1f} s",
        ]
    lines.append(
        "scaling (city-day map, 2 h from 11:00, demand scaled with the fleet; run = wall minus the fixed set-up):"
    )
    base = results["scaling_2h_noon"][0]
    for row in results["scaling_2h_noon"]:
        lines.append(
            f"  {row['drones']:5d} drones {row['orders_created']:6d} orders  wall {row['wall_seconds']:6.1f} s  "
            f"run {row['run_seconds']:6.1f} s ({row['run_seconds'] / base['run_seconds']:.1f}x the {base['drones']}-drone run "
            f"for {row['drones'] / base['drones']:.0f}x the fleet; dispatch {row['time_s']['dispatch']:.1f} s)"
        )
    lines.append("deconfliction on the demo:")
    for policy, row in results["deconfliction_demo"].items():
        lines.append(
            f"  {policy:7s} {row['separation_losses']:5d} losses of separation "
            f"({', '.join(f'{v} {k}' for k, v in row['separation_losses_by_phase'].items())}), "
            f"{row['separation_loss_pair_seconds']:7.0f} pair-seconds, "
            f"{row['orders_delivered']} delivered, {row['energy_wh_per_delivery']:.0f} Wh per delivery"
        )
    return "\n".join(lines)
