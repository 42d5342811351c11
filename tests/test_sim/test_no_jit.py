"""``NUMBA_DISABLE_JIT=1`` runs the simulation and every registered planner (slowly), so pdb
and coverage work on the kernels, and gives the same results as the compiled kernels.

The same `collect` runs here (compiled kernels) and in a subprocess without JIT (this file
run as a script); the JSON must match apart from wall-clock timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
PAIRS_PER_PLANNER = 3
EVENT_T_S = 1000.0  # inside the tiny city's temporary-zone window


def collect() -> dict:
    """The tiny scenario's reports (two dispatch policies), and a few routes by every
    registered planner."""
    from dronesim.planners import PLANNERS, PlanningGrid, plan_many
    from dronesim.sim import _kernels as K
    from dronesim.sim.engine import Simulation, build_world
    from dronesim.sim.scenario import from_toml_text
    from tiny import TINY

    scenario = from_toml_text(TINY, "tiny.toml")
    reports = {"assignment": Simulation(scenario).run().deterministic()}  # all but timings
    # Batching exercises the route-improvement kernels and the planner's query context.
    assert "interval_s = 30\n" in TINY
    batching = TINY.replace("interval_s = 30\n", 'interval_s = 30\npolicy = "batching"\n')
    reports["batching"] = Simulation(from_toml_text(batching, "tiny.toml")).run().deterministic()

    _, airspace = build_world(scenario)
    grid = PlanningGrid(airspace, t_s=EVENT_T_S, climb_penalty_per_m=2.0)
    flat = PlanningGrid(
        airspace.__class__.from_grid(
            airspace.blocked_at(EVENT_T_S)[1],
            cell_size_m=airspace.cell_size_m,
            origin_m=airspace.origin_m,
            layers_m=(airspace.layers_m[1],),
            ceiling_m=airspace.ceiling_m,
        )
    )
    routes: dict[str, list] = {}
    for label, planning_grid in (("3d", grid), ("2d", flat)):
        rng = np.random.default_rng(11)
        free = np.argwhere(planning_grid.blocked == 0)
        picks = rng.integers(len(free), size=(PAIRS_PER_PLANNER, 2))
        pairs = [(tuple(map(int, free[a])), tuple(map(int, free[b]))) for a, b in picks]
        for name in PLANNERS.names():
            routes[f"{label}/{name}"] = [
                _plan(planning_grid, start, goal, name) for start, goal in pairs
            ]
        starts = [start for start, _ in pairs]
        goals = [goal for _, goal in pairs]
        routes[f"{label}/plan_many"] = [
            _route(path) for path in plan_many(planning_grid, starts, goals, "astar")
        ]
    return {
        "jit": not isinstance(K.advance, type(collect)),
        "reports": reports,
        "routes": routes,
    }


def _plan(grid, start, goal, name: str) -> list:
    from dronesim.planners import plan_cells

    try:
        return _route(plan_cells(grid, start, goal, name))
    except ValueError as error:  # e.g. a 2D-only planner on the 3D grid
        return ["ValueError", str(error)]


def _route(path) -> list:
    return [
        path.status.name,
        float(path.cost),
        float(path.length_m),
        np.asarray(path.cells).tolist(),
    ]


@pytest.mark.skipif(
    numba.config.DISABLE_JIT,
    reason="compares with compiled kernels (this session runs without JIT)",
)
def test_no_jit_runs_the_simulation_and_the_planners_like_the_kernels():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    done = subprocess.run(
        [sys.executable, __file__],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    without_jit = json.loads(done.stdout)
    assert without_jit["jit"] is False
    compiled = json.loads(json.dumps(collect()))
    assert compiled["jit"] is True
    assert without_jit["reports"] == compiled["reports"]
    assert without_jit["routes"].keys() == compiled["routes"].keys()
    for name, routes in compiled["routes"].items():
        assert without_jit["routes"][name] == routes, name
    assert any(r[0] == "FOUND" for rs in compiled["routes"].values() for r in rs)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    print(json.dumps(collect()))
