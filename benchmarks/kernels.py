"""Batch planning and distance-field benchmarks (``dronesim bench kernels``).

- ``batch``: the same queries planned one by one (``PlanningGrid.astar`` in a loop) and
  in one ``astar_many`` call on 1 and on all threads; the speed-up is one-by-one time
  over the parallel call (target >= 1.8x on 2 cores). Results are checked identical.
- ``field``: a Dijkstra distance field from one cell over a 1024 x 1024 map, then routes
  read off it to many cells (target < 0.1 ms per route).

Uses ``Boston_0_1024`` from ``../shared/data/movingai`` when present, else a seeded
random 1024 x 1024 map.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from dronesim.maps import Airspace
from dronesim.maps.movingai import read_map
from dronesim.planners import PlanningGrid

DEFAULT_MAP = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "movingai"
    / "Boston_0_1024.map"
)


def _grid(map_path: Path | None) -> tuple[PlanningGrid, str]:
    if map_path is not None and map_path.is_file():
        return PlanningGrid(Airspace.from_grid(read_map(map_path).blocked)), map_path.name
    rng = np.random.default_rng(0)
    blocked = (rng.random((1024, 1024)) < 0.2).astype(np.uint8)
    return PlanningGrid(Airspace.from_grid(blocked)), "random 1024x1024 (20% blocked, seed 0)"


def _pairs(grid: PlanningGrid, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs of free cells in the largest connected region (so most are reachable)."""
    rng = np.random.default_rng(seed)
    free = np.argwhere(grid.blocked == 0)
    hub = tuple(free[len(free) // 2])
    field = grid.distance_field(hub).distance
    reachable = np.argwhere(np.isfinite(field))
    picks = rng.integers(len(reachable), size=(count, 2))
    return reachable[picks[:, 0]], reachable[picks[:, 1]]


def run(
    map_path: Path | None = DEFAULT_MAP,
    queries: int = 300,
    repeats: int = 3,
    threads: int | None = None,
) -> dict[str, Any]:
    """Measure batch speed-up and distance-field route reading; returns the figures (best of ``repeats``)."""
    import numba

    grid, name = _grid(map_path)
    starts, goals = _pairs(grid, queries, 1)
    threads = threads or numba.get_num_threads()
    grid.astar_many(starts[:4], goals[:4], threads=threads)  # compile / load from cache
    grid.astar(tuple(starts[0]), tuple(goals[0]))

    def one_by_one():
        return [grid.astar(tuple(s), tuple(g)) for s, g in zip(starts, goals)]

    def batch(n_threads):
        return lambda: grid.astar_many(starts, goals, threads=n_threads)

    timings = {}
    results = {}
    for label, function in (
        ("one_by_one", one_by_one),
        ("batch_1_thread", batch(1)),
        ("batch_all_threads", batch(threads)),
    ):
        best = np.inf
        for _ in range(repeats):
            tic = time.perf_counter()
            results[label] = function()
            best = min(best, time.perf_counter() - tic)
        timings[label] = best
    identical = all(
        a.cost == b.cost and a.expansions == b.expansions and np.array_equal(a.cells, b.cells)
        for a, b in zip(results["one_by_one"], results["batch_all_threads"])
    )

    source = tuple(starts[0])
    tic = time.perf_counter()
    field = grid.distance_field(source)
    field_seconds = time.perf_counter() - tic
    field.route_to(tuple(goals[0]))  # compile / load
    route_times = []
    lengths = []
    for goal in goals:
        tic = time.perf_counter()
        route = field.route_to(tuple(goal))
        route_times.append(time.perf_counter() - tic)
        lengths.append(len(route))
    return {
        "map": name,
        "shape": list(grid.shape),
        "queries": queries,
        "threads": threads,
        "one_by_one_seconds": timings["one_by_one"],
        "batch_1_thread_seconds": timings["batch_1_thread"],
        "batch_all_threads_seconds": timings["batch_all_threads"],
        "batch_speedup": timings["one_by_one"] / timings["batch_all_threads"],
        "batch_speedup_target": 1.8,
        "batch_identical": identical,
        "field_seconds": field_seconds,
        "field_route_median_seconds": float(np.median(route_times)),
        "field_route_p95_seconds": float(np.quantile(route_times, 0.95)),
        "field_route_median_cells": float(np.median(lengths)),
        "field_route_target_seconds": 1e-4,
    }


def format_table(result: dict[str, Any]) -> str:
    """Human-readable summary of `run`'s figures."""
    return "\n".join(
        [
            f"kernels on {result['map']} {tuple(result['shape'])}, {result['queries']} queries, {result['threads']} threads",
            f"  one by one            {result['one_by_one_seconds']:8.3f} s",
            f"  batch, 1 thread       {result['batch_1_thread_seconds']:8.3f} s",
            f"  batch, all threads    {result['batch_all_threads_seconds']:8.3f} s   speed-up {result['batch_speedup']:.2f}x "
            f"(target >= {result['batch_speedup_target']}x), identical results: {result['batch_identical']}",
            f"  distance field        {result['field_seconds']:8.3f} s for the whole map",
            f"  route read off field  {1e3 * result['field_route_median_seconds']:8.4f} ms median, "
            f"{1e3 * result['field_route_p95_seconds']:.4f} ms p95 ({result['field_route_median_cells']:.0f} cells; "
            f"target < {1e3 * result['field_route_target_seconds']:g} ms)",
        ]
    )
