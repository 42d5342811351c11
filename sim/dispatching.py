"""The dispatch adapter: from the engine's fleet and order state to `planners.fleet`, and
back to one decision per drone.

Each dispatch round the engine gives the drones that may take work and the open orders;
the adapter builds the planners' inputs (`FleetState`, `OrderBatch`, `DepotState`), runs
the scenario's dispatch policy and, when asked, rebalancing, and returns `Decision`s for
the engine to carry out. Large fleets are dispatched region by region: groups of
neighbouring depots holding about `REGION_DRONES` drones (an order belongs to the region
of its pickup depot), so a round costs in proportion to the fleet, not its square;
rebalancing then moves idle drones between all depots.

A mixed fleet (several aircraft types) is dispatched type by type within each region, in
the scenario's order of types: each type's round runs the policy with that type's model
(payload limit, battery, reserve, speeds, so only feasible drone-order pairs are
assigned) on the orders the types before it left unassigned; rebalancing moves each
type towards its share of the forecast. One type: exactly the single-model dispatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from dronesim.planners import _fleet_kernels as F
from dronesim.planners.energy import DroneModel
from dronesim.planners.fleet import (
    DepotState,
    DispatchPlan,
    FleetState,
    OrderBatch,
    TravelModel,
    dispatch,
    rebalance,
)
from dronesim.sim.demand import Orders
from dronesim.sim.scenario import DemandSpec, DispatchSpec

REGIONAL_DISPATCH_DRONES = 150  # above this many available drones, dispatch by region
REGION_DEPOTS = 4  # most depots per dispatch region
REGION_DRONES = 200  # drones per dispatch region, roughly

# What a decision asks of a drone.
TRIP, CHARGE, REPOSITION = "trip", "charge", "reposition"


class Decision(NamedTuple):
    """What one drone does after a dispatch round.

    Attributes
    ----------
    drone : int
    action : str
        `TRIP` (fly ``stops``), `CHARGE` (go to ``depot`` and charge there) or
        `REPOSITION` (fly to ``depot`` and wait there).
    stops : tuple of (int, int)
        ``(order, kind)`` in flying order for a trip (kind 0 pickup, 1 drop-off); else empty.
    depot : int
        Target depot of a charge or reposition; -1 for a trip.
    """

    drone: int
    action: str
    stops: tuple[tuple[int, int], ...] = ()
    depot: int = -1


class DispatchAdapter:
    """Runs the dispatch policy on the engine's state.

    Parameters
    ----------
    dispatch_spec : DispatchSpec
        Policy, objective, charge threshold and whether to rebalance.
    demand : DemandSpec
        The demand rates (for the rebalancing forecast).
    model : DroneModel or sequence of DroneModel
        The aircraft type, or one model per type of a mixed fleet.
    travel : TravelModel
        The dispatcher's travel-time and energy estimates.
    depots_xy : numpy.ndarray, shape (k, 2)
        Depot positions, metres.
    pads : numpy.ndarray of int, shape (k,)
        Charging pads at each depot.
    orders : Orders
        The run's orders.
    n_drones : int
        Fleet size (sets the size of dispatch regions).
    drone_type : numpy.ndarray of int, shape (n_drones,), optional
        Each drone's type (index into ``model``); None: all of the first.

    Attributes
    ----------
    regions : list of numpy.ndarray
        Depot indices of each dispatch region.
    """

    def __init__(
        self,
        dispatch_spec: DispatchSpec,
        demand: DemandSpec,
        model: DroneModel | Sequence[DroneModel],
        travel: TravelModel,
        depots_xy: np.ndarray,
        pads: np.ndarray,
        orders: Orders,
        n_drones: int,
        drone_type: np.ndarray | None = None,
    ) -> None:
        self.spec = dispatch_spec
        self.demand = demand
        self.models = list(model) if isinstance(model, (list, tuple)) else [model]
        self.model = self.models[0]
        self.drone_type = (
            np.zeros(n_drones, np.int64) if drone_type is None else np.asarray(drone_type)
        )
        # Each type's share of the fleet (its share of the rebalancing forecast).
        self.type_share = np.bincount(self.drone_type, minlength=len(self.models)) / max(
            1, n_drones
        )
        self.travel = travel
        self.depots_xy = depots_xy
        self.pads = pads
        self.orders = orders
        # Regions hold about REGION_DRONES drones (between 1 and REGION_DEPOTS depots).
        per_depot = max(1.0, n_drones / max(1, len(depots_xy)))
        self.regions = depot_regions(
            depots_xy, int(np.clip(round(REGION_DRONES / per_depot), 1, REGION_DEPOTS))
        )

    def decide(
        self,
        t_s: float,
        drones: np.ndarray,
        open_orders: np.ndarray,
        at_depot: np.ndarray,
        battery_wh: np.ndarray,
        order_min_wh: np.ndarray,
        pads_in_use: np.ndarray,
        pad_queue: np.ndarray,
        orders_placed: int,
    ) -> list[Decision]:
        """One dispatch round.

        Parameters
        ----------
        t_s : float
            Now, seconds.
        drones : numpy.ndarray of int
            Drones that may take work (on the ground at a depot), ascending.
        open_orders : numpy.ndarray of int
            Orders waiting for a drone, ascending.
        at_depot : numpy.ndarray of int, shape (n,)
            Depot of every drone (-1 while away).
        battery_wh : numpy.ndarray, shape (n,)
            Battery of every drone, watt-hours.
        order_min_wh : numpy.ndarray, shape (m,) or (types, m)
            Least energy a trip for each order has been found to need, watt-hours (per
            aircraft type).
        pads_in_use, pad_queue : numpy.ndarray of int, shape (k,)
            Pads in use and drones waiting for one, per depot.
        orders_placed : int
            Orders created so far (``orders[:orders_placed]``), for the forecast.

        Returns
        -------
        list of Decision
            In the order the engine must carry them out: the policy's decisions region
            by region, then rebalancing moves of the drones left idle.
        """
        order_min_wh = np.atleast_2d(order_min_wh)
        free_pads = self.pads - pads_in_use
        depots = DepotState(self.depots_xy, self.pads, free_pads, pad_queue)
        if self.demand.pickup == "any-depot" and len(open_orders):
            self.pick_up_soonest(
                open_orders, np.bincount(at_depot[drones], minlength=len(self.pads))
            )
        if len(drones) > REGIONAL_DISPATCH_DRONES and len(self.regions) > 1:
            groups = [
                (
                    drones[np.isin(at_depot[drones], members)],
                    open_orders[np.isin(self.orders.pickup_depot[open_orders], members)],
                )
                for members in self.regions
            ]
        else:
            groups = [(drones, open_orders)]
        plans = []
        for group_drones, group_orders in groups:
            if len(group_drones):
                plans.append(
                    self._plan_group(
                        t_s,
                        group_drones,
                        group_orders,
                        depots,
                        at_depot,
                        battery_wh,
                        order_min_wh,
                        orders_placed,
                        len(groups) == 1,
                    )
                )
        decisions = []
        idle = []
        for group_drones, group_orders, plan in plans:
            for row, d in enumerate(group_drones):
                route = plan.routes[row]
                if len(route):
                    stops = tuple((int(group_orders[o]), int(kind)) for o, kind in route)
                    decisions.append(Decision(int(d), TRIP, stops))
                elif plan.charge_depot[row] >= 0:
                    decisions.append(Decision(int(d), CHARGE, depot=int(plan.charge_depot[row])))
                elif plan.rebalance_depot[row] >= 0:
                    decisions.append(
                        Decision(int(d), REPOSITION, depot=int(plan.rebalance_depot[row]))
                    )
                else:
                    idle.append(int(d))
        if self.spec.rebalance and len(plans) > 1 and idle:
            idle = np.array(idle, np.int64)
            forecast = self.forecast(t_s, orders_placed)
            for kind, model in enumerate(self.models):
                movable = idle[self.drone_type[idle] == kind]
                if not len(movable):
                    continue
                target = rebalance(
                    self._fleet_state(t_s, movable, at_depot, battery_wh),
                    depots,
                    model,
                    self.travel,
                    np.ones(len(movable), bool),
                    forecast if len(self.models) == 1 else forecast * self.type_share[kind],
                )
                for row, d in enumerate(movable):
                    if target[row] >= 0:
                        decisions.append(Decision(int(d), REPOSITION, depot=int(target[row])))
        return decisions

    def pick_up_soonest(self, open_orders: np.ndarray, available: np.ndarray) -> None:
        """Where each open order is picked up this round (``pickup = "any-depot"``):
        every depot stocks every parcel, so the most urgent orders first each take the
        depot that delivers them soonest (the shortest estimated flight to the drop-off)
        among those with an available drone not yet spoken for and within reach (out and
        on to the depot nearest the drop-off, at the heaviest parcel, full battery less
        reserve, for some aircraft type). An order no such depot can take keeps its depot. Sets
        ``orders.pickup_depot`` and ``orders.pickup_xy`` of ``open_orders``.

        Parameters
        ----------
        open_orders : numpy.ndarray of int
            Orders waiting for a drone (none assigned yet).
        available : numpy.ndarray of int, shape (k,)
            Drones that may take work at each depot.
        """
        orders = self.orders
        dropoff = orders.dropoff_xy[open_orders]
        depot_xyz = np.c_[self.depots_xy, np.zeros(len(self.depots_xy))]
        # The soonest of the aircraft types that reach it (a mixed fleet).
        eta = np.full((len(self.depots_xy), len(open_orders)), np.inf)
        for model in self.models:
            params = model.as_array()
            travel = self.travel.as_array(model)
            seconds, energy = F.fly_matrix(
                params,
                travel,
                float(model.max_payload_kg),
                depot_xyz,
                np.c_[dropoff, np.zeros(len(dropoff))],
            )
            _, _, home_wh = F.nearest_depots(
                params, travel, dropoff, self.depots_xy, np.ones(len(self.depots_xy), np.int64)
            )
            reach = energy + home_wh[None, :] <= model.battery_wh - model.reserve_wh
            eta = np.minimum(eta, np.where(reach, seconds, np.inf))
        left = np.asarray(available, np.int64).copy()
        urgent = np.lexsort((open_orders, orders.deadline_s[open_orders]))
        for column in urgent:
            choices = np.flatnonzero((left > 0) & np.isfinite(eta[:, column]))
            if len(choices) == 0:
                continue
            depot = int(choices[np.argmin(eta[choices, column])])
            left[depot] -= 1
            order = int(open_orders[column])
            orders.pickup_depot[order] = depot
            orders.pickup_xy[order] = self.depots_xy[depot]

    def _fleet_state(
        self, t_s: float, drones: np.ndarray, at_depot: np.ndarray, battery_wh: np.ndarray
    ) -> FleetState:
        return FleetState(
            np.c_[self.depots_xy[np.maximum(at_depot[drones], 0)], np.zeros(len(drones))],
            np.full(len(drones), t_s),
            battery_wh[drones],
            np.ones(len(drones), bool),
        )

    def _plan_group(
        self,
        t_s: float,
        drones: np.ndarray,
        open_orders: np.ndarray,
        depots: DepotState,
        at_depot: np.ndarray,
        battery_wh: np.ndarray,
        order_min_wh: np.ndarray,
        orders_placed: int,
        rebalance_here: bool,
    ):
        """Run the dispatch policy for some drones and orders; returns (drones, orders, plan)."""
        spec = self.spec
        # The most urgent orders first: at most a few per available drone, so a backlog
        # does not make every round slower without giving any drone more to choose from.
        limit = max(50, 3 * len(drones))
        if len(open_orders) > limit:
            urgent = np.lexsort((open_orders, self.orders.deadline_s[open_orders]))[:limit]
            open_orders = np.sort(open_orders[urgent])
        forecast = self.forecast(t_s, orders_placed) if spec.rebalance and rebalance_here else None
        if len(self.models) == 1:
            plan = self._dispatch_type(
                t_s, 0, drones, open_orders, depots, at_depot, battery_wh, order_min_wh, forecast
            )
            return drones, open_orders, plan
        # A mixed fleet: type by type, each on the orders the types before it left.
        routes = [np.empty((0, 2), np.int64) for _ in drones]
        charge = np.full(len(drones), -1, np.int64)
        moves = np.full(len(drones), -1, np.int64)
        left = np.arange(len(open_orders))
        for kind in range(len(self.models)):
            rows = np.flatnonzero(self.drone_type[drones] == kind)
            if not len(rows):
                continue
            plan = self._dispatch_type(
                t_s,
                kind,
                drones[rows],
                open_orders[left],
                depots,
                at_depot,
                battery_wh,
                order_min_wh,
                None if forecast is None else forecast * self.type_share[kind],
            )
            taken = np.zeros(len(left), bool)
            for row, route in zip(rows, plan.routes):
                if len(route):
                    taken[route[:, 0]] = True
                    routes[row] = np.c_[left[route[:, 0]], route[:, 1]]
            charge[rows] = plan.charge_depot
            moves[rows] = plan.rebalance_depot
            left = left[~taken]
        return drones, open_orders, DispatchPlan(routes, np.empty(0, np.int64), charge, moves, 0.0)

    def _dispatch_type(
        self,
        t_s: float,
        kind: int,
        drones: np.ndarray,
        open_orders: np.ndarray,
        depots: DepotState,
        at_depot: np.ndarray,
        battery_wh: np.ndarray,
        order_min_wh: np.ndarray,
        forecast: np.ndarray | None,
    ) -> DispatchPlan:
        """The dispatch policy for drones of one aircraft type (`planners.fleet.dispatch`)."""
        spec = self.spec
        orders = self.orders
        batch = OrderBatch(
            orders.pickup_xy[open_orders],
            orders.dropoff_xy[open_orders],
            orders.weight_kg[open_orders],
            orders.created_s[open_orders],
            orders.deadline_s[open_orders],
            order_min_wh[kind, open_orders],
        )
        return dispatch(
            self._fleet_state(t_s, drones, at_depot, battery_wh),
            batch,
            depots,
            self.models[kind],
            self.travel,
            t_s,
            policy=spec.policy,
            objective=spec.objective,
            charge_threshold=spec.charge_threshold,
            forecast_per_depot=forecast,
        )

    def forecast(self, t_s: float, orders_placed: int) -> np.ndarray:
        """Drones wanted at each depot for the next half hour: the orders the demand rate
        expects then (one trip per drone), shared out as past orders' drop-offs were (by
        their nearest depot).

        Parameters
        ----------
        t_s : float
            Now, seconds into the run.
        orders_placed : int
            Orders created so far (their pickup depots give the shares).

        Returns
        -------
        numpy.ndarray, shape (k,)
            Expected drones wanted per depot (fractional).
        """
        spec = self.demand
        hour = int(((spec.start_hour * 3600.0 + t_s) // 3600.0) % 24)
        expected = spec.orders_per_hour[hour] * spec.scale * 0.5
        share = (
            np.bincount(
                self.orders.nearest_depot[:orders_placed], minlength=len(self.depots_xy)
            ).astype(float)
            + 1.0
        )
        return expected * share / share.sum()


def depot_regions(depots_xy: np.ndarray, per_region: int) -> list[np.ndarray]:
    """Groups of about ``per_region`` neighbouring depots: horizontal strips by y, then
    runs by x within each strip (deterministic: ties by index).

    Parameters
    ----------
    depots_xy : numpy.ndarray, shape (k, 2)
        Depot positions, metres.
    per_region : int
        Most depots per group.

    Returns
    -------
    list of numpy.ndarray of int
        Depot indices of each group, ascending; every depot in exactly one group.
    """
    n = len(depots_xy)
    regions = max(1, -(-n // per_region))
    strips = max(1, int(round(np.sqrt(regions))))
    by_y = np.lexsort((np.arange(n), depots_xy[:, 1]))
    groups = []
    for strip in np.array_split(by_y, strips):
        by_x = strip[np.lexsort((strip, depots_xy[strip, 0]))]
        groups.extend(
            part for part in np.array_split(by_x, max(1, -(-len(strip) // per_region))) if len(part)
        )
    return [np.sort(group) for group in groups]
