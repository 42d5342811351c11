"""A strategic run of the tiny scenario, checked independently of the engine: an all-pairs,
continuous closest-approach check of the recording (`test_separation.reference_losses`,
written with numpy roots, no spatial hash, no steps) finds no loss of separation in any
phase, while the same check finds losses in a run of ``none``; orders are conserved; every
delivery happens at the drop-off at the hand-over height; same seed, same report."""

from __future__ import annotations

import numpy as np
import pytest
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.sim.engine import Simulation
from dronesim.sim.recording import Recording, write_recording
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vocabulary import (
    ASSIGNED,
    CARRIED,
    DELIVERED,
    DROPOFF,
    FAILED,
    OPEN,
    PICKUP,
    REASON_NO_CONFLICT_FREE_SLOT,
    REASON_NO_DRONE_IN_TIME,
)
from test_separation import reference_losses
from tiny import TINY

DURATION_S = 1500.0


def _scenario(policy: str):
    return from_toml_text(TINY + f'\n[deconfliction]\npolicy = "{policy}"\n', "tiny.toml")


def _run(policy: str, tmp_path):
    scenario = _scenario(policy)
    simulation = Simulation(scenario, duration_s=DURATION_S)
    report = simulation.run()
    path = tmp_path / f"{policy}.npz"
    write_recording(simulation, path)
    return scenario, simulation, report, Recording.load(path)


@pytest.fixture(scope="module")
def strategic_run(tmp_path_factory):
    return _run("strategic", tmp_path_factory.mktemp("strategic"))


def test_strategic_run_keeps_separation_in_every_phase(strategic_run, tmp_path):
    scenario, simulation, report, recording = strategic_run
    sep = scenario.separation
    assert report.deconfliction == "strategic"
    assert report.orders_delivered >= 10
    found = reference_losses(recording, sep.horizontal_m, sep.vertical_m)
    assert found == []
    assert report.separation_losses == 0
    assert report.separation_losses_by_phase == {"cruise": 0, "vertical": 0, "mixed": 0}
    assert report.building_intrusions == 0 and report.nofly_violations == 0
    assert report.battery_depletions == 0
    # The same check finds losses in a run without deconfliction: it can fail.
    _, _, none_report, none_recording = _run("none", tmp_path)
    assert len(reference_losses(none_recording, sep.horizontal_m, sep.vertical_m)) > 0
    assert none_report.separation_losses > 0


def test_strategic_run_conserves_orders_and_delivers_at_the_drop_off(strategic_run):
    _, simulation, report, recording = strategic_run
    created = simulation.created_count()
    status = simulation.order_status[:created]
    assert report.orders_created == created
    assert np.sum(status == DELIVERED) == report.orders_delivered
    assert np.sum(status == FAILED) == report.orders_failed
    assert np.sum(np.isin(status, (OPEN, ASSIGNED, CARRIED))) == report.orders_pending
    assert report.orders_delivered + report.orders_failed + report.orders_pending == created
    # Each delivered order: one delivered event, at its drone's recorded position over the
    # drop-off at the hand-over height.
    traj_drone, traj_t, traj_xyz = recording.traj_drone, recording.traj_t, recording.traj_xyz
    delivered = np.flatnonzero(status == DELIVERED)
    for order in delivered:
        d = int(simulation.order_drone[order])
        t = float(simulation.order_delivered_s[order])
        mask = traj_drone == d
        where = [np.interp(t, traj_t[mask], traj_xyz[mask, axis]) for axis in range(3)]
        x, y = simulation.orders.dropoff_xy[order]
        assert where == pytest.approx([x, y, HANDOVER_HEIGHT_M], abs=1e-6)
    # Orders failed for want of a slot were refused by the policy first.
    for order in np.flatnonzero(status == FAILED):
        reason = simulation.reasons[simulation.order_reason[order]]
        if reason == REASON_NO_CONFLICT_FREE_SLOT:
            assert int(order) in simulation.slot_refused


def test_strategic_run_is_deterministic(strategic_run):
    _, _, report, _ = strategic_run
    again = Simulation(_scenario("strategic"), duration_s=DURATION_S).run()
    assert again.deterministic() == report.deterministic()


def test_refused_trips_are_not_started_and_their_orders_expire_with_their_reason(monkeypatch):
    from dronesim.sim.strategic_policy import StrategicRun

    asked = []

    def refuse(self, request, target):
        asked.append(request.drone)
        return self._refuse("NO_SLOT")

    monkeypatch.setattr(StrategicRun, "_plan", refuse)
    simulation = Simulation(_scenario("strategic"), duration_s=1800.0)
    report = simulation.run()
    assert asked and report.rejected_trips == len(asked)
    assert report.orders_delivered == 0 and report.distance_km == 0.0
    created = simulation.created_count()
    status = simulation.order_status[:created]
    assert np.all(np.isin(status, (OPEN, FAILED)))  # none assigned, none lost
    reasons = [simulation.reasons[r] for r in simulation.order_reason[:created][status == FAILED]]
    # Expired after refusals: their own reason, not the plain expiry (other reasons, such
    # as a drop-off inside the active zone, may occur too).
    assert reasons.count(REASON_NO_CONFLICT_FREE_SLOT) > 0
    assert REASON_NO_DRONE_IN_TIME not in reasons
    assert report.orders_failed + report.orders_pending == created


def test_a_replan_in_flight_is_planned_against_the_reservations_or_frees_them():
    simulation = Simulation(_scenario("strategic"), duration_s=DURATION_S)
    simulation.step_to(300.0)
    policy = simulation.deconfliction
    flying = [d for d in policy.trip_of if simulation.plan_len[d] > 0]
    cruising = [d for d in flying if simulation.position[d, 2] >= simulation.airspace.layers_m[0]]
    assert cruising
    d = cruising[0]
    trip = policy.trip_of[d]
    before = policy.strategic.committed[trip]
    # What a zone switching on does to a drone crossing it (the engine's own path): its
    # trip is planned again from a cut ahead, against the reservations, and stays
    # committed; what it flies before the cut is kept.
    simulation._replan(d, [])  # noqa: SLF001
    assert policy.trip_of[d] == trip and policy.replans_planned == 1
    after = policy.strategic.committed[trip]
    flown = before.t_from_s < simulation.t
    for cell, t0 in zip(before.cells[flown].tolist(), before.t_from_s[flown].tolist()):
        assert np.any((after.cells == cell) & (after.t_from_s == t0))
    assert simulation.plan_len[d] > 0
    # A drone with nothing to replan against the reservations (on the ground, taxiing
    # after its landing): its reservations are freed and the engine replans it the
    # normal way, as before.
    ground = [d for d in flying if simulation.position[d, 2] == 0.0]
    if ground:
        d = ground[0]
        trip = policy.trip_of[d]
        simulation._replan(d, [])  # noqa: SLF001
        assert d not in policy.trip_of and trip not in policy.strategic.committed


@pytest.mark.parametrize("status", ["LIMIT", "DEADLINE"])
def test_a_refused_trip_is_not_searched_again_before_its_backoff(monkeypatch, status):
    """Each trip refused at the search budget (a budget too small for any trip) or for
    want of a slot before its deadlines (every search answering so) is searched once and
    then refused without a search (``LIMIT_BACKOFF``, ``DEADLINE_BACKOFF``) until its
    backoff has passed; its orders keep waiting (conserved), and nothing flies."""
    from dronesim.sim import strategic_policy
    from dronesim.sim.strategic import StrategicPlanner, StrategicStatus

    backoff = {"LIMIT": "LIMIT_BACKOFF_S", "DEADLINE": "DEADLINE_BACKOFF_S"}[status]
    monkeypatch.setattr(strategic_policy, backoff, 150.0)
    monkeypatch.setattr(strategic_policy, "SEARCH_BUDGET", 0)
    monkeypatch.setattr(strategic_policy, "SEARCH_AREA_M2", 1.0)
    searches = []
    original = StrategicPlanner.plan_trip

    def counted(self, trip_id, start_xy, stops, end_xy, **kwargs):
        ready = float(np.min(kwargs["ready_s"]))
        searches.append((tuple(stops), ready))
        if status == "DEADLINE":
            return self._refused(trip_id, ready, StrategicStatus.DEADLINE, "every slot late")  # noqa: SLF001
        return original(self, trip_id, start_xy, stops, end_xy, **kwargs)

    monkeypatch.setattr(StrategicPlanner, "plan_trip", counted)
    simulation = Simulation(_scenario("strategic"), duration_s=600.0)
    report = simulation.run()
    refusals = simulation.deconfliction.refusals
    assert refusals.get(status, 0) > 0 and refusals.get(f"{status}_BACKOFF", 0) > 0
    assert report.orders_delivered == 0
    assert report.takeoff_delay_s["departures"] == 0
    # No trip is searched again within the backoff: the next search of the same stops
    # comes no sooner than the backoff after it.
    last_round = {}
    rounds = 0
    for stops, ready in searches:
        seen = last_round.get(stops)
        if seen is None or ready - seen > 30.0:
            if seen is not None:
                assert ready - seen >= 150.0 - 30.0
                rounds += 1
            last_round[stops] = ready
    assert rounds > 0  # the run is long enough to see a trip searched again
    created = simulation.created_count()
    assert report.orders_delivered + report.orders_failed + report.orders_pending == created


@pytest.mark.parametrize(("status", "held"), [("LIMIT", True), ("DEADLINE", False)])
def test_a_budget_refusal_holds_the_trip_for_every_drone_a_deadline_one_per_battery(
    monkeypatch, status, held
):
    """A trip refused at the search budget is about the sky: another drone (another
    battery) asking for the same stops at the same depot is refused without a search. A
    trip refused for its deadlines also depends on the battery: another battery searches."""
    from dronesim.sim.deconfliction import TripRequest
    from dronesim.sim.strategic import StrategicPlanner, StrategicStatus

    searches = []

    def refused(self, trip_id, start_xy, stops, end_xy, **kwargs):
        ready = float(np.min(kwargs["ready_s"]))
        searches.append(ready)
        return self._refused(trip_id, ready, getattr(StrategicStatus, status), "refused")  # noqa: SLF001

    monkeypatch.setattr(StrategicPlanner, "plan_trip", refused)
    simulation = Simulation(_scenario("strategic"), duration_s=60.0)
    policy = simulation.deconfliction
    order = 0
    stops = [(order, PICKUP), (order, DROPOFF)]
    depot = int(simulation.orders.pickup_depot[order])
    drones = np.flatnonzero(simulation.home == depot)[:2]
    start = (*simulation.depots_xy[depot], 0.0)
    for d, battery in zip(drones, (120.0, 110.0), strict=True):
        request = TripRequest(
            int(d), 10.0, start, battery, stops, depot, simulation.trips, simulation.router
        )
        assert policy.plan_trip(request) is False
    assert len(searches) == (1 if held else 2)
    assert policy.refusals.get(f"{status}_BACKOFF", 0) == (1 if held else 0)


def test_a_drone_whose_trip_is_refused_gets_other_orders_in_the_same_round():
    """The deconfliction policy refuses a trip asked of it in a busy round: that drone is
    given another of the round's open orders at once (not left idle until the next
    round)."""
    import dataclasses

    from dronesim.sim.engine import Simulation
    from dronesim.sim.scenario import from_toml_text
    from tiny import TINY

    scenario = from_toml_text(TINY.replace("orders_per_hour = 120", "orders_per_hour = 600"), "t")
    scenario = scenario.replace(
        deconfliction=dataclasses.replace(scenario.deconfliction, policy="strategic")
    )
    simulation = Simulation(scenario, duration_s=900.0)
    asked, refused = [], []
    plan_trip = simulation.deconfliction.plan_trip

    def refuse_one(request):
        asked.append((request.drone, request.t_s, [order for order, _ in request.stops]))
        if not refused and request.t_s >= 300.0:
            refused.append(asked[-1])
            return False
        return plan_trip(request)

    simulation.deconfliction.plan_trip = refuse_one
    while simulation.step_to(simulation.t + 30.0) and simulation.t < 600.0:
        pass
    assert refused
    drone, t_refused, orders = refused[0]
    after = asked[asked.index(refused[0]) + 1 :]
    again = [a for a in after if a[0] == drone and a[1] == t_refused]
    assert again, "the refused drone was not given other orders in the same round"
    assert not set(again[0][2]) & set(orders)
