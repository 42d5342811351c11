"""The ``strategic`` deconfliction policy for one run: trips planned with `StrategicPlanner`.

`StrategicRun` is what `sim.deconfliction.StrategicPolicy.bind` gives the engine. It owns a
`sim.strategic.StrategicPlanner` over the run's airspace (the drone model's cruise speed and
climb and descent rates, the separation minima, ``deconfliction.time_buffer_s``), with every
pad's landing field prepared at set-up; a mixed fleet gets one planner per aircraft type
(`StrategicPlanner.sharing_table`: that type's speeds, one reservation table for all), and
each drone's trips are planned and timed with its own type's planner and model. For each
trip a dispatch round starts
(`plan_trip`, in dispatch order, so the most urgent trip reserves first):

- pickups at the depot the drone stands at are ground holds on the apron, then the drone
  taxis to a pad (`sim.vertiports.TAXI_SPEED_MPS`) and is ready there;
- pickups at another depot land on that depot's pad nearest the previous stop (at a
  merchant, ``pickup = "merchant"``, on the merchant's own pad, a low column like a
  drop-off's with a column field of its own) and hold on the ground for
  `sim.vocabulary.PICKUP_TIME_S`; drop-offs are hover stops at the hand-over height for
  the drone model's service time; the trip ends landed on a pad of the depot
  nearest its last stop, then taxis to the apron;
- the take-off may use any pad of the drone's depot (each ready when the taxi from the
  apron reaches it) and the landing any pad of the home depot: one search per leg from
  all the start pads or to all the end pads (`StrategicPlanner.plan_trip`) picks the
  pads of the earliest landing;
- the plan's waypoints become the engine's timed plan: times are the strategic plan's
  (flown exactly), battery energy per waypoint is the energy model's
  (`sim.routing.PlanBuilder.timed`: moves by geometry, payload and wind; waits in the air
  as hover; waits on the ground free), events are the picked-up, delivered and landed ones
  of the normal builder.

Between a cruise cell and a pad or drop-off point (not at the cell's centre) the plan's
move is flown across at cruise altitude, then vertically (or up, then across), as the
normal builder does, rather than on a slant that may cut a low building's clearance. The
strategic move table times that move by its vertical part alone, so the vertical part is
flown up to ``offset / cruise_speed`` seconds faster than the model's climb or descent
rate (about 7 % on the demo grid); the energy is the model's for the geometry.

A trip is refused (`plan_trip` returns False; the engine does not start it) when the
planner finds no plan (``NO_SLOT``, ``DEADLINE``, ``LIMIT``, ``NO_ROUTE``) or a drop-off
would be after its order's deadline; its reservations are then released. A plan that
breaks the battery reserve is released and returned, and the engine refuses it by its own
check (and learns the trip's energy). The landing deadline given to the planner is what
the battery allows hovering with no payload, so searches stay bounded.

Reservations are released when plans end (`release_before`, buffer included, at each new
dispatch time) and when the engine replaces a drone's plan the normal way
(`plan_replaced`). Repositioning flights between depots are planned the same way
(`plan_reposition`, no stops).

Zones that switch on in flight
------------------------------
Known temporary zones are reserved from the start (`StrategicPlanner`), so trips go
around them or wait; a zone flagged ``unannounced`` is reserved only when it switches on
(`zones_changed`, from that moment to its end). Then the engine asks `replan_in_flight`
for every drone whose remaining route meets an active zone while it is active (and for
drones holding for want of a plan, at every zone change):

- the *cut*: the first waypoint of the drone's plan ahead of it at a cruise cell's centre
  (or now, when it hovers in one), or the end of a service hover at a drop-off (the
  climb out starts there); when the move being flown runs into a zone, the waypoint it
  left, flown back to if it is reached before the plan's next waypoint (within what the
  plan holds). What it flies up to the cut is kept as planned (and stays reserved), and
  must not meet an active zone it is not inside;
- from the cut, `StrategicPlanner.replan_airborne` plans the remaining stops (pickups,
  drop-offs; the deliveries before the cut keep their events, those of orders the
  engine gave up fly without) to a landing on the pad of the depot nearest the last stop
  (a repositioning flight: its own depot), against the reservations, hover waits
  allowed; the timed plan is built as `plan_trip`'s (same energy model, events, taxi),
  after the kept part; the search deadline is twice the hover endurance on the battery;
- failing that, straight to one of the three nearest depots without the stops (their
  orders fail as "no route around zone"); a plan that lands within the battery but not
  the reserve is taken only when nothing else lands (rather than hover until the battery
  runs out);
- a drone inside a zone that switched on around it first flies to the nearest cell
  outside the zone's raster with that zone lifted for its search only
  (`StrategicPlanner.exit_cell`, `_escape_leg`), then on with the zone in place; the way
  out is recorded as an escape up to its first point outside the zone, and the plan is
  refused if it meets a zone after that (or another zone before);
- with no plan at all the drone *holds*: it hovers in the cut cell (or, when its move runs
  into the zone and it cannot go back in time, where it is, in the cells its plan
  occupies then; a drone climbing out of a pad lands back on it instead, its orders given
  up, when those cells stay clear of every other plan until it lands), reserved from then
  to the end of the run, and the engine asks again at the next zone change
  (``escape_failures``). Guaranteed: the hold never enters a zone,
  and every plan committed later keeps clear of it; plans committed earlier keep clear
  of it only as long as its cells' safe intervals last (``holds`` records whether that is
  the whole hold);
- a drone on the ground (before take-off, or landed for a pickup) with no plan stays at
  its depot, its orders given up.

Left to the engine's normal way (not planned against the reservations; counted by reason
in ``replans_declined``): a drone with no committed trip (its last plan came from the
normal builder), a drone with no cut ahead (descending to land, taxiing), a drone inside
a zone with no plan out of it or whose move crosses another zone (the engine's escape),
and a drone on the ground inside a zone.
"""

from __future__ import annotations

import math
import time

import numpy as np
import shapely
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.planners.energy import hover_energy_wh
from dronesim.sim import _kernels as K
from dronesim.sim.routing import PlanBuilder, ReplanAnswer, _time_segments
from dronesim.sim.strategic import Stop, StrategicPlanner, StrategicStatus
from dronesim.sim.vertiports import TAXI_SPEED_MPS
from dronesim.sim.vocabulary import (
    DELIVERING,
    DROPOFF,
    ESCAPING,
    EV_DELIVERED,
    EV_LANDED,
    EV_NONE,
    EV_PICKED,
    PICKING_UP,
    PICKUP,
    PICKUP_TIME_S,
    REPOSITIONING,
    RETURNING,
    TAKEOFF,
    TO_DROPOFF,
    TO_PICKUP,
)

# Expansion limit of each search of a trip (or repositioning flight): SEARCH_BUDGET per
# grid cell of its longest leg (the larger of the row and column distance), and at least
# one expansion per cell of SEARCH_AREA_M2 (the neighbourhood of a depot, where the hard
# searches are: on a finer grid it holds more cells, and more states to sweep). An empty
# sky needs about one expansion per cell; a search far beyond that is one whose plan waits
# long somewhere, A* then sweeping every state that could arrive before the wait ends.
# Such a trip is not started this round (``LIMIT``) and is planned again after
# `LIMIT_BACKOFF_S`, whichever drone asks: on city-day and the noon case, deferring it
# delivered as many orders, as early, as searching on (see benchmarks/README.md).
SEARCH_BUDGET = 10
SEARCH_AREA_M2 = 320_000.0
# A trip refused at the search budget is not searched again for this long (its orders
# keep waiting): in a congested sky the same search would mostly fail again at once.
LIMIT_BACKOFF_S = 120.0
# A trip with no conflict-free plan before its deadlines (or no route at all) is not
# searched again for this long: a later start against more reservations lands no
# earlier (only plans replaced in flight free anything), so its orders wait for another
# drone or depot, or expire.
DEADLINE_BACKOFF_S = 600.0


class StrategicRun:
    """The ``strategic`` policy bound to one simulation (see module).

    Parameters
    ----------
    policy : StrategicPolicy
        The registered policy (name, planner, description).
    simulation : Simulation
        The run; read at set-up (airspace, drone model, pads, separation, orders).

    Attributes
    ----------
    strategic : StrategicPlanner
        The reservation table and planner of the run.
    trip_of : dict
        Drone -> trip id of its committed plan.
    refusals : dict
        `StrategicStatus` name -> trips refused for it (``NAME_BACKOFF``: refused without
        a search, the same trip having been refused for ``NAME`` shortly before).
    trip_planning_s, reposition_planning_s : list of float
        Wall time of each `plan_trip` and `plan_reposition` call that searched against
        the reservations (planned or refused; not the calls left to the normal builder),
        seconds, in call order.
    zones_reserved : set of int
        Unannounced zones reserved since they switched on.
    replans_planned : int
        Replans in flight planned against the reservations.
    replans_declined : dict
        Why replans were left to the engine -> how many.
    holds : list of (int, float, bool)
        Holds in flight for want of a plan: drone, seconds, whether clear of every plan
        committed earlier for the whole hold.
    """

    def __init__(self, policy, simulation) -> None:
        # Not a subclass of the registered policy: this module does not import
        # `sim.deconfliction` (which binds it), so that imports stay acyclic.
        self.policy = policy
        self.name = policy.name
        self.planner = policy.planner
        self.description = policy.description
        sim = simulation
        model = sim.model
        sep = sim.scenario.separation
        strategic = StrategicPlanner(
            sim.airspace,
            cruise_speed_mps=float(model.cruise_speed_mps),
            climb_rate_mps=float(model.climb_rate_mps),
            descent_rate_mps=float(model.descent_rate_mps),
            horizontal_m=float(sep.horizontal_m),
            vertical_m=float(sep.vertical_m),
            time_buffer_s=float(sim.scenario.deconfliction.time_buffer_s),
        )
        # One column field per depot: its pads share it (see `StrategicPlanner.prepare_pads`).
        pads_xy = np.concatenate(sim.pads_xy)
        pad_depot = np.concatenate([np.full(len(p), d) for d, p in enumerate(sim.pads_xy)])
        # Merchant pads (``pickup = "merchant"``): one field each, after the depots'.
        merchant_xy = np.asarray(getattr(sim, "merchant_xy", np.empty((0, 2))))
        if len(merchant_xy):
            pads_xy = np.concatenate([pads_xy, merchant_xy])
            pad_depot = np.concatenate([pad_depot, len(sim.pads_xy) + np.arange(len(merchant_xy))])
        strategic.prepare_pads(pads_xy, pad_depot)
        # A mixed fleet: one planner per aircraft type (its own speeds), all sharing the
        # first's reservation table, so every type plans around every other's plans.
        models = list(getattr(sim, "models", [model]))
        planners = [strategic]
        for other in models[1:]:
            planner = strategic.sharing_table(
                cruise_speed_mps=float(other.cruise_speed_mps),
                climb_rate_mps=float(other.climb_rate_mps),
                descent_rate_mps=float(other.descent_rate_mps),
            )
            planner.prepare_pads(pads_xy, pad_depot)
            planners.append(planner)
        state = {
            "sim": sim,
            "strategic": strategic,
            "planners": planners,
            "models": models,
            "type_params": np.stack([m.as_array() for m in models]),
            "trip_of": {},
            "next_trip": 0,
            "released_at": -math.inf,
            "refusals": {},
            "backoff": {},
            "trip_planning_s": [],
            "reposition_planning_s": [],
        }
        for key, value in state.items():
            setattr(self, key, value)
        # Unannounced zones reserved since they switched on; holds in flight for want of
        # any plan: (drone, t_s, clear of every earlier plan for the whole hold).
        self.zones_reserved: set[int] = set()
        self.holds: list[tuple[int, float, bool]] = []
        self.replans_declined: dict[str, int] = {}  # replans left to the engine, by reason
        self.replans_planned = 0  # replans in flight planned against the reservations
        zones = sim.airspace.zones
        self.zones_changed(
            0.0,
            tuple(k for k, zone in enumerate(zones) if zone.is_temporary and zone.active_at(0.0)),
        )

    def _kind(self, d: int) -> int:
        """Drone ``d``'s aircraft type (the engine sets the types after binding us)."""
        kinds = getattr(self.sim, "drone_type", None)
        return 0 if kinds is None else int(kinds[d])

    def _model(self, d: int):
        """Drone ``d``'s aircraft type (`DroneModel`)."""
        return self.models[self._kind(d)]

    def _params(self, d: int) -> np.ndarray:
        """Drone ``d``'s energy-model row."""
        return self.type_params[self._kind(d)]

    def _planner(self, d: int) -> StrategicPlanner:
        """The planner for drone ``d``'s aircraft type (all share one table)."""
        return self.planners[self._kind(d)]

    def layers_used(self, spec) -> tuple[int, ...]:
        """The registered policy's (the sector layers; repositioning estimates, replans)."""
        return self.policy.layers_used(spec)

    def leg_layer(self, spec, a_xy, b_xy) -> int:
        """The registered policy's (legs of the normal builder: replans)."""
        return self.policy.leg_layer(spec, a_xy, b_xy)

    # ------------------------------------------------------------------ hooks
    def plan_replaced(self, drone: int) -> None:
        """The engine replaced the drone's plan (a replan): free its reservations."""
        trip = self.trip_of.pop(int(drone), None)
        if trip is not None:
            self.strategic.release(trip)

    def plan_trip(self, request):
        """The trip's timed plan (committed), False when refused (see module)."""
        return self._timed_call(request, None)

    def plan_reposition(self, request, depot: int):
        """A flight from the depot the drone stands at to a pad of ``depot`` (no stops),
        planned and committed like a trip; False when refused."""
        return self._timed_call(request, int(depot))

    def _timed_call(self, request, target: int | None):
        # Strategic planning counts as planning time in the report (``time_s``).
        tic = time.perf_counter()
        result = None
        try:
            result = self._plan(request, target)
            return result
        finally:
            seconds = time.perf_counter() - tic
            self.sim.counters.timers["planning"] += seconds
            if result is not None:  # searched against the reservations (None: ground only)
                mine = self.trip_planning_s if target is None else self.reposition_planning_s
                mine.append(seconds)

    def _plan(self, request, target: int | None):
        sim = self.sim
        t0 = float(request.t_s)
        if t0 > self.released_at:
            self.strategic.release_before(t0 - self.strategic.time_buffer_s)
            self.released_at = t0
            self.backoff = {key: v for key, v in self.backoff.items() if v[0] > t0}
        # The same trip refused a moment ago: not searched again yet. A search over budget
        # or without a route is refused whichever drone asks (``sky``: same depot and
        # stops); one past its deadlines also depends on the battery (``key``).
        sky = (int(request.home_hint), target, tuple(map(tuple, request.stops)))
        key = (*sky, float(request.battery_wh))
        for known in (sky, key):
            until, why = self.backoff.get(known, (-math.inf, ""))
            if until > t0:
                return self._refuse(f"{why}_BACKOFF")
        self.plan_replaced(request.drone)  # its last plan has ended (it stands at a depot)
        orders = sim.orders
        depot = int(request.home_hint)
        apron = (float(request.start[0]), float(request.start[1]))
        # Ground work at the apron: pickups at this depot before the first flight.
        stops = list(request.stops)
        prefix = []  # (seconds, order)
        while (
            stops
            and stops[0][1] == PICKUP
            and orders.merchant[stops[0][0]] < 0
            and int(orders.pickup_depot[stops[0][0]]) == depot
        ):
            prefix.append((PICKUP_TIME_S, int(stops.pop(0)[0])))
        if not stops and target is None:
            return None  # nothing to fly: the normal builder (ground only)
        plan_stops, meta = [], []  # meta: (kind, order, x, y)
        here = apron
        for order, kind in stops:
            if kind == PICKUP:
                pad = _pickup_pad(sim, order, here)
                plan_stops.append(Stop(pad[0], pad[1], PICKUP_TIME_S, land=True))
                meta.append((PICKUP, int(order), pad[0], pad[1]))
                here = pad
            else:
                x, y = (float(v) for v in orders.dropoff_xy[order])
                service = float(self._model(int(request.drone)).service_time_s)
                # Delivered at the end of the service hover, by the order's deadline.
                latest = float(orders.deadline_s[order]) - service
                plan_stops.append(Stop(x, y, service, land=False, latest_s=latest))
                meta.append((kind, int(order), x, y))
                here = (x, y)
        if target is None:
            home = _nearest_depot(sim.depots_xy, here)
        else:
            home = target
        ready_base = t0 + sum(s for s, _ in prefix)
        model = self._model(int(request.drone))
        spare_wh = float(request.battery_wh) - float(model.reserve_wh)
        hover_wh_per_s = hover_energy_wh(self._params(int(request.drone)), 0.0, 1.0)
        # A bound for the search only (twice the hover endurance): the battery itself is
        # checked on the timed plan.
        deadline = t0 + 2.0 * max(0.0, spare_wh) / max(hover_wh_per_s, 1e-12)
        # Any pad of the depot for the take-off (each ready after its taxi from the apron)
        # and any pad of the home depot for the landing: one search picks the pair that
        # lands earliest, so a busy pad never holds a trip that another pad could fly.
        pads = [(float(xy[0]), float(xy[1])) for xy in sim.pads_xy[depot]]
        ready = [
            ready_base + math.hypot(x - apron[0], y - apron[1]) / TAXI_SPEED_MPS for x, y in pads
        ]
        ends = [(float(xy[0]), float(xy[1])) for xy in sim.pads_xy[home]]
        trip = self.next_trip
        self.next_trip = trip + 1
        plan = self._planner(int(request.drone)).plan_trip(
            trip, pads, plan_stops, ends, ready_s=ready, deadline_s=deadline,
            max_expansions=self._budget([pads[0], *((s.x_m, s.y_m) for s in plan_stops), ends[0]]),
        )  # fmt: skip
        if plan.status != StrategicStatus.FOUND:
            wait = {
                StrategicStatus.LIMIT: LIMIT_BACKOFF_S,
                StrategicStatus.DEADLINE: DEADLINE_BACKOFF_S,
                StrategicStatus.NO_ROUTE: DEADLINE_BACKOFF_S,
            }.get(plan.status)
            if wait is not None:
                battery_bound = plan.status == StrategicStatus.DEADLINE
                self.backoff[key if battery_bound else sky] = (t0 + wait, plan.status.name)
            return self._refuse(plan.status.name)
        pad = (float(plan.waypoints[0, 1]), float(plan.waypoints[0, 2]))
        final = RETURNING if target is None else REPOSITIONING
        timed, delivered = self._timed(request, apron, prefix, pad, plan, meta, home, final)
        late = any(orders.deadline_s[order] < t for order, t in delivered)
        if timed is None or late:
            self.strategic.release(trip)
            return self._refuse("WIND" if timed is None else "ORDER_DEADLINE")
        if timed["wh"][-1] < model.reserve_wh - 1e-6:
            self.strategic.release(trip)  # the engine refuses it and learns its energy
            return timed
        self.trip_of[int(request.drone)] = trip
        # What the trip waits for the reservations, beside the column waits of the others.
        sim.log.takeoff_delays_s.append(max(0.0, plan.depart_s - plan.ready_s))
        if plan.hover_wait_s > 0.0:
            sim.log.column_hover_s.append(float(plan.hover_wait_s))
        return timed

    # ------------------------------------------------------------------ zones
    def zones_changed(self, t_s: float, active) -> None:
        """Reserve every unannounced zone active now (indices ``active``) from ``t_s``
        seconds, once (the known ones are reserved from the start)."""
        zones = self.sim.airspace.zones
        for index in active:
            if zones[index].unannounced and index not in self.zones_reserved:
                self.strategic.reserve_zone(index, float(t_s))
                self.zones_reserved.add(int(index))

    def replan_in_flight(self, drone: int, stops, zones) -> ReplanAnswer | None:
        """Replan the drone's committed trip against the reservations (see module); None
        when it cannot be cut (no committed trip, no cruise cell ahead, or what it flies
        before the cut meets an active zone): the engine replans it the normal way."""
        tic = time.perf_counter()
        try:
            return self._replan(int(drone), list(stops), zones)
        finally:
            self.sim.counters.timers["planning"] += time.perf_counter() - tic

    def _cut(self, d: int, cruise_only: bool):
        """Where the drone's replan starts: ``(cell, t_cut, prefix, states)`` with
        ``prefix`` the points it flies until then (the first where it is now; ``(t, x, y,
        z, event, arg)``) and ``states`` the state of each prefix segment. The cut is the
        first waypoint ahead in a cruise cell's centre (or where it hovers in one now), or
        (unless ``cruise_only``) the end of a hover at a drop-off; None without either."""
        sim = self.sim
        pos, length = int(sim.plan_pos[d]), int(sim.plan_len[d])
        t = float(sim.t)
        here = tuple(float(v) for v in sim.position[d])
        prefix = [(t, *here, EV_NONE, -1)]
        states = [int(sim.plan_state[d, pos])]
        if pos + 1 < length and tuple(sim.plan_xyz[d, pos + 1]) == here == tuple(
            sim.plan_xyz[d, pos]
        ):
            cell = self.strategic.cruise_cell(*here)  # hovering in a cruise cell: cut now
            if cell >= 0:
                return cell, t, prefix, states
            if here[2] == HANDOVER_HEIGHT_M and not cruise_only:
                j, k = self.strategic.column_of(here[0], here[1])  # hovering low: cut now
                return j * self.strategic.shape[2] + k, t, prefix, states
            resume = self._resume(d, here)
            if resume is not None:
                return resume
        for i in range(pos + 1, length):
            x, y, z = (float(v) for v in sim.plan_xyz[d, i])
            t_i = float(sim.plan_t[d, i])
            prefix.append((t_i, x, y, z, int(sim.plan_event[d, i]), int(sim.plan_arg[d, i])))
            states.append(int(sim.plan_state[d, i]))
            cell = self.strategic.cruise_cell(x, y, z)
            if cell >= 0:
                return cell, t_i, prefix, states
            following = sim.plan_xyz[d, i + 1] if i + 1 < length else None
            if (
                not cruise_only
                and z == HANDOVER_HEIGHT_M
                and following is not None
                and (float(following[0]), float(following[1])) == (x, y)
                and following[2] > z
            ):
                # The end of a hover at a drop-off, where the climb out starts: cut in
                # that low column (`StrategicPlanner.replan_airborne` climbs out of it).
                j, k = self.strategic.column_of(x, y)
                return j * self.strategic.shape[2] + k, t_i, prefix, states
        return None

    def _resume(self, d: int, here):
        """Hovering off a waypoint (`_hold_here`): a cut at the centre of a cruise cell
        the plan holds now (the nearest), reached straight up or down first, then
        across, within the held cells; as `_cut`, or None."""
        sim = self.sim
        plan = self.strategic.committed.get(self.trip_of.get(d))
        if plan is None:
            return None
        t = float(sim.t)
        now = (plan.t_from_s <= t) & (plan.t_to_s > t)
        candidates = []
        for cell in np.unique(plan.cells[now]).tolist():
            if cell < self.strategic.plane:
                continue
            x, y, z = self.strategic.waypoint(cell)
            candidates.append((math.hypot(x - here[0], y - here[1]) + abs(z - here[2]), cell))
        if not candidates:
            return None
        _, cell = min(candidates)
        x, y, z = self.strategic.waypoint(cell)
        model = self._model(d)
        prefix = [(t, *here, EV_NONE, -1)]
        t_at = t
        if z != here[2]:
            rate = model.climb_rate_mps if z > here[2] else model.descent_rate_mps
            t_at += abs(z - here[2]) / float(rate)
            prefix.append((t_at, here[0], here[1], z, EV_NONE, -1))
        t_at += math.hypot(x - here[0], y - here[1]) / float(model.cruise_speed_mps)
        prefix.append((t_at, x, y, z, EV_NONE, -1))
        return cell, t_at, prefix, [ESCAPING] * len(prefix)

    def _back(self, d: int):
        """A cut behind: the waypoint the drone left last (a cruise cell's centre, or a
        point at the hand-over height), flown back to, when it is reached again before
        the plan's next waypoint (so within what the committed plan holds); as `_cut`,
        or None."""
        sim = self.sim
        pos, length = int(sim.plan_pos[d]), int(sim.plan_len[d])
        if pos + 1 >= length:
            return None
        t = float(sim.t)
        x, y, z = (float(v) for v in sim.plan_xyz[d, pos])
        t_back = 2.0 * t - float(sim.plan_t[d, pos])
        if not t_back <= float(sim.plan_t[d, pos + 1]):
            return None
        cell = self.strategic.cruise_cell(x, y, z)
        if cell < 0 and z == HANDOVER_HEIGHT_M:
            j, k = self.strategic.column_of(x, y)
            cell = j * self.strategic.shape[2] + k
        if cell < 0:
            return None
        here = tuple(float(v) for v in sim.position[d])
        state = int(sim.plan_state[d, pos])
        prefix = [(t, *here, EV_NONE, -1), (t_back, x, y, z, EV_NONE, -1)]
        return cell, t_back, prefix, [state, state]

    def _replan(self, d: int, stops, zones) -> ReplanAnswer | None:
        sim = self.sim
        trip = self.trip_of.get(d)
        if trip is None or trip not in self.strategic.committed or sim.plan_len[d] == 0:
            return self._decline("no committed trip")
        # Active zones the drone is inside (the engine's test): it leaves them first, by
        # the way the plan gives (`StrategicPlanner.exit_cell`); zones whose raster holds
        # the cut cell are lifted for that way out too (it must not meet them).
        x, y, z = (float(v) for v in sim.position[d])
        here = shapely.Point(x, y)
        active = [
            (k, zone)
            for k, zone in enumerate(sim.airspace.zones)
            if zone.is_temporary and zone.active_at(sim.t)
        ]
        leaving = tuple(
            k for k, zone in active
            if zone.floor_m <= z <= zone.ceiling_m and zone.keep_out.intersects(here)
        )  # fmt: skip
        if leaving and z <= 0.0:
            return self._decline("on the ground in the zone")
        cut = self._cut(d, cruise_only=bool(leaving))
        if cut is None:
            return self._decline("no cut ahead")
        cell, t_cut, prefix, states = cut
        low = cell < self.strategic.plane
        lifted = tuple(
            k for k, _ in active if k in leaving or (not low and self.strategic.in_zone(cell, k))
        )
        path = np.array([p[:4] for p in prefix], np.float64)
        others = [zone for k, zone in active if k not in leaving]
        if len(path) > 1 and _meets(path[:, 0], path[:, 1:], others):
            # The move being flown runs into a zone: back to where it started, if the
            # drone gets there while its plan still holds both cells.
            cut = None if leaving else self._back(d)
            if cut is not None:
                path = np.array([p[:4] for p in cut[2]], np.float64)
            if cut is None or _meets(path[:, 0], path[:, 1:], others):
                if leaving:
                    return self._decline("meets another zone on its way out")
                return self._land_back(d, trip, stops) or self._hold_here(d, trip, stops)
            cell, t_cut, prefix, states = cut
            low = cell < self.strategic.plane
            # The cell flown back to may lie in the raster of the zone it turned away
            # from (its buffer): lifted for the way out, as for a cut ahead.
            lifted = tuple(k for k, _ in active if not low and self.strategic.in_zone(cell, k))
        # Stops whose events fall before the cut are flown as planned; those of orders
        # the engine gave up (a drop-off now in a zone) are flown without their event
        # (a parcel on board comes back).
        kept = {order for order, _ in stops}
        prefix = [p if p[4] not in (EV_PICKED, EV_DELIVERED) or p[5] in kept
                  else (*p[:4], EV_NONE, -1) for p in prefix]  # fmt: skip
        done = {(p[5], PICKUP if p[4] == EV_PICKED else DROPOFF)
                for p in prefix if p[4] in (EV_PICKED, EV_DELIVERED)}  # fmt: skip
        remaining = [s for s in stops if s not in done]
        length = int(sim.plan_len[d])
        final_state = sim.plan_state[d, int(sim.plan_pos[d]) : length]
        final = REPOSITIONING if np.any(final_state == REPOSITIONING) else RETURNING
        cut_xy = (prefix[-1][1], prefix[-1][2])
        # A bound for the searches only (twice the hover endurance on the whole battery:
        # a plan into the reserve beats hovering until it runs out); the timed plan is
        # checked against the battery.
        deadline = t_cut + 2.0 * max(0.0, float(sim.battery[d])) / max(
            hover_energy_wh(self._params(d), 0.0, 1.0), 1e-12
        )
        by_distance = np.lexsort((np.arange(len(sim.depots_xy)),
                                  np.hypot(sim.depots_xy[:, 0] - cut_xy[0],
                                           sim.depots_xy[:, 1] - cut_xy[1])))  # fmt: skip
        landed = sim.plan_event[d, length - 1] == EV_LANDED
        if landed and (final == REPOSITIONING or not remaining):
            home = int(sim.plan_arg[d, length - 1])  # where it was flying to
        else:
            _, _, last = self._stops(remaining, cut_xy, d)
            home = _nearest_depot(sim.depots_xy, last)  # as a trip's: nearest the last stop
        # The remaining stops; else straight to a depot (the three nearest), the orders
        # given up.
        attempts = [(remaining, home)]
        if remaining:
            attempts += [([], int(k)) for k in by_distance[:3]]
        short = None  # the first plan that lands within the battery but not the reserve
        for attempt, depot in attempts:
            plan_stops, meta, last = self._stops(attempt, cut_xy, d)
            end_pad = _nearest(sim.pads_xy[depot], last)
            plan = self._planner(d).replan_airborne(
                trip, cell, t_cut, plan_stops, end_pad, deadline_s=deadline, commit=False,
                leaving=lifted, start_xy=cut_xy if low else None,
            )  # fmt: skip
            if plan.status != StrategicStatus.FOUND:
                continue
            timed = self._timed_air(d, prefix, states, plan, meta, depot, final)
            if timed is None or timed["wh"][-1] < 0.0:
                continue
            until = _way_out(timed["t"], timed["xyz"], [sim.airspace.zones[k] for k in leaving],
                             [zone for _, zone in active])  # fmt: skip
            if until is None:
                continue  # it would meet a zone (after its way out, or one it is not in)
            served = {o for o, _ in attempt}
            dropped = tuple(dict.fromkeys(o for o, _ in remaining if o not in served))
            answer = (plan, ReplanAnswer(timed, dropped, escape_until_s=until if leaving else None))
            if timed["wh"][-1] >= self._model(d).reserve_wh - 1e-6:
                self.strategic.commit(plan)
                self.replans_planned += 1
                return answer[1]
            short = short or answer
        if short is not None:
            # Into the reserve rather than hover until the battery runs out.
            self.strategic.commit(short[0])
            self.replans_planned += 1
            return short[1]
        if leaving:
            return self._decline("no plan out of the zone")
        dropped = tuple(dict.fromkeys(o for o, _ in remaining))
        if prefix[0][3] <= 0.0:
            # On the ground (before take-off, or landed at a pickup): it stays.
            self.plan_replaced(d)
            return ReplanAnswer(None, dropped, stay=True)
        # No plan at all: hover in the cut cell, reserved from the cut on.
        until = max(float(sim.duration_s), t_cut + 1.0)
        plan, clear = self._planner(d).hold(trip, cell, t_cut, until, cut_xy)
        self.holds.append((d, t_cut, clear))
        points = prefix + [(until, *prefix[-1][1:4], EV_NONE, -1)]
        timed = self._build(d, points, states[:-1] + [ESCAPING], len(points), [], ESCAPING)
        return ReplanAnswer(timed, held=True, held_stops=tuple(remaining))

    def _land_back(self, d: int, trip: int, stops) -> ReplanAnswer | None:
        """Climbing straight up over a pad: back down onto it and to the depot, its orders
        given up, when the cells its plan occupies now stay clear of every other plan
        until it lands (reserved until then); None otherwise."""
        sim = self.sim
        pos, length = int(sim.plan_pos[d]), int(sim.plan_len[d])
        here = tuple(float(v) for v in sim.position[d])
        if pos + 1 >= length or not here[2] > 0.0:
            return None
        a, b = sim.plan_xyz[d, pos], sim.plan_xyz[d, pos + 1]
        if not (tuple(a[:2]) == tuple(b[:2]) == here[:2] and b[2] > a[2]):
            return None
        depot = next(
            (k for k, pads in enumerate(sim.pads_xy) if np.any(np.all(pads == here[:2], axis=1))),
            None,
        )
        if depot is None:
            return None
        t = float(sim.t)
        t_land = t + here[2] / float(self._model(d).descent_rate_mps)
        plan, _ = self._planner(d).hold(trip, -1, t, t_land, position=here, only_if_clear=True)
        if plan is None:
            return None
        hx, hy = (float(v) for v in sim.depots_xy[depot])
        t_apron = t_land + math.hypot(hx - here[0], hy - here[1]) / TAXI_SPEED_MPS
        points = [
            (t, *here, EV_NONE, -1),
            (t_land, here[0], here[1], 0.0, EV_NONE, -1),
            (t_apron, hx, hy, 0.0, EV_LANDED, depot),
        ]
        timed = self._build(d, points, [RETURNING, RETURNING], len(points), [], RETURNING)
        if timed is None or timed["wh"][-1] < 0.0:
            return None
        self.replans_planned += 1
        return ReplanAnswer(timed, tuple(dict.fromkeys(order for order, _ in stops)))

    def _hold_here(self, d: int, trip: int, stops) -> ReplanAnswer:
        """Hover where the drone is now, in the cells its plan occupies now, reserved
        from now on (its move runs into a zone and it cannot go back in time)."""
        sim = self.sim
        t = float(sim.t)
        here = tuple(float(v) for v in sim.position[d])
        until = max(float(sim.duration_s), t + 1.0)
        _, clear = self._planner(d).hold(trip, -1, t, until, position=here)
        self.holds.append((d, t, clear))
        points = [(t, *here, EV_NONE, -1), (until, *here, EV_NONE, -1)]
        timed = self._build(d, points, [ESCAPING], 2, [], ESCAPING)
        return ReplanAnswer(timed, held=True, held_stops=tuple(stops))

    def _decline(self, why: str) -> None:
        """Leave a replan to the engine (the normal way), counted by reason."""
        self.replans_declined[why] = self.replans_declined.get(why, 0) + 1
        return None

    def _stops(self, stops, here, d: int):
        """Strategic stops and their meta ``(kind, order, x, y)`` for ``(order, kind)``
        stops flown from ``here``, and the last stop's point."""
        sim = self.sim
        orders = sim.orders
        plan_stops, meta = [], []
        for order, kind in stops:
            if kind == PICKUP:
                pad = _pickup_pad(sim, order, here)
                plan_stops.append(Stop(pad[0], pad[1], PICKUP_TIME_S, land=True))
                meta.append((PICKUP, int(order), pad[0], pad[1]))
                here = pad
            else:
                x, y = (float(v) for v in orders.dropoff_xy[order])
                plan_stops.append(Stop(x, y, float(self._model(d).service_time_s), land=False))
                meta.append((kind, int(order), x, y))
                here = (x, y)
        return plan_stops, meta, here

    def _timed_air(self, d, prefix, states, plan, meta, home, final):
        """The engine's timed plan: the prefix (as the engine had it), then the strategic
        plan after the cut with the stops' events and the taxi to the apron; None when
        the energy model cannot fly a leg."""
        sim = self.sim
        points = list(prefix)
        n_prefix = len(points)
        points += [(float(r[0]), float(r[1]), float(r[2]), float(r[3]), EV_NONE, -1)
                   for r in plan.waypoints[1:]]  # fmt: skip
        _mark_stops(points, n_prefix, meta, float(self._model(d).service_time_s))
        hx, hy = (float(v) for v in sim.depots_xy[home])
        last = points[-1]
        seconds = math.hypot(hx - last[1], hy - last[2]) / TAXI_SPEED_MPS
        points.append((last[0] + seconds, hx, hy, 0.0, EV_LANDED, home))
        # The prefix was squared already (squaring it again changes nothing).
        points = points[: n_prefix - 1] + self._square_corners(points[n_prefix - 1 :], d)
        return self._build(d, points, states, n_prefix, meta, final)

    def _build(self, d, points, states, n_prefix, meta, final):
        """Time ``points`` with the energy model: the first ``n_prefix - 1`` segments
        keep ``states``, the others get theirs from the stops."""
        sim = self.sim
        weights = sim.orders.weight_kg
        load = float(sim.payload[d])
        builder = PlanBuilder(*points[0][1:4], load)
        done = 0
        for i in range(len(points) - 1):
            a, b = points[i], points[i + 1]
            builder.load = max(0.0, load)
            if i < n_prefix - 1:
                state = states[i]
            else:
                state = self._state(a, b, meta, done, True, final)
            _add_segment(builder, a, b, state)
            if b[4] == EV_PICKED:
                load += weights[b[5]]
            elif b[4] == EV_DELIVERED:
                load -= weights[b[5]]
            if i + 1 >= n_prefix and b[4] in (EV_PICKED, EV_DELIVERED):
                done += 1
        clock = np.array([p[0] for p in points], np.float64)
        timed = builder.timed(self._params(d), sim.wind, points[0][0], float(sim.battery[d]), clock)
        if timed is None:
            return None
        timed["t"] = clock
        return timed

    def _budget(self, points) -> int:
        """The expansion limit of each search of a trip through ``points`` (metres)."""
        cell = float(self.sim.airspace.cell_size_m)
        longest = max(
            max(abs(b[0] - a[0]), abs(b[1] - a[1])) / cell for a, b in zip(points, points[1:])
        )
        least = max(1, int(SEARCH_AREA_M2 / cell**2))
        return max(least, int(SEARCH_BUDGET * math.ceil(longest)))

    def _refuse(self, why: str) -> bool:
        self.refusals[why] = self.refusals.get(why, 0) + 1
        return False

    # ------------------------------------------------------------------ conversion
    def _timed(self, request, apron, prefix, pad, plan, meta, home, final):
        """The engine's timed plan dict from the strategic plan, and the delivery times
        ``[(order, t_s)]``; (None, []) when the energy model cannot fly a leg (wind)."""
        sim = self.sim
        t = float(request.t_s)
        # Waypoints: (t, x, y, z, event, arg).
        points = [(t, apron[0], apron[1], 0.0, EV_NONE, -1)]
        for seconds, order in prefix:
            t += seconds
            points.append((t, apron[0], apron[1], 0.0, EV_PICKED, order))
        n_prefix = len(points)
        wp = plan.waypoints
        if (pad[0], pad[1]) != apron:
            points.append((float(wp[0, 0]), pad[0], pad[1], 0.0, EV_NONE, -1))
        points += [(*row, EV_NONE, -1) for row in wp[1:].tolist()]
        # Stop events: delivered at the end of the service hover, picked up at the end of
        # the ground hold after a pickup landing.
        d = int(request.drone)
        delivered = _mark_stops(points, n_prefix, meta, float(self._model(d).service_time_s))
        hx, hy = (float(v) for v in sim.depots_xy[home])
        last = points[-1]
        seconds = math.hypot(hx - last[1], hy - last[2]) / TAXI_SPEED_MPS
        points.append((last[0] + seconds, hx, hy, 0.0, EV_LANDED, home))
        points = self._square_corners(points, d)
        timed = _timed_points(
            points, n_prefix, prefix, meta, sim.orders.weight_kg, final, self._params(d), sim.wind,
            float(request.t_s), float(request.battery_wh),
        )  # fmt: skip
        if timed is None:
            return None, []
        return timed, delivered

    def _square_corners(self, points, d: int):
        """Moves between a cruise cell and a low column (a pad or drop-off point, which need
        not lie at the cell's centre) flown as a horizontal move at cruise altitude and a
        vertical one in the stop's own column, as the normal builder does, rather than a
        slanted line that may cut a low building's clearance inside the cell. Both parts
        stay in the move's column between its two layers, which the move reserves."""
        xyz = np.array([p[1:4] for p in points], np.float64).reshape(-1, 3)
        low = xyz[:, 2] <= HANDOVER_HEIGHT_M
        # Moves across the hand-over height, not on the ground, with a horizontal part.
        crosses = (
            (low[:-1] != low[1:])
            & ((xyz[:-1, 2] > 0.0) | (xyz[1:, 2] > 0.0))
            & np.any(xyz[:-1, :2] != xyz[1:, :2], axis=1)
        )
        out = list(points[:1])
        done = 1
        column = self.strategic.column_of
        for k in np.flatnonzero(crosses).tolist():
            a, b = points[k], points[k + 1]
            if column(a[1], a[2]) != column(b[1], b[2]):
                continue
            out += points[done : k + 1]
            done = k + 1
            h = math.hypot(b[1] - a[1], b[2] - a[2])
            # Across at cruise speed; the vertical part takes the rest of the move's time
            # (slightly faster than the model's rate, see module).
            across_s = min(h / self._model(d).cruise_speed_mps, 0.5 * (b[0] - a[0]))
            if b[3] <= HANDOVER_HEIGHT_M:  # descent: across at cruise altitude, then down
                out.append((a[0] + across_s, b[1], b[2], a[3], EV_NONE, -1))
            else:  # climb: up in the stop's column, then across
                out.append((b[0] - across_s, a[1], a[2], b[3], EV_NONE, -1))
        out += points[done:]
        return out

    @staticmethod
    def _state(a, b, meta, done, airborne_once, final):
        if a[3] == 0.0 and b[3] == 0.0:
            if not airborne_once:
                return TAKEOFF
            return final if done == len(meta) else PICKING_UP
        if a[3] == 0.0:
            return TAKEOFF
        if done == len(meta):
            return final
        kind, _, x, y = meta[done]
        if kind == PICKUP:
            return TO_PICKUP
        if b[1:3] == (x, y) and b[3] <= HANDOVER_HEIGHT_M:
            return DELIVERING
        return TO_DROPOFF


def _timed_points(points, n_prefix, prefix, meta, weights, final, params, wind, start_t,
                  start_wh):  # fmt: skip
    """`PlanBuilder.timed` of the waypoints ``points`` (``t, x, y, z, event, arg``) of
    `StrategicRun._timed`, built for all segments at once: a hold where two waypoints
    share a position (on the ground or in the air), a taxi on the ground, a flight
    otherwise; the first ``n_prefix - 1`` segments are the apron's pickups (``prefix``),
    the others get their payload from the stops done (``meta``, by their events) and
    their state as `StrategicRun._state` gives it. Times are the waypoints' own; None
    when the energy model cannot fly a leg."""
    table = np.array(points, np.float64).reshape(-1, 6)
    t = table[:, 0].copy()
    xyz = np.ascontiguousarray(table[:, 1:4])
    za, zb = xyz[:-1, 2], xyz[1:, 2]
    same = np.all(xyz[:-1] == xyz[1:], axis=1)
    on_ground = (za == 0.0) & (zb == 0.0)
    kind = np.where(
        same, np.where(za == 0.0, K.SEG_GROUND, K.SEG_HOVER),
        np.where(on_ground, K.SEG_GROUND, K.SEG_MOVE),
    )  # fmt: skip
    hold = np.where(same | on_ground, t[1:] - t[:-1], 0.0)
    # Stops done by each segment: those whose event is at or before its start, in order.
    first = {}
    for j, p in enumerate(points):
        first.setdefault((p[4], p[5]), j)
    at = [
        first.get((EV_PICKED if kind_ == PICKUP else EV_DELIVERED, order), len(points))
        for kind_, order, *_ in meta
    ]
    segments = np.arange(len(points) - 1)
    done = np.zeros(len(segments), np.int64)
    if at:
        done = np.searchsorted(np.maximum.accumulate(at), segments, side="right")
    # Payload after each number of stops done (as the parcels are picked up and delivered).
    load = float(sum(weights[o] for _, o in prefix))
    loads = [max(0.0, load)]
    for kind_, order, *_ in meta:
        load += weights[order] if kind_ == PICKUP else -weights[order]
        loads.append(max(0.0, load))
    payload = np.asarray(loads, np.float64)[done]
    for i in range(min(n_prefix - 1, len(segments))):
        payload[i] = float(sum(weights[o] for _, o in prefix[:i]))
    # States (`StrategicRun._state`): the stop being flown to is meta[done].
    airborne = np.zeros(len(segments), bool)
    airborne[1:] = np.logical_or.accumulate(za > 0.0)[:-1]
    complete = done == len(meta)
    to_pickup = np.array([m[0] == PICKUP for m in meta] + [False])[done]
    stop_x = np.array([m[2] for m in meta] + [np.nan], np.float64)[done]
    stop_y = np.array([m[3] for m in meta] + [np.nan], np.float64)[done]
    at_stop = (xyz[1:, 0] == stop_x) & (xyz[1:, 1] == stop_y) & (zb <= HANDOVER_HEIGHT_M)
    state = np.select(
        [on_ground & ~airborne, on_ground & complete, on_ground, za == 0.0, complete,
         to_pickup, at_stop],
        [TAKEOFF, final, PICKING_UP, TAKEOFF, final, TO_PICKUP, DELIVERING],
        TO_DROPOFF,
    )  # fmt: skip
    state[: n_prefix - 1] = PICKING_UP
    timed = _time_segments(
        params, wind, start_t, start_wh, xyz, kind, hold, payload, state, table[:, 4],
        table[:, 5], clock=t,
    )  # fmt: skip
    if timed is None:
        return None
    timed["t"] = t
    return timed


def _mark_stops(points, search, meta, service_s) -> list[tuple[int, float]]:
    """Stop events on ``points`` (``t, x, y, z, event, arg``) from index ``search``:
    picked up at the end of the ground hold after a pickup landing, delivered at the end
    of the service hover (a waypoint inserted there when none is); returns the deliveries
    ``[(order, t_s)]``."""
    delivered = []
    for kind, order, x, y in meta:
        if kind == PICKUP:
            i = next(
                j for j in range(search, len(points) - 1)
                if points[j][1:4] == (x, y, 0.0) and points[j - 1][3] > 0.0
            )  # fmt: skip
            points[i + 1] = points[i + 1][:4] + (EV_PICKED, order)
        else:
            i = next(
                j for j in range(search, len(points))
                if points[j][1:4] == (x, y, HANDOVER_HEIGHT_M)
            )  # fmt: skip
            t_done = points[i][0] + service_s
            if abs(points[i + 1][0] - t_done) <= 1e-6:
                points[i + 1] = points[i + 1][:4] + (EV_DELIVERED, order)
            else:
                points.insert(i + 1, (t_done, x, y, HANDOVER_HEIGHT_M, EV_DELIVERED, order))
            delivered.append((order, t_done))
        search = i + 2
    return delivered


def _meets(times, path, zones) -> bool:
    """Whether the timed polyline ``path`` (metres, ``(n, 3)``; ``times`` in seconds) meets
    one of ``zones`` (their `keep_out` within their altitude band) while it is active, as
    `Simulation._route_crosses` counts it (a segment starting after its end does not)."""
    lines = shapely.linestrings(np.stack([path[:-1, :2], path[1:, :2]], axis=1))
    low = np.minimum(path[:-1, 2], path[1:, 2])
    high = np.maximum(path[:-1, 2], path[1:, 2])
    for zone in zones:
        in_band = (high >= zone.floor_m) & (low <= zone.ceiling_m)
        if zone.active_until_s is not None:
            in_band &= np.asarray(times[:-1]) < zone.active_until_s
        if np.any(in_band & shapely.intersects(lines, zone.keep_out)):
            return True
    return False


def _way_out(t_s, xyz_m, leaving, active) -> float | None:
    """When a plan (times ``t_s``, points ``xyz_m``) first reaches a point outside every
    zone of ``leaving`` (its way out; ``t_s[0]`` when there are none), or None when it
    meets an ``active`` zone afterwards, or a zone not in ``leaving`` before."""

    def inside(point) -> bool:
        here = shapely.Point(point[0], point[1])
        return any(
            zone.floor_m <= point[2] <= zone.ceiling_m and zone.keep_out.intersects(here)
            for zone in leaving
        )

    out = 0
    while out < len(xyz_m) and inside(xyz_m[out]):
        out += 1
    if out == len(xyz_m):
        return None
    others = [zone for zone in active if all(zone is not z for z in leaving)]
    if out > 0 and _meets(t_s[: out + 1], xyz_m[: out + 1], others):
        return None
    if len(xyz_m) - out > 1 and _meets(t_s[out:], xyz_m[out:], active):
        return None
    return float(t_s[out])


def _nearest_depot(depots_xy, xy) -> int:
    """The depot nearest ``xy`` (ties: lower index)."""
    return int(np.argmin(np.hypot(depots_xy[:, 0] - xy[0], depots_xy[:, 1] - xy[1])))


def _add_segment(builder: PlanBuilder, a, b, state: int) -> None:
    """The segment between waypoints ``a`` and ``b`` (``t, x, y, z, event, arg``): a hold
    where they share a position, a taxi on the ground, a flight otherwise."""
    dt = b[0] - a[0]
    if a[1:4] == b[1:4]:
        builder.hold_at(dt, state, a[3] == 0.0, b[4], b[5])
    elif a[3] == 0.0 and b[3] == 0.0:
        builder.taxi(b[1], b[2], dt, state, b[4], b[5])
    else:
        builder.move(b[1], b[2], b[3], state, b[4], b[5])


def _pickup_pad(sim, order: int, here) -> tuple[float, float]:
    """Where ``order``'s parcel is picked up, metres: its merchant's pad
    (``pickup = "merchant"``), else the pad of its pickup depot nearest ``here``."""
    orders = sim.orders
    if orders.merchant[order] >= 0:
        return tuple(float(v) for v in orders.pickup_xy[order])
    return _nearest(sim.pads_xy[int(orders.pickup_depot[order])], here)


def _nearest(pads, xy) -> tuple[float, float]:
    """The pad nearest ``xy`` (ties: lower index)."""
    pads = np.asarray(pads, np.float64)
    k = int(np.argmin(np.hypot(pads[:, 0] - xy[0], pads[:, 1] - xy[1])))
    return float(pads[k, 0]), float(pads[k, 1])


__all__ = ["StrategicRun"]
