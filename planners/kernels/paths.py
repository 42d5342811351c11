"""Padded nodes to cells and world waypoints."""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._jit import inlined, kernel

# ----------------------------------------------------------------------------- helpers


@inlined
def decode_into(nodes, px, py, pad_z, cells):
    plane = px * py
    for index in range(nodes.shape[0]):
        n = np.int64(nodes[index])
        k = n // plane
        rest = n - k * plane
        j = rest // px
        cells[index, 0] = k - pad_z
        cells[index, 1] = j - 1
        cells[index, 2] = rest - j * px - 1


@inlined
def waypoints_into(cells, origin_x, origin_y, cell_size, layers, points):
    length = 0.0
    for index in range(cells.shape[0]):
        points[index, 0] = origin_x + (cells[index, 2] + 0.5) * cell_size
        points[index, 1] = origin_y + (cells[index, 1] + 0.5) * cell_size
        points[index, 2] = layers[cells[index, 0]]
        if index > 0:
            dx = points[index, 0] - points[index - 1, 0]
            dy = points[index, 1] - points[index - 1, 1]
            dz = points[index, 2] - points[index - 1, 2]
            length += math.sqrt(dx * dx + dy * dy + dz * dz)
    return length


@kernel
def decode_nodes(nodes, px, py, pad_z):
    """``(n, 3)`` cells ``(k, j, i)`` of padded flat node indices."""
    cells = np.empty((nodes.shape[0], 3), np.int64)
    decode_into(nodes, px, py, pad_z, cells)
    return cells


@kernel
def node_path(nodes, px, py, pad_z, origin_x, origin_y, cell_size, layers, cells, waypoints):
    """`decode_nodes` and `cell_waypoints` in one call, into ``cells`` and ``waypoints``
    (both ``(len(nodes), 3)``, made by the caller: cheaper than returning new arrays);
    returns the polyline's length in metres."""
    decode_into(nodes, px, py, pad_z, cells)
    return waypoints_into(cells, origin_x, origin_y, cell_size, layers, waypoints)


@kernel
def cell_waypoints(cells, origin_x, origin_y, cell_size, layers):
    """World centres ``(n, 3)`` of cells (metres; z = layer altitude) and the polyline length."""
    points = np.empty((cells.shape[0], 3), np.float64)
    return points, waypoints_into(cells, origin_x, origin_y, cell_size, layers, points)
