"""Numba kernels of the simulation engine: timing flight plans, advancing the fleet, and
counting losses of separation with a spatial hash. Arrays and scalars only.

A flight plan is a timed polyline per drone: waypoints ``(t, x, y, z)`` with the battery
energy at each, the drone state while flying the segment that starts there, and an event
raised on arriving there (pickup done, parcel delivered, landed at a depot...). The
drone's position at any time is the linear interpolation between consecutive waypoints,
which is exactly what the recording stores.
"""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.energy import (
    cruise_leg,
    hover_energy_wh,
    vertical_leg,
)

SEG_MOVE = 0  # fly to the next waypoint (vertical, horizontal or both)
SEG_HOVER = 1  # hold position in the air for ``hold_s`` (hand-over at the drop-off)
SEG_GROUND = 2  # wait on the ground for ``hold_s`` (loading at a pickup)


@kernel
def time_path(params, wind_x, wind_y, xyz, kind, hold_s, payload, start_t, start_wh, times, energy):
    """Fill ``times`` and ``energy`` (battery Wh) at every waypoint of a plan.

    Segment ``i`` goes from waypoint ``i`` to ``i + 1``: ``kind[i]`` is `SEG_MOVE`,
    `SEG_HOVER` or `SEG_GROUND`, flown with ``payload[i]`` kg. Moves are vertical at the
    model's climb or descent rate, horizontal as `cruise_leg` (wind included), or both in
    sequence. Returns False if a leg cannot be flown (wind too strong).
    """
    times[0] = start_t
    energy[0] = start_wh
    n = xyz.shape[0]
    for i in range(n - 1):
        dt = 0.0
        de = 0.0
        if kind[i] == SEG_HOVER:
            dt = hold_s[i]
            de = hover_energy_wh(params, payload[i], dt)
        elif kind[i] == SEG_GROUND:
            dt = hold_s[i]
        else:
            dx = xyz[i + 1, 0] - xyz[i, 0]
            dy = xyz[i + 1, 1] - xyz[i, 1]
            dz = xyz[i + 1, 2] - xyz[i, 2]
            if dx != 0.0 or dy != 0.0:
                t, e = cruise_leg(params, payload[i], dx, dy, wind_x, wind_y)
                if not math.isfinite(t):
                    return False
                dt += t
                de += e
            t, e = vertical_leg(params, payload[i], dz)
            dt += t
            de += e
        times[i + 1] = times[i] + dt
        energy[i + 1] = energy[i] - de
    return True


@kernel
def advance(
    t_from,
    t_to,
    dt,
    plan_t,
    plan_xyz,
    plan_wh,
    plan_state,
    plan_event,
    plan_arg,
    plan_len,
    plan_pos,
    rest_state,
    position,
    battery,
    state,
    cruise_floor_m,
    sep_h,
    sep_v,
    traj_drone,
    traj_t,
    traj_xyz,
    traj_wh,
    event_t,
    event_drone,
    event_code,
    event_arg,
    conflicts_prev,
    n_conflicts_prev,
):
    """Advance every drone from ``t_from`` to ``t_to`` in steps of ``dt`` seconds.

    Drones pass the waypoints whose time has come: each one is appended to the
    trajectory buffers (``traj_*``) and its event, if any, to the event buffers, at the
    waypoint's exact time. Positions and batteries are interpolated at each step; after
    each step losses of separation are counted among drones en route (flying horizontally
    at or above ``cruise_floor_m``): a pair closer than ``sep_h`` horizontally and ``sep_v``
    vertically is in conflict; a conflict that was not there the step before is a new
    loss. ``conflicts_prev[:n_conflicts_prev]`` carries the pairs in conflict between calls.

    Returns ``(n_traj, n_events, new_losses, conflict_pair_seconds, n_conflicts_prev,
    depleted)`` where ``depleted`` counts drones whose battery went below zero.
    """
    n = plan_len.shape[0]
    n_traj = 0
    n_events = 0
    new_losses = 0
    pair_seconds = 0.0
    depleted = 0
    steps = max(1, int(math.ceil((t_to - t_from) / dt - 1e-9)))
    current = np.empty(conflicts_prev.shape[0], np.int64)
    cruising = np.empty(n, np.int64)
    for step in range(steps):
        t = min(t_from + (step + 1) * dt, t_to)
        step_dt = t - max(t_from + step * dt, t_from)
        m = 0
        for d in range(n):
            pos = plan_pos[d]
            length = plan_len[d]
            while pos + 1 < length and plan_t[d, pos + 1] <= t:
                pos += 1
                traj_drone[n_traj] = d
                traj_t[n_traj] = plan_t[d, pos]
                traj_xyz[n_traj, 0] = plan_xyz[d, pos, 0]
                traj_xyz[n_traj, 1] = plan_xyz[d, pos, 1]
                traj_xyz[n_traj, 2] = plan_xyz[d, pos, 2]
                traj_wh[n_traj] = plan_wh[d, pos]
                n_traj += 1
                if plan_event[d, pos] != 0:
                    event_t[n_events] = plan_t[d, pos]
                    event_drone[n_events] = d
                    event_code[n_events] = plan_event[d, pos]
                    event_arg[n_events] = plan_arg[d, pos]
                    n_events += 1
            plan_pos[d] = pos
            before = battery[d]
            if length == 0:
                state[d] = rest_state[d]
                continue
            if pos + 1 < length:
                t0 = plan_t[d, pos]
                t1 = plan_t[d, pos + 1]
                f = 0.0 if t1 <= t0 else (t - t0) / (t1 - t0)
                for axis in range(3):
                    position[d, axis] = plan_xyz[d, pos, axis] + f * (
                        plan_xyz[d, pos + 1, axis] - plan_xyz[d, pos, axis]
                    )
                battery[d] = plan_wh[d, pos] + f * (plan_wh[d, pos + 1] - plan_wh[d, pos])
                state[d] = plan_state[d, pos]
            else:
                for axis in range(3):
                    position[d, axis] = plan_xyz[d, pos, axis]
                battery[d] = plan_wh[d, pos]
                state[d] = rest_state[d]
            if battery[d] < 0.0 and before >= 0.0:
                depleted += 1
            # En route: flying horizontally at or above the lowest layer. Vertical climbs
            # and descents over depots and drop-offs are take-off and landing operations,
            # not counted (as in U-space studies, where vertiports manage them).
            if (
                pos + 1 < length
                and position[d, 2] >= cruise_floor_m
                and (
                    plan_xyz[d, pos + 1, 0] != plan_xyz[d, pos, 0]
                    or plan_xyz[d, pos + 1, 1] != plan_xyz[d, pos, 1]
                )
            ):
                cruising[m] = d
                m += 1
        # Losses of separation among cruising drones, via a spatial hash on sep_h cells.
        k = _conflicts(position, cruising, m, sep_h, sep_v, current)
        pair_seconds += k * step_dt
        new_losses += _count_new(current, k, conflicts_prev, n_conflicts_prev)
        for index in range(k):
            conflicts_prev[index] = current[index]
        n_conflicts_prev = k
    return n_traj, n_events, new_losses, pair_seconds, n_conflicts_prev, depleted


@kernel
def _conflicts(position, members, m, sep_h, sep_v, out):
    """Sorted pair keys ``i * 2**32 + j`` (i < j) of members in conflict; returns the count.

    Expected linear time: members are counting-sorted into a hash table of horizontal
    cells of side ``sep_h``; each member looks only at the 3 x 3 cells around its own.
    """
    if m < 2:
        return 0
    size = 1
    while size < 2 * m:
        size *= 2
    mask = size - 1
    cell_x = np.empty(m, np.int64)
    cell_y = np.empty(m, np.int64)
    bucket = np.empty(m, np.int64)
    counts = np.zeros(size + 1, np.int64)
    for a in range(m):
        d = members[a]
        cell_x[a] = int(math.floor(position[d, 0] / sep_h))
        cell_y[a] = int(math.floor(position[d, 1] / sep_h))
        bucket[a] = _cell_hash(cell_x[a], cell_y[a]) & mask
        counts[bucket[a] + 1] += 1
    for b in range(size):
        counts[b + 1] += counts[b]
    slots = np.empty(m, np.int64)
    fill = counts[:size].copy()
    for a in range(m):
        slots[fill[bucket[a]]] = a
        fill[bucket[a]] += 1
    found = 0
    capacity = out.shape[0]
    h2 = sep_h * sep_h
    for a in range(m):
        d = members[a]
        for ox in range(-1, 2):
            for oy in range(-1, 2):
                cx = cell_x[a] + ox
                cy = cell_y[a] + oy
                b = _cell_hash(cx, cy) & mask
                for slot in range(counts[b], counts[b + 1]):
                    other = slots[slot]
                    e = members[other]
                    if e <= d or cell_x[other] != cx or cell_y[other] != cy:
                        continue
                    dx = position[d, 0] - position[e, 0]
                    dy = position[d, 1] - position[e, 1]
                    if dx * dx + dy * dy < h2 and abs(position[d, 2] - position[e, 2]) < sep_v:
                        if found < capacity:
                            out[found] = (np.int64(d) << 32) | np.int64(e)
                        found += 1
    found = min(found, capacity)
    # Insertion sort: few pairs are ever in conflict at once, and numba's sorts cost
    # seconds of compilation.
    for a in range(1, found):
        key = out[a]
        b = a - 1
        while b >= 0 and out[b] > key:
            out[b + 1] = out[b]
            b -= 1
        out[b + 1] = key
    return found


@kernel
def _cell_hash(cx, cy):
    return (cx * 73856093) ^ (cy * 19349663)


@kernel
def _count_new(current, k, previous, n_previous):
    """How many of the sorted ``current[:k]`` are not in the sorted ``previous[:n_previous]``."""
    new = 0
    j = 0
    for i in range(k):
        while j < n_previous and previous[j] < current[i]:
            j += 1
        if j >= n_previous or previous[j] != current[i]:
            new += 1
    return new


@kernel
def brute_force_conflicts(position, members, sep_h, sep_v):
    """All-pairs reference for `_conflicts` (tests only): the number of pairs in conflict."""
    count = 0
    h2 = sep_h * sep_h
    for a in range(members.shape[0]):
        for b in range(a + 1, members.shape[0]):
            d = members[a]
            e = members[b]
            dx = position[d, 0] - position[e, 0]
            dy = position[d, 1] - position[e, 1]
            if dx * dx + dy * dy < h2 and abs(position[d, 2] - position[e, 2]) < sep_v:
                count += 1
    return count


@kernel
def conflicts_now(position, members, sep_h, sep_v):
    """The hash-based count for the given members (the kernel `advance` uses), for tests."""
    out = np.empty(max(4 * members.shape[0], 16), np.int64)
    return _conflicts(position, members, members.shape[0], sep_h, sep_v, out)
