"""Multi-agent path finding: prioritized SIPP beside pymapf on the MovingAI MAPF benchmark.

``dronesim bench mapf --scen NAME.scen --agents 50,100,200 --peers pymapf`` reads a MovingAI
MAPF scenario (Stern et al., SoCS 2019) and its map (the ``.map`` named by the scen, looked
up beside it), takes the first ``k`` rows as ``k`` agents, and solves each instance under
the classic rules (4-connected unit moves plus wait, vertex and swap conflicts, all agents
start at t = 0, an agent stays on its goal after arriving) with our prioritized SIPP
(`prioritized_planning`, solver name ``sipp-pp``) and with the peers, in the same process
and with the same time limit. Every solution, ours and the peers', goes through the same
`validate`; a solution that fails it does not count as solved.

JSON written with ``--json OUT`` (a stable contract)::

    {"benchmark": "mapf",
     "time_limit_s": float,
     "compile_seconds": float,      # JIT compilation (or loading numba's cache), untimed below
     "instances": [{"scen": str, "map": str, "agents": int,
                    "lower_bound": int,      # sum of each agent's 4-connected BFS distance
                    "results": [{"solver": str,         # "sipp-pp", "pymapf:lacam", ...
                                 "success": bool,       # solved in time AND valid
                                 "valid": bool | null,  # null: no solution returned
                                 "problems": [str],     # the validator's first findings
                                 "sum_of_costs": int | null,  # sum of arrival times
                                 "ratio_to_lower_bound": float | null,
                                 "seconds": float,      # wall time of the solve
                                 "restarts": int | null,  # ours: priority restarts
                                 "reason": str}],       # why it failed ("" if solved)
                    "cost_ratio_to_peer": {solver: float}}]}  # ours / theirs, both solved

Sum of costs: each agent's arrival time at its goal, the first time step from which it stays
there (waiting at the goal after the last move is free).

Paths written with ``--paths FILE`` (JSON)::

    {"format": "dronesim-mapf-paths/1",
     "rules": "4-connected unit moves and waits; vertex and swap conflicts; agents stay at goals",
     "solutions": [{"scen": str, "map": str, "agents": int, "solver": str,
                    "paths": [[[x, y], ...], ...]}]}   # per agent, its cell at t = 0, 1, ...

``x`` is the column and ``y`` the row, 0-based from the top-left, as in the scen file; an
agent's list ends at its arrival and it stays on that cell afterwards. Only valid solutions
are written.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from dronesim.maps.errors import InputError
from dronesim.maps.movingai import read_map, read_scen
from dronesim.planners.deconfliction import SippPlanner, mapf_moves, prioritized_planning

PEERS = ("pymapf",)
PYMAPF_SOLVERS = ("lacam", "pibt")
OURS = "sipp-pp"


class MapfBenchmarkError(InputError):
    """Bad input to the MAPF benchmark (one line: file, field, value)."""


def load_instance(scen_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, Path]:
    """Read a MAPF scen and its map.

    Returns
    -------
    blocked : numpy.ndarray
        ``uint8 (rows, columns)``, 1 = obstacle.
    starts, goals : numpy.ndarray
        ``int64 (n, 2)`` as ``(row, column)``, in the scen's row order.
    map_path : pathlib.Path
    """
    scen = read_scen(scen_path)
    map_path = Path(scen_path).parent / Path(scen.map_name.replace("\\", "/")).name
    if not map_path.is_file():
        raise MapfBenchmarkError(
            f"{scen_path}: map {scen.map_name!r} not found beside it ({map_path})"
        )
    grid = read_map(map_path)
    if (grid.width, grid.height) != (scen.map_width, scen.map_height):
        raise MapfBenchmarkError(
            f"{scen_path}: width/height {scen.map_width}x{scen.map_height} differ from "
            f"{map_path} ({grid.width}x{grid.height})"
        )
    starts = scen.start_xy[:, ::-1].astype(np.int64)
    goals = scen.goal_xy[:, ::-1].astype(np.int64)
    for name, cells in (("start", starts), ("goal", goals)):
        on_wall = grid.blocked[cells[:, 0], cells[:, 1]] != 0
        if on_wall.any():
            i = int(np.argmax(on_wall))
            raise MapfBenchmarkError(
                f"{scen_path}: row {i + 1}: {name} {tuple(cells[i, ::-1])} is an obstacle"
            )
    return grid.blocked.astype(np.uint8), starts, goals, map_path


def arrival_times(paths: Sequence[np.ndarray], goals: np.ndarray) -> np.ndarray:
    """Each agent's arrival step: the first step from which it stays on its goal."""
    out = np.empty(len(paths), np.int64)
    for a, path in enumerate(paths):
        away = np.flatnonzero(np.any(path != goals[a], axis=1))
        out[a] = 0 if away.size == 0 else away[-1] + 1
    return out


def validate(
    blocked: np.ndarray, starts: np.ndarray, goals: np.ndarray, paths: Sequence[np.ndarray]
) -> list[str]:
    """Check a MAPF solution under the classic rules; returns the problems found (first 10).

    ``paths[a]`` is ``(T_a + 1, 2)`` ``(row, column)`` cells at steps ``0 .. T_a``; the agent
    stays on its last cell afterwards. Checks: one path per agent, starting at its start
    and ending at its goal, on free cells inside the map, each step a 4-connected move or a
    wait, no two agents on one cell at one step (vertex), none crossing one edge in
    opposite directions in one step (swap).
    """
    problems: list[str] = []
    k = len(starts)
    if len(paths) != k:
        return [f"{len(paths)} paths for {k} agents"]
    height, width = blocked.shape
    horizon = max(len(p) for p in paths) if k else 0
    positions = np.empty((k, horizon + 1), np.int64)
    for a, raw in enumerate(paths):
        path = np.asarray(raw, np.int64).reshape(-1, 2)
        if len(path) == 0:
            problems.append(f"agent {a}: empty path")
            continue
        if tuple(path[0]) != tuple(starts[a]):
            problems.append(f"agent {a}: starts at {tuple(path[0])}, not {tuple(starts[a])}")
        if tuple(path[-1]) != tuple(goals[a]):
            problems.append(f"agent {a}: ends at {tuple(path[-1])}, not its goal {tuple(goals[a])}")
        inside = (
            (path[:, 0] >= 0) & (path[:, 0] < height) & (path[:, 1] >= 0) & (path[:, 1] < width)
        )
        if not inside.all():
            problems.append(f"agent {a}: outside the map at t={int(np.argmin(inside))}")
            continue
        on_wall = blocked[path[:, 0], path[:, 1]] != 0
        if on_wall.any():
            problems.append(f"agent {a}: on an obstacle at t={int(np.argmax(on_wall))}")
        jumps = np.abs(np.diff(path, axis=0)).sum(axis=1) > 1
        if jumps.any():
            problems.append(f"agent {a}: not a 4-connected move at t={int(np.argmax(jumps)) + 1}")
        flat = path[:, 0] * width + path[:, 1]
        positions[a, : len(flat)] = flat
        positions[a, len(flat) :] = flat[-1]
    if problems:
        return problems[:10]
    cells = height * width
    for t in range(horizon + 1):
        now = positions[:, t]
        unique, counts = np.unique(now, return_counts=True)
        for cell in unique[counts > 1]:
            who = np.flatnonzero(now == cell).tolist()
            problems.append(f"vertex conflict: agents {who} at {divmod(int(cell), width)} t={t}")
        if t < horizon:
            after = positions[:, t + 1]
            moving = now != after
            edges = now[moving] * cells + after[moving]
            reverse = after[moving] * cells + now[moving]
            crossed = np.intersect1d(edges, reverse)
            for edge in crossed[:10]:
                u, v = divmod(int(edge), cells)
                if u < v:
                    problems.append(
                        f"swap conflict across {divmod(u, width)}-{divmod(v, width)} at t={t}"
                    )
        if len(problems) >= 10:
            break
    return problems[:10]


@contextmanager
def _collector_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def warm_up() -> float:
    """Compile (or load from numba's cache) the kernels on a tiny instance; seconds spent."""
    began = time.perf_counter()
    blocked = np.zeros((4, 4), np.uint8)
    prioritized_planning(
        blocked, np.array([[0, 0], [3, 3]]), np.array([[3, 3], [0, 0]]), time_limit_s=60.0
    )
    return time.perf_counter() - began


def _ours(
    blocked, starts, goals, time_limit_s, planner
) -> tuple[list[np.ndarray] | None, dict[str, Any]]:
    with _collector_paused():
        began = time.perf_counter()
        result = prioritized_planning(
            blocked, starts, goals, time_limit_s=time_limit_s, planner=planner
        )
        seconds = time.perf_counter() - began
    paths = result.paths if result.success else None
    return paths, {"seconds": seconds, "restarts": result.restarts, "reason": result.reason}


def _pymapf(
    solver: str, blocked, starts, goals, time_limit_s
) -> tuple[list[np.ndarray] | None, dict[str, Any]]:
    import pymapf

    grid = pymapf.GridMap(blocked.tolist())
    agents = [
        pymapf.Agent(str(a), tuple(map(int, s)), tuple(map(int, g)))
        for a, (s, g) in enumerate(zip(starts, goals))
    ]
    problem = pymapf.MAPFProblem(grid, agents)
    instance = (
        pymapf.LaCAM(time_limit=time_limit_s)
        if solver == "lacam"
        else pymapf.PIBT(time_limit=time_limit_s)
    )
    with _collector_paused():
        began = time.perf_counter()
        solution = instance.solve(problem)
        seconds = time.perf_counter() - began
    if solution is None:
        return None, {"seconds": seconds, "restarts": None, "reason": "no solution returned"}
    paths = [
        np.asarray(solution.paths[str(a)], np.int64).reshape(-1, 2) for a in range(len(starts))
    ]
    return paths, {"seconds": seconds, "restarts": None, "reason": ""}


def _record(
    solver, paths, info, blocked, starts, goals, lower_bound, time_limit_s
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "solver": solver,
        "success": False,
        "valid": None,
        "problems": [],
        "sum_of_costs": None,
        "ratio_to_lower_bound": None,
        "seconds": info["seconds"],
        "restarts": info["restarts"],
        "reason": info["reason"],
    }
    if paths is None:
        return record
    problems = validate(blocked, starts, goals, paths)
    record["valid"] = not problems
    record["problems"] = problems
    if problems:
        record["reason"] = "invalid solution"
        return record
    soc = int(arrival_times(paths, goals).sum())
    record["sum_of_costs"] = soc
    record["ratio_to_lower_bound"] = soc / lower_bound if lower_bound else 1.0
    if info["seconds"] > time_limit_s:
        record["reason"] = f"over the time limit ({info['seconds']:.3f} s)"
        return record
    record["success"] = True
    return record


def run(
    scen_paths: Sequence[Path],
    agent_counts: Sequence[int],
    peers: Sequence[str],
    time_limit_s: float,
    notices: list[str],
    solutions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Solve every (scen, agent count) instance with ours and the peers; the JSON document.

    ``solutions``, when given, receives every valid solution for ``--paths``.
    """
    loaded = []
    for path in scen_paths:
        blocked, starts, goals, map_path = load_instance(path)
        for k in agent_counts:
            if k > len(starts):
                raise MapfBenchmarkError(
                    f"--agents: {k} exceeds the {len(starts)} agents of {path}"
                )
        loaded.append((path, blocked, starts, goals, map_path))
    solvers = [OURS]
    if "pymapf" in peers:
        try:
            import pymapf  # noqa: F401

            solvers += [f"pymapf:{name}" for name in PYMAPF_SOLVERS]
        except ImportError:
            notices.append("pymapf not installed (pip install 'dronesim[bench]'): peer skipped")
    compile_seconds = warm_up()
    instances = []
    for path, blocked, starts_all, goals_all, map_path in loaded:
        planner = SippPlanner(blocked, mapf_moves())
        for k in agent_counts:
            starts, goals = starts_all[:k], goals_all[:k]
            flat = starts[:, 0] * blocked.shape[1] + starts[:, 1]
            bounds = [planner.distance_field(tuple(g))[f] for g, f in zip(goals, flat)]
            lower_bound = int(sum(bounds)) if all(math.isfinite(b) for b in bounds) else None
            results = []
            for solver in solvers:
                if solver == OURS:
                    paths, info = _ours(blocked, starts, goals, time_limit_s, planner)
                else:
                    paths, info = _pymapf(
                        solver.split(":")[1], blocked, starts, goals, time_limit_s
                    )
                record = _record(
                    solver, paths, info, blocked, starts, goals, lower_bound or 0, time_limit_s
                )
                results.append(record)
                if solutions is not None and record["valid"]:
                    solutions.append(
                        {
                            "scen": str(path),
                            "map": str(map_path),
                            "agents": k,
                            "solver": solver,
                            "paths": [p[:, ::-1].tolist() for p in paths],
                        }
                    )
            ours = results[0]
            ratios = {
                r["solver"]: ours["sum_of_costs"] / r["sum_of_costs"]
                for r in results[1:]
                if ours["success"] and r["success"] and r["sum_of_costs"]
            }
            instances.append(
                {
                    "scen": str(path),
                    "map": str(map_path),
                    "agents": k,
                    "lower_bound": lower_bound,
                    "results": results,
                    "cost_ratio_to_peer": ratios,
                }
            )
    return {
        "benchmark": "mapf",
        "time_limit_s": time_limit_s,
        "compile_seconds": compile_seconds,
        "instances": instances,
    }


def format_table(document: dict[str, Any]) -> str:
    """The printed table: one line per (instance, solver)."""
    lines = [
        f"{'map':24s} {'agents':>6s} {'solver':14s} {'solved':>6s} {'SoC':>7s} {'SoC/LB':>7s} "
        f"{'seconds':>8s}  notes"
    ]
    for instance in document["instances"]:
        for r in instance["results"]:
            soc = "-" if r["sum_of_costs"] is None else str(r["sum_of_costs"])
            ratio = "-" if r["ratio_to_lower_bound"] is None else f"{r['ratio_to_lower_bound']:.3f}"
            notes = []
            if r["restarts"]:
                notes.append(f"{r['restarts']} restarts")
            if r["reason"]:
                notes.append(r["reason"])
            if r["solver"] == OURS and instance["cost_ratio_to_peer"]:
                notes.append(
                    "SoC vs "
                    + ", ".join(f"{p} {v:.3f}x" for p, v in instance["cost_ratio_to_peer"].items())
                )
            lines.append(
                f"{Path(instance['map']).stem[:24]:24s} {instance['agents']:6d} {r['solver'][:14]:14s} "
                f"{'yes' if r['success'] else 'no':>6s} {soc:>7s} {ratio:>7s} {r['seconds']:8.3f}  "
                + "; ".join(notes)
            )
    lines.append(
        f"time limit {document['time_limit_s']} s per instance; JIT compile/cache load "
        f"{document['compile_seconds']:.2f} s, not in the times above; LB: sum of 4-connected BFS distances"
    )
    return "\n".join(lines)


def write_json(document: dict[str, Any], out: Path) -> None:
    """Write the document as JSON."""
    Path(out).write_text(json.dumps(document, indent=2))


def write_paths(solutions: list[dict[str, Any]], out: Path) -> None:
    """Write every valid solution's timed cells (format in the module docstring)."""
    document = {
        "format": "dronesim-mapf-paths/1",
        "rules": "4-connected unit moves and waits; vertex and swap conflicts; agents stay at goals",
        "solutions": solutions,
    }
    Path(out).write_text(json.dumps(document))
