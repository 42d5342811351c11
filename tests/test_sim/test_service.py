"""Service metrics over all orders and the service area at checkout.

The reach reference here integrates the energy model from its physics (the formulas in
`planners.energy`'s docstring: actuator-disk induced power, parasitic drag, climb power,
hover) for the trip the checkout must cover: climb to the cruise altitude, cruise loaded
(straight line x detour factor, in the wind), descend to the hand-over height, hover the
service time, climb empty, cruise home, descend. It calls none of the package's energy
functions. Orders just inside and just outside the radius it gives are placed in several
directions (the wind makes the area lopsided).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from dronesim.planners.energy import DroneModel
from dronesim.planners.fleet import TravelModel
from dronesim.sim import engine as engine_module
from dronesim.sim.checkout import ACCEPTED, OUTSIDE_SERVICE_AREA, OVER_PAYLOAD, check_orders
from dronesim.sim.demand import Orders
from dronesim.sim.engine import Simulation
from dronesim.sim.recording import Recording, write_recording
from dronesim.sim.report import DEPOT_COLUMNS, Report
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vocabulary import (
    DELIVERED,
    EV_ASSIGNED,
    EV_FAILED,
    FAILED,
    REASON_NO_DRONE_IN_TIME,
    REASON_OUTSIDE_SERVICE_AREA,
    REASON_OVER_PAYLOAD,
    REASON_PAD_QUEUE,
)
from tiny import TINY

G = 9.80665
HANDOVER_M = 10.0  # the hand-over height drones descend to (demand module docstring)


# ----------------------------------------------------------------------------- reference
def _power_w(model: DroneModel, payload_kg: float, airspeed_mps: float) -> float:
    """Level-flight power from actuator-disk theory (written out here, not imported)."""
    weight = (model.empty_mass_kg + payload_kg) * G
    v_h = math.sqrt(weight / (2 * model.air_density_kgpm3 * model.rotor_disk_area_m2))
    v = airspeed_mps
    v_i = math.sqrt((math.sqrt(v**4 + 4 * v_h**4) - v**2) / 2)
    drag = 0.5 * model.air_density_kgpm3 * model.drag_area_m2 * v**3
    return (weight * v_i + drag) / model.efficiency + model.fixed_power_w


def _climb_wh(model: DroneModel, payload_kg: float, dz_m: float) -> float:
    weight = (model.empty_mass_kg + payload_kg) * G
    power = _power_w(model, payload_kg, 0.0) + weight * model.climb_rate_mps / model.efficiency
    return power * dz_m / model.climb_rate_mps / 3600


def _descent_wh(model: DroneModel, payload_kg: float, dz_m: float) -> float:
    return _power_w(model, payload_kg, 0.0) * dz_m / model.descent_rate_mps / 3600


def _cruise_wh_per_m(model: DroneModel, payload_kg: float, heading, wind) -> float:
    """Energy per metre over the ground holding the cruise ground speed along ``heading``."""
    ground = model.cruise_speed_mps * np.asarray(heading)
    airspeed = float(np.hypot(*(ground - np.asarray(wind))))
    assert airspeed < model.max_airspeed_mps  # the reference ignores the airspeed limit
    return _power_w(model, payload_kg, airspeed) / model.cruise_speed_mps / 3600


def reference_radius_m(model, payload_kg, heading, wind, detour, cruise_m) -> float:
    """Farthest drop-off along ``heading`` from a depot that a full battery reaches and
    flies home from (to the same depot) with the reserve left, metres."""
    fixed = (
        _climb_wh(model, payload_kg, cruise_m)
        + _descent_wh(model, payload_kg, cruise_m - HANDOVER_M)
        + _power_w(model, payload_kg, 0.0) * model.service_time_s / 3600
        + _climb_wh(model, 0.0, cruise_m - HANDOVER_M)
        + _descent_wh(model, 0.0, cruise_m)
    )
    back = -np.asarray(heading)
    per_m = detour * (
        _cruise_wh_per_m(model, payload_kg, heading, wind)
        + _cruise_wh_per_m(model, 0.0, back, wind)
    )
    return (model.battery_wh - model.reserve_wh - fixed) / per_m


HEADINGS = [(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)]


@pytest.mark.parametrize("payload_kg", [0.2, 0.9])
def test_checkout_accepts_just_inside_and_refuses_just_outside_the_reference_reach(payload_kg):
    model = DroneModel()
    wind = (2.5, -1.5)
    travel = TravelModel(detour_factor=1.3, cruise_altitude_m=70.0, wind_mps=wind)
    # Depot 0 at the origin; depot 1 too far away to serve or to land at.
    depots = np.array([[0.0, 0.0], [60_000.0, 0.0]])
    points, expected = [], []
    for heading in HEADINGS:
        radius = reference_radius_m(model, payload_kg, heading, wind, 1.3, 70.0)
        assert 500 < radius < 5000
        for factor, outcome in ((0.998, ACCEPTED), (1.002, OUTSIDE_SERVICE_AREA)):
            points.append(np.asarray(heading) * radius * factor)
            expected.append(outcome)
    n = len(points)
    serving = np.ones((n, 2), bool)  # either depot may serve: refused only if neither reaches
    outcome, _ = check_orders(
        np.zeros(n),
        np.array(points),
        np.full(n, payload_kg),
        serving,
        depots,
        (model,),
        travel,
        lambda t, xy: np.tile(wind, (len(t), 1)),
    )
    assert outcome.tolist() == expected


def test_checkout_refuses_a_parcel_over_every_types_payload_limit():
    light = DroneModel(max_payload_kg=0.5)
    heavy = DroneModel(name="heavy", max_payload_kg=0.8)
    travel = TravelModel(detour_factor=1.2, cruise_altitude_m=50.0)
    depots = np.array([[0.0, 0.0]])
    near = np.array([[300.0, 0.0]] * 3)
    weights = np.array([0.4, 0.7, 0.9])
    calm = lambda t, xy: np.zeros((len(t), 2))  # noqa: E731
    outcome, _ = check_orders(
        np.zeros(3), near, weights, np.zeros(3, int), depots, (light,), travel, calm
    )
    assert outcome.tolist() == [ACCEPTED, OVER_PAYLOAD, OVER_PAYLOAD]
    both, _ = check_orders(
        np.zeros(3), near, weights, np.zeros(3, int), depots, (light, heavy), travel, calm
    )
    assert both.tolist() == [ACCEPTED, ACCEPTED, OVER_PAYLOAD]


def test_checkout_of_a_city_day_of_orders_takes_well_under_a_second():
    import time

    rng = np.random.default_rng(1)
    n, k = 19_000, 20
    depots = rng.uniform(0, 12_000, (k, 2))
    dropoff = rng.uniform(0, 12_000, (n, 2))
    nearest = np.argmin(np.hypot(*(dropoff[:, None, :] - depots[None]).transpose(2, 0, 1)), 1)
    args = (
        np.sort(rng.uniform(0, 86_400, n)),
        dropoff,
        rng.uniform(0.1, 1.0, n),
        nearest,
        depots,
        (DroneModel(),),
        TravelModel(detour_factor=1.2),
        lambda t, xy: np.tile((3.0, 1.0), (len(t), 1)),
    )
    check_orders(*args)  # compile (or load) the kernels first
    tic = time.perf_counter()
    outcome, trip_wh = check_orders(*args)
    assert time.perf_counter() - tic < 0.5
    assert (outcome == ACCEPTED).any() and (outcome == OUTSIDE_SERVICE_AREA).any()


# ----------------------------------------------------------------------------- engine
def test_an_order_outside_the_reach_is_refused_at_checkout_and_never_dispatched(monkeypatch):
    """Orders placed just inside and just outside the reference reach of depot 0 (the
    map's other depot lies farther away, so it reaches neither): the outer ones fail at
    once with the checkout reason and never reach the dispatcher; the inner ones do.
    A small battery keeps both points on the map."""
    tiny_scenario = from_toml_text(
        TINY.replace("[drone]\n", "[drone]\nbattery_wh = 60\n"), "t.toml"
    )
    probe = Simulation(tiny_scenario, duration_s=60.0)
    depots = probe.depots_xy
    model = probe.model
    detour = probe.travel.detour_factor
    cruise = probe.travel.cruise_altitude_m
    wind = probe.wind.at(0.0, *depots[0], cruise)  # steady and uniform in TINY
    payload = 0.3
    away = depots[0] - depots[1]
    away /= np.hypot(*away)
    radius = reference_radius_m(model, payload, away, wind, detour, cruise)
    assert 100 < radius < 350  # on the map, nearer depot 0 than depot 1
    rows = [depots[0] + away * radius * factor for factor in (0.999, 1.001)]
    created = np.array([100.0, 130.0])
    orders = Orders(
        created_s=created,
        deadline_s=created + 1500.0,
        pickup_xy=depots[[0, 0]],
        dropoff_xy=np.array(rows),
        weight_kg=np.full(2, payload),
        pickup_depot=np.zeros(2, np.int64),
    )
    monkeypatch.setattr(engine_module, "generate_orders", lambda *a, **k: orders)
    simulation = Simulation(tiny_scenario, duration_s=400.0)
    seen: list[int] = []
    decide = simulation.dispatcher.decide

    def spy(now, drones, open_orders, *rest):
        seen.extend(int(o) for o in open_orders)
        return decide(now, drones, open_orders, *rest)

    simulation.dispatcher.decide = spy
    simulation.run()
    assert simulation.order_status[1] == FAILED
    assert simulation.reasons[simulation.order_reason[1]] == REASON_OUTSIDE_SERVICE_AREA
    assert 1 not in seen and simulation.order_drone[1] == -1
    t, order, kind, _ = simulation.log.order_events()
    refused = (order == 1) & (kind == EV_FAILED)
    assert refused.sum() == 1 and not ((order == 1) & (kind == EV_ASSIGNED)).any()
    # Refused in the first dispatch round after it arrived.
    assert created[1] <= t[refused][0] <= created[1] + tiny_scenario.dispatch.interval_s
    assert simulation.order_status[0] != FAILED and 0 in seen


# Small batteries (some drop-offs out of reach), one pad per depot and slow swaps (drones
# queue for it), many orders with short deadlines (some expire).
SERVICE = (
    TINY.replace("[drone]\n", "[drone]\nbattery_wh = 85\n")
    .replace("swap_time_s = 60", "swap_time_s = 140")
    .replace("orders_per_hour = 120", "orders_per_hour = 400")
    .replace("deadline_s = 1500", "deadline_s = 600")
    .replace("pads_per_depot = 2", "pads_per_depot = 1")
)


def _service_scenario(text: str = SERVICE):
    scenario = from_toml_text(text, "service.toml")
    # A scenario file may not send parcels over its drone's limit (`sim.scenario` checks
    # it); with several aircraft types a parcel may be over one type's limit only, and
    # over every type's when the scenario is changed this way.
    return dataclasses.replace(
        scenario, drone=dataclasses.replace(scenario.drone, max_payload_kg=0.7)
    )


@pytest.fixture(scope="module")
def service_run():
    simulation = Simulation(_service_scenario())
    report = simulation.run()
    return simulation, report


def test_orders_are_conserved_over_every_reason_and_their_shares_add_up_to_one(
    service_run, tmp_path
):
    simulation, report = service_run
    created = report.orders_created
    # The run exercises the new reasons (its small battery, light payload limit and few
    # pads are chosen for that).
    for reason in (
        REASON_OUTSIDE_SERVICE_AREA,
        REASON_OVER_PAYLOAD,
        REASON_NO_DRONE_IN_TIME,
        REASON_PAD_QUEUE,
    ):
        assert report.failed_reasons.get(reason, 0) > 0, reason
    assert any(reason.startswith("destination inside") for reason in report.failed_reasons)
    # Conservation, from the simulation's order table.
    status = simulation.order_status[:created]
    by_reason: dict[str, int] = {}
    for index in simulation.order_reason[:created][status == FAILED]:
        by_reason[simulation.reasons[index]] = by_reason.get(simulation.reasons[index], 0) + 1
    assert by_reason == report.failed_reasons
    assert created == report.orders_delivered + sum(by_reason.values()) + report.orders_pending
    # Every failure is logged once, when it happens, under its order.
    _, order, kind, _ = simulation.log.order_events()
    failed_events = np.sort(order[kind == EV_FAILED])
    assert failed_events.tolist() == np.flatnonzero(status == FAILED).tolist()
    # ... and from the recording alone.
    write_recording(simulation, tmp_path / "run.npz")
    recording = Recording.load(tmp_path / "run.npz")
    rec_status = recording.arrays["order_status"]
    names = recording.meta["reasons"]
    rec_reasons: dict[str, int] = {}
    for index in recording.arrays["order_reason"][rec_status == FAILED]:
        rec_reasons[names[index]] = rec_reasons.get(names[index], 0) + 1
    assert len(rec_status) == created
    assert rec_reasons == report.failed_reasons
    assert (rec_status == DELIVERED).sum() == report.orders_delivered
    assert ((rec_status != DELIVERED) & (rec_status != FAILED)).sum() == report.orders_pending
    # Shares of all orders: a partition.
    shares = report.order_shares
    total = (
        shares["delivered_on_time"]
        + shares["delivered_late"]
        + sum(shares["failed"].values())
        + shares["pending"]
    )
    assert total == pytest.approx(1.0, abs=1e-12)
    assert shares["delivered"] == pytest.approx(report.orders_delivered / created)
    for reason, count in report.failed_reasons.items():
        assert shares["failed"][reason] == pytest.approx(count / created)
    on_time = (simulation.order_delivered_s[:created] <= simulation.orders.deadline_s[:created]) & (
        status == DELIVERED
    )
    assert shares["delivered_on_time"] == pytest.approx(on_time.sum() / created)
    # on_time_rate stays "of delivered".
    assert report.on_time_rate == pytest.approx(on_time.sum() / report.orders_delivered)


def test_the_depot_table_adds_up_to_the_run(service_run):
    simulation, report = service_run
    rows = report.depots
    assert len(rows) == len(simulation.depots_xy)
    assert all(tuple(row) == DEPOT_COLUMNS for row in rows)
    assert sum(row["orders"] for row in rows) == report.orders_created
    assert sum(row["delivered"] for row in rows) == report.orders_delivered
    assert sum(row["pending"] for row in rows) == report.orders_pending
    failed: dict[str, int] = {}
    for row in rows:
        assert row["orders"] == row["delivered"] + sum(row["failed"].values()) + row["pending"]
        for reason, count in row["failed"].items():
            failed[reason] = failed.get(reason, 0) + count
    assert failed == report.failed_reasons
    assert sum(row["drones"] for row in rows) == report.drones
    # Pad sessions: every time a drone took a pad (the state log's CHARGING entries are
    # the same events seen from the drones), within the pads' capacity.
    _, _, code = simulation.log.state_changes()
    from dronesim.sim.vocabulary import CHARGING

    assert sum(row["pad_sessions"] for row in rows) == (code == CHARGING).sum() > 0
    for row in rows:
        assert 0.0 <= row["pad_utilization"] <= 1.0 + 1e-9
        assert 0.0 <= row["idle_share"] <= 1.0 + 1e-9
        assert row["pad_sessions_peak_per_hour"] <= row["pad_sessions"]
    table = report.summary().split("\n\n")[-1].splitlines()
    assert table[0].split()[:2] == ["depot", "orders"] and len(table) == len(rows) + 1


def test_distance_is_reported_horizontal_and_vertical(service_run):
    simulation, report = service_run
    drone, _, xyz, _ = simulation.trajectory()
    same = drone[1:] == drone[:-1]
    step = np.diff(xyz, axis=0)[same]
    assert report.distance_horizontal_km == pytest.approx(
        sum(math.hypot(dx, dy) for dx, dy, _ in step) / 1000
    )
    assert report.distance_vertical_km == pytest.approx(abs(step[:, 2]).sum() / 1000)
    assert report.distance_vertical_km > 0.05 * report.distance_km


def test_report_with_new_fields_round_trips(service_run, tmp_path):
    _, report = service_run
    report.write(tmp_path / "r.json")
    again = Report.read(tmp_path / "r.json")
    assert again.deterministic() == report.deterministic()


def test_pad_queue_failures_fall_when_the_depots_get_more_pads(service_run):
    """The pad-queue reason names what holds orders up: with four pads per depot instead
    of one, orders no longer expire for want of a pad."""
    _, report = service_run
    more = Simulation(
        _service_scenario(SERVICE.replace("pads_per_depot = 1", "pads_per_depot = 4"))
    )
    again = more.run()
    assert report.failed_reasons[REASON_PAD_QUEUE] >= 20
    assert (
        again.failed_reasons.get(REASON_PAD_QUEUE, 0)
        <= report.failed_reasons[REASON_PAD_QUEUE] // 4
    )
    # The checkout does not depend on the pads.
    for reason in (REASON_OUTSIDE_SERVICE_AREA, REASON_OVER_PAYLOAD):
        assert again.failed_reasons[reason] == report.failed_reasons[reason]
