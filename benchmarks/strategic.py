"""Strategic deconfliction: planning time per trip against a filling reservation table.

`run` builds a seeded ``ny x nx x nz`` airspace (random blocked cells on the lower layers,
the top layers open), a few depots with pads around them, and ``trips`` trips (pad ->
drop-off with a hover -> a pad of the depot nearest the drop-off) with ready times spread
over ``window_s`` in dispatch order, and plans them one after the other with
`StrategicPlanner.plan_trip`, every found plan committed. Each call is timed on its own;
JIT compilation (or loading numba's cache) is done before, on a small planner, and timed
apart.

Result (a dict, JSON-ready)::

    {"benchmark": "strategic", "grid": [nz, ny, nx], "cell_size_m": float,
     "trips": int, "heuristic": str, "seed": int,
     "compile_seconds": float,
     "pad_fields_seconds": float,  # set-up: the distance fields of every pad, untimed below
     "found": int, "refused": {status: count},
     "plan_ms": {"median": float, "p90": float, "mean": float, "max": float},
     "expansions_median": float,
     "pad_wait_s_mean": float, "hover_wait_s_mean": float,
     "table_slots": int}          # reservations held at the end
"""

from __future__ import annotations

import math
import time
from collections import Counter

import numpy as np
from dronesim.maps import Airspace
from dronesim.sim.strategic import Stop, StrategicPlanner


def _airspace(seed: int, nx: int, ny: int, nz: int, cell_size_m: float) -> Airspace:
    rng = np.random.default_rng(seed)
    obstacles = np.zeros((nz, ny, nx), np.uint8)
    low = max(1, nz - 2)
    obstacles[:low] = rng.random((low, ny, nx)) < 0.06
    layers = tuple(30.0 + 20.0 * k for k in range(nz))
    return Airspace(
        origin_m=(0.0, 0.0),
        cell_size_m=cell_size_m,
        nx=nx,
        ny=ny,
        layers_m=layers,
        ceiling_m=layers[-1] + 10.0,
        obstacles=obstacles,
    )


def _planner(airspace: Airspace, heuristic: str, pads: int) -> StrategicPlanner:
    return StrategicPlanner(
        airspace,
        cruise_speed_mps=10.0,
        climb_rate_mps=3.0,
        descent_rate_mps=2.0,
        horizontal_m=30.0,
        vertical_m=10.0,
        time_buffer_s=2.0,
        heuristic=heuristic,
        field_cache=max(pads, 32),
    )


def run(
    *,
    trips: int = 500,
    nx: int = 200,
    ny: int = 200,
    nz: int = 5,
    cell_size_m: float = 20.0,
    depots: int = 10,
    pads_per_depot: int = 4,
    window_s: float = 3600.0,
    service_s: float = 45.0,
    heuristic: str = "reverse",
    seed: int = 0,
) -> dict:
    """Plan ``trips`` trips one after the other and time each (see module)."""
    started = time.perf_counter()
    small = Airspace(origin_m=(0.0, 0.0), cell_size_m=cell_size_m, nx=12, ny=12,
                     layers_m=(30.0, 50.0), ceiling_m=60.0)  # fmt: skip
    warm = _planner(small, heuristic, 4)
    for n, hold in enumerate((5.0, 5.0)):  # the second waits for the first: every kernel runs
        stop = Stop(7.5 * cell_size_m, 7.5 * cell_size_m, hold)
        xy = (1.5 * cell_size_m, 1.5 * cell_size_m)
        assert warm.plan_trip(n, xy, [stop], xy, ready_s=0.0).committed
    compile_s = time.perf_counter() - started

    airspace = _airspace(seed, nx, ny, nz, cell_size_m)
    planner = _planner(airspace, heuristic, depots * pads_per_depot)
    rng = np.random.default_rng(seed + 1)
    free = np.argwhere(airspace.blocked[0] == 0)
    spacing = math.ceil(30.0 / cell_size_m) + 1  # pad columns apart by more than the footprint
    pads = []
    for centre in free[rng.choice(len(free), depots, replace=False)]:
        ring = []
        for dj, di in ((0, 0), (0, spacing), (spacing, 0), (spacing, spacing), (0, -spacing)):
            j, i = int(centre[0] + dj), int(centre[1] + di)
            if 0 <= j < ny and 0 <= i < nx and not airspace.blocked[0, j, i]:
                ring.append(((i + 0.5) * cell_size_m, (j + 0.5) * cell_size_m))
        pads.append(ring[:pads_per_depot])
    depot_xy = np.array([ring[0] for ring in pads])
    started = time.perf_counter()
    planner.prepare_pads([xy for ring in pads for xy in ring])
    setup_s = time.perf_counter() - started
    ready = np.sort(rng.uniform(0.0, window_s, trips))
    times_ms, expansions, statuses, pad_wait, hover_wait = [], [], Counter(), [], []
    for n in range(trips):
        home = pads[int(rng.integers(len(pads)))]
        start = home[int(rng.integers(len(home)))]
        j, i = free[int(rng.integers(len(free)))]
        drop = (
            (i + rng.uniform(0.1, 0.9)) * cell_size_m,
            (j + rng.uniform(0.1, 0.9)) * cell_size_m,
        )
        nearest = pads[int(np.argmin(np.hypot(*(depot_xy - np.array(drop)).T)))]
        end = nearest[int(rng.integers(len(nearest)))]
        t = time.perf_counter()
        plan = planner.plan_trip(
            n, start, [Stop(*drop, hold_s=service_s)], end, ready_s=float(ready[n])
        )
        times_ms.append((time.perf_counter() - t) * 1e3)
        expansions.append(plan.expansions)
        statuses[plan.status.name] += 1
        if plan.committed:
            pad_wait.append(plan.ground_wait_s)
            hover_wait.append(plan.hover_wait_s)
    times = np.array(times_ms)
    return {
        "benchmark": "strategic",
        "grid": [nz, ny, nx],
        "cell_size_m": cell_size_m,
        "trips": trips,
        "heuristic": heuristic,
        "seed": seed,
        "compile_seconds": round(compile_s, 3),
        "pad_fields_seconds": round(setup_s, 3),
        "found": statuses.pop("FOUND", 0),
        "refused": dict(statuses),
        "plan_ms": {
            "median": round(float(np.median(times)), 3),
            "p90": round(float(np.percentile(times, 90)), 3),
            "mean": round(float(times.mean()), 3),
            "max": round(float(times.max()), 3),
        },
        "expansions_median": float(np.median(expansions)),
        "pad_wait_s_mean": round(float(np.mean(pad_wait)), 2) if pad_wait else 0.0,
        "hover_wait_s_mean": round(float(np.mean(hover_wait)), 2) if hover_wait else 0.0,
        "table_slots": planner.table.used,
    }
