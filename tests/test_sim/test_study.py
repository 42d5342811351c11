"""Studies (`dronesim.sim.study`, ``dronesim sweep``, ``dronesim capacity``).

The reference for every run is an independent one: the scenario built with
`Scenario.replace` on the dataclasses (not the study's TOML override path) and run with
`Simulation` in this process. Backends must give the same tidy table and the same reports,
field by field apart from the wall timings. One `distributed.LocalCluster` (2 worker
processes) serves the whole module.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from importlib import resources

import pytest

pd = pytest.importorskip("pandas", reason="the study extra: pip install 'dronesim[study]'")
pytest.importorskip("pyarrow")
pytest.importorskip("distributed")
pytest.importorskip("matplotlib")

from cli_checks import assert_one_line_error, run  # noqa: E402
from dronesim.sim import capacity as C  # noqa: E402
from dronesim.sim import study as S  # noqa: E402
from dronesim.sim.engine import Simulation  # noqa: E402
from dronesim.sim.scenario import FleetSpec, from_toml_text, load_scenario  # noqa: E402
from study_runners import fail_at, interrupt_at, kill_always, kill_once  # noqa: E402
from tiny import TINY  # noqa: E402

DURATION_S = 600.0
DRONES = (1, 3)
POLICIES = ("assignment", "greedy")
SEEDS = (1, 2)
METRICS = ("on_time_share", "delivery_time_s.p90", "energy_wh_per_delivery")

STUDY = """
name = "tiny-sweep"
scenario = "tiny.toml"
seeds = [1, 2]
metrics = ["on_time_share", "delivery_time_s.p90", "energy_wh_per_delivery"]

[set]
duration_s = 600

[parameters]
fleet.drones_per_depot = [1, 3]     # a dotted key: the same as "fleet.drones_per_depot"
"dispatch.policy" = ["assignment", "greedy"]
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("study")
    (path / "tiny.toml").write_text(TINY)
    (path / "study.toml").write_text(STUDY)
    return path


@pytest.fixture(scope="module")
def study(folder):
    return S.Study.read(folder / "study.toml")


def _variant(drones: int, policy: str):
    base = from_toml_text(TINY, "tiny.toml")
    return base.replace(
        duration_s=DURATION_S,
        fleet=FleetSpec(drones_per_depot=(drones,)),
        dispatch=dataclasses.replace(base.dispatch, policy=policy),
    )


def _text(report: dict) -> str:
    """A report's deterministic fields as canonical JSON (NaN compares equal as text)."""
    return json.dumps(
        {k: v for k, v in report.items() if k not in ("wall_seconds", "time_s")}, sort_keys=True
    )


@pytest.fixture(scope="module")
def expected_reports():
    """Every run of the study, built and run without the study module."""
    return {
        (drones, policy, seed): _text(
            Simulation(_variant(drones, policy), seed=seed).run().to_dict()
        )
        for drones in DRONES
        for policy in POLICIES
        for seed in SEEDS
    }


@pytest.fixture(scope="module")
def serial_result(study, folder):
    return S.run_study(study, folder / "serial", S.SerialBackend())


@pytest.fixture(scope="module")
def dask_backend():
    """One LocalCluster with 2 worker processes for the module (started by the test)."""
    backend = S.DaskBackend(None, workers=2)
    yield backend
    backend.close()


def _stored_reports(out, table) -> dict:
    """(drones, policy, seed) -> the stored report of that row's run, as canonical text."""
    found = {}
    for row in table.itertuples():
        record = json.loads((out / "runs" / f"{row.key}.json").read_text())
        params = record["params"]
        found[(params["fleet.drones_per_depot"], params["dispatch.policy"], record["seed"])] = (
            _text(record["report"])
        )
    return found


def _deterministic(table):
    return table.drop(columns=[c for c in S.WALL_COLUMNS if c in table.columns])


def test_serial_study_runs_the_design_as_independent_runs(folder, serial_result, expected_reports):
    table = serial_result.table
    assert len(table) == 8 and (table["status"] == "ok").all()
    assert table["key"].is_unique
    combos = {
        (r["fleet.drones_per_depot"], r["dispatch.policy"], r["seed"]) for _, r in table.iterrows()
    }
    assert combos == set(expected_reports)
    assert _stored_reports(folder / "serial", table) == expected_reports
    # The table's report columns are the stored reports' values.
    row = table.iloc[5]
    record = json.loads((folder / "serial" / "runs" / f"{row['key']}.json").read_text())
    assert row["orders_created"] == record["report"]["orders_created"]
    assert (
        row["order_shares.delivered_on_time"]
        == record["report"]["order_shares"]["delivered_on_time"]
    )


def test_local_pool_and_dask_cluster_give_the_serial_table_and_reports(
    study, folder, serial_result, expected_reports, dask_backend
):
    reference = _deterministic(serial_result.table)
    local = S.run_study(study, folder / "local", S.LocalBackend(2))
    dask = S.run_study(study, folder / "dask", dask_backend)
    for name, result in (("local", local), ("dask", dask)):
        pd.testing.assert_frame_equal(_deterministic(result.table), reference, obj=name)
        assert _stored_reports(folder / name, result.table) == expected_reports, name
        pd.testing.assert_frame_equal(result.summary, serial_result.summary, obj=name)
    # The runs really went to two processes, not this one.
    assert local.table["worker"].nunique() == 2
    assert not local.table["worker"].str.endswith(f":{__import__('os').getpid()}").any()


def test_cli_sweep_on_a_dask_scheduler_then_resumed_serially(folder, dask_backend, capsys):
    out = folder / "cli-dask"
    address = dask_backend.client.scheduler.address
    code, stdout, err = run(
        capsys, "sweep", folder / "study.toml", "--out", out, "--scheduler", address
    )
    assert code == 0, err
    assert "runs: 8 ran (0 failed), 0 stored already" in stdout
    for name in ("runs.parquet", "runs.csv", "summary.parquet", "summary.csv"):
        assert (out / name).is_file(), name
    plots = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert len(plots) == len(METRICS) * 2, plots
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and len(pd.read_csv(out / "runs.csv")) == 8
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 4 and (summary["runs"] == 2).all()
    # A rerun (serial, in this process) finds every run stored and runs none.
    code, stdout, err = run(capsys, "sweep", folder / "study.toml", "--out", out, "--workers", "1")
    assert code == 0, err
    assert "runs: 0 ran (0 failed), 8 stored already" in stdout


def test_a_killed_dask_worker_is_replaced_and_its_run_counted_once(
    study, folder, serial_result, dask_backend, tmp_path
):
    out = folder / "dask-killed"
    runner = functools.partial(kill_once, str(tmp_path), 1, 2)
    result = S.run_study(study, out, dask_backend, runner=runner)
    assert (tmp_path / "killed").exists()  # a Dask worker process was killed mid-study
    assert result.counts.ran == 8 and result.counts.failed == 0
    assert sorted(result.counts.keys_ran) == sorted(serial_result.table["key"])
    pd.testing.assert_frame_equal(_deterministic(result.table), _deterministic(serial_result.table))


def test_resume_after_an_interrupt_runs_only_the_missing_runs(study, folder, serial_result):
    out = folder / "resume"
    # Ctrl-C arrives while the runs with 3 drones per depot are in flight.
    with pytest.raises(KeyboardInterrupt):
        S.run_study(study, out, S.LocalBackend(2), runner=functools.partial(interrupt_at, 3))
    stored = {p.stem for p in (out / "runs").glob("*.json")}
    every = set(serial_result.table["key"])
    assert stored and stored < every
    result = S.run_study(study, out, S.SerialBackend())
    assert set(result.counts.keys_ran) == every - stored
    assert len(result.counts.keys_ran) == result.counts.ran == len(every - stored)
    assert result.counts.skipped == len(stored)
    pd.testing.assert_frame_equal(_deterministic(result.table), _deterministic(serial_result.table))


def test_a_killed_worker_process_is_replaced_and_its_run_counted_once(
    study, folder, serial_result, tmp_path
):
    out = folder / "killed"
    runner = functools.partial(kill_once, str(tmp_path), 3, 2)
    result = S.run_study(study, out, S.LocalBackend(2), runner=runner)
    assert (tmp_path / "killed").exists()  # a worker was killed mid-study
    assert result.counts.ran == 8 and result.counts.failed == 0
    assert sorted(result.counts.keys_ran) == sorted(serial_result.table["key"])
    assert len(list((out / "runs").glob("*.json"))) == 8
    pd.testing.assert_frame_equal(_deterministic(result.table), _deterministic(serial_result.table))


def test_a_run_that_always_kills_its_worker_is_failed_alone(study, serial_result):
    result = S.run_study(
        study, None, S.LocalBackend(2), runner=functools.partial(kill_always, 1, 2)
    )
    table = result.table
    failed = table[table["status"] == "failed"]
    # The killer runs (1 drone per depot, seed 2: one per dispatch policy) and only they.
    assert len(failed) == 2, table[["point", "seed", "status", "error"]]
    assert (failed["fleet.drones_per_depot"] == 1).all() and (failed["seed"] == 2).all()
    assert failed["error"].str.contains(f"died {S.MAX_LOSSES} times").all()
    assert result.counts.ran == 8 and len(set(result.counts.keys_ran)) == 8
    ok = table["status"] == "ok"
    reference = serial_result.table.set_index("key")
    for column in ("orders_created", "order_shares.delivered_on_time", "distance_km"):
        assert list(table[ok][column]) == list(reference.loc[table[ok]["key"], column])


def test_a_failing_run_is_recorded_and_the_study_goes_on(study):
    result = S.run_study(study, None, S.SerialBackend(), runner=functools.partial(fail_at, 1))
    table = result.table
    failed = table[table["status"] == "failed"]
    assert len(failed) == 4 and (failed["fleet.drones_per_depot"] == 1).all()
    assert failed["error"].str.contains("on purpose").all()
    assert (table[table["status"] == "ok"]["fleet.drones_per_depot"] == 3).all()
    assert result.failed == 4
    summary = result.summary.set_index("point")
    assert list(summary["failed"]) == [2, 2, 0, 0]
    assert summary["on_time_share.n"].tolist() == [0, 0, 2, 2]


def test_cli_exit_status_counts_the_failed_runs(folder, capsys):
    # 40 pads per depot pass the scenario reader but do not fit the depot at run time.
    (folder / "bad-combo.toml").write_text(
        'scenario = "tiny.toml"\nseeds = [1]\n[set]\nduration_s = 300\n'
        '[parameters]\n"map.pads_per_depot" = [2, 40]\n'
    )
    out = folder / "bad-combo"
    code, stdout, err = run(
        capsys, "sweep", folder / "bad-combo.toml", "--out", out, "--workers", "1"
    )
    assert code == 11, err  # 10 + 1 failed run
    assert "failed: point 1 seed 1: ScenarioError" in stdout
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs["status"]) == ["ok", "failed"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            '"fleet.drone_per_depot" = [1, 2]',
            ["point 0", "fleet.drone_per_depot", "unknown key"],
        ),
        (
            '"fleet.drones_per_depot" = [2, "ten"]',
            ["point 1", "fleet.drones_per_depot", "expected an integer", "'ten'"],
        ),
        ('"dispatch.policy" = ["assignment", "fastest"]', ["dispatch.policy", "'fastest'"]),
        ('"fleet.drones_per_depot" = []', ["parameters.fleet.drones_per_depot", "empty"]),
        ('"duration_s.x" = [1]', ["duration_s.x", "not a table"]),
    ],
)
def test_bad_study_raises_one_line_error_before_any_run(folder, capsys, text, parts):
    path = folder / "bad.toml"
    path.write_text(f'scenario = "tiny.toml"\n[parameters]\n{text}\n')
    out = folder / "bad-out"
    code, stdout, err = run(capsys, "sweep", path, "--out", out, "--workers", "1")
    assert_one_line_error(code, stdout, err, "bad.toml", *parts)
    assert not (out / "runs").exists()


def test_bad_metric_and_empty_list_design_raise_one_line_errors(folder, capsys):
    path = folder / "bad-metric.toml"
    path.write_text('scenario = "tiny.toml"\nmetrics = ["on_time"]\n')
    assert_one_line_error(*run(capsys, "sweep", path), "metrics", "'on_time'")
    path.write_text('scenario = "tiny.toml"\n[design]\nkind = "list"\npoints = []\n')
    assert_one_line_error(*run(capsys, "sweep", path), "design.points", "empty")


@pytest.mark.parametrize(
    ("options", "parts"),
    [
        (["--workers", "0"], ["--workers", "must be >= 1"]),
        (["--dask", "remote"], ["--dask", "'remote'"]),
        (["--scheduler", "localhost:8786"], ["--scheduler", "tcp://HOST:PORT"]),
    ],
)
def test_bad_backend_options_raise_one_line_errors(folder, capsys, options, parts):
    out = folder / "bad-backend"
    code, stdout, err = run(capsys, "sweep", folder / "study.toml", "--out", out, *options)
    assert_one_line_error(code, stdout, err, *parts)
    assert not (out / "runs").exists()


def test_unreachable_scheduler_raises_one_line_error_before_any_run(folder, capsys):
    out = folder / "unreachable"
    code, stdout, err = run(
        capsys,
        "sweep",
        folder / "study.toml",
        "--out",
        out,
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--connect-timeout",
        "1",
    )
    assert_one_line_error(code, stdout, err, "--scheduler", "tcp://127.0.0.1:9", "cannot connect")
    assert not (out / "runs").exists()


def test_a_port_that_is_no_dask_scheduler_is_one_line_error_in_time(folder, capsys):
    """A server that accepts and never answers (as a web server or the dashboard's port
    does to Dask's handshake): refused within the timeout, not waited on for ever."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        tic = time.perf_counter()
        code, stdout, err = run(
            capsys, "sweep", folder / "study.toml", "--out", folder / "silent",
            "--scheduler", address, "--connect-timeout", "1",
        )  # fmt: skip
        assert time.perf_counter() - tic < 30.0
    finally:
        server.close()
    assert_one_line_error(code, stdout, err, "--scheduler", address)
    code, stdout, err = run(
        capsys, "sweep", folder / "study.toml", "--scheduler", "tcp://localhost"
    )  # fmt: skip
    assert_one_line_error(code, stdout, err, "--scheduler", "tcp://localhost")


def test_capacity_finds_the_smallest_fleet_an_exhaustive_search_finds(folder, capsys):
    """Exhaustive runs of 1..6 drones per depot give the answer; bisection must find it."""
    seeds = (0, 1)
    threshold = 0.4
    base = from_toml_text(TINY, "tiny.toml")
    means = {}
    for drones in range(1, 7):
        scenario = base.replace(duration_s=DURATION_S, fleet=FleetSpec(drones_per_depot=(drones,)))
        shares = [
            Simulation(scenario, seed=s).run().order_shares["delivered_on_time"] for s in seeds
        ]
        means[drones] = sum(shares) / len(shares)
    expected = min(v for v, m in means.items() if m >= threshold)
    # Well posed: every larger fleet meets the target too, and the answer is inside.
    assert all(m >= threshold for v, m in means.items() if v >= expected), means
    assert 1 < expected < 6, means

    out = folder / "capacity"
    result = C.find_capacity(
        str(folder / "tiny.toml"),
        "fleet.drones_per_depot",
        f"on_time_share >= {threshold}",
        seeds,
        1,
        6,
        fixed=[("duration_s", DURATION_S)],
        backend=S.SerialBackend(),
        out=out,
    )
    assert result.answer == expected
    sampled = {row["value"]: row["mean"] for row in result.curve}
    assert len(sampled) < 6  # bisection, not every value
    for value, mean in sampled.items():
        assert mean == pytest.approx(means[value], abs=1e-12)

    # The command line: the same answer, the curve printed and plotted; the runs it
    # shares with the search above are reused, and --high found by doubling.
    code, stdout, err = run(
        capsys,
        "capacity",
        folder / "tiny.toml",
        "--vary",
        "fleet.drones_per_depot",
        "--target",
        f"on_time_share >= {threshold}",
        "--seeds",
        "2",
        "--duration",
        str(DURATION_S),
        "--workers",
        "1",
        "--out",
        out,
    )
    assert code == 0, err
    assert f"answer: fleet.drones_per_depot = {expected} meets" in stdout
    assert (out / "capacity.png").is_file() and (out / "capacity.csv").is_file()


def test_capacity_bad_target_raises_one_line_error(folder, capsys):
    code, stdout, err = run(
        capsys, "capacity", folder / "tiny.toml", "--vary", "fleet.drones_per_depot",
        "--target", "on_time_share ~ 0.9", "--out", folder / "cap-bad",
    )  # fmt: skip
    assert_one_line_error(code, stdout, err, "--target", "on_time_share ~ 0.9")
    code, stdout, err = run(
        capsys, "capacity", folder / "tiny.toml", "--vary", "fleet.drones", "--high", "3",
        "--target", "on_time_share >= 0.9", "--out", folder / "cap-bad", "--workers", "1",
    )  # fmt: skip
    assert_one_line_error(code, stdout, err, "--vary", "fleet.drones", "unknown key")


def test_bundled_study_is_listed_and_valid(capsys):
    code, stdout, _ = run(capsys, "sweep", "--list")
    assert code == 0 and stdout.startswith("demo-fleet-size")
    study = S.load_study("demo-fleet-size")
    tasks = S.build_tasks(study)
    assert len(tasks) == 4 * 2 * 3
    assert len({t.key for t in tasks}) == len(tasks)
    policies = {t.scenario.dispatch.policy for t in tasks}
    assert policies == {"assignment", "batching"}
    assert {t.scenario.fleet.drones_per_depot for t in tasks} == {(4,), (6,), (8,), (10,)}


def test_run_key_depends_on_the_resolved_scenario_and_seed_only(folder):
    scenario = from_toml_text(TINY, "tiny.toml")
    same = from_toml_text("# another file, same content\n" + TINY, "elsewhere/copy.toml")
    assert S.run_key(scenario, 1) == S.run_key(same, 1)
    assert S.run_key(scenario, 1) != S.run_key(scenario, 2)
    changed = scenario.replace(demand=dataclasses.replace(scenario.demand, deadline_s=1501.0))
    assert S.run_key(changed, 1) != S.run_key(scenario, 1)
    # A default written out is the same scenario as a default left out.
    explicit = from_toml_text(TINY.replace("[dispatch]", '[dispatch]\npolicy = "assignment"'), "t")
    assert S.run_key(explicit, 1) == S.run_key(scenario, 1)


def test_run_key_follows_the_contents_of_the_files_a_scenario_names(tmp_path):
    """Zone and map files count by their bytes: an edited zone file is another run, the
    same files in another folder the same run."""
    import json
    import shutil

    from dronesim.sim.scenario import Scenario

    source = resources.files("dronesim.sim").joinpath("scenarios")
    keys = []
    for name in ("a", "b"):
        shutil.copytree(source / "manhattan", tmp_path / name / "manhattan")
        shutil.copy(source / "manhattan.toml", tmp_path / name / "manhattan.toml")
        keys.append(S.run_key(Scenario.read(tmp_path / name / "manhattan.toml"), 0))
    assert keys[0] == keys[1]
    zones = tmp_path / "b" / "manhattan" / "lower_manhattan_zones_ed269.json"
    document = json.loads(zones.read_text())
    document["features"] = document["features"][:1]
    zones.write_text(json.dumps(document))
    assert S.run_key(Scenario.read(tmp_path / "b" / "manhattan.toml"), 0) != keys[0]


def test_a_relative_scenario_is_read_beside_the_study_file(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "tiny.toml").write_text(TINY.replace("duration_s = 2400", "duration_s = 300"))
    (tmp_path / "sub" / "tiny.toml").write_text(
        TINY.replace("duration_s = 2400", "duration_s = 600")
    )
    (tmp_path / "sub" / "study.toml").write_text(
        'name = "s"\nscenario = "tiny.toml"\nseeds = [0]\nmetrics = ["on_time_share"]\n'
        '[parameters]\n"fleet.drones_per_depot" = [2]\n'
    )
    monkeypatch.chdir(tmp_path)
    (task,) = S.build_tasks(S.load_study("sub/study.toml"))
    assert task.scenario.duration_s == 600.0


def test_toml_round_trip_keeps_the_scenario():
    """Override path: the bundled scenarios written back as TOML read as the same."""
    import tomllib

    from dronesim.sim.scenario import bundled_scenarios

    for name in bundled_scenarios():
        text, source, folder = S.scenario_text(name)
        again = from_toml_text(S.to_toml(tomllib.loads(text)), source, base_dir=folder)
        assert again == load_scenario(name), name


def test_list_and_hypercube_designs_read_from_files(folder):
    listed = S.study_from_toml_text(
        'scenario = "tiny.toml"\nseeds = 2\n[design]\nkind = "list"\n'
        '[[design.points]]\nfleet.drones_per_depot = 2\n"dispatch.policy" = "greedy"\n'
        '[[design.points]]\nfleet.drones_per_depot = [1, 3]\n"dispatch.policy" = "batching"\n',
        "list.toml",
        base_dir=folder,
    )
    tasks = S.build_tasks(listed)
    assert [(t.point, t.seed) for t in tasks] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert tasks[0].scenario.fleet.drones_per_depot == (2,)
    assert tasks[2].scenario.fleet.drones_per_depot == (1, 3)
    assert tasks[2].scenario.dispatch.policy == "batching"
    cube = S.study_from_toml_text(
        'scenario = "tiny.toml"\n[design]\nkind = "lhs"\nsamples = 5\nseed = 2\n'
        '[parameters]\n"demand.scale" = {low = 0.5, high = 1.5}\n',
        "cube.toml",
        base_dir=folder,
    )
    scales = [t.scenario.demand.scale for t in S.build_tasks(cube)]
    assert len(scales) == 5 and all(0.5 <= v <= 1.5 for v in scales)
    assert len({math.floor((v - 0.5) * 5) for v in scales}) == 5


def test_latin_hypercube_uses_each_stratum_once():
    parameters = (
        S.Parameter("demand.scale", low=0.5, high=1.5),
        S.Parameter("fleet.drones_per_depot", low=2, high=9),
        S.Parameter("dispatch.policy", values=("greedy", "assignment")),
    )
    points = S._latin_hypercube(parameters, 8, seed=4)  # noqa: SLF001
    scales = sorted(p["demand.scale"] for p in points)
    assert [math.floor((s - 0.5) / (1.0 / 8)) for s in scales] == list(range(8))
    assert sorted(p["fleet.drones_per_depot"] for p in points) == list(range(2, 10))
    assert sorted(p["dispatch.policy"] for p in points) == ["assignment"] * 4 + ["greedy"] * 4
    assert points == S._latin_hypercube(parameters, 8, seed=4)  # noqa: SLF001


def test_mean_interval_matches_student_t():
    stats = pytest.importorskip("scipy.stats")
    values = [0.61, 0.64, 0.58, 0.70, 0.66]
    mean, low, high = S.mean_interval(values)
    reference = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=stats.sem(values))
    assert mean == pytest.approx(sum(values) / 5)
    assert (low, high) == pytest.approx(reference, rel=1e-3)
    assert all(math.isnan(v) for v in S.mean_interval([0.5])[1:])


def test_bench_sweep_on_a_tiny_scenario(folder, capsys):
    code, stdout, err = run(
        capsys, "bench", "sweep", "--runs", "2", "--backends", "serial,local",
        "--scenario", folder / "tiny.toml", "--duration", "300", "--repeats", "2",
    )  # fmt: skip
    assert code == 0, err
    assert "cut by --duration" in stdout and "best of 2 repetitions" in stdout
    for name in ("serial", "local"):
        line = next(line for line in stdout.splitlines() if line.startswith(name))
        assert line.endswith("identical"), line


def test_a_study_built_in_code_is_checked_before_any_run():
    with pytest.raises(S.StudyError, match="'on_time'"):
        S.build_tasks(S.Study(name="x", scenario="demo", metrics=("on_time",)))
    with pytest.raises(S.StudyError, match="empty"):
        S.build_tasks(S.Study(name="x", scenario="demo", parameters=(S.Parameter("demand.scale"),)))
    with pytest.raises(S.StudyError, match="no seeds"):
        S.build_tasks(S.Study(name="x", scenario="demo", seeds=()))
