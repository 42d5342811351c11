"""Orders: a non-homogeneous Poisson process over the day at the city's demand hotspots.

Drop-off points lie on open ground. A drone hands a parcel over by descending vertically
from its cruise layer to `HANDOVER_HEIGHT_M` and hovering there while it winches the
parcel down, so the point must have a column free of blocked cells up to the highest
cruise layer (no building or permanent zone blocks it there) and must lie outside every
building volume that reaches the hand-over height: the footprint grown by the horizontal
clearance, up to roof + vertical clearance (`sim.audit.building_volumes`, the geometry
the planners and the engine's audit use). Rooftop drops were the alternative; they are
not used, because a customer's parcel is handed over at ground level, every roof would
need its own hand-over height, and the fleet kernels' energy estimates assume one.

A point drawn on a building is drawn again from the same stream (the demand
generator), so the same seed gives the same orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from dronesim.maps import Airspace, City
from dronesim.maps.errors import InputError
from dronesim.maps.raster import touched_cells
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.sim.audit import building_volumes
from dronesim.sim.scenario import DemandSpec

# Hour-of-day multipliers: offices order at lunch, homes in the evening.
_COMMERCIAL_PEAK = set(range(11, 15))
_RESIDENTIAL_PEAK = set(range(17, 22))


@dataclass
class Orders:
    """All orders of a run, sorted by creation time (arrays indexed by order id)."""

    created_s: np.ndarray
    deadline_s: np.ndarray
    pickup_xy: np.ndarray
    dropoff_xy: np.ndarray
    weight_kg: np.ndarray
    pickup_depot: np.ndarray

    def __len__(self) -> int:
        return int(self.created_s.shape[0])


def generate_orders(
    spec: DemandSpec,
    city: City,
    airspace: Airspace,
    duration_s: float,
    top_layer: int,
    rng: np.random.Generator,
) -> Orders:
    """Draw the run's orders.

    Arrivals: for each hour-of-day slice of ``[0, duration_s)`` a Poisson count with the
    slice's rate (``orders_per_hour x scale``), uniform times within it. Drop-offs: a
    hotspot (weighted, commercial ones more at lunch and residential ones in the evening),
    then a Gaussian point of its radius, redrawn until it lies on open ground (see the
    module docstring: the column above it free up to ``top_layer``, and outside every
    building volume reaching the hand-over height); after 200 draws, or without
    hotspots, the centre of a uniformly drawn open cell. Pickups are at the depot
    nearest the drop-off. Weights are log-normal, capped at ``weight_max_kg``.

    Raises
    ------
    InputError
        When the map has no open ground to deliver to.
    """
    times = []
    start = spec.start_hour * 3600.0
    edge = 0.0
    while edge < duration_s:
        hour = int(((start + edge) // 3600.0) % 24)
        slice_end = min(duration_s, (np.floor((start + edge) / 3600.0) + 1) * 3600.0 - start)
        rate = spec.orders_per_hour[hour] * spec.scale / 3600.0
        count = rng.poisson(rate * (slice_end - edge))
        times.append(np.sort(rng.uniform(edge, slice_end, count)))
        edge = slice_end
    created = np.concatenate(times) if times else np.empty(0)
    n = created.shape[0]
    hours = (((start + created) // 3600.0) % 24).astype(int)
    free_column = ~airspace.blocked[: top_layer + 1].any(axis=0)
    dropoff = _dropoffs(city, airspace, free_column, hours, rng)
    depots = np.array([[d.x_m, d.y_m] for d in airspace.depots])
    nearest = (
        np.argmin(
            np.hypot(
                dropoff[:, None, 0] - depots[None, :, 0], dropoff[:, None, 1] - depots[None, :, 1]
            ),
            axis=1,
        )
        if n
        else np.empty(0, int)
    )
    weight = np.clip(
        spec.weight_median_kg * np.exp(rng.normal(0.0, spec.weight_sigma, n)),
        0.05,
        spec.weight_max_kg,
    )
    return Orders(
        created_s=created,
        deadline_s=created + spec.deadline_s,
        pickup_xy=depots[nearest] if n else np.empty((0, 2)),
        dropoff_xy=dropoff,
        weight_kg=weight,
        pickup_depot=nearest.astype(np.int64),
    )


def _dropoffs(
    city: City,
    airspace: Airspace,
    free_column: np.ndarray,
    hours: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    n = hours.shape[0]
    out = np.empty((n, 2))
    hotspots = city.hotspots
    volumes = building_volumes(
        airspace.buildings, airspace.horizontal_clearance_m, airspace.vertical_clearance_m
    )
    # Buildings a hovering drone at the hand-over height would be inside.
    low = np.flatnonzero(volumes.top_m >= HANDOVER_HEIGHT_M)
    # Open cells: free column, and no such building touches the cell's square (so its
    # centre is on open ground).
    open_cell = free_column.copy()
    _, rows, cols = touched_cells(
        volumes.keep_out[low], airspace.origin_m, airspace.cell_size_m, airspace.nx, airspace.ny
    )
    open_cell[rows, cols] = False
    open_cells = np.argwhere(open_cell)
    if len(open_cells) == 0:
        raise InputError(
            "demand: no open ground to deliver to (every column is blocked or under a building)"
        )
    reaching = np.zeros(len(airspace.buildings), bool)
    reaching[low] = True

    def open_ground(x: float, y: float) -> bool:
        _, j, i = airspace.cell_of(x, y)
        if i < 0 or j < 0 or not free_column[j, i]:
            return False
        hits = volumes.tree.query(shapely.Point(x, y), predicate="intersects")
        return not reaching[hits].any()

    for index in range(n):
        for _ in range(200):
            if hotspots:
                weights = np.array(
                    [
                        spot.weight
                        * (
                            1.6
                            if (spot.category == "commercial" and hours[index] in _COMMERCIAL_PEAK)
                            or (
                                spot.category == "residential" and hours[index] in _RESIDENTIAL_PEAK
                            )
                            else 1.0
                        )
                        for spot in hotspots
                    ]
                )
                spot = hotspots[rng.choice(len(hotspots), p=weights / weights.sum())]
                x, y = rng.normal((spot.x_m, spot.y_m), spot.radius_m)
            else:
                j, i = open_cells[rng.integers(len(open_cells))]
                x, y, _ = airspace.cell_centre(0, j, i)
            if open_ground(x, y):
                out[index] = (x, y)
                break
        else:
            j, i = open_cells[rng.integers(len(open_cells))]
            x, y, _ = airspace.cell_centre(0, j, i)
            out[index] = (x, y)
    return out
