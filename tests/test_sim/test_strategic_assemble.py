"""`StrategicPlanner._assemble` (a trip's waypoints and occupancy from its flights'
visits, computed with numpy per flight) against a slow reference written here: a loop over
the visits one by one, positions from `Airspace.cell_centre` per cell, occupancy as the
module documents it. Every plan of a congested small scenario (pickup landings, drop-off
hovers, pad waits and hover waits, an airborne replan) must match it bit for bit."""

from __future__ import annotations

import copy

import numpy as np
from dronesim.sim.strategic import Stop, StrategicStatus
from test_strategic import planner, random_airspace, random_trips


def reference_assemble(sp, flights, points):
    """Waypoints, occupancy and wait sums of a plan, one visit at a time."""
    airspace = sp.airspace
    plane, nx = sp.plane, sp.shape[2]
    waypoints, cells, t_from, t_to = [], [], [], []
    hover_s = ground_s = 0.0
    for t_lift, t_ground, visits, t_land in flights:
        x0, y0 = visits[0][3]
        if waypoints:
            ground_s += t_ground - waypoints[-1][0]  # on the ground since the last landing
        waypoints.append((t_ground, x0, y0, 0.0))
        if t_lift > t_ground:
            waypoints.append((t_lift, x0, y0, 0.0))
        ground_s += t_lift - t_ground
        for n, (cell, arrive, enter, xy) in enumerate(visits):
            layer, rest = divmod(cell, plane)
            j, i = divmod(rest, nx)
            if layer == 0:  # the low column: the stop's own point at the hand-over height
                pos = (float(xy[0]), float(xy[1]), sp.handover_height_m)
            else:
                pos = tuple(float(v) for v in airspace.cell_centre(layer - 1, j, i))
            last = n + 1 == len(visits)
            leave = t_land - sp.land_s if last else visits[n + 1][2]
            waypoints.append((arrive, *pos))
            if leave > arrive:
                waypoints.append((leave, *pos))
                hover_s += leave - arrive
            # Occupied from the start of the move in (the lift-off for the first) to the
            # end of the move out (the landing for the last).
            cells.append(cell)
            t_from.append(t_lift if n == 0 else enter)
            t_to.append(arrive + sp.land_s if last else visits[n + 1][1])
        x1, y1 = visits[-1][3]
        waypoints.append((t_land, x1, y1, 0.0))
    holds_hover = sum(p[2] for p in points[1:-1] if not p[3])
    holds_ground = sum(p[2] for p in points[1:-1] if p[3])
    return {
        "waypoints": np.array(waypoints, np.float64),
        "cells": np.array(cells, np.int64),
        "t_from_s": np.array(t_from, np.float64),
        "t_to_s": np.array(t_to, np.float64),
        "hover_s": hover_s,
        "hover_wait_s": max(0.0, hover_s - holds_hover),
        "ground_wait_s": max(0.0, ground_s - holds_ground),
        "depart_s": flights[0][0],
    }


def _spy(sp):
    """Record every `_assemble` call's input (copied) and its plan."""
    calls = []
    real = sp._assemble  # noqa: SLF001

    def spy(trip_id, ready_s, flights, points, expansions):
        saved = copy.deepcopy((flights, points))
        plan = real(trip_id, ready_s, flights, points, expansions)
        calls.append((*saved, plan))
        return plan

    sp._assemble = spy  # noqa: SLF001
    return calls


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_assembled_plans_match_a_per_visit_reference_bit_for_bit():
    airspace = random_airspace(5)
    base = random_trips(airspace, 5, 16)
    pickups = random_trips(airspace, 6, 16)
    # Every other trip lands for a pickup first; ready times squeezed so that trips wait
    # for each other on the pads and in the air.
    trips = [
        (n, start, ([Stop(*pickups[n][1], hold_s=20.0, land=True)] if n % 2 else []) + stops,
         end, ready / 6.0)
        for n, start, stops, end, ready in base
    ]  # fmt: skip
    sp = planner(airspace)
    calls = _spy(sp)
    plans = [
        sp.plan_trip(n, start, stops, end, ready_s=ready) for n, start, stops, end, ready in trips
    ]
    found = [p for p in plans if p.status == StrategicStatus.FOUND]
    assert len(found) >= 12, [p.reason for p in plans]
    # An airborne replan (its waypoints start at the cut) of a found trip, from a cruise
    # cell in the middle of its plan, straight to its end pad.
    trip = found[0]
    row = next(r for r in trip.waypoints[len(trip.waypoints) // 2 :] if sp.cruise_cell(*r[1:]) >= 0)
    replan = sp.replan_airborne(
        trip.trip_id, sp.cruise_cell(*row[1:]), float(row[0]), [], trips[trip.trip_id][3]
    )
    assert replan.status == StrategicStatus.FOUND, replan.reason
    assert len(calls) == len(found) + 1
    # The scenario covers what the assembly distinguishes.
    assembled = [plan for *_, plan in calls]
    assert any(len(flights) > 1 for flights, _, _ in calls)  # pickup landings
    assert any(p.ground_wait_s > 0.0 for p in assembled)
    assert any(p.hover_wait_s > 0.0 for p in assembled)
    for flights, points, plan in calls:
        ref = reference_assemble(sp, flights, points)
        for name in ("waypoints", "cells", "t_from_s", "t_to_s"):
            assert _same(getattr(plan, name), ref[name]), (plan.trip_id, name)
        for name in ("hover_s", "hover_wait_s", "ground_wait_s", "depart_s"):
            assert getattr(plan, name) == ref[name], (plan.trip_id, name)
        assert plan.arrival_s == ref["waypoints"][-1, 0]
    # The trips' plans are the assembled ones (the airborne replan's waypoints are its
    # assembly's from the cut on).
    for p, (_, _, plan) in zip(found, calls):
        assert _same(p.waypoints, plan.waypoints)
    cut = replan.waypoints[0, 0]
    tail = calls[-1][2].waypoints
    assert _same(replan.waypoints, tail[len(tail) - len(replan.waypoints) :])
    assert tail[len(tail) - len(replan.waypoints), 0] == cut


def test_column_of_matches_the_airspace_cell_of():
    """The planner's scalar column lookup gives `Airspace.cell_of`'s column (-1 outside)
    on random points, cell edges, the grid's borders and non-finite values."""
    airspace = random_airspace(5).replace(origin_m=(-7.5, 12.25))
    sp = planner(airspace)
    rng = np.random.default_rng(0)
    x0, y0 = airspace.origin_m
    size, n = airspace.cell_size_m, airspace.nx
    edges = x0 + size * np.arange(-1, n + 2)
    xs = np.concatenate([rng.uniform(x0 - 20, x0 + size * n + 20, 300), edges,
                         np.nextafter(edges, -np.inf), [np.nan, np.inf, -np.inf, 1e300]])  # fmt: skip
    ys = np.concatenate([rng.uniform(y0 - 20, y0 + size * n + 20, 300), y0 + size * np.arange(-1, n + 2),
                         np.nextafter(y0 + size * np.arange(-1, n + 2), np.inf), [0.0, 5.0, np.nan, 20.0]])  # fmt: skip
    for x in xs.tolist():
        for y in ys[::7].tolist() + [y0, y0 + size * n]:
            _, j, i = airspace.cell_of(x, y)
            want = (int(j), int(i)) if j >= 0 and i >= 0 else (-1, -1)
            assert sp.column_of(x, y) == want, (x, y)
