"""Numba kernels of the simulation engine: timing flight plans, advancing the fleet, and
measuring losses of separation (every airborne pair, every phase, continuously between
samples, candidates from a spatial hash of swept boxes). Arrays and scalars only.

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
from dronesim.planners.wind import wind_at

SEG_MOVE = 0  # fly to the next waypoint (vertical, horizontal or both)
SEG_HOVER = 1  # hold position in the air for ``hold_s`` (hand-over at the drop-off)
SEG_GROUND = 2  # wait on the ground for ``hold_s`` (loading at a pickup)

# Losses of separation: encounter records. An encounter is a pair of drones continuously
# in loss; its float row holds ENC_* columns, its integer row (drone a, drone b, phase).
ENC_START, ENC_END, ENC_MIN_H, ENC_MIN_V, ENC_NORM, ENC_X, ENC_Y, ENC_Z = range(8)
ENC_FLOATS = 8
ENC_INTS = 3  # drone a, drone b (a < b), phase
PHASE_CRUISE = 0  # both drones moving horizontally when the loss began
PHASE_VERTICAL = 1  # both in a column (climbing, descending or hovering) when it began
PHASE_MIXED = 2  # one of each
# Two loss intervals closer than this in time are one encounter (the loss condition is
# open, so an encounter split only by rounding at a waypoint or step boundary stays one).
CONTINUITY_S = 1e-7


@kernel
def time_path(params, wind_table, wind_meta, clock, xyz, kind, hold_s, payload, start_t,
              start_wh, times, energy):  # fmt: skip
    """Fill ``times`` and ``energy`` (battery Wh) at every waypoint of a plan.

    Segment ``i`` goes from waypoint ``i`` to ``i + 1``: ``kind[i]`` is `SEG_MOVE`,
    `SEG_HOVER` or `SEG_GROUND`, flown with ``payload[i]`` kg. Moves are vertical at the
    model's climb or descent rate, horizontal as `cruise_leg`, or both in sequence.
    The wind of a horizontal move is the field's (``wind_table``, ``wind_meta``:
    `planners.wind.wind_at`) at the segment's start time and at its midpoint and mean
    altitude; the start time is ``clock[i]`` when ``clock`` has one time per waypoint
    (plans whose times are set elsewhere), else the time computed here. Returns False
    if a leg cannot be flown (wind too strong).
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
                t_wind = clock[i] if clock.shape[0] == n else times[i]
                wind_x, wind_y = wind_at(
                    wind_table,
                    wind_meta,
                    t_wind,
                    0.5 * (xyz[i, 0] + xyz[i + 1, 0]),
                    0.5 * (xyz[i, 1] + xyz[i + 1, 1]),
                    0.5 * (xyz[i, 2] + xyz[i + 1, 2]),
                )
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
    open_f,
    open_i,
    n_open,
    phase_counts,
):
    """Advance every drone from ``t_from`` to ``t_to`` in steps of ``dt`` seconds.

    Drones pass the waypoints whose time has come: each one is appended to the
    trajectory buffers (``traj_*``) and its event, if any, to the event buffers, at the
    waypoint's exact time. Positions and batteries are interpolated at each step.

    Losses of separation are measured over every step, continuously: among all airborne
    drones (z > 0; a drone on the ground is not airborne), in every phase, a pair is in
    loss while closer than ``sep_h`` horizontally and ``sep_v`` vertically, evaluated
    exactly on the piecewise-linear motion between waypoints (`_pair_losses`), so a
    head-on pass between two samples is caught. Candidate pairs come from a spatial hash
    of each drone's swept bounding box over the step (`candidate_pairs`, expected linear
    time). An encounter (a pair continuously in loss) is one loss: it opens in the table
    ``open_f[:n_open]`` / ``open_i[:n_open]`` (sorted by pair, carried between calls),
    is extended while the loss lasts and is closed into the returned buffers when a step
    ends without it. ``phase_counts[phase]`` counts new encounters by phase (`PHASE_*`:
    the phase of both drones' segments when the loss began).

    Returns ``(n_traj, n_events, new_losses, pair_seconds, depleted, open_f, open_i,
    n_open, closed_f, closed_i, n_closed)``: ``depleted`` counts drones whose battery went
    below zero, ``pair_seconds`` the seconds in loss summed over pairs; the open table
    (reallocated when it grows) and the encounters closed during the call (rows of
    ``ENC_*`` floats and (a, b, phase) integers).
    """
    n = plan_len.shape[0]
    n_traj = 0
    n_events = 0
    new_losses = 0
    pair_seconds = 0.0
    depleted = 0
    steps = max(1, int(math.ceil((t_to - t_from) / dt - 1e-9)))
    closed_f = np.empty((16, ENC_FLOATS))
    closed_i = np.empty((16, ENC_INTS), np.int64)
    n_closed = 0
    start_pos = np.empty(n, np.int64)
    members = np.empty(n, np.int64)
    box = np.empty((n, 6))
    pairs = np.empty(max(16, 2 * n), np.int64)
    pieces = np.empty((8, 9))
    for step in range(steps):
        ts = t_from + step * dt
        t = min(t_from + (step + 1) * dt, t_to)
        m = 0
        most_passed = 0
        for d in range(n):
            pos = plan_pos[d]
            start_pos[d] = pos
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
            most_passed = max(most_passed, pos - start_pos[d])
            before = battery[d]
            if length == 0:
                state[d] = rest_state[d]
            elif pos + 1 < length:
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
            if (length == 0 or pos + 1 >= length) and pos == start_pos[d]:
                # At rest all step (most of a fleet, most of the time): a point.
                if position[d, 2] > 0.0:
                    for axis in range(3):
                        box[d, 2 * axis] = box[d, 2 * axis + 1] = position[d, axis]
                    members[m] = d
                    m += 1
                continue
            # The box swept over the step: the start point, the waypoints passed, the end.
            x, y, z = _at(plan_t, plan_xyz, plan_len, position, d, start_pos[d], ts)
            box[d, 0] = box[d, 1] = x
            box[d, 2] = box[d, 3] = y
            box[d, 4] = box[d, 5] = z
            for k in range(start_pos[d] + 1, pos + 1):
                _grow(box, d, plan_xyz[d, k, 0], plan_xyz[d, k, 1], plan_xyz[d, k, 2])
            _grow(box, d, position[d, 0], position[d, 1], position[d, 2])
            if box[d, 5] > 0.0:  # airborne at some moment of the step
                members[m] = d
                m += 1
        if 2 * most_passed + 2 > pieces.shape[0]:
            pieces = np.empty((2 * most_passed + 2, 9))
        k, pairs = candidate_pairs(box, members, m, sep_h, sep_v, pairs)
        for index in range(k):
            d = pairs[index] >> 32
            e = pairs[index] & 0xFFFFFFFF
            count = _pair_losses(
                d,
                e,
                ts,
                t,
                start_pos,
                plan_pos,
                plan_t,
                plan_xyz,
                plan_len,
                position,
                sep_h,
                sep_v,
                pieces,
            )
            for p in range(count):
                lo = pieces[p, 0]
                hi = pieces[p, 1]
                pair_seconds += hi - lo
                slot = _find(open_i, n_open, d, e)
                if slot >= 0 and open_f[slot, ENC_END] < lo - CONTINUITY_S:
                    # The pair left the loss and came back within this step: two encounters.
                    closed_f, closed_i = _reserve(closed_f, closed_i, n_closed + 1)
                    closed_f[n_closed] = open_f[slot]
                    closed_i[n_closed] = open_i[slot]
                    n_closed += 1
                    open_f[slot, ENC_START] = lo
                    open_f[slot, ENC_END] = hi
                    open_f[slot, ENC_MIN_H] = math.inf
                    open_f[slot, ENC_MIN_V] = math.inf
                    open_f[slot, ENC_NORM] = math.inf
                    open_i[slot, 2] = int(pieces[p, 8])
                    new_losses += 1
                    phase_counts[int(pieces[p, 8])] += 1
                elif slot < 0:
                    open_f, open_i = _reserve(open_f, open_i, n_open + 1)
                    slot = _insert(open_i, open_f, n_open, d, e)
                    n_open += 1
                    open_f[slot, ENC_START] = lo
                    open_f[slot, ENC_END] = hi
                    open_f[slot, ENC_MIN_H] = math.inf
                    open_f[slot, ENC_MIN_V] = math.inf
                    open_f[slot, ENC_NORM] = math.inf
                    open_i[slot, 0] = d
                    open_i[slot, 1] = e
                    open_i[slot, 2] = int(pieces[p, 8])
                    new_losses += 1
                    phase_counts[int(pieces[p, 8])] += 1
                open_f[slot, ENC_END] = max(open_f[slot, ENC_END], hi)
                open_f[slot, ENC_MIN_H] = min(open_f[slot, ENC_MIN_H], pieces[p, 2])
                open_f[slot, ENC_MIN_V] = min(open_f[slot, ENC_MIN_V], pieces[p, 3])
                if pieces[p, 4] < open_f[slot, ENC_NORM]:
                    open_f[slot, ENC_NORM] = pieces[p, 4]
                    open_f[slot, ENC_X] = pieces[p, 5]
                    open_f[slot, ENC_Y] = pieces[p, 6]
                    open_f[slot, ENC_Z] = pieces[p, 7]
        # Encounters not in loss at the end of the step are over.
        kept = 0
        for slot in range(n_open):
            if open_f[slot, ENC_END] < t - CONTINUITY_S:
                closed_f, closed_i = _reserve(closed_f, closed_i, n_closed + 1)
                closed_f[n_closed] = open_f[slot]
                closed_i[n_closed] = open_i[slot]
                n_closed += 1
            else:
                open_f[kept] = open_f[slot]
                open_i[kept] = open_i[slot]
                kept += 1
        n_open = kept
    return (
        n_traj,
        n_events,
        new_losses,
        pair_seconds,
        depleted,
        open_f,
        open_i,
        n_open,
        closed_f,
        closed_i,
        n_closed,
    )


@kernel
def _at(plan_t, plan_xyz, plan_len, position, d, k, tau):
    """Drone ``d``'s position at ``tau`` on its plan segment ``k`` (metres)."""
    if plan_len[d] == 0:
        return position[d, 0], position[d, 1], position[d, 2]
    if k + 1 < plan_len[d]:
        t0 = plan_t[d, k]
        t1 = plan_t[d, k + 1]
        f = 0.0 if t1 <= t0 else min(max((tau - t0) / (t1 - t0), 0.0), 1.0)
        return (
            plan_xyz[d, k, 0] + f * (plan_xyz[d, k + 1, 0] - plan_xyz[d, k, 0]),
            plan_xyz[d, k, 1] + f * (plan_xyz[d, k + 1, 1] - plan_xyz[d, k, 1]),
            plan_xyz[d, k, 2] + f * (plan_xyz[d, k + 1, 2] - plan_xyz[d, k, 2]),
        )
    return plan_xyz[d, k, 0], plan_xyz[d, k, 1], plan_xyz[d, k, 2]


@kernel
def _grow(box, d, x, y, z):
    box[d, 0] = min(box[d, 0], x)
    box[d, 1] = max(box[d, 1], x)
    box[d, 2] = min(box[d, 2], y)
    box[d, 3] = max(box[d, 3], y)
    box[d, 4] = min(box[d, 4], z)
    box[d, 5] = max(box[d, 5], z)


@kernel
def _horizontal(plan_xyz, plan_len, d, k):
    """Whether drone ``d`` moves horizontally on its segment ``k``: x or y changes along
    it (a diagonal climb or descent counts as horizontal); otherwise it is in a column,
    climbing, descending, hovering or at rest. This decides the phase of a loss."""
    if plan_len[d] == 0 or k + 1 >= plan_len[d]:
        return False
    return plan_xyz[d, k + 1, 0] != plan_xyz[d, k, 0] or plan_xyz[d, k + 1, 1] != plan_xyz[d, k, 1]


@kernel
def _pair_losses(
    d, e, ts, te, start_pos, end_pos, plan_t, plan_xyz, plan_len, position, sep_h, sep_v, out
):
    """The loss intervals of drones ``d`` and ``e`` within ``[ts, te]``; returns the count.

    The step is cut at every waypoint either drone passes, so both move linearly on each
    piece; on each piece the loss set (both airborne, horizontal distance < ``sep_h``,
    vertical distance < ``sep_v``) is an intersection of intervals (`loss_interval`).
    Each row of ``out``: start, end (s), the least horizontal and vertical distances
    within it (m), the least normalised distance ``(dxy/sep_h)**2 + (dz/sep_v)**2`` and
    the midpoint of the two drones at that moment (x, y, z, m), and the phase code.
    """
    count = 0
    ka = start_pos[d]
    kb = start_pos[e]
    tau = ts
    while tau < te:
        na = te
        if ka < end_pos[d]:
            na = min(te, plan_t[d, ka + 1])
        nb = te
        if kb < end_pos[e]:
            nb = min(te, plan_t[e, kb + 1])
        tn = min(na, nb)
        if tn > tau:
            ax0, ay0, az0 = _at(plan_t, plan_xyz, plan_len, position, d, ka, tau)
            ax1, ay1, az1 = _at(plan_t, plan_xyz, plan_len, position, d, ka, tn)
            bx0, by0, bz0 = _at(plan_t, plan_xyz, plan_len, position, e, kb, tau)
            bx1, by1, bz1 = _at(plan_t, plan_xyz, plan_len, position, e, kb, tn)
            span = tn - tau
            found, lo, hi = loss_interval(
                ax0, ay0, az0, ax1, ay1, az1, bx0, by0, bz0, bx1, by1, bz1, span, sep_h, sep_v
            )
            # A pass that only grazes the minima gives an interval of rounding-error length
            # (closest distance equal to the minimum, not below it): no time in loss, so no
            # loss. It shows as a start equal to its end in simulation time.
            if found and not tau + lo < tau + hi:
                found = False
            if found:
                rx = ax0 - bx0
                ry = ay0 - by0
                rz = az0 - bz0
                ux = ((ax1 - bx1) - rx) / span
                uy = ((ay1 - by1) - ry) / span
                uz = ((az1 - bz1) - rz) / span
                # Least horizontal distance on [lo, hi].
                a2 = ux * ux + uy * uy
                s = lo
                if a2 > 0.0:
                    s = min(max(-(rx * ux + ry * uy) / a2, lo), hi)
                out[count, 2] = math.hypot(rx + ux * s, ry + uy * s)
                # Least vertical distance: zero if dz changes sign on [lo, hi].
                z_lo = rz + uz * lo
                z_hi = rz + uz * hi
                out[count, 3] = 0.0 if z_lo * z_hi <= 0.0 else min(abs(z_lo), abs(z_hi))
                # The closest approach in the minima's own metric, and where it happens.
                h2 = sep_h * sep_h
                v2 = sep_v * sep_v
                qa = a2 / h2 + uz * uz / v2
                s = lo
                if qa > 0.0:
                    s = min(max(-((rx * ux + ry * uy) / h2 + rz * uz / v2) / qa, lo), hi)
                gx = rx + ux * s
                gy = ry + uy * s
                gz = rz + uz * s
                out[count, 4] = (gx * gx + gy * gy) / h2 + gz * gz / v2
                f = s / span
                out[count, 5] = 0.5 * (ax0 + f * (ax1 - ax0) + bx0 + f * (bx1 - bx0))
                out[count, 6] = 0.5 * (ay0 + f * (ay1 - ay0) + by0 + f * (by1 - by0))
                out[count, 7] = 0.5 * (az0 + f * (az1 - az0) + bz0 + f * (bz1 - bz0))
                out[count, 0] = tau + lo
                out[count, 1] = tau + hi
                flat_d = _horizontal(plan_xyz, plan_len, d, ka)
                flat_e = _horizontal(plan_xyz, plan_len, e, kb)
                if flat_d and flat_e:
                    out[count, 8] = PHASE_CRUISE
                elif flat_d or flat_e:
                    out[count, 8] = PHASE_MIXED
                else:
                    out[count, 8] = PHASE_VERTICAL
                # A loss running on across a cut is one interval.
                if count > 0 and out[count - 1, 1] >= out[count, 0] - CONTINUITY_S:
                    out[count - 1, 1] = out[count, 1]
                    out[count - 1, 2] = min(out[count - 1, 2], out[count, 2])
                    out[count - 1, 3] = min(out[count - 1, 3], out[count, 3])
                    if out[count, 4] < out[count - 1, 4]:
                        for c in range(4, 8):
                            out[count - 1, c] = out[count, c]
                else:
                    count += 1
        while ka < end_pos[d] and plan_t[d, ka + 1] <= tn:
            ka += 1
        while kb < end_pos[e] and plan_t[e, kb + 1] <= tn:
            kb += 1
        tau = tn
    return count


@kernel
def loss_interval(ax0, ay0, az0, ax1, ay1, az1, bx0, by0, bz0, bx1, by1, bz1, span, sep_h, sep_v):
    """When two drones moving linearly over ``[0, span]`` seconds (from ``a0`` to ``a1``
    and ``b0`` to ``b1``, metres) are in loss of separation.

    The loss set is open: both airborne (z > 0, a linear condition each), ``|dz| <
    sep_v`` (linear) and ``dx**2 + dy**2 < sep_h**2`` (quadratic), each an interval of
    time; returns ``(found, lo, hi)`` with ``lo < hi`` their intersection within
    ``[0, span]`` (seconds from the piece's start) when it is not empty.
    """
    lo = 0.0
    hi = span
    # Airborne: z(s) = z0 + (z1 - z0) s / span > 0, for each drone.
    for z0, z1 in ((az0, az1), (bz0, bz1)):
        w = (z1 - z0) / span
        if w == 0.0:
            if z0 <= 0.0:
                return False, 0.0, 0.0
        elif w > 0.0:
            lo = max(lo, -z0 / w)
        else:
            hi = min(hi, -z0 / w)
    # Vertical: |rz + uz s| < sep_v.
    rz = az0 - bz0
    uz = ((az1 - bz1) - rz) / span
    if uz == 0.0:
        if not abs(rz) < sep_v:
            return False, 0.0, 0.0
    else:
        s1 = (-sep_v - rz) / uz
        s2 = (sep_v - rz) / uz
        lo = max(lo, min(s1, s2))
        hi = min(hi, max(s1, s2))
    if not lo < hi:
        return False, 0.0, 0.0
    # Horizontal: |r + u s|^2 - sep_h^2 = qa s^2 + qb s + qc < 0.
    rx = ax0 - bx0
    ry = ay0 - by0
    ux = ((ax1 - bx1) - rx) / span
    uy = ((ay1 - by1) - ry) / span
    qa = ux * ux + uy * uy
    qb = 2.0 * (rx * ux + ry * uy)
    qc = rx * rx + ry * ry - sep_h * sep_h
    if qa == 0.0:
        if not qc < 0.0:
            return False, 0.0, 0.0
    else:
        disc = qb * qb - 4.0 * qa * qc
        if not disc > 0.0:
            return False, 0.0, 0.0
        root = math.sqrt(disc)
        # The numerically stable pair of roots.
        q = -0.5 * (qb + root) if qb >= 0.0 else -0.5 * (qb - root)
        s1 = q / qa
        s2 = qc / q if q != 0.0 else s1
        lo = max(lo, min(s1, s2))
        hi = min(hi, max(s1, s2))
    if not lo < hi:
        return False, 0.0, 0.0
    return True, lo, hi


@kernel
def _find(open_i, n_open, d, e):
    """Row of the open encounter of pair (d, e) in the table sorted by pair, or -1."""
    lo = 0
    hi = n_open
    while lo < hi:
        mid = (lo + hi) // 2
        if open_i[mid, 0] < d or (open_i[mid, 0] == d and open_i[mid, 1] < e):
            lo = mid + 1
        else:
            hi = mid
    if lo < n_open and open_i[lo, 0] == d and open_i[lo, 1] == e:
        return lo
    return -1


@kernel
def _insert(open_i, open_f, n_open, d, e):
    """Make room for pair (d, e) at its sorted row (capacity already reserved)."""
    slot = n_open
    while slot > 0 and (
        open_i[slot - 1, 0] > d or (open_i[slot - 1, 0] == d and open_i[slot - 1, 1] > e)
    ):
        open_i[slot] = open_i[slot - 1]
        open_f[slot] = open_f[slot - 1]
        slot -= 1
    return slot


@kernel
def _reserve(table_f, table_i, rows):
    """The tables, reallocated at twice the size when ``rows`` do not fit."""
    if rows <= table_f.shape[0]:
        return table_f, table_i
    size = max(2 * table_f.shape[0], rows)
    grown_f = np.empty((size, table_f.shape[1]))
    grown_i = np.empty((size, table_i.shape[1]), np.int64)
    grown_f[: table_f.shape[0]] = table_f
    grown_i[: table_i.shape[0]] = table_i
    return grown_f, grown_i


@kernel
def candidate_pairs(box, members, m, sep_h, sep_v, out):
    """Pair keys ``d * 2**32 + e`` (d < e) of members whose swept boxes come within the
    minima of each other; returns ``(count, out)`` (``out`` regrown when full).

    Expected linear time: members are counting-sorted into a hash table of horizontal
    cells by their box centre; the cell side is ``sep_h`` plus the widest box of the
    step, so two boxes within ``sep_h`` of each other have centres in neighbouring cells
    and each member looks only at the 3 x 3 cells around its own.
    """
    if m < 2:
        return 0, out
    widest = 0.0
    for a in range(m):
        d = members[a]
        widest = max(widest, box[d, 1] - box[d, 0], box[d, 3] - box[d, 2])
    cell = sep_h + widest
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
        cell_x[a] = int(math.floor(0.5 * (box[d, 0] + box[d, 1]) / cell))
        cell_y[a] = int(math.floor(0.5 * (box[d, 2] + box[d, 3]) / cell))
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
                    if (
                        box[e, 0] - box[d, 1] >= sep_h
                        or box[d, 0] - box[e, 1] >= sep_h
                        or box[e, 2] - box[d, 3] >= sep_h
                        or box[d, 2] - box[e, 3] >= sep_h
                        or box[e, 4] - box[d, 5] >= sep_v
                        or box[d, 4] - box[e, 5] >= sep_v
                    ):
                        continue
                    if found == out.shape[0]:
                        grown = np.empty(2 * out.shape[0], np.int64)
                        grown[:found] = out[:found]
                        out = grown
                    out[found] = (np.int64(d) << 32) | np.int64(e)
                    found += 1
    # Pair order decides the order of the encounter table's rows only, not results; a
    # fixed order keeps runs identical.
    return found, out


@kernel
def _cell_hash(cx, cy):
    return (cx * 73856093) ^ (cy * 19349663)
