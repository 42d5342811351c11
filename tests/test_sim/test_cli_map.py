import json
import subprocess
import sys

import pytest
from cli_checks import run


def test_map_generate_writes_geojson_and_info_reads_it(capsys, tmp_path):
    out_file = tmp_path / "city.geojson"
    code, out, err = run(
        capsys, "map", "generate", "--seed", "3", "--out", str(out_file), "--origin", "13.4,52.5"
    )
    assert code == 0 and err == ""
    assert "buildings" in out and "event-stadium" in out and out_file.exists()
    code, out, err = run(capsys, "map", "info", str(out_file), "--cell-size", "20", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["airspace"]["shape"] == [5, 150, 150]
    assert summary["airspace"]["origin_lonlat"] == [13.4, 52.5]
    assert len(summary["airspace"]["depots"]) == 3
    assert {zone["kind"] for zone in summary["airspace"]["zones"]} >= {"airport", "event"}
    assert summary["airspace"]["zones"][0]["ceiling_m"] is None  # unlimited, JSON-safe


@pytest.mark.parametrize(
    "argv, message",
    [
        (["map", "info", "{tmp}/missing.geojson"], "missing.geojson: no such file"),
        (["map", "info", "{tmp}/bad.geojson"], "bad.geojson:1: bad JSON"),
        (["map", "info", "{tmp}/city.txt"], "unknown map format"),
        (["map", "info", "{tmp}/bad.map"], "bad.map:2: height"),
        (["map", "generate", "--width-m", "50"], "at least 2 x 2 blocks"),
        (["map", "generate", "--cell-size", "-1"], "--cell-size: must be > 0, got -1.0"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, tmp_path, argv, message):
    (tmp_path / "bad.geojson").write_text("{not json")
    (tmp_path / "city.txt").write_text("hello")
    (tmp_path / "bad.map").write_text("type octile\nheight x\nwidth 3\nmap\n...\n")
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and out == ""
    assert err.startswith("dronesim: error: ") and message in err and err.count("\n") == 1


def test_map_info_reads_movingai_maps(capsys, shared_data):
    code, out, _ = run(capsys, "map", "info", str(shared_data / "movingai" / "arena.map"))
    assert code == 0 and "49 x 49 cells" in out
    code, out, _ = run(capsys, "map", "info", str(shared_data / "voxel" / "Simple.3dmap"))
    assert code == 0 and "105 layers" in out


def test_console_script_exit_code_and_stderr(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dronesim.sim.cli", "map", "info", str(tmp_path / "none.geojson")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("none.geojson: no such file")
