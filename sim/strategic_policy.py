"""The ``strategic`` deconfliction policy for one run: trips planned with `StrategicPlanner`.

`StrategicRun` is what `sim.deconfliction.StrategicPolicy.bind` gives the engine. It owns a
`sim.strategic.StrategicPlanner` over the run's airspace (the drone model's cruise speed and
climb and descent rates, the separation minima, ``deconfliction.time_buffer_s``), with every
pad's landing field prepared at set-up. For each trip a dispatch round starts
(`plan_trip`, in dispatch order, so the most urgent trip reserves first):

- pickups at the depot the drone stands at are ground holds on the apron, then the drone
  taxis to a pad (`sim.vertiports.TAXI_SPEED_MPS`) and is ready there;
- pickups at another depot land on that depot's pad nearest the previous stop and hold on
  the ground for `sim.vocabulary.PICKUP_TIME_S`; drop-offs are hover stops at the hand-over
  height for the drone model's service time; the trip ends landed on the pad of the depot
  nearest its last stop (nearest that stop), then taxis to the apron;
- the start pad nearest the first stop is planned and committed; when that plan waits
  (on the pad or hovering), the depot's other pads are tried without reserving and the
  earliest landing replaces it;
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
dispatch time) and when the engine replaces a drone's plan in flight (`plan_replaced`).
Repositioning flights between depots are planned the same way (`plan_reposition`, no
stops). Replans after a zone switches are built the normal way and are *not* planned
against the reservations (a known gap).
"""

from __future__ import annotations

import math
import time

import numpy as np
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.planners.energy import hover_energy_wh
from dronesim.sim.routing import PlanBuilder
from dronesim.sim.strategic import Stop, StrategicPlanner, StrategicStatus
from dronesim.sim.vertiports import TAXI_SPEED_MPS
from dronesim.sim.vocabulary import (
    DELIVERING,
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

# Expansion limits of each search: a trip's plan, and the other pads tried when it waits
# (and repositioning flights).
# A trip that reaches the limit is not started this round (``LIMIT``) and is planned again
# at the next dispatch round; the limits bound the searches that would otherwise sweep a
# congested sky's whole space-time before finding that nothing lands in time.
SEARCH_BUDGET = 60_000
TRIAL_BUDGET = 8_000


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
        `StrategicStatus` name -> trips refused for it.
    trip_planning_s, reposition_planning_s : list of float
        Wall time of each `plan_trip` and `plan_reposition` call that searched against
        the reservations (planned or refused; not the calls left to the normal builder),
        seconds, in call order.
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
        strategic.prepare_pads(
            np.concatenate(sim.pads_xy),
            np.concatenate([np.full(len(p), d) for d, p in enumerate(sim.pads_xy)]),
        )
        state = {
            "sim": sim,
            "strategic": strategic,
            "trip_of": {},
            "next_trip": 0,
            "released_at": -math.inf,
            "refusals": {},
            "trip_planning_s": [],
            "reposition_planning_s": [],
        }
        for key, value in state.items():
            setattr(self, key, value)

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
        self.plan_replaced(request.drone)  # its last plan has ended (it stands at a depot)
        orders = sim.orders
        depot = int(request.home_hint)
        apron = (float(request.start[0]), float(request.start[1]))
        # Ground work at the apron: pickups at this depot before the first flight.
        stops = list(request.stops)
        prefix = []  # (seconds, order)
        while stops and stops[0][1] == PICKUP and int(orders.pickup_depot[stops[0][0]]) == depot:
            prefix.append((PICKUP_TIME_S, int(stops.pop(0)[0])))
        if not stops and target is None:
            return None  # nothing to fly: the normal builder (ground only)
        plan_stops, meta = [], []  # meta: (kind, order, x, y)
        here = apron
        for order, kind in stops:
            if kind == PICKUP:
                d = int(orders.pickup_depot[order])
                pad = _nearest(sim.pads_xy[d], here)
                plan_stops.append(Stop(pad[0], pad[1], PICKUP_TIME_S, land=True))
                meta.append((PICKUP, int(order), pad[0], pad[1]))
                here = pad
            else:
                x, y = (float(v) for v in orders.dropoff_xy[order])
                service = float(sim.model.service_time_s)
                # Delivered at the end of the service hover, by the order's deadline.
                latest = float(orders.deadline_s[order]) - service
                plan_stops.append(Stop(x, y, service, land=False, latest_s=latest))
                meta.append((kind, int(order), x, y))
                here = (x, y)
        if target is None:
            home = int(
                np.argmin(np.hypot(sim.depots_xy[:, 0] - here[0], sim.depots_xy[:, 1] - here[1]))
            )
        else:
            home = target
        end_pad = _nearest(sim.pads_xy[home], here)
        first = (plan_stops[0].x_m, plan_stops[0].y_m) if plan_stops else end_pad
        ready_base = t0 + sum(s for s, _ in prefix)
        spare_wh = float(request.battery_wh) - float(sim.model.reserve_wh)
        hover_wh_per_s = hover_energy_wh(sim.params, 0.0, 1.0)
        # A bound for the search only (twice the hover endurance): the battery itself is
        # checked on the timed plan.
        deadline = t0 + 2.0 * max(0.0, spare_wh) / max(hover_wh_per_s, 1e-12)
        # Start pads nearest the first stop first (then by index). The first is planned and
        # committed; when its plan waits (on the pad or hovering), the other pads are tried
        # without reserving and the earliest landing (ties: the nearer pad) is committed
        # in its place.
        pads = [(float(xy[0]), float(xy[1])) for xy in sim.pads_xy[depot]]
        ranked = sorted(
            range(len(pads)),
            key=lambda k: (math.hypot(first[0] - pads[k][0], first[1] - pads[k][1]), k),
        )

        def ready_at(pad):
            return ready_base + math.hypot(pad[0] - apron[0], pad[1] - apron[1]) / TAXI_SPEED_MPS

        trip = self.next_trip
        self.next_trip = trip + 1
        pad = pads[ranked[0]]
        plan = self.strategic.plan_trip(
            trip, pad, plan_stops, end_pad, ready_s=ready_at(pad), deadline_s=deadline,
            # Repositioning is optional work: it gets the trials' smaller budget.
            max_expansions=SEARCH_BUDGET if target is None else TRIAL_BUDGET,
        )  # fmt: skip
        found = plan.status == StrategicStatus.FOUND
        if not found or plan.ground_wait_s + plan.hover_wait_s > 0.0:
            best = (plan.arrival_s, pad) if found else None
            last = plan
            for k in ranked[1:]:
                # Only a strictly earlier landing would replace the best so far.
                latest = deadline if best is None else min(deadline, best[0] - 1e-6)
                trial = self.strategic.plan_trip(
                    trip, pads[k], plan_stops, end_pad, ready_s=ready_at(pads[k]),
                    deadline_s=latest, commit=False, max_expansions=TRIAL_BUDGET,
                )  # fmt: skip
                if trial.status != StrategicStatus.FOUND:
                    last = trial
                elif best is None or trial.arrival_s < best[0]:
                    best = (trial.arrival_s, pads[k])
            if best is None:
                return self._refuse(last.status.name)
            if best[1] != pad:
                pad = best[1]
                plan = self.strategic.plan_trip(
                    trip, pad, plan_stops, end_pad, ready_s=ready_at(pad), deadline_s=deadline,
                    max_expansions=TRIAL_BUDGET,
                )  # fmt: skip
                if plan.status != StrategicStatus.FOUND:  # the trial's search: not expected
                    self.strategic.release(trip)
                    return self._refuse(plan.status.name)
        final = RETURNING if target is None else REPOSITIONING
        timed, delivered = self._timed(request, apron, prefix, pad, plan, meta, home, final)
        late = any(orders.deadline_s[order] < t for order, t in delivered)
        if timed is None or late:
            self.strategic.release(trip)
            return self._refuse("WIND" if timed is None else "ORDER_DEADLINE")
        if timed["wh"][-1] < sim.model.reserve_wh - 1e-6:
            self.strategic.release(trip)  # the engine refuses it and learns its energy
            return timed
        self.trip_of[int(request.drone)] = trip
        # What the trip waits for the reservations, beside the column waits of the others.
        sim.log.takeoff_delays_s.append(max(0.0, plan.depart_s - plan.ready_s))
        if plan.hover_wait_s > 0.0:
            sim.log.column_hover_s.append(float(plan.hover_wait_s))
        return timed

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
        points += [
            (float(r[0]), float(r[1]), float(r[2]), float(r[3]), EV_NONE, -1) for r in wp[1:]
        ]
        # Stop events: delivered at the end of the service hover, picked up at the end of
        # the ground hold after a pickup landing.
        arrivals = []
        search = n_prefix
        delivered = []
        for kind, order, x, y in meta:
            if kind == PICKUP:
                i = next(
                    j for j in range(search, len(points) - 1)
                    if points[j][1:4] == (x, y, 0.0) and points[j - 1][3] > 0.0
                )  # fmt: skip
                arrivals.append(i)
                points[i + 1] = points[i + 1][:4] + (EV_PICKED, order)
                search = i + 2
            else:
                i = next(
                    j for j in range(search, len(points))
                    if points[j][1:4] == (x, y, HANDOVER_HEIGHT_M)
                )  # fmt: skip
                arrivals.append(i)
                t_done = points[i][0] + float(sim.model.service_time_s)
                if abs(points[i + 1][0] - t_done) <= 1e-6:
                    points[i + 1] = points[i + 1][:4] + (EV_DELIVERED, order)
                else:
                    points.insert(i + 1, (t_done, x, y, HANDOVER_HEIGHT_M, EV_DELIVERED, order))
                delivered.append((order, t_done))
                search = i + 2
        hx, hy = (float(v) for v in sim.depots_xy[home])
        last = points[-1]
        seconds = math.hypot(hx - last[1], hy - last[2]) / TAXI_SPEED_MPS
        points.append((last[0] + seconds, hx, hy, 0.0, EV_LANDED, home))
        points = self._square_corners(points)
        # Segments: state and payload.
        weights = sim.orders.weight_kg
        load = float(sum(weights[o] for _, o in prefix))
        done_stops = 0
        builder = PlanBuilder(apron[0], apron[1], 0.0, 0.0)
        builder.load = 0.0
        airborne_once = False
        for i in range(len(points) - 1):
            a, b = points[i], points[i + 1]
            while done_stops < len(meta) and _event_index(points, meta[done_stops]) <= i:
                kind, order = meta[done_stops][:2]
                load += weights[order] if kind == PICKUP else -weights[order]
                done_stops += 1
            if i < n_prefix - 1:
                builder.load = float(sum(weights[o] for _, o in prefix[:i]))
                state = PICKING_UP
            else:
                builder.load = max(0.0, load)
                state = self._state(a, b, meta, done_stops, airborne_once, final)
            if a[3] > 0.0:
                airborne_once = True
            dt = b[0] - a[0]
            if a[1:4] == b[1:4]:
                builder.hold_at(dt, state, a[3] == 0.0, b[4], b[5])
            elif a[3] == 0.0 and b[3] == 0.0:
                builder.taxi(b[1], b[2], dt, state, b[4], b[5])
            else:
                builder.move(b[1], b[2], b[3], state, b[4], b[5])
        timed = builder.timed(sim.params, sim.wind, float(request.t_s), float(request.battery_wh))
        if timed is None:
            return None, []
        timed["t"] = np.array([p[0] for p in points], np.float64)
        return timed, delivered

    def _square_corners(self, points):
        """Moves between a cruise cell and a low column (a pad or drop-off point, which need
        not lie at the cell's centre) flown as a horizontal move at cruise altitude and a
        vertical one in the stop's own column, as the normal builder does, rather than a
        slanted line that may cut a low building's clearance inside the cell. Both parts
        stay in the move's column between its two layers, which the move reserves."""
        out = [points[0]]
        for a, b in zip(points[:-1], points[1:]):
            low_a = a[3] <= HANDOVER_HEIGHT_M
            low_b = b[3] <= HANDOVER_HEIGHT_M
            h = math.hypot(b[1] - a[1], b[2] - a[2])
            crosses_low_column = low_a != low_b and (a[3] > 0.0 or b[3] > 0.0)
            column = self.strategic.column_of
            if h > 0.0 and crosses_low_column and column(a[1], a[2]) == column(b[1], b[2]):
                # Across at cruise speed; the vertical part takes the rest of the
                # move's time (slightly faster than the model's rate, see module).
                across_s = min(h / self.sim.model.cruise_speed_mps, 0.5 * (b[0] - a[0]))
                if low_b:  # descent: across at cruise altitude, then down
                    out.append((a[0] + across_s, b[1], b[2], a[3], EV_NONE, -1))
                else:  # climb: up in the stop's column, then across
                    out.append((b[0] - across_s, a[1], a[2], b[3], EV_NONE, -1))
            out.append(b)
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


def _event_index(points, stop) -> int:
    kind, order = stop[:2]
    code = EV_PICKED if kind == PICKUP else EV_DELIVERED
    for j, p in enumerate(points):
        if p[4] == code and p[5] == order:
            return j
    return len(points)


def _nearest(pads, xy) -> tuple[float, float]:
    """The pad nearest ``xy`` (ties: lower index)."""
    pads = np.asarray(pads, np.float64)
    k = int(np.argmin(np.hypot(pads[:, 0] - xy[0], pads[:, 1] - xy[1])))
    return float(pads[k, 0]), float(pads[k, 1])


__all__ = ["StrategicRun"]
