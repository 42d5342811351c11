"""The planners without numba's JIT, and the unsafe query context bounds-checked.

``NUMBA_DISABLE_JIT=1`` runs every kernel as plain Python (so pdb and coverage reach
them); the kernels' LLVM intrinsics (radix-heap bit tricks, the query context's raw
pointers) have pure-Python twins for it. Both runs happen in subprocesses: numba reads
these settings once, at import.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dronesim.planners import PlanningGrid, PlanStatus, get_planner
from dronesim.planners.registry import PLANNERS
from planner_cases import random_airspace, random_pairs, reference_cost

HERE = Path(__file__).resolve().parent
CASES = {
    "2d": {"three_d": False, "costs": False, "shape": (1, 12, 14)},
    "2d-costs": {"three_d": False, "costs": True, "shape": (1, 12, 14)},
    "3d": {"three_d": True, "costs": False, "shape": (3, 8, 9)},
    "3d-costs": {"three_d": True, "costs": True, "shape": (3, 8, 9)},
}
EXACT = ("astar", "astar-plain", "jps", "networkx")  # optimal on the step graph

# Plans every query of every case with every registered planner; prints JSON.
PLAN_ALL = """
import json, sys
from dronesim.planners import PlanningGrid, get_planner
from dronesim.planners.registry import PLANNERS
from planner_cases import random_airspace, random_pairs
cases = json.loads(sys.argv[1])
out = {}
for case, options in cases.items():
    options["shape"] = tuple(options["shape"])
    grid = PlanningGrid(random_airspace(5, **options))
    for name in PLANNERS.names():
        for start, goal in random_pairs(grid, 5, 7):
            try:
                path = get_planner(name).plan(grid, start, goal)
                result = [int(path.status), float(path.cost)]
            except ValueError as error:
                result = ["error", type(error).__name__]
            out.setdefault(case, {}).setdefault(name, []).append(result)
print(json.dumps(out))
"""


def _run(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(HERE), **env}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


def _plan_here() -> dict:
    """What the compiled kernels return on the same queries (this process, JIT on)."""
    out = {}
    for case, options in CASES.items():
        grid = PlanningGrid(random_airspace(5, **options))
        for name in PLANNERS.names():
            for start, goal in random_pairs(grid, 5, 7):
                try:
                    path = get_planner(name).plan(grid, start, goal)
                    result = [int(path.status), float(path.cost)]
                except ValueError as error:
                    result = ["error", type(error).__name__]
                out.setdefault(case, {}).setdefault(name, []).append(result)
    return out


@pytest.fixture(scope="module")
def without_jit() -> dict:
    done = _run(PLAN_ALL, json.dumps(CASES), NUMBA_DISABLE_JIT="1")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_planners_without_jit_find_networkx_costs(without_jit):
    """Under NUMBA_DISABLE_JIT=1, every exact planner finds networkx's shortest-path cost
    (or no path where networkx finds none)."""
    for case, options in CASES.items():
        grid = PlanningGrid(random_airspace(5, **options))
        graph = grid.step_graph()
        expected = [reference_cost(graph, s, g) for s, g in random_pairs(grid, 5, 7)]
        for name in EXACT:
            results = without_jit[case][name]
            if name == "jps" and options["costs"]:
                assert all(r[0] == "error" for r in results)  # jump points need uniform costs
                continue
            for (status, cost), reference in zip(results, expected):
                if np.isinf(reference):
                    assert status == PlanStatus.UNREACHABLE, (case, name)
                else:
                    assert status == PlanStatus.FOUND, (case, name)
                    assert cost == pytest.approx(reference, rel=1e-9), (case, name)


def test_planners_without_jit_match_the_compiled_kernels(without_jit):
    """Every registered planner (any-angle, weighted, pyastar2d's rules included) returns
    the same status and cost without the JIT as compiled."""
    compiled = _plan_here()
    assert without_jit.keys() == compiled.keys()
    for case, by_planner in compiled.items():
        assert without_jit[case].keys() == by_planner.keys()
        for name, results in by_planner.items():
            for plain, jitted in zip(without_jit[case][name], results, strict=True):
                assert plain[0] == jitted[0], (case, name)
                if plain[0] != "error":
                    assert plain[1] == pytest.approx(jitted[1], rel=1e-12), (case, name)


# The query context's kernel (raw addresses) and the argument-path kernels, with every
# array access bounds-checked: a wrong size in the context table would raise here.
BOUNDSCHECKED = """
import numba
assert numba.config.BOUNDSCHECK
import numpy as np
from dronesim.maps import Airspace
from dronesim.planners import PlanningGrid, get_planner
rng = np.random.default_rng(3)
for shape in ((1, 12, 14), (1, 40, 3), (1, 1, 30)):
    blocked = (rng.random(shape) < 0.2).astype(np.uint8)
    grid = PlanningGrid(Airspace.from_grid(blocked))
    free = np.argwhere(blocked == 0)
    for _ in range(40):
        a, b = free[rng.integers(len(free), size=2)]
        fast = get_planner("astar").plan(grid, tuple(map(int, a)), tuple(map(int, b)))
        slow = get_planner("astar-plain").plan(grid, tuple(map(int, a)), tuple(map(int, b)))
        assert fast.status == slow.status
        assert not fast.found or abs(fast.cost - slow.cost) <= 1e-9 * slow.cost
    for cell in ((0, -1, 0), (0, 0, shape[2]), (1, 0, 0)):  # outside: one-line errors
        try:
            get_planner("astar").plan(grid, cell, tuple(map(int, free[0])))
        except ValueError:
            pass
        else:
            raise AssertionError(cell)
print("ok")
"""


def test_query_context_bounds_checked(tmp_path):
    """The raw-pointer fast path with NUMBA_BOUNDSCHECK=1 (fresh compilation into a
    temporary cache): same results as the argument path, no access out of bounds."""
    done = _run(BOUNDSCHECKED, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
