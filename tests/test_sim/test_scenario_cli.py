import json

import pytest
from cli_checks import run
from dronesim.sim.scenario import ScenarioError, bundled_scenarios, from_toml_text, load_scenario
from tiny import TINY


def test_bundled_scenarios_load_and_are_listed(capsys):
    assert {"demo", "city-day"} <= set(bundled_scenarios())
    demo = load_scenario("demo")
    assert (
        demo.name == "demo"
        and demo.duration_s == 7200
        and demo.map.temporary_window_s[0] < demo.duration_s
    )
    city = load_scenario("city-day")
    assert city.duration_s == 86400 and city.map.width_m == 10000
    code, out, _ = run(capsys, "scenarios")
    assert code == 0 and "demo" in out and "city-day" in out


_GENERATOR_LINES = (
    "seed = 5\n",
    "width_m = 1500\n",
    "height_m = 1500\n",
    "depots = 2\n",
    "pads_per_depot = 2\n",
    "temporary_window_s = [900, 1500]\n",
)


def _geojson_map(text, geojson):
    """TINY on a GeoJSON map: the generator's keys go (beside a map file they are refused)."""
    head, _, rest = text.partition("[map]\n")
    for line in _GENERATOR_LINES:
        assert line in rest
        rest = rest.replace(line, "", 1)
    return f"{head}[map]\ngeojson = '{geojson}'\n{rest}"


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t + "\ncolour = 'red'\n", "colour: unknown key"),
        (lambda t: t.replace("[fleet]", "[fleet]\nsize = 3"), "fleet.size: unknown key"),
        (
            lambda t: t.replace("[drone]", "[drone]\ncruise_speed_mps = -3"),
            "drone.cruise_speed_mps: must be > 0, got -3",
        ),
        (
            lambda t: t.replace("duration_s = 2400", "duration_s = 'long'"),
            "duration_s: expected a number, got 'long'",
        ),
        (
            lambda t: t.replace("[demand]", "[demand]\nweight_max_kg = 2.5"),
            "demand.weight_max_kg: 2.5 kg exceeds drone.max_payload_kg",
        ),
        (
            lambda t: t.replace("orders_per_hour = 120", "orders_per_hour = [1, 2]"),
            "demand.orders_per_hour: expected 24 numbers, got 2",
        ),
        (
            lambda t: t.replace("[dispatch]", "[dispatch]\npolicy = 'lottery'"),
            "dispatch.policy: unknown policy 'lottery'; known: greedy, assignment, batching",
        ),
        (
            lambda t: _geojson_map(t, "missing.geojson"),
            "missing.geojson: no such file",
        ),
        (
            lambda t: t.replace("[wind]", "[wind]\n").replace("speed_mps = 3", "speed_mps = 40"),
            "wind.speed_mps: 40 m/s is not below",
        ),
        (
            lambda t: t + "\n[planner]\nname = 'teleport'\n",
            "planner.name: unknown planner 'teleport'",
        ),
        (lambda t: "name = ", "bad TOML"),
    ],
)
def test_check_names_file_field_and_value_and_exits_2(capsys, tmp_path, edit, message):
    path = _write(tmp_path, edit(TINY))
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"dronesim: error: {path}") and message in err and err.count("\n") == 1


def test_check_rejects_a_depot_inside_a_building(capsys, tmp_path):
    square = [[[0.0, 0.0], [0.002, 0.0], [0.002, 0.002], [0.0, 0.002], [0.0, 0.0]]]
    document = {
        "type": "FeatureCollection",
        "properties": {"origin_lonlat": [0.0, 0.0], "bounds_m": [-100, -100, 600, 600]},
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "building", "height": 30},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"kind": "depot", "name": "hub", "pads": 2},
                "geometry": {"type": "Point", "coordinates": [0.001, 0.001]},
            },
        ],
    }
    (tmp_path / "city.geojson").write_text(json.dumps(document))
    path = _write(tmp_path, _geojson_map(TINY, "city.geojson"))
    code, _, err = run(capsys, "check", str(path))
    assert code == 2 and err.count("\n") == 1
    assert f"{path}: map.geojson: " in err and "city.geojson: feature 1: depot 'hub'" in err
    assert "inside the building of feature 0" in err


def test_check_accepts_the_bundled_and_a_valid_file(capsys, tmp_path):
    code, out, _ = run(capsys, "check", str(_write(tmp_path, TINY)))
    assert code == 0 and "ok: tiny" in out


def test_run_writes_report_and_recording(capsys, tmp_path):
    path = _write(tmp_path, TINY)
    code, out, err = run(
        capsys,
        "run",
        str(path),
        "--duration",
        "600",
        "--seed",
        "5",
        "--report",
        str(tmp_path / "r.json"),
        "--record",
        str(tmp_path / "r.npz"),
    )
    assert code == 0, err
    assert "orders" in out and "wall time" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["seed"] == 5 and report["sim_seconds"] == 600
    assert (tmp_path / "r.npz").stat().st_size > 1000


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "nowhere"], "nowhere: no bundled scenario or file of that name"),
        (["run", "demo", "--duration", "-5"], "--duration: must be > 0"),
        (["run", "missing.toml"], "missing.toml: no such file"),
    ],
)
def test_run_bad_arguments_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_scenario_replace_validates_again():
    scenario = from_toml_text(TINY, "tiny.toml")
    assert scenario.replace(seed=9).seed == 9
    with pytest.raises(ScenarioError):
        scenario.replace(map=scenario.map.__class__(layers_m=(50.0, 30.0)))
