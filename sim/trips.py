"""Trip building: the waypoints of a drone's trip through its pickups and drop-offs.

A trip starts where the drone is; from a depot's apron (the depot point) it taxis to a
pad (`sim.vertiports`) and climbs in the pad's column to the cruise layer the
deconfliction policy chooses for the leg (`sim.deconfliction`), flies routed legs on that
layer, lands on a pad of a depot or on a merchant's pad (``pickup = "merchant"``) to pick
a parcel up (a ground hold of `PICKUP_TIME_S` on the pad), descends to the hand-over
height over each drop-off and hovers there for the drone model's service time, and ends
landed on a pad of the depot nearest its last stop, then taxis to the apron. The pad of
each take-off and landing is chosen against the committed column reservations (see
`sim.vertiports`; legs lead to and from the pad's own cell). The result is a
`PlanBuilder` (untimed);
`TripPlanner.sequence` then inserts the waits for free columns and times it, and the
engine installs it.

Codes for states and waypoint events are those of `sim.vocabulary`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from dronesim.maps import Airspace
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.planners.wind import WindField
from dronesim.sim import vertiports
from dronesim.sim.deconfliction import DeconflictionPolicy
from dronesim.sim.demand import Orders
from dronesim.sim.routing import LayerRouter, PlanBuilder
from dronesim.sim.scenario import DeconflictionSpec

# Stop kinds (PICKUP, DROPOFF) and PICKUP_TIME_S live in the vocabulary (the strategic
# policy reads them too) and are re-exported here, where trips are built.
from dronesim.sim.vocabulary import (  # noqa: F401
    DELIVERING,
    DROPOFF,
    EV_DELIVERED,
    EV_LANDED,
    EV_NONE,
    EV_PICKED,
    PICKING_UP,
    PICKUP,
    PICKUP_TIME_S,
    RETURNING,
    TAKEOFF,
    TO_DROPOFF,
    TO_PICKUP,
)


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
    service_time_s : float or sequence of float
        Hover at the hand-over height over a drop-off, seconds (one per aircraft type).
    deconfliction : DeconflictionSpec
        The scenario's ``[deconfliction]`` table (the policy reads its layers).
    policy : DeconflictionPolicy
        Chooses each leg's cruise layer (`sim.deconfliction`).
    pads_xy : list of numpy.ndarray, shape (pads, 2)
        Each depot's pad positions, metres.
    schedule : vertiports.ColumnSchedule
        Committed column operations of every drone (read by `sequence`).
    params : numpy.ndarray, shape (N_PARAMS,) or (types, N_PARAMS)
        Drone model rows (`DroneModel.as_array`), one per aircraft type, for timing.
    wind : planners.wind.WindField
        The wind flown in (height, time, place), m/s.
    drone_type : numpy.ndarray of int, optional
        Each drone's aircraft type (a row of ``params``); None: every drone is type 0.
        A plan timed without a drone (no ``clock``) uses type 0.
    """

    def __init__(
        self,
        airspace: Airspace,
        depots_xy: np.ndarray,
        orders: Orders,
        service_time_s: float | Sequence[float],
        deconfliction: DeconflictionSpec,
        policy: DeconflictionPolicy,
        pads_xy: list[np.ndarray],
        schedule: vertiports.ColumnSchedule,
        params: np.ndarray,
        wind: WindField,
        drone_type: np.ndarray | None = None,
    ) -> None:
        self.airspace = airspace
        self.depots_xy = depots_xy
        self.orders = orders
        self.service_times_s = np.atleast_1d(np.asarray(service_time_s, dtype=np.float64))
        self.deconfliction = deconfliction
        self.policy = policy
        self.pads_xy = pads_xy
        self.schedule = schedule
        self.type_params = np.atleast_2d(params)
        self.drone_type = drone_type
        self.wind = wind

    def _type(self, drone: int) -> int:
        """The aircraft type of ``drone`` (type 0 without a drone, ``drone`` < 0)."""
        return 0 if self.drone_type is None or drone < 0 else int(self.drone_type[drone])

    def params_of(self, drone: int) -> np.ndarray:
        """The parameter row of ``drone``'s aircraft type (type 0 when ``drone`` < 0)."""
        return self.type_params[self._type(drone)]

    def sequence(
        self, plan: PlanBuilder, t_s: float, battery_wh: float, drone: int
    ) -> vertiports.Sequenced | None:
        """Column waits and times of ``plan`` against the committed reservations
        (`vertiports.sequence`; ``plan`` changes in place). The caller commits
        ``result.reservations`` to ``schedule`` when it installs the plan.

        Parameters
        ----------
        plan : PlanBuilder
            From `build` or `fly`.
        t_s : float
            When the plan starts, seconds.
        battery_wh : float
            Battery at the start, watt-hours.
        drone : int
            Whose plan.

        Returns
        -------
        vertiports.Sequenced or None
            None when a leg cannot be flown (wind).
        """
        return vertiports.sequence(
            plan,
            self.params_of(drone),
            self.wind,
            t_s,
            battery_wh,
            drone,
            self.schedule,
            float(self.airspace.layers_m[0]),
        )

    def _now(self, plan: PlanBuilder, clock) -> tuple[float, float] | None:
        """Time (s) and battery (Wh) at the end of ``plan`` so far (from ``clock``, the
        plan's start ``(t_s, battery_wh, drone)``, or from 0 s); None if unflyable."""
        t0, wh0, drone = clock if clock is not None else (0.0, 1e9, -1)
        head = plan.timed(self.params_of(drone), self.wind, t0, wh0)
        return None if head is None else (float(head["t"][-1]), float(head["wh"][-1]))

    def _finish_s(self, clock, now, tail: PlanBuilder, first: int, pad) -> tuple[float, bool]:
        """When a column operation at ``pad`` would end, and whether it waits for the
        column: ``tail`` continues the plan from ``now`` (`_now`) and its waypoints
        ``first..`` are the operation; waiting is counted when ``clock`` is given."""
        drone = clock[2] if clock is not None else -1
        timed = tail.timed(self.params_of(drone), self.wind, now[0], now[1])
        if timed is None:
            return np.inf, True
        a, e = float(timed["t"][first]), float(timed["t"][-1])
        if clock is None:
            return e, False
        start = self.schedule.earliest(pad[0], pad[1], a, e - a, clock[2])
        return start + (e - a), start > a

    def _taxi(self, plan: PlanBuilder, x: float, y: float, state: int, event=EV_NONE, arg=-1):
        """Move on the ground from where the plan is to ``(x, y)`` (apron <-> pad)."""
        here = plan.here
        seconds = float(np.hypot(x - here[0], y - here[1])) / vertiports.TAXI_SPEED_MPS
        plan.taxi(x, y, seconds, state, event, arg)

    def build(
        self,
        router: LayerRouter,
        start: tuple[float, float, float],
        load_kg: float,
        stops: list[tuple[int, int]],
        home_hint: int,
        clock: tuple[float, float, int] | None = None,
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
        clock : (float, float, int), optional
            ``(t_s, battery_wh, drone)`` at ``start``: pads are then chosen against the
            committed column reservations (else by their own times alone).

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
                # At a merchant (``pickup = "merchant"``) the leg lands on its pad, a
                # point that is no depot (-1), as a drop-off's leg ends over its point.
                at_merchant = orders.merchant[order] >= 0
                depot = -1 if at_merchant else int(orders.pickup_depot[order])
                target = (
                    tuple(float(v) for v in orders.pickup_xy[order])
                    if at_merchant
                    else tuple(float(v) for v in self.depots_xy[depot])
                )
                on_the_spot = (
                    plan.here[2] == 0.0 and tuple(float(v) for v in plan.here[:2]) == target
                    if at_merchant
                    else at_depot == depot and plan.here[2] == 0.0
                )
                if not on_the_spot and not self.fly(
                    router, plan, at_depot, target, depot, TO_PICKUP, land=True, clock=clock
                ):
                    return None, "no route to the pickup"
                plan.hold_at(PICKUP_TIME_S, PICKING_UP, True, EV_PICKED, order)
                at_depot = depot
                plan.load += orders.weight_kg[order]
            else:
                if not self.fly(
                    router,
                    plan,
                    at_depot,
                    orders.dropoff_xy[order],
                    -1,
                    TO_DROPOFF,
                    land=False,
                    clock=clock,
                ):
                    return None, "no route to the drop-off"
                x, y, z = plan.here
                plan.move(x, y, HANDOVER_HEIGHT_M, DELIVERING)
                service_s = float(self.service_times_s[self._type(clock[2] if clock else -1)])
                plan.hold_at(service_s, DELIVERING, False, EV_DELIVERED, order)
                plan.load = max(0.0, plan.load - orders.weight_kg[order])
                at_depot = -1
        x, y, _ = plan.here
        home = int(np.argmin(np.hypot(self.depots_xy[:, 0] - x, self.depots_xy[:, 1] - y)))
        hx, hy = (float(v) for v in self.depots_xy[home])
        if at_depot == home and plan.here[2] == 0.0 and (x, y) != (hx, hy):
            # On a pad of the home depot (after a pickup there): back to the apron.
            self._taxi(plan, hx, hy, RETURNING, EV_LANDED, home)
        elif at_depot != home or plan.here[2] != 0.0:
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
                clock=clock,
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
        clock: tuple[float, float, int] | None = None,
    ) -> bool:
        """Append one leg to ``plan``: climb at the current point (from a depot's apron:
        taxi to a pad first), fly a routed leg on the layer the deconfliction policy
        chooses, then land at the target (on a pad when it is a depot; the landing that
        ends a plan taxis on to the apron) or stop at cruise altitude above it when
        ``land`` is False.

        Parameters
        ----------
        router : LayerRouter
            Routes of the current zone epoch.
        plan : PlanBuilder
            Extended in place (also when the leg fails part-way; callers then drop it).
        from_depot, to_depot : int
            Depots at the leg's ends (-1: not a depot), for the depots' distance fields
            and pads.
        target_xy : (float, float)
            Where the leg ends, metres (a depot's point for a depot).
        state : int
            Drone state while flying the leg (`sim.vocabulary`).
        land : bool
            Descend to the ground at the target.
        event, arg : int
            Waypoint event (and its argument) on landing.
        clock : (float, float, int), optional
            ``(t_s, battery_wh, drone)`` at the plan's start (see `build`).

        Returns
        -------
        bool
            False when a column or the route is blocked.
        """
        x, y, z = plan.here
        target_xy = tuple(float(v) for v in target_xy)
        layer = self.policy.leg_layer(self.deconfliction, (x, y), target_xy)
        altitude = float(self.airspace.layers_m[layer])
        if z == 0.0 and from_depot >= 0 and (x, y) == tuple(self.depots_xy[from_depot]):
            pad = self._departure_pad(router, plan, from_depot, layer, target_xy, clock)
            if pad is None:
                return False
            x, y = pad
            self._taxi(plan, x, y, TAKEOFF)
        if z < altitude:
            if not router.column_free((x, y), layer):
                return False
            plan.move(x, y, altitude, TAKEOFF if z == 0.0 else state)
        elif z > altitude:
            if not router.free_at((x, y), layer):
                return False
            plan.move(x, y, altitude, state)
        if land and to_depot >= 0:
            found = self._landing_pad(router, plan, from_depot, to_depot, layer, state, clock)
            if found is None:
                return False
            target_xy, leg = found
        else:
            leg = router.leg((x, y), target_xy, layer, from_depot, to_depot, self.depots_xy)
        if leg is None:
            return False
        for px, py in leg.xy[1:]:
            plan.move(px, py, altitude, state)
        if land:
            if not router.column_free(target_xy, layer):
                return False
            if to_depot >= 0 and event == EV_LANDED:
                plan.move(target_xy[0], target_xy[1], 0.0, state)
                self._taxi(plan, *(float(v) for v in self.depots_xy[to_depot]), state, event, arg)
            else:
                plan.move(target_xy[0], target_xy[1], 0.0, state, event, arg)
        elif not router.column_free(target_xy, layer):
            return False
        return True

    def _departure_pad(self, router, plan, depot: int, layer: int, target_xy, clock):
        """The pad of ``depot`` on which a take-off from the apron to ``layer`` ends first
        (to 0.1 s; ties: the pad nearest ``target_xy``, so that drones leave the depot
        outwards rather than over the other pads, then the lowest index); None when no
        pad's column is free."""
        altitude = float(self.airspace.layers_m[layer])
        now = self._now(plan, clock)
        if now is None:
            return None
        best = None
        for k, xy in enumerate(self.pads_xy[depot]):
            px, py = float(xy[0]), float(xy[1])
            if not router.column_free((px, py), layer):
                continue
            tail = PlanBuilder(*plan.here, plan.load)
            self._taxi(tail, px, py, TAKEOFF)
            tail.move(px, py, altitude, TAKEOFF)
            finish, _ = self._finish_s(clock, now, tail, 1, (px, py))
            key = (round(finish, 1), math.hypot(target_xy[0] - px, target_xy[1] - py), k)
            if best is None or key < best[0]:
                best = (key, (px, py))
        return None if best is None else best[1]

    def _landing_pad(self, router, plan, from_depot: int, depot: int, layer: int, state, clock):
        """The pad of ``depot`` to land on, and the leg to it; None when no pad can be
        reached. Pads are tried nearest first (straight line from where the leg starts,
        then index); the first whose column is free on arrival is taken, else the one on
        which the landing ends first (ties: the nearer)."""
        x, y, altitude = plan.here
        now = self._now(plan, clock)
        if now is None:
            return None
        pads = [(float(px), float(py)) for px, py in self.pads_xy[depot]]
        order = sorted(
            range(len(pads)), key=lambda k: (math.hypot(pads[k][0] - x, pads[k][1] - y), k)
        )
        best = None
        for rank, k in enumerate(order):
            pad = pads[k]
            if not router.column_free(pad, layer):
                continue
            leg = router.leg((x, y), pad, layer, from_depot, depot, self.depots_xy)
            if leg is None:
                continue
            tail = PlanBuilder(x, y, altitude, plan.load)
            for qx, qy in leg.xy[1:]:
                tail.move(qx, qy, altitude, state)
            first = len(tail.xyz) - 1  # the top of the pad's column
            tail.move(pad[0], pad[1], 0.0, state)
            finish, waits = self._finish_s(clock, now, tail, first, pad)
            if best is None or (finish, rank) < best[0]:
                best = ((finish, rank), (pad, leg))
            if not waits:
                break
        return None if best is None else best[1]
