"""`dronesim bench validation`: each row's simulated figure equals an independent computation
from the run's recording (numpy on the saved arrays), and the command writes its JSON."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from dronesim.benchmarks import validation as bench
from dronesim.sim.cli import main
from dronesim.sim.engine import Simulation
from dronesim.sim.recording import write_recording
from dronesim.sim.scenario import from_toml_text
from tiny import TINY

DURATION_S = 600.0


@pytest.fixture(scope="module")
def tiny():
    """The tiny city with more drones than its first minutes need (some never fly)."""
    scenario = from_toml_text(TINY, "tiny.toml")
    return scenario.replace(fleet=dataclasses.replace(scenario.fleet, drones_per_depot=(12,)))


@pytest.fixture(scope="module")
def rows(tiny):
    results = bench.run(DURATION_S, {"demo": tiny, "city-day": tiny})
    assert results["duration_s"] == DURATION_S
    return results["rows"]


@pytest.fixture(scope="module")
def recorded(tiny, tmp_path_factory):
    """The same run as the benchmark's (same scenario and seed), saved and read back."""
    path = tmp_path_factory.mktemp("validation") / "tiny.npz"
    simulation = Simulation(tiny, duration_s=DURATION_S)
    simulation.run()
    write_recording(simulation, path)
    with np.load(path) as arrays:
        return {key: arrays[key] for key in arrays.files}


def _rows(rows, metric, run_prefix="tiny"):
    found = [r for r in rows if r["metric"] == metric and r["run"].startswith(run_prefix)]
    assert found
    return found


def _row(rows, metric, run_prefix="tiny"):
    [row] = _rows(rows, metric, run_prefix)
    return row


def _by_drone(arrays):
    drone, t, xyz, wh = (arrays[k] for k in ("traj_drone", "traj_t", "traj_xyz", "traj_battery_wh"))
    for d in np.unique(drone):
        mine = drone == d
        yield int(d), t[mine], xyz[mine], wh[mine]


def _delivered(arrays):
    meta = json.loads(str(arrays["meta"]))
    code = list(meta["order_status_names"]).index("delivered")
    return int((arrays["order_status"] == code).sum())


def test_energy_rows_equal_the_recordings_battery_drops_over_deliveries_and_ground_km(
    rows, recorded
):
    used_wh = horizontal_km = 0.0
    for _, _, xyz, wh in _by_drone(recorded):
        used_wh += np.clip(wh[:-1] - wh[1:], 0.0, None).sum()  # swaps raise it: not used
        horizontal_km += np.hypot(*np.diff(xyz[:, :2], axis=0).T).sum() / 1000.0
    delivered = _delivered(recorded)
    assert delivered > 0
    for per_parcel in _rows(rows, "energy per delivered parcel"):  # demo's and city-day's
        assert per_parcel["simulated"] == pytest.approx(used_wh / delivered, rel=1e-6)
        assert per_parcel["ratio"] == pytest.approx(used_wh / delivered / (0.33e6 / 3600))
    per_km = _row(rows, "energy per km, flown")
    assert per_km["simulated"] == pytest.approx(used_wh / horizontal_km, rel=1e-6)
    assert per_km["published"] == pytest.approx(80e3 / 3600)


def test_flight_time_row_is_a_backward_scan_to_the_last_ground_point(rows, recorded):
    delivered = recorded["order_event_kind"] == 2  # code 2: delivered (recording format)
    paths = {d: (t, xyz) for d, t, xyz, _ in _by_drone(recorded)}
    flights = []
    for t_hand, d in zip(
        recorded["order_event_t"][delivered], recorded["order_event_drone"][delivered]
    ):
        t, xyz = paths[int(d)]
        i = int(np.flatnonzero(t <= t_hand)[-1])
        while xyz[i, 2] > 0.0:
            i -= 1
        flights.append(t_hand - t[i])
    assert len(flights) == _delivered(recorded)
    assert min(flights) > 0
    row = _row(rows, "flight time, take-off to hand-over")
    assert row["simulated"] == pytest.approx(np.mean(flights) / 60.0)
    assert row["ratio"] == pytest.approx(row["simulated"] / 3.0)


def test_deliveries_per_aircraft_day_counts_only_drones_that_flew(rows, recorded):
    flew = sum(bool((xyz[:, 2] > 0).any()) for _, _, xyz, _ in _by_drone(recorded))
    meta = json.loads(str(recorded["meta"]))
    assert 0 < flew < meta["drones"]  # the tiny run leaves some on the ground: the count matters
    row = _row(rows, "deliveries per aircraft per day")
    expected = _delivered(recorded) / flew * 86400.0 / meta["recorded_until_s"]
    assert row["simulated"] == pytest.approx(expected)
    assert row["ratio"] == pytest.approx(expected / 100.0)


def test_delivery_time_row_is_the_mean_from_the_recordings_orders(rows, recorded):
    meta = json.loads(str(recorded["meta"]))
    code = list(meta["order_status_names"]).index("delivered")
    done = recorded["order_status"] == code
    minutes = (recorded["order_delivered_s"][done] - recorded["order_created_s"][done]) / 60.0
    row = _row(rows, "delivery time, order to hand-over")
    assert row["simulated"] == pytest.approx(minutes.mean())
    assert row["ratio"] == pytest.approx(minutes.mean() / 12.0)


def test_model_row_is_within_the_calibration_of_the_published_figure(rows):
    row = _row(rows, "energy per km, cruise", "energy model")
    assert row["ratio"] == pytest.approx(1.0, abs=0.1)
    assert all(r["source"] and r["command"].startswith("dronesim ") for r in rows)


def test_command_writes_json_rows(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "load_scenario", lambda name: tiny)  # keep the test fast
    out = tmp_path / "validation.json"
    assert main(["bench", "validation", "--duration", str(DURATION_S), "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["duration_s"] == DURATION_S and len(document["rows"]) == 7
    for row in document["rows"]:
        assert set(row) >= {"metric", "simulated", "published", "ratio", "source", "command"}
    table = capsys.readouterr().out
    assert table.count("\n| ") == 1 + 7  # header, separator line aside, and one line per row


@pytest.mark.parametrize("value", ["0", "-5", "nan"])
def test_bad_duration_exits_2_with_one_line(value, capsys):
    assert main(["bench", "validation", "--duration", value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--duration" in err[0]
