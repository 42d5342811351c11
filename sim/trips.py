"""Trip building: the waypoints of a drone's trip through its pickups and drop-offs.

A trip starts where the drone is, climbs to the cruise layer chosen for each leg (fixed,
or by heading sector under the ``layers`` deconfliction policy), flies routed legs on that
layer, lands at a depot to pick a parcel up (a ground hold of `PICKUP_TIME_S`), descends
to the hand-over height over each drop-off and hovers there for the drone model's service
time, and ends landed at the depot nearest its last stop. The result is a `PlanBuilder`
(untimed); the engine times it with the drone model and installs it.

Codes for states and waypoint events are those of `sim.vocabulary`.
"""

from __future__ import annotations

import numpy as np
from dronesim.maps import Airspace
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.sim.demand import Orders
from dronesim.sim.routing import LayerRouter, PlanBuilder, leg_layer
from dronesim.sim.scenario import DeconflictionSpec
from dronesim.sim.vocabulary import (
    DELIVERING,
    EV_DELIVERED,
    EV_LANDED,
    EV_NONE,
    EV_PICKED,
    PICKING_UP,
    RETURNING,
    TAKEOFF,
    TO_DROPOFF,
    TO_PICKUP,
)

PICKUP_TIME_S = 30.0  # on the ground at the depot to load a parcel
PICKUP, DROPOFF = 0, 1  # kinds of stop in a trip: ``(order, kind)``


class TripPlanner:
    """Builds trip plans for one run.

    Parameters
    ----------
    airspace : Airspace
        Its ``layers_m`` give each cruise layer's altitude, metres.
    depots_xy : numpy.ndarray, shape (k, 2)
        Depot positions, metres (local frame).
    orders : Orders
        The run's orders (pickup depot, drop-off point and weight of each).
    service_time_s : float
        Hover at the hand-over height over a drop-off, seconds.
    deconfliction : DeconflictionSpec
        Policy and layers that choose each leg's cruise layer.
    """

    def __init__(
        self,
        airspace: Airspace,
        depots_xy: np.ndarray,
        orders: Orders,
        service_time_s: float,
        deconfliction: DeconflictionSpec,
    ) -> None:
        self.airspace = airspace
        self.depots_xy = depots_xy
        self.orders = orders
        self.service_time_s = float(service_time_s)
        self.deconfliction = deconfliction

    def build(
        self,
        router: LayerRouter,
        start: tuple[float, float, float],
        load_kg: float,
        stops: list[tuple[int, int]],
        home_hint: int,
    ) -> tuple[PlanBuilder | None, str | None]:
        """A plan from ``start`` through the stops, then home to the nearest depot.

        Parameters
        ----------
        router : LayerRouter
            Routes of the current zone epoch.
        start : (float, float, float)
            Where the plan starts, metres; ``z = 0`` is on the ground.
        load_kg : float
            Payload on board at the start, kilograms.
        stops : list of (int, int)
            ``(order, kind)`` in flying order; kind `PICKUP` or `DROPOFF`.
        home_hint : int
            The depot the drone stands at when ``start`` is on the ground (-1: none).

        Returns
        -------
        (PlanBuilder, None) or (None, str)
            The untimed plan, or why no plan exists (no route to a stop or home).
        """
        plan = PlanBuilder(*start, load_kg)
        at_depot = home_hint if start[2] == 0.0 else -1
        orders = self.orders
        for order, kind in stops:
            if kind == PICKUP:
                depot = int(orders.pickup_depot[order])
                if at_depot == depot and plan.here[2] == 0.0:
                    plan.hold_at(PICKUP_TIME_S, PICKING_UP, True, EV_PICKED, order)
                else:
                    if not self.fly(
                        router, plan, at_depot, self.depots_xy[depot], depot, TO_PICKUP, land=True
                    ):
                        return None, "no route to the pickup"
                    plan.hold_at(PICKUP_TIME_S, PICKING_UP, True, EV_PICKED, order)
                at_depot = depot
                plan.load += orders.weight_kg[order]
            else:
                if not self.fly(
                    router, plan, at_depot, orders.dropoff_xy[order], -1, TO_DROPOFF, land=False
                ):
                    return None, "no route to the drop-off"
                x, y, z = plan.here
                plan.move(x, y, HANDOVER_HEIGHT_M, DELIVERING)
                plan.hold_at(self.service_time_s, DELIVERING, False, EV_DELIVERED, order)
                plan.load = max(0.0, plan.load - orders.weight_kg[order])
                at_depot = -1
        x, y, _ = plan.here
        home = int(np.argmin(np.hypot(self.depots_xy[:, 0] - x, self.depots_xy[:, 1] - y)))
        if at_depot != home or plan.here[2] != 0.0:
            if not self.fly(
                router,
                plan,
                at_depot,
                self.depots_xy[home],
                home,
                RETURNING,
                land=True,
                event=EV_LANDED,
                arg=home,
            ):
                return None, "no route home"
        else:
            plan.move(x, y, 0.0, RETURNING, EV_LANDED, home)
        return plan, None

    def fly(
        self,
        router: LayerRouter,
        plan: PlanBuilder,
        from_depot: int,
        target_xy,
        to_depot: int,
        state: int,
        *,
        land: bool,
        event: int = EV_NONE,
        arg: int = -1,
    ) -> bool:
        """Append one leg to ``plan``: climb at the current point, fly a routed leg on the
        chosen layer, then land at the target (or stop at cruise altitude above it when
        ``land`` is False).

        Parameters
        ----------
        router : LayerRouter
            Routes of the current zone epoch.
        plan : PlanBuilder
            Extended in place (also when the leg fails part-way; callers then drop it).
        from_depot, to_depot : int
            Depots at the leg's ends (-1: not a depot), for the depots' distance fields.
        target_xy : (float, float)
            Where the leg ends, metres.
        state : int
            Drone state while flying the leg (`sim.vocabulary`).
        land : bool
            Descend to the ground at the target.
        event, arg : int
            Waypoint event (and its argument) on landing.

        Returns
        -------
        bool
            False when a column or the route is blocked.
        """
        x, y, z = plan.here
        dc = self.deconfliction
        layer = leg_layer(dc.policy, dc.cruise_layer, dc.sector_layers, (x, y), target_xy)
        altitude = self.airspace.layers_m[layer]
        if z < altitude:
            if not router.column_free((x, y), layer):
                return False
            plan.move(x, y, altitude, TAKEOFF if z == 0.0 else state)
        elif z > altitude:
            if not router.free_at((x, y), layer):
                return False
            plan.move(x, y, altitude, state)
        leg = router.leg((x, y), target_xy, layer, from_depot, to_depot, self.depots_xy)
        if leg is None:
            return False
        for px, py in leg.xy[1:]:
            plan.move(px, py, altitude, state)
        if land:
            if not router.column_free(target_xy, layer):
                return False
            plan.move(target_xy[0], target_xy[1], 0.0, state, event, arg)
        elif not router.column_free(target_xy, layer):
            return False
        return True
