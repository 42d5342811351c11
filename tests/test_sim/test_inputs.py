"""Bad input: every reproducer of issue 12 (a hostile but realistic user) gives one line on
stderr naming file, field and value, exit status 2, before anything large is allocated;
a scenario never imports code; plug-ins come from registries and installed entry points;
anything that is not bad input (a bug, even a ValueError inside numpy) keeps its
traceback."""

import json
import os
import shutil
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from cli_checks import assert_one_line_error, run
from dronesim.maps import limits
from dronesim.maps.errors import InputError, MapFormatError
from dronesim.planners.fleet import POLICIES
from dronesim.planners.plugins import PluginError
from dronesim.planners.registry import PLANNERS
from dronesim.sim.cli import CommandError, main
from dronesim.sim.recording import RecordingError
from dronesim.sim.scenario import (
    PlannerSpec,
    ScenarioError,
    expected_orders,
    from_toml_text,
    load_scenario,
)
from tiny import TINY

# Peak traced memory allowed while a bad input is refused: far below any of the
# allocations the limits prevent (gigabytes), above what reading a small file costs.
REFUSAL_PEAK_BYTES = 64 * 2**20


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


_GENERATOR_LINES = (
    "seed = 5\n",
    "width_m = 1500\n",
    "height_m = 1500\n",
    "depots = 2\n",
    "pads_per_depot = 2\n",
    "temporary_window_s = [900, 1500]\n",
)


def on_geojson(text, geojson):
    """TINY on a GeoJSON map (without the generator's keys)."""
    head, _, rest = text.partition("[map]\n")
    for line in _GENERATOR_LINES:
        rest = rest.replace(line, "", 1)
    return f"{head}[map]\ngeojson = '{geojson}'\n{rest}"


def assert_refused_without_large_allocation(call, error_type):
    """``call()`` raises ``error_type`` with a peak traced allocation far below the sizes
    the limits guard (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        with pytest.raises(error_type) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < REFUSAL_PEAK_BYTES, peak
    return caught.value


# --------------------------------------------------------------- the error class


def test_input_errors_are_one_class_and_only_it_is_caught():
    for kind in (ScenarioError, MapFormatError, RecordingError, CommandError, PluginError):
        assert issubclass(kind, InputError)
    assert not issubclass(ValueError, InputError)


def test_cli_raises_when_numpy_raises_a_stray_value_error(capsys, tmp_path, monkeypatch):
    """A ValueError from inside numpy is a bug: a traceback, not 'bad input, exit 2'."""
    import dronesim.sim.engine as engine

    def broken_generate_orders(*args, **kwargs):
        return np.zeros(-1)  # numpy: "negative dimensions are not allowed"

    monkeypatch.setattr(engine, "generate_orders", broken_generate_orders)
    path = write(tmp_path, TINY)
    with pytest.raises(ValueError, match="negative dimensions"):
        main(["check", str(path)])
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------- a scenario is data


@pytest.fixture
def recorded_calls(monkeypatch):
    """os.abort, sys.exit and shutil.rmtree replaced by recorders (nothing may call them)."""
    calls = []
    monkeypatch.setattr(os, "abort", lambda *a, **k: calls.append(("os.abort", a)))
    monkeypatch.setattr(sys, "exit", lambda *a, **k: calls.append(("sys.exit", a)))
    monkeypatch.setattr(shutil, "rmtree", lambda *a, **k: calls.append(("shutil.rmtree", a)))
    return calls


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("spec", ["os:abort", "sys:exit", "shutil:rmtree", ":x", "os.path:"])
@pytest.mark.parametrize(
    "field, edit",
    [
        ("planner.name", lambda t, spec: t + f"\n[planner]\nname = '{spec}'\n"),
        (
            "dispatch.policy",
            lambda t, spec: t.replace("[dispatch]", f"[dispatch]\npolicy = '{spec}'"),
        ),
    ],
)
def test_scenario_raises_when_it_names_module_attribute(
    capsys, tmp_path, recorded_calls, command, spec, field, edit
):
    path = write(tmp_path, edit(TINY, spec))
    code, out, err = run(capsys, command, path)
    assert_one_line_error(code, out, err, f"{path}: {field}: '{spec}'", "never module:attribute")
    assert recorded_calls == []


def test_scenario_raises_when_it_names_a_module_and_never_imports_it(capsys, tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "evil_plugin_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Planner:\n    name = 'evil'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write(tmp_path, TINY + "\n[planner]\nname = 'evil_plugin_mod:Planner'\n")
    for command in ("check", "run"):
        code, out, err = run(capsys, command, path)
        assert_one_line_error(code, out, err, f"{path}: planner.name: 'evil_plugin_mod:Planner'")
    with pytest.raises(ScenarioError, match="planner.name"):
        load_scenario(path)
    assert not marker.exists() and "evil_plugin_mod" not in sys.modules


def test_scenario_replace_raises_when_planner_is_module_attribute(recorded_calls):
    scenario = from_toml_text(TINY, "tiny.toml")
    with pytest.raises(ScenarioError, match="tiny.toml: planner.name: 'os:abort'"):
        scenario.replace(planner=PlannerSpec(name="os:abort"))
    assert recorded_calls == []


def test_registry_lookup_raises_when_name_is_module_attribute(recorded_calls):
    """Even a Scenario built without validation cannot make the engine import: the
    registry's lookup by name never imports."""
    for spec in ("os:abort", "sys:exit", "shutil:rmtree"):
        with pytest.raises(PluginError, match="unknown planner"):
            PLANNERS.get(spec)
    assert recorded_calls == []


def test_scenario_raises_when_planner_or_policy_is_unknown(capsys, tmp_path):
    path = write(tmp_path, TINY + "\n[planner]\nname = 'teleport'\n")
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, f"{path}: planner.name: unknown planner 'teleport'")
    path = write(tmp_path, TINY.replace("[dispatch]", "[dispatch]\npolicy = 'lottery'"))
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, f"{path}: dispatch.policy: unknown policy 'lottery'")


# --------------------------------------------------------------- entry points


PLUGIN_SOURCE = """
from dronesim.planners.fleet import GreedyPolicy
from dronesim.planners.registry import GridAStar

IMPORTS.append(__name__)


def make_planner():
    return GridAStar("plug-astar", description="from an installed distribution")


class PlugPolicy(GreedyPolicy):
    def __init__(self):
        super().__init__(name="plug-greedy")


WRONG = GridAStar("not-the-entry-point-name")
"""


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A real installed distribution: a package and its ``.dist-info`` with
    ``entry_points.txt`` in a folder on sys.path, found by importlib.metadata."""
    site = tmp_path / "site"
    package = site / "dsplug"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import builtins\nIMPORTS = builtins.__dict__.setdefault('_dsplug_imports', [])\n"
        + PLUGIN_SOURCE
    )
    info = site / "dsplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dsplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [dronesim.planners]
            plug-astar = dsplug:make_planner
            plug-wrong = dsplug:WRONG
            plug-broken = dsplug_missing_module:Thing

            [dronesim.policies]
            plug-greedy = dsplug:PlugPolicy
            """
        )
    )
    monkeypatch.syspath_prepend(str(site))
    import builtins

    builtins.__dict__.pop("_dsplug_imports", None)
    yield builtins.__dict__.setdefault("_dsplug_imports", [])
    # Leave the shared registries as they were.
    PLANNERS.unregister("plug-astar")
    POLICIES.pop("plug-greedy", None)
    sys.modules.pop("dsplug", None)
    builtins.__dict__.pop("_dsplug_imports", None)


def test_entry_point_plugins_load_lazily_and_run(capsys, tmp_path, installed_plugin):
    # Checking a scenario that names only built-ins does not import the plug-in.
    code, _, err = run(capsys, "check", write(tmp_path, TINY))
    assert code == 0, err
    assert installed_plugin == [] and "dsplug" not in sys.modules
    assert "plug-astar" in PLANNERS.available() and "plug-astar" not in PLANNERS.names()

    text = TINY.replace("[dispatch]", "[dispatch]\npolicy = 'plug-greedy'")
    path = write(tmp_path, text + "\n[planner]\nname = 'plug-astar'\n")
    code, out, err = run(capsys, "run", path, "--duration", "300", "--quiet")
    assert code == 0, err
    assert installed_plugin == ["dsplug"]  # imported once, when first named
    assert PLANNERS.get("plug-astar").description == "from an installed distribution"
    assert POLICIES["plug-greedy"].name == "plug-greedy"


@pytest.mark.parametrize(
    "name, message",
    [
        ("plug-wrong", "not a planner named 'plug-wrong'"),
        ("plug-broken", "entry point plug-broken = 'dsplug_missing_module:Thing' does not load"),
    ],
)
def test_scenario_raises_when_entry_point_is_bad(capsys, tmp_path, installed_plugin, name, message):
    path = write(tmp_path, TINY + f"\n[planner]\nname = '{name}'\n")
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, f"{path}: planner.name: ", message)


def test_bench_planners_takes_module_attribute_typed_on_the_command_line(capsys, tmp_path):
    """The user typed it: the benchmark's --planner still imports module:attribute."""
    (tmp_path / "m.map").write_text("type octile\nheight 3\nwidth 3\nmap\n...\n...\n...\n")
    scen = tmp_path / "m.map.scen"
    scen.write_text("version 1\n0\tm.map\t3\t3\t0\t0\t2\t2\t2.82842712\n")
    code, out, err = run(
        capsys,
        "bench",
        "planners",
        "--scen",
        scen,
        "--planner",
        "dronesim.planners.registry:LazyThetaStar",
    )
    assert code == 0, err and "theta" in out


# --------------------------------------------------------------- scenario limits and nonsense


SCENARIO_CASES = {
    "width": (
        lambda t: t.replace("width_m = 1500", "width_m = 1e7"),
        "map.width_m",
        "got 10000000.0",
    ),
    "cells": (
        lambda t: (
            t.replace("cell_size_m = 20", "cell_size_m = 1")
            .replace("width_m = 1500", "width_m = 45000")
            .replace("height_m = 1500", "height_m = 45000")
        ),
        "map.cell_size_m",
        "1.01e+10 cells",
    ),
    "layers": (
        lambda t: t.replace(
            "[map]",
            "[map]\nceiling_m = 5000\nlayers_m = [" + ", ".join(map(str, range(1, 1102))) + "]",
        ),
        "map.layers_m",
        "1101 layers",
    ),
    "drones_per_depot": (
        lambda t: t.replace("drones_per_depot = 4", "drones_per_depot = 10000000"),
        "fleet.drones_per_depot",
        "10000000",
    ),
    "drones_total": (
        lambda t: t.replace("drones_per_depot = 4", "drones_per_depot = 60000"),
        "fleet.drones_per_depot",
        "120000 drones",
    ),
    "pads": (
        lambda t: t.replace("pads_per_depot = 2", "pads_per_depot = 1000000000000"),
        "map.pads_per_depot",
        "1000000000000",
    ),
    "demand_scale": (
        lambda t: t.replace("[demand]", "[demand]\nscale = 1e300"),
        "demand.scale",
        "1e+300",
    ),
    "orders_per_hour": (
        lambda t: t.replace("orders_per_hour = 120", "orders_per_hour = 1e9"),
        "demand.orders_per_hour",
        "1000000000.0",
    ),
    "duration": (
        lambda t: t.replace("duration_s = 2400", "duration_s = 1e15"),
        "duration_s",
        "got 1000000000000000.0",
    ),
    "cruise_above_max_airspeed": (
        lambda t: t.replace("[drone]", "[drone]\ncruise_speed_mps = 60"),
        "drone.cruise_speed_mps",
        "60 m/s",
    ),
    "median_weight_above_max": (
        lambda t: t.replace("[demand]", "[demand]\nweight_median_kg = 5"),
        "demand.weight_median_kg",
        "5 kg",
    ),
    "zone_window_before_0": (
        lambda t: t.replace(
            "temporary_window_s = [900, 1500]", "temporary_window_s = [-900, -500]"
        ),
        "map.temporary_window_s",
        "[-900.0, -500.0]",
    ),
    "zone_unannounced_not_a_boolean": (
        lambda t: t.replace("[map]", "[map]\ntemporary_unannounced = 'yes'"),
        "map.temporary_unannounced",
        "'yes'",
    ),
    "zone_unannounced_beside_geojson": (
        lambda t: on_geojson(t, "city.geojson").replace(
            "[map]", "[map]\ntemporary_unannounced = true"
        ),
        "map.temporary_unannounced",
        "a generator parameter beside map.geojson",
    ),
    "generator_key_beside_geojson": (
        lambda t: t.replace("[map]", "[map]\ngeojson = 'city.geojson'"),
        "map.depots",
        "a generator parameter beside map.geojson",
    ),
    "generator_city_beside_geojson": (
        lambda t: on_geojson(t, "city.geojson").replace("[map]", "[map]\ngenerator = 'city'"),
        "map.generator",
        "'city'",
    ),
}


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_scenario_raises_when_value_is_past_a_limit_or_nonsense(capsys, tmp_path, command, case):
    edit, field, value = SCENARIO_CASES[case]
    path = write(tmp_path, edit(TINY))
    code, out, err = run(capsys, command, path)
    assert_one_line_error(code, out, err, f"{path}: {field}: ", value)
    # Refused by the scenario reader itself, before any map, fleet or order exists.
    assert_refused_without_large_allocation(lambda: load_scenario(path), ScenarioError)


def test_run_raises_when_duration_override_is_past_a_year_or_orders(capsys, tmp_path):
    path = write(tmp_path, TINY)
    code, out, err = run(capsys, "run", path, "--duration", "1e12")
    assert_one_line_error(code, out, err, f"{path}: --duration: ", "got 1000000000000.0")
    path = write(tmp_path, TINY.replace("orders_per_hour = 120", "orders_per_hour = 2000"))
    code, out, err = run(capsys, "run", path, "--duration", str(300 * 86400))
    assert_one_line_error(code, out, err, f"{path}: demand.orders_per_hour: ", "expected orders")


def test_expected_orders_matches_the_hourly_integral():
    """Against a brute-force sum over seconds (independent of the slicing)."""
    scenario = from_toml_text(TINY, "tiny.toml")
    rates = np.arange(24, dtype=float) * 7 + 1
    demand = scenario.demand.__class__(orders_per_hour=tuple(rates), scale=1.5, start_hour=10.5)
    for duration_s in (1.0, 1800.0, 5000.0, 86400.0, 200000.0):
        seconds = 10.5 * 3600 + np.arange(int(duration_s)) + 0.5
        brute = (rates[(seconds // 3600).astype(int) % 24] * 1.5 / 3600).sum()
        assert expected_orders(demand, duration_s) == pytest.approx(brute, rel=1e-9)
    assert expected_orders(demand.__class__(scale=1e308), 3600) == float("inf")


def test_limits_leave_the_bundled_scenarios_valid():
    for name in ("demo", "city-day"):
        load_scenario(name)


# --------------------------------------------------------------- GeoJSON maps


def _square(lon, lat, side=0.002, close=True):
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side]]
    return [ring + [[lon, lat]] if close else ring]


def _feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _city(*extra, at=(0.0, 0.0)):
    lon, lat = at
    return {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {"type": "Polygon", "coordinates": _square(lon, lat)}, kind="building", height=20
            ),
            _feature(
                {"type": "Point", "coordinates": [lon + 0.004, lat + 0.004]},
                kind="depot",
                name="hub",
                pads=2,
            ),
            *extra,
        ],
    }


def _polygon(coordinates, **properties):
    return _feature({"type": "Polygon", "coordinates": coordinates}, **properties)


GEOJSON_CASES = {
    "building_150_km_away": (
        _city(_polygon(_square(1.35, 0.0), kind="building", height=20)),
        "feature 2: geometry.coordinates: 150 km from the map's centre",
    ),
    "feature_written_lat_lon": (
        # A map in Berlin with one building written (lat, lon): 5,700 km away.
        _city(
            _polygon([[[y, x] for x, y in _square(13.41, 52.51)[0]]], kind="building", height=9),
            at=(13.4, 52.5),
        ),
        "feature 2: geometry.coordinates: 5375 km from the map's centre",
    ),
    "unclosed_ring": (
        _city(_polygon(_square(0.01, 0.0, close=False), kind="building", height=20)),
        "feature 2: geometry.coordinates[0]: ring not closed",
    ),
    "coordinates_as_strings": (
        _city(
            _polygon(
                [[[str(x), str(y)] for x, y in _square(0.01, 0.0)[0]]], kind="building", height=20
            )
        ),
        "feature 2: geometry.coordinates[0][0][0]: expected a number, got '0.01'",
    ),
    "zero_area_zone": (
        _city(
            _polygon([[[0.01, 0], [0.011, 0], [0.012, 0], [0.01, 0]]], kind="no_fly_zone", name="z")
        ),
        "feature 2: geometry: a zone of",
    ),
    "zone_window_before_0": (
        _city(
            _polygon(
                _square(0.01, 0.0),
                kind="no_fly_zone",
                name="z",
                active_from_s=-900,
                active_until_s=-100,
            )
        ),
        "feature 2: active_until_s: the zone ends at or before t = 0",
    ),
    "pads_10_to_the_12": (
        _city(
            _feature(
                {"type": "Point", "coordinates": [0.006, 0.004]},
                kind="depot",
                name="d2",
                pads=10**12,
            )
        ),
        "feature 2: pads: must be <= 100000, got 1000000000000",
    ),
    "zone_unannounced_not_a_boolean": (
        _city(
            _polygon(
                _square(0.01, 0.01),
                kind="no_fly_zone",
                name="fair",
                floor_m=0,
                active_from_s=600,
                unannounced="yes",
            )
        ),
        "feature 2: zone 'fair': unannounced must be true or false, got 'yes'",
    ),
    "permanent_zone_unannounced": (
        _city(_polygon(_square(0.01, 0.01), kind="no_fly_zone", name="gov", unannounced=True)),
        "feature 2: zone 'gov': unannounced needs a temporary zone with active_from_s",
    ),
    "depot_inside_building": (
        _city(_feature({"type": "Point", "coordinates": [0.001, 0.001]}, kind="depot", name="in")),
        "feature 2: depot 'in' at",
    ),
    "depot_inside_zone": (
        _city(
            _polygon(_square(0.01, 0.01), kind="no_fly_zone", name="gov"),
            _feature({"type": "Point", "coordinates": [0.011, 0.011]}, kind="depot", name="in"),
        ),
        "feature 3: depot 'in' at",
    ),
}


def _deeply_nested(path):
    depth = 100_000
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"kind": "park"}, "geometry": {"type": "Polygon", "coordinates": '
        + "[" * depth
        + "]" * depth
        + "}}]}"
    )


def _write_geojson(tmp_path, case):
    path = tmp_path / "city.geojson"
    if case == "deeply_nested":
        _deeply_nested(path)
    else:
        path.write_text(json.dumps(GEOJSON_CASES[case][0]))
    return path


GEOJSON_MESSAGES = {name: message for name, (_, message) in GEOJSON_CASES.items()}
GEOJSON_MESSAGES["deeply_nested"] = "nested too deeply"


@pytest.mark.parametrize("case", sorted(GEOJSON_MESSAGES))
def test_geojson_map_raises_when_input_is_past_a_limit_or_nonsense(capsys, tmp_path, case):
    geojson = _write_geojson(tmp_path, case)
    message = GEOJSON_MESSAGES[case]
    code, out, err = run(capsys, "map", "info", geojson)
    assert_one_line_error(code, out, err, f"{geojson}: ", message)
    # The same file behind a scenario: the scenario's file and field, then the map's.
    path = write(tmp_path, on_geojson(TINY, "city.geojson"))
    for command in ("check", "run"):
        code, out, err = run(capsys, command, path)
        assert_one_line_error(code, out, err, f"{path}: map.geojson: {geojson}: ", message)
    from dronesim.maps.geojson import read_geojson

    assert_refused_without_large_allocation(lambda: read_geojson(geojson), MapFormatError)


def test_geojson_map_raises_when_its_grid_is_past_the_limit(capsys, tmp_path):
    """A valid map whose grid at the scenario's cell size is too big: refused by the
    scenario check before the grid exists."""
    (tmp_path / "city.geojson").write_text(
        json.dumps(_city(_polygon(_square(0.3, 0.3), kind="building", height=20)))
    )
    text = on_geojson(TINY, "city.geojson").replace("cell_size_m = 20", "cell_size_m = 1")
    path = write(tmp_path, text)
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, f"{path}: map.geojson: ", "cells; at most 2e+08")


def test_geojson_map_raises_when_fleet_does_not_match_its_depots(capsys, tmp_path):
    (tmp_path / "city.geojson").write_text(json.dumps(_city()))
    text = on_geojson(TINY, "city.geojson").replace(
        "drones_per_depot = 4", "drones_per_depot = [1, 2, 3]"
    )
    path = write(tmp_path, text)
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, f"{path}: fleet.drones_per_depot: ", "got 3")


# --------------------------------------------------------------- MovingAI maps


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("big.3dmap", "voxel 1290 1290 1290\n1 1 1\n", "big.3dmap:1: header: voxel 1290 1290 1290"),
        (
            "big.map",
            "type octile\nheight 100000\nwidth 100000\nmap\n.\n",
            "big.map:2: height x width: 100000 x 100000 cells",
        ),
    ],
)
def test_movingai_map_raises_when_header_is_past_the_limit(capsys, tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run(capsys, "map", "info", path)
    assert_one_line_error(code, out, err, message, f"at most {limits.MAX_GRID_CELLS:.0e}")
    from dronesim.maps.movingai import read_3dmap, read_map

    reader = read_3dmap if name.endswith(".3dmap") else read_map
    assert_refused_without_large_allocation(lambda: reader(path), MapFormatError)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--width-m", "1e7"], "width_m must be <= 50000, got 10000000.0"),
        (["--height-m", "1e7"], "height_m must be <= 50000, got 10000000.0"),
        (["--depots", "100000"], "depots must be <= 10000, got 100000"),
        (["--depots", "5000"], "depots: 5000 do not fit: no free block left for depot 500"),
    ],
)
def test_map_generate_raises_when_city_is_past_the_limit(capsys, argv, message):
    code, out, err = run(capsys, "map", "generate", *argv)
    assert_one_line_error(code, out, err, message)


# --------------------------------------------------------------- bench planners --scen


def _bench_files(tmp_path, three_d, start, goal, declared=None):
    if three_d:
        (tmp_path / "v.3dmap").write_text("voxel 4 4 4\n1 1 1\n")
        scen = tmp_path / "q.3dmap.3dscen"
        scen.write_text(f"version 1\nv.3dmap\n{' '.join(map(str, start + goal))} 3.4 1\n")
    else:
        # 5 x 4 cells, (x=1, y=1) and (2, 1) blocked.
        (tmp_path / "m.map").write_text(
            "type octile\nheight 4\nwidth 5\nmap\n.....\n.@@..\n.....\n.....\n"
        )
        w, h = declared or (5, 4)
        scen = tmp_path / "q.map.scen"
        scen.write_text(
            f"version 1\n0\tm.map\t{w}\t{h}\t{start[0]}\t{start[1]}\t{goal[0]}\t{goal[1]}\t5.2\n"
        )
    return scen


BENCH_CASES = {
    "2d_start_blocked": (
        False,
        (1, 1),
        (4, 3),
        None,
        "query 0: start (x, y) = (1, 1) is a blocked cell",
    ),
    "2d_goal_blocked": (
        False,
        (0, 0),
        (2, 1),
        None,
        "query 0: goal (x, y) = (2, 1) is a blocked cell",
    ),
    "2d_start_outside_declared_bigger": (
        False,
        (7, 7),
        (4, 3),
        (9, 9),
        "query 0: start (x, y) = (7, 7) lies outside the map m.map of 5 x 4 cells",
    ),
    "2d_goal_outside_declared_bigger": (
        False,
        (0, 0),
        (4, 8),
        (9, 9),
        "query 0: goal (x, y) = (4, 8) lies outside the map m.map of 5 x 4 cells",
    ),
    "3d_start_blocked": (
        True,
        (1, 1, 1),
        (3, 3, 3),
        None,
        "query 0: start (x, y, z) = (1, 1, 1) is a blocked",
    ),
    "3d_goal_blocked": (
        True,
        (0, 0, 0),
        (1, 1, 1),
        None,
        "query 0: goal (x, y, z) = (1, 1, 1) is a blocked",
    ),
    "3d_start_x_outside": (
        True,
        (5, 1, 1),
        (3, 3, 3),
        None,
        "query 0: start (x, y, z) = (5, 1, 1) lies outside",
    ),
    "3d_start_z_outside": (
        True,
        (0, 0, 4),
        (3, 3, 3),
        None,
        "query 0: start (x, y, z) = (0, 0, 4) lies outside",
    ),
    "3d_goal_y_outside": (
        True,
        (0, 0, 0),
        (3, 9, 3),
        None,
        "query 0: goal (x, y, z) = (3, 9, 3) lies outside",
    ),
}


@pytest.mark.parametrize("case", sorted(BENCH_CASES))
def test_bench_planners_raises_when_query_is_outside_the_map_or_blocked(capsys, tmp_path, case):
    three_d, start, goal, declared, message = BENCH_CASES[case]
    scen = _bench_files(tmp_path, three_d, start, goal, declared)
    code, out, err = run(capsys, "bench", "planners", "--scen", scen)
    assert_one_line_error(code, out, err, f"{scen}: {message}")


def test_bench_planners_raises_when_planner_is_unknown(capsys, tmp_path):
    scen = _bench_files(tmp_path, False, (0, 0), (4, 3))
    code, out, err = run(capsys, "bench", "planners", "--scen", scen, "--planner", "teleport")
    assert_one_line_error(code, out, err, "--planner: unknown planner 'teleport'")
    code, out, err = run(capsys, "bench", "planners", "--scen", scen, "--planner", ":x")
    assert_one_line_error(code, out, err, "--planner: planner ':x': expected module:attribute")
