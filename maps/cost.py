"""Cost layers: per-cell step-cost multipliers (>= 1) that planners multiply into step costs.

Two builders, both vectorized over the grid:

- `ground_risk_cost`: flying over people is riskier than over parks and water (a failure
  there can hurt someone), so the multiplier grows with a population proxy.
- `radio_coverage_cost`: the command-and-control link weakens with distance from the
  nearest base station; cells beyond every station's range can be blocked.

Combine layers with `with_cost_layers`, which multiplies them and applies the blocking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from dronesim.maps.airspace import Airspace
from dronesim.maps.features import BaseStation, Hotspot

STOREY_HEIGHT_M = 3.5


def ground_risk_cost(
    airspace: Airspace,
    hotspots: Sequence[Hotspot] = (),
    *,
    max_multiplier: float = 3.0,
    smoothing_m: float = 100.0,
) -> np.ndarray:
    """Cost multiplier from the density of people on the ground.

    The population proxy is the floor area of the buildings (footprint area x storeys of
    3.5 m) assigned to the cell holding each footprint's centroid, plus each demand
    hotspot as a Gaussian of its radius scaled by its weight, smoothed by a box filter
    of half-width ``smoothing_m``. The proxy is normalised by its 99th percentile and
    mapped linearly to ``[1, max_multiplier]`` (the percentile is over the populated cells, so a sparse map still spans the range). The same multiplier applies at every
    altitude layer: the area a falling drone can reach grows with altitude, but the
    people per square metre under it do not change.

    Parameters
    ----------
    airspace : Airspace
        Grid and buildings.
    hotspots : sequence of Hotspot
        Demand centres (people gather where parcels go).
    max_multiplier : float
        Multiplier over the densest cells, >= 1.
    smoothing_m : float
        Half-width of the smoothing window in metres, >= 0.

    Returns
    -------
    numpy.ndarray of float32, shape (nz, ny, nx)
    """
    if not max_multiplier >= 1:
        raise ValueError(f"max_multiplier must be >= 1, got {max_multiplier!r}")
    if not smoothing_m >= 0:
        raise ValueError(f"smoothing_m must be >= 0, got {smoothing_m!r}")
    nz, ny, nx = airspace.shape
    density = np.zeros((ny, nx), dtype=np.float64)
    buildings = airspace.buildings
    if len(buildings):
        centroids = shapely.get_coordinates(shapely.centroid(buildings.footprints))
        floor_area = shapely.area(buildings.footprints) * np.maximum(
            1.0, buildings.heights_m / STOREY_HEIGHT_M
        )
        _, j, i = airspace.cell_of(centroids[:, 0], centroids[:, 1])
        inside = (i >= 0) & (j >= 0)
        np.add.at(density, (j[inside], i[inside]), floor_area[inside])
    if hotspots:
        xc, yc, _ = airspace.cell_centre(0, np.arange(ny)[:, None], np.arange(nx)[None, :])
        cell_area = airspace.cell_size_m**2
        scale = density.sum() / max(len(hotspots), 1) if density.any() else cell_area
        for spot in hotspots:
            gauss = np.exp(-((xc - spot.x_m) ** 2 + (yc - spot.y_m) ** 2) / (2 * spot.radius_m**2))
            density += scale * spot.weight * gauss * cell_area / (2 * math.pi * spot.radius_m**2)
    density = _box_filter(density, int(round(smoothing_m / airspace.cell_size_m)))
    positive = density[density > 0]
    reference = np.quantile(positive, 0.99) if positive.size else 0.0
    normalised = np.zeros_like(density) if reference <= 0 else np.minimum(density / reference, 1.0)
    multiplier = (1.0 + (max_multiplier - 1.0) * normalised).astype(np.float32)
    return np.broadcast_to(multiplier, (nz, ny, nx)).copy()


def radio_coverage_cost(
    airspace: Airspace,
    stations: Sequence[BaseStation] | None = None,
    *,
    max_multiplier: float = 3.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost multiplier from the distance to the nearest base station.

    Inside a station's range the multiplier grows with the square of the distance
    relative to that range (``1 + (max_multiplier - 1) (d / range)^2``, d horizontal,
    metres); a cell takes the best station. Cells out of every station's range get
    ``max_multiplier`` and are flagged.

    Parameters
    ----------
    airspace : Airspace
        Grid (and its base stations when ``stations`` is None).
    stations : sequence of BaseStation, optional
        Sites to use instead of ``airspace.base_stations``.
    max_multiplier : float
        Multiplier at the edge of coverage, >= 1.

    Returns
    -------
    cost : numpy.ndarray of float32, shape (nz, ny, nx)
    out_of_range : numpy.ndarray of bool, shape (ny, nx)
        True where no station reaches.
    """
    if not max_multiplier >= 1:
        raise ValueError(f"max_multiplier must be >= 1, got {max_multiplier!r}")
    stations = tuple(airspace.base_stations if stations is None else stations)
    nz, ny, nx = airspace.shape
    xc, yc, _ = airspace.cell_centre(0, np.arange(ny)[:, None], np.arange(nx)[None, :])
    relative = np.full((ny, nx), np.inf)
    for station in stations:
        distance = np.hypot(xc - station.x_m, yc - station.y_m)
        np.minimum(relative, distance / station.range_m, out=relative)
    out_of_range = relative > 1.0
    multiplier = 1.0 + (max_multiplier - 1.0) * np.minimum(relative, 1.0) ** 2
    cost = np.broadcast_to(multiplier.astype(np.float32), (nz, ny, nx)).copy()
    return cost, out_of_range


def with_cost_layers(
    airspace: Airspace,
    *layers: np.ndarray,
    block: np.ndarray | None = None,
) -> Airspace:
    """An airspace whose cost is the product of the given layers (and blocked where asked).

    Parameters
    ----------
    airspace : Airspace
        The base airspace; its own cost is replaced, not multiplied.
    *layers : numpy.ndarray, shape (nz, ny, nx)
        Multipliers >= 1.
    block : numpy.ndarray of bool, shape (ny, nx) or (nz, ny, nx), optional
        Cells to add to the obstacles (e.g. ``out_of_range`` from `radio_coverage_cost`).
    """
    cost = np.ones(airspace.shape, dtype=np.float32)
    for layer in layers:
        cost *= np.asarray(layer, dtype=np.float32)
    changes: dict[str, np.ndarray] = {"cost": cost}
    if block is not None:
        extra = np.broadcast_to(np.asarray(block, dtype=bool), airspace.shape)
        base = (
            airspace.obstacles
            if airspace.obstacles is not None
            else np.zeros(airspace.shape, np.uint8)
        )
        changes["obstacles"] = (base.astype(bool) | extra).astype(np.uint8)
    return airspace.replace(**changes)


def _box_filter(values: np.ndarray, half_width: int) -> np.ndarray:
    """Mean over a ``(2 h + 1)^2`` window (clipped at the edges), by cumulative sums."""
    if half_width <= 0:
        return values
    out = values
    for axis in (0, 1):
        padded = np.concatenate(
            [np.zeros_like(out.take([0], axis=axis)), np.cumsum(out, axis=axis)], axis=axis
        )
        n = out.shape[axis]
        hi = np.minimum(np.arange(n) + half_width + 1, n)
        lo = np.maximum(np.arange(n) - half_width, 0)
        sums = padded.take(hi, axis=axis) - padded.take(lo, axis=axis)
        shape = [1, 1]
        shape[axis] = n
        out = sums / (hi - lo).reshape(shape)
    return out
