"""`dronesim bench deconfliction`: figures equal to the runs' own reports, ratios against
`layers`, and one-line errors for bad options."""

from __future__ import annotations

import dataclasses
import json
import math
import time

import numpy as np
import pytest
from dronesim.benchmarks import deconfliction as bench
from dronesim.sim.cli import main
from dronesim.sim.engine import Simulation
from dronesim.sim.scenario import from_toml_text
from tiny import TINY

DURATION_S = 900.0


def test_figures_are_the_runs_reports_and_ratios_are_against_layers():
    scenario = from_toml_text(TINY, "tiny.toml")
    results = bench.run(["tiny"], ["none", "layers"], {"tiny": (scenario, DURATION_S)})
    rows = results["cases"]["tiny"]
    for policy, row in rows.items():
        changed = scenario.replace(
            deconfliction=dataclasses.replace(scenario.deconfliction, policy=policy)
        )
        report = Simulation(changed, duration_s=DURATION_S).run()
        assert row["separation_losses"] == report.separation_losses
        assert row["separation_losses_by_phase"] == report.separation_losses_by_phase
        assert row["on_time_share"] == pytest.approx(
            report.on_time_rate * report.orders_delivered / report.orders_created
        )
        assert row["delivery_time_s"]["mean"] == report.delivery_time_s["mean"]
    layers, none = rows["layers"], rows["none"]
    assert layers["wall_ratio"] == 1.0 and layers["delivery_time_change"] == 0.0
    expected = none["delivery_time_s"]["mean"] / layers["delivery_time_s"]["mean"] - 1.0
    assert none["delivery_time_change"] == pytest.approx(expected)
    assert none["energy_change"] == pytest.approx(none["energy_kwh"] / layers["energy_kwh"] - 1)
    assert "tiny:" in bench.format_table(results)
    json.dumps(results)  # the JSON the command writes


def test_time_buffer_replaces_every_cases_buffer():
    scenario = from_toml_text(TINY, "tiny.toml")
    results = bench.run(["tiny"], ["layers"], {"tiny": (scenario, DURATION_S)}, time_buffer_s=20.0)
    assert results["time_buffer_s"] == 20.0
    row = results["cases"]["tiny"]["layers"]
    # The same figures as a run given that buffer by hand; a wide buffer makes drones wait
    # for the columns longer than the scenario's own does.
    widened = scenario.replace(
        deconfliction=dataclasses.replace(scenario.deconfliction, time_buffer_s=20.0)
    )
    report = Simulation(widened, duration_s=DURATION_S).run()
    own = Simulation(scenario, duration_s=DURATION_S).run()
    assert row["takeoff_delay_s"] == report.takeoff_delay_s
    assert row["separation_losses"] == report.separation_losses
    assert report.takeoff_delay_s["mean"] > own.takeoff_delay_s["mean"]
    assert "time buffer of 20 s" in bench.format_table(results)
    for bad in (-1.0, math.nan):
        with pytest.raises(ValueError, match="time_buffer_s"):
            bench.run(["tiny"], ["layers"], {"tiny": (scenario, DURATION_S)}, time_buffer_s=bad)


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--cases", "demo,nowhere", "nowhere"),
        ("--cases", ",", "--cases"),
        ("--policies", "layers,lanes", "lanes"),
        ("--duration", "0", "got 0.0"),
        ("--duration", "nan", "got nan"),
        ("--time-buffer-s", "-1", "got -1.0"),
        ("--time-buffer-s", "inf", "got inf"),
        ("--time-buffer-s", "abc", "'abc'"),
    ],
)
def test_bad_options_exit_2_with_one_line(option, value, named, capsys):
    assert main(["bench", "deconfliction", option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0] and named in err[0]


def test_strategic_rows_time_each_trip_search_and_duration_cuts_every_case(monkeypatch):
    from dronesim.sim.strategic_policy import StrategicRun

    # An independent stopwatch around each call: the bench's per-search times lie inside.
    seen = {"trip": [], "reposition": []}

    def watched(name, kind):
        call = getattr(StrategicRun, name)

        def wrapper(self, *args):
            tic = time.perf_counter()
            result = call(self, *args)
            if result is not None:  # None: left to the normal builder, no search
                seen[kind].append(time.perf_counter() - tic)
            return result

        return wrapper

    monkeypatch.setattr(StrategicRun, "plan_trip", watched("plan_trip", "trip"))
    monkeypatch.setattr(StrategicRun, "plan_reposition", watched("plan_reposition", "reposition"))
    scenario = from_toml_text(TINY, "tiny.toml")
    results = bench.run(
        ["tiny"], ["layers", "strategic"], {"tiny": (scenario, DURATION_S)}, duration_s=600.0
    )
    assert results["duration_s"] == 600.0
    rows = results["cases"]["tiny"]
    layers, strategic = rows["layers"], rows["strategic"]
    assert layers["duration_s"] == strategic["duration_s"] == 600.0
    assert layers["planning_ms_per_trip"] is None and layers["planning_ms_per_reposition"] is None
    per_trip = strategic["planning_ms_per_trip"]
    trips = np.array(seen["trip"]) * 1000.0
    assert per_trip["trips"] == len(trips) > 0
    assert 0.0 < per_trip["median"] <= np.median(trips)
    assert per_trip["max"] <= trips.max()
    assert per_trip["median"] <= per_trip["p90"] <= per_trip["max"]
    assert strategic["planning_ms_per_reposition"]["flights"] == len(seen["reposition"])
    # Every search is planning time of the run.
    departures = strategic["takeoff_delay_s"]["departures"]
    total_planning_ms = 1000.0 * strategic["planning_s_per_departure"] * max(1, departures)
    assert trips.sum() <= total_planning_ms
    assert strategic["on_time_share_change_points"] == pytest.approx(
        100.0 * (strategic["on_time_share"] - layers["on_time_share"])
    )
    assert layers["on_time_share_change_points"] == 0.0
    table = bench.format_table(results)
    assert "at most 600 s" in table and f"{per_trip['trips']} trips" in table
    json.dumps(results)
