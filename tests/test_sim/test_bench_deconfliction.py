"""`dronesim bench deconfliction`: figures equal to the runs' own reports, ratios against
`layers`, and one-line errors for bad options."""

from __future__ import annotations

import dataclasses
import json

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


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--cases", "demo,nowhere", "nowhere"),
        ("--cases", ",", "--cases"),
        ("--policies", "layers,lanes", "lanes"),
    ],
)
def test_bad_options_exit_2_with_one_line(option, value, named, capsys):
    assert main(["bench", "deconfliction", option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0] and named in err[0]
