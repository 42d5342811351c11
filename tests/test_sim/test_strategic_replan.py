"""`StrategicPlanner` replans in flight (`replan_airborne`, `reserve_zone`, `hold`) on
small random airspaces, checked with the references of `test_strategic` (closest approach
of piecewise-linear plans, shapely for zones and blocked cells): trips committed blind to
an unannounced zone are cut at a cruise cell after it switches on and replanned; the
final plans (the kept part, then the new one) keep separation with every other plan and
stay out of the zone; the same replans planned without the others' reservations lose
separation, so the check can fail."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from dronesim.maps.features import NoFlyZone
from dronesim.sim.strategic import Stop, StrategicStatus
from test_strategic import (
    CELL_M,
    blocked_violations,
    losses,
    plan_all,
    planner,
    random_airspace,
    random_trips,
    zone_violations,
)

T_ON_S = 40.0


def _unannounced(seed):
    zone = NoFlyZone(
        "event",
        shapely.box(55.0, 40.0, 95.0, 120.0),
        floor_m=0.0,
        buffer_m=3.0,
        active_from_s=T_ON_S,
        active_until_s=160.0,
        unannounced=True,
    )
    return random_airspace(seed).replace(zones=(zone,))


def _cut(sp, waypoints):
    """The first waypoint at or after the switch-on at a cruise cell's centre."""
    for k, row in enumerate(waypoints):
        if row[0] >= T_ON_S:
            cell = sp.cruise_cell(*row[1:])
            if cell >= 0:
                return k, cell
    return None


def _replan_all(sp, trips, plans, zone, clean=None):
    """Replan every plan that meets the zone after it switched on; the final waypoints of
    every plan, and how many were replanned (``clean`` gets those replanned without
    lifting the zone)."""
    final, replanned = {}, 0
    clean = set() if clean is None else clean
    for p in plans:
        wp = p.waypoints
        cut = _cut(sp, wp)
        if not zone_violations(zone, wp) or cut is None or zone_violations(zone, wp[: cut[0] + 1]):
            final[p.trip_id] = wp  # clear of it, or inside it by then (not this test's case)
            continue
        k, cell = cut
        _, _, stops, end, _ = trips[p.trip_id]
        rest = stops if wp[k, 0] < _service_end(wp, stops) else []
        # A cut cell in the zone's raster (not in the zone itself): the way out of the
        # raster is planned with the zone lifted for that search (as the policy does).
        lifted = (0,) if sp.in_zone(cell, 0) else ()
        new = sp.replan_airborne(p.trip_id, cell, float(wp[k, 0]), rest, end, leaving=lifted)
        if new.status != StrategicStatus.FOUND:
            final[p.trip_id] = wp  # still committed as it was (the policy would hold)
            continue
        assert np.array_equal(new.waypoints[0], wp[k])
        final[p.trip_id] = np.concatenate([wp[: k + 1], new.waypoints[1:]])
        replanned += 1
        if not lifted:
            clean.add(p.trip_id)
    return final, replanned


def _service_end(waypoints, stops):
    """When the drop-off's hover ends (the stop is done after that)."""
    stop = stops[0]
    at = (waypoints[:, 1] == stop.x_m) & (waypoints[:, 2] == stop.y_m) & (waypoints[:, 3] == 10.0)
    return float(waypoints[at, 0].max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replans_in_flight_keep_separation_and_stay_out_of_a_zone_that_switched_on(seed):
    airspace = _unannounced(seed)
    zone = airspace.zones[0]
    trips = random_trips(airspace, seed, 14)
    sp = planner(airspace)
    plans = plan_all(sp, trips)  # blind to the zone: it is not reserved ahead
    assert all(p.status == StrategicStatus.FOUND for p in plans)
    assert any(zone_violations(zone, p.waypoints) for p in plans)
    sp.reserve_zone(0, T_ON_S)
    clean = set()
    final, replanned = _replan_all(sp, trips, plans, zone, clean)
    assert clean
    for a, b in itertools.combinations(sorted(final), 2):
        assert losses(final[a], final[b]) == [], (a, b)
    for trip_id, wp in final.items():
        assert blocked_violations(airspace, wp) == [], trip_id
        if not np.array_equal(wp, plans[trip_id].waypoints):
            assert np.allclose(wp[-1, 1:], [*trips[trip_id][3], 0.0])  # landed on its pad
    for trip_id in clean:
        assert zone_violations(zone, final[trip_id]) == [], trip_id
    # What was committed before each cut is still reserved (the kept part).
    for p in plans:
        now = sp.committed[p.trip_id]
        for cell, t0 in zip(p.cells.tolist(), p.t_from_s.tolist()):
            if t0 < T_ON_S:
                assert np.any((now.cells == cell) & (now.t_from_s == t0))


def test_the_replans_check_can_fail():
    """The same replans, each planned with nothing but the zone and its own plan in the
    table (blind to the others), lose separation."""
    for seed in (0, 1, 2):
        airspace = _unannounced(seed)
        zone = airspace.zones[0]
        trips = random_trips(airspace, seed, 14)
        plans = plan_all(planner(airspace), trips)
        final = {}
        for p in plans:
            alone = planner(airspace)
            alone.reserve_zone(0, T_ON_S)
            alone.commit(p)
            final.update(_replan_all(alone, trips, [p], zone)[0])
        if any(losses(final[a], final[b]) for a, b in itertools.combinations(sorted(final), 2)):
            return
    pytest.fail("replans blind to the other plans never lost separation")


def test_a_hold_is_reserved_and_says_whether_it_is_clear():
    airspace = random_airspace(4, zone=False)
    trips = random_trips(airspace, 4, 6)
    sp = planner(airspace)
    plans = plan_all(sp, trips)
    p = plans[0]
    k, cell = next(
        (k, sp.cruise_cell(*row[1:]))
        for k, row in enumerate(p.waypoints)
        if sp.cruise_cell(*row[1:]) >= 0
    )
    t = float(p.waypoints[k, 0])
    held, clear = sp.hold(p.trip_id, cell, t, t + 500.0)
    assert held.committed and np.array_equal(held.waypoints[0], p.waypoints[k])
    assert sp.committed[p.trip_id] is not None
    assert any(r[2] == p.trip_id for r in sp.table.reservations(cell) if r[0] <= t + 1 < r[1])
    # Clear: no earlier plan comes near the hover (the reference check agrees).
    near = any(losses(held.waypoints, q.waypoints) for q in plans[1:])
    assert not (clear and near)


def test_a_trip_lands_on_its_pad_when_its_last_drop_off_shares_the_pad_column():
    """A drop-off and the landing pad in one grid column: the plan still lands on the
    pad (it used to land at the drop-off's point)."""
    airspace = random_airspace(3, zone=False)
    sp = planner(airspace)
    free = np.argwhere(~airspace.blocked.any(axis=0))
    (ja, ia), (jb, ib) = free[0], free[len(free) // 2]
    start = ((ia + 0.5) * CELL_M, (ja + 0.5) * CELL_M)
    drop = ((ib + 0.2) * CELL_M, (jb + 0.3) * CELL_M)
    end = ((ib + 0.8) * CELL_M, (jb + 0.7) * CELL_M)
    plan = sp.plan_trip(0, start, [Stop(*drop, hold_s=15.0)], end, ready_s=0.0)
    assert plan.status == StrategicStatus.FOUND, plan.reason
    assert np.allclose(plan.waypoints[-1, 1:], [*end, 0.0])
    hover = (plan.waypoints[:, 1] == drop[0]) & (plan.waypoints[:, 3] == 10.0)
    assert np.ptp(plan.waypoints[hover, 0]) >= 15.0 - 1e-9
