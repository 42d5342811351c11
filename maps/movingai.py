"""Readers for the Moving AI pathfinding benchmarks (2D grids and 3D voxel maps).

Formats (Sturtevant 2012; Brewer & Sturtevant 2018):

* ``NAME.map`` -- header ``type octile`` / ``height H`` / ``width W`` / ``map``, then
  ``H`` rows of ``W`` characters. Passable ``.`` ``G`` ``S``; blocked ``@`` ``O`` ``T`` ``W``.
* ``NAME.map.scen`` -- ``version 1``, then rows
  ``bucket map width height startx starty goalx goaly optimal_length``.
* ``NAME.3dmap`` -- header ``voxel X Y Z``, then one blocked voxel ``x y z`` per line.
* ``NAME.3dmap.3dscen`` -- ``version 1``, the map name, then rows
  ``sx sy sz gx gy gz optimal_length ratio``.

All coordinates are 0-based integer cell (voxel) indices; ``x`` is the column and ``y`` the
row counted from the top of the 2D file. Lengths are in cell edge lengths (a straight step
costs 1, a diagonal sqrt(2), a 3D diagonal sqrt(3)).

Every malformed input raises :class:`maps.errors.MapFormatError` naming the file and,
where one applies, the 1-based line.
"""

from __future__ import annotations

import codecs
import os
from itertools import chain
from operator import itemgetter
from typing import NamedTuple

import numpy as np
from dronesim.maps import limits
from dronesim.maps.errors import MapFormatError

__all__ = [
    "GridMap2D",
    "Scenario2D",
    "Scenario3D",
    "VoxelMap",
    "read_3dmap",
    "read_3dscen",
    "read_map",
    "read_scen",
    "read_scen_any",
]

PathLike = str | os.PathLike[str]

PASSABLE_CHARS = b".GS"
BLOCKED_CHARS = b"@OTW"

# 0 = passable, 1 = blocked, anything else marks a byte that is not a map character.
_UNKNOWN = 255
_CELL_LUT = np.full(256, _UNKNOWN, dtype=np.uint8)
_CELL_LUT[np.frombuffer(PASSABLE_CHARS, dtype=np.uint8)] = 0
_CELL_LUT[np.frombuffer(BLOCKED_CHARS, dtype=np.uint8)] = 1

_INT32_MAX = np.iinfo(np.int32).max
_SCEN_FIELDS = (
    "bucket",
    "map",
    "width",
    "height",
    "startx",
    "starty",
    "goalx",
    "goaly",
    "optimal_length",
)
_3DSCEN_FIELDS = ("sx", "sy", "sz", "gx", "gy", "gz", "optimal_length", "ratio")


class GridMap2D(NamedTuple):
    """A 2D octile grid map.

    Attributes
    ----------
    blocked : numpy.ndarray
        ``uint8`` array of shape ``(height, width)`` in cells; 1 = blocked, 0 = passable.
        Indexed ``[y, x]``; row 0 is the first map row of the file (the top).
    path : str
        The file the map was read from.
    """

    blocked: np.ndarray
    path: str

    @property
    def height(self) -> int:
        """Number of rows, in cells."""
        return int(self.blocked.shape[0])

    @property
    def width(self) -> int:
        """Number of columns, in cells."""
        return int(self.blocked.shape[1])


class Scenario2D(NamedTuple):
    """The queries of a 2D ``.scen`` file.

    Attributes
    ----------
    start_xy, goal_xy : numpy.ndarray
        ``int32`` arrays of shape ``(n, 2)``; columns are ``x`` (column) and ``y`` (row),
        0-based cell indices from the top-left.
    optimal_length : numpy.ndarray
        ``float64`` array of shape ``(n,)``: optimal 8-connected path length in cell edge
        lengths (straight step 1, diagonal sqrt(2)); 0 for unreachable queries and for
        queries whose start equals the goal.
    bucket : numpy.ndarray
        ``int32`` array of shape ``(n,)``: the benchmark's difficulty bucket.
    map_name : str
        The ``map`` field as written in the first row (may include a directory).
    map_width, map_height : int
        Map size in cells, as written in the rows.
    unreachable : numpy.ndarray
        ``bool`` array of shape ``(n,)``: the length is 0 although start != goal, which is
        how the benchmark writes a query with no path.
    path : str
        The file the scenario was read from.
    """

    start_xy: np.ndarray
    goal_xy: np.ndarray
    optimal_length: np.ndarray
    bucket: np.ndarray
    map_name: str
    map_width: int
    map_height: int
    unreachable: np.ndarray
    path: str


class VoxelMap(NamedTuple):
    """A 3D voxel map.

    Attributes
    ----------
    blocked : numpy.ndarray
        ``uint8`` array of shape ``(Z, Y, X)`` in voxels, indexed ``[z, y, x]``;
        1 = blocked, 0 = free.
    path : str
        The file the map was read from.
    """

    blocked: np.ndarray
    path: str

    @property
    def size_xyz(self) -> tuple[int, int, int]:
        """Map size ``(X, Y, Z)`` in voxels, in the order of the file header."""
        z, y, x = self.blocked.shape
        return int(x), int(y), int(z)


class Scenario3D(NamedTuple):
    """The queries of a ``.3dscen`` file.

    Attributes
    ----------
    start_xyz, goal_xyz : numpy.ndarray
        ``int32`` arrays of shape ``(n, 3)``; columns ``x``, ``y``, ``z`` in voxels.
    optimal_length : numpy.ndarray
        ``float64`` array of shape ``(n,)``: optimal 26-connected path length in voxel edge
        lengths (steps 1, sqrt(2), sqrt(3)).
    ratio : numpy.ndarray
        ``float64`` array of shape ``(n,)``: optimal length divided by the 3D octile
        heuristic (dimensionless, >= 1 for reachable queries with start != goal).
    map_name : str
        The map name written on the header's second line.
    path : str
        The file the scenario was read from.
    """

    start_xyz: np.ndarray
    goal_xyz: np.ndarray
    optimal_length: np.ndarray
    ratio: np.ndarray
    map_name: str
    path: str


# --------------------------------------------------------------------------- helpers


def _read_bytes(path: PathLike) -> tuple[str, bytes]:
    spath = os.fspath(path)
    try:
        with open(spath, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise MapFormatError(spath, "file not found") from None
    except IsADirectoryError:
        raise MapFormatError(spath, "is a directory, not a file") from None
    except OSError as exc:
        raise MapFormatError(spath, f"cannot read file: {exc.strerror or exc}") from None
    # Files saved by some Windows editors start with a UTF-8 byte order mark, which would
    # otherwise corrupt the first header keyword.
    return spath, data.removeprefix(codecs.BOM_UTF8)


def _text_lines(spath: str, data: bytes) -> list[str]:
    """Decode ``data`` as UTF-8 and split it into lines, accepting LF, CRLF and CR."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise MapFormatError(spath, f"not valid UTF-8 text (byte {exc.start})", line=line) from None
    # str.splitlines would also break on form feeds, U+2028 etc., shifting line numbers
    # away from what an editor shows; only the three usual line endings count here.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _show(raw: bytes) -> str:
    return repr(raw.decode("latin-1"))


def _parse_int(spath: str, field: str, text: str, line: int, *, minimum: int) -> int:
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    try:
        value = int(text)
    except ValueError:
        raise MapFormatError(spath, f"{field}: expected {what}, got {text!r}", line=line) from None
    if not minimum <= value <= _INT32_MAX:
        raise MapFormatError(spath, f"{field}: expected {what}, got {text!r}", line=line)
    return value


def _body_rows(lines: list[str], first: int) -> tuple[list[list[str]], list[int]]:
    """Split non-blank lines from index ``first`` on into whitespace-separated fields.

    Returns the field lists and their 1-based line numbers; blank lines are skipped because
    published files contain stray ones (e.g. ``Boston_0_1024.map.scen``).
    """
    split = list(map(str.split, lines[first:]))
    rows = [fields for fields in split if fields]
    if len(rows) == len(split):
        return rows, list(range(first + 1, first + 1 + len(rows)))
    linenos = [no for no, fields in enumerate(split, first + 1) if fields]
    return rows, linenos


def _parse_table(
    spath: str,
    rows: list[list[str]],
    linenos: list[int],
    names: tuple[str, ...],
    kinds: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Convert the numeric columns of a table whose rows all have ``len(kinds)`` fields.

    Parameters
    ----------
    spath : str
        File being read, for error messages.
    rows, linenos : list
        Field lists and their 1-based line numbers.
    names : tuple of str
        Field names by column, for error messages.
    kinds : str
        One letter per column: ``i`` integer, ``f`` float, ``s`` text (skipped).

    Returns
    -------
    ints : numpy.ndarray
        ``int64`` array of shape ``(n, kinds.count("i"))``, columns in file order.
    reals : numpy.ndarray
        ``float64`` array of shape ``(n, kinds.count("f"))``, columns in file order.
    """
    n, width = len(rows), len(kinds)
    int_cols = [c for c, kind in enumerate(kinds) if kind == "i"]
    real_cols = [c for c, kind in enumerate(kinds) if kind == "f"]
    flat = list(chain.from_iterable(rows))
    try:
        # numpy's C integer parser on the joined tokens is several times faster than
        # int() per field; the other columns are blanked to "0" so one call covers all.
        tokens = flat if len(int_cols) == width else flat.copy()
        for c in range(width):
            if kinds[c] != "i":
                tokens[c::width] = ["0"] * n
        table = np.fromstring(" ".join(tokens), dtype=np.int64, sep=" ")
        if table.size != n * width:
            raise ValueError("short read")
        ints = table.reshape(n, width)[:, int_cols]
        reals = np.empty((n, len(real_cols)), dtype=np.float64)
        for k, c in enumerate(real_cols):
            reals[:, k] = np.fromiter(map(float, flat[c::width]), dtype=np.float64, count=n)
        return ints, reals
    except ValueError:
        pass

    # The C parser accepts a subset of int() syntax, so Python's parsers decide; this loop
    # runs only after a failure and names the first offending field.
    ints = np.empty((n, len(int_cols)), dtype=np.int64)
    reals = np.empty((n, len(real_cols)), dtype=np.float64)
    for i, (row, line) in enumerate(zip(rows, linenos, strict=True)):
        for out, cols, convert, kind in (
            (ints, int_cols, int, "an integer"),
            (reals, real_cols, float, "a number"),
        ):
            for k, c in enumerate(cols):
                try:
                    value = convert(row[c])
                except ValueError:
                    raise MapFormatError(
                        spath, f"{names[c]}: expected {kind}, got {row[c]!r}", line=line
                    ) from None
                if convert is int and abs(value) > _INT32_MAX:
                    raise MapFormatError(
                        spath, f"{names[c]}: integer out of range, got {row[c]!r}", line=line
                    )
                out[i, k] = value
    return ints, reals


def _rows_without(rows: list[list[str]], count: int) -> list[int]:
    """Indices of the rows that do not have exactly ``count`` fields."""
    if set(map(len, rows)) <= {count}:
        return []
    return [i for i, fields in enumerate(rows) if len(fields) != count]


def _first_bad(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _check_version(spath: str, lines: list[str]) -> None:
    header = lines[0].strip() if lines else ""
    parts = header.split()
    ok = len(parts) == 2 and parts[0] == "version"
    if ok:
        try:
            ok = float(parts[1]) == 1.0
        except ValueError:
            ok = False
    if not ok:
        raise MapFormatError(spath, f"header: expected 'version 1', got {header!r}", line=1)


# --------------------------------------------------------------------------- 2D


def read_map(path: PathLike) -> GridMap2D:
    """Read a Moving AI 2D ``.map`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.map`` file. LF, CRLF and CR line endings are accepted.

    Returns
    -------
    GridMap2D
        ``blocked`` has shape ``(height, width)`` in cells; row 0 is the top row of the file.

    Raises
    ------
    MapFormatError
        If the file is missing, the header is missing or garbled (unknown ``type``,
        ``height``/``width`` not a positive integer, no ``map`` line), there are fewer or
        more rows than ``height``, a row is not ``width`` characters long, or a character
        is not one of ``.GS@OTW``.
    """
    spath, data = _read_bytes(path)
    # Stay in bytes: a map row is then one contiguous buffer for the vectorized lookup.
    lines = data.splitlines()

    header: dict[str, tuple[str, int]] = {}
    map_idx: int | None = None
    for idx, raw in enumerate(lines):
        text = raw.decode("latin-1").strip()
        if text == "map":
            map_idx = idx
            break
        if not text:
            continue
        parts = text.split()
        key = parts[0]
        if key not in ("type", "height", "width"):
            expected = (
                "the 'map' line" if len(header) == 3 else "'type', 'height', 'width' or 'map'"
            )
            raise MapFormatError(
                spath, f"header: expected {expected}, got {text[:40]!r}", line=idx + 1
            )
        if len(parts) != 2:
            raise MapFormatError(
                spath, f"{key}: expected '{key} VALUE', got {text!r}", line=idx + 1
            )
        if key in header:
            raise MapFormatError(
                spath, f"{key}: given twice (first on line {header[key][1]})", line=idx + 1
            )
        header[key] = (parts[1], idx + 1)

    if map_idx is None:
        raise MapFormatError(spath, "header: no 'map' line before the grid", line=len(lines) + 1)
    for key in ("type", "height", "width"):
        if key not in header:
            raise MapFormatError(spath, f"header: missing '{key}' line", line=map_idx + 1)
    type_value, type_line = header["type"]
    if type_value != "octile":
        raise MapFormatError(spath, f"type: expected 'octile', got {type_value!r}", line=type_line)
    height = _parse_int(spath, "height", *header["height"], minimum=1)
    width = _parse_int(spath, "width", *header["width"], minimum=1)
    if height * width > limits.MAX_GRID_CELLS:
        raise MapFormatError(
            spath,
            f"height x width: {height} x {width} cells; at most {limits.MAX_GRID_CELLS:.0e}",
            line=header["height"][1],
        )

    body = lines[map_idx + 1 :]
    # A trailing newline or blank lines at the end are not rows.
    while body and not body[-1].strip():
        body.pop()
    first_row_line = map_idx + 2
    if len(body) < height:
        raise MapFormatError(
            spath,
            f"map: truncated, expected {height} rows (height), found {len(body)}",
            line=first_row_line + len(body),
        )
    if len(body) > height:
        raise MapFormatError(
            spath,
            f"map: more rows than height {height}; extra content {_show(body[height][:20])}",
            line=first_row_line + height,
        )

    for i, row in enumerate(body):
        if len(row) != width:
            raise MapFormatError(
                spath,
                f"map row {i}: width {len(row)} found, expected {width}",
                line=first_row_line + i,
            )

    cells = np.frombuffer(b"".join(body), dtype=np.uint8).reshape(height, width)
    blocked = _CELL_LUT[cells]
    bad = np.argwhere(blocked == _UNKNOWN)
    if bad.size:
        r, c = (int(v) for v in bad[0])
        raise MapFormatError(
            spath,
            f"map row {r}, column {c}: unknown map character "
            f"{_show(bytes([int(cells[r, c])]))} (expected one of '.GS@OTW')",
            line=first_row_line + r,
        )
    return GridMap2D(blocked=blocked, path=spath)


def read_scen(path: PathLike) -> Scenario2D:
    """Read a Moving AI 2D ``.scen`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.scen`` file: ``version 1`` (or ``version 1.0``), then tab- or space-separated
        rows ``bucket map width height startx starty goalx goaly optimal_length``. Blank
        lines are skipped.

    Returns
    -------
    Scenario2D
        Coordinates in cells (``x`` = column, ``y`` = row from the top), lengths in cell
        edge lengths.

    Raises
    ------
    MapFormatError
        If the file is missing, the version header is wrong, there are no rows, a row does
        not have 9 fields or has a non-numeric value, width/height is not positive, a
        coordinate lies outside the width/height given in its row, a length is negative or
        not finite, or rows disagree on the map name or size (a :class:`Scenario2D` holds
        one map).
    """
    spath, data = _read_bytes(path)
    lines = _text_lines(spath, data)
    _check_version(spath, lines)
    rows, linenos = _body_rows(lines, 1)
    if not rows:
        raise MapFormatError(spath, "no scenario rows after the version line", line=2)

    for i in _rows_without(rows, 9):
        # Tab-separated files may have a map name containing spaces.
        alt = [f.strip() for f in lines[linenos[i] - 1].split("\t")]
        if len(alt) == 9 and all(alt):
            rows[i] = alt
            continue
        raise MapFormatError(
            spath,
            f"row: expected 9 fields ({' '.join(_SCEN_FIELDS)}), got {len(rows[i])}",
            line=linenos[i],
        )

    table, reals = _parse_table(spath, rows, linenos, _SCEN_FIELDS, "isiiiiiif")
    # Columns of `ints`: width, height, startx, starty, goalx, goaly.
    bucket, ints, lengths = table[:, 0], table[:, 1:], reals[:, 0]
    width, height = ints[:, 0], ints[:, 1]
    start, goal = ints[:, 2:4], ints[:, 4:6]

    for col, name in ((0, "width"), (1, "height")):
        i = _first_bad((ints[:, col] < 1) | (ints[:, col] > _INT32_MAX))
        if i is not None:
            raise MapFormatError(
                spath,
                f"{name}: expected a positive integer, got {rows[i][col + 2]!r}",
                line=linenos[i],
            )
    # Not np.abs: the C parser clamps huge values to INT64_MIN, whose abs() overflows.
    i = _first_bad((bucket < -_INT32_MAX) | (bucket > _INT32_MAX))
    if i is not None:
        raise MapFormatError(
            spath, f"bucket: integer out of range, got {rows[i][0]!r}", line=linenos[i]
        )
    for k, name in enumerate(("startx", "starty", "goalx", "goaly")):
        values = ints[:, 2 + k]
        limit = width if name.endswith("x") else height
        i = _first_bad((values < 0) | (values >= limit))
        if i is not None:
            dim = "width" if name.endswith("x") else "height"
            raise MapFormatError(
                spath,
                f"{name}: {int(values[i])} is outside the map ({dim} "
                f"{int(limit[i])}, valid 0..{int(limit[i]) - 1})",
                line=linenos[i],
            )
    i = _first_bad(~np.isfinite(lengths) | (lengths < 0))
    if i is not None:
        raise MapFormatError(
            spath,
            f"optimal_length: expected a finite number >= 0, got {rows[i][8]!r}",
            line=linenos[i],
        )

    map_name = rows[0][1]
    if len(set(map(itemgetter(1), rows))) > 1:
        i = next(i for i, fields in enumerate(rows) if fields[1] != map_name)
        raise MapFormatError(
            spath,
            f"map: {rows[i][1]!r} differs from {map_name!r} in the first row",
            line=linenos[i],
        )
    for col, name in ((0, "width"), (1, "height")):
        i = _first_bad(ints[:, col] != ints[0, col])
        if i is not None:
            raise MapFormatError(
                spath,
                f"{name}: {int(ints[i, col])} differs from {int(ints[0, col])} in the first row",
                line=linenos[i],
            )

    unreachable = (lengths == 0.0) & np.any(start != goal, axis=1)
    return Scenario2D(
        start_xy=start.astype(np.int32),
        goal_xy=goal.astype(np.int32),
        optimal_length=lengths,
        bucket=bucket.astype(np.int32),
        map_name=map_name,
        map_width=int(width[0]),
        map_height=int(height[0]),
        unreachable=unreachable,
        path=spath,
    )


# --------------------------------------------------------------------------- 3D


def read_3dmap(path: PathLike) -> VoxelMap:
    """Read a 3D voxel ``.3dmap`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.3dmap`` file: ``voxel X Y Z``, then one blocked voxel ``x y z`` per line.
        Blank lines are skipped; a voxel listed twice is simply blocked.

    Returns
    -------
    VoxelMap
        ``blocked`` has shape ``(Z, Y, X)`` in voxels, indexed ``[z, y, x]``.

    Raises
    ------
    MapFormatError
        If the file is missing, the header is not ``voxel X Y Z`` with positive integers,
        a voxel line does not hold three integers, or a voxel lies outside ``X``/``Y``/``Z``.
    """
    spath, data = _read_bytes(path)
    lines = _text_lines(spath, data)
    header = lines[0].strip()
    parts = header.split()
    if len(parts) != 4 or parts[0] != "voxel":
        raise MapFormatError(spath, f"header: expected 'voxel X Y Z', got {header!r}", line=1)
    size = [
        _parse_int(spath, name, text, 1, minimum=1)
        for name, text in zip("XYZ", parts[1:], strict=True)
    ]
    if size[0] * size[1] * size[2] > limits.MAX_GRID_CELLS:
        # Guards against allocating a huge dense grid from a typo in the header.
        raise MapFormatError(
            spath,
            f"header: voxel {size[0]} {size[1]} {size[2]} is {size[0] * size[1] * size[2]:.3g} "
            f"voxels; at most {limits.MAX_GRID_CELLS:.0e}",
            line=1,
        )

    rows, linenos = _body_rows(lines, 1)
    for i in _rows_without(rows, 3)[:1]:
        raise MapFormatError(
            spath, f"voxel: expected 3 fields 'x y z', got {len(rows[i])}", line=linenos[i]
        )
    blocked = np.zeros((size[2], size[1], size[0]), dtype=np.uint8)
    if rows:
        xyz, _ = _parse_table(spath, rows, linenos, ("x", "y", "z"), "iii")
        for k, name in enumerate("xyz"):
            i = _first_bad((xyz[:, k] < 0) | (xyz[:, k] >= size[k]))
            if i is not None:
                raise MapFormatError(
                    spath,
                    f"{name}: {int(xyz[i, k])} is outside the map ({name.upper()} "
                    f"{size[k]}, valid 0..{size[k] - 1})",
                    line=linenos[i],
                )
        blocked[xyz[:, 2], xyz[:, 1], xyz[:, 0]] = 1
    return VoxelMap(blocked=blocked, path=spath)


def read_3dscen(path: PathLike) -> Scenario3D:
    """Read a 3D voxel ``.3dscen`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.3dscen`` file: ``version 1``, the map name, then rows
        ``sx sy sz gx gy gz optimal_length ratio``. Blank lines are skipped.

    Returns
    -------
    Scenario3D
        Coordinates in voxels, lengths in voxel edge lengths. The file does not state the
        map size, so coordinates are only checked to be non-negative; check them against a
        :class:`VoxelMap` where needed.

    Raises
    ------
    MapFormatError
        If the file is missing, the header is wrong or the map name is missing, a row does
        not have 8 fields or has a non-numeric value, a coordinate is negative, the length
        is negative or not finite, or the ratio is negative.
    """
    spath, data = _read_bytes(path)
    lines = _text_lines(spath, data)
    _check_version(spath, lines)
    map_name = lines[1].strip() if len(lines) > 1 else ""
    if not map_name:
        raise MapFormatError(spath, "map name: expected the map's name on line 2, got ''", line=2)
    if len(map_name.split()) == 8:
        raise MapFormatError(
            spath,
            f"map name: expected the map's name on line 2, got a scenario row {map_name!r}",
            line=2,
        )
    rows, linenos = _body_rows(lines, 2)
    if not rows:
        raise MapFormatError(spath, "no scenario rows after the map name", line=3)
    for i in _rows_without(rows, 8)[:1]:
        raise MapFormatError(
            spath,
            f"row: expected 8 fields ({' '.join(_3DSCEN_FIELDS)}), got {len(rows[i])}",
            line=linenos[i],
        )

    coords, reals = _parse_table(spath, rows, linenos, _3DSCEN_FIELDS, "iiiiiiff")
    for k, name in enumerate(_3DSCEN_FIELDS[:6]):
        i = _first_bad((coords[:, k] < 0) | (coords[:, k] > _INT32_MAX))
        if i is not None:
            raise MapFormatError(
                spath, f"{name}: expected an integer >= 0, got {rows[i][k]!r}", line=linenos[i]
            )
    lengths, ratio = reals[:, 0], reals[:, 1]
    i = _first_bad(~np.isfinite(lengths) | (lengths < 0))
    if i is not None:
        raise MapFormatError(
            spath,
            f"optimal_length: expected a finite number >= 0, got {rows[i][6]!r}",
            line=linenos[i],
        )
    # NaN is let through: start == goal makes the heuristic 0 and the ratio undefined.
    i = _first_bad(ratio < 0)
    if i is not None:
        raise MapFormatError(
            spath, f"ratio: expected a number >= 0, got {rows[i][7]!r}", line=linenos[i]
        )
    return Scenario3D(
        start_xyz=coords[:, 0:3].astype(np.int32),
        goal_xyz=coords[:, 3:6].astype(np.int32),
        optimal_length=lengths,
        ratio=ratio,
        map_name=map_name,
        path=spath,
    )


def read_scen_any(path: PathLike) -> Scenario2D | Scenario3D:
    """Read a scenario file, choosing the format by its suffix.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.3dscen`` (3D voxel) or ``.scen`` (2D grid) file.

    Returns
    -------
    Scenario2D or Scenario3D

    Raises
    ------
    MapFormatError
        If the suffix is neither, or the file is malformed (see :func:`read_scen` and
        :func:`read_3dscen`).
    """
    spath = os.fspath(path)
    suffix = os.path.splitext(spath)[1].lower()
    if suffix == ".3dscen":
        return read_3dscen(spath)
    if suffix == ".scen":
        return read_scen(spath)
    raise MapFormatError(spath, f"suffix: expected '.scen' or '.3dscen', got {suffix!r}")
