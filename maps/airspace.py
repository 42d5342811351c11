"""The airspace: a city's low-altitude airspace as a 3D grid plus the features behind it.

`Airspace` is the one source of truth for grid geometry (origin, cell size, altitude
layers) and for the world <-> cell transforms; every other package asks it rather than
recomputing. It is immutable: build variants with `Airspace.replace`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from dronesim.maps.features import (
    BaseStation,
    Buildings,
    Depot,
    NoFlyZone,
    conservative_buffer,
    unique_names,
)
from dronesim.maps.raster import touched_cells

DEFAULT_LAYERS_M = (30.0, 50.0, 70.0, 90.0, 110.0)
DEFAULT_CEILING_M = 120.0

# Inputs that decide the rasters; a `replace` that leaves all of them alone reuses them.
_RASTER_INPUTS = (
    "origin_m",
    "cell_size_m",
    "nx",
    "ny",
    "layers_m",
    "ceiling_m",
    "buildings",
    "zones",
    "obstacles",
    "horizontal_clearance_m",
    "vertical_clearance_m",
)


@dataclass(frozen=True)
class TemporaryMask:
    """Cells a temporary zone blocks while it is active.

    Attributes
    ----------
    zone_index : int
        Index of the zone in `Airspace.zones`.
    layers : numpy.ndarray of int64
        Layer indices the zone's altitude band overlaps.
    flat_cells : numpy.ndarray of int64
        Row-major indices ``j * nx + i`` of the touched columns.
    """

    zone_index: int
    layers: np.ndarray
    flat_cells: np.ndarray


@dataclass(frozen=True, eq=False)
class Airspace:
    """A city's low-altitude airspace on a 3D grid.

    The frame is local and metric: x east, y north, z up, metres. Cell ``(k, j, i)`` is
    layer ``k`` (altitude ``layers_m[k]``), row ``j`` (northwards) and column ``i``
    (eastwards); its square spans ``[x0 + i c, x0 + (i + 1) c] x [y0 + j c, y0 + (j + 1) c]``.

    Parameters
    ----------
    origin_m : (float, float)
        South-west corner ``(x0, y0)`` of the grid, metres.
    cell_size_m : float
        Side of a square cell, metres, > 0.
    nx, ny : int
        Columns (east) and rows (north), >= 1.
    layers_m : tuple of float
        Cruise altitudes (cell centres) in metres above ground, strictly increasing, > 0 and
        below ``ceiling_m``. Layer ``k`` owns the altitude band between the midpoints to
        its neighbours (ground for the lowest, the ceiling for the highest).
    ceiling_m : float
        Top of the drone airspace, metres (120 m in most regulations).
    buildings : Buildings
        Footprints and roof heights. A building blocks every layer whose altitude is at
        or below its roof plus ``vertical_clearance_m``, on every cell its footprint grown
        by ``horizontal_clearance_m`` touches.
    zones : tuple of NoFlyZone
        Permanent zones are baked into `blocked`; temporary ones keep their own masks
        (see `blocked_at`). A zone blocks every layer whose band overlaps its
        ``[floor_m, ceiling_m]``, on every cell its buffered footprint touches.
    depots : tuple of Depot
        Must lie on free ground, outside buildings and permanent zones, under a free
        lowest-layer cell (drones take off vertically).
    base_stations : tuple of BaseStation
        Radio sites (used by the coverage cost layer and drawn by viz).
    obstacles : numpy.ndarray of uint8, optional
        Extra blocked cells, shape ``(nz, ny, nx)`` (e.g. a benchmark grid map).
    cost : numpy.ndarray of float32, optional
        Step-cost multipliers >= 1 per cell, shape ``(nz, ny, nx)``; all ones if omitted.
    horizontal_clearance_m, vertical_clearance_m : float
        Margins around buildings, metres, >= 0.
    origin_lonlat : (float, float), optional
        WGS84 ``(lon, lat)`` in degrees of the local frame's (0, 0), when the map came from
        geographic data.

    Attributes
    ----------
    blocked : numpy.ndarray of uint8, shape (nz, ny, nx)
        1 where buildings, obstacles or permanent zones forbid flight (read-only).
    temporary_masks : tuple of TemporaryMask
        One per temporary zone, in zone order.
    """

    origin_m: tuple[float, float]
    cell_size_m: float
    nx: int
    ny: int
    layers_m: tuple[float, ...] = DEFAULT_LAYERS_M
    ceiling_m: float = DEFAULT_CEILING_M
    buildings: Buildings = field(default_factory=Buildings.empty)
    zones: tuple[NoFlyZone, ...] = ()
    depots: tuple[Depot, ...] = ()
    base_stations: tuple[BaseStation, ...] = ()
    obstacles: np.ndarray | None = None
    cost: np.ndarray | None = None
    horizontal_clearance_m: float = 5.0
    vertical_clearance_m: float = 10.0
    origin_lonlat: tuple[float, float] | None = None
    blocked: np.ndarray = field(init=False, repr=False)
    temporary_masks: tuple[TemporaryMask, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._validate_scalars()
        self._validate_features()
        self._validate_arrays()
        if not hasattr(self, "blocked"):
            blocked, masks = _rasterize(self)
            blocked.flags.writeable = False
            object.__setattr__(self, "blocked", blocked)
            object.__setattr__(self, "temporary_masks", masks)
        self._validate_depots()

    # ----------------------------------------------------------------- validation
    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _validate_scalars(self) -> None:
        try:
            origin = tuple(float(v) for v in self.origin_m)
        except (TypeError, ValueError):
            raise ValueError(
                f"origin_m must be two numbers (x, y), got {self.origin_m!r}"
            ) from None
        if len(origin) != 2 or not all(map(math.isfinite, origin)):
            raise ValueError(f"origin_m must be two finite numbers (x, y), got {self.origin_m!r}")
        self._set("origin_m", origin)
        cell = _number("cell_size_m", self.cell_size_m)
        if not cell > 0:
            raise ValueError(f"cell_size_m must be > 0, got {self.cell_size_m!r}")
        self._set("cell_size_m", cell)
        for name in ("nx", "ny"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
            self._set(name, int(value))
        ceiling = _number("ceiling_m", self.ceiling_m)
        if not ceiling > 0:
            raise ValueError(f"ceiling_m must be > 0, got {self.ceiling_m!r}")
        self._set("ceiling_m", ceiling)
        try:
            layers = tuple(float(v) for v in self.layers_m)
        except (TypeError, ValueError):
            raise ValueError(
                f"layers_m must be a sequence of numbers, got {self.layers_m!r}"
            ) from None
        if not layers:
            raise ValueError("layers_m must hold at least one altitude, got ()")
        if not all(math.isfinite(v) and 0 < v < ceiling for v in layers):
            raise ValueError(f"layers_m must lie in (0, ceiling_m={ceiling}), got {layers!r}")
        if any(b <= a for a, b in zip(layers, layers[1:])):
            raise ValueError(f"layers_m must be strictly increasing, got {layers!r}")
        self._set("layers_m", layers)
        for name in ("horizontal_clearance_m", "vertical_clearance_m"):
            value = _number(name, getattr(self, name))
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
            self._set(name, value)
        if self.origin_lonlat is not None:
            try:
                lon, lat = (float(v) for v in self.origin_lonlat)
            except (TypeError, ValueError):
                raise ValueError(
                    f"origin_lonlat must be (lon, lat), got {self.origin_lonlat!r}"
                ) from None
            if not (-180 <= lon <= 180 and -90 < lat < 90):
                raise ValueError(
                    f"origin_lonlat must be (lon, lat) in degrees, got {self.origin_lonlat!r}"
                )
            self._set("origin_lonlat", (lon, lat))

    def _validate_features(self) -> None:
        if not isinstance(self.buildings, Buildings):
            raise ValueError(f"buildings must be a Buildings, got {type(self.buildings).__name__}")
        for name, kind in (("zones", NoFlyZone), ("depots", Depot), ("base_stations", BaseStation)):
            items = tuple(getattr(self, name))
            for item in items:
                if not isinstance(item, kind):
                    raise ValueError(
                        f"{name} must hold {kind.__name__} objects, got {type(item).__name__}"
                    )
            unique_names(name, items)
            self._set(name, items)

    def _validate_arrays(self) -> None:
        shape = self.shape
        if self.obstacles is not None:
            obstacles = np.asarray(self.obstacles)
            if obstacles.shape != shape:
                raise ValueError(f"obstacles must have shape {shape}, got {obstacles.shape}")
            obstacles = (obstacles != 0).astype(np.uint8)
            obstacles.flags.writeable = False
            self._set("obstacles", obstacles)
        if self.cost is None:
            cost = np.ones(shape, dtype=np.float32)
        else:
            cost = np.asarray(self.cost)
            if cost.shape != shape:
                raise ValueError(f"cost must have shape {shape}, got {cost.shape}")
            cost = np.array(cost, dtype=np.float32)
            bad = ~np.isfinite(cost) | (cost < 1)
            if bad.any():
                where = tuple(int(v) for v in np.argwhere(bad)[0])
                raise ValueError(f"cost must be finite and >= 1, got {cost[where]} at cell {where}")
        cost.flags.writeable = False
        self._set("cost", cost)

    def _validate_depots(self) -> None:
        for depot in self.depots:
            owner = f"depot {depot.name!r} at ({depot.x_m:.1f}, {depot.y_m:.1f})"
            if not self.contains_xy(depot.x_m, depot.y_m):
                raise ValueError(f"{owner}: lies outside the map {self.bounds_m}")
            point = shapely.Point(depot.x_m, depot.y_m)
            if len(self.buildings):
                hits = self.buildings.tree.query(point, predicate="intersects")
                if hits.size:
                    raise ValueError(f"{owner}: lies inside building {int(hits.min())}")
            for zone in self.zones:
                if (
                    not zone.is_temporary
                    and zone.overlaps_band(0.0, self.layers_m[0])
                    and zone.keep_out.intersects(point)
                ):
                    raise ValueError(f"{owner}: lies inside no-fly zone {zone.name!r}")
            k, j, i = self.cell_of(depot.x_m, depot.y_m, self.layers_m[0])
            if self.blocked[k, j, i]:
                raise ValueError(
                    f"{owner}: the cell above it at {self.layers_m[0]:g} m is blocked, so drones cannot take off"
                )

    # ----------------------------------------------------------------- geometry
    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(nz, ny, nx)``."""
        return (len(self.layers_m), self.ny, self.nx)

    @property
    def nz(self) -> int:
        """Number of altitude layers."""
        return len(self.layers_m)

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the grid in metres."""
        x0, y0 = self.origin_m
        return (x0, y0, x0 + self.nx * self.cell_size_m, y0 + self.ny * self.cell_size_m)

    @property
    def layer_bands_m(self) -> np.ndarray:
        """``(nz, 2)`` array of each layer's altitude band ``[low, high]`` in metres."""
        layers = np.asarray(self.layers_m)
        edges = np.concatenate([[0.0], (layers[1:] + layers[:-1]) / 2, [self.ceiling_m]])
        return np.stack([edges[:-1], edges[1:]], axis=1)

    def layer_of(self, z_m) -> np.ndarray:
        """Index of the layer whose band holds altitude ``z_m`` (metres); -1 outside ``[0, ceiling]``."""
        z = np.asarray(z_m, dtype=np.float64)
        bands = self.layer_bands_m
        index = np.searchsorted(bands[:, 1], z, side="left")
        inside = (z >= 0) & (z <= self.ceiling_m)
        return np.where(inside, np.minimum(index, self.nz - 1), -1)

    def cell_of(self, x_m, y_m, z_m=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell indices ``(k, j, i)`` holding world points; -1 on any axis outside the grid.

        Parameters
        ----------
        x_m, y_m : array_like
            Local frame, metres.
        z_m : array_like, optional
            Altitude in metres; without it ``k`` is 0.
        """
        x0, y0 = self.origin_m
        x = np.asarray(x_m, dtype=np.float64)
        y = np.asarray(y_m, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            i = np.floor((x - x0) / self.cell_size_m)
            j = np.floor((y - y0) / self.cell_size_m)
        i = np.where(np.isfinite(i) & (i >= 0) & (i < self.nx), i, -1).astype(np.int64)
        j = np.where(np.isfinite(j) & (j >= 0) & (j < self.ny), j, -1).astype(np.int64)
        k = np.zeros_like(i) if z_m is None else self.layer_of(z_m).astype(np.int64)
        return np.broadcast_arrays(k, j, i)  # type: ignore[return-value]

    def cell_centre(self, k, j, i) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World coordinates ``(x, y, z)`` in metres of cell centres (layer altitude for z)."""
        x0, y0 = self.origin_m
        x = x0 + (np.asarray(i, dtype=np.float64) + 0.5) * self.cell_size_m
        y = y0 + (np.asarray(j, dtype=np.float64) + 0.5) * self.cell_size_m
        z = np.asarray(self.layers_m)[np.asarray(k, dtype=np.int64)]
        return np.broadcast_arrays(x, y, z)  # type: ignore[return-value]

    def contains_xy(self, x_m, y_m) -> np.ndarray:
        """Whether world points (metres) lie inside the grid's horizontal extent."""
        xmin, ymin, xmax, ymax = self.bounds_m
        x = np.asarray(x_m, dtype=np.float64)
        y = np.asarray(y_m, dtype=np.float64)
        return (x >= xmin) & (x < xmax) & (y >= ymin) & (y < ymax)

    # ----------------------------------------------------------------- time
    @property
    def temporary_zones(self) -> tuple[NoFlyZone, ...]:
        """The zones with an active window, in zone order."""
        return tuple(zone for zone in self.zones if zone.is_temporary)

    def active_zones(self, t_s: float) -> tuple[NoFlyZone, ...]:
        """Zones in force at time ``t_s`` (seconds): all permanent ones and active temporary ones."""
        return tuple(zone for zone in self.zones if zone.active_at(t_s))

    def blocked_at(self, t_s: float) -> np.ndarray:
        """Blocked cells at time ``t_s`` (seconds): `blocked` plus the active temporary zones.

        Costs what the active zones cover (plus one copy of the grid when any is active);
        with none active it returns `blocked` itself (read-only).
        """
        active = [
            mask for mask in self.temporary_masks if self.zones[mask.zone_index].active_at(t_s)
        ]
        if not active:
            return self.blocked
        blocked = self.blocked.copy()
        plane = self.ny * self.nx
        flat = blocked.reshape(-1)
        for mask in active:
            flat[(mask.layers[:, None] * plane + mask.flat_cells[None, :]).reshape(-1)] = 1
        return blocked

    def zones_at(
        self, x_m: float, y_m: float, z_m: float, t_s: float | None = None
    ) -> tuple[NoFlyZone, ...]:
        """Zones whose buffered volume holds the point (metres), active at ``t_s`` if given."""
        point = shapely.Point(x_m, y_m)
        return tuple(
            zone
            for zone in self.zones
            if (t_s is None or zone.active_at(t_s))
            and zone.floor_m <= z_m <= zone.ceiling_m
            and zone.keep_out.intersects(point)
        )

    # ----------------------------------------------------------------- variants
    def replace(self, **changes: Any) -> Airspace:
        """A copy with some fields changed, validated again.

        Rasters are rebuilt only when a field they depend on changes, so e.g.
        ``replace(cost=...)`` is cheap.
        """
        unknown = set(changes) - {f.name for f in dataclasses.fields(self) if f.init}
        if unknown:
            raise ValueError(f"replace: unknown field(s) {', '.join(sorted(unknown))}")
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        fields.update(changes)
        new = object.__new__(Airspace)
        for name, value in fields.items():
            object.__setattr__(new, name, value)
        if not any(name in _RASTER_INPUTS for name in changes):
            object.__setattr__(new, "blocked", self.blocked)
            object.__setattr__(new, "temporary_masks", self.temporary_masks)
        new.__post_init__()
        return new

    @classmethod
    def from_grid(cls, blocked, cell_size_m: float = 1.0, **kwargs: Any) -> Airspace:
        """Wrap a plain occupancy grid (2D ``(ny, nx)`` or 3D ``(nz, ny, nx)``).

        Layers are stacked one cell apart (``(k + 0.5) * cell_size_m``) under a ceiling at
        ``nz * cell_size_m``, so a voxel map keeps cubic cells. Origin is (0, 0).

        Parameters
        ----------
        blocked : array_like
            Non-zero where blocked.
        cell_size_m : float
            Side of a cell in metres.
        **kwargs
            Other `Airspace` fields (e.g. ``cost``).
        """
        grid = np.asarray(blocked)
        if grid.ndim == 2:
            grid = grid[None]
        if grid.ndim != 3:
            raise ValueError(f"blocked must be 2D or 3D, got shape {grid.shape}")
        nz, ny, nx = grid.shape
        kwargs.setdefault("layers_m", tuple((k + 0.5) * cell_size_m for k in range(nz)))
        kwargs.setdefault("ceiling_m", nz * cell_size_m)
        kwargs.setdefault("origin_m", (0.0, 0.0))
        return cls(cell_size_m=cell_size_m, nx=nx, ny=ny, obstacles=grid, **kwargs)

    # ----------------------------------------------------------------- reporting
    def summary(self) -> dict[str, Any]:
        """Plain-data description: size, layers, blocked share per layer, zones, depots."""
        xmin, ymin, xmax, ymax = self.bounds_m
        return {
            "origin_m": list(self.origin_m),
            "size_m": [xmax - xmin, ymax - ymin],
            "cell_size_m": self.cell_size_m,
            "shape": list(self.shape),
            "cells": int(np.prod(self.shape)),
            "layers_m": list(self.layers_m),
            "ceiling_m": self.ceiling_m,
            "blocked_share": [float(layer.mean()) for layer in self.blocked],
            "buildings": len(self.buildings),
            "zones": [
                {
                    "name": zone.name,
                    "kind": zone.kind,
                    "floor_m": zone.floor_m,
                    "ceiling_m": zone.ceiling_m,
                    "buffer_m": zone.buffer_m,
                    "active_from_s": zone.active_from_s,
                    "active_until_s": zone.active_until_s,
                    "area_m2": float(zone.geometry.area),
                }
                for zone in self.zones
            ],
            "depots": [
                {"name": d.name, "x_m": d.x_m, "y_m": d.y_m, "pads": d.pads} for d in self.depots
            ],
            "base_stations": len(self.base_stations),
            "cost_range": [float(self.cost.min()), float(self.cost.max())],
            "origin_lonlat": list(self.origin_lonlat) if self.origin_lonlat else None,
        }


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _rasterize(airspace: Airspace) -> tuple[np.ndarray, tuple[TemporaryMask, ...]]:
    nz, ny, nx = airspace.shape
    grid = (airspace.origin_m, airspace.cell_size_m, nx, ny)
    blocked = np.zeros((nz, ny, nx), dtype=np.uint8)
    if airspace.obstacles is not None:
        blocked |= airspace.obstacles
    layers = np.asarray(airspace.layers_m)

    buildings = airspace.buildings
    if len(buildings):
        grown = conservative_buffer(buildings.footprints, airspace.horizontal_clearance_m)
        owner, rows, cols = touched_cells(grown, *grid)
        # Layers at or below roof + clearance: a count per building, since layers increase.
        blocked_layers = np.searchsorted(
            layers, buildings.heights_m + airspace.vertical_clearance_m, side="right"
        )
        reach = blocked_layers[owner]
        for k in range(nz):
            hit = reach > k
            blocked[k, rows[hit], cols[hit]] = 1

    masks: list[TemporaryMask] = []
    zones = airspace.zones
    if zones:
        bands = airspace.layer_bands_m
        owner, rows, cols = touched_cells([zone.keep_out for zone in zones], *grid)
        order = np.argsort(owner, kind="stable")
        flat_cells = (rows * nx + cols)[order]
        bounds = np.searchsorted(owner[order], np.arange(len(zones) + 1))
        for index, zone in enumerate(zones):
            zone_layers = np.flatnonzero([zone.overlaps_band(low, high) for low, high in bands])
            # A zone's interior cells come out of `touched_cells` in row-major (ascending)
            # order, followed by its boundary cells: a stable (merge) sort of that is
            # nearly linear, ten times faster than np.unique's; same sorted unique cells.
            cells = np.sort(flat_cells[bounds[index] : bounds[index + 1]], kind="stable")
            cells = cells[np.r_[True, cells[1:] != cells[:-1]]]
            if zone.is_temporary:
                masks.append(TemporaryMask(index, zone_layers, cells))
            else:
                for k in zone_layers:
                    blocked[k].reshape(-1)[cells] = 1
    return blocked, tuple(masks)
