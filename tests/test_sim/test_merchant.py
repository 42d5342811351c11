"""Pick-up at merchants (``demand.pickup = "merchant"``): one pad per hotspot, on the open
ground nearest its centre (checked here with shapely and the blocked grid, not with the
generator's own test); the same seed draws the same orders as at the depots; every
merchant order is picked up on the ground at its merchant's pad (read off the recorded
trajectory); orders are conserved; no flown segment enters a building or a zone; a
strategic run keeps separation (`test_separation.reference_losses`, all pairs)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.planners.energy import DroneModel
from dronesim.planners.fleet import TravelModel
from dronesim.sim.checkout import ACCEPTED, OUTSIDE_SERVICE_AREA, check_orders
from dronesim.sim.demand import merchant_pads
from dronesim.sim.engine import Simulation
from dronesim.sim.recording import Recording, write_recording
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vocabulary import ASSIGNED, CARRIED, DELIVERED, EV_PICKED, FAILED, OPEN
from safety_check import building_intrusions, zone_entries
from test_separation import reference_losses
from test_service import reference_radius_m
from tiny import TINY

DURATION_S = 1500.0


def _scenario(pickup: str, policy: str = "layers"):
    text = TINY.replace("[demand]\n", f'[demand]\npickup = "{pickup}"\n', 1)
    return from_toml_text(text + f'\n[deconfliction]\npolicy = "{policy}"\n', "tiny.toml")


def _run(policy: str, tmp_path):
    simulation = Simulation(_scenario("merchant", policy), duration_s=DURATION_S)
    report = simulation.run()
    path = tmp_path / f"merchant-{policy}.npz"
    write_recording(simulation, path)
    return simulation, report, Recording.load(path)


@pytest.fixture(scope="module", params=["none", "layers", "strategic"])
def merchant_run(request, tmp_path_factory):
    return request.param, *_run(request.param, tmp_path_factory.mktemp("merchant"))


def _open_ground(airspace, top_layer, points, slack_m):
    """Independent open-ground test: the column free up to ``top_layer`` and farther than
    the horizontal clearance (+ ``slack_m``) from every building reaching the hand-over
    height (less its vertical clearance)."""
    free = ~airspace.blocked[: top_layer + 1].any(axis=0)
    b = airspace.buildings
    tall = [
        f
        for f, h in zip(b.footprints, b.heights_m)
        if h + airspace.vertical_clearance_m >= HANDOVER_HEIGHT_M
    ]
    out = []
    for x, y in points:
        i = int(np.floor((x - airspace.origin_m[0]) / airspace.cell_size_m))
        j = int(np.floor((y - airspace.origin_m[1]) / airspace.cell_size_m))
        ok = 0 <= i < airspace.nx and 0 <= j < airspace.ny and bool(free[j, i])
        point = shapely.Point(x, y)
        ok = ok and all(f.distance(point) > airspace.horizontal_clearance_m + slack_m for f in tall)
        out.append(ok)
    return np.array(out)


def test_merchant_pads_are_on_the_open_ground_nearest_each_hotspot():
    simulation = Simulation(_scenario("merchant"), duration_s=60.0)
    a, top = simulation.airspace, simulation.top_layer
    pads = simulation.merchant_xy
    hotspots = simulation.city.hotspots
    assert len(hotspots) > 1 and pads.shape == (len(hotspots), 2)
    assert _open_ground(a, top, pads, 0.0).all()
    # No cell centre nearer the hotspot's centre is open ground (1 m of slack for the
    # conservative buffer of the generator's volumes).
    jj, ii = np.mgrid[0 : a.ny, 0 : a.nx]
    centres = np.c_[
        a.origin_m[0] + (ii.ravel() + 0.5) * a.cell_size_m,
        a.origin_m[1] + (jj.ravel() + 0.5) * a.cell_size_m,
    ]
    for spot, pad in zip(hotspots, pads):
        reach = np.hypot(pad[0] - spot.x_m, pad[1] - spot.y_m)
        nearer = centres[np.hypot(*(centres - (spot.x_m, spot.y_m)).T) < reach - 1e-9]
        assert not _open_ground(a, top, nearer, 1.0).any()
    # Deterministic, and the same from the function.
    again = merchant_pads(simulation.city, a, top)
    assert np.array_equal(again, pads)


def test_same_seed_same_orders_as_at_the_depots():
    merchant = Simulation(_scenario("merchant"), duration_s=DURATION_S).orders
    depot = Simulation(_scenario("nearest-depot"), duration_s=DURATION_S).orders
    assert len(merchant) == len(depot) > 10
    for field in ("created_s", "deadline_s", "dropoff_xy", "weight_kg", "nearest_depot"):
        assert np.array_equal(getattr(merchant, field), getattr(depot, field)), field
    assert (depot.merchant == -1).all()
    at = merchant.merchant >= 0
    assert at.any()
    # Picked up at the merchant's pad; its depot is the one nearest that pad.
    pads = merchant_pads(*_city_airspace())
    assert np.array_equal(merchant.pickup_xy[at], pads[merchant.merchant[at]])
    depots = np.array([[d.x_m, d.y_m] for d in _city_airspace()[1].depots])
    for order in np.flatnonzero(at):
        distance = np.hypot(*(depots - merchant.pickup_xy[order]).T)
        assert distance[merchant.pickup_depot[order]] == distance.min()
    # Orders drawn without a hotspot keep the depot nearest the drop-off.
    assert np.array_equal(merchant.pickup_depot[~at], depot.pickup_depot[~at])


def _city_airspace():
    simulation = Simulation(_scenario("merchant"), duration_s=60.0)
    return simulation.city, simulation.airspace, simulation.top_layer


def test_merchant_orders_are_picked_up_on_the_ground_at_their_pad(merchant_run):
    policy, simulation, report, recording = merchant_run
    orders = simulation.orders
    arrays = recording.arrays
    picked = arrays["order_event_kind"] == EV_PICKED
    events = list(
        zip(
            arrays["order_event_t"][picked].tolist(),
            arrays["order_event_order"][picked].tolist(),
            arrays["order_event_drone"][picked].tolist(),
        )
    )
    at_merchant = [(t, o, d) for t, o, d in events if orders.merchant[o] >= 0]
    assert len(at_merchant) >= 10, policy
    for t, order, d in at_merchant:
        mask = recording.traj_drone == d
        times, xyz = recording.traj_t[mask], recording.traj_xyz[mask]
        where = [np.interp(t, times, xyz[:, axis]) for axis in range(3)]
        x, y = arrays["order_pickup_xy"][order]
        assert (x, y) == tuple(simulation.merchant_xy[orders.merchant[order]])
        assert where == pytest.approx([x, y, 0.0], abs=1e-6), (policy, order)
        # On the ground there for the whole load, not a touch-and-go.
        start = [np.interp(t - 1.0, times, xyz[:, axis]) for axis in range(3)]
        assert start == pytest.approx([x, y, 0.0], abs=1e-6)
    # A merchant pad is no depot: no drone rests or lands "at" one.
    depots = simulation.depots_xy
    assert not any(np.all(np.isclose(depots, pad), axis=1).any() for pad in simulation.merchant_xy)


def test_merchant_runs_conserve_orders_and_fly_clear_of_buildings_and_zones(merchant_run):
    policy, simulation, report, recording = merchant_run
    created = simulation.created_count()
    status = simulation.order_status[:created]
    assert report.orders_created == created
    assert np.sum(status == DELIVERED) == report.orders_delivered >= 10
    assert np.sum(status == FAILED) == report.orders_failed
    assert np.sum(np.isin(status, (OPEN, ASSIGNED, CARRIED))) == report.orders_pending
    assert report.orders_delivered + report.orders_failed + report.orders_pending == created
    drone, t, xyz, _ = simulation.trajectory()
    a = simulation.airspace
    assert zone_entries(drone, t, xyz, a.zones) == []
    assert (
        building_intrusions(
            drone, t, xyz, a.buildings, a.horizontal_clearance_m, a.vertical_clearance_m
        )
        == []
    )
    assert report.building_intrusions == 0 and report.nofly_violations == 0


def test_a_strategic_merchant_run_keeps_separation(merchant_run):
    policy, simulation, report, recording = merchant_run
    if policy != "strategic":
        pytest.skip("separation is guaranteed by the strategic policy only")
    sep = simulation.scenario.separation
    assert reference_losses(recording, sep.horizontal_m, sep.vertical_m) == []
    assert report.separation_losses == 0


def test_merchant_run_is_deterministic(merchant_run):
    policy, _, report, _ = merchant_run
    if policy == "strategic":
        pytest.skip("one policy suffices")
    again = Simulation(_scenario("merchant", policy), duration_s=DURATION_S).run()
    assert again.deterministic() == report.deterministic()


def test_checkout_counts_the_flight_via_the_merchant_pad():
    """A drop-off 300 m from the depot is in reach from there, but not via a pad 1.2
    reference radii away on the other side (the outbound leg alone is longer than the
    reference's); via a pad at 0.3 radii it is (about 0.6 R + 600 m of cruise against
    the reference's 2 R, R over 1 km)."""
    model = DroneModel()
    calm = lambda t, xy: np.zeros((len(t), 2))  # noqa: E731
    travel = TravelModel(detour_factor=1.2, cruise_altitude_m=60.0)
    radius = reference_radius_m(model, 0.5, (1.0, 0.0), (0.0, 0.0), 1.2, 60.0)
    assert radius > 1000.0
    depots = np.array([[0.0, 0.0]])
    dropoff = np.array([[300.0, 0.0]] * 2)
    pads = np.array([[-1.2 * radius, 0.0], [-0.3 * radius, 0.0]])
    args = (np.zeros(2), dropoff, np.full(2, 0.5), np.zeros(2, int), depots, (model,), travel, calm)
    at_depot, _ = check_orders(*args)
    assert at_depot.tolist() == [ACCEPTED, ACCEPTED]
    via_pad, trip_wh = check_orders(*args, pads)
    assert via_pad.tolist() == [OUTSIDE_SERVICE_AREA, ACCEPTED]
    assert trip_wh[1] > check_orders(*args)[1][1]  # the detour costs energy
