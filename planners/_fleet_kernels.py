"""Numba kernels for fleet scheduling: trip estimates, assignment, batching, charging.

Arrays and scalars in and out. Conventions shared with `planners.fleet`:

- drones ``d``: position ``(x, y, z)`` in metres when next free, time ``free_s`` when next
  free, battery ``energy_wh`` then, ``depot[d]`` the depot it stands at (-1: airborne);
- orders ``o``: pickup and drop-off ``(x, y)`` on the ground, ``weight_kg``, ``deadline_s``;
- depots ``k``: ``(x, y)`` and ``open[k]`` (1 when a pad is free or soon free);
- a trip: climb to the cruise altitude, cruise (straight line x detour factor, wind along
  the leg), land at the pickup, climb, cruise loaded, descend and hover ``service_time``
  at the drop-off (winch), ..., then fly home to the nearest open depot and land. It is
  feasible only if it lands there with at least the reserve, and no leg exceeds the
  payload limit.

Objectives (`OBJ_*`): earliest delivery (seconds from now), least lateness past the
deadline (seconds, ties broken by delivery time), least energy (watt-hours).
"""

from __future__ import annotations

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.energy import (
    P_MAX_PAYLOAD,
    P_RESERVE,
    cruise_leg,
    hover_energy_wh,
    vertical_leg,
)

HANDOVER_HEIGHT_M = 10.0  # drones descend to here at a drop-off and winch the parcel down

OBJ_EARLIEST = 0
OBJ_LATENESS = 1
OBJ_ENERGY = 2
_TIE = 1e-3  # weight of delivery time when breaking lateness ties (s per s)

# Travel parameters (planners.fleet.TravelModel.as_array).
T_DETOUR = 0
T_CRUISE_ALT = 1
T_WIND_X = 2
T_WIND_Y = 3
T_SERVICE = 4
T_PICKUP_TIME = 5
N_TRAVEL = 6


# ----------------------------------------------------------------------------- legs


@kernel
def _fly(params, travel, payload, x0, y0, z0, x1, y1, z1):
    """Time (s) and energy (Wh) from (x0, y0, z0) to (x1, y1, z1): climb or descend to the
    cruise altitude, cruise, then climb or descend to z1 (only the vertical part when the
    two points share x and y)."""
    if x0 == x1 and y0 == y1:
        # No horizontal leg (e.g. two pickups at one store): straight up or down.
        return vertical_leg(params, payload, z1 - z0)
    cruise = travel[T_CRUISE_ALT]
    up_s, up_wh = vertical_leg(params, payload, cruise - z0)
    detour = travel[T_DETOUR]
    t, e = cruise_leg(
        params, payload, (x1 - x0) * detour, (y1 - y0) * detour, travel[T_WIND_X], travel[T_WIND_Y]
    )
    down_s, down_wh = vertical_leg(params, payload, z1 - cruise)
    return up_s + t + down_s, up_wh + e + down_wh


@kernel
def _home(params, travel, x, y, depot_xy, depot_open):
    """Cheapest flight (empty, from the ground at (x, y)) to an open depot: (depot, s, Wh).

    Falls back to any depot when none is open. Ties go to the lower index.
    """
    best = -1
    best_t = np.inf
    best_e = np.inf
    for pass_ in range(2):
        for k in range(depot_xy.shape[0]):
            if pass_ == 0 and depot_open[k] == 0:
                continue
            t, e = _fly(params, travel, 0.0, x, y, 0.0, depot_xy[k, 0], depot_xy[k, 1], 0.0)
            if e < best_e:
                best, best_t, best_e = k, t, e
        if best >= 0:
            break
    return best, best_t, best_e


@kernel
def fly_matrix(params, travel, payload, from_xyz, to_xyz):
    """Time (s) and energy (Wh) of flying from every ``from_xyz`` point to every ``to_xyz``
    point (``_fly``: via the cruise altitude), as two ``(n_from, n_to)`` matrices."""
    n = from_xyz.shape[0]
    m = to_xyz.shape[0]
    seconds = np.empty((n, m))
    energy = np.empty((n, m))
    for a in range(n):
        for b in range(m):
            seconds[a, b], energy[a, b] = _fly(
                params,
                travel,
                payload,
                from_xyz[a, 0],
                from_xyz[a, 1],
                from_xyz[a, 2],
                to_xyz[b, 0],
                to_xyz[b, 1],
                to_xyz[b, 2],
            )
    return seconds, energy


@kernel
def nearest_depots(params, travel, xy, depot_xy, depot_open):
    """For every point, the cheapest open depot to fly home to and that flight's s and Wh."""
    n = xy.shape[0]
    depot = np.empty(n, np.int64)
    seconds = np.empty(n)
    energy = np.empty(n)
    for i in range(n):
        depot[i], seconds[i], energy[i] = _home(
            params, travel, xy[i, 0], xy[i, 1], depot_xy, depot_open
        )
    return depot, seconds, energy


# ----------------------------------------------------------------------------- routes


@kernel
def evaluate_route(
    params,
    travel,
    objective,
    now_s,
    x,
    y,
    z,
    free_s,
    energy_wh,
    stops,
    n_stops,
    pickup,
    dropoff,
    weight,
    deadline,
    home_s,
    home_wh,
    initial_load,
):
    """Simulate one drone's route of stops (``stops[s] = 2 * order + (0 pickup | 1 drop)``).

    Returns ``(feasible, cost, end_s, used_wh, delivered_s)`` where ``cost`` follows the
    objective (summed over the route's orders; energy: the whole route including the way
    home), ``used_wh`` includes the flight home, and ``delivered_s`` is the last delivery.
    ``home_s``/``home_wh`` give each order's flight from its drop-off to the nearest open
    depot (precomputed by `nearest_depots`). ``initial_load`` is the weight aboard at the
    start (kilograms).
    """
    t = free_s
    e = 0.0
    load = initial_load
    cost = 0.0
    last_delivery = free_s
    cx, cy, cz = x, y, z
    max_payload = params[P_MAX_PAYLOAD]
    last_order = -1
    for s in range(n_stops):
        stop = stops[s]
        order = stop >> 1
        if stop & 1 == 0:
            dt, de = _fly(params, travel, load, cx, cy, cz, pickup[order, 0], pickup[order, 1], 0.0)
            t += dt + travel[T_PICKUP_TIME]
            e += de
            load += weight[order]
            if load > max_payload + 1e-9:
                return False, np.inf, t, e, last_delivery
            cx, cy, cz = pickup[order, 0], pickup[order, 1], 0.0
        else:
            # Descend to the winch height, hover for the hand-over, and climb away.
            dt, de = _fly(
                params,
                travel,
                load,
                cx,
                cy,
                cz,
                dropoff[order, 0],
                dropoff[order, 1],
                travel[T_CRUISE_ALT],
            )
            t += dt
            e += de
            down_s, down_wh = vertical_leg(params, load, HANDOVER_HEIGHT_M - travel[T_CRUISE_ALT])
            t += down_s
            e += down_wh
            e += hover_energy_wh(params, load, travel[T_SERVICE])
            t += travel[T_SERVICE]
            delivered = t
            load -= weight[order]
            up_s, up_wh = vertical_leg(params, load, travel[T_CRUISE_ALT] - HANDOVER_HEIGHT_M)
            t += up_s
            e += up_wh
            last_delivery = delivered
            if objective == OBJ_EARLIEST:
                cost += delivered - now_s
            elif objective == OBJ_LATENESS:
                cost += max(0.0, delivered - deadline[order]) + _TIE * (delivered - now_s)
            cx, cy, cz = dropoff[order, 0], dropoff[order, 1], travel[T_CRUISE_ALT]
            last_order = order
    if last_order >= 0:
        # Home from the last drop-off: at cruise altitude already, so no climb needed.
        climb_s, climb_wh = vertical_leg(params, 0.0, travel[T_CRUISE_ALT])
        t += home_s[last_order] - climb_s
        e += home_wh[last_order] - climb_wh
    feasible = energy_wh - e >= params[P_RESERVE] - 1e-9 and load <= 1e-9
    if objective == OBJ_ENERGY:
        cost = e + _TIE * (last_delivery - now_s) / 3600.0
    return feasible, cost if feasible else np.inf, t, e, last_delivery


@kernel
def _order_tail(params, travel, objective, pickup, dropoff, weight, home_s, home_wh, o):
    """The part of a single-order trip that does not depend on the drone: from lift-off at
    the pickup to landing at home. Returns (s to the hand-over, s in all, Wh)."""
    stops = np.empty(1, np.int64)
    stops[0] = 2 * o + 1
    # A route of just the drop-off, starting on the ground at the pickup with the parcel:
    # evaluate_route adds the hand-over and the flight home exactly as in longer routes.
    ok, _, end, used, delivered = evaluate_route(
        params,
        travel,
        objective,
        0.0,
        pickup[o, 0],
        pickup[o, 1],
        0.0,
        0.0,
        np.inf,
        stops,
        1,
        pickup,
        dropoff,
        weight,
        np.zeros(pickup.shape[0]),
        home_s,
        home_wh,
        weight[o],
    )
    return delivered, end, used


@kernel
def single_order_costs(
    params,
    travel,
    objective,
    now_s,
    drone_xyz,
    drone_free_s,
    drone_energy_wh,
    pickup,
    dropoff,
    weight,
    deadline,
    home_s,
    home_wh,
):
    """Cost of every drone serving every order alone: ``(cost, delivered_s, energy_wh)``,
    each ``(n_drones, n_orders)``; ``inf`` cost where infeasible (battery or payload).

    Equal to `evaluate_route` on the two-stop route, computed as the drone's approach to
    the pickup plus the order's drone-independent remainder, evaluated once per order.
    """
    n_d = drone_xyz.shape[0]
    n_o = pickup.shape[0]
    tail_delivery = np.empty(n_o)
    tail_end = np.empty(n_o)
    tail_wh = np.empty(n_o)
    for o in range(n_o):
        tail_delivery[o], tail_end[o], tail_wh[o] = _order_tail(
            params, travel, objective, pickup, dropoff, weight, home_s, home_wh, o
        )
    cost = np.empty((n_d, n_o))
    delivered = np.empty((n_d, n_o))
    energy = np.empty((n_d, n_o))
    max_payload = params[P_MAX_PAYLOAD]
    for d in range(n_d):
        for o in range(n_o):
            t, e = _fly(
                params,
                travel,
                0.0,
                drone_xyz[d, 0],
                drone_xyz[d, 1],
                drone_xyz[d, 2],
                pickup[o, 0],
                pickup[o, 1],
                0.0,
            )
            lift_off = drone_free_s[d] + t + travel[T_PICKUP_TIME]
            handed = lift_off + tail_delivery[o]
            used = e + tail_wh[o]
            delivered[d, o] = handed
            energy[d, o] = used
            if (
                weight[o] > max_payload + 1e-9
                or drone_energy_wh[d] - used < params[P_RESERVE] - 1e-9
            ):
                cost[d, o] = np.inf
            elif objective == OBJ_EARLIEST:
                cost[d, o] = handed - now_s
            elif objective == OBJ_LATENESS:
                cost[d, o] = max(0.0, handed - deadline[o]) + _TIE * (handed - now_s)
            else:
                cost[d, o] = used + _TIE * (handed - now_s) / 3600.0
    return cost, delivered, energy


# ----------------------------------------------------------------------------- assignment


@kernel
def linear_sum_assignment(cost):
    """Minimum-cost assignment of every row to a distinct column (rows <= columns).

    Shortest augmenting paths with dual potentials (Jonker & Volgenant 1987, in the
    rectangular form of Crouse, IEEE TAES 52(4), 2016): one Dijkstra-like search over the
    columns per row, on reduced costs. All costs must be finite. Returns ``col4row``.
    """
    n_rows, n_cols = cost.shape
    u = np.zeros(n_rows)
    v = np.zeros(n_cols)
    shortest = np.empty(n_cols)
    path = np.full(n_cols, -1, np.int64)
    col4row = np.full(n_rows, -1, np.int64)
    row4col = np.full(n_cols, -1, np.int64)
    in_rows = np.zeros(n_rows, np.bool_)
    in_cols = np.zeros(n_cols, np.bool_)
    remaining = np.empty(n_cols, np.int64)
    for current in range(n_rows):
        minimum = 0.0
        i = current
        n_remaining = n_cols
        for j in range(n_cols):
            remaining[j] = n_cols - 1 - j
        for row in range(n_rows):
            in_rows[row] = False
        for column in range(n_cols):
            in_cols[column] = False
            shortest[column] = np.inf
        sink = -1
        while sink == -1:
            best_index = -1
            lowest = np.inf
            in_rows[i] = True
            for index in range(n_remaining):
                j = remaining[index]
                reduced = minimum + cost[i, j] - u[i] - v[j]
                if reduced < shortest[j]:
                    path[j] = i
                    shortest[j] = reduced
                # Prefer a free column among equals: it ends the search.
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest = shortest[j]
                    best_index = index
            minimum = lowest
            j = remaining[best_index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            in_cols[j] = True
            n_remaining -= 1
            remaining[best_index] = remaining[n_remaining]
        u[current] += minimum
        for i in range(n_rows):
            if in_rows[i] and i != current:
                u[i] += minimum - shortest[col4row[i]]
        for j in range(n_cols):
            if in_cols[j]:
                v[j] -= minimum - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            j, col4row[i] = col4row[i], j
            if i == current:
                break
    return col4row


@kernel
def greedy_first_come(cost, order):
    """Baseline: orders in order of creation each take the cheapest still-free feasible drone.

    ``order`` lists the orders by creation time. Returns ``drone4order`` (-1: none left
    or none feasible).
    """
    n_d, n_o = cost.shape
    used = np.zeros(n_d, np.bool_)
    drone4order = np.full(n_o, -1, np.int64)
    for o in order:
        best = -1
        best_cost = np.inf
        for d in range(n_d):
            if not used[d] and cost[d, o] < best_cost:
                best = d
                best_cost = cost[d, o]
        if best >= 0:
            used[best] = True
            drone4order[o] = best
    return drone4order


# ----------------------------------------------------------------------------- batching


@kernel
def _route_cost(
    params,
    travel,
    objective,
    now_s,
    d,
    drone_xyz,
    drone_free_s,
    drone_energy_wh,
    routes,
    lengths,
    pickup,
    dropoff,
    weight,
    deadline,
    home_s,
    home_wh,
):
    if lengths[d] == 0:
        return True, 0.0
    ok, c, _, _, _ = evaluate_route(
        params,
        travel,
        objective,
        now_s,
        drone_xyz[d, 0],
        drone_xyz[d, 1],
        drone_xyz[d, 2],
        drone_free_s[d],
        drone_energy_wh[d],
        routes[d],
        lengths[d],
        pickup,
        dropoff,
        weight,
        deadline,
        home_s,
        home_wh,
        0.0,
    )
    return ok, c


@kernel
def _best_insertion(
    params,
    travel,
    objective,
    now_s,
    d,
    order,
    drone_xyz,
    drone_free_s,
    drone_energy_wh,
    routes,
    lengths,
    pickup,
    dropoff,
    weight,
    deadline,
    home_s,
    home_wh,
    scratch,
):
    """Cheapest feasible positions (p, q) to insert ``order``'s pickup and drop into drone d's route.

    Returns ``(new_cost, p, q, evaluations)``; new_cost is ``inf`` when nothing fits.
    """
    n = lengths[d]
    best = np.inf
    best_p = -1
    best_q = -1
    evaluations = 0
    if n + 2 > routes.shape[1]:
        return best, best_p, best_q, evaluations
    for p in range(n + 1):
        for q in range(p, n + 1):
            # Build the route with the pickup before old stop p and the drop before old stop q.
            w = 0
            for s in range(n + 1):
                if s == p:
                    scratch[w] = 2 * order
                    w += 1
                if s == q:
                    scratch[w] = 2 * order + 1
                    w += 1
                if s < n:
                    scratch[w] = routes[d, s]
                    w += 1
            evaluations += 1
            ok, c, _, _, _ = evaluate_route(
                params,
                travel,
                objective,
                now_s,
                drone_xyz[d, 0],
                drone_xyz[d, 1],
                drone_xyz[d, 2],
                drone_free_s[d],
                drone_energy_wh[d],
                scratch,
                n + 2,
                pickup,
                dropoff,
                weight,
                deadline,
                home_s,
                home_wh,
                0.0,
            )
            if ok and c < best:
                best = c
                best_p = p
                best_q = q
    return best, best_p, best_q, evaluations


@kernel
def _insert(routes, lengths, d, order, p, q):
    n = lengths[d]
    old = routes[d, :n].copy()
    w = 0
    for s in range(n + 1):
        if s == p:
            routes[d, w] = 2 * order
            w += 1
        if s == q:
            routes[d, w] = 2 * order + 1
            w += 1
        if s < n:
            routes[d, w] = old[s]
            w += 1
    lengths[d] = n + 2


@kernel
def _remove(routes, lengths, d, order):
    n = lengths[d]
    w = 0
    for s in range(n):
        if routes[d, s] >> 1 != order:
            routes[d, w] = routes[d, s]
            w += 1
    lengths[d] = w


@kernel
def improve_routes(
    params,
    travel,
    objective,
    now_s,
    unassigned_penalty,
    drone_xyz,
    drone_free_s,
    drone_energy_wh,
    pickup,
    dropoff,
    weight,
    deadline,
    home_s,
    home_wh,
    routes,
    lengths,
    drone4order,
    candidates,
    budget,
    order_list,
):
    """Cheapest insertion of unassigned orders, then relocate moves, within ``budget``
    route evaluations (a count, not a clock, so the same inputs give the same routes).

    ``routes[d, :lengths[d]]`` hold each drone's stops and are improved in place;
    ``drone4order`` is updated. ``candidates[o]`` lists the drones to try for order o
    (-1 padded), nearest first; ``order_list`` gives the insertion order (by deadline).
    Moves are accepted only when they lower the total cost
    (route costs plus ``unassigned_penalty`` per unassigned order), so the result is never
    worse than the start. Returns ``(total_cost, evaluations)``.
    """
    n_d = drone_xyz.shape[0]
    n_o = pickup.shape[0]
    scratch = np.empty(routes.shape[1], np.int64)
    route_cost = np.empty(n_d)
    for d in range(n_d):
        ok, c = _route_cost(
            params,
            travel,
            objective,
            now_s,
            d,
            drone_xyz,
            drone_free_s,
            drone_energy_wh,
            routes,
            lengths,
            pickup,
            dropoff,
            weight,
            deadline,
            home_s,
            home_wh,
        )
        route_cost[d] = c if ok else np.inf
    evaluations = 0
    # 1. Cheapest insertion, orders by deadline (then index: deterministic).
    for o in order_list:
        if drone4order[o] >= 0 or evaluations >= budget:
            continue
        best_delta = unassigned_penalty
        best_d = -1
        best_p = -1
        best_q = -1
        for c in range(candidates.shape[1]):
            d = candidates[o, c]
            if d < 0:
                break
            if not np.isfinite(route_cost[d]):
                continue
            new_cost, p, q, used = _best_insertion(
                params,
                travel,
                objective,
                now_s,
                d,
                o,
                drone_xyz,
                drone_free_s,
                drone_energy_wh,
                routes,
                lengths,
                pickup,
                dropoff,
                weight,
                deadline,
                home_s,
                home_wh,
                scratch,
            )
            evaluations += used
            if new_cost - route_cost[d] < best_delta:
                best_delta = new_cost - route_cost[d]
                best_d, best_p, best_q = d, p, q
        if best_d >= 0:
            _insert(routes, lengths, best_d, o, best_p, best_q)
            route_cost[best_d] += best_delta
            drone4order[o] = best_d
    # 2. Relocate: move one order to its best place on a candidate drone (its own included).
    improved = True
    while improved and evaluations < budget:
        improved = False
        for o in range(n_o):
            d0 = drone4order[o]
            if d0 < 0 or evaluations >= budget:
                continue
            saved = routes[d0, : lengths[d0]].copy()
            saved_length = lengths[d0]
            _remove(routes, lengths, d0, o)
            ok, without = _route_cost(
                params,
                travel,
                objective,
                now_s,
                d0,
                drone_xyz,
                drone_free_s,
                drone_energy_wh,
                routes,
                lengths,
                pickup,
                dropoff,
                weight,
                deadline,
                home_s,
                home_wh,
            )
            evaluations += 1
            if not ok:
                without = np.inf
            gain_from_removal = route_cost[d0] - without
            best_delta = 0.0
            best_d = -1
            best_p = -1
            best_q = -1
            best_new = 0.0
            for c in range(candidates.shape[1] + 1):
                d = d0 if c == candidates.shape[1] else candidates[o, c]
                if d < 0:
                    continue
                base = without if d == d0 else route_cost[d]
                if not np.isfinite(base):
                    continue
                new_cost, p, q, used = _best_insertion(
                    params,
                    travel,
                    objective,
                    now_s,
                    d,
                    o,
                    drone_xyz,
                    drone_free_s,
                    drone_energy_wh,
                    routes,
                    lengths,
                    pickup,
                    dropoff,
                    weight,
                    deadline,
                    home_s,
                    home_wh,
                    scratch,
                )
                evaluations += used
                delta = (new_cost - base) - gain_from_removal
                if delta < best_delta - 1e-9:
                    best_delta = delta
                    best_d, best_p, best_q = d, p, q
                    best_new = new_cost
            if best_d >= 0:
                if best_d != d0:
                    route_cost[d0] = without
                _insert(routes, lengths, best_d, o, best_p, best_q)
                route_cost[best_d] = best_new
                drone4order[o] = best_d
                improved = True
            else:
                for index in range(saved_length):
                    routes[d0, index] = saved[index]
                lengths[d0] = saved_length
    total = 0.0
    for d in range(n_d):
        if lengths[d] > 0:
            total += route_cost[d]
    for o in range(n_o):
        if drone4order[o] < 0:
            total += unassigned_penalty
    return total, evaluations


# ----------------------------------------------------------------------------- charging


@kernel
def choose_charging(
    params,
    travel,
    drone_xyz,
    drone_energy_wh,
    needs_charge,
    depot_xy,
    pads_total,
    pads_free,
    queue,
    charge_s,
    order,
):
    """Send each drone that needs a charge to the depot where it can start charging soonest.

    Drones are handled in ``order`` (the caller passes rising battery, emptiest first,
    ties by index).
    A depot's pads are a finite resource: every drone sent there takes a pad or joins its
    queue, which delays the next by ``charge_s`` per pad. Only depots reachable with the
    reserve intact are considered; if none is, the nearest by energy is used (the caller
    flags the drone). Returns ``(depot4drone, wait_s)``, -1 for drones not sent.
    """
    n = drone_xyz.shape[0]
    n_k = depot_xy.shape[0]
    depot4drone = np.full(n, -1, np.int64)
    wait = np.zeros(n)
    free = pads_free.copy().astype(np.float64)
    waiting = queue.copy().astype(np.float64)
    for d in order:
        if not needs_charge[d]:
            continue
        best = -1
        best_time = np.inf
        fallback = -1
        fallback_energy = np.inf
        for k in range(n_k):
            t, e = _fly(
                params,
                travel,
                0.0,
                drone_xyz[d, 0],
                drone_xyz[d, 1],
                drone_xyz[d, 2],
                depot_xy[k, 0],
                depot_xy[k, 1],
                0.0,
            )
            if e < fallback_energy:
                fallback, fallback_energy = k, e
            if drone_energy_wh[d] - e < params[P_RESERVE] - 1e-9:
                continue
            delay = 0.0 if free[k] > 0 else (waiting[k] + 1.0) * charge_s / max(pads_total[k], 1)
            if t + delay < best_time:
                best, best_time = k, t + delay
        if best < 0:
            best = fallback
        depot4drone[d] = best
        if free[best] > 0:
            free[best] -= 1
        else:
            waiting[best] += 1
            wait[d] = waiting[best] * charge_s / max(pads_total[best], 1)
    return depot4drone, wait
