"""The service area at checkout: which orders the fleet can fly at all, decided on arrival.

An operator refuses an order it cannot fly when it is placed, rather than accept it and
let it expire. An order is *reachable* when some depot that could serve it, with a drone
on the ground there and a full battery, can fly the whole trip and land at the depot
cheapest to reach from the drop-off with at least the reserve left
(``DroneModel.reserve_wh``). The trip is the dispatcher's own estimate
(`planners.fleet.trip_estimates`): climb to the cruise altitude, cruise loaded (straight
line x the dispatcher's detour factor, at the cruise ground speed, in the wind), descend
to the hand-over height, hover the service time, climb, and fly home empty. An order
the dispatcher would never assign from a full battery is therefore exactly one refused
here, and none it would assign is refused.

Outcomes, per order (`ACCEPTED`, `OUTSIDE_SERVICE_AREA`, `OVER_PAYLOAD`): the payload
check comes first (a parcel heavier than every aircraft type may carry), then reach.

The wind is a *forecast*: a function of creation time and drop-off point (`WindForecast`);
`steady_wind` is one constant vector, `field_forecast` the run's wind field's hourly forecast. Orders are grouped by their forecast
wind, one estimate per group and serving depot, so the cost is a few compiled passes over
the orders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
from dronesim.planners.energy import DroneModel
from dronesim.planners.fleet import DepotState, FleetState, OrderBatch, TravelModel, trip_estimates

ACCEPTED = 0
OUTSIDE_SERVICE_AREA = 1
OVER_PAYLOAD = 2

# (creation times (n,) s, drop-off points (n, 2) m) -> wind (n, 2) towards (east, north), m/s.
WindForecast = Callable[[np.ndarray, np.ndarray], np.ndarray]


def steady_wind(wind_mps: tuple[float, float]) -> WindForecast:
    """A forecast of one constant wind vector (towards east, towards north; m/s)."""
    vector = np.asarray(wind_mps, dtype=np.float64).reshape(2)

    def forecast(t_s: np.ndarray, xy_m: np.ndarray) -> np.ndarray:
        return np.broadcast_to(vector, (len(t_s), 2))

    return forecast


def field_forecast(field, z_m: float) -> WindForecast:
    """A forecast from a `planners.wind.WindField`: the dispatcher's forecast (the mean
    over the field's cells at height ``z_m``, metres) at the whole hour of the run's clock
    nearest each order's creation, so that orders fall into at most one group per hour."""

    def forecast(t_s: np.ndarray, xy_m: np.ndarray) -> np.ndarray:
        hours = np.round(np.asarray(t_s, np.float64) / 3600.0) * 3600.0
        known = {h: field.forecast(h, z_m) for h in np.unique(hours).tolist()}
        return np.array([known[h] for h in hours.tolist()], np.float64).reshape(-1, 2)

    return forecast


def check_orders(
    created_s: np.ndarray,
    dropoff_xy: np.ndarray,
    weight_kg: np.ndarray,
    serving_depot: np.ndarray,
    depots_xy: np.ndarray,
    models: Sequence[DroneModel],
    travel: TravelModel,
    wind: WindForecast,
    pickup_xy: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Checkout outcome of every order, and the energy of its trip.

    Parameters
    ----------
    created_s : numpy.ndarray, shape (n,)
        Creation times, seconds (what the wind forecast is asked for).
    dropoff_xy : numpy.ndarray, shape (n, 2)
        Drop-off points, metres.
    weight_kg : numpy.ndarray, shape (n,)
        Parcel weights, kilograms.
    serving_depot : numpy.ndarray, shape (n,) of int, or (n, k) of bool
        The depot each order is picked up at, or a mask of every depot that could serve
        it (the order is reachable if any of them reaches it).
    depots_xy : numpy.ndarray, shape (k, 2)
        Depot positions, metres; a drone may land at any of them after the drop-off.
    models : sequence of DroneModel
        The aircraft types flying (an order is reachable if one of them reaches it, and
        over the payload limit if it is over every type's ``max_payload_kg``).
    travel : TravelModel
        The dispatcher's trip estimate (detour factor, cruise altitude, pickup time); its
        wind is replaced by the forecast's.
    wind : WindForecast
        Wind at each order's creation time and drop-off point.
    pickup_xy : numpy.ndarray, shape (n, 2), optional
        Where each parcel is picked up when it is not at the serving depot (a merchant's
        pad, ``pickup = "merchant"``), metres: the trip then flies from the depot to it,
        lands and loads, and flies on to the drop-off. Default: at the serving depot.

    Returns
    -------
    outcome : numpy.ndarray of int8, shape (n,)
        `ACCEPTED`, `OUTSIDE_SERVICE_AREA` or `OVER_PAYLOAD` per order.
    trip_wh : numpy.ndarray, shape (n,)
        The estimated energy of the order's trip from the first serving depot and type
        that reach it (lift-off at the depot to landing after the drop-off), watt-hours;
        ``inf`` for an order refused.
    """
    dropoff_xy = np.ascontiguousarray(dropoff_xy, dtype=np.float64).reshape(-1, 2)
    n = dropoff_xy.shape[0]
    weight_kg = np.asarray(weight_kg, dtype=np.float64).reshape(n)
    depots_xy = np.ascontiguousarray(depots_xy, dtype=np.float64).reshape(-1, 2)
    k = depots_xy.shape[0]
    serving = np.asarray(serving_depot)
    if serving.ndim == 1:
        mask = np.zeros((n, k), bool)
        mask[np.arange(n), serving.astype(np.int64)] = True
    else:
        mask = serving.astype(bool).reshape(n, k)
    outcome = np.full(n, OUTSIDE_SERVICE_AREA, np.int8)
    trip_wh = np.full(n, np.inf)
    if n == 0:
        return outcome, trip_wh
    heaviest = max(model.max_payload_kg for model in models)
    over = weight_kg > heaviest + 1e-9
    outcome[over] = OVER_PAYLOAD
    winds = np.asarray(wind(np.asarray(created_s, np.float64), dropoff_xy), np.float64)
    unique, group = np.unique(winds.reshape(n, 2), axis=0, return_inverse=True)
    group = group.reshape(n)
    depots = DepotState(depots_xy, np.ones(k, np.int64))
    reached = np.zeros(n, bool)
    for g, vector in enumerate(unique):
        in_group = (group == g) & ~over
        if not in_group.any():
            continue
        travel_g = dataclasses.replace(travel, wind_mps=(float(vector[0]), float(vector[1])))
        for depot in range(k):
            rows = np.flatnonzero(in_group & mask[:, depot] & ~reached)
            if len(rows) == 0:
                continue
            for model in models:
                # One drone standing at the depot with a full battery; the parcel is
                # picked up there (or at its own pickup point).
                fleet = FleetState(
                    np.array([[depots_xy[depot, 0], depots_xy[depot, 1], 0.0]]),
                    np.zeros(1),
                    np.array([model.battery_wh]),
                    np.ones(1, bool),
                )
                batch = OrderBatch(
                    np.broadcast_to(depots_xy[depot], (len(rows), 2))
                    if pickup_xy is None
                    else np.asarray(pickup_xy, np.float64)[rows],
                    dropoff_xy[rows],
                    weight_kg[rows],
                    np.zeros(len(rows)),
                    np.zeros(len(rows)),
                )
                estimate = trip_estimates(fleet, batch, depots, model, travel_g, 0.0)
                ok = np.isfinite(estimate.cost[0])
                reached[rows[ok]] = True
                trip_wh[rows[ok]] = estimate.energy_wh[0, ok]
                rows = rows[~reached[rows]]
                if len(rows) == 0:
                    break
    outcome[reached] = ACCEPTED
    return outcome, trip_wh


__all__ = [
    "ACCEPTED",
    "OUTSIDE_SERVICE_AREA",
    "OVER_PAYLOAD",
    "WindForecast",
    "check_orders",
    "field_forecast",
    "steady_wind",
]
