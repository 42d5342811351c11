"""The simulation engine: a fleet delivering orders in a city, step by step.

State is struct-of-arrays (one numpy array per attribute); `sim._kernels.advance` moves
every drone along its timed flight plan and counts losses of separation. Between kernel
calls the engine handles what happens at exact times, in ``(time, priority, sequence)``
order: waypoint events (parcel picked up or delivered, landed), charging completions,
temporary zones switching on or off, and dispatch rounds every ``dispatch.interval_s``.

Randomness comes from one ``numpy.random.SeedSequence(seed)`` spawned per subsystem
(demand, map details), so a scenario and seed give the same run bit for bit.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from dronesim.maps import Airspace, City, generate_city
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.planners.fleet import (
    DepotState,
    FleetState,
    OrderBatch,
    TravelModel,
    dispatch,
    rebalance,
)
from dronesim.sim import _kernels as K
from dronesim.sim.demand import Orders, generate_orders
from dronesim.sim.routing import LayerRouter, PlanBuilder, leg_layer, measure_detour
from dronesim.sim.scenario import Scenario
from dronesim.sim.snapshot import (
    REST_STATES,
    Snapshot,
    route_ahead,
    segment_heading,
    trail_points,
    zone_timing,
)

TRAIL_S = 60.0  # seconds of flown path shown behind each drone
REGIONAL_DISPATCH_DRONES = 150  # above this many available drones, dispatch by region
REGION_DEPOTS = 4  # most depots per dispatch region
REGION_DRONES = 200  # drones per dispatch region, roughly

# Drone states (codes in the recording; names in STATE_NAMES).
(
    IDLE,
    CHARGING,
    WAITING_PAD,
    TAKEOFF,
    TO_PICKUP,
    PICKING_UP,
    TO_DROPOFF,
    DELIVERING,
    RETURNING,
    REPOSITIONING,
    ESCAPING,
) = range(11)
STATE_NAMES = (
    "idle",
    "charging",
    "waiting for pad",
    "taking off",
    "to pickup",
    "picking up",
    "to drop-off",
    "delivering",
    "returning",
    "repositioning",
    "leaving zone",
)

# Waypoint events.
EV_PICKED, EV_DELIVERED, EV_LANDED = 1, 2, 3
EV_RETURNED = 3  # order log only: a parcel brought back to a depot undelivered
EVENT_NAMES = {EV_PICKED: "picked up", EV_DELIVERED: "delivered", EV_LANDED: "landed"}

# Order status.
OPEN, ASSIGNED, CARRIED, DELIVERED, FAILED = range(5)
ORDER_STATUS_NAMES = ("open", "assigned", "carried", "delivered", "failed")

# Scheduled events: (time, priority, sequence, kind, argument). Lower priority first.
_ZONE, _CHARGED, _DISPATCH = "zone", "charged", "dispatch"
_PRIORITY = {_ZONE: 0, _CHARGED: 1, _DISPATCH: 2}


@dataclass
class Counters:
    """What the run has measured so far (the report reads these)."""

    separation_losses: int = 0
    separation_pair_seconds: float = 0.0
    battery_depletions: int = 0
    replans: int = 0
    zone_escapes: int = 0
    rejected_trips: int = 0
    dispatch_rounds: int = 0
    timers: dict[str, float] = field(
        default_factory=lambda: {"planning": 0.0, "dispatch": 0.0, "stepping": 0.0}
    )


class Simulation:
    """A drone-delivery fleet in a city, driven by a `Scenario`.

    Parameters
    ----------
    scenario : Scenario
    seed : int, optional
        Overrides the scenario's seed.
    duration_s : float, optional
        Overrides the scenario's duration.

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
        streams = np.random.SeedSequence(self.seed).spawn(3)
        self._demand_rng = np.random.default_rng(streams[0])
        self._detour_rng = np.random.default_rng(streams[1])
        self.city, self.airspace = build_world(scenario)
        self.model = scenario.drone
        self.params = self.model.as_array()
        self.wind = scenario.wind.vector_mps
        dc = scenario.deconfliction
        self.layers_used = sorted(
            {dc.cruise_layer} if dc.policy == "none" else set(dc.sector_layers)
        )
        self.top_layer = max(self.layers_used)
        self.depots_xy = np.array([[d.x_m, d.y_m] for d in self.airspace.depots])
        self.pads = np.array([d.pads for d in self.airspace.depots], np.int64)
        self.counters = Counters()
        self.t = 0.0
        self._check_depot_columns()

        self.orders: Orders = generate_orders(
            scenario.demand,
            self.city,
            self.airspace,
            self.duration_s,
            self.top_layer,
            self._demand_rng,
        )
        n_orders = len(self.orders)
        self.order_status = np.full(n_orders, OPEN, np.int64)
        self.order_drone = np.full(n_orders, -1, np.int64)
        self.order_delivered_s = np.full(n_orders, np.nan)
        self.order_reason = np.full(n_orders, -1, np.int64)
        self.order_min_wh = np.zeros(n_orders)  # learnt from routed trips that were too dear
        self.reasons: list[str] = []
        self._next_order = 0  # orders[:_next_order] have been created

        counts = scenario.fleet.drones_per_depot
        per_depot = counts * len(self.depots_xy) if len(counts) == 1 else counts
        if len(per_depot) != len(self.depots_xy):
            raise ValueError(
                f"{scenario.source}: fleet.drones_per_depot: give one number or one per depot ({len(self.depots_xy)}), got {len(counts)}"
            )
        self.home = np.repeat(np.arange(len(self.depots_xy)), per_depot).astype(np.int64)
        n = self.home.shape[0]
        self.n_drones = n
        self.position = np.c_[self.depots_xy[self.home], np.zeros(n)] if n else np.empty((0, 3))
        self.battery = np.full(n, self.model.battery_wh)
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

        # Trajectory and logs for the recording and the report.
        self._traj = [
            (np.arange(n, dtype=np.int32), np.zeros(n), self.position.copy(), self.battery.copy())
        ]
        self._exits: list[tuple[int, float]] = []
        self._state_log: list[tuple[float, int, int]] = [(0.0, d, IDLE) for d in range(n)]
        self._order_log: list[tuple[float, int, int, int]] = []  # (t, order, event, drone)
        self._conflicts = np.zeros(max(16, 8 * n), np.int64)
        self._n_conflicts = 0
        self._energy_used_wh = 0.0
        self._busy_seconds = 0.0
        self._last_logged = self.state.copy()
        self._separation_log: list[tuple[float, int]] = [(0.0, 0)]
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
            self.airspace, 0.0, scenario.planner.name, scenario.planner.smooth, self.counters.timers
        )
        self._routers = {self.router.active: self.router}
        self.detour_factor = measure_detour(
            self.router, self.layers_used[0], self.depots_xy, self._detour_rng
        )
        # Estimates lean high (the highest cruise layer, 5 % more detour than measured) so
        # that trips the dispatcher picks rarely fail the exact check on the routed plan.
        self.travel = TravelModel(
            detour_factor=self.detour_factor * 1.05,
            cruise_altitude_m=float(max(self.airspace.layers_m[k] for k in self.layers_used)),
            wind_mps=self.wind,
            pickup_time_s=30.0,
        )
        # Regions hold about REGION_DRONES drones (between 1 and REGION_DEPOTS depots).
        per_depot = max(1.0, self.n_drones / max(1, len(self.depots_xy)))
        self.warmup = None  # a sim.warmup.Warmup compiling kernels in a second process
        self._regions = depot_regions(
            self.depots_xy, int(np.clip(round(REGION_DRONES / per_depot), 1, REGION_DEPOTS))
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

    def run(self, progress=None):
        """Run to the end; returns the `Report`.

        Parameters
        ----------
        progress : callable, optional
            Called as ``progress(t_s)`` after each dispatch interval (for a progress bar).
        """
        from dronesim.sim.report import build_report

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
        n_traj, n_events, losses, pair_seconds, self._n_conflicts, depleted = K.advance(
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
            self.airspace.layers_m[0] - 1.0,
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
            self._conflicts,
            self._n_conflicts,
        )
        self.counters.separation_losses += int(losses)
        self._separation_log.append((t_next, self.counters.separation_losses))
        self.counters.separation_pair_seconds += float(pair_seconds)
        self.counters.battery_depletions += int(depleted)
        self._energy_used_wh += float(np.maximum(battery_before - self.battery, 0.0).sum())
        if n_traj:
            self._traj.append(
                (
                    traj_drone[:n_traj].copy(),
                    traj_t[:n_traj].copy(),
                    traj_xyz[:n_traj].copy(),
                    traj_wh[:n_traj].copy(),
                )
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

    def _log_states(self) -> None:
        changed = np.flatnonzero(self.state != self._last_logged)
        for d in changed:
            self._state_log.append((self.t, int(d), int(self.state[d])))
        self._last_logged = self.state.copy()

    def _waypoint_event(self, t: float, d: int, code: int, argument: int) -> None:
        if code == EV_PICKED:
            self.order_status[argument] = CARRIED
            self.payload[d] += self.orders.weight_kg[argument]
            self._order_log.append((t, argument, EV_PICKED, d))
        elif code == EV_DELIVERED:
            self.order_status[argument] = DELIVERED
            self.order_delivered_s[argument] = t
            self.payload[d] = max(0.0, self.payload[d] - self.orders.weight_kg[argument])
            if argument in self.drone_orders[d]:
                self.drone_orders[d].remove(argument)
            self._order_log.append((t, argument, EV_DELIVERED, d))
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
                self._fail(order, "parcel returned: trip aborted")
            self._order_log.append((t, order, EV_RETURNED, d))
        self.drone_orders[d] = []
        self.position[d] = (*self.depots_xy[depot], 0.0)
        if self.battery[d] < 0.9 * self.model.battery_wh:
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
        needed = self.model.battery_wh - self.battery[d]
        done = t + self.model.charge_time_s(needed)
        self.charge_done_s[d] = done
        self.charge_start_s[d] = t
        self.charge_start_wh[d] = self.battery[d]
        self._point(d, t)
        self._set_rest(d, CHARGING)
        self._schedule(done, _CHARGED, d)

    def _charged(self, d: int) -> None:
        depot = int(self.at_depot[d])
        if d in self.pad_users[depot]:
            self.pad_users[depot].remove(d)
        self.battery[d] = self.model.battery_wh
        self.charge_done_s[d] = np.nan
        self.charge_start_s[d] = np.nan
        self._point(d, self.t)
        self._set_rest(d, IDLE)
        if self.pad_queue[depot]:
            self._start_charging(self.pad_queue[depot].pop(0), depot, self.t)

    def _point(self, d: int, t: float) -> None:
        """Record the drone's position and battery at ``t`` in its trajectory."""
        self._traj.append(
            (
                np.array([d], np.int32),
                np.array([t]),
                self.position[d : d + 1].copy(),
                self.battery[d : d + 1].copy(),
            )
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
        self._order_log.append((self.t, order, -1, int(self.order_drone[order])))

    def created_count(self) -> int:
        """Orders placed so far (created at or before the current time)."""
        return int(np.searchsorted(self.orders.created_s, self.t, side="right"))

    def _open_orders(self) -> np.ndarray:
        created = self.orders.created_s
        while self._next_order < len(created) and created[self._next_order] <= self.t:
            self._next_order += 1
        candidates = np.flatnonzero(self.order_status[: self._next_order] == OPEN)
        expired = candidates[self.orders.deadline_s[candidates] < self.t]
        for order in expired:
            self._fail(int(order), "expired: no feasible drone before the deadline")
        candidates = candidates[self.orders.deadline_s[candidates] >= self.t]
        # A drop-off inside an active zone cannot be served while it lasts.
        keep = []
        for order in candidates:
            if self.router.column_free(self.orders.dropoff_xy[order], self.top_layer):
                keep.append(order)
            else:
                zones = self.airspace.zones_at(*self.orders.dropoff_xy[order], 0.0, self.t)
                if zones:
                    self._fail(int(order), f"destination inside no-fly zone '{zones[0].name}'")
                else:
                    keep.append(order)
        return np.array(keep, np.int64)

    # ------------------------------------------------------------------ dispatch
    def _available(self) -> np.ndarray:
        """Drones that may take new work: on the ground at a depot and not charging, or
        waiting for a pad with enough battery."""
        idle = (self.plan_len == 0) & (self.rest_state == IDLE)
        waiting = (
            (self.plan_len == 0)
            & (self.rest_state == WAITING_PAD)
            & (self.battery >= self.scenario.dispatch.charge_threshold * self.model.battery_wh)
        )
        return idle | waiting

    def _await(self, group: str) -> None:
        """With a warm-up process compiling kernels, let it finish ``group`` first."""
        if self.warmup is not None:
            self.warmup.wait(group)

    def _dispatch(self) -> None:
        """One dispatch round. Large fleets are dispatched region by region (groups of
        neighbouring depots holding about `REGION_DRONES` drones; an order belongs to the
        region of its pickup depot), so a round costs in proportion to the fleet, not its
        square; rebalancing then moves idle drones between all depots."""
        tic = time.perf_counter()
        self.counters.dispatch_rounds += 1
        open_orders = self._open_orders()
        available = self._available()
        spec = self.scenario.dispatch
        drones = np.flatnonzero(available)
        if len(drones) == 0:
            self.counters.timers["dispatch"] += time.perf_counter() - tic
            return
        free_pads = self.pads - np.array([len(u) for u in self.pad_users])
        depots = DepotState(
            self.depots_xy, self.pads, free_pads, np.array([len(q) for q in self.pad_queue])
        )
        if len(drones) > REGIONAL_DISPATCH_DRONES and len(self._regions) > 1:
            groups = [
                (
                    drones[np.isin(self.at_depot[drones], members)],
                    open_orders[np.isin(self.orders.pickup_depot[open_orders], members)],
                )
                for members in self._regions
            ]
        else:
            groups = [(drones, open_orders)]
        decisions = []
        for group_drones, group_orders in groups:
            if len(group_drones):
                decisions.append(
                    self._plan_group(group_drones, group_orders, depots, len(groups) == 1)
                )
        self.counters.timers["dispatch"] += time.perf_counter() - tic
        idle = []
        for group_drones, group_orders, plan in decisions:
            for row, d in enumerate(group_drones):
                route = plan.routes[row]
                if len(route):
                    stops = [(int(group_orders[o]), int(kind)) for o, kind in route]
                    self._start_trip(int(d), stops)
                elif plan.charge_depot[row] >= 0:
                    self._send_to(int(d), int(plan.charge_depot[row]), charge=True)
                elif plan.rebalance_depot[row] >= 0:
                    self._send_to(int(d), int(plan.rebalance_depot[row]), charge=False)
                else:
                    idle.append(int(d))
        if spec.rebalance and len(decisions) > 1 and idle:
            tic = time.perf_counter()
            idle = np.array(idle, np.int64)
            fleet = self._fleet_state(idle)
            target = rebalance(
                fleet, depots, self.model, self.travel, np.ones(len(idle), bool), self._forecast()
            )
            self.counters.timers["dispatch"] += time.perf_counter() - tic
            for row, d in enumerate(idle):
                if target[row] >= 0:
                    self._send_to(int(d), int(target[row]), charge=False)

    def _fleet_state(self, drones: np.ndarray) -> FleetState:
        return FleetState(
            np.c_[self.depots_xy[np.maximum(self.at_depot[drones], 0)], np.zeros(len(drones))],
            np.full(len(drones), self.t),
            self.battery[drones],
            np.ones(len(drones), bool),
        )

    def _plan_group(
        self, drones: np.ndarray, open_orders: np.ndarray, depots: DepotState, rebalance_here: bool
    ):
        """Run the dispatch policy for some drones and orders; returns (drones, orders, plan)."""
        spec = self.scenario.dispatch
        # The most urgent orders first: at most a few per available drone, so a backlog
        # does not make every round slower without giving any drone more to choose from.
        limit = max(50, 3 * len(drones))
        if len(open_orders) > limit:
            urgent = np.lexsort((open_orders, self.orders.deadline_s[open_orders]))[:limit]
            open_orders = np.sort(open_orders[urgent])
        orders = self.orders
        batch = OrderBatch(
            orders.pickup_xy[open_orders],
            orders.dropoff_xy[open_orders],
            orders.weight_kg[open_orders],
            orders.created_s[open_orders],
            orders.deadline_s[open_orders],
            self.order_min_wh[open_orders],
        )
        forecast = self._forecast() if spec.rebalance and rebalance_here else None
        plan = dispatch(
            self._fleet_state(drones),
            batch,
            depots,
            self.model,
            self.travel,
            self.t,
            policy=spec.policy,
            objective=spec.objective,
            charge_threshold=spec.charge_threshold,
            forecast_per_depot=forecast,
        )
        return drones, open_orders, plan

    def _forecast(self) -> np.ndarray:
        """Drones wanted at each depot for the next half hour: the orders the demand rate
        expects then (one trip per drone), shared out as past orders were."""
        spec = self.scenario.demand
        hour = int(((spec.start_hour * 3600.0 + self.t) // 3600.0) % 24)
        expected = spec.orders_per_hour[hour] * spec.scale * 0.5
        share = (
            np.bincount(
                self.orders.pickup_depot[: self._next_order], minlength=len(self.depots_xy)
            ).astype(float)
            + 1.0
        )
        return expected * share / share.sum()

    def _start_trip(self, d: int, stops: list[tuple[int, int]]) -> None:
        depot = int(self.at_depot[d])
        start = (*self.depots_xy[depot], 0.0)
        plan, reason = self._build_trip(start, 0.0, stops, depot)
        if plan is None:
            self.counters.rejected_trips += 1
            return
        self._await("plan")
        timed = plan.timed(self.params, self.wind, self.t, self.battery[d])
        if timed is None or timed["wh"][-1] < self.model.reserve_wh - 1e-6:
            # The routed trip needs more than the estimate: remember what a trip for these
            # orders takes from here, and charge before the next try.
            self.counters.rejected_trips += 1
            if timed is not None:
                needed = float(timed["wh"][0] - timed["wh"][-1])
                for order, kind in stops:
                    if kind == 0 and len(stops) == 2:
                        self.order_min_wh[order] = max(self.order_min_wh[order], needed)
            if self.rest_state[d] == IDLE:
                self._request_pad(d, depot, self.t)
            return
        self._leave_queue(d)
        self._install(d, timed)
        self.at_depot[d] = -1
        for order, kind in stops:
            if kind == 0:
                self.order_status[order] = ASSIGNED
                self.order_drone[order] = d
                self._order_log.append((self.t, order, 0, d))
                self.drone_orders[d].append(order)

    def _send_to(self, d: int, depot: int, charge: bool) -> None:
        here = int(self.at_depot[d])
        if here == depot:
            if charge and self.rest_state[d] != CHARGING:
                self._leave_queue(d)
                self._request_pad(d, depot, self.t)
            return
        plan = PlanBuilder(*self.depots_xy[here], 0.0, 0.0)
        if not self._fly(
            plan,
            here,
            self.depots_xy[depot],
            depot,
            REPOSITIONING,
            land=True,
            event=EV_LANDED,
            arg=depot,
        ):
            return
        timed = plan.timed(self.params, self.wind, self.t, self.battery[d])
        if timed is None or timed["wh"][-1] < self.model.reserve_wh - 1e-6:
            return
        self._leave_queue(d)
        self._install(d, timed)
        self.at_depot[d] = -1

    def _install(self, d: int, timed: dict) -> None:
        # Busy time: a plan keeps the drone busy from now to its end (within the run).
        if self.plan_len[d] > 0:
            self._busy_seconds -= max(
                0.0, min(self.plan_t[d, self.plan_len[d] - 1], self.duration_s) - self.t
            )
        self._busy_seconds += max(0.0, min(timed["t"][-1], self.duration_s) - self.t)
        # The plan's first point (where and when it starts) belongs to the flown path.
        self._point(d, float(timed["t"][0]))
        length = timed["t"].shape[0]
        if length > self.width:
            self._widen(length)
        self.plan_t[d, :length] = timed["t"]
        self.plan_xyz[d, :length] = timed["xyz"]
        self.plan_wh[d, :length] = timed["wh"]
        self.plan_state[d, :length] = timed["state"]
        self.plan_event[d, :length] = timed["event"]
        self.plan_arg[d, :length] = timed["arg"]
        self.plan_len[d] = length
        self.plan_pos[d] = 0
        self.rest_state[d] = IDLE
        self.state[d] = timed["state"][0]

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

    # ------------------------------------------------------------------ trips
    def _build_trip(self, start, load: float, stops, home_hint: int, start_state: int = TAKEOFF):
        """A plan from ``start`` (x, y, z) through the stops, then home to the nearest depot.

        Returns ``(PlanBuilder, None)`` or ``(None, reason)``.
        """
        plan = PlanBuilder(*start, load)
        at_depot = home_hint if start[2] == 0.0 else -1
        orders = self.orders
        for order, kind in stops:
            if kind == 0:
                depot = int(orders.pickup_depot[order])
                if at_depot == depot and plan.here[2] == 0.0:
                    plan.hold_at(30.0, PICKING_UP, True, EV_PICKED, order)
                else:
                    if not self._fly(
                        plan, at_depot, self.depots_xy[depot], depot, TO_PICKUP, land=True
                    ):
                        return None, "no route to the pickup"
                    plan.hold_at(30.0, PICKING_UP, True, EV_PICKED, order)
                at_depot = depot
                plan.load += orders.weight_kg[order]
            else:
                if not self._fly(
                    plan, at_depot, orders.dropoff_xy[order], -1, TO_DROPOFF, land=False
                ):
                    return None, "no route to the drop-off"
                x, y, z = plan.here
                plan.move(x, y, HANDOVER_HEIGHT_M, DELIVERING)
                plan.hold_at(self.model.service_time_s, DELIVERING, False, EV_DELIVERED, order)
                plan.load = max(0.0, plan.load - orders.weight_kg[order])
                at_depot = -1
        x, y, _ = plan.here
        home = int(np.argmin(np.hypot(self.depots_xy[:, 0] - x, self.depots_xy[:, 1] - y)))
        if at_depot != home or plan.here[2] != 0.0:
            if not self._fly(
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

    def _fly(
        self,
        plan: PlanBuilder,
        from_depot: int,
        target_xy,
        to_depot: int,
        state: int,
        *,
        land: bool,
        event: int = 0,
        arg: int = -1,
    ) -> bool:
        """Climb at the current point, fly a routed leg on the chosen layer, then land at
        the target (or stop at cruise altitude above it when ``land`` is False)."""
        x, y, z = plan.here
        dc = self.scenario.deconfliction
        layer = leg_layer(dc.policy, dc.cruise_layer, dc.sector_layers, (x, y), target_xy)
        altitude = self.airspace.layers_m[layer]
        router = self.router
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
                self.scenario.planner.name,
                self.scenario.planner.smooth,
                self.counters.timers,
            )
            self._routers[active_now] = router
        self.router = router
        self.counters.timers["planning"] += time.perf_counter() - tic
        active = [
            zone for zone in self.airspace.zones if zone.is_temporary and zone.active_at(self.t)
        ]
        if not active:
            return
        for d in np.flatnonzero(self.plan_len > 0):
            if self._route_crosses(int(d), active):
                self._replan(int(d), active)

    def _route_crosses(self, d: int, zones) -> bool:
        pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
        points = np.concatenate([self.position[d : d + 1], self.plan_xyz[d, pos + 1 : length]])
        if len(points) < 2:
            points = np.concatenate([points, points])
        lines = shapely.linestrings(np.stack([points[:-1, :2], points[1:, :2]], axis=1))
        for zone in zones:
            low = np.minimum(points[:-1, 2], points[1:, 2])
            high = np.maximum(points[:-1, 2], points[1:, 2])
            in_band = (high >= zone.floor_m) & (low <= zone.ceiling_m)
            if np.any(in_band & shapely.intersects(lines, zone.keep_out)):
                return True
        return False

    def _replan(self, d: int, zones) -> None:
        """Fly the remaining stops again from where the drone is, around the active zones."""
        self.counters.replans += 1
        x, y, z = (float(v) for v in self.position[d])
        pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
        remaining = [
            (int(self.plan_arg[d, i]), 0 if self.plan_event[d, i] == EV_PICKED else 1)
            for i in range(pos + 1, length)
            if self.plan_event[d, i] in (EV_PICKED, EV_DELIVERED)
        ]
        # Orders whose drop-off is now inside a zone: the parcel comes back.
        stops = []
        for order, kind in remaining:
            if kind == 1 and not self.router.column_free(
                self.orders.dropoff_xy[order], self.top_layer
            ):
                self._fail(order, f"destination inside no-fly zone '{zones[0].name}'")
                continue
            stops.append((order, kind))
        dropped = {o for o, _ in remaining} - {o for o, _ in stops}
        stops = [(o, k) for o, k in stops if o not in dropped]
        start = (x, y, z)
        inside = any(
            zone.active_at(self.t)
            and zone.floor_m <= z <= zone.ceiling_m
            and zone.keep_out.intersects(shapely.Point(x, y))
            for zone in zones
        )
        escape_plan = None
        if inside and z > 0:
            layer = int(np.clip(self.airspace.layer_of(z), 0, self.airspace.nz - 1))
            exit_xy = self.router.escape((x, y), layer)
            if exit_xy is not None:
                escape_plan = (
                    float(exit_xy[0]),
                    float(exit_xy[1]),
                    float(self.airspace.layers_m[layer]),
                )
                self.counters.zone_escapes += 1
                self._exits.append((d, self.t))
        builder = PlanBuilder(x, y, z, self.payload[d])
        if escape_plan is not None:
            builder.move(*escape_plan, ESCAPING)
            start = escape_plan
        plan, _ = self._build_trip(start, self.payload[d], stops, -1)
        if plan is not None:
            builder.xyz += plan.xyz[1:]
            builder.kind += plan.kind
            builder.hold += plan.hold
            builder.payload += plan.payload
            builder.state += plan.state
            builder.event += plan.event[1:]
            builder.arg += plan.arg[1:]
        else:
            # No way to the remaining stops: the parcels come back to the nearest depot.
            for order, _ in stops:
                self._fail(order, "no route around the no-fly zone")
            home = int(
                np.argmin(
                    np.hypot(self.depots_xy[:, 0] - start[0], self.depots_xy[:, 1] - start[1])
                )
            )
            self._fly(
                builder,
                -1,
                self.depots_xy[home],
                home,
                RETURNING,
                land=True,
                event=EV_LANDED,
                arg=home,
            )
        timed = builder.timed(self.params, self.wind, self.t, self.battery[d])
        if timed is None:
            return
        self._install(d, timed)

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
            resting = self.position[d, 2] <= 0.0 and STATE_NAMES[self.state[d]] in REST_STATES
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
            battery_fraction=np.clip(battery / self.model.battery_wh, 0.0, 1.0),
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
            energy_used_wh=float(self._energy_used_wh),
            separation_losses=int(self.counters.separation_losses),
            state_names=STATE_NAMES,
        )

    def displayed_battery_wh(self) -> np.ndarray:
        """Battery now, watt-hours; a drone on a pad fills linearly until its charge ends
        (the engine itself credits the charge when it completes)."""
        battery = self.battery.copy()
        charging = np.isfinite(self.charge_start_s)
        if charging.any():
            span = np.maximum(self.charge_done_s[charging] - self.charge_start_s[charging], 1e-9)
            f = np.clip((self.t - self.charge_start_s[charging]) / span, 0.0, 1.0)
            battery[charging] = self.charge_start_wh[charging] + f * (
                self.model.battery_wh - self.charge_start_wh[charging]
            )
        return battery

    def _heading(self, d: int) -> float:
        """Direction of the segment being flown, radians clockwise from north (0 when
        not moving horizontally)."""
        pos, length = int(self.plan_pos[d]), int(self.plan_len[d])
        if pos + 1 >= length:
            return 0.0
        return segment_heading(self.plan_xyz[d, pos], self.plan_xyz[d, pos + 1])

    # ------------------------------------------------------------------ checks
    def _check_depot_columns(self) -> None:
        from dronesim.sim.scenario import ScenarioError

        blocked = self.airspace.blocked
        dc = self.scenario.deconfliction
        layers = {dc.cruise_layer} if dc.policy == "none" else set(dc.sector_layers)
        for depot in self.airspace.depots:
            _, j, i = (int(v) for v in self.airspace.cell_of(depot.x_m, depot.y_m))
            if blocked[: max(layers) + 1, j, i].any():
                spec = self.scenario.map
                field_path, where = (
                    ("map.geojson", f"{spec.geojson}: ") if spec.geojson else ("map", "")
                )
                raise ScenarioError(
                    self.scenario.source,
                    field_path,
                    f"{where}depot '{depot.name}' at ({depot.x_m:.0f}, {depot.y_m:.0f}) has no free "
                    f"column up to the cruise layers (a building or zone is above it)",
                )

    def trajectory(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every drone's flown path so far: ``(drone, t_s, xyz_m, battery_wh)`` sorted by
        drone then time; linear interpolation between a drone's consecutive points gives
        its exact position. Points repeated at the same time are kept once."""
        drone = np.concatenate([part[0] for part in self._traj])
        t = np.concatenate([part[1] for part in self._traj])
        xyz = np.concatenate([part[2] for part in self._traj])
        wh = np.concatenate([part[3] for part in self._traj])
        # The current position closes every path at the current time.
        drone = np.concatenate([drone, np.arange(self.n_drones, dtype=np.int32)])
        t = np.concatenate([t, np.full(self.n_drones, self.t)])
        xyz = np.concatenate([xyz, self.position])
        wh = np.concatenate([wh, self.displayed_battery_wh()])
        order = np.lexsort((t, drone))
        drone, t, xyz, wh = drone[order], t[order], xyz[order], wh[order]
        keep = np.ones(len(t), bool)
        keep[1:] = (drone[1:] != drone[:-1]) | (t[1:] != t[:-1])
        return drone[keep], t[keep], xyz[keep], wh[keep]

    def nofly_violations(self) -> int:
        """Flown segments inside a zone while it was active (shapely, independent of the grid).

        A segment counts when some part of it lies in a zone's altitude band and buffered
        footprint at a time the zone was active. Moves out of a zone that switched on
        around a drone are escapes, not violations.
        """
        drone, t, xyz, _ = self.trajectory()
        if len(t) < 2:
            return 0
        same = drone[1:] == drone[:-1]
        a, b = xyz[:-1][same], xyz[1:][same]
        ta, tb = t[:-1][same], t[1:][same]
        seg_drone = drone[:-1][same]
        moving = np.any(a != b, axis=1)
        escapes = np.zeros(len(a), bool)
        for d, moment in self._exits:
            escapes |= (seg_drone == d) & (ta == moment)
        count = 0
        for zone in self.airspace.zones:
            start = -np.inf if zone.active_from_s is None else zone.active_from_s
            end = np.inf if zone.active_until_s is None else zone.active_until_s
            overlap = moving & ~escapes & (tb > start) & (ta < end)
            if not overlap.any():
                continue
            index = np.flatnonzero(overlap)
            # The part of each segment flown while the zone was active.
            span = np.maximum(tb[index] - ta[index], 1e-12)
            f0 = np.clip((start - ta[index]) / span, 0, 1)
            f1 = np.clip((end - ta[index]) / span, 0, 1)
            p = a[index] + f0[:, None] * (b[index] - a[index])
            q = a[index] + f1[:, None] * (b[index] - a[index])
            low, high = np.minimum(p[:, 2], q[:, 2]), np.maximum(p[:, 2], q[:, 2])
            band = (high >= zone.floor_m) & (low <= zone.ceiling_m)
            if not band.any():
                continue
            lines = shapely.linestrings(np.stack([p[band, :2], q[band, :2]], axis=1))
            count += int(
                shapely.intersects(
                    lines, zone.geometry.buffer(zone.buffer_m) if zone.buffer_m else zone.geometry
                ).sum()
            )
        return count


def depot_regions(depots_xy: np.ndarray, per_region: int) -> list[np.ndarray]:
    """Groups of about ``per_region`` neighbouring depots: horizontal strips by y, then
    runs by x within each strip (deterministic: ties by index)."""
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


def build_world(scenario: Scenario) -> tuple[City, Airspace]:
    """The scenario's city and airspace (generated, or read from GeoJSON)."""
    from dronesim.maps.errors import InputError
    from dronesim.sim.scenario import ScenarioError, check_map

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
            )
        except InputError as error:  # anything else is a bug: it keeps its traceback
            raise ScenarioError(scenario.source, "map", str(error)) from None
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


__all__ = ["Simulation", "build_world", "STATE_NAMES", "EVENT_NAMES", "ORDER_STATUS_NAMES"]
