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
from dronesim.sim.scenario import HOURS, DemandSpec

# Hour-of-day multipliers: offices order at lunch, homes in the evening.
_COMMERCIAL_PEAK = set(range(11, 15))
_RESIDENTIAL_PEAK = set(range(17, 22))
_PEAK_FACTOR = 1.6
# Points drawn per hotspot to estimate which depot's catchment its orders fall in.
SHARE_SAMPLES_PER_HOTSPOT = 2000


@dataclass
class Orders:
    """All orders of a run, sorted by creation time (arrays indexed by order id)."""

    created_s: np.ndarray
    deadline_s: np.ndarray
    pickup_xy: np.ndarray
    dropoff_xy: np.ndarray
    weight_kg: np.ndarray
    pickup_depot: np.ndarray
    # The depot nearest each drop-off: where the order's demand is counted (forecast,
    # per-depot tables), whichever depot the parcel is picked up at.
    nearest_depot: np.ndarray | None = None
    # The merchant (hotspot index) each order is picked up at (``pickup = "merchant"``:
    # ``pickup_xy`` is then that merchant's pad), -1 for a pickup at a depot.
    merchant: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.nearest_depot is None:
            self.nearest_depot = np.array(self.pickup_depot, np.int64, copy=True)
        if self.merchant is None:
            self.merchant = np.full(self.created_s.shape[0], -1, np.int64)

    def __len__(self) -> int:
        return int(self.created_s.shape[0])


def generate_orders(
    spec: DemandSpec,
    city: City,
    airspace: Airspace,
    duration_s: float,
    top_layer: int,
    rng: np.random.Generator,
    merchant_xy: np.ndarray | None = None,
) -> Orders:
    """Draw the run's orders.

    Arrivals: for each hour-of-day slice of ``[0, duration_s)`` a Poisson count with the
    slice's rate (``orders_per_hour x scale``), uniform times within it. Drop-offs: a
    hotspot (weighted, commercial ones more at lunch and residential ones in the evening),
    then a Gaussian point of its radius, redrawn until it lies on open ground (see the
    module docstring: the column above it free up to ``top_layer``, and outside every
    building volume reaching the hand-over height); after 200 draws, or without
    hotspots, the centre of a uniformly drawn open cell. Pickups are at the depot
    nearest the drop-off; with ``pickup = "merchant"`` an order drawn at a hotspot is
    picked up at that hotspot's merchant pad (`merchant_pads`), its ``pickup_depot`` the
    depot nearest the pad (the depot that stands for it in dispatch regions, per-depot
    tables and forecasts), and ``nearest_depot`` stays the depot nearest the drop-off.
    The merchant mode draws nothing more: the same seed gives the same drop-offs, times
    and weights in every mode. Weights are log-normal, capped at ``weight_max_kg``.

    ``merchant_xy`` (shape ``(hotspots, 2)``, metres) gives the merchant pads when the
    caller has them already (default: `merchant_pads`).

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
    dropoff, spot = _dropoffs(city, airspace, free_column, hours, rng)
    depots = np.array([[d.x_m, d.y_m] for d in airspace.depots])
    nearest = _nearest_depot(depots, dropoff)
    pickup_xy = depots[nearest] if n else np.empty((0, 2))
    pickup_depot = nearest.astype(np.int64)
    merchant = np.full(n, -1, np.int64)
    if spec.pickup == "merchant" and n:
        pads = merchant_pads(city, airspace, top_layer) if merchant_xy is None else merchant_xy
        merchant = spot
        at_merchant = merchant >= 0
        pickup_xy = pickup_xy.copy()
        pickup_xy[at_merchant] = pads[merchant[at_merchant]]
        pickup_depot = pickup_depot.copy()
        pickup_depot[at_merchant] = _nearest_depot(depots, pads)[merchant[at_merchant]]
    weight = np.clip(
        spec.weight_median_kg * np.exp(rng.normal(0.0, spec.weight_sigma, n)),
        0.05,
        spec.weight_max_kg,
    )
    return Orders(
        created_s=created,
        deadline_s=created + spec.deadline_s,
        pickup_xy=pickup_xy,
        dropoff_xy=dropoff,
        weight_kg=weight,
        pickup_depot=pickup_depot,
        nearest_depot=nearest.astype(np.int64),
        merchant=merchant,
    )


def _nearest_depot(depots: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the depot nearest each point (``(n, 2)`` metres; ties: the lowest)."""
    if len(points) == 0:
        return np.empty(0, np.int64)
    distance = np.hypot(
        points[:, None, 0] - depots[None, :, 0], points[:, None, 1] - depots[None, :, 1]
    )
    return np.argmin(distance, axis=1).astype(np.int64)


def merchant_pads(city: City, airspace: Airspace, top_layer: int) -> np.ndarray:
    """The pad of each hotspot's merchant (``pickup = "merchant"``): the point on open
    ground nearest the hotspot's centre, by the drop-offs' rule (the column free up to
    ``top_layer``, outside every building volume reaching the hand-over height): the
    centre itself when it is open ground, else the nearest centre of a cell that is.

    Parameters
    ----------
    city : City
        Its hotspots, in order.
    airspace : Airspace
        Blocked cells and buildings.
    top_layer : int
        Highest cruise layer used.

    Returns
    -------
    numpy.ndarray, shape (hotspots, 2)
        Pad positions, metres (one per hotspot, in the hotspots' order).

    Raises
    ------
    InputError
        When the map has no open ground.
    """
    hotspots = city.hotspots
    out = np.empty((len(hotspots), 2))
    if not hotspots:
        return out
    free_column = ~airspace.blocked[: top_layer + 1].any(axis=0)
    on_open_ground = _open_ground(airspace, free_column, *_reaching_handover(airspace), city.land)
    cells = np.argwhere(free_column)
    x, y, _ = airspace.cell_centre(0, cells[:, 0], cells[:, 1])
    centres = np.c_[x, y].reshape(-1, 2)
    centres = centres[on_open_ground(centres)] if len(centres) else centres
    for k, spot in enumerate(hotspots):
        centre = np.array([[float(spot.x_m), float(spot.y_m)]])
        if on_open_ground(centre)[0]:
            out[k] = centre[0]
            continue
        if len(centres) == 0:
            raise InputError("demand.pickup: no open ground for a merchant pad")
        # Nearest (ties: the lowest row, then column: `np.argwhere` order).
        out[k] = centres[np.argmin(np.hypot(*(centres - centre[0]).T))]
    return out


def _dropoffs(
    city: City,
    airspace: Airspace,
    free_column: np.ndarray,
    hours: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Drop-off points ``(n, 2)`` metres, and the hotspot each was drawn at (-1: a
    uniformly drawn open cell)."""
    n = hours.shape[0]
    out = np.empty((n, 2))
    spot_of = np.full(n, -1, np.int64)
    hotspots = city.hotspots
    volumes, low = _reaching_handover(airspace)
    # Open cells: free column, and no such building touches the cell's square (so its
    # centre is on open ground).
    open_cell = free_column.copy()
    _, rows, cols = touched_cells(
        volumes.keep_out[low], airspace.origin_m, airspace.cell_size_m, airspace.nx, airspace.ny
    )
    open_cell[rows, cols] = False
    open_cells = np.argwhere(open_cell)
    if city.land and len(open_cells):
        x, y, _ = airspace.cell_centre(0, open_cells[:, 0], open_cells[:, 1])
        ground = shapely.union_all(list(city.land))
        open_cells = open_cells[shapely.intersects_xy(ground, np.ravel(x), np.ravel(y))]
    if len(open_cells) == 0:
        raise InputError(
            "demand: no open ground to deliver to (every column is blocked or under a "
            "building, or off the map's land)"
        )
    on_open_ground = _open_ground(airspace, free_column, volumes, low, city.land)

    def open_ground(x: float, y: float) -> bool:
        return bool(on_open_ground(np.array([[x, y]]))[0])

    for index in range(n):
        for _ in range(200):
            if hotspots:
                weights = hotspot_weights(hotspots, int(hours[index]))
                which = rng.choice(len(hotspots), p=weights / weights.sum())
                spot = hotspots[which]
                x, y = rng.normal((spot.x_m, spot.y_m), spot.radius_m)
            else:
                which = -1
                j, i = open_cells[rng.integers(len(open_cells))]
                x, y, _ = airspace.cell_centre(0, j, i)
            if open_ground(x, y):
                out[index] = (x, y)
                spot_of[index] = which
                break
        else:
            j, i = open_cells[rng.integers(len(open_cells))]
            x, y, _ = airspace.cell_centre(0, j, i)
            out[index] = (x, y)
    return out, spot_of


def _reaching_handover(airspace: Airspace):
    """The buildings' clearance volumes, and the indices of those a drone hovering at the
    hand-over height would be inside (the drop-offs' rule)."""
    volumes = building_volumes(
        airspace.buildings, airspace.horizontal_clearance_m, airspace.vertical_clearance_m
    )
    return volumes, np.flatnonzero(volumes.top_m >= HANDOVER_HEIGHT_M)


def _open_ground(airspace: Airspace, free_column: np.ndarray, volumes, low: np.ndarray, land=()):
    """A test of points (``(n, 2)`` metres -> ``(n,)`` bool) for a drop-off's ground: the
    column free, outside every building volume reaching the hand-over height, and on the
    city's ``land`` when it names any (`City.land`; boundary included)."""
    reaching = np.zeros(len(airspace.buildings), bool)
    reaching[low] = True
    ground = None
    if land:
        ground = shapely.union_all(list(land))
        shapely.prepare(ground)

    def test(points: np.ndarray) -> np.ndarray:
        _, j, i = airspace.cell_of(points[:, 0], points[:, 1])
        j, i = np.asarray(j), np.asarray(i)
        ok = (i >= 0) & (j >= 0)
        ok[ok] = free_column[j[ok], i[ok]]
        if ground is not None and ok.any():
            ok[ok] = shapely.intersects_xy(ground, points[ok, 0], points[ok, 1])
        if ok.any() and len(volumes.tree.geometries):
            inside = np.flatnonzero(ok)
            which, hits = volumes.tree.query(shapely.points(points[inside]), predicate="intersects")
            ok[inside[np.unique(which[reaching[hits]])]] = False
        return ok

    return test


def hotspot_weights(hotspots, hour: int) -> np.ndarray:
    """Each hotspot's weight at ``hour`` of the day (0-23): its own weight, times
    `_PEAK_FACTOR` for commercial hotspots at lunch and residential ones in the evening."""
    return np.array(
        [
            spot.weight
            * (
                _PEAK_FACTOR
                if (spot.category == "commercial" and hour in _COMMERCIAL_PEAK)
                or (spot.category == "residential" and hour in _RESIDENTIAL_PEAK)
                else 1.0
            )
            for spot in hotspots
        ]
    )


def expected_depot_shares(
    spec: DemandSpec, city: City, airspace: Airspace, top_layer: int, seed: int
) -> np.ndarray:
    """The share of a day's orders whose drop-off lies nearest each depot.

    The demand model's hotspot mixture, each hour weighted by its order rate: every hotspot
    is sampled (``SHARE_SAMPLES_PER_HOTSPOT`` Gaussian points of its radius, from a stream
    of its own so that the run's orders are not changed), each point counted at its nearest
    depot. A point off open ground is redrawn from a hotspot drawn anew, as the generator
    does, so each hotspot counts in proportion to its weight times the share of its points
    that are kept. Without hotspots, orders fall on open
    cells uniformly: each depot's share is the share of open columns nearest it (on the
    city's land, when it has any).

    Parameters
    ----------
    spec : DemandSpec
        Hourly rates (the weights of the hours) and the clock.
    city : City
        Hotspots.
    airspace : Airspace
        Depots and, without hotspots, the open columns.
    top_layer : int
        Highest cruise layer used (an open column is free up to it).
    seed : int
        Seed of the sampling stream.

    Returns
    -------
    numpy.ndarray, shape (k,)
        Shares per depot (sum 1).
    """
    depots = np.array([[d.x_m, d.y_m] for d in airspace.depots])
    k = len(depots)
    hotspots = city.hotspots
    if not hotspots:
        free = np.argwhere(~airspace.blocked[: top_layer + 1].any(axis=0))
        if len(free) == 0:
            return np.full(k, 1.0 / k)
        xy = np.array([airspace.cell_centre(0, j, i)[:2] for j, i in free])
        if city.land:
            xy = xy[shapely.intersects_xy(shapely.union_all(list(city.land)), *xy.T)]
            if len(xy) == 0:
                return np.full(k, 1.0 / k)
        counts = np.bincount(_nearest_depot(depots, xy), minlength=k).astype(float)
        return counts / counts.sum()
    free_column = ~airspace.blocked[: top_layer + 1].any(axis=0)
    on_open_ground = _open_ground(airspace, free_column, *_reaching_handover(airspace), city.land)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5A4E]))
    # catchment[s, d]: the chance that a point drawn at hotspot s is kept (open ground)
    # and lies nearest depot d. A rejected point is redrawn from a hotspot drawn anew
    # (`_dropoffs`), so a hotspot's orders are in proportion to weight x kept share.
    catchment = np.zeros((len(hotspots), k))
    for s, spot in enumerate(hotspots):
        points = rng.normal(
            (spot.x_m, spot.y_m), spot.radius_m, size=(SHARE_SAMPLES_PER_HOTSPOT, 2)
        )
        kept = on_open_ground(points)
        catchment[s] = (
            np.bincount(_nearest_depot(depots, points[kept]), minlength=k)
            / SHARE_SAMPLES_PER_HOTSPOT
        )
    share = np.zeros(k)
    for hour in range(HOURS):
        mix = hotspot_weights(hotspots, hour) @ catchment  # proportional to the hour's shares
        if mix.sum() > 0:
            share += spec.orders_per_hour[hour] * mix / mix.sum()
    total = share.sum()
    return share / total if total > 0 else np.full(k, 1.0 / k)
