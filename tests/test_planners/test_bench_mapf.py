"""`dronesim bench mapf`: its JSON and paths files, checked with the validator written in
`test_deconfliction` and lower bounds from networkx, on a small map and scen written here."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from dronesim.benchmarks import mapf as bench
from dronesim.sim.cli import main
from test_deconfliction import check_mapf_solution

MAP_ROWS = [
    "..........",
    ".@@..@@@..",
    ".@........",
    "....@@..@.",
    "..@.......",
    "..@..@@@..",
    "..........",
    "...@@...@.",
]


@pytest.fixture
def instance(tmp_path):
    height, width = len(MAP_ROWS), len(MAP_ROWS[0])
    (tmp_path / "small.map").write_text(
        f"type octile\nheight {height}\nwidth {width}\nmap\n" + "\n".join(MAP_ROWS) + "\n"
    )
    blocked = np.array([[ch == "@" for ch in row] for row in MAP_ROWS], np.uint8)
    rng = np.random.default_rng(5)
    free = np.argwhere(blocked == 0)
    starts = free[rng.choice(len(free), 12, replace=False)]
    goals = free[rng.choice(len(free), 12, replace=False)]
    rows = ["version 1"]
    for (sr, sc), (gr, gc) in zip(starts, goals):
        rows.append(f"0\tsmall.map\t{width}\t{height}\t{sc}\t{sr}\t{gc}\t{gr}\t0")
    scen = tmp_path / "small.scen"
    scen.write_text("\n".join(rows) + "\n")
    return scen, blocked, starts, goals


def test_bench_mapf_json_and_paths_are_valid(instance, tmp_path, capsys):
    scen, blocked, starts, goals = instance
    out, paths_out = tmp_path / "out.json", tmp_path / "paths.json"
    status = main(
        ["bench", "mapf", "--scen", str(scen), "--agents", "4,12", "--time-limit", "5",
         "--json", str(out), "--paths", str(paths_out)]
    )  # fmt: skip
    assert status == 0
    document = json.loads(out.read_text())
    solutions = json.loads(paths_out.read_text())["solutions"]
    graph = nx.grid_2d_graph(*blocked.shape)
    graph.remove_nodes_from([tuple(c) for c in np.argwhere(blocked)])
    for entry in document["instances"]:
        k = entry["agents"]
        bound = sum(
            nx.shortest_path_length(graph, tuple(s), tuple(g))
            for s, g in zip(starts[:k], goals[:k])
        )
        assert entry["lower_bound"] == bound
        ours = entry["results"][0]
        assert ours["solver"] == "sipp-pp" and ours["success"]
        (solution,) = [s for s in solutions if s["agents"] == k and s["solver"] == "sipp-pp"]
        # Paths are [x, y] per step; the validator here takes (row, column).
        paths = [np.array(p)[:, ::-1] for p in solution["paths"]]
        assert check_mapf_solution(blocked, starts[:k], goals[:k], paths) == []
        arrivals = []
        for path, goal in zip(paths, goals[:k]):
            away = [t for t, cell in enumerate(path) if tuple(cell) != tuple(goal)]
            arrivals.append(away[-1] + 1 if away else 0)
        assert ours["sum_of_costs"] == sum(arrivals) >= bound
        assert ours["ratio_to_lower_bound"] == pytest.approx(sum(arrivals) / bound)
    assert "sipp-pp" in capsys.readouterr().out


def test_bench_validator_catches_conflicts():
    blocked = np.zeros((2, 3), np.uint8)
    blocked[1, 1] = 1
    starts, goals = np.array([[0, 0], [0, 1]]), np.array([[0, 1], [0, 0]])
    swap = [np.array([[0, 0], [0, 1]]), np.array([[0, 1], [0, 0]])]
    assert any("swap" in p for p in bench.validate(blocked, starts, goals, swap))
    starts, goals = np.array([[0, 0], [0, 2]]), np.array([[0, 2], [0, 0]])
    meet = [np.array([[0, 0], [0, 1], [0, 2]]), np.array([[0, 2], [0, 1], [0, 0]])]
    assert any("vertex" in p for p in bench.validate(blocked, starts, goals, meet))
    wall = [np.array([[0, 0], [1, 1], [0, 2]]), np.array([[0, 2], [0, 2], [0, 2]])]
    assert bench.validate(blocked, starts, np.array([[0, 2], [0, 2]]), wall)
    jump = [np.array([[0, 0], [0, 2]])]
    assert any("4-connected" in p for p in bench.validate(blocked, starts[:1], goals[:1], jump))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--agents", "0"], "--agents"),
        (["--agents", "4,x"], "--agents"),
        (["--agents", "99"], "exceeds"),
        (["--time-limit", "-1"], "--time-limit"),
        (["--peers", "cbs"], "--peers"),
    ],
)
def test_bench_mapf_bad_values_exit_2(instance, capsys, extra, message):
    scen = instance[0]
    assert main(["bench", "mapf", "--scen", str(scen), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bench_mapf_checks_pymapf_solutions_with_the_same_validator(instance, tmp_path):
    pytest.importorskip("pymapf")
    scen = instance[0]
    out = tmp_path / "out.json"
    assert main(["bench", "mapf", "--scen", str(scen), "--agents", "6", "--peers", "pymapf",
                 "--time-limit", "5", "--json", str(out)]) == 0  # fmt: skip
    (entry,) = json.loads(out.read_text())["instances"]
    solvers = [r["solver"] for r in entry["results"]]
    assert solvers == ["sipp-pp", "pymapf:lacam", "pymapf:pibt"]
    for r in entry["results"]:
        if r["valid"] is not None:
            assert r["valid"] == (r["problems"] == [])
        if r["success"]:
            assert r["solver"] in entry["cost_ratio_to_peer"] or r["solver"] == "sipp-pp"
