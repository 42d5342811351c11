"""Study backends (``dronesim bench sweep``): the same runs serial, on a local pool and on
a Dask ``LocalCluster``.

The runs are one scenario (default the demo) with seeds 0..N-1. For each backend:

- ``start_s``: starting it (pool or cluster; nothing for serial);
- ``runs_s``: from the first submission to the last result; ``total_s`` = both;
- ``sim_s``: the runs' own wall time as their reports give it (``wall_seconds``: set-up,
  kernel loading and simulation), summed;
- ``overhead_in_worker_s``: per run, the worker's wall time around the run (receiving the
  scenario, the run, turning the report into a dict) minus ``wall_seconds``; mean and max;
- ``overhead_per_run_s``: ``(runs_s x workers - sim_s) / runs``: everything a worker
  slot spent not simulating (transfers, scheduling, the idle tail), per run.

- ``cpu_mean_s``: the CPU time of the process running a run (all its threads) during it,
  mean: the work, whatever else shares the machine;
- ``run_slowdown_vs_serial``: a run's mean ``wall_seconds`` over the serial one's (above 1
  when runs side by side share cores, memory bandwidth or the machine with other work);
- ``load_average``: the 1-minute load average before and after the backend's runs;
- ``first_run_extra_s``: how much longer a worker's first run took than its later ones
  (median), mean over the workers: loading the kernels from numba's cache, first imports.

With ``repeats``, the backends take turns (serial, local, dask, serial, ...) and each keeps
its fastest repetition (``total_s_repeats`` lists them all).

Speed-ups are serial ``total_s`` over the backend's. Every run's report is compared with
the serial one's field by field, wall timings (``wall_seconds``, ``time_s``) left out.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

from dronesim.sim.study import (
    DaskBackend,
    LocalBackend,
    RunStore,
    SerialBackend,
    Study,
    build_tasks,
    run_tasks,
)

BACKENDS = ("serial", "local", "dask")
WALL_FIELDS = ("wall_seconds", "time_s")


def _backend(name: str, workers: int):
    if name == "serial":
        return SerialBackend()
    if name == "local":
        return LocalBackend(workers)
    return DaskBackend(None, workers)


def run(
    runs: int = 20,
    workers: int = 2,
    scenario: str = "demo",
    duration_s: float | None = None,
    backends=BACKENDS,
    repeats: int = 1,
) -> dict[str, Any]:
    """Time ``runs`` runs of ``scenario`` (seeds 0..runs-1) on each backend; with
    ``repeats``, the backends take turns that many times and each keeps its fastest
    repetition (the machine's other work only ever slows a repetition down)."""
    fixed = () if duration_s is None else (("duration_s", float(duration_s)),)
    study = Study(name="bench-sweep", scenario=scenario, seeds=tuple(range(runs)), fixed=fixed)
    tasks = build_tasks(study)
    result: dict[str, Any] = {
        "scenario": scenario,
        "runs": runs,
        "workers": workers,
        "duration_s": tasks[0].scenario.duration_s,
        "duration_cut": duration_s is not None,
        "repeats": repeats,
        "backends": {},
    }
    reference = None
    for _ in range(repeats):
        for name in backends:
            entry, reports = _measure(name, workers, tasks)
            if reference is None:
                reference = reports
            entry["reports_identical"] = reports == reference
            best = result["backends"].get(name)
            totals = (best["total_s_repeats"] if best else []) + [entry["total_s"]]
            identical = entry["reports_identical"] and (best is None or best["reports_identical"])
            if best is None or entry["total_s"] < best["total_s"]:
                best = entry
            best["total_s_repeats"] = totals
            best["reports_identical"] = identical
            result["backends"][name] = best
    serial = result["backends"].get("serial")
    for entry in result["backends"].values():
        entry["speedup_vs_serial"] = serial["total_s"] / entry["total_s"] if serial else None
        # Above 1: a run took longer beside the others (cores shared with other work).
        entry["run_slowdown_vs_serial"] = (
            entry["sim_mean_s"] / serial["sim_mean_s"] if serial else None
        )
    local = result["backends"].get("local")
    if local and "dask" in result["backends"]:
        result["dask_over_local"] = result["backends"]["dask"]["total_s"] / local["total_s"]
    return result


def _measure(name: str, workers: int, tasks) -> tuple[dict[str, Any], dict[str, str]]:
    """One backend, started, timed and closed: its figures and its reports (key -> the
    deterministic fields as canonical JSON)."""
    load_before = os.getloadavg()[0]
    tic = time.perf_counter()
    backend = _backend(name, workers)
    start_s = time.perf_counter() - tic
    try:
        tic = time.perf_counter()
        records, _ = run_tasks(tasks, backend, RunStore(None))
        runs_s = time.perf_counter() - tic
    finally:
        backend.close()
    failed = [r for r in records if r["status"] != "ok"]
    if failed:
        raise RuntimeError(f"{name}: {len(failed)} runs failed: {failed[0]['error']}")
    sim = [r["report"]["wall_seconds"] for r in records]
    in_worker = [r["run_wall_s"] - r["report"]["wall_seconds"] for r in records]
    slots = 1 if name == "serial" else workers
    entry = {
        "workers": slots,
        "start_s": start_s,
        "runs_s": runs_s,
        "total_s": start_s + runs_s,
        "sim_s": sum(sim),
        "sim_mean_s": statistics.fmean(sim),
        "cpu_mean_s": statistics.fmean(r["run_cpu_s"] for r in records),
        "overhead_in_worker_mean_s": statistics.fmean(in_worker),
        "overhead_in_worker_max_s": max(in_worker),
        "overhead_per_run_s": (runs_s * slots - sum(sim)) / len(records),
        "workers_used": len({r["worker"] for r in records}),
        "first_run_extra_s": _first_run_extra(records),
        "load_average": [load_before, os.getloadavg()[0]],
    }
    return entry, {r["key"]: _deterministic(r["report"]) for r in records}


def _first_run_extra(records: list[dict]) -> float | None:
    """How much longer a worker's first run was than its later ones (median), averaged
    over the workers, seconds: loading the kernels from the cache, first imports."""
    by_worker: dict[str, list[float]] = {}
    for record in records:  # in the order they finished: a worker's first run first
        by_worker.setdefault(record["worker"], []).append(record["report"]["wall_seconds"])
    extras = [
        walls[0] - statistics.median(walls[1:]) for walls in by_worker.values() if len(walls) > 1
    ]
    return statistics.fmean(extras) if extras else None


def _deterministic(report: dict) -> str:
    # As text: NaN equals NaN there, and every digit counts.
    return json.dumps({k: v for k, v in report.items() if k not in WALL_FIELDS}, sort_keys=True)


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['runs']} runs of {result['scenario']} (seeds 0..{result['runs'] - 1}, "
        f"{result['duration_s']:g} s simulated each"
        + (", cut by --duration" if result["duration_cut"] else "")
        + f"), {result['workers']} workers"
        + (f", best of {result['repeats']} repetitions" if result["repeats"] > 1 else ""),
        f"{'backend':<8} {'start s':>8} {'runs s':>8} {'total s':>8} {'speed-up':>8} "
        f"{'sim s/run':>9} {'cpu s/run':>9} {'ovh in worker s':>16} {'ovh per run s':>13} "
        f"{'load':>9}  reports",
    ]
    for name, e in result["backends"].items():
        same = "identical" if e["reports_identical"] else "DIFFERENT"
        ratio = e["speedup_vs_serial"]
        speedup = "-" if ratio is None else f"{ratio:.2f}x"
        lines.append(
            f"{name:<8} {e['start_s']:8.2f} {e['runs_s']:8.2f} {e['total_s']:8.2f} "
            f"{speedup:>8} {e['sim_mean_s']:9.2f} {e['cpu_mean_s']:9.2f} "
            f"{e['overhead_in_worker_mean_s']:7.3f} (max {e['overhead_in_worker_max_s']:.2f}) "
            f"{e['overhead_per_run_s']:13.3f} {e['load_average'][0]:4.1f}-{e['load_average'][1]:<4.1f} {same}"
        )
        if e["first_run_extra_s"] is not None:
            lines.append(
                f"{'':<8} a worker's first run took {e['first_run_extra_s']:.2f} s longer than "
                "its later ones (kernels loaded from the cache, first imports)"
            )
        if len(e["total_s_repeats"]) > 1:
            lines.append(
                f"{'':<8} total s of each repetition: "
                + ", ".join(f"{t:.2f}" for t in e["total_s_repeats"])
            )
    if "dask_over_local" in result:
        lines.append(f"dask / local total time: {result['dask_over_local']:.2f}")
    lines.append(
        "speed-up: serial total / backend total; sim s/run: the reports' wall_seconds (a run "
        "slower beside others than alone: cores shared); cpu s/run: CPU time of the run's "
        "process; load: 1-min load average before-after; "
        "reports compared field by field apart from wall_seconds and time_s"
    )
    return "\n".join(lines)
