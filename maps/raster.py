"""Conservative rasterization of polygons onto a square grid.

A cell is *touched* by a polygon when the cell's closed square and the polygon share at
least one point. That happens exactly when the polygon contains the cell's centre (the
square lies inside it or straddles its boundary) or when the polygon's boundary meets the
square. We compute both sets with vectorized shapely and numpy calls (no Python loop
over cells):

- centres: every candidate cell in a polygon's bounding box is tested with the prepared
  ``shapely.contains_xy``;
- boundary: each ring is split into pieces no longer than a cell, so a piece can only
  meet the 3 x 3 cells around its start; each (piece, cell) pair gets an exact
  segment/square clip test in numpy, with the square grown by ``EDGE_TOLERANCE_M`` so that
  rounding can only add cells, never drop one.

Grid convention (shared by every module through `maps.Airspace`): cell ``(j, i)`` covers
``x in [x0 + i c, x0 + (i + 1) c]`` and ``y in [y0 + j c, y0 + (j + 1) c]``, where
``(x0, y0)`` is the grid's south-west corner and ``c`` the cell size; rows ``j`` grow
northwards.
"""

from __future__ import annotations

import numpy as np
import shapely

EDGE_TOLERANCE_M = 1e-6
_CANDIDATES_PER_CHUNK = 4_000_000


def touched_cells(
    geometries,
    origin_m: tuple[float, float],
    cell_size_m: float,
    nx: int,
    ny: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find every grid cell whose closed square intersects each geometry.

    Parameters
    ----------
    geometries : array_like of shapely.Polygon / MultiPolygon
        Areas in the local frame, metres.
    origin_m : (float, float)
        South-west corner of the grid, metres.
    cell_size_m : float
        Side of a square cell, metres.
    nx, ny : int
        Grid size in columns (east) and rows (north).

    Returns
    -------
    geometry_index, row, col : numpy.ndarray of int64
        One entry per (geometry, touched cell) pair inside the grid. Pairs may repeat;
        callers OR them into masks.
    """
    geoms = np.asarray(geometries, dtype=object).reshape(-1)
    if geoms.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    shapely.prepare(geoms)
    interior = _cells_with_centre_inside(geoms, origin_m, cell_size_m, nx, ny)
    boundary = _cells_meeting_boundary(geoms, origin_m, cell_size_m, nx, ny)
    return tuple(np.concatenate(parts) for parts in zip(interior, boundary))  # type: ignore[return-value]


def touched_mask(geometry, origin_m, cell_size_m: float, nx: int, ny: int) -> np.ndarray:
    """Boolean ``(ny, nx)`` mask of the cells a single geometry touches (see `touched_cells`)."""
    mask = np.zeros((ny, nx), dtype=bool)
    _, rows, cols = touched_cells([geometry], origin_m, cell_size_m, nx, ny)
    mask[rows, cols] = True
    return mask


def _cells_with_centre_inside(geoms, origin_m, cell_size_m, nx, ny):
    x0, y0 = origin_m
    bounds = shapely.bounds(geoms)
    # Cells whose centre lies inside the bounding box: centre of column i is x0 + (i + .5) c.
    col_lo = np.clip(np.ceil((bounds[:, 0] - x0) / cell_size_m - 0.5), 0, nx).astype(np.int64)
    col_hi = np.clip(np.floor((bounds[:, 2] - x0) / cell_size_m - 0.5), -1, nx - 1).astype(np.int64)
    row_lo = np.clip(np.ceil((bounds[:, 1] - y0) / cell_size_m - 0.5), 0, ny).astype(np.int64)
    row_hi = np.clip(np.floor((bounds[:, 3] - y0) / cell_size_m - 0.5), -1, ny - 1).astype(np.int64)
    widths = np.maximum(col_hi - col_lo + 1, 0)
    heights = np.maximum(row_hi - row_lo + 1, 0)
    counts = widths * heights

    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for chunk in _chunks_by_total(counts, _CANDIDATES_PER_CHUNK):
        chunk_counts = counts[chunk]
        total = int(chunk_counts.sum())
        if total == 0:
            continue
        owner = np.repeat(chunk, chunk_counts)
        first = np.repeat(np.cumsum(chunk_counts) - chunk_counts, chunk_counts)
        offset = np.arange(total, dtype=np.int64) - first
        width = widths[owner]
        cols = col_lo[owner] + offset % width
        rows = row_lo[owner] + offset // width
        xc = x0 + (cols + 0.5) * cell_size_m
        yc = y0 + (rows + 0.5) * cell_size_m
        inside = shapely.contains_xy(geoms[owner], xc, yc)
        found.append((owner[inside], rows[inside], cols[inside]))
    return _stack(found)


def _cells_meeting_boundary(geoms, origin_m, cell_size_m, nx, ny):
    x0, y0 = origin_m
    rings = shapely.segmentize(shapely.boundary(geoms), cell_size_m)
    parts, part_owner = shapely.get_parts(rings, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    same_ring = coord_part[1:] == coord_part[:-1]
    start = coords[:-1][same_ring]
    end = coords[1:][same_ring]
    owner = part_owner[coord_part[:-1][same_ring]]

    low = np.minimum(start, end)
    high = np.maximum(start, end)
    tol = EDGE_TOLERANCE_M
    col_lo = np.floor((low[:, 0] - tol - x0) / cell_size_m).astype(np.int64)
    col_hi = np.floor((high[:, 0] + tol - x0) / cell_size_m).astype(np.int64)
    row_lo = np.floor((low[:, 1] - tol - y0) / cell_size_m).astype(np.int64)
    row_hi = np.floor((high[:, 1] + tol - y0) / cell_size_m).astype(np.int64)

    found = []
    # A piece no longer than a cell spans at most 3 cells per axis (when it touches grid
    # lines at both ends), so the 3 x 3 block at its lower corner holds every candidate.
    for d_row in range(3):
        for d_col in range(3):
            rows = row_lo + d_row
            cols = col_lo + d_col
            keep = (rows <= row_hi) & (cols <= col_hi)
            keep &= (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
            box_x0 = x0 + cols[keep] * cell_size_m - tol
            box_y0 = y0 + rows[keep] * cell_size_m - tol
            hit = segments_meet_boxes(
                start[keep],
                end[keep],
                box_x0,
                box_y0,
                box_x0 + cell_size_m + 2 * tol,
                box_y0 + cell_size_m + 2 * tol,
            )
            found.append((owner[keep][hit], rows[keep][hit], cols[keep][hit]))
    return _stack(found)


def segments_meet_boxes(start, end, box_x0, box_y0, box_x1, box_y1) -> np.ndarray:
    """Whether each segment ``start -> end`` shares a point with its closed axis-aligned box.

    Liang-Barsky clipping, vectorized: the segment's parameter interval inside each slab
    is intersected with ``[0, 1]``.

    Parameters
    ----------
    start, end : numpy.ndarray, shape (n, 2)
        Segment end points, metres.
    box_x0, box_y0, box_x1, box_y1 : numpy.ndarray, shape (n,)
        Box corners, metres.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    t_low = np.zeros(start.shape[0])
    t_high = np.ones(start.shape[0])
    for axis, lo, hi in ((0, box_x0, box_x1), (1, box_y0, box_y1)):
        origin = start[:, axis]
        delta = end[:, axis] - origin
        moving = delta != 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (lo - origin) / delta
            t2 = (hi - origin) / delta
        enter = np.where(moving, np.minimum(t1, t2), -np.inf)
        leave = np.where(moving, np.maximum(t1, t2), np.inf)
        # A segment parallel to the slab is inside it everywhere or nowhere.
        outside = ~moving & ((origin < lo) | (origin > hi))
        enter = np.where(outside, np.inf, enter)
        t_low = np.maximum(t_low, enter)
        t_high = np.minimum(t_high, leave)
    return t_low <= t_high


def _chunks_by_total(counts: np.ndarray, budget: int):
    """Split ``range(len(counts))`` into consecutive index arrays whose counts sum to about ``budget``."""
    if counts.size == 0:
        return
    cumulative = np.cumsum(counts)
    start = 0
    while start < counts.size:
        base = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, base + budget, side="right"))
        stop = max(stop, start + 1)
        yield np.arange(start, min(stop, counts.size))
        start = stop


def _stack(found):
    if not found:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    return tuple(np.concatenate([f[axis] for f in found]) for axis in range(3))
