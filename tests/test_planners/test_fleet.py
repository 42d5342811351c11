"""Fleet scheduling: feasibility with reserve (checked by an independent route walk),
capacity, batching never worse, determinism, charging and rebalancing."""

import math

import numpy as np
import pytest
from dronesim.planners.energy import GRAVITY_MPS2, DroneModel
from dronesim.planners.fleet import (
    POLICIES,
    DepotState,
    FleetState,
    OrderBatch,
    TravelModel,
    dispatch,
    get_policy,
    rebalance,
    register_policy,
    trip_estimates,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MODEL = DroneModel()


def _fly_reference(model, travel, payload, a, b):
    """Energy (Wh) of climbing/descending to cruise, cruising (detour, wind), then to b's altitude."""
    cruise = travel.cruise_altitude_m
    weight = (model.empty_mass_kg + payload) * GRAVITY_MPS2
    hover = model.hover_power_w(payload)
    climb_power = hover + weight * model.climb_rate_mps / model.efficiency

    def vertical(z_from, z_to):
        if z_to > z_from:
            return climb_power * (z_to - z_from) / model.climb_rate_mps / 3600
        return hover * (z_from - z_to) / model.descent_rate_mps / 3600

    if a[0] == b[0] and a[1] == b[1]:
        return vertical(a[2], b[2])
    energy = vertical(a[2], cruise)
    dx, dy = (b[0] - a[0]) * travel.detour_factor, (b[1] - a[1]) * travel.detour_factor
    distance = math.hypot(dx, dy)
    if distance > 0:
        speed = model.cruise_speed_mps
        ux, uy = dx / distance, dy / distance
        wx, wy = travel.wind_mps
        air = math.hypot(speed * ux - wx, speed * uy - wy)
        if air > model.max_airspeed_mps:
            # Too fast through the air: the largest root s of |s u - w| = max airspeed.
            half_b = -(ux * wx + uy * wy)
            c = wx * wx + wy * wy - model.max_airspeed_mps**2
            speed = -half_b + math.sqrt(half_b * half_b - c)
            air = model.max_airspeed_mps
        energy += model.level_power_w(payload, air) * distance / speed / 3600
    return energy + vertical(cruise, b[2])


def _walk(model, travel, fleet, orders, depots, drone, route):
    """Independent walk of a route: (energy used incl. the flight home, heaviest load)."""
    position = tuple(fleet.position_m[drone])
    load = heaviest = energy = 0.0
    cruise = travel.cruise_altitude_m
    for order, kind in route:
        if kind == 0:
            target = (*orders.pickup_m[order], 0.0)
            energy += _fly_reference(model, travel, load, position, target)
            load += orders.weight_kg[order]
        else:
            target = (*orders.dropoff_m[order], cruise)
            energy += _fly_reference(model, travel, load, position, target)
            energy += model.hover_power_w(load) * (cruise - 10.0) / model.descent_rate_mps / 3600
            energy += model.hover_power_w(load) * model.service_time_s / 3600
            load -= orders.weight_kg[order]
            weight = (model.empty_mass_kg + load) * GRAVITY_MPS2
            energy += (
                (model.hover_power_w(load) + weight * model.climb_rate_mps / model.efficiency)
                * (cruise - 10.0)
                / model.climb_rate_mps
                / 3600
            )
        heaviest = max(heaviest, load)
        position = target
    if len(route):
        homes = [
            _fly_reference(model, travel, 0.0, position, (*depots.position_m[k], 0.0))
            for k in range(len(depots.pads))
            if depots.open[k]
        ]
        energy += min(homes)
    return energy, heaviest


@st.composite
def instances(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n_d, n_o, n_k = draw(st.integers(1, 7)), draw(st.integers(0, 12)), draw(st.integers(1, 3))
    depot_xy = rng.uniform(0, 4000, (n_k, 2))
    home = rng.integers(n_k, size=n_d)
    airborne = rng.random(n_d) < 0.3
    position = np.c_[
        depot_xy[home] + airborne[:, None] * rng.normal(0, 500, (n_d, 2)), airborne * 50.0
    ]
    fleet = FleetState(
        position,
        rng.uniform(0, 300, n_d),
        rng.uniform(20, MODEL.battery_wh, n_d),
        rng.random(n_d) < 0.9,
    )
    pickup = depot_xy[rng.integers(n_k, size=n_o)] + rng.normal(0, 300, (n_o, 2))
    orders = OrderBatch(
        pickup,
        pickup + rng.normal(0, 1500, (n_o, 2)),
        rng.uniform(0.05, 1.2, n_o),
        rng.uniform(0, 300, n_o),
        rng.uniform(600, 3000, n_o),
    )
    depots = DepotState(depot_xy, rng.integers(1, 4, n_k), queue=rng.integers(0, 3, n_k))
    travel = TravelModel(
        detour_factor=float(rng.uniform(1, 1.5)), wind_mps=tuple(rng.normal(0, 4, 2))
    )
    return fleet, orders, depots, travel


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instances(),
    st.sampled_from(sorted(POLICIES)),
    st.sampled_from(["earliest", "lateness", "energy"]),
)
def test_no_decision_strands_a_drone_or_overloads_it(instance, policy, objective):
    fleet, orders, depots, travel = instance
    plan = dispatch(fleet, orders, depots, MODEL, travel, 300.0, policy=policy, objective=objective)
    served = set()
    for drone, route in enumerate(plan.routes):
        if len(route) == 0:
            continue
        assert fleet.available[drone]
        energy, heaviest = _walk(MODEL, travel, fleet, orders, depots, drone, route)
        assert fleet.energy_wh[drone] - energy >= MODEL.reserve_wh - 1e-6
        assert heaviest <= MODEL.max_payload_kg + 1e-9
        # Every order is picked up before it is dropped, once.
        orders_here = [o for o, kind in route if kind == 0]
        assert [o for o, kind in route if kind == 1] and sorted(orders_here) == sorted(
            o for o, kind in route if kind == 1
        )
        for o in orders_here:
            assert list(route[:, 0]).index(o) < len(route) - 1 - list(route[::-1, 0]).index(o)
        served.update(orders_here)
    assert served == {o for o, d in enumerate(plan.drone4order) if d >= 0}
    for drone, depot in enumerate(plan.charge_depot):
        if depot >= 0:
            assert fleet.available[drone] and len(plan.routes[drone]) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["earliest", "lateness", "energy"]))
def test_batching_is_never_worse_than_the_assignment_it_starts_from(instance, objective):
    fleet, orders, depots, travel = instance
    single = dispatch(
        fleet,
        orders,
        depots,
        MODEL,
        travel,
        300.0,
        policy="assignment",
        objective=objective,
        unassigned_penalty=1e5,
    )
    batched = dispatch(
        fleet,
        orders,
        depots,
        MODEL,
        travel,
        300.0,
        policy="batching",
        objective=objective,
        unassigned_penalty=1e5,
    )
    assert batched.total_cost <= single.total_cost + 1e-6
    assert (batched.drone4order >= 0).sum() >= (single.drone4order >= 0).sum()


def test_batching_puts_several_light_parcels_on_one_drone():
    depots = DepotState([[0.0, 0.0]], [4])
    fleet = FleetState([[0.0, 0.0, 0.0]], [0.0], [MODEL.battery_wh], [True])
    drops = np.array([[600.0, 0.0], [650.0, 50.0], [700.0, 0.0]])
    orders = OrderBatch(np.zeros((3, 2)), drops, [0.2, 0.2, 0.2], [0, 0, 0], [3000, 3000, 3000])
    plan = dispatch(
        fleet, orders, depots, MODEL, TravelModel(), 0.0, policy="batching", unassigned_penalty=1e4
    )
    assert sorted(plan.drone4order.tolist()) == [0, 0, 0]
    assert len(plan.routes[0]) == 6
    too_heavy = OrderBatch(np.zeros((3, 2)), drops, [0.6, 0.6, 0.6], [0, 0, 0], [3000, 3000, 3000])
    plan = dispatch(
        fleet,
        too_heavy,
        depots,
        MODEL,
        TravelModel(),
        0.0,
        policy="batching",
        unassigned_penalty=1e4,
    )
    assert (plan.drone4order >= 0).sum() == 1  # 1.2 kg would exceed the 1 kg limit


def test_assignment_serves_at_least_as_many_and_no_dearer_than_greedy():
    rng = np.random.default_rng(3)
    depots = DepotState(rng.uniform(0, 5000, (4, 2)), [3, 3, 3, 3])
    fleet = FleetState(
        np.c_[depots.position_m[rng.integers(4, size=40)], np.zeros(40)],
        np.zeros(40),
        rng.uniform(50, 130, 40),
        np.ones(40, bool),
    )
    pickup = depots.position_m[rng.integers(4, size=60)]
    orders = OrderBatch(
        pickup,
        pickup + rng.normal(0, 1200, (60, 2)),
        rng.uniform(0.1, 1, 60),
        rng.uniform(0, 100, 60),
        np.full(60, 3600.0),
    )
    greedy = dispatch(
        fleet, orders, depots, MODEL, TravelModel(), 100.0, policy="greedy", unassigned_penalty=1e6
    )
    optimal = dispatch(
        fleet,
        orders,
        depots,
        MODEL,
        TravelModel(),
        100.0,
        policy="assignment",
        unassigned_penalty=1e6,
    )
    assert (optimal.drone4order >= 0).sum() >= (greedy.drone4order >= 0).sum()
    assert optimal.total_cost <= greedy.total_cost + 1e-6


def test_same_inputs_same_decisions():
    rng = np.random.default_rng(8)
    depots = DepotState(rng.uniform(0, 5000, (3, 2)), [2, 2, 2], queue=[0, 3, 1])
    fleet = FleetState(
        np.c_[rng.uniform(0, 5000, (30, 2)), rng.choice([0.0, 50.0], 30)],
        rng.uniform(0, 50, 30),
        rng.uniform(20, 130, 30),
        rng.random(30) < 0.9,
    )
    pickup = rng.uniform(0, 5000, (50, 2))
    orders = OrderBatch(
        pickup,
        pickup + rng.normal(0, 800, (50, 2)),
        rng.uniform(0.1, 1, 50),
        np.zeros(50),
        rng.uniform(900, 2400, 50),
    )
    forecast = np.array([5.0, 1.0, 9.0])
    plans = [
        dispatch(
            fleet, orders, depots, MODEL, TravelModel(), 60.0, policy=p, forecast_per_depot=forecast
        )
        for p in ("batching", "batching")
    ]
    a, b = plans
    assert a.total_cost == b.total_cost
    assert np.array_equal(a.drone4order, b.drone4order) and np.array_equal(
        a.charge_depot, b.charge_depot
    )
    assert np.array_equal(a.rebalance_depot, b.rebalance_depot)
    assert all(np.array_equal(x, y) for x, y in zip(a.routes, b.routes))


def test_low_batteries_go_to_the_depot_where_they_charge_soonest():
    model = DroneModel(reserve_fraction=0.1)
    depots = DepotState([[0.0, 0.0], [1000.0, 0.0]], pads=[1, 1], free_pads=[1, 1])
    fleet = FleetState(
        [[100.0, 0.0, 0.0], [200.0, 0.0, 0.0], [900.0, 0.0, 0.0]],
        [0, 0, 0],
        [30.0, 44.0, 120.0],
        [True, True, True],
    )
    no_orders = OrderBatch(np.empty((0, 2)), np.empty((0, 2)), [], [], [])
    plan = dispatch(fleet, no_orders, depots, model, TravelModel(), 0.0)
    # The emptiest takes the near pad; the next would queue there, so it flies to the free one.
    assert plan.charge_depot.tolist() == [0, 1, -1]
    # Without the energy to reach the free pad it queues at the near one instead.
    weak = FleetState(fleet.position_m, [0, 0, 0], [30.0, 25.0, 120.0], [True, True, True])
    assert dispatch(weak, no_orders, depots, model, TravelModel(), 0.0).charge_depot.tolist() == [
        0,
        0,
        -1,
    ]


def test_rebalancing_moves_spare_drones_to_depots_short_of_demand():
    depots = DepotState([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]], [4, 4, 4])
    positions = np.array([[0.0, 0.0, 0.0]] * 5 + [[1000.0, 0.0, 0.0]])
    fleet = FleetState(positions, np.zeros(6), np.full(6, 120.0), np.ones(6, bool))
    target = rebalance(
        fleet, depots, MODEL, TravelModel(), np.ones(6, bool), np.array([1.0, 1.0, 3.0])
    )
    assert sorted(target.tolist()) == [-1, -1, -1, 2, 2, 2]
    assert (target[:5] >= 0).sum() == 3 and target[5] == -1


def test_energy_model_follows_momentum_theory():
    rho, area, eta = MODEL.air_density_kgpm3, MODEL.rotor_disk_area_m2, MODEL.efficiency
    for payload in (0.0, 0.5, 1.0):
        weight = (MODEL.empty_mass_kg + payload) * GRAVITY_MPS2
        expected = weight**1.5 / (eta * math.sqrt(2 * rho * area)) + MODEL.fixed_power_w
        assert MODEL.hover_power_w(payload) == pytest.approx(expected, rel=1e-12)
    # Translational lift first lowers the power, drag raises it at speed.
    assert MODEL.level_power_w(0.5, 5.0) < MODEL.hover_power_w(0.5) < MODEL.level_power_w(0.5, 12.0)
    headwind = TravelModel(wind_mps=(-6.0, 0.0))
    tailwind = TravelModel(wind_mps=(6.0, 0.0))
    a = (0.0, 0.0, 0.0)
    b = (3000.0, 0.0, 0.0)
    assert _fly_reference(MODEL, headwind, 0.5, a, b) > _fly_reference(
        MODEL, TravelModel(), 0.5, a, b
    )
    fleet = FleetState([[0.0, 0.0, 0.0]], [0.0], [130.0], [True])
    orders = OrderBatch([[0.0, 0.0]], [[3000.0, 0.0]], [0.5], [0.0], [3600.0])
    depots = DepotState([[0.0, 0.0]], [1])
    costs = [
        trip_estimates(fleet, orders, depots, MODEL, travel, 0.0, "energy").energy_wh[0, 0]
        for travel in (headwind, tailwind)
    ]
    assert costs[0] != costs[1]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: DroneModel(battery_wh=0), "battery_wh must be > 0"),
        (lambda: DroneModel(efficiency=1.5), "efficiency must be <= 1"),
        (lambda: DroneModel(reserve_fraction=-0.1), "reserve_fraction must be >= 0"),
        (lambda: TravelModel(detour_factor=0.9), "detour_factor must be >= 1"),
        (
            lambda: FleetState(np.zeros((2, 3)), [0.0], [1.0, 1.0], [True, True]),
            "free_s: expected 2 values",
        ),
        (
            lambda: OrderBatch(np.zeros((1, 2)), np.zeros((1, 2)), [-1.0], [0.0], [1.0]),
            "weight_kg: must be >= 0",
        ),
        (lambda: get_policy("lottery"), "unknown dispatch policy 'lottery'"),
    ],
)
def test_bad_inputs_raise_naming_the_field(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_user_policies_register_by_name():
    class NoOne:
        name = "no-one"

        def plan(self, problem):
            return (
                POLICIES["greedy"]
                .plan(problem)
                .__class__(
                    [np.empty((0, 2), np.int64)] * len(problem.fleet),
                    np.full(len(problem.orders), -1),
                    np.full(len(problem.fleet), -1),
                    np.full(len(problem.fleet), -1),
                    0.0,
                )
            )

    register_policy(NoOne())
    try:
        assert get_policy("no-one").name == "no-one"
        with pytest.raises(ValueError, match="already registered"):
            register_policy(NoOne())
    finally:
        POLICIES.pop("no-one")


@pytest.mark.parametrize("wind_mps", [(0.0, 0.0), (3.0, -2.0), (-6.4, -7.3), (11.0, 4.0)])
def test_flight_energy_equals_the_reference_in_any_wind(wind_mps):
    """Headwinds strong enough that the airspeed cap binds included (then slower over ground)."""
    from dronesim.planners import _fleet_kernels as F

    travel = TravelModel(detour_factor=1.2, wind_mps=wind_mps)
    rng = np.random.default_rng(4)
    a = np.c_[rng.uniform(0, 3000, (12, 2)), rng.choice([0.0, 50.0], 12)]
    b = np.c_[rng.uniform(0, 3000, (9, 2)), rng.choice([0.0, 50.0], 9)]
    for payload in (0.0, 0.8):
        _, energy = F.fly_matrix(MODEL.as_array(), travel.as_array(MODEL), payload, a, b)
        expected = [[_fly_reference(MODEL, travel, payload, p, q) for q in b] for p in a]
        assert energy == pytest.approx(np.array(expected), rel=1e-9)
