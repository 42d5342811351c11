"""`dronesim bench planners`: its JSON contract, its checks against the scen's optima, and
its care with peers, on a small map and scen written here (optima from networkx on a
graph built straight from the map's characters, not from our step graph)."""

import json
import math
import re

import networkx as nx
import numba
import numpy as np
import pytest
from dronesim.benchmarks import planners as bench
from dronesim.sim.cli import main

# '@' blocked. The pocket at the bottom right is walled in: queries into it are unreachable.
MAP_ROWS = [
    "................",
    "....@@@@@@@.....",
    "..........@.....",
    ".@@@@.....@.....",
    "....@.....@.....",
    "....@...........",
    "....@......@@@@@",
    "...........@....",
    "..@@@@@@...@.@@.",
    "...........@.@..",
]
QUERIES = [
    ((0, 0), (15, 0)),
    ((0, 9), (9, 2)),
    ((2, 4), (14, 5)),
    ((7, 9), (0, 0)),
    ((6, 4), (12, 7)),
    ((3, 2), (15, 9)),
    ((15, 0), (0, 9)),
    ((12, 9), (1, 9)),
    ((9, 5), (9, 5)),
]


def _reference_lengths():
    """Octile shortest lengths, no corner cutting, from the characters themselves."""
    height, width = len(MAP_ROWS), len(MAP_ROWS[0])
    free = {(x, y) for y in range(height) for x in range(width) if MAP_ROWS[y][x] == "."}
    graph = nx.Graph()
    graph.add_nodes_from(free)
    for x, y in free:
        for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
            if (x + dx, y + dy) in free and (x + dx, y) in free and (x, y + dy) in free:
                graph.add_edge((x, y), (x + dx, y + dy), weight=math.hypot(dx, dy))
    lengths = []
    for start, goal in QUERIES:
        try:
            lengths.append(nx.dijkstra_path_length(graph, start, goal))
        except nx.NetworkXNoPath:
            lengths.append(0.0)  # the MovingAI files' mark for unreachable
    return lengths


@pytest.fixture
def scen_file(tmp_path):
    (tmp_path / "tiny.map").write_text(
        f"type octile\nheight {len(MAP_ROWS)}\nwidth {len(MAP_ROWS[0])}\nmap\n"
        + "\n".join(MAP_ROWS)
        + "\n"
    )
    lines = ["version 1"]
    for (start, goal), length in zip(QUERIES, _reference_lengths()):
        lines.append(
            f"0\ttiny.map\t16\t10\t{start[0]}\t{start[1]}\t{goal[0]}\t{goal[1]}\t{length:.8f}"
        )
    path = tmp_path / "tiny.map.scen"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_contract_and_costs_against_the_scen(scen_file, tmp_path, capsys):
    out = tmp_path / "out" / "bench.json"
    code = main(
        [
            "bench",
            "planners",
            "--scen",
            str(scen_file),
            "--planner",
            "astar",
            "--planner",
            "astar-plain",
            "--peers",
            "networkx",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    if numba.config.DISABLE_JIT:  # a coverage run: pure-Python kernels lose to networkx
        assert re.search(r"networkx \d+\.\d\dx", table)
    else:
        assert "networkx 1/" in table or "networkx 0." in table
    document = json.loads(out.read_text())
    runs = {run["planner"]: run for run in document["runs"]}
    assert set(runs) == {"astar", "astar-plain", "peer:networkx"}
    lengths = _reference_lengths()
    for run in runs.values():
        assert run["map"].endswith("tiny.map") and run["scen"] == str(scen_file)
        queries = run["queries"]
        assert [q["index"] for q in queries] == list(range(len(QUERIES)))
        for q, (start, goal), length in zip(queries, QUERIES, lengths):
            assert q["start"] == list(start) and q["goal"] == list(goal)
            assert q["seconds"] > 0
            if length == 0.0 and start != goal:
                assert q["cost"] is None and q["expanded"] is None
            else:
                assert q["cost"] == pytest.approx(length, rel=1e-9)
        summary = run["summary"]
        assert summary["mismatches"] == 0 and summary["below_optimal"] == 0
        assert summary["queries"] == len(QUERIES)
        assert summary["unreachable"] == 3  # the three queries into or out of the walled pocket
        assert summary["solved"] + summary["unreachable"] == summary["queries"]
    for name in ("astar", "astar-plain"):
        summary = runs[name]["summary"]
        seconds = [q["seconds"] for q in runs[name]["queries"]]
        peer_seconds = [q["seconds"] for q in runs["peer:networkx"]["queries"]]
        assert summary["time_ratio_to_peer"]["networkx"] == pytest.approx(
            np.median(seconds) / np.median(peer_seconds)
        )
        assert summary["total_time_ratio_to_peer"]["networkx"] == pytest.approx(
            sum(seconds) / sum(peer_seconds)
        )
    assert runs["peer:networkx"]["summary"]["setup_seconds"] >= 0


def test_limit_takes_rows_spread_over_the_file(scen_file, tmp_path):
    out = tmp_path / "bench.json"
    assert (
        main(["bench", "planners", "--scen", str(scen_file), "--limit", "3", "--json", str(out)])
        == 0
    )
    (run,) = json.loads(out.read_text())["runs"]
    assert [q["index"] for q in run["queries"]] == [0, 4, 8]
    assert [q["start"] for q in run["queries"]] == [list(QUERIES[i][0]) for i in (0, 4, 8)]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--limit", "0"], "--limit: must be >= 1, got 0"),
        (["--peers", "boost"], "--peers: unknown peer 'boost'"),
        (["--planner", "no-such-planner"], "no-such-planner"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(scen_file, capsys, argv, message):
    assert main(["bench", "planners", "--scen", str(scen_file), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_bad_scen_files_name_the_file(tmp_path, capsys):
    missing_map = tmp_path / "lost.map.scen"
    missing_map.write_text("version 1\n0\tlost.map\t4\t4\t0\t0\t1\t1\t1.4\n")
    assert main(["bench", "planners", "--scen", str(missing_map)]) == 2
    assert f"{missing_map}: map 'lost.map' not found" in capsys.readouterr().err
    assert main(["bench", "planners", "--scen", str(tmp_path / "tiny.txt")]) == 2
    assert "expected a .scen or .3dscen file" in capsys.readouterr().err


def test_networkx_peer_is_skipped_where_its_graph_would_not_fit(scen_file, monkeypatch, capsys):
    work = bench.load_workload(scen_file, None)
    need = bench.networkx_graph_bytes(work.grid)
    free_cells = sum(row.count(".") for row in MAP_ROWS)
    assert need == free_cells * 4 * bench.NETWORKX_BYTES_PER_EDGE
    assert bench.networkx_graph_too_big(work.grid, None) is None
    assert bench.networkx_graph_too_big(work.grid, 10 * need) is None
    assert "GiB" in bench.networkx_graph_too_big(work.grid, need)

    monkeypatch.setattr(bench, "available_memory_bytes", lambda: need // 2)
    assert main(["bench", "planners", "--scen", str(scen_file), "--peers", "networkx"]) == 0
    captured = capsys.readouterr()
    assert "peer networkx skipped" in captured.err
    assert "peer:networkx" not in captured.out


def test_graph_memory_estimate_holds_for_networkx():
    """The estimate is an upper bound on what networkx really allocates for the graph."""
    import tracemalloc

    from dronesim.maps import Airspace
    from dronesim.planners import PlanningGrid

    blocked = (np.random.default_rng(5).random((3, 18, 20)) < 0.1).astype(np.uint8)
    grid = PlanningGrid(
        Airspace.from_grid(blocked, cell_size_m=10.0, layers_m=(5.0, 15.0, 25.0), ceiling_m=30.0)
    )
    tracemalloc.start()
    graph = grid.step_graph()
    allocated, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert graph.number_of_edges() > 0
    assert allocated <= bench.networkx_graph_bytes(grid)
