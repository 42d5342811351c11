"""Standards zone files in scenarios: ``map.uas_zones``, ``map.authorised_zones`` and
``map.ground_elevation_grid``; the command line's refusals of malformed zones (one line,
exit 2) and ``dronesim map info`` of a zone file; a short run with a zone whose schedule
starts mid-run, checked on the flown trajectory with shapely (`safety_check`)."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import shapely
from cli_checks import assert_one_line_error, run
from dronesim.maps.projection import LocalProjection
from dronesim.sim.engine import Simulation, build_world
from dronesim.sim.scenario import ScenarioError, from_toml_text
from safety_check import zone_entries
from tiny import TINY

ORIGIN = (2.35, 48.85)  # where the tiny city's (0, 0) corner is put
GROUND_M = 35.0
BAND_M = (450.0, 250.0, 900.0, 1000.0)  # between the tiny city's two depots
# TINY starts at 12:00 UTC; 2026-06-01 is a Monday.
START_S, END_S = 510.0, 910.0


def _ring(box):
    projection = LocalProjection(*ORIGIN)
    x0, y0, x1, y1 = box
    lon, lat = projection.to_lonlat([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
    return [[float(a), float(b)] for a, b in zip(lon, lat)]


def _zone(identifier, box=BAND_M, restriction="PROHIBITED", schedule=None, **volume):
    applicability = (
        {"permanent": "YES"}
        if schedule is None
        else {"permanent": "NO", "schedule": copy.deepcopy(schedule)}
    )
    geometry = {
        "uomDimensions": "M",
        "lowerLimit": 0,
        "lowerVerticalReference": "AGL",
        "upperLimit": 120,
        "upperVerticalReference": "AGL",
        "horizontalProjection": {"type": "Polygon", "coordinates": [_ring(box)]},
    }
    geometry.update(volume)
    return {
        "identifier": identifier,
        "country": "FRA",
        "type": "COMMON",
        "restriction": restriction,
        "reason": ["OTHER"],
        "applicability": [applicability],
        "zoneAuthority": [{"name": "test"}],
        "geometry": [geometry],
    }


MID_RUN = [{"day": ["MON"], "startTime": "12:08:30.00Z", "endTime": "12:15:10.00Z"}]


def _scenario_text(extra_map="", zones_file="zones.json"):
    return TINY.replace(
        "[map]",
        f"[map]\norigin_lonlat = [{ORIGIN[0]}, {ORIGIN[1]}]\nground_elevation_m = {GROUND_M}\n"
        f'uas_zones = "{zones_file}"\n{extra_map}',
        1,
    ).replace('name = "tiny"', 'name = "tiny"\nstart_date = 2026-06-01', 1)


def _files(tmp_path, zones, extra_map=""):
    (tmp_path / "zones.json").write_text(json.dumps({"UASZoneList": zones}))
    path = tmp_path / "scenario.toml"
    path.write_text(_scenario_text(extra_map))
    return path


def _load(path):
    return from_toml_text(path.read_text(), str(path), base_dir=path.parent)


def test_scenario_zones_join_the_map_in_its_frame(tmp_path):
    zones = [
        _zone("BAND", schedule=MID_RUN),
        _zone("NEAR", box=(100, 1300, 200, 1400), restriction="REQ_AUTHORISATION"),
        _zone("OK", box=(1300, 100, 1400, 200), restriction="CONDITIONAL"),
        _zone("INFO", box=(1300, 1300, 1400, 1400), restriction="NO_RESTRICTION"),
        _zone("FAR", box=(50_000, 50_000, 50_100, 50_100)),  # off the map: left out
        # 400 ft AMSL over 35 m ground: 121.92 - 35 = 86.92 m.
        _zone(
            "HIGH",
            box=(700, 1300, 800, 1400),
            uomDimensions="FT",
            lowerLimit=400,
            lowerVerticalReference="AMSL",
            upperLimit=None,
        ),
    ]
    path = _files(tmp_path, zones, 'authorised_zones = ["OK"]\n')
    city, airspace = build_world(_load(path))
    found = {zone.name: zone for zone in airspace.zones}
    assert {"BAND", "NEAR", "HIGH"} <= set(found)
    assert not {"OK", "INFO", "FAR"} & set(found)
    band = found["BAND"]
    assert (band.active_from_s, band.active_until_s) == (START_S, END_S)
    # The band's corners come back to within a millimetre of where they were put.
    assert band.geometry.symmetric_difference(shapely.box(*BAND_M)).area < 1.0
    assert found["HIGH"].floor_m == pytest.approx(400 * 0.3048 - GROUND_M)
    assert found["HIGH"].ceiling_m == math.inf
    assert not found["NEAR"].is_temporary
    assert city.zones[-3:] == airspace.zones[-3:]


def test_elevation_grid_is_read_and_checked(tmp_path):
    zone = _zone("HIGH", lowerLimit=150, lowerVerticalReference="AMSL")
    grid = (
        "[map.ground_elevation_grid]\norigin_m = [0, 0]\ncell_size_m = 750\n"
        "rows_m = [[30, 40], [50, 60]]\n"
    )
    path = tmp_path / "scenario.toml"
    (tmp_path / "zones.json").write_text(json.dumps({"features": [zone]}))
    path.write_text(_scenario_text().replace(f"ground_elevation_m = {GROUND_M}\n", "") + grid)
    _, airspace = build_world(_load(path))
    # The band spans all four cells: the floor over the highest ground, 150 - 60.
    assert airspace.zones[-1].floor_m == pytest.approx(90.0)
    path.write_text(path.read_text().replace("cell_size_m = 750", "cell_size_m = 500"))
    with pytest.raises(
        ScenarioError, match=r"map\.ground_elevation_grid: covers .* not the whole map"
    ):
        build_world(_load(path))
    for bad, field in (
        ("rows_m = [[30, 40], [50]]", r"rows_m\[1\]"),
        ("rows_m = [[30, 40], [50, 99999]]", r"rows_m\[1\]\[1\]"),
    ):
        text = _scenario_text().replace(f"ground_elevation_m = {GROUND_M}\n", "") + grid
        with pytest.raises(ScenarioError, match=field):
            from_toml_text(text.replace("rows_m = [[30, 40], [50, 60]]", bad), "t.toml")
    with pytest.raises(ScenarioError, match="not both"):
        from_toml_text(_scenario_text() + grid, "t.toml")


def test_scenario_refuses_zone_files_it_cannot_place(tmp_path):
    path = _files(tmp_path, [_zone("BAND")], 'authorised_zones = ["NOPE"]\n')
    with pytest.raises(ScenarioError, match=r"map\.authorised_zones: 'NOPE' is no zone"):
        build_world(_load(path))
    text = _scenario_text().replace(f"origin_lonlat = [{ORIGIN[0]}, {ORIGIN[1]}]\n", "")
    (tmp_path / "scenario.toml").write_text(text)
    with pytest.raises(ScenarioError, match=r"map\.origin_lonlat: map\.uas_zones holds lon/lat"):
        build_world(_load(tmp_path / "scenario.toml"))
    with pytest.raises(ScenarioError, match=r"map\.authorised_zones: names zones"):
        from_toml_text(TINY.replace("[map]", '[map]\nauthorised_zones = ["X"]', 1), "t.toml")


BAD_ZONES = [
    ({"restriction": "FORBIDDEN"}, "restriction", "FORBIDDEN"),
    (
        {"geometry.horizontalProjection": {"type": "Circle", "center": [2.356, 48.855]}},
        "horizontalProjection.radius",
        "missing",
    ),
    ({"schedule_day": "WEEKDAY"}, "schedule[0].day[0]", "WEEKDAY"),
    ({"schedule_time": "12:61:00.00Z"}, "schedule[0].startTime", "12:61:00.00Z"),
    ({"geometry.lowerLimit": 90, "geometry.upperLimit": 60}, "geometry[0].upperLimit", "60"),
]


@pytest.mark.parametrize(("change", "field", "value"), BAD_ZONES)
def test_check_refuses_a_malformed_zone_on_one_line(tmp_path, capsys, change, field, value):
    zone = _zone("BAD1", schedule=MID_RUN)
    for key, item in change.items():
        if key == "schedule_day":
            zone["applicability"][0]["schedule"][0]["day"] = [item]
        elif key == "schedule_time":
            zone["applicability"][0]["schedule"][0]["startTime"] = item
        elif key.startswith("geometry."):
            zone["geometry"][0][key.split(".", 1)[1]] = item
        else:
            zone[key] = item
    path = _files(tmp_path, [_zone("GOOD"), zone])
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(
        code, out, err, "scenario.toml", "map.uas_zones", "zones.json", "'BAD1'", field, value
    )


def test_check_accepts_the_zone_file_and_map_info_lists_windows(tmp_path, capsys):
    path = _files(
        tmp_path, [_zone("BAND", schedule=MID_RUN), _zone("INFO", restriction="NO_RESTRICTION")]
    )
    code, out, err = run(capsys, "check", path)
    assert code == 0, err
    code, out, err = run(
        capsys,
        "map",
        "info",
        tmp_path / "zones.json",
        "--start",
        "2026-06-01T12:00:00Z",
        "--hours",
        "1",
    )
    assert code == 0, err
    band = next(line for line in out.splitlines() if line.lstrip().startswith("BAND"))
    assert "PROHIBITED" in band and "[510, 910) s" in band and "12:08:30-12:15:10" in band
    info = next(line for line in out.splitlines() if line.lstrip().startswith("INFO"))
    assert "informational" in info and "whole run" in info
    # The scenario's own: its start (12:00 UTC), duration (2400 s) and frame.
    code, out, err = run(capsys, "map", "info", path)
    assert code == 0, err
    assert "t = 0 at 2026-06-01 12:00:00 UTC, 0.666667 h" in out
    assert "[510, 910) s 06-01 12:08:30-12:15:10" in out
    code, out, err = run(capsys, "map", "info", tmp_path / "zones.json", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert listed["format"] == "ED-269" and len(listed["zones"]) == 2
    code, out, err = run(capsys, "map", "info", tmp_path / "zones.json", "--start", "noon")
    assert_one_line_error(code, out, err, "--start", "noon")


def test_zone_starting_mid_run_blocks_from_then_and_is_flown_around(tmp_path):
    path = _files(tmp_path, [_zone("BAND", schedule=MID_RUN)])
    scenario = _load(path)
    text = path.read_text().replace("orders_per_hour = 120", "orders_per_hour = 400")
    scenario = from_toml_text(text, str(path), base_dir=tmp_path)
    simulation = Simulation(scenario, duration_s=1000.0)
    band = next(zone for zone in simulation.airspace.zones if zone.name == "BAND")
    index = simulation.airspace.zones.index(band)
    mask = next(m for m in simulation.airspace.temporary_masks if m.zone_index == index)
    k = int(mask.layers[0])
    # A cell of the band no building blocks.
    cell = int(
        next(c for c in mask.flat_cells if not simulation.airspace.blocked[k].reshape(-1)[c])
    )
    blocked = simulation.airspace.blocked_at
    assert not blocked(START_S - 1e-6)[k].reshape(-1)[cell]
    assert blocked(START_S)[k].reshape(-1)[cell] and not blocked(END_S)[k].reshape(-1)[cell]
    simulation.run()
    drone, t, xyz, _ = simulation.trajectory()
    # Flown through the band before it switched on, and never while it was in force.
    lines = shapely.linestrings(np.stack([xyz[:-1, :2], xyz[1:, :2]], axis=1))
    same = drone[1:] == drone[:-1]
    crossing = same & shapely.intersects(lines, band.geometry) & (xyz[1:, 2] > 0)
    assert (crossing & (t[1:] <= START_S)).any()
    assert zone_entries(drone, t, xyz, [band]) == []
    assert simulation.nofly_violations() == 0


def test_a_run_longer_than_the_scenario_keeps_the_windows_after_its_duration(tmp_path):
    # TINY lasts 2400 s; a window at 12:45-12:50 UTC (2700-3000 s) falls in a 3600 s run.
    late = [{"day": ["MON"], "startTime": "12:45:00.00Z", "endTime": "12:50:00.00Z"}]
    scenario = _load(_files(tmp_path, [_zone("LATE", schedule=late)]))
    assert "LATE" not in {zone.name for zone in build_world(scenario)[1].zones}
    simulation = Simulation(scenario, duration_s=3600.0)
    late_zone = next(zone for zone in simulation.airspace.zones if zone.name == "LATE")
    assert (late_zone.active_from_s, late_zone.active_until_s) == (2700.0, 3000.0)
