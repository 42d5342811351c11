"""Tests for maps.movingai: the Moving AI 2D grid and 3D voxel benchmark readers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dronesim.maps.errors import MapFormatError
from dronesim.maps.movingai import (
    GridMap2D,
    Scenario2D,
    Scenario3D,
    VoxelMap,
    read_3dmap,
    read_3dscen,
    read_map,
    read_scen,
    read_scen_any,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MOVINGAI = DATA / "movingai"
VOXEL = DATA / "voxel"

needs_data = pytest.mark.skipif(
    not DATA.is_dir(),
    reason="../shared/data not found (reference data lives beside the project in CI)",
)


def _files(folder: Path, pattern: str) -> list[Path]:
    # Collection must not fail when the data is absent; the tests are skipped instead.
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


MAP_FILES = _files(MOVINGAI, "*.map")
SCEN_FILES = _files(MOVINGAI, "*.map.scen") + _files(MOVINGAI / "anyangle", "*.map.scen")
VOXEL_FILES = _files(VOXEL, "*.3dmap")

PASSABLE = set(".GS")
BLOCKED = set("@OTW")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(DATA)) for p in paths]


def _raw_lines(path: Path) -> list[str]:
    """Lines of a file read independently of the module under test."""
    return path.read_text(encoding="utf-8").splitlines()


def _map_for(scen_path: Path) -> Path:
    # anyangle/ scenarios refer to the maps in movingai/.
    return MOVINGAI / scen_path.name.removesuffix(".scen")


# --------------------------------------------------------------------------- 2D maps


@needs_data
def test_data_present() -> None:
    assert len(MAP_FILES) >= 11
    assert len(SCEN_FILES) == len(MAP_FILES) + 1
    assert len(VOXEL_FILES) >= 1


@needs_data
@pytest.mark.parametrize("path", MAP_FILES, ids=_ids(MAP_FILES))
def test_map_parses_with_header_shape(path: Path) -> None:
    lines = _raw_lines(path)
    height = int(lines[1].split()[1])
    width = int(lines[2].split()[1])

    grid = read_map(path)

    assert isinstance(grid, GridMap2D)
    assert grid.path == str(path)
    assert grid.blocked.dtype == np.uint8
    assert grid.blocked.shape == (height, width)
    assert (grid.height, grid.width) == (height, width)
    assert set(np.unique(grid.blocked).tolist()) <= {0, 1}


@needs_data
@pytest.mark.parametrize("path", MAP_FILES, ids=_ids(MAP_FILES))
def test_map_cells_match_raw_text(path: Path) -> None:
    rows = _raw_lines(path)[4:]
    grid = read_map(path)
    h, w = grid.blocked.shape
    rng = np.random.default_rng(12345)
    cells = [(0, 0), (h - 1, w - 1), (0, w - 1), (h - 1, 0)]
    cells += [tuple(int(v) for v in rc) for rc in rng.integers(0, (h, w), size=(200, 2))]
    for r, c in cells:
        char = rows[r][c]
        assert char in PASSABLE | BLOCKED
        assert grid.blocked[r, c] == (char in BLOCKED), (r, c, char)
    # Whole-map count as a second independent check.
    n_blocked = sum(row.count(ch) for row in rows[:h] for ch in BLOCKED)
    assert int(grid.blocked.sum()) == n_blocked


@needs_data
def test_map_known_cells() -> None:
    # arena.map is bordered by trees; its second row starts "T." in the file.
    arena = read_map(MOVINGAI / "arena.map")
    assert arena.blocked[0].all()
    assert arena.blocked[:, 0].all()
    raw = _raw_lines(MOVINGAI / "arena.map")
    assert arena.blocked[1, 1] == (raw[5][1] in BLOCKED)


@needs_data
def test_large_files_parse_fast() -> None:
    start = time.perf_counter()
    read_map(MOVINGAI / "Boston_0_1024.map")
    read_scen(MOVINGAI / "maze512-1-0.map.scen")
    elapsed = time.perf_counter() - start
    # Generous bound (typically ~50 ms together) so slow CI machines do not flake.
    assert elapsed < 1.0, f"parsing took {elapsed:.3f} s"


# --------------------------------------------------------------------------- 2D scenarios


@needs_data
@pytest.mark.parametrize("path", SCEN_FILES, ids=_ids(SCEN_FILES))
def test_scen_rows_in_bounds_and_on_free_cells(path: Path) -> None:
    scen = read_scen(path)
    grid = read_map(_map_for(path))
    n_rows = sum(1 for line in _raw_lines(path)[1:] if line.strip())

    assert isinstance(scen, Scenario2D)
    assert scen.path == str(path)
    assert scen.start_xy.shape == scen.goal_xy.shape == (n_rows, 2)
    assert scen.start_xy.dtype == scen.goal_xy.dtype == np.int32
    assert scen.bucket.dtype == np.int32 and scen.bucket.shape == (n_rows,)
    assert scen.optimal_length.dtype == np.float64 and scen.optimal_length.shape == (n_rows,)
    assert scen.unreachable.dtype == np.bool_ and scen.unreachable.shape == (n_rows,)
    assert (scen.map_height, scen.map_width) == grid.blocked.shape
    assert Path(scen.map_name).name == _map_for(path).name

    for xy in (scen.start_xy, scen.goal_xy):
        assert (xy >= 0).all()
        assert (xy[:, 0] < scen.map_width).all()
        assert (xy[:, 1] < scen.map_height).all()
        # x is the column, y the row.
        assert not grid.blocked[xy[~scen.unreachable, 1], xy[~scen.unreachable, 0]].any()

    same = (scen.start_xy == scen.goal_xy).all(axis=1)
    assert (scen.optimal_length[same] == 0).all()
    assert (scen.optimal_length[~same & ~scen.unreachable] > 0).all()
    assert (scen.unreachable == ((scen.optimal_length == 0) & ~same)).all()


@needs_data
@pytest.mark.parametrize("path", SCEN_FILES, ids=_ids(SCEN_FILES))
def test_scen_first_row_matches_raw_text(path: Path) -> None:
    fields = _raw_lines(path)[1].split("\t")
    scen = read_scen(path)
    assert scen.bucket[0] == int(fields[0])
    assert scen.map_name == fields[1]
    assert (scen.map_width, scen.map_height) == (int(fields[2]), int(fields[3]))
    assert scen.start_xy[0].tolist() == [int(fields[4]), int(fields[5])]
    assert scen.goal_xy[0].tolist() == [int(fields[6]), int(fields[7])]
    assert scen.optimal_length[0] == float(fields[8])


@needs_data
def test_rmtst01_has_exactly_two_unreachable_rows() -> None:
    scen = read_scen(MOVINGAI / "rmtst01.map.scen")
    assert int(scen.unreachable.sum()) == 2
    pairs = {
        (tuple(s), tuple(g))
        for s, g in zip(
            scen.start_xy[scen.unreachable].tolist(),
            scen.goal_xy[scen.unreachable].tolist(),
            strict=True,
        )
    }
    assert pairs == {((10, 33), (108, 16)), ((100, 14), (84, 10))}


@needs_data
def test_start_equals_goal_rows_have_zero_length() -> None:
    # random512-10-0 has three such rows, 8room_000 and maze512-1-0 one each.
    for name, expected in (("random512-10-0", 3), ("8room_000", 1), ("maze512-1-0", 1)):
        scen = read_scen(MOVINGAI / f"{name}.map.scen")
        same = (scen.start_xy == scen.goal_xy).all(axis=1)
        assert int(same.sum()) == expected, name
        assert (scen.optimal_length[same] == 0).all()
        assert not scen.unreachable[same].any()


@needs_data
def test_scen_quirks_blank_line_and_map_path() -> None:
    # Boston_0_1024.map.scen has a blank line 12 between buckets.
    boston = read_scen(MOVINGAI / "Boston_0_1024.map.scen")
    assert len(boston.optimal_length) == 3840
    # arena.map.scen names its map with a directory.
    assert read_scen(MOVINGAI / "arena.map.scen").map_name == "maps/dao/arena.map"


@needs_data
def test_anyangle_lengths_not_longer_than_octile() -> None:
    octile = read_scen(MOVINGAI / "AcrosstheCape.map.scen")
    anyangle = read_scen(MOVINGAI / "anyangle" / "AcrosstheCape.map.scen")
    index = {
        (tuple(s), tuple(g)): length
        for s, g, length in zip(
            octile.start_xy.tolist(),
            octile.goal_xy.tolist(),
            octile.optimal_length.tolist(),
            strict=True,
        )
    }
    matched = 0
    for s, g, length in zip(
        anyangle.start_xy.tolist(),
        anyangle.goal_xy.tolist(),
        anyangle.optimal_length.tolist(),
        strict=True,
    ):
        ref = index.get((tuple(s), tuple(g)))
        if ref is not None:
            matched += 1
            # GPPC prints ~6 significant digits.
            assert length <= ref * (1 + 1e-5)
    assert matched > 0


# --------------------------------------------------------------------------- 3D


@needs_data
@pytest.mark.parametrize("path", VOXEL_FILES, ids=_ids(VOXEL_FILES))
def test_voxel_map_parses(path: Path) -> None:
    lines = _raw_lines(path)
    size_x, size_y, size_z = (int(v) for v in lines[0].split()[1:])
    voxel_lines = [line.split() for line in lines[1:] if line.strip()]

    vmap = read_3dmap(path)

    assert isinstance(vmap, VoxelMap)
    assert vmap.path == str(path)
    assert vmap.blocked.dtype == np.uint8
    assert vmap.blocked.shape == (size_z, size_y, size_x)
    assert vmap.size_xyz == (size_x, size_y, size_z)
    assert int(vmap.blocked.sum()) == len(voxel_lines)
    for fields in voxel_lines[:: max(1, len(voxel_lines) // 100)]:
        x, y, z = (int(v) for v in fields)
        assert vmap.blocked[z, y, x] == 1


@needs_data
@pytest.mark.parametrize("path", VOXEL_FILES, ids=_ids(VOXEL_FILES))
def test_voxel_scen_on_free_voxels(path: Path) -> None:
    scen_path = path.with_name(path.name + ".3dscen")
    vmap = read_3dmap(path)
    scen = read_scen_any(scen_path)
    n_rows = sum(1 for line in _raw_lines(scen_path)[2:] if line.strip())

    assert isinstance(scen, Scenario3D)
    assert scen.map_name == path.name
    assert scen.start_xyz.shape == scen.goal_xyz.shape == (n_rows, 3)
    assert scen.start_xyz.dtype == np.int32
    assert scen.optimal_length.shape == scen.ratio.shape == (n_rows,)
    size = np.array(vmap.size_xyz)
    for xyz in (scen.start_xyz, scen.goal_xyz):
        assert (xyz >= 0).all() and (xyz < size).all()
        assert not vmap.blocked[xyz[:, 2], xyz[:, 1], xyz[:, 0]].any()
    # The straight-line distance is a lower bound on any 26-connected path.
    euclid = np.linalg.norm((scen.goal_xyz - scen.start_xyz).astype(float), axis=1)
    assert (scen.optimal_length >= euclid - 1e-6).all()
    assert (scen.ratio >= 1.0).all()


@needs_data
def test_read_scen_any_dispatches_on_suffix() -> None:
    assert isinstance(read_scen_any(MOVINGAI / "arena.map.scen"), Scenario2D)
    assert isinstance(read_scen_any(VOXEL / "Complex.3dmap.3dscen"), Scenario3D)


# --------------------------------------------------------------------------- malformed input

SMALL_MAP = "type octile\nheight 3\nwidth 4\nmap\n.@..\nT.GS\n..OW\n"
SMALL_BLOCKED = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1]]
SMALL_SCEN = (
    "version 1\n0\tsmall.map\t4\t3\t0\t0\t3\t1\t3.41421356\n1\tsmall.map\t4\t3\t2\t1\t2\t1\t0\n"
)
SMALL_3DMAP = "voxel 4 3 2\n0 0 0\n3 2 1\n"
SMALL_3DSCEN = "version 1\nsmall.3dmap\n1 1 0 2 1 1 1.41421356 1.0\n"


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def _expect_error(
    reader: Callable[[Path], Any], path: Path, line: int | None, *fragments: str
) -> MapFormatError:
    with pytest.raises(MapFormatError) as info:
        reader(path)
    err = info.value
    message = str(err)
    assert str(path) in message
    assert err.path == str(path)
    if line is not None:
        assert f"{path}:{line}:" in message
        assert err.line == line
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return err


def test_small_map_and_scen_parse(tmp_path: Path) -> None:
    grid = read_map(_write(tmp_path, "small.map", SMALL_MAP))
    assert grid.blocked.tolist() == SMALL_BLOCKED
    scen = read_scen(_write(tmp_path, "small.map.scen", SMALL_SCEN))
    assert scen.start_xy.tolist() == [[0, 0], [2, 1]]
    assert scen.goal_xy.tolist() == [[3, 1], [2, 1]]
    assert scen.bucket.tolist() == [0, 1]
    assert scen.optimal_length.tolist() == [3.41421356, 0.0]
    assert scen.unreachable.tolist() == [False, False]
    assert (scen.map_name, scen.map_width, scen.map_height) == ("small.map", 4, 3)


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_other_line_endings_parse_identically(tmp_path: Path, newline: str) -> None:
    lf = read_map(_write(tmp_path, "lf.map", SMALL_MAP))
    other = read_map(_write(tmp_path, "other.map", SMALL_MAP.replace("\n", newline)))
    assert np.array_equal(lf.blocked, other.blocked)
    assert lf.blocked.dtype == other.blocked.dtype
    lf_scen = read_scen(_write(tmp_path, "lf.scen", SMALL_SCEN))
    other_scen = read_scen(_write(tmp_path, "other.scen", SMALL_SCEN.replace("\n", newline)))
    for a, b in zip(lf_scen[:-1], other_scen[:-1], strict=True):
        assert np.array_equal(a, b)


def test_map_without_final_newline_and_with_trailing_blank_lines(tmp_path: Path) -> None:
    for i, text in enumerate((SMALL_MAP.rstrip("\n"), SMALL_MAP + "\n\n")):
        grid = read_map(_write(tmp_path, f"m{i}.map", text))
        assert grid.blocked.tolist() == SMALL_BLOCKED


def test_scen_variants_accepted(tmp_path: Path) -> None:
    spaced = SMALL_SCEN.replace("\t", " ").replace("version 1", "version 1.0")
    scen = read_scen(_write(tmp_path, "spaced.scen", spaced))
    assert scen.start_xy.tolist() == [[0, 0], [2, 1]]
    # Tab-separated files may have spaces inside the map name.
    named = SMALL_SCEN.replace("small.map", "my maps/small.map")
    assert read_scen(_write(tmp_path, "named.scen", named)).map_name == "my maps/small.map"


def test_unreachable_flag(tmp_path: Path) -> None:
    text = SMALL_SCEN + "2\tsmall.map\t4\t3\t0\t0\t1\t0\t0\n"
    scen = read_scen(_write(tmp_path, "u.scen", text))
    assert scen.unreachable.tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("name", "text", "line", "fragments"),
    [
        (
            "truncated",
            "type octile\nheight 3\nwidth 4\nmap\n....\n....\n",
            7,
            ("truncated", "expected 3 rows", "found 2"),
        ),
        (
            "wide_row",
            "type octile\nheight 3\nwidth 4\nmap\n....\n.....\n....\n",
            6,
            ("width 5 found, expected 4",),
        ),
        (
            "short_row",
            "type octile\nheight 2\nwidth 4\nmap\n...\n....\n",
            5,
            ("width 3 found, expected 4",),
        ),
        (
            "bad_width",
            "type octile\nheight 3\nwidth abc\nmap\n",
            3,
            ("width: expected a positive integer, got 'abc'",),
        ),
        (
            "zero_height",
            "type octile\nheight 0\nwidth 4\nmap\n",
            2,
            ("height: expected a positive integer, got '0'",),
        ),
        (
            "negative_height",
            "type octile\nheight -2\nwidth 4\nmap\n",
            2,
            ("height: expected a positive integer, got '-2'",),
        ),
        (
            "unknown_type",
            "type hex\nheight 1\nwidth 1\nmap\n.\n",
            1,
            ("type: expected 'octile', got 'hex'",),
        ),
        ("missing_type", "height 1\nwidth 1\nmap\n.\n", 3, ("missing 'type'",)),
        (
            "no_map_line",
            "type octile\nheight 1\nwidth 2\n..\n",
            4,
            ("expected the 'map' line", "'..'"),
        ),
        ("no_map_line_eof", "type octile\nheight 1\nwidth 2\n", 4, ("no 'map' line",)),
        (
            "header_value_missing",
            "type octile\nheight\nwidth 2\nmap\n..\n",
            2,
            ("height: expected 'height VALUE'",),
        ),
        (
            "duplicate_key",
            "type octile\nheight 1\nheight 1\nwidth 1\nmap\n.\n",
            3,
            ("given twice",),
        ),
        (
            "unknown_char",
            "type octile\nheight 2\nwidth 3\nmap\n...\n.x.\n",
            6,
            ("unknown map character 'x'", "row 1, column 1"),
        ),
        (
            "extra_rows",
            "type octile\nheight 1\nwidth 2\nmap\n..\n..\n",
            6,
            ("more rows than height 1",),
        ),
        ("empty", "", 1, ("no 'map' line",)),
    ],
)
def test_malformed_map(
    tmp_path: Path, name: str, text: str, line: int, fragments: tuple[str, ...]
) -> None:
    _expect_error(read_map, _write(tmp_path, f"{name}.map", text), line, *fragments)


def test_malformed_map_line_numbers_with_crlf(tmp_path: Path) -> None:
    text = "type octile\r\nheight 2\r\nwidth 3\r\nmap\r\n...\r\n.?.\r\n"
    _expect_error(read_map, _write(tmp_path, "q.map", text), 6, "unknown map character '?'")


ROW = "0\tsmall.map\t4\t3\t0\t0\t3\t1\t3.4\n"


@pytest.mark.parametrize(
    ("name", "text", "line", "fragments"),
    [
        (
            "non_numeric",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\tabc\t3\t1\t3.4\n",
            3,
            ("starty: expected an integer, got 'abc'",),
        ),
        (
            "float_coordinate",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0.5\t0\t3\t1\t3.4\n",
            3,
            ("startx: expected an integer, got '0.5'",),
        ),
        (
            "bad_length",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\t0\t3\t1\tfar\n",
            3,
            ("optimal_length: expected a number, got 'far'",),
        ),
        (
            "negative_length",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\t0\t3\t1\t-1\n",
            3,
            ("optimal_length: expected a finite number >= 0, got '-1'",),
        ),
        (
            "nan_length",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\t0\t3\t1\tnan\n",
            3,
            ("optimal_length",),
        ),
        (
            "too_few_fields",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\t0\t3\n",
            3,
            ("expected 9 fields", "got 7"),
        ),
        (
            "too_many_fields",
            f"version 1\n{ROW}0 small.map 4 3 0 0 3 1 3.4 9\n",
            3,
            ("expected 9 fields", "got 10"),
        ),
        (
            "x_out_of_bounds",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t4\t0\t3\t1\t3.4\n",
            3,
            ("startx: 4 is outside the map (width 4",),
        ),
        (
            "y_out_of_bounds",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\t0\t3\t3\t3.4\n",
            3,
            ("goaly: 3 is outside the map (height 3",),
        ),
        (
            "negative_coordinate",
            f"version 1\n{ROW}0\tsmall.map\t4\t3\t0\t0\t-1\t1\t3.4\n",
            3,
            ("goalx: -1 is outside the map",),
        ),
        (
            "zero_width",
            "version 1\n0\tsmall.map\t0\t3\t0\t0\t0\t1\t1\n",
            2,
            ("width: expected a positive integer, got '0'",),
        ),
        (
            "huge_bucket",
            f"version 1\n{ROW}-99999999999999999999\tsmall.map\t4\t3\t0\t0\t3\t1\t3\n",
            3,
            ("bucket",),
        ),
        (
            "other_map",
            f"version 1\n{ROW}0\tother.map\t4\t3\t0\t0\t3\t1\t3.4\n",
            3,
            ("'other.map' differs from 'small.map'",),
        ),
        (
            "other_size",
            f"version 1\n{ROW}0\tsmall.map\t5\t3\t0\t0\t3\t1\t3.4\n",
            3,
            ("width: 5 differs from 4",),
        ),
        ("bad_version", f"version 2\n{ROW}", 1, ("expected 'version 1', got 'version 2'",)),
        ("no_version", ROW, 1, ("expected 'version 1'",)),
        ("no_rows", "version 1\n", 2, ("no scenario rows",)),
        (
            "after_blank_line",
            f"version 1\n\n{ROW}\n0\tsmall.map\t4\t3\t0\t0\t3\n",
            5,
            ("expected 9 fields",),
        ),
        (
            "not_utf8",
            b"version 1\n0\tsm\xffall.map\t4\t3\t0\t0\t3\t1\t3.4\n",
            2,
            ("not valid UTF-8",),
        ),
    ],
)
def test_malformed_scen(
    tmp_path: Path, name: str, text: str | bytes, line: int, fragments: tuple[str, ...]
) -> None:
    _expect_error(read_scen, _write(tmp_path, f"{name}.map.scen", text), line, *fragments)


@pytest.mark.parametrize(
    ("name", "text", "line", "fragments"),
    [
        ("x_out_of_range", "voxel 4 3 2\n0 0 0\n4 0 0\n", 3, ("x: 4 is outside the map (X 4",)),
        ("z_out_of_range", "voxel 4 3 2\n0 0 0\n\n0 0 2\n", 4, ("z: 2 is outside the map (Z 2",)),
        ("negative", "voxel 4 3 2\n0 -1 0\n", 2, ("y: -1 is outside the map",)),
        ("non_numeric", "voxel 4 3 2\n0 0 0\n1 b 1\n", 3, ("y: expected an integer, got 'b'",)),
        ("two_fields", "voxel 4 3 2\n0 0 0\n1 1\n", 3, ("expected 3 fields", "got 2")),
        ("bad_header", "voxels 4 3 2\n0 0 0\n", 1, ("expected 'voxel X Y Z'",)),
        ("bad_size", "voxel 4 x 2\n0 0 0\n", 1, ("Y: expected a positive integer, got 'x'",)),
        ("zero_size", "voxel 4 3 0\n", 1, ("Z: expected a positive integer, got '0'",)),
    ],
)
def test_malformed_3dmap(
    tmp_path: Path, name: str, text: str, line: int, fragments: tuple[str, ...]
) -> None:
    _expect_error(read_3dmap, _write(tmp_path, f"{name}.3dmap", text), line, *fragments)


@pytest.mark.parametrize(
    ("name", "text", "line", "fragments"),
    [
        (
            "bad_version",
            "version one\nsmall.3dmap\n1 1 0 2 1 1 1.4 1.0\n",
            1,
            ("expected 'version 1'",),
        ),
        ("no_map_name", "version 1\n1 1 0 2 1 1 1.4 1.0\n", 2, ("map name",)),
        (
            "too_few_fields",
            "version 1\nsmall.3dmap\n1 1 0 2 1 1 1.4\n",
            3,
            ("expected 8 fields", "got 7"),
        ),
        (
            "non_numeric",
            "version 1\nsmall.3dmap\n1 1 0 2 1 1 1.4 1.0\n1 1 q 2 1 1 1.4 1.0\n",
            4,
            ("sz: expected an integer, got 'q'",),
        ),
        (
            "negative",
            "version 1\nsmall.3dmap\n1 1 0 2 -1 1 1.4 1.0\n",
            3,
            ("gy: expected an integer >= 0, got '-1'",),
        ),
        ("negative_ratio", "version 1\nsmall.3dmap\n1 1 0 2 1 1 1.4 -1.0\n", 3, ("ratio",)),
        ("no_rows", "version 1\nsmall.3dmap\n", 3, ("no scenario rows",)),
    ],
)
def test_malformed_3dscen(
    tmp_path: Path, name: str, text: str, line: int, fragments: tuple[str, ...]
) -> None:
    _expect_error(read_3dscen, _write(tmp_path, f"{name}.3dmap.3dscen", text), line, *fragments)


def test_small_voxel_files(tmp_path: Path) -> None:
    vmap = read_3dmap(_write(tmp_path, "small.3dmap", SMALL_3DMAP))
    assert vmap.blocked.shape == (2, 3, 4)
    assert vmap.size_xyz == (4, 3, 2)
    assert vmap.blocked[0, 0, 0] == 1 and vmap.blocked[1, 2, 3] == 1
    assert int(vmap.blocked.sum()) == 2
    scen = read_scen_any(_write(tmp_path, "small.3dmap.3dscen", SMALL_3DSCEN))
    assert isinstance(scen, Scenario3D)
    assert scen.map_name == "small.3dmap"
    assert scen.start_xyz.tolist() == [[1, 1, 0]]
    assert scen.goal_xyz.tolist() == [[2, 1, 1]]
    assert scen.optimal_length.tolist() == [1.41421356]
    assert scen.ratio.tolist() == [1.0]
    # An empty voxel list is a map with nothing blocked.
    assert not read_3dmap(_write(tmp_path, "empty.3dmap", "voxel 2 2 2\n")).blocked.any()


@pytest.mark.parametrize(
    "reader",
    [read_map, read_scen, read_3dmap, read_3dscen, read_scen_any],
    ids=lambda f: f.__name__,
)
def test_missing_file(tmp_path: Path, reader: Callable[[Path], Any]) -> None:
    path = tmp_path / "nope.map.scen"
    err = _expect_error(reader, path, None, "file not found")
    assert err.line is None
    assert err.__cause__ is None


def test_directory_instead_of_file(tmp_path: Path) -> None:
    _expect_error(read_map, tmp_path, None, "directory")


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    grid = read_map(_write(tmp_path, "bom.map", bom + SMALL_MAP.encode()))
    assert grid.blocked.tolist() == SMALL_BLOCKED
    scen = read_scen(_write(tmp_path, "bom.map.scen", bom + SMALL_SCEN.encode()))
    assert scen.start_xy.tolist() == [[0, 0], [2, 1]]


def test_read_scen_any_rejects_unknown_suffix(tmp_path: Path) -> None:
    _expect_error(read_scen_any, _write(tmp_path, "x.txt", SMALL_SCEN), None, "'.txt'")


# --------------------------------------------------------------------------- round trips


@settings(max_examples=60, deadline=None)
@given(
    grid=arrays(
        np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 1)
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
    passable=st.sampled_from(list(PASSABLE)),
    blocked=st.sampled_from(list(BLOCKED)),
)
def test_map_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    grid: np.ndarray,
    newline: str,
    passable: str,
    blocked: str,
) -> None:
    h, w = grid.shape
    rows = ["".join(blocked if v else passable for v in row) for row in grid]
    text = newline.join(["type octile", f"height {h}", f"width {w}", "map", *rows]) + newline
    path = tmp_path_factory.mktemp("rt") / "rt.map"
    path.write_bytes(text.encode())
    assert np.array_equal(read_map(path).blocked, grid)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(), width=st.integers(1, 2000), height=st.integers(1, 2000), n=st.integers(1, 30)
)
def test_scen_round_trip(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, width: int, height: int, n: int
) -> None:
    xs = st.integers(0, width - 1)
    ys = st.integers(0, height - 1)
    rows = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, 500),
                xs,
                ys,
                xs,
                ys,
                st.floats(0, 1e5, allow_nan=False, allow_infinity=False),
            ),
            min_size=n,
            max_size=n,
        )
    )
    lines = ["version 1"] + [
        f"{b}\tm.map\t{width}\t{height}\t{sx}\t{sy}\t{gx}\t{gy}\t{length!r}"
        for b, sx, sy, gx, gy, length in rows
    ]
    path = tmp_path_factory.mktemp("rt") / "rt.map.scen"
    path.write_text("\n".join(lines) + "\n")
    scen = read_scen(path)
    assert scen.bucket.tolist() == [r[0] for r in rows]
    assert scen.start_xy.tolist() == [[r[1], r[2]] for r in rows]
    assert scen.goal_xy.tolist() == [[r[3], r[4]] for r in rows]
    assert scen.optimal_length.tolist() == [r[5] for r in rows]
    expected = [r[5] == 0 and (r[1], r[2]) != (r[3], r[4]) for r in rows]
    assert scen.unreachable.tolist() == expected
    assert not any(math.isnan(v) for v in scen.optimal_length)
