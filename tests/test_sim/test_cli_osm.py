"""``dronesim map import-osm``: the written map loads with `map info` and as a scenario's
map; bad input is one line and exit status 2."""

import json
import sys
from pathlib import Path

import pytest
from cli_checks import assert_one_line_error, run

pytest.importorskip("osmium")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test_maps"))
from test_osm import BUILDINGS, LAT0, LON0, STEP, write_osm  # noqa: E402


def test_import_writes_a_map_that_info_and_a_scenario_load(capsys, tmp_path):
    source = write_osm(tmp_path / "town.osm")
    out = tmp_path / "town.geojson"
    # A depot on open ground 10 steps (about 220 m) north of the buildings.
    depot = f"{LON0 + 2 * STEP},{LAT0 + 16 * STEP}"
    code, stdout, err = run(capsys, "map", "import-osm", source, "--out", out, "--depot", depot)
    assert code == 0, err
    assert (
        f"buildings   {len(BUILDINGS) + 1}: 4 from height, 2 from building:levels x 3 m, 2 at the default 10 m"
        in stdout
    )
    assert "2 height unreadable values" in stdout
    assert "OpenStreetMap contributors" in stdout
    code, stdout, err = run(capsys, "map", "info", out, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["city"]["buildings"] == len(BUILDINGS) + 1
    assert summary["city"]["parks"] == 1 and summary["city"]["depots"] == 1
    scenario = tmp_path / "town.toml"
    scenario.write_text(
        'name = "town"\nduration_s = 600\n[map]\ngeojson = "town.geojson"\ncell_size_m = 5\n'
        "[fleet]\ndrones_per_depot = 2\n"
    )
    code, stdout, err = run(capsys, "check", scenario)
    assert code == 0, err
    code, stdout, err = run(capsys, "run", scenario, "--quiet", "--report", tmp_path / "r.json")
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["nofly_violations"] == 0 and report["building_intrusions"] == 0
    assert report["orders_created"] > 0


@pytest.mark.parametrize(
    "argv, parts",
    [
        (["{tmp}/missing.osm"], ["missing.osm: no such file"]),
        (["{tmp}/junk.osm"], ["junk.osm: not a readable OSM file"]),
        (["{tmp}/parks.osm"], ["parks.osm: no buildings"]),
        (
            ["{tmp}/town.osm", "--depot", f"{LON0 + 0.5 * STEP},{LAT0 + 0.5 * STEP}"],
            ["depot-1", "inside the building"],
        ),
        (["{tmp}/town.osm", "--storey-height-m", "0"], ["storey height: must be in (0"]),
        ([], ["give an OSM file or --place NAME"]),
        (["{tmp}/town.osm", "--place", "Mitte"], ["give an OSM file or --place NAME"]),
        (["--place", "Mitte"], ["--place 'Mitte': cannot reach 127.0.0.1:9", "no network?"]),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, parts):
    # Nothing listens on the discard port: the download fails at once, as without a network.
    monkeypatch.setenv("DRONESIM_OVERPASS_URL", "http://127.0.0.1:9/")
    write_osm(tmp_path / "town.osm")
    (tmp_path / "junk.osm").write_text("<osm><node id=")
    write_osm(tmp_path / "parks.osm", buildings={}, relation=False)
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, out, err = run(capsys, "map", "import-osm", *argv, "--out", tmp_path / "o.geojson")
    assert_one_line_error(code, out, err, *parts)
    assert not (tmp_path / "o.geojson").exists()
