"""Trip building (`sim.trips`) and the dispatch adapter (`sim.dispatching`) through their
public API, checked by rules written here, not by the code's earlier output."""

import numpy as np
import pytest
import shapely
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.sim import vocabulary as V
from dronesim.sim.dispatching import CHARGE, REPOSITION, TRIP
from dronesim.sim.engine import Simulation
from dronesim.sim.trips import DROPOFF, PICKUP, PICKUP_TIME_S


@pytest.fixture(scope="module")
def paused(tiny_scenario):
    simulation = Simulation(tiny_scenario, duration_s=900.0)
    simulation.step_to(600.0)
    return simulation


def test_trip_visits_its_stops_in_order_and_lands_at_the_nearest_depot(paused):
    s = paused
    orders = s.orders
    buildings = s.city.buildings

    def tall_enough(z_m):
        return shapely.union_all(buildings.footprints[buildings.heights_m >= z_m])

    checked = 0
    for order in range(s.created_count()):
        depot = int(orders.pickup_depot[order])
        start = (*s.depots_xy[depot], 0.0)
        plan, reason = s.trips.build(
            s.router, start, 0.0, [(order, PICKUP), (order, DROPOFF)], depot
        )
        if plan is None:
            assert reason.startswith("no route")
            continue
        checked += 1
        timed = plan.timed(s.params, s.wind, 0.0, s.model.battery_wh)
        assert timed is not None
        xyz, event, arg, state = timed["xyz"], timed["event"], timed["arg"], timed["state"]
        assert np.all(np.diff(timed["t"]) >= 0)
        # Picked up on the ground at its depot, PICKUP_TIME_S after arriving there.
        (picked,) = np.flatnonzero(event == V.EV_PICKED)
        assert arg[picked] == order and xyz[picked, 2] == 0.0
        assert np.allclose(xyz[picked, :2], s.depots_xy[depot])
        assert timed["t"][picked] - timed["t"][picked - 1] == pytest.approx(PICKUP_TIME_S)
        # Delivered hovering at the hand-over height over the drop-off, after the pickup.
        (delivered,) = np.flatnonzero(event == V.EV_DELIVERED)
        assert delivered > picked and arg[delivered] == order
        assert xyz[delivered, 2] == pytest.approx(HANDOVER_HEIGHT_M)
        assert np.allclose(xyz[delivered, :2], orders.dropoff_xy[order])
        assert timed["t"][delivered] - timed["t"][delivered - 1] == pytest.approx(
            s.model.service_time_s
        )
        # Landed last, at the depot nearest the drop-off.
        nearest = np.argmin(np.hypot(*(s.depots_xy - orders.dropoff_xy[order]).T))
        assert event[-1] == V.EV_LANDED and arg[-1] == nearest and xyz[-1, 2] == 0.0
        assert np.allclose(xyz[-1, :2], s.depots_xy[nearest])
        # Cruise only on the scenario's layers; every state a flying state.
        cruise = np.unique(xyz[(xyz[:, 2] > HANDOVER_HEIGHT_M), 2])
        assert set(cruise) <= {s.airspace.layers_m[k] for k in s.layers_used}
        assert not set(state[:-1]) & set(V.REST_STATES)
        # Horizontal moves are level, and miss every building whose roof reaches their
        # altitude and every active zone whose band holds it (footprints, shapely).
        # On the ground, the only moves are taxis between a depot's point and one of its
        # pads (at least the horizontal minimum away from the point).
        moving = np.any(xyz[1:, :2] != xyz[:-1, :2], axis=1)
        for a, b in zip(xyz[:-1][moving], xyz[1:][moving]):
            if a[2] == b[2] == 0:
                ends = np.array([a[:2], b[:2]])
                gaps = np.hypot(*(ends[:, None, :] - s.depots_xy[None]).transpose(2, 0, 1))
                k = int(np.argmin(gaps.min(axis=0)))
                assert gaps[:, k].min() == 0.0  # one end at the depot point
                assert gaps[:, k].max() >= s.scenario.separation.horizontal_m
                continue
            assert a[2] == b[2] > 0
            line = shapely.LineString([a[:2], b[:2]])
            assert not line.intersects(tall_enough(a[2]))
            for zone in s.airspace.zones:
                if zone.active_at(s.t) and zone.floor_m <= a[2] <= zone.ceiling_m:
                    assert not line.intersects(zone.geometry.buffer(zone.buffer_m))
        if checked >= 10:
            break
    assert checked >= 5


def test_dispatch_decisions_give_each_drone_one_task_and_each_order_one_drone(tiny_scenario):
    # A fresh fleet (every drone at its depot, full) facing the first ten minutes' orders.
    s = Simulation(tiny_scenario, duration_s=900.0)
    t_s = 600.0
    drones = np.arange(s.n_drones)
    placed = int(np.searchsorted(s.orders.created_s, t_s, side="right"))
    open_orders = np.flatnonzero(s.orders.deadline_s[:placed] >= t_s)
    assert len(open_orders) > len(drones)
    decisions = s.dispatcher.decide(
        t_s,
        drones,
        open_orders,
        s.at_depot,
        s.battery,
        s.order_min_wh,
        np.array([len(u) for u in s.pad_users]),
        np.array([len(q) for q in s.pad_queue]),
        placed,
    )
    seen_drones = [d.drone for d in decisions]
    assert len(seen_drones) == len(set(seen_drones)) and set(seen_drones) <= set(drones)
    taken = []
    for decision in decisions:
        assert decision.action in (TRIP, CHARGE, REPOSITION)
        if decision.action == TRIP:
            assert decision.depot == -1 and decision.stops
            picked = set()
            for order, kind in decision.stops:
                assert order in open_orders
                if kind == PICKUP:
                    picked.add(order)
                    taken.append(order)
                else:
                    assert kind == DROPOFF and order in picked  # pickup before drop-off
            assert picked == {order for order, kind in decision.stops if kind == DROPOFF}
        else:
            assert decision.stops == () and 0 <= decision.depot < len(s.depots_xy)
    assert len(taken) == len(set(taken)) and len(taken) > 0


def test_forecast_shares_the_hourly_rate_over_depots(paused):
    s = paused
    forecast = s.dispatcher.forecast(s.t, s.created_count())
    spec = s.scenario.demand
    hour = int(((spec.start_hour * 3600.0 + s.t) // 3600.0) % 24)
    assert forecast.shape == (len(s.depots_xy),) and np.all(forecast > 0)
    assert forecast.sum() == pytest.approx(spec.orders_per_hour[hour] * spec.scale * 0.5)
