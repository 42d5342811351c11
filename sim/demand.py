"""Orders: a non-homogeneous Poisson process over the day at the city's demand hotspots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dronesim.maps import Airspace, City
from dronesim.maps.errors import InputError
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
    then a Gaussian point of its radius, redrawn until the column above it is free of
    buildings and permanent zones up to ``top_layer`` (a drone must be able to descend
    there); without hotspots, a uniform free point. Pickups are at the depot nearest the
    drop-off. Weights are log-normal, capped at ``weight_max_kg``.
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
    free_cells = np.argwhere(free_column)
    if len(free_cells) == 0:
        raise InputError(
            "demand: no free column to deliver to (buildings or zones cover every cell up to the cruise layers)"
        )
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
                j, i = free_cells[rng.integers(len(free_cells))]
                x, y, _ = airspace.cell_centre(0, j, i)
            _, j, i = airspace.cell_of(x, y)
            if i >= 0 and j >= 0 and free_column[j, i]:
                out[index] = (x, y)
                break
        else:
            j, i = free_cells[rng.integers(len(free_cells))]
            x, y, _ = airspace.cell_centre(0, j, i)
            out[index] = (x, y)
    return out
