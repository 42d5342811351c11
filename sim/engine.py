"""The simulation engine: a fleet delivering orders in a city, step by step.

State is struct-of-arrays (one numpy array per attribute); `sim._kernels.advance` moves
every drone along its timed flight plan and counts losses of separation. Between kernel
calls the engine handles what happens at exact times, in ``(time, priority, sequence)``
order: waypoint events (parcel picked up or delivered, landed), charging completions,
temporary zones switching on or off, and dispatch rounds every ``dispatch.interval_s``.

Randomness comes from one ``numpy.random.SeedSequence(seed)`` spawned per subsystem
(demand, map details, gusts), so a scenario and seed give the same run bit for bit.

Wind (`dronesim.planners.wind`): every timed plan flies in ``Simulation.wind``, the
scenario's field (height, time of day, place). The dispatcher estimates with its forecast
(`WindField.forecast`: the mean over the city at the cruise altitude now), renewed each
dispatch round when the wind varies. Gusts (``wind.gust_fraction`` > 0) multiply the energy
of each segment of a plan, when it is installed, by a factor drawn from their own stream
in ``[1, 1 + gust_fraction)``: the plans were checked against the reserve without them,
so the reserve absorbs them, and a battery that still runs below 0 is logged with drone,
time and place (``RunLog.depletions``).

Seams: trip plans are built by `sim.trips.TripPlanner`, dispatch decisions come from
`sim.dispatching.DispatchAdapter`, the run's history goes into a `sim.runlog.RunLog`
(``Simulation.log``) that the report and the recording read, and every code (states,
events, order statuses, failure reasons) is `sim.vocabulary`'s.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import time

import numpy as np
import shapely
from dronesim.maps import Airspace, City, NoFlyZone, generate_city
from dronesim.planners.fleet import TravelModel
from dronesim.sim import _kernels as K
from dronesim.sim import audit
from dronesim.sim.audit import Escape
from dronesim.sim.checkout import (
    OUTSIDE_SERVICE_AREA,
    OVER_PAYLOAD,
    check_orders,
    field_forecast,
)
from dronesim.sim.deconfliction import TripRequest, get_deconfliction
from dronesim.sim.demand import Orders, expected_depot_shares, generate_orders, merchant_pads
from dronesim.sim.dispatching import CHARGE, TRIP, DispatchAdapter
from dronesim.sim.report import Report, build_report
from dronesim.sim.routing import LayerRouter, PlanBuilder, measure_detour
from dronesim.sim.runlog import LOSS_PHASES, LossLog, RunLog
from dronesim.sim.scenario import Scenario, ScenarioError
from dronesim.sim.snapshot import (
    Snapshot,
    active_loss_pairs,
    route_ahead,
    segment_heading,
    trail_points,
    zone_timing,
)
from dronesim.sim.trips import DROPOFF, PICKUP, PICKUP_TIME_S, TripPlanner
from dronesim.sim.vertiports import DEFAULT_SPACINGS, ColumnSchedule, Sequenced, pad_positions
from dronesim.sim.vocabulary import (
    ASSIGNED,
    CARRIED,
    CHARGING,
    DELIVERED,
    ESCAPING,
    EV_ASSIGNED,
    EV_DELIVERED,
    EV_FAILED,
    EV_LANDED,
    EV_PICKED,
    EV_RETURNED,
    FAILED,
    IDLE,
    OPEN,
    REASON_NO_CONFLICT_FREE_SLOT,
    REASON_NO_DRONE_IN_TIME,
    REASON_NO_ROUTE_AROUND_ZONE,
    REASON_OUTSIDE_SERVICE_AREA,
    REASON_OVER_PAYLOAD,
    REASON_PAD_QUEUE,
    REASON_ROUTE_BEYOND_REACH,
    REASON_TRIP_ABORTED,
    REPOSITIONING,
    REST_STATES,
    RETURNING,
    STATE_NAMES,
    WAITING_PAD,
    reason_destination_in_zone,
)

TRAIL_S = 60.0  # seconds of flown path shown behind each drone

# Scheduled events: (time, priority, sequence, kind, argument). Lower priority first.
_ZONE, _CHARGED, _DISPATCH = "zone", "charged", "dispatch"
_PRIORITY = {_ZONE: 0, _CHARGED: 1, _DISPATCH: 2}


# Dispatch passes after the first in one round, for drones whose trips the deconfliction
# policy refused (each with the orders no trip of the round took).
REFUSAL_RETRIES = 2


class Simulation:
    """A drone-delivery fleet in a city, driven by a `Scenario`.

    Parameters
    ----------
    scenario : Scenario
    seed : int, optional
        Overrides the scenario's seed.
    duration_s : float, optional
        Overrides the scenario's duration.

    Attributes
    ----------
    t : float
        Simulation time now, seconds.
    models : list of DroneModel
        The fleet's aircraft types (`Scenario.aircraft`); ``model`` and ``params`` are the
        first's.
    drone_type : numpy.ndarray of int
        Each drone's type (index into ``models`` and rows of ``type_params``).
    capacity_wh, reserve_wh : numpy.ndarray
        Each drone's battery capacity and landing reserve (its type's), watt-hours.
    log : RunLog
        The run's history (trajectory, state changes, order events, separation, energy,
        busy time, counters): what reports, recordings and audits read.
    counters : Counters
        ``log.counters``.
    trips : TripPlanner
        Builds trip plans (`trips.build`, `trips.fly`) on the current ``router``.
    dispatcher : DispatchAdapter
        Runs the dispatch policy each round.
    wind : dronesim.planners.wind.WindField
        The wind every plan is timed in (the scenario's ``[wind]``).
    travel : TravelModel
        The dispatcher's estimates, with the wind forecast of the last round.
    router : LayerRouter
        Routes of the current zone epoch (replaced when a temporary zone switches).
    deconfliction : DeconflictionPolicy
        The scenario's ``deconfliction.policy`` from the registry (`sim.deconfliction`).
    planner_name : str
        The planner for legs not read off a depot's field: the policy's, else the
        scenario's ``planner.name``.
    pads_xy : list of numpy.ndarray, shape (pads, 2)
        Each depot's pad positions, metres (`sim.vertiports`).
    depot_shares : numpy.ndarray or None
        Each depot's expected share of the orders, when the depots are sized by demand
        (`size_depots`); None otherwise.
    columns : ColumnSchedule
        Committed pad and drop-off column operations of every drone.
    position, battery, state, payload, at_depot : numpy.ndarray
        Fleet state now, one row per drone (metres, watt-hours, state codes, kilograms,
        depot index or -1 while away).
    order_status, order_drone, order_delivered_s, order_reason : numpy.ndarray
        Order table (status codes, drone or -1, seconds or NaN, index into ``reasons``
        or -1); ``orders`` holds what does not change.
    checkout, order_trip_wh : numpy.ndarray
        Each order's outcome at checkout (`sim.checkout` codes, applied when it
        arrives) and its estimated trip energy from its depot, watt-hours (inf when
        refused).
    wind_forecast : sim.checkout.WindForecast
        The wind the checkout assumes at an order's time and place.

    Examples
    --------
    >>> from dronesim.sim.scenario import load_scenario
    >>> sim = Simulation(load_scenario("demo"))          # doctest: +SKIP
    >>> report = sim.run()                               # doctest: +SKIP
    """

    def __init__(
        self, scenario: Scenario, *, seed: int | None = None, duration_s: float | None = None
    ) -> None:
        tic = time.perf_counter()
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.duration_s = float(scenario.duration_s if duration_s is None else duration_s)
        if not self.duration_s > 0:
            raise ValueError(f"duration_s must be > 0, got {self.duration_s}")
        # Streams by position: a stream added later takes a new index, so the others
        # draw the same numbers as before (spawn's children depend on their index only).
        streams = np.random.SeedSequence(self.seed).spawn(4)
        self._demand_rng = np.random.default_rng(streams[0])
        self._detour_rng = np.random.default_rng(streams[1])
        self._gust_rng = np.random.default_rng(streams[3])
        self.city, self.airspace = build_world(scenario, duration_s=self.duration_s)
        # Aircraft types (one unless the fleet is mixed): models, their parameter rows,
        # and each drone's type (`drone_type`, set with the homes below).
        self.models = [entry.model for entry in scenario.aircraft]
        self.model = self.models[0]
        self.params = self.model.as_array()
        self.type_params = np.stack([model.as_array() for model in self.models])
        self.wind = scenario.wind.field(scenario.demand.start_hour)
        dc = scenario.deconfliction
        self.deconfliction = get_deconfliction(dc.policy)
        # The planner legs not read off a depot's field go to: the policy's, else the
        # scenario's.
        self.planner_name = self.deconfliction.planner or scenario.planner.name
        self.layers_used = sorted(set(self.deconfliction.layers_used(dc)))
        self.top_layer = max(self.layers_used)
        self.depots_xy = np.array([[d.x_m, d.y_m] for d in self.airspace.depots])
        self.t = 0.0
        check_depot_columns(scenario, self.airspace, self.top_layer)
        # Depots sized to where the day's orders fall, when the scenario asks
        # (``map.sizing = "demand"``; `depot_shares` None otherwise).
        self.airspace, self.depot_shares = size_depots(
            scenario, self.city, self.airspace, self.top_layer
        )
        self.pads = np.array([d.pads for d in self.airspace.depots], np.int64)
        self.pads_xy = place_pads(scenario, self.airspace, self.top_layer)
        # Pad and drop-off columns: who uses which, when (`sim.vertiports`).
        self.columns = ColumnSchedule(scenario.separation.horizontal_m, dc.time_buffer_s)
        # Merchant pads, one per hotspot (``demand.pickup = "merchant"``; else none): not
        # depots (no charging, never a home or a rebalancing target), only pickup points.
        self.merchant_xy = (
            merchant_pads(self.city, self.airspace, self.top_layer)
            if scenario.demand.pickup == "merchant"
            else np.empty((0, 2))
        )
        # A policy with per-run state (e.g. strategic: its reservation table) binds here.
        bind = getattr(self.deconfliction, "bind", None)
        if bind is not None:
            self.deconfliction = bind(self)
        self.slot_refused: set[int] = set()  # orders of trips a policy refused to plan

        self.orders: Orders = generate_orders(
            scenario.demand,
            self.city,
            self.airspace,
            self.duration_s,
            self.top_layer,
            self._demand_rng,
            self.merchant_xy,
        )
        n_orders = len(self.orders)
        self.order_status = np.full(n_orders, OPEN, np.int64)
        self.order_drone = np.full(n_orders, -1, np.int64)
        self.order_delivered_s = np.full(n_orders, np.nan)
        self.order_reason = np.full(n_orders, -1, np.int64)
        # Per aircraft type and order: learnt from routed trips that were too dear.
        self.order_min_wh = np.zeros((len(self.models), n_orders))
        self.reasons: list[str] = []
        self._next_order = 0  # orders[:_next_order] have been created
        # Dispatch rounds each order waited open, and of those the rounds it waited for its
        # pickup depot's pads (see `_open_orders`).
        self.order_open_rounds = np.zeros(n_orders, np.int64)
        # Seconds each depot's orders waited with no drone available there (`_dispatch`).
        self.depot_dry_s = np.zeros(len(self.depots_xy))
        self.order_pad_wait_rounds = np.zeros(n_orders, np.int64)

        self.home, self.drone_type = fleet_types(scenario, len(self.depots_xy), self.depot_shares)
        n = self.home.shape[0]
        self.n_drones = n
        self.capacity_wh = np.array([m.battery_wh for m in self.models])[self.drone_type]
        self.reserve_wh = np.array([m.reserve_wh for m in self.models])[self.drone_type]
        self.position = np.c_[self.depots_xy[self.home], np.zeros(n)] if n else np.empty((0, 3))
        self.battery = self.capacity_wh.copy()
        self.state = np.full(n, IDLE, np.int64)
        self.rest_state = np.full(n, IDLE, np.int64)
        self.at_depot = self.home.copy()  # -1 while away
        self.payload = np.zeros(n)
        self.width = 64
        self.plan_t = np.zeros((n, self.width))
        self.plan_xyz = np.zeros((n, self.width, 3))
        self.plan_wh = np.zeros((n, self.width))
        self.plan_state = np.zeros((n, self.width), np.int64)
        self.plan_event = np.zeros((n, self.width), np.int64)
        self.plan_arg = np.full((n, self.width), -1, np.int64)
        self.plan_len = np.zeros(n, np.int64)
        self.plan_pos = np.zeros(n, np.int64)
        self.drone_orders: list[list[int]] = [[] for _ in range(n)]

        # Charging pads: who is on them and who waits.
        self.pad_users: list[list[int]] = [[] for _ in self.depots_xy]
        self.pad_queue: list[list[int]] = [[] for _ in self.depots_xy]
        self.charge_done_s = np.full(n, np.nan)

        # The run's history, for the report and the recording.
        self.log = RunLog(self.position, self.battery)
        self.counters = self.log.counters
        self._held: dict[int, list[tuple[int, int]]] = {}  # drones holding: their stops
        # Encounters in progress (pairs in loss of separation), sorted by pair; see
        # `sim._kernels.advance`.
        self._open_f = np.empty((max(16, n), K.ENC_FLOATS))
        self._open_i = np.empty((max(16, n), K.ENC_INTS), np.int64)
        self._n_open = 0
        self._last_logged = self.state.copy()
        self.charge_start_s = np.full(n, np.nan)
        self.charge_start_wh = np.zeros(n)
        self._recent: list[list[tuple[float, float, float, float]]] = [[] for _ in range(n)]

        self._queue: list[tuple[float, int, int, str, int]] = []
        self._sequence = 0
        for index, zone in enumerate(self.airspace.zones):
            if zone.is_temporary:
                for moment in (zone.active_from_s, zone.active_until_s):
                    if moment is not None and 0 < moment < self.duration_s:
                        self._schedule(moment, _ZONE, index)
        self._schedule(0.0, _DISPATCH, 0)
        self.router = LayerRouter(
            self.airspace, 0.0, self.planner_name, scenario.planner.smooth, self.counters.timers
        )
        self._routers = {self.router.active: self.router}
        self.detour_factor = measure_detour(
            self.router, self.layers_used[0], self.depots_xy, self._detour_rng
        )
        # Estimates lean high (the highest cruise layer, 5 % more detour than measured) so
        # that trips the dispatcher picks rarely fail the exact check on the routed plan.
        cruise_altitude_m = float(max(self.airspace.layers_m[k] for k in self.layers_used))
        self.travel = TravelModel(
            detour_factor=self.detour_factor * 1.05,
            cruise_altitude_m=cruise_altitude_m,
            wind_mps=self.wind.forecast(0.0, cruise_altitude_m),
            pickup_time_s=PICKUP_TIME_S,
        )
        # The service area at checkout (`sim.checkout`): each order's outcome against the
        # dispatcher's estimate from a full battery, with the wind forecast for its
        # creation; applied when the order arrives (`_open_orders`).
        self.wind_forecast = field_forecast(self.wind, self.travel.cruise_altitude_m)
        # A parcel at every depot (``pickup = "any-depot"``) is in reach if any depot
        # reaches it; one at a merchant (``"merchant"``) if a drone from any depot reaches
        # it via the merchant's pad (an order drawn without a hotspot is at its depot).
        merchant = self.orders.merchant >= 0
        serving = (
            np.ones((len(self.orders), len(self.depots_xy)), bool)
            if scenario.demand.pickup == "any-depot"
            else self.orders.pickup_depot
        )
        if merchant.any():
            serving = np.zeros((len(self.orders), len(self.depots_xy)), bool)
            serving[np.arange(len(self.orders)), self.orders.pickup_depot] = True
            serving[merchant] = True
        self.checkout, self.order_trip_wh = check_orders(
            self.orders.created_s,
            self.orders.dropoff_xy,
            self.orders.weight_kg,
            serving,
            self.depots_xy,
            tuple(self.models),
            self.travel,
            self.wind_forecast,
            self.orders.pickup_xy if merchant.any() else None,
        )
        self.warmup = None  # a sim.warmup.Warmup compiling kernels in a second process
        self.trips = TripPlanner(
            self.airspace,
            self.depots_xy,
            self.orders,
            [model.service_time_s for model in self.models],
            dc,
            self.deconfliction,
            self.pads_xy,
            self.columns,
            self.type_params,
            self.wind,
            self.drone_type,
        )
        self.dispatcher = DispatchAdapter(
            scenario.dispatch,
            scenario.demand,
            self.models,
            self.travel,
            self.depots_xy,
            self.pads,
            self.orders,
            self.n_drones,
            self.drone_type,
        )
        self.setup_seconds = time.perf_counter() - tic

    # ------------------------------------------------------------------ scheduling
    def _schedule(self, t_s: float, kind: str, argument: int) -> None:
        heapq.heappush(self._queue, (t_s, _PRIORITY[kind], self._sequence, kind, argument))
        self._sequence += 1

    @property
    def time_span(self) -> tuple[float, float]:
        """``(0, duration_s)``: the simulated period, seconds."""
        return (0.0, self.duration_s)

    def run(self, progress=None) -> Report:
        """Run to the end; returns the `Report`.

        Parameters
        ----------
        progress : callable, optional
            Called as ``progress(t_s)`` after each dispatch interval (for a progress bar).
        """
        tic = time.perf_counter()
        while self.step_to(self.duration_s, progress):
            pass
        return build_report(self, time.perf_counter() - tic + self.setup_seconds)

    def step_to(self, t_end: float, progress=None) -> bool:
        """Advance the simulation to ``t_end`` (seconds); returns False once at the end."""
        t_end = min(float(t_end), self.duration_s)
        while self.t < t_end:
            t_next = t_end
            if self._queue and self._queue[0][0] < t_next:
                t_next = self._queue[0][0]
            if t_next > self.t:
                self._advance(t_next)
            while self._queue and self._queue[0][0] <= self.t:
                _, _, _, kind, argument = heapq.heappop(self._queue)
                if kind == _DISPATCH:
                    self._dispatch()
                    if progress is not None:
                        progress(self.t)
                    following = self.t + self.scenario.dispatch.interval_s
                    if following < self.duration_s:
                        self._schedule(following, _DISPATCH, 0)
                elif kind == _CHARGED:
                    self._charged(argument)
                elif kind == _ZONE:
                    self._zone_changed()
            self._log_states()
        return self.t < self.duration_s

    # ------------------------------------------------------------------ stepping
    def _advance(self, t_next: float) -> None:
        self._await("advance")
        tic = time.perf_counter()
        remaining = int(np.maximum(self.plan_len - 1 - self.plan_pos, 0).sum())
        capacity = remaining + 1
        traj_drone = np.empty(capacity, np.int32)
        traj_t = np.empty(capacity)
        traj_xyz = np.empty((capacity, 3))
        traj_wh = np.empty(capacity)
        event_t = np.empty(capacity)
        event_drone = np.empty(capacity, np.int64)
        event_code = np.empty(capacity, np.int64)
        event_arg = np.empty(capacity, np.int64)
        battery_before = self.battery.copy()
        sep = self.scenario.separation
        phase_counts = np.zeros(len(LOSS_PHASES), np.int64)
        (
            n_traj,
            n_events,
            losses,
            pair_seconds,
            depleted,
            self._open_f,
            self._open_i,
            self._n_open,
            closed_f,
            closed_i,
            n_closed,
        ) = K.advance(
            self.t,
            t_next,
            self.scenario.time_step_s,
            self.plan_t,
            self.plan_xyz,
            self.plan_wh,
            self.plan_state,
            self.plan_event,
            self.plan_arg,
            self.plan_len,
            self.plan_pos,
            self.rest_state,
            self.position,
            self.battery,
            self.state,
            sep.horizontal_m,
            sep.vertical_m,
            traj_drone,
            traj_t,
            traj_xyz,
            traj_wh,
            event_t,
            event_drone,
            event_code,
            event_arg,
            self._open_f,
            self._open_i,
            self._n_open,
            phase_counts,
        )
        self.counters.separation_losses += int(losses)
        for phase, count in zip(LOSS_PHASES, phase_counts):
            self.counters.separation_losses_by_phase[phase] += int(count)
        self.log.add_separation(t_next, self.counters.separation_losses)
        self.counters.separation_pair_seconds += float(pair_seconds)
        if n_closed:
            self.log.add_losses(closed_f[:n_closed], closed_i[:n_closed])
        self.counters.battery_depletions += int(depleted)
        if depleted:
            self._log_depletions(battery_before)
        self.log.energy_used_wh += float(np.maximum(battery_before - self.battery, 0.0).sum())
        if n_traj:
            self.log.add_points(
                traj_drone[:n_traj], traj_t[:n_traj], traj_xyz[:n_traj], traj_wh[:n_traj]
            )
            for index in range(n_traj):
                self._recent[traj_drone[index]].append((traj_t[index], *traj_xyz[index]))
        horizon = t_next - TRAIL_S
        for recent in self._recent:
            while len(recent) > 1 and recent[1][0] < horizon:
                recent.pop(0)
        self.t = t_next
        self.counters.timers["stepping"] += time.perf_counter() - tic
        if n_events:
            order = np.lexsort((event_drone[:n_events], event_t[:n_events]))
            for index in order:
                self._waypoint_event(
                    float(event_t[index]),
                    int(event_drone[index]),
                    int(event_code[index]),
                    int(event_arg[index]),
                )
        self._log_states()

    def _log_depletions(self, battery_before: np.ndarray) -> None:
        """Log where and when each battery that was not below 0 before the last advance
        crossed 0: on its plan, where the stored energy (linear between waypoints, as
        the drone flies it) passes 0."""
        for d in np.flatnonzero((battery_before >= 0.0) & (self.battery < 0.0)):
            wh = self.plan_wh[d, : self.plan_len[d]]
            k = int(np.argmax(wh < 0.0))  # the first waypoint below 0 (the one after the crossing)
            if k == 0:  # cannot hold (the plan starts at the battery before): log the drone's point
                t, xyz = self.t, self.position[d].copy()
            else:
                f = wh[k - 1] / (wh[k - 1] - wh[k])
                t0, t1 = self.plan_t[d, k - 1], self.plan_t[d, k]
                t = float(t0 + f * (t1 - t0))
                xyz = self.plan_xyz[d, k - 1] + f * (self.plan_xyz[d, k] - self.plan_xyz[d, k - 1])
            self.log.add_depletion(int(d), t, xyz)

    def _log_states(self) -> None:
        changed = np.flatnonzero(self.state != self._last_logged)
        for d in changed:
            self.log.add_state(self.t, int(d), int(self.state[d]))
        self._last_logged = self.state.copy()

    def _waypoint_event(self, t: float, d: int, code: int, argument: int) -> None:
        if code == EV_PICKED:
            self.order_status[argument] = CARRIED
            self.payload[d] += self.orders.weight_kg[argument]
            self.log.add_order_event(t, argument, EV_PICKED, d)
        elif code == EV_DELIVERED:
            self.order_status[argument] = DELIVERED
            self.order_delivered_s[argument] = t
            self.payload[d] = max(0.0, self.payload[d] - self.orders.weight_kg[argument])
            if argument in self.drone_orders[d]:
                self.drone_orders[d].remove(argument)
            self.log.add_order_event(t, argument, EV_DELIVERED, d)
        elif code == EV_LANDED:
            self.at_depot[d] = argument
            if self.plan_pos[d] >= self.plan_len[d] - 1:
                self._finish_plan(d, argument, t)

    def _finish_plan(self, d: int, depot: int, t: float) -> None:
        """A drone landed at the end of its plan: charge it, queue it, or let it idle."""
        self.plan_len[d] = 0
        self.plan_pos[d] = 0
        self.payload[d] = 0.0
        for order in self.drone_orders[d]:
            if self.order_status[order] in (ASSIGNED, CARRIED):
                self._fail(order, REASON_TRIP_ABORTED)
            self.log.add_order_event(t, order, EV_RETURNED, d)
        self.drone_orders[d] = []
        self.position[d] = (*self.depots_xy[depot], 0.0)
        if self.battery[d] < 0.9 * self.capacity_wh[d]:
            self._request_pad(d, depot, t)
        else:
            self._set_rest(d, IDLE)

    def _set_rest(self, d: int, state: int) -> None:
        self.rest_state[d] = state
        if self.plan_len[d] == 0:
            self.state[d] = state

    # ------------------------------------------------------------------ charging
    def _request_pad(self, d: int, depot: int, t: float) -> None:
        if len(self.pad_users[depot]) < self.pads[depot]:
            self._start_charging(d, depot, t)
        else:
            self.pad_queue[depot].append(d)
            self._set_rest(d, WAITING_PAD)

    def _start_charging(self, d: int, depot: int, t: float) -> None:
        self.pad_users[depot].append(d)
        needed = self.capacity_wh[d] - self.battery[d]
        done = t + self.models[self.drone_type[d]].charge_time_s(needed)
        self.charge_done_s[d] = done
        self.charge_start_s[d] = t
        self.log.add_charge(t, done, d, depot)
        self.charge_start_wh[d] = self.battery[d]
        self._point(d, t)
        self._set_rest(d, CHARGING)
        self._schedule(done, _CHARGED, d)

    def _charged(self, d: int) -> None:
        depot = int(self.at_depot[d])
        if d in self.pad_users[depot]:
            self.pad_users[depot].remove(d)
        self.battery[d] = self.capacity_wh[d]
        self.charge_done_s[d] = np.nan
        self.charge_start_s[d] = np.nan
        self._point(d, self.t)
        self._set_rest(d, IDLE)
        if self.pad_queue[depot]:
            self._start_charging(self.pad_queue[depot].pop(0), depot, self.t)

    def _point(self, d: int, t: float) -> None:
        """Record the drone's position and battery at ``t`` in its trajectory."""
        self.log.add_points(
            np.array([d], np.int32),
            np.array([t]),
            self.position[d : d + 1],
            self.battery[d : d + 1],
        )
        self._recent[d].append((t, *self.position[d]))

    def _leave_queue(self, d: int) -> None:
        depot = int(self.at_depot[d])
        if depot >= 0 and d in self.pad_queue[depot]:
            self.pad_queue[depot].remove(d)

    # ------------------------------------------------------------------ orders
    def _reason(self, text: str) -> int:
        if text not in self.reasons:
            self.reasons.append(text)
        return self.reasons.index(text)

    def _fail(self, order: int, reason: str) -> None:
        self.order_status[order] = FAILED
        self.order_reason[order] = self._reason(reason)
        self.log.add_order_event(self.t, order, EV_FAILED, int(self.order_drone[order]))

    def created_count(self) -> int:
        """Orders placed so far (created at or before the current time)."""
        return int(np.searchsorted(self.orders.created_s, self.t, side="right"))

    def _open_orders(self) -> np.ndarray:
        created = self.orders.created_s
        first = self._next_order
        while self._next_order < len(created) and created[self._next_order] <= self.t:
            self._next_order += 1
        # Checkout: orders arriving outside the service area are refused at once.
        for order in range(first, self._next_order):
            if self.checkout[order] == OUTSIDE_SERVICE_AREA:
                self._fail(order, REASON_OUTSIDE_SERVICE_AREA)
            elif self.checkout[order] == OVER_PAYLOAD:
                self._fail(order, REASON_OVER_PAYLOAD)
        candidates = np.flatnonzero(self.order_status[: self._next_order] == OPEN)
        expired = candidates[self.orders.deadline_s[candidates] < self.t]
        for order in expired:
            self._fail(int(order), self._expiry_reason(int(order)))
        candidates = candidates[self.orders.deadline_s[candidates] >= self.t]
        # Pad queue accounting. An order waits for its pickup depot's pads while drones
        # there queue for a pad and either no drone ready there has charge enough for its
        # trip (the checkout estimate, or more once routed), or the queue closes the depot
        # to landings (no free pad, as many queuing as pads: `DepotState.open`), so the
        # dispatcher sends trips home elsewhere, often beyond reach.
        ready = self._available() & (self.at_depot >= 0)
        best_wh = np.full(len(self.pads), -np.inf)
        np.maximum.at(best_wh, self.at_depot[ready], self.battery[ready])
        queued = np.array([len(q) for q in self.pad_queue])
        in_use = np.array([len(u) for u in self.pad_users])
        closed = (in_use >= self.pads) & (queued >= self.pads)
        depot = self.orders.pickup_depot[candidates]
        # The least any type was found to need (and the smallest reserve): a drone of
        # some type with that much charge could fly it.
        trip_wh = np.maximum(
            self.order_trip_wh[candidates], self.order_min_wh[:, candidates].min(axis=0)
        )
        charged = best_wh[depot] - trip_wh >= min(m.reserve_wh for m in self.models) - 1e-9
        self.order_open_rounds[candidates] += 1
        self.order_pad_wait_rounds[candidates] += (queued[depot] > 0) & (closed[depot] | ~charged)
        # A drop-off inside an active zone cannot be served while it lasts.
        keep = []
        for order in candidates:
            if self.router.column_free(self.orders.dropoff_xy[order], self.top_layer):
                keep.append(order)
            else:
                zones = self.airspace.zones_at(*self.orders.dropoff_xy[order], 0.0, self.t)
                if zones:
                    self._fail(int(order), reason_destination_in_zone(zones[0].name))
                else:
                    keep.append(order)
        return np.array(keep, np.int64)

    def _expiry_reason(self, order: int) -> str:
        """Why an order accepted at checkout expired open (the first reason that holds):
        a deconfliction policy refused its trips; a routed trip for it needed more than a
        full battery less the reserve of every type (``order_min_wh``, column waits
        included); for at
        least half the rounds it waited, it waited for its pickup depot's pads (see
        `_open_orders`); else capacity (no drone in time, although a full one could fly
        it)."""
        if order in self.slot_refused:
            return REASON_NO_CONFLICT_FREE_SLOT
        spare_wh = np.array([m.battery_wh - m.reserve_wh for m in self.models])
        if (self.order_min_wh[:, order] > spare_wh + 1e-9).all():  # beyond every type
            return REASON_ROUTE_BEYOND_REACH
        if 2 * self.order_pad_wait_rounds[order] >= max(self.order_open_rounds[order], 1):
            return REASON_PAD_QUEUE
        return REASON_NO_DRONE_IN_TIME

    # ------------------------------------------------------------------ dispatch
    def _available(self) -> np.ndarray:
        """Drones that may take new work: on the ground at a depot and not charging, or
        waiting for a pad with enough battery."""
        idle = (self.plan_len == 0) & (self.rest_state == IDLE)
        waiting = (
            (self.plan_len == 0)
            & (self.rest_state == WAITING_PAD)
            & (self.battery >= self.scenario.dispatch.charge_threshold * self.capacity_wh)
        )
        return idle | waiting

    def _await(self, group: str) -> None:
        """With a warm-up process compiling kernels, let it finish ``group`` first."""
        if self.warmup is not None:
            self.warmup.wait(group)

    def _dispatch(self) -> None:
        """One dispatch round: the adapter decides (`sim.dispatching`), the engine carries
        the decisions out in the order given."""
        tic = time.perf_counter()
        self.counters.dispatch_rounds += 1
        self.columns.prune(self.t)
        if not self.wind.steady_uniform:
            self._renew_forecast()
        open_orders = self._open_orders()
        drones = np.flatnonzero(self._available())
        # A depot runs dry while its orders wait and none of its drones is available:
        # counted until the next round.
        k = len(self.depots_xy)
        waiting = np.bincount(self.orders.pickup_depot[open_orders], minlength=k)
        ready = np.bincount(self.at_depot[drones][self.at_depot[drones] >= 0], minlength=k)
        self.depot_dry_s[(waiting > 0) & (ready == 0)] += self.scenario.dispatch.interval_s
        if len(drones) == 0:
            self.counters.timers["dispatch"] += time.perf_counter() - tic
            return
        decisions = self._decide(drones, open_orders)
        self.counters.timers["dispatch"] += time.perf_counter() - tic
        taken: set[int] = set()
        for _ in range(1 + REFUSAL_RETRIES):
            refused = []
            for decision in decisions:
                if decision.action == TRIP:
                    taken.update(order for order, _ in decision.stops)
                    if not self._start_trip(decision.drone, list(decision.stops)):
                        refused.append(decision.drone)
                else:
                    self._send_to(decision.drone, decision.depot, charge=decision.action == CHARGE)
            if not refused:
                break
            # Drones whose trips the deconfliction policy refused are free again: they get
            # the other open orders now rather than idle until the next round (the refused
            # orders wait for it, as the policy's backoff does).
            remaining = open_orders[~np.isin(open_orders, np.fromiter(taken, np.int64))]
            if len(remaining) == 0:
                break
            tic = time.perf_counter()
            decisions = self._decide(np.array(refused, np.int64), remaining)
            self.counters.timers["dispatch"] += time.perf_counter() - tic

    def _decide(self, drones: np.ndarray, open_orders: np.ndarray):
        """The dispatcher's decisions for these drones and open orders, now."""
        return self.dispatcher.decide(
            self.t,
            drones,
            open_orders,
            self.at_depot,
            self.battery,
            self.order_min_wh,
            np.array([len(u) for u in self.pad_users]),
            np.array([len(q) for q in self.pad_queue]),
            self._next_order,
        )

    def _renew_forecast(self) -> None:
        """The dispatcher's estimates take the wind forecast for now (`WindField.forecast`
        at the estimates' cruise altitude)."""
        forecast = self.wind.forecast(self.t, self.travel.cruise_altitude_m)
        if forecast != self.travel.wind_mps:
            self.travel = dataclasses.replace(self.travel, wind_mps=forecast)
            self.dispatcher.travel = self.travel

    def _start_trip(self, d: int, stops: list[tuple[int, int]]) -> bool:
        """Start a trip (False: the deconfliction policy refused it, the drone is free)."""
        depot = int(self.at_depot[d])
        start = (*self.depots_xy[depot], 0.0)
        # A policy that plans whole trips in space and time (e.g. strategic) answers
        # first; None: the normal builder and the column sequencing.
        timed = self.deconfliction.plan_trip(
            TripRequest(
                d, self.t, start, float(self.battery[d]), stops, depot, self.trips, self.router
            )
        )
        if timed is False:
            # Refused: no conflict-free plan within its limits; the orders keep waiting.
            self.counters.rejected_trips += 1
            self.slot_refused.update(order for order, _ in stops)
            return False
        sequenced = None
        if timed is None:
            clock = (self.t, float(self.battery[d]), d)
            plan, _ = self.trips.build(self.router, start, 0.0, stops, depot, clock)
            if plan is None:
                self.counters.rejected_trips += 1
                return True
            self._await("plan")
            sequenced = self.trips.sequence(plan, self.t, self.battery[d], d)
            timed = None if sequenced is None else sequenced.timed
        if timed is None or timed["wh"][-1] < self.reserve_wh[d] - 1e-6:
            # The routed trip needs more than the estimate: remember what a trip for these
            # orders takes from here, and charge before the next try.
            self.counters.rejected_trips += 1
            if timed is not None:
                needed = float(timed["wh"][0] - timed["wh"][-1])
                for order, kind in stops:
                    if kind == PICKUP and len(stops) == 2:
                        row = self.drone_type[d]
                        self.order_min_wh[row, order] = max(self.order_min_wh[row, order], needed)
            if self.rest_state[d] == IDLE:
                self._request_pad(d, depot, self.t)
            return True
        self._leave_queue(d)
        if sequenced is not None:
            self._commit_columns(d, sequenced)
        self.install_plan(d, timed)
        self.at_depot[d] = -1
        for order, kind in stops:
            if kind == PICKUP:
                self.order_status[order] = ASSIGNED
                self.order_drone[order] = d
                self.log.add_order_event(self.t, order, EV_ASSIGNED, d)
                self.drone_orders[d].append(order)
        return True

    def _send_to(self, d: int, depot: int, charge: bool) -> None:
        here = int(self.at_depot[d])
        if here == depot:
            if charge and self.rest_state[d] != CHARGING:
                self._leave_queue(d)
                self._request_pad(d, depot, self.t)
            return
        # A policy that plans whole flights in space and time answers first (False:
        # refused, the drone stays).
        plan_reposition = getattr(self.deconfliction, "plan_reposition", None)
        if plan_reposition is not None:
            request = TripRequest(
                d, self.t, (*self.depots_xy[here], 0.0), float(self.battery[d]), [], here,
                self.trips, self.router,
            )  # fmt: skip
            timed = plan_reposition(request, depot)
            if timed is not None:
                if timed is False or timed["wh"][-1] < self.reserve_wh[d] - 1e-6:
                    return
                self._leave_queue(d)
                self.install_plan(d, timed)
                self.at_depot[d] = -1
                return
        plan = PlanBuilder(*self.depots_xy[here], 0.0, 0.0)
        if not self.trips.fly(
            self.router,
            plan,
            here,
            self.depots_xy[depot],
            depot,
            REPOSITIONING,
            land=True,
            event=EV_LANDED,
            arg=depot,
            clock=(self.t, float(self.battery[d]), d),
        ):
            return
        sequenced = self.trips.sequence(plan, self.t, self.battery[d], d)
        timed = None if sequenced is None else sequenced.timed
        if timed is None or timed["wh"][-1] < self.reserve_wh[d] - 1e-6:
            return
        self._leave_queue(d)
        self._commit_columns(d, sequenced)
        self.install_plan(d, timed)
        self.at_depot[d] = -1

    def _commit_columns(self, d: int, sequenced: Sequenced) -> None:
        """The drone's new plan replaces its column reservations from now on, and what its
        waits cost goes into the run log."""
        self.columns.release(d, self.t)
        self.columns.reserve(sequenced.reservations)
        if sequenced.takeoff_delay_s is not None:
            self.log.takeoff_delays_s.append(float(sequenced.takeoff_delay_s))
        if sequenced.hover_wait_s > 0.0:
            self.log.column_hover_s.append(float(sequenced.hover_wait_s))

    def install_plan(self, d: int, timed: dict) -> None:
        """Give drone ``d`` a timed flight plan starting now, replacing its current one.

        Parameters
        ----------
        d : int
            The drone.
        timed : dict
            `PlanBuilder.timed` output: ``t`` (s), ``xyz`` (m), ``wh`` (battery, Wh),
            ``state``, ``event`` and ``arg`` per waypoint; its first point is where the
            drone is now.
        """
        # Busy time: a plan keeps the drone busy from now to its end (within the run).
        if self.plan_len[d] > 0:
            self.log.busy_seconds -= max(
                0.0, min(self.plan_t[d, self.plan_len[d] - 1], self.duration_s) - self.t
            )
        self.log.busy_seconds += max(0.0, min(timed["t"][-1], self.duration_s) - self.t)
        # The plan's first point (where and when it starts) belongs to the flown path.
        self._point(d, float(timed["t"][0]))
        length = timed["t"].shape[0]
        if length > self.width:
            self._widen(length)
        self.plan_t[d, :length] = timed["t"]
        self.plan_xyz[d, :length] = timed["xyz"]
        self.plan_wh[d, :length] = self._gusted(timed["wh"])
        self.plan_state[d, :length] = timed["state"]
        self.plan_event[d, :length] = timed["event"]
        self.plan_arg[d, :length] = timed["arg"]
        self.plan_len[d] = length
        self.plan_pos[d] = 0
        self.rest_state[d] = IDLE
        self.state[d] = timed["state"][0]

    def _gusted(self, wh: np.ndarray) -> np.ndarray:
        """Battery energy along a plan with gusts: each segment's energy times a factor
        drawn in ``[1, 1 + gust_fraction)`` (one draw per segment; none without gusts)."""
        gust = self.wind.gust_fraction
        if gust <= 0.0 or len(wh) < 2:
            return wh
        used = wh[:-1] - wh[1:]
        factors = 1.0 + gust * self._gust_rng.random(len(used))
        out = np.empty_like(wh)
        out[0] = wh[0]
        out[1:] = wh[0] - np.cumsum(used * factors)
        return out

    def _widen(self, length: int) -> None:
        extra = max(length, 2 * self.width) - self.width
        pad = ((0, 0), (0, extra))
        self.plan_t = np.pad(self.plan_t, pad)
        self.plan_xyz = np.pad(self.plan_xyz, pad + ((0, 0),))
        self.plan_wh = np.pad(self.plan_wh, pad)
        self.plan_state = np.pad(self.plan_state, pad)
        self.plan_event = np.pad(self.plan_event, pad)
        self.plan_arg = np.pad(self.plan_arg, pad, constant_values=-1)
        self.width += extra

    # ------------------------------------------------------------------ zones
    def _zone_changed(self) -> None:
        """A temporary zone switched on or off: new grids, and replans for every drone
        whose remaining route would cross a zone now active."""
        tic = time.perf_counter()
        active_now = tuple(
            i
            for i, zone in enumerate(self.airspace.zones)
            if zone.is_temporary and zone.active_at(self.t)
        )
        # The same zones active again (a zone switched off): that epoch's grids and fields still hold.
        router = self._routers.get(active_now)
        if router is None:
            router = LayerRouter(
                self.airspace,
                self.t,
                self.planner_name,
                self.scenario.planner.smooth,
                self.counters.timers,
            )
            self._routers[active_now] = router
        self.router = router
        self.counters.timers["planning"] += time.perf_counter() - tic
        # A policy that keeps its own picture of the sky learns of the change first (e.g.
        # strategic reserves an unannounced zone from now, before any replan).
        zones_changed = getattr(self.deconfliction, "zones_changed", None)
        if zones_changed is not None:
            zones_changed(self.t, active_now)
        active = [
            zone for zone in self.airspace.zones if zone.is_temporary and zone.active_at(self.t)
        ]
        # Drones holding in the air for want of a safe way try again at every change.
        for d in np.flatnonzero(self.plan_len > 0).tolist():
            if d in self._held or (active and self._route_crosses(d, active)):
                self._replan(d, active)

    def _route_crosses(self, d: int, zones) -> bool:
        """Whether the drone's remaining route meets one of the active ``zones`` while it
        is active (a segment flown after a zone's end does not count: e.g. a strategic
        plan that waits for the zone to lift)."""
        pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
        points = np.concatenate([self.position[d : d + 1], self.plan_xyz[d, pos + 1 : length]])
        times = np.concatenate([[self.t], self.plan_t[d, pos + 1 : length]])
        if len(points) < 2:
            points = np.concatenate([points, points])
            times = np.concatenate([times, times])
        lines = shapely.linestrings(np.stack([points[:-1, :2], points[1:, :2]], axis=1))
        for zone in zones:
            low = np.minimum(points[:-1, 2], points[1:, 2])
            high = np.maximum(points[:-1, 2], points[1:, 2])
            in_band = (high >= zone.floor_m) & (low <= zone.ceiling_m)
            if zone.active_until_s is not None:
                in_band &= times[:-1] < zone.active_until_s
            if np.any(in_band & shapely.intersects(lines, zone.keep_out)):
                return True
        return False

    def _replan(self, d: int, zones) -> None:
        """Fly the remaining stops again from where the drone is, around the active zones.

        A drone in the air inside a zone that switched on around it first takes the
        shortest safe way out (`LayerRouter.escape`: never through a building, a
        permanent zone or another active zone), recorded as an `audit.Escape`. A drone
        in the air whose trip cannot start where it is (its column is blocked) first
        moves the same way to open air. With no safe way, or no route at all, a drone in
        the air holds its position until the zones change (``escape_failures``) rather
        than fly through; a drone on the ground at a depot stays there.

        A policy with a ``replan_in_flight`` hook (`sim.deconfliction`; e.g. strategic,
        against its reservations) answers first; None from it: the normal way above.
        """
        self.counters.replans += 1
        x, y, z = (float(v) for v in self.position[d])
        # A way out being flown ends here: what follows is checked against every zone.
        self.log.escapes = [
            dataclasses.replace(e, until_s=self.t) if e.drone == d and e.until_s > self.t else e
            for e in self.log.escapes
        ]
        if d in self._held:
            remaining = self._held.pop(d)
        else:
            pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
            remaining = [
                (
                    int(self.plan_arg[d, i]),
                    PICKUP if self.plan_event[d, i] == EV_PICKED else DROPOFF,
                )
                for i in range(pos + 1, length)
                if self.plan_event[d, i] in (EV_PICKED, EV_DELIVERED)
            ]
        # Orders whose drop-off is now inside a zone: the parcel comes back.
        stops = []
        for order, kind in remaining:
            target = self.orders.dropoff_xy[order]
            if kind == 1 and not self.router.column_free(target, self.top_layer):
                point = shapely.Point(*target)
                nearest = min(zones, key=lambda zone: zone.keep_out.distance(point), default=None)
                name = "?" if nearest is None else nearest.name
                self._fail(order, reason_destination_in_zone(name))
                continue
            stops.append((order, kind))
        dropped = {o for o, _ in remaining} - {o for o, _ in stops}
        stops = [(o, k) for o, k in stops if o not in dropped]
        here = shapely.Point(x, y)
        leaving = tuple(
            index
            for index, zone in enumerate(self.airspace.zones)
            if zone.is_temporary
            and zone.active_at(self.t)
            and zone.floor_m <= z <= zone.ceiling_m
            and zone.keep_out.intersects(here)
        )
        depot_order = np.lexsort(
            (
                np.arange(len(self.depots_xy)),
                np.hypot(self.depots_xy[:, 0] - x, self.depots_xy[:, 1] - y),
            )
        )
        on_ground = z <= 0.0
        home_hint = int(depot_order[0]) if on_ground else -1
        # A policy that plans in space and time replans first (e.g. strategic: against its
        # reservations, a way out of a zone included); None: the normal way below.
        replan_in_flight = getattr(self.deconfliction, "replan_in_flight", None)
        answer = None
        if replan_in_flight is not None:
            answer = replan_in_flight(d, stops, zones)
        if answer is not None:
            for order in answer.dropped:
                self._fail(order, REASON_NO_ROUTE_AROUND_ZONE)
            if answer.stay:
                self._stay_at_depot(d, home_hint)
                return
            if answer.held:
                self.counters.escape_failures += 1
                self._held[d] = list(answer.held_stops)
            if leaving and answer.escape_until_s is not None:
                self.counters.zone_escapes += 1
                self.log.escapes.append(Escape(d, self.t, answer.escape_until_s, leaving))
            self.install_plan(d, answer.timed)
            return
        # The policy's reservations for the replaced plan are freed; the new plan is built
        # the normal way (not planned against reservations).
        replaced = getattr(self.deconfliction, "plan_replaced", None)
        if replaced is not None:
            replaced(d)

        def escape_to_open_air(builder, exits: tuple[int, ...]):
            route = self.router.escape((x, y, z), self.t, exits, self.top_layer)
            if route is None:
                return None
            for point in route[1:]:
                builder.move(*point, ESCAPING)
            return tuple(float(v) for v in route[-1])

        builder = PlanBuilder(x, y, z, self.payload[d])
        start: tuple[float, float, float] | None = (x, y, z)
        if leaving and not on_ground:
            start = escape_to_open_air(builder, leaving)
        plan = None
        if start is not None:
            # Pads are chosen against the reservations when the trip starts here and now.
            clock = (self.t, float(self.battery[d]), d) if len(builder.xyz) == 1 else None
            plan, _ = self.trips.build(self.router, start, self.payload[d], stops, home_hint, clock)
            if (
                plan is None
                and not leaving
                and not on_ground
                and not self.router.column_free((x, y), self.top_layer)
            ):
                # The trip cannot climb or descend here any more: open air first.
                moved = PlanBuilder(x, y, z, self.payload[d])
                exit_xyz = escape_to_open_air(moved, ())
                if exit_xyz is not None:
                    builder, start = moved, exit_xyz
                    plan, _ = self.trips.build(self.router, exit_xyz, self.payload[d], stops, -1)
        escape_end = len(builder.xyz) - 1  # the last waypoint of the way out
        if plan is not None:
            whole = copy.deepcopy(builder)
            whole.xyz += plan.xyz[1:]
            whole.kind += plan.kind
            whole.hold += plan.hold
            whole.payload += plan.payload
            whole.state += plan.state
            whole.event += plan.event[1:]
            whole.arg += plan.arg[1:]
            # Checked before it is flown: the trip's climbs and descents from mid-air
            # included (the way out was checked by `escape`).
            if self.router.clear(whole.xyz[escape_end:], self.t):
                builder = whole
            else:
                plan = None
        if plan is None and start is not None:
            # No way to the remaining stops: the parcels come back to the nearest depot
            # that can be reached.
            for order in dict.fromkeys(order for order, _ in stops):
                self._fail(order, REASON_NO_ROUTE_AROUND_ZONE)
            stops = []
            if on_ground:
                self._stay_at_depot(d, home_hint)
                return
            for home in depot_order.tolist():
                attempt = copy.deepcopy(builder)
                if self.trips.fly(
                    self.router,
                    attempt,
                    -1,
                    self.depots_xy[home],
                    home,
                    RETURNING,
                    land=True,
                    event=EV_LANDED,
                    arg=home,
                    clock=(self.t, float(self.battery[d]), d),
                ) and self.router.clear(attempt.xyz[escape_end:], self.t):
                    builder = attempt
                    break
            else:
                # Nowhere to go: hold where the way out (if any) ended.
                self.counters.escape_failures += 1
                self._held[d] = stops
                builder.hold_at(max(self.duration_s - self.t, 1.0), ESCAPING, False)
        if start is None:
            # No safe way out: hold here until the zones change.
            self.counters.escape_failures += 1
            self._held[d] = stops
            builder = PlanBuilder(x, y, z, self.payload[d])
            builder.hold_at(max(self.duration_s - self.t, 1.0), ESCAPING, on_ground)
            escape_end = 0
        sequenced = self.trips.sequence(builder, self.t, self.battery[d], d)
        if sequenced is None:
            return
        timed = sequenced.timed
        self._commit_columns(d, sequenced)
        if leaving and escape_end > 0:
            self.counters.zone_escapes += 1
            self.log.escapes.append(Escape(d, self.t, float(timed["t"][escape_end]), leaving))
        self.install_plan(d, timed)

    def _stay_at_depot(self, d: int, depot: int) -> None:
        """A drone on the ground at ``depot`` with no way to its stops stays there."""
        self.log.busy_seconds -= max(
            0.0, min(self.plan_t[d, self.plan_len[d] - 1], self.duration_s) - self.t
        )
        self.at_depot[d] = depot
        self.columns.release(d, self.t)
        self._finish_plan(d, depot, self.t)

    # ------------------------------------------------------------------ snapshot
    def snapshot(self, t_s: float | None = None) -> Snapshot:
        """The run now (a live simulation only knows the present: ``t_s`` must be ``self.t``)."""
        if t_s is not None and abs(t_s - self.t) > 1e-9:
            raise ValueError(
                f"a live simulation is at t = {self.t:g} s; advance it with step_to({t_s:g})"
            )
        n = self.n_drones
        battery = self.displayed_battery_wh()
        heading = np.zeros(n)
        routes = []
        trails = []
        for d in range(n):
            recent = np.array(self._recent[d], dtype=float).reshape(-1, 4)
            order = np.argsort(recent[:, 0], kind="stable")
            trails.append(
                trail_points(recent[order, 0], recent[order, 1:], self.t, self.position[d], TRAIL_S)
            )
            pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
            resting = self.position[d, 2] <= 0.0 and self.state[d] in REST_STATES
            routes.append(
                route_ahead(self.position[d], self.plan_xyz[d, pos + 1 : length], resting)
            )
            heading[d] = self._heading(d)
        created = self.created_count()
        status = self.order_status[:created]
        open_orders = np.flatnonzero((status == OPEN) | (status == ASSIGNED) | (status == CARRIED))
        delivered = status == DELIVERED
        late = delivered & (self.order_delivered_s[:created] > self.orders.deadline_s[:created])
        active, upcoming, countdown = zone_timing(self.airspace.zones, self.t)
        return Snapshot(
            t_s=self.t,
            clock_s=(self.scenario.demand.start_hour * 3600.0 + self.t) % 86400.0,
            position_m=self.position.copy(),
            heading_rad=heading,
            state=self.state.copy(),
            battery_fraction=np.clip(battery / self.capacity_wh, 0.0, 1.0),
            payload_kg=self.payload.copy(),
            route_m=tuple(routes),
            trail_m=tuple(trails),
            active_zones=active,
            upcoming_zones=upcoming,
            zone_countdown_s=countdown,
            order_pickup_m=self.orders.pickup_xy[open_orders],
            order_dropoff_m=self.orders.dropoff_xy[open_orders],
            order_created_s=self.orders.created_s[open_orders],
            order_deadline_s=self.orders.deadline_s[open_orders],
            order_carried=status[open_orders] == CARRIED,
            order_drone=np.where(
                (status[open_orders] == ASSIGNED) | (status[open_orders] == CARRIED),
                self.order_drone[open_orders],
                -1,
            ),
            depot_pads=self.pads.copy(),
            depot_in_use=np.array([len(users) for users in self.pad_users], np.int64),
            depot_queue=np.array([len(queue) for queue in self.pad_queue], np.int64),
            delivered=int(delivered.sum()),
            late=int(late.sum()),
            failed=int((status == FAILED).sum()),
            pending=int(len(open_orders)),
            energy_used_wh=float(self.log.energy_used_wh),
            separation_losses=int(self.counters.separation_losses),
            state_names=STATE_NAMES,
            # Only encounters still open can be in progress (closed ones ended earlier).
            loss_pairs=active_loss_pairs(
                LossLog.from_rows(self._open_f[: self._n_open], self._open_i[: self._n_open]),
                self.t,
            ),
            depot_pad_xy_m=tuple(pads.copy() for pads in self.pads_xy),
        )

    def separation_log(self) -> LossLog:
        """Every loss of separation so far, one row per encounter (`sim.runlog.LossLog`);
        those still in progress end now."""
        n = self._n_open
        return self.log.losses(self._open_f[:n], self._open_i[:n])

    def displayed_battery_wh(self) -> np.ndarray:
        """Battery now, watt-hours; a drone on a pad fills linearly until its charge ends
        (the engine itself credits the charge when it completes)."""
        battery = self.battery.copy()
        charging = np.isfinite(self.charge_start_s)
        if charging.any():
            span = np.maximum(self.charge_done_s[charging] - self.charge_start_s[charging], 1e-9)
            f = np.clip((self.t - self.charge_start_s[charging]) / span, 0.0, 1.0)
            battery[charging] = self.charge_start_wh[charging] + f * (
                self.capacity_wh[charging] - self.charge_start_wh[charging]
            )
        return battery

    def remaining_waypoints(self) -> tuple[np.ndarray, np.ndarray]:
        """The waypoints each drone still has planned after its position now.

        Returns
        -------
        drone : numpy.ndarray of int32, shape (k,)
            Owner of each waypoint, in drone order.
        xyz_m : numpy.ndarray, shape (k, 3)
            Waypoints in the order they will be flown, metres (local frame).
        """
        ahead = np.maximum(self.plan_len - 1 - self.plan_pos, 0)
        drone = np.repeat(np.arange(self.n_drones, dtype=np.int32), ahead)
        xyz = np.concatenate(
            [
                self.plan_xyz[d, self.plan_pos[d] + 1 : self.plan_len[d]]
                for d in range(self.n_drones)
            ]
            + [np.empty((0, 3))]
        )
        return drone, xyz

    @property
    def planner_calls(self) -> int:
        """Calls to the route planner so far, over every zone epoch (distance-field routes
        excluded)."""
        return int(sum(router.planner_calls for router in self._routers.values()))

    def _heading(self, d: int) -> float:
        """Direction of the segment being flown, radians clockwise from north (0 when
        not moving horizontally)."""
        pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
        if pos + 1 >= length:
            return 0.0
        return segment_heading(self.plan_xyz[d, pos], self.plan_xyz[d, pos + 1])

    def trajectory(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every drone's flown path so far: ``(drone, t_s, xyz_m, battery_wh)`` sorted by
        drone then time; linear interpolation between a drone's consecutive points gives
        its exact position. Points repeated at the same time are kept once."""
        # The current position closes every path at the current time.
        return self.log.trajectory(self.t, self.position, self.displayed_battery_wh())

    def nofly_violations(self) -> int:
        """Flown segments inside an active zone, one per segment and zone (`sim.audit`:
        the zones' `keep_out` in their altitude band and active window, the geometry the
        planners block). Escapes are exempt from the zones they leave only."""
        drone, t, xyz, _ = self.trajectory()
        segment, _ = audit.zone_intrusions(drone, t, xyz, self.airspace.zones, self.log.escapes)
        return int(len(segment))

    def building_intrusions(self) -> int:
        """Flown segments inside a building, one per segment and building (`sim.audit`:
        the footprint grown by the horizontal clearance, up to roof + vertical
        clearance, the geometry the planners block)."""
        drone, t, xyz, _ = self.trajectory()
        a = self.airspace
        segment, _ = audit.building_intrusions(
            drone, t, xyz, a.buildings, a.horizontal_clearance_m, a.vertical_clearance_m
        )
        return int(len(segment))


def build_world(scenario: Scenario, duration_s: float | None = None) -> tuple[City, Airspace]:
    """The scenario's city and airspace (generated, or read from GeoJSON), with the zones of
    its standards zone files (`with_uas_zones`) in force over ``duration_s`` seconds (the
    run's length; default the scenario's ``duration_s``)."""
    from dronesim.maps.errors import InputError
    from dronesim.sim.scenario import check_map

    spec = scenario.map
    if spec.generator == "geojson":
        from dronesim.maps.geojson import read_geojson

        try:
            city = read_geojson(spec.geojson)
        except InputError as error:
            raise ScenarioError(scenario.source, "map.geojson", str(error)) from None
        check_map(scenario, city)  # sizes, before the grid is allocated
    else:
        try:
            city = generate_city(
                spec.seed,
                width_m=spec.width_m,
                height_m=spec.height_m,
                depots=spec.depots,
                pads_per_depot=spec.pads_per_depot,
                temporary_window_s=spec.temporary_window_s,
                temporary_unannounced=spec.temporary_unannounced,
                depot_siting=spec.depot_siting,
                temporary_zone_xy_m=spec.temporary_zone_xy_m,
                origin_lonlat=spec.origin_lonlat,
            )
        except InputError as error:  # anything else is a bug: it keeps its traceback
            raise ScenarioError(scenario.source, "map", str(error)) from None
    if spec.uas_zones:
        city = with_uas_zones(scenario, city, duration_s)
    try:
        airspace = city.to_airspace(
            spec.cell_size_m,
            layers_m=spec.layers_m,
            ceiling_m=spec.ceiling_m,
            horizontal_clearance_m=spec.horizontal_clearance_m,
            vertical_clearance_m=spec.vertical_clearance_m,
        )
    except ValueError as error:
        # A depot inside a building or zone: the file that placed it, and the field.
        field_path, where = ("map.geojson", f"{spec.geojson}: ") if spec.geojson else ("map", "")
        raise ScenarioError(scenario.source, field_path, f"{where}{error}") from None
    if not airspace.depots:
        raise ScenarioError(scenario.source, "map", "the map has no depots")
    return city, airspace


def with_uas_zones(scenario: Scenario, city: City, duration_s: float | None = None) -> City:
    """The city with the zones of the scenario's ED-269 / ED-318 files (``map.uas_zones``)
    that block and meet the map during the run (`maps.uas_zones.read_uas_zones`), projected
    into the city's frame, limits above its ground, windows from ``start_utc`` over
    ``duration_s`` seconds (default the scenario's; a run of another length passes its own).

    Raises
    ------
    ScenarioError
        Naming ``map.uas_zones`` (a malformed zone: its file, identifier, field and value),
        ``map.origin_lonlat`` (a generated city without one) or ``map.authorised_zones``
        (an identifier no file holds).
    """
    from dronesim.maps.errors import InputError
    from dronesim.maps.projection import LocalProjection
    from dronesim.maps.uas_zones import read_uas_zone_file

    spec = scenario.map
    if city.origin_lonlat is None:
        raise ScenarioError(
            scenario.source,
            "map.origin_lonlat",
            "map.uas_zones holds lon/lat zones: a generated city needs map.origin_lonlat "
            "(where its (0, 0) corner lies)",
        )
    projection = LocalProjection(*city.origin_lonlat)
    ground = (
        spec.ground_elevation_grid
        if spec.ground_elevation_grid is not None
        else spec.ground_elevation_m
    )
    if spec.ground_elevation_grid is not None:
        gx0, gy0, gx1, gy1 = spec.ground_elevation_grid.bounds_m
        xmin, ymin, xmax, ymax = city.bounds_m
        if gx0 > xmin or gy0 > ymin or gx1 < xmax or gy1 < ymax:
            raise ScenarioError(
                scenario.source,
                "map.ground_elevation_grid",
                f"covers ({gx0:g}, {gy0:g})-({gx1:g}, {gy1:g}) m, not the whole map "
                f"({xmin:g}, {ymin:g})-({xmax:g}, {ymax:g}) m",
            )
    box = shapely.box(*city.bounds_m)
    zones: list[NoFlyZone] = []
    identifiers: set[str] = set()
    for path in spec.uas_zones:
        try:
            found = read_uas_zone_file(
                path,
                projection,
                scenario.start_utc,
                scenario.duration_s if duration_s is None else duration_s,
                ground,
                spec.authorised_zones,
            )
        except InputError as error:
            raise ScenarioError(scenario.source, "map.uas_zones", str(error)) from None
        identifiers.update(found.identifiers)
        # Zones of a national file far from this city meet no cell: left out.
        zones.extend(zone for zone in found.zones() if zone.geometry.intersects(box))
    unknown = [name for name in spec.authorised_zones if name not in identifiers]
    if unknown:
        raise ScenarioError(
            scenario.source,
            "map.authorised_zones",
            f"{unknown[0]!r} is no zone of the map.uas_zones files",
        )
    taken = {zone.name for zone in city.zones}
    clash = next((zone.name for zone in zones if zone.name in taken), None)
    if clash is not None:
        raise ScenarioError(
            scenario.source,
            "map.uas_zones",
            f"zone {clash!r} has the name of a zone of the map itself",
        )
    try:
        return dataclasses.replace(city, zones=city.zones + tuple(zones))
    except ValueError as error:  # two files with one identifier
        raise ScenarioError(scenario.source, "map.uas_zones", str(error)) from None


def check_depot_columns(scenario: Scenario, airspace: Airspace, top_layer: int) -> None:
    """Every depot's own column free up to the highest cruise layer used.

    Parameters
    ----------
    scenario : Scenario
        For the file and field named in the error.
    airspace : Airspace
        The scenario's airspace (`build_world`).
    top_layer : int
        Index of the highest cruise layer the deconfliction policy uses.

    Raises
    ------
    ScenarioError
        Naming ``map`` (or ``map.geojson`` and the map file) and the depot.
    """
    blocked = airspace.blocked
    for depot in airspace.depots:
        _, j, i = (int(v) for v in airspace.cell_of(depot.x_m, depot.y_m))
        if blocked[: top_layer + 1, j, i].any():
            spec = scenario.map
            field_path, where = (
                ("map.geojson", f"{spec.geojson}: ") if spec.geojson else ("map", "")
            )
            raise ScenarioError(
                scenario.source,
                field_path,
                f"{where}depot '{depot.name}' at ({depot.x_m:.0f}, {depot.y_m:.0f}) has no free "
                f"column up to the cruise layers (a building or zone is above it)",
            )


def place_pads(scenario: Scenario, airspace: Airspace, top_layer: int) -> list[np.ndarray]:
    """Each depot's pads (`vertiports.pad_positions`), checked: every pad on the map,
    on open ground (its taxiway from the depot point too: no building within the
    horizontal clearance, no permanent zone) and with a free column up to the
    highest cruise layer. Without a spacing in the scenario or the map file, a depot
    takes the first of the default spacings that fits
    (`vertiports.DEFAULT_SPACINGS` x ``separation.horizontal_m``).

    Parameters
    ----------
    scenario : Scenario
        Pad layout and spacing (``map.pad_layout``, ``map.pad_spacing_m``), separation.
    airspace : Airspace
        The scenario's airspace (`build_world`); its depots may carry their own layout
        and spacing (from a GeoJSON map).
    top_layer : int
        Index of the highest cruise layer used: each pad's column must be free up to it.

    Returns
    -------
    list of numpy.ndarray, shape (pads, 2)
        Each depot's pad positions, metres.

    Raises
    ------
    ScenarioError
        Naming the field that placed the pads (``map.pad_spacing_m``, or
        ``map.geojson`` for a depot with its own spacing or layout) and the value.
    """
    spec = scenario.map
    placed = []
    for depot in airspace.depots:
        layout, spacings = _layout(scenario, depot)
        pads, problem = _first_fit(scenario, airspace, top_layer, depot)
        if problem is not None:
            shown = " or ".join(f"{v:g}" for v in spacings)
            if depot.pad_spacing_m is not None or depot.pad_layout is not None:
                field_path = "map.geojson"
                value = f"{spec.geojson}: depot '{depot.name}' pad_spacing_m = {shown} m, {layout} layout"
            else:
                field_path = "map.pad_spacing_m"
                value = f"{shown} m ({layout} layout, {depot.pads} pads)"
            raise ScenarioError(
                scenario.source,
                field_path,
                f"{value}: {problem}; the pads do not fit the depot (a smaller spacing or fewer pads)",
            )
        placed.append(pads)
    return placed


def _first_fit(
    scenario: Scenario, airspace: Airspace, top_layer: int, depot
) -> tuple[np.ndarray, str | None]:
    """The depot's pads at the first of its spacings that fits (`_layout`), and None; or
    the pads at the last spacing tried and what keeps them from being used."""
    layout, spacings = _layout(scenario, depot)
    for spacing in spacings:
        pads = pad_positions(depot.x_m, depot.y_m, depot.pads, layout, spacing)
        problem = _pad_problem(airspace, top_layer, depot, pads)
        if problem is None:
            break
    return pads, problem


def _layout(scenario: Scenario, depot) -> tuple[str, tuple[float, ...]]:
    """A depot's pad layout and the spacings to try, metres, in order (`place_pads`)."""
    spec = scenario.map
    layout = depot.pad_layout or spec.pad_layout
    if depot.pad_spacing_m is not None:
        return layout, (depot.pad_spacing_m,)
    if spec.pad_spacing_m is not None:
        return layout, (spec.pad_spacing_m,)
    return layout, tuple(f * scenario.separation.horizontal_m for f in DEFAULT_SPACINGS)


def _pad_problem(airspace: Airspace, top_layer: int, depot, pads: np.ndarray) -> str | None:
    """What keeps one of ``pads`` from being used (see `place_pads`), or None."""
    a = airspace
    top_m = float(a.layers_m[top_layer])
    for k, (x, y) in enumerate(pads):
        where = f"pad {k} of depot '{depot.name}' at ({x:.0f}, {y:.0f})"
        if not a.contains_xy(x, y):
            return f"{where} lies outside the map"
        taxiway = shapely.LineString([(depot.x_m, depot.y_m), (x, y)])
        near = taxiway.buffer(max(a.horizontal_clearance_m, 1e-6))
        hits = a.buildings.tree.query(near, predicate="intersects") if len(a.buildings) else ()
        if len(hits):
            return f"{where} is within {a.horizontal_clearance_m:g} m of building {int(min(hits))}"
        for zone in a.zones:
            if (
                not zone.is_temporary
                and zone.overlaps_band(0.0, top_m)
                and zone.keep_out.intersects(taxiway)
            ):
                return f"{where} lies in no-fly zone '{zone.name}'"
        _, j, i = (int(v) for v in a.cell_of(x, y))
        if a.blocked[: top_layer + 1, j, i].any():
            return f"{where} has no free column up to the cruise layer at {top_m:g} m"
    return None


def size_depots(
    scenario: Scenario, city: City, airspace: Airspace, top_layer: int
) -> tuple[Airspace, np.ndarray | None]:
    """Pads and drones per depot from the expected demand (``map.sizing = "demand"``).

    The scenario's totals (every depot's pads; every depot's drones) are shared out in
    proportion to each depot's expected share of the orders
    (`sim.demand.expected_depot_shares`) by largest remainders, each depot keeping at
    least one pad, and at least one drone where any demand is expected. A depot given more
    pads than its ground holds (`place_pads`: on open ground, columns free) keeps as many as fit. With
    ``map.sizing = "uniform"`` nothing changes.

    Parameters
    ----------
    scenario : Scenario
    city, airspace : City, Airspace
        The scenario's city (its hotspots) and airspace (`build_world`).
    top_layer : int
        Highest cruise layer used (pads need a free column up to it).

    Returns
    -------
    (Airspace, numpy.ndarray or None)
        The airspace with the depots' pads set, and the expected shares, shape (k,), the
        drones of each type are to be shared by (`fleet_types`; None: each type's
        ``drones_per_depot``).
    """
    if scenario.map.sizing != "demand":
        return airspace, None
    shares = expected_depot_shares(scenario.demand, city, airspace, top_layer, scenario.map.seed)
    depots = airspace.depots
    k = len(depots)
    pads = allocate_by_share(sum(d.pads for d in depots), shares, np.ones(k, np.int64))
    sized = []
    for depot, wanted in zip(depots, pads, strict=True):
        count = int(wanted)
        while count > 1:
            fitted = dataclasses.replace(depot, pads=count)
            if _fits(scenario, airspace, top_layer, fitted):
                break
            count -= 1
        sized.append(dataclasses.replace(depot, pads=count))
    return airspace.replace(depots=tuple(sized)), np.asarray(shares, np.float64)


def allocate_by_share(total: int, shares: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """``total`` whole units shared out in proportion to ``shares`` (largest remainders;
    ties to the lower index), each entry at least ``minimum`` (taken first)."""
    shares = np.asarray(shares, np.float64)
    base = np.asarray(minimum, np.int64).copy()
    rest = int(total) - int(base.sum())
    if rest <= 0 or shares.sum() <= 0:
        return base
    quota = rest * shares / shares.sum()
    whole = np.floor(quota).astype(np.int64)
    left = rest - int(whole.sum())
    order = np.lexsort((np.arange(len(shares)), -(quota - whole)))
    whole[order[:left]] += 1
    return base + whole


def _fits(scenario: Scenario, airspace: Airspace, top_layer: int, depot) -> bool:
    """Whether ``depot``'s pads can be placed (`place_pads`' rules, any allowed spacing)."""
    return _first_fit(scenario, airspace, top_layer, depot)[1] is None


def fleet_homes(scenario: Scenario, n_depots: int, shares: np.ndarray | None = None) -> np.ndarray:
    """Each drone's home depot (`fleet_types`)."""
    return fleet_types(scenario, n_depots, shares)[0]


def fleet_types(
    scenario: Scenario, n_depots: int, shares: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each drone's home depot and aircraft type (index into `Scenario.aircraft`), from
    each type's ``drones_per_depot`` (one number for every depot, or one per depot): the
    drones of the first type, depot by depot, then those of the next. Given ``shares``
    (``map.sizing = "demand"``, `size_depots`), each type's total is shared out in
    proportion to them instead (`allocate_by_share`; at least one drone of the type at
    every depot with demand while the type has enough).

    Raises
    ------
    ScenarioError
        When a list's length is neither 1 nor the number of depots.
    """
    homes, kinds = [], []
    for index, entry in enumerate(scenario.aircraft):
        counts = entry.drones_per_depot
        per_depot = counts * n_depots if len(counts) == 1 else counts
        if len(per_depot) != n_depots:
            raise ScenarioError(
                scenario.source,
                f"drone[{index}].drones_per_depot"
                if scenario.fleet.types
                else "fleet.drones_per_depot",
                f"give one number or one per depot ({n_depots}), got {len(counts)}",
            )
        if shares is not None:
            total = int(sum(per_depot))
            with_demand = (shares > 0).astype(np.int64)
            minimum = with_demand if total >= with_demand.sum() else np.zeros(n_depots, np.int64)
            per_depot = allocate_by_share(total, shares, minimum)
        homes.append(np.repeat(np.arange(n_depots), per_depot).astype(np.int64))
        kinds.append(np.full(len(homes[-1]), index, np.int64))
    return np.concatenate(homes), np.concatenate(kinds)


@dataclasses.dataclass(frozen=True)
class ScenarioCheck:
    """What `check_scenario` built: enough to describe the scenario in one line."""

    airspace: Airspace
    pads_xy: list[np.ndarray]  # each depot's pads, metres
    n_drones: int
    n_orders: int  # orders drawn over the checked period


def check_scenario(scenario: Scenario, *, duration_s: float = 60.0) -> ScenarioCheck:
    """Every check `Simulation` makes of a scenario at set-up, with the same functions
    and in the same order, without building the fleet, the routers or the
    deconfliction policy's run state (the strategic policy's pad distance fields take
    minutes on a large city).

    Builds the world (`build_world`: the map file, depots inside buildings or zones,
    the grid), looks the deconfliction policy up, checks the depots' columns, places
    the pads (`place_pads`), draws the demand of the first ``duration_s`` seconds
    (at most the scenario's duration) and checks the fleet against the depots.

    Parameters
    ----------
    scenario : Scenario
    duration_s : float
        Seconds of demand drawn (the generator's checks), > 0.

    Returns
    -------
    ScenarioCheck

    Raises
    ------
    ScenarioError
        The first problem found, naming file, field and value.
    """
    city, airspace = build_world(scenario)
    dc = scenario.deconfliction
    top_layer = max(get_deconfliction(dc.policy).layers_used(dc))
    check_depot_columns(scenario, airspace, top_layer)
    airspace, fleet_shares = size_depots(scenario, city, airspace, top_layer)
    pads_xy = place_pads(scenario, airspace, top_layer)
    # The same stream as a run's demand (`Simulation`: the first; spawn's children depend
    # on their index only).
    rng = np.random.default_rng(np.random.SeedSequence(scenario.seed).spawn(3)[0])
    orders = generate_orders(
        scenario.demand, city, airspace, min(scenario.duration_s, duration_s), top_layer, rng
    )
    homes = fleet_homes(scenario, len(airspace.depots), fleet_shares)
    return ScenarioCheck(airspace, pads_xy, int(len(homes)), int(len(orders)))


__all__ = [
    "ScenarioCheck",
    "Simulation",
    "build_world",
    "with_uas_zones",
    "check_depot_columns",
    "check_scenario",
    "allocate_by_share",
    "fleet_homes",
    "fleet_types",
    "place_pads",
    "size_depots",
]
