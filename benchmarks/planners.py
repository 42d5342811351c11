"""Route-planner benchmarks: ours beside peers on the same queries, in the same run.

``dronesim bench planners`` solves the queries of MovingAI ``.map.scen`` or voxel
``.3dmap.3dscen`` files with registered planners (and user plug-ins as
``module:attribute``, typed on the command line: never read from a file) and with optional peers, and writes this JSON (a stable contract)::

    {"runs": [{"map": str,              # the scen file's map (path of the map file read)
               "scen": str,             # the scen file
               "planner": str,          # planner or peer name ("peer:pyastar2d", ...)
               "queries": [{"index": int,          # 0-based row among the scen's queries
                            "start": [x, y(, z)],  # as in the scen file
                            "goal": [x, y(, z)],
                            "cost": float | null,  # grid units (cell size 1); null: unreachable
                            "expanded": int | null,
                            "seconds": float}],    # per query, JIT compilation excluded
               "summary": {...}}]}                 # see `summarise`

Peers (optional extras, skipped with a notice when missing): ``networkx`` (its
``astar_path`` on the kernels' own step graph; graph building is timed apart, as
``setup_seconds``) and ``pyastar2d`` (its own rules: diagonal moves cost like straight
ones and corners may be cut, so its costs are not the MovingAI optima; compare times,
or our ``astar-pyastar2d-rules`` planner's costs). ``dronesim bench kernels`` measures
batch planning and distance-field routes.

Every planner and peer is timed through its Python entry point (ours: ``plan`` returning a
`FlightPath`), one query at a time, with the cyclic garbage collector paused as `timeit`
pauses it.
"""

from __future__ import annotations

import gc
import json
import math
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from dronesim.maps import Airspace
from dronesim.maps.errors import MapFormatError
from dronesim.maps.movingai import read_3dmap, read_map, read_scen_any
from dronesim.planners import PlanningGrid, get_planner
from dronesim.planners.plugins import PluginError
from dronesim.planners.registry import load_planner

PEERS = ("networkx", "pyastar2d")

# networkx keeps a weighted undirected edge in nested dicts; this bounds what tracemalloc
# measures on `PlanningGrid.step_graph` (figure in benchmarks/README.md).
NETWORKX_BYTES_PER_EDGE = 500
# Share of the available memory the reference graph may take.
NETWORKX_MEMORY_SHARE = 0.6


@dataclass
class Workload:
    """A scen file, its map as a planning grid, and the chosen query rows."""

    scen_path: Path
    map_path: Path
    grid: PlanningGrid
    rows: np.ndarray
    starts: np.ndarray  # (n, 3) cells (k, j, i)
    goals: np.ndarray
    raw_starts: np.ndarray  # as written in the scen file
    raw_goals: np.ndarray
    optimal: np.ndarray
    three_d: bool


def load_workload(scen_path: Path, limit: int | None) -> Workload:
    """Read a scen file and its map (found beside the scen, or one directory up).

    Raises
    ------
    MapFormatError
        Unreadable files (naming file and line); a query whose start or goal lies
        outside the map or on a blocked cell (naming file, query and value).
    """
    scen = read_scen_any(scen_path)
    three_d = scen_path.name.endswith(".3dscen")
    map_name = Path(scen.map_name).name
    candidates = [scen_path.parent / map_name, scen_path.parent.parent / map_name]
    if not three_d:
        stem = scen_path.name[: -len(".scen")]
        candidates.insert(0, scen_path.parent / stem)
        candidates.append(scen_path.parent.parent / stem)
    map_path = next((c for c in candidates if c.is_file()), None)
    if map_path is None:
        raise MapFormatError(scen_path, f"map {scen.map_name!r} not found beside the scen file")
    if three_d:
        blocked = read_3dmap(map_path).blocked
        raw_starts, raw_goals = scen.start_xyz, scen.goal_xyz
        starts = raw_starts[:, ::-1].astype(np.int64)  # (x, y, z) -> (k=z, j=y, i=x)
        goals = raw_goals[:, ::-1].astype(np.int64)
    else:
        blocked = read_map(map_path).blocked
        raw_starts, raw_goals = scen.start_xy, scen.goal_xy
        starts = np.c_[np.zeros(len(raw_starts), np.int64), raw_starts[:, 1], raw_starts[:, 0]]
        goals = np.c_[np.zeros(len(raw_goals), np.int64), raw_goals[:, 1], raw_goals[:, 0]]
    _check_queries(scen_path, map_path, blocked, starts, goals, raw_starts, raw_goals, three_d)
    n = len(scen.optimal_length)
    rows = (
        np.arange(n)
        if not limit or limit >= n
        else np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    )
    return Workload(
        scen_path=scen_path,
        map_path=map_path,
        grid=PlanningGrid(Airspace.from_grid(blocked)),
        rows=rows,
        starts=starts[rows],
        goals=goals[rows],
        raw_starts=raw_starts[rows],
        raw_goals=raw_goals[rows],
        optimal=np.where(
            getattr(scen, "unreachable", np.zeros(n, bool)), np.nan, scen.optimal_length
        )[rows],
        three_d=three_d,
    )


def _check_queries(
    scen_path: Path,
    map_path: Path,
    blocked: np.ndarray,
    starts: np.ndarray,
    goals: np.ndarray,
    raw_starts: np.ndarray,
    raw_goals: np.ndarray,
    three_d: bool,
) -> None:
    """Every query's start and goal lie on a free cell of the map read (the scen file's
    own map size may disagree with the map file's).

    Raises
    ------
    MapFormatError
        Naming the scen file, the query (0-based row, as in the JSON ``index``), the
        field and its value, and the map.
    """
    if blocked.ndim == 2:
        blocked = blocked[None]  # one layer: cells are (0, j, i)
    shape = np.array(blocked.shape)
    axes = "(x, y, z)" if three_d else "(x, y)"
    size = " x ".join(str(v) for v in blocked.shape[::-1][: 3 if three_d else 2])
    for role, cells, raw in (("start", starts, raw_starts), ("goal", goals, raw_goals)):
        outside = ((cells < 0) | (cells >= shape)).any(axis=1)
        if outside.any():
            q = int(np.flatnonzero(outside)[0])
            raise MapFormatError(
                scen_path,
                f"query {q}: {role} {axes} = {tuple(int(v) for v in raw[q])} lies outside "
                f"the map {map_path.name} of {size} cells",
            )
        on_blocked = blocked[cells[:, 0], cells[:, 1], cells[:, 2]] != 0
        if on_blocked.any():
            q = int(np.flatnonzero(on_blocked)[0])
            raise MapFormatError(
                scen_path,
                f"query {q}: {role} {axes} = {tuple(int(v) for v in raw[q])} is a blocked "
                f"cell of the map {map_path.name}",
            )


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while queries are timed, as `timeit` does:
    otherwise a collection of the whole heap lands on an arbitrary query, of any planner
    or peer, and adds milliseconds to it."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _time_planner(work: Workload, planner) -> tuple[list[dict[str, Any]], float]:
    """Run every query; returns the per-query records and the warm-up (first call) time."""
    start, goal = tuple(work.starts[0]), tuple(work.goals[0])
    tic = time.perf_counter()
    planner.plan(work.grid, start, goal)  # JIT compile (or load from cache) and warm caches
    warmup = time.perf_counter() - tic
    with _collector_paused():
        records = _timed_queries(work, planner)
    return records, warmup


def _timed_queries(work: Workload, planner) -> list[dict[str, Any]]:
    # The timed loop does nothing but plan: the records are written after it, so that
    # their Python and numpy work does not evict the planner's code and data from the
    # caches between two queries (measured in benchmarks/README.md).
    queries = _query_cells(work.starts, work.goals)
    grid, clock = work.grid, time.perf_counter
    timed = []
    for start, goal in queries:
        tic = clock()
        path = planner.plan(grid, start, goal)
        timed.append((path, clock() - tic))
    return [
        _record(
            work,
            q,
            path.cost if path.found else None,
            path.expansions if path.found else None,
            seconds,
        )
        for q, (path, seconds) in enumerate(timed)
    ]


def _query_cells(
    starts: np.ndarray, goals: np.ndarray
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The queries as pairs of tuples of Python ints, the form a user's code passes."""
    return list(zip(map(tuple, starts.tolist()), map(tuple, goals.tolist())))


def _record(work: Workload, q: int, cost, expanded, seconds: float) -> dict[str, Any]:
    return {
        "index": int(work.rows[q]),
        "start": [int(v) for v in work.raw_starts[q]],
        "goal": [int(v) for v in work.raw_goals[q]],
        "cost": None if cost is None or not math.isfinite(cost) else float(cost),
        "expanded": None if expanded is None else int(expanded),
        "seconds": float(seconds),
    }


def _time_pyastar2d(work: Workload) -> tuple[list[dict[str, Any]], float] | str:
    try:
        import pyastar2d
    except ImportError:
        return "pyastar2d not installed (pip install 'dronesim[bench]'): peer skipped"
    if work.three_d:
        return "pyastar2d plans on 2D grids only: peer skipped for voxel maps"
    weights = np.where(work.grid.blocked[0] != 0, np.inf, 1.0).astype(np.float32)
    tic = time.perf_counter()
    pyastar2d.astar_path(
        weights, tuple(work.starts[0, 1:]), tuple(work.goals[0, 1:]), allow_diagonal=True
    )
    warmup = time.perf_counter() - tic
    queries = _query_cells(work.starts[:, 1:], work.goals[:, 1:])
    clock = time.perf_counter
    timed = []
    with _collector_paused():
        for start, goal in queries:  # only the planning timed in this loop, as in `_timed_queries`
            tic = clock()
            path = pyastar2d.astar_path(weights, start, goal, allow_diagonal=True)
            timed.append((path, clock() - tic))
    records = []
    for q, (path, seconds) in enumerate(timed):
        cost = None if path is None else float(weights[path[1:, 0], path[1:, 1]].sum())
        records.append(_record(work, q, cost, None, seconds))
    return records, warmup


def networkx_graph_bytes(grid: PlanningGrid) -> int:
    """Upper bound on the memory of ``grid``'s networkx step graph, in bytes: one edge per
    pair of free cells a move apart."""
    free = int(np.count_nonzero(grid.blocked == 0))
    moves = 26 if grid.three_d else 8
    return free * moves // 2 * NETWORKX_BYTES_PER_EDGE


def available_memory_bytes() -> int | None:
    """Memory the system can give this process now (Linux ``MemAvailable``), or None where
    it cannot be read."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def networkx_graph_too_big(grid: PlanningGrid, available: int | None) -> str | None:
    """Why the networkx peer cannot run on ``grid`` (its graph would not fit in memory:
    building it got the process killed on a 256^3 voxel map), or None when it can."""
    need = networkx_graph_bytes(grid)
    if available is None or need <= NETWORKX_MEMORY_SHARE * available:
        return None
    return (
        f"its graph would need about {need / 2**30:.1f} GiB, {available / 2**30:.1f} GiB available"
    )


def summarise(
    records: list[dict[str, Any]], optimal: np.ndarray, *, compare_optimal: bool
) -> dict[str, Any]:
    """Summary of one run.

    Keys: ``queries``, ``solved``, ``unreachable``, ``mismatches`` (costs off the scen's
    optimum by more than 1e-5 relative, or a solvable query left unsolved; null when the
    planner follows other rules), ``below_optimal``, ``mean_ratio_to_optimal``,
    ``median_seconds``, ``p95_seconds``, ``mean_seconds``, ``expansions_per_second``.
    """
    seconds = np.array([r["seconds"] for r in records])
    costs = np.array([np.nan if r["cost"] is None else r["cost"] for r in records])
    expanded = [r["expanded"] for r in records if r["expanded"] is not None]
    solvable = ~np.isnan(optimal)
    summary: dict[str, Any] = {
        "queries": len(records),
        "solved": int((~np.isnan(costs)).sum()),
        "unreachable": int(np.isnan(costs).sum()),
        "median_seconds": float(np.median(seconds)) if len(seconds) else None,
        "p95_seconds": float(np.quantile(seconds, 0.95)) if len(seconds) else None,
        "mean_seconds": float(seconds.mean()) if len(seconds) else None,
        "expansions_per_second": (
            float(sum(expanded) / seconds.sum()) if expanded and seconds.sum() > 0 else None
        ),
    }
    if compare_optimal:
        close = np.isclose(costs, optimal, rtol=1e-5, atol=1e-9)
        mismatch = (solvable & ~close) | (~solvable & ~np.isnan(costs))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = costs / optimal
        usable = solvable & (optimal > 0) & ~np.isnan(costs)
        summary.update(
            mismatches=int(mismatch.sum()),
            below_optimal=int((solvable & (costs < optimal * (1 - 1e-6))).sum()),
            mean_ratio_to_optimal=float(ratio[usable].mean()) if usable.any() else None,
        )
    else:
        summary.update(mismatches=None, below_optimal=None, mean_ratio_to_optimal=None)
    return summary


def run(
    scen_files: list[Path],
    planner_names: list[str],
    peers: list[str],
    limit: int | None,
    notices: list[str],
) -> dict[str, Any]:
    """Benchmark every planner and peer on every scen file; returns the JSON document."""
    runs: list[dict[str, Any]] = []
    planners = []
    for name in planner_names:
        try:
            # The user typed these names: module:attribute is imported here, never from a file.
            planners.append(load_planner(name))
        except PluginError as error:
            raise PluginError(f"--planner: {error}") from None
    for scen_path in scen_files:
        work = load_workload(scen_path, limit)
        by_name: dict[str, list[dict[str, Any]]] = {}
        for planner in planners:
            if work.three_d and getattr(planner, "rules", "exact") == "pyastar2d":
                notices.append(
                    f"{work.map_path.name}: {planner.name} plans on 2D grids only: skipped"
                )
                continue
            records, warmup = _time_planner(work, planner)
            exact_rules = getattr(planner, "rules", "exact") == "exact"
            summary = summarise(records, work.optimal, compare_optimal=exact_rules)
            summary["warmup_seconds"] = warmup
            runs.append(_run_entry(work, planner.name, records, summary))
            by_name[planner.name] = records
        for peer in peers:
            if peer == "networkx":
                too_big = networkx_graph_too_big(work.grid, available_memory_bytes())
                if too_big:
                    notices.append(f"{work.map_path.name}: {too_big}: peer networkx skipped")
                    continue
                reference = get_planner("networkx")
                tic = time.perf_counter()
                reference.graph(work.grid)
                setup = time.perf_counter() - tic
                records, warmup = _time_planner(work, reference)
                summary = summarise(records, work.optimal, compare_optimal=True)
                summary.update(warmup_seconds=warmup, setup_seconds=setup)
            elif peer == "pyastar2d":
                outcome = _time_pyastar2d(work)
                if isinstance(outcome, str):
                    notices.append(f"{work.map_path.name}: {outcome}")
                    continue
                records, warmup = outcome
                summary = summarise(records, work.optimal, compare_optimal=False)
                summary["warmup_seconds"] = warmup
            else:
                raise ValueError(f"--peers: unknown peer {peer!r} (known: {', '.join(PEERS)})")
            runs.append(_run_entry(work, f"peer:{peer}", records, summary))
            by_name[f"peer:{peer}"] = records
        # Time ratios on the same queries, ours over each peer's: of the median times (the
        # typical query), and of the total times (where long queries weigh by their time).
        for entry in runs:
            if entry["scen"] != str(scen_path) or entry["planner"].startswith("peer:"):
                continue
            ratios, total_ratios = {}, {}
            ours_total = sum(r["seconds"] for r in entry["queries"])
            for name, records in by_name.items():
                if name.startswith("peer:"):
                    peer_median = statistics.median(r["seconds"] for r in records)
                    peer_total = sum(r["seconds"] for r in records)
                    ratios[name[5:]] = (
                        entry["summary"]["median_seconds"] / peer_median
                        if peer_median > 0
                        else None
                    )
                    total_ratios[name[5:]] = ours_total / peer_total if peer_total > 0 else None
            entry["summary"]["time_ratio_to_peer"] = ratios
            entry["summary"]["total_time_ratio_to_peer"] = total_ratios
        if "astar-pyastar2d-rules" in by_name and "peer:pyastar2d" in by_name:
            ours = by_name["astar-pyastar2d-rules"]
            theirs = by_name["peer:pyastar2d"]
            differ = sum(
                (a["cost"] is None) != (b["cost"] is None)
                or (a["cost"] is not None and not math.isclose(a["cost"], b["cost"], rel_tol=1e-5))
                for a, b in zip(ours, theirs)
            )
            for entry in runs:
                if entry["scen"] == str(scen_path) and entry["planner"] == "astar-pyastar2d-rules":
                    entry["summary"]["mismatches_vs_pyastar2d"] = differ
    return {"runs": runs}


def _run_entry(work: Workload, name: str, records, summary) -> dict[str, Any]:
    return {
        "map": str(work.map_path),
        "scen": str(work.scen_path),
        "planner": name,
        "queries": records,
        "summary": summary,
    }


def format_table(document: dict[str, Any]) -> str:
    """The printed table: one line per (map, planner)."""
    lines = [
        f"{'map':18s} {'planner':24s} {'queries':>7s} {'mismatch':>8s} {'median ms':>10s} {'p95 ms':>9s} "
        f"{'exp/s':>10s} {'first ms':>9s}  time ratio to peers: medians (totals)"
    ]
    for entry in document["runs"]:
        s = entry["summary"]
        mismatch = "-" if s["mismatches"] is None else str(s["mismatches"])
        rate = "-" if s["expansions_per_second"] is None else f"{s['expansions_per_second']:.3g}"
        totals = s.get("total_time_ratio_to_peer", {})
        ratios = ", ".join(
            f"{peer} {_ratio_text(value)}"
            + (f" (total {_ratio_text(totals[peer])})" if totals.get(peer) else "")
            for peer, value in s.get("time_ratio_to_peer", {}).items()
            if value
        )
        extra = []
        if s.get("mean_ratio_to_optimal") and abs(s["mean_ratio_to_optimal"] - 1) > 1e-9:
            extra.append(f"mean/opt {s['mean_ratio_to_optimal']:.4f}")
        if s.get("mismatches_vs_pyastar2d") is not None:
            extra.append(f"cost mismatches vs pyastar2d {s['mismatches_vs_pyastar2d']}")
        if s.get("setup_seconds") is not None:
            extra.append(f"graph build {s['setup_seconds']:.1f} s")
        lines.append(
            f"{Path(entry['map']).name[:18]:18s} {entry['planner'][:24]:24s} {s['queries']:7d} {mismatch:>8s} "
            f"{1e3 * s['median_seconds']:10.3f} {1e3 * s['p95_seconds']:9.3f} {rate:>10s} "
            f"{1e3 * s['warmup_seconds']:9.1f}  {ratios}{'; ' if ratios and extra else ''}{'; '.join(extra)}"
        )
    lines.append(
        "first ms: the first query, with JIT compilation (or loading it from numba's cache)"
    )
    return "\n".join(lines)


def _ratio_text(value: float) -> str:
    return f"{value:.2f}x" if value >= 0.1 else f"1/{1 / value:.0f}"


def plot(document: dict[str, Any], out: Path) -> None:
    """Time per query against path cost, per planner and peer (log-log), one panel per map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    maps = list(dict.fromkeys(entry["map"] for entry in document["runs"]))
    columns = min(3, len(maps))
    rows = -(-len(maps) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.5 * columns, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(maps) :]:
        ax.set_visible(False)
    for ax, map_name in zip(axes.flat, maps):
        for entry in document["runs"]:
            if entry["map"] != map_name:
                continue
            points = [(q["cost"], q["seconds"]) for q in entry["queries"] if q["cost"]]
            if points:
                cost, seconds = np.array(points).T
                ax.scatter(cost, 1e3 * seconds, s=6, alpha=0.6, label=entry["planner"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("path cost (cells)")
        ax.set_ylabel("time per query (ms)")
        ax.set_title(Path(map_name).name)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, markerscale=2)
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    plt.close(fig)


def write_json(document: dict[str, Any], out: Path) -> None:
    """Write the JSON document (atomic rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(json.dumps(document, indent=1))
    temporary.replace(out)
