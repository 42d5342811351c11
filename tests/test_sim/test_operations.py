"""Depots and fleets that serve the demand: expected shares, sizing to demand, pick-up at
any depot, rebalancing in hops (issue: credible operations)."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import pytest
from dronesim.maps import City
from dronesim.maps.features import Depot, Hotspot
from dronesim.maps.geojson import write_geojson
from dronesim.planners.energy import DroneModel
from dronesim.planners.fleet import DepotState, FleetState, TravelModel, depot_hops, rebalance
from dronesim.sim.cli import main
from dronesim.sim.demand import expected_depot_shares, generate_orders
from dronesim.sim.engine import Simulation, allocate_by_share, build_world
from dronesim.sim.report import build_report
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vocabulary import DELIVERED, EV_ASSIGNED, FAILED
from tiny import TINY


def _two_depot_city(path, depots_xy, hotspot_xy, *, width_m=4000.0, height_m=1000.0, pads=2):
    """A city without buildings: depots where given, one hotspot (all the demand)."""
    city = City(
        name="line",
        bounds_m=(0.0, 0.0, width_m, height_m),
        depots=tuple(
            Depot(f"depot-{k + 1}", float(x), float(y), pads) for k, (x, y) in enumerate(depots_xy)
        ),
        hotspots=(Hotspot("market", *map(float, hotspot_xy), radius_m=120.0, weight=1.0),),
    )
    write_geojson(city, path, origin_lonlat=(13.4, 52.5))
    return path


def _scenario(text: str, **sections) -> str:
    """TINY with some ``[section]`` tables replaced by the given TOML bodies."""
    for name, body in sections.items():
        start = text.index(f"[{name}]")
        end = text.find("\n[", start + 1)
        text = text[:start] + f"[{name}]\n{body}\n" + (text[end + 1 :] if end >= 0 else "")
    return text


# ----------------------------------------------------------------- expected shares
def test_expected_shares_match_the_drawn_orders(tiny_scenario):
    """The estimate against the generator itself: a long day of drawn orders, each counted
    at the depot nearest its drop-off."""
    scenario = tiny_scenario
    city, airspace = build_world(scenario)
    top = max(scenario.deconfliction.sector_layers)
    shares = expected_depot_shares(scenario.demand, city, airspace, top, scenario.map.seed)
    demand = dataclasses.replace(scenario.demand, orders_per_hour=(400.0,) * 24)
    orders = generate_orders(demand, city, airspace, 6 * 3600.0, top, np.random.default_rng(1))
    depots = np.array([[d.x_m, d.y_m] for d in airspace.depots])
    nearest = np.argmin(
        np.hypot(*(orders.dropoff_xy[:, None, :] - depots[None, :, :]).transpose(2, 0, 1)), axis=1
    )
    drawn = np.bincount(nearest, minlength=len(depots)) / len(nearest)
    assert math.isclose(shares.sum(), 1.0)
    # 2,400 orders: a binomial share's standard error is at most 1 point.
    np.testing.assert_allclose(shares, drawn, atol=0.035)
    np.testing.assert_array_equal(orders.nearest_depot, nearest)


# ----------------------------------------------------------------- sizing
@pytest.mark.parametrize(
    ("total", "shares", "minimum", "expected"),
    [
        (10, [0.5, 0.3, 0.2], [0, 0, 0], [5, 3, 2]),
        (10, [0.55, 0.45, 0.0], [1, 1, 1], [5, 4, 1]),  # 7 left: 3.85 / 3.15 / 0
        (7, [1 / 3, 1 / 3, 1 / 3], [0, 0, 0], [3, 2, 2]),  # ties go to the lower index
        (2, [0.9, 0.1, 0.0], [1, 1, 1], [1, 1, 1]),  # the minimums come first
    ],
)
def test_allocate_by_share_hand_values(total, shares, minimum, expected):
    got = allocate_by_share(total, np.array(shares), np.array(minimum))
    np.testing.assert_array_equal(got, expected)


def test_allocate_by_share_keeps_the_total_and_stays_within_one_of_the_quota():
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(1, 12))
        shares = rng.random(k) * (rng.random(k) < 0.7)
        if shares.sum() == 0:
            continue
        total = int(rng.integers(k, 300))
        got = allocate_by_share(total, shares, np.ones(k, np.int64))
        assert got.sum() == total and (got >= 1).all()
        quota = 1 + (total - k) * shares / shares.sum()
        assert np.abs(got - quota).max() < 1.0


def test_demand_sizing_shares_pads_and_drones_by_demand(tmp_path, tiny_scenario):
    path = _two_depot_city(tmp_path / "line.geojson", [(500, 500), (2500, 500)], (450, 520))
    text = _scenario(
        TINY,
        map=f'generator = "geojson"\ngeojson = "{path}"\ncell_size_m = 20\nsizing = "demand"',
        fleet="drones_per_depot = 5",
    )
    scenario = from_toml_text(text, "line.toml")
    sim = Simulation(scenario, duration_s=60.0)
    # All the demand is at the first depot: it takes every pad but the second's one, and
    # every drone (the second expects no order).
    assert sim.depot_shares[1] == 0.0
    np.testing.assert_array_equal(sim.pads, [3, 1])
    np.testing.assert_array_equal(np.bincount(sim.home, minlength=2), [10, 0])
    assert len(sim.pads_xy[0]) == 3
    uniform = Simulation(
        scenario.replace(map=dataclasses.replace(scenario.map, sizing="uniform")), duration_s=60.0
    )
    np.testing.assert_array_equal(uniform.pads, [2, 2])
    np.testing.assert_array_equal(np.bincount(uniform.home, minlength=2), [5, 5])


def test_demand_sizing_keeps_only_the_pads_that_fit(tmp_path):
    """A depot 45 m from the map's edge given 11 pads: it keeps the most a ring holds
    inside the map at either allowed spacing (36 or 30 m), worked out here."""
    path = _two_depot_city(tmp_path / "edge.geojson", [(45, 500), (2500, 500)], (60, 520), pads=6)
    text = _scenario(
        TINY,
        map=f'generator = "geojson"\ngeojson = "{path}"\ncell_size_m = 20\nsizing = "demand"',
    )
    sim = Simulation(from_toml_text(text, "edge.toml"), duration_s=60.0)

    def ring_radius(n, spacing):
        return spacing / (2 * math.sin(math.pi / n))

    fits = max(n for n in range(2, 12) if min(ring_radius(n, 36.0), ring_radius(n, 30.0)) < 45.0)
    assert fits < 11
    np.testing.assert_array_equal(sim.pads, [fits, 1])
    assert (sim.pads_xy[0][:, 0] >= 0).all()


# ----------------------------------------------------------------- hops
def _line_model():
    model = DroneModel()
    travel = TravelModel(detour_factor=1.0, cruise_altitude_m=50.0)
    return model, travel


def test_depot_hops_match_shortest_paths_over_one_flight_edges():
    model, travel = _line_model()
    rng = np.random.default_rng(4)
    depots = rng.uniform(0, 12_000, size=(9, 2))
    seconds, next_hop = depot_hops(model, travel, depots)
    # The reference: networkx over the same one-flight edges, each a straight flight at
    # the travel model's pace, with the turnaround at every depot but the last.
    from dronesim.planners import _fleet_kernels as F

    xyz = np.c_[depots, np.zeros(len(depots))]
    leg_s, leg_wh = F.fly_matrix(model.as_array(), travel.as_array(model), 0.0, xyz, xyz)
    turnaround = model.charge_time_s(model.battery_wh - model.reserve_wh)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(depots)))
    for a in range(len(depots)):
        for b in range(len(depots)):
            if a != b and leg_wh[a, b] <= model.battery_wh - model.reserve_wh:
                graph.add_edge(a, b, weight=leg_s[a, b] + turnaround)
    assert graph.number_of_edges() < len(depots) * (len(depots) - 1)  # some need hops
    for a in range(len(depots)):
        lengths = nx.single_source_dijkstra_path_length(graph, a)
        for b in range(len(depots)):
            if a == b:
                assert seconds[a, b] == 0.0
            elif b not in lengths:
                assert math.isinf(seconds[a, b]) and next_hop[a, b] == -1
            else:
                assert seconds[a, b] == pytest.approx(lengths[b] - turnaround)
                # The first hop is one flight, on a shortest chain.
                hop = next_hop[a, b]
                assert graph.has_edge(a, hop)
                rest = nx.dijkstra_path_length(graph, hop, b) if hop != b else 0.0
                assert leg_s[a, hop] + turnaround + rest == pytest.approx(lengths[b])


def test_rebalancing_sends_a_drone_on_the_first_hop_towards_a_far_depot():
    model, travel = _line_model()
    reach_m = 0.8 * (model.battery_wh - model.reserve_wh) / model.cruise_wh_per_km(0.0) * 1000
    spacing = 0.7 * reach_m  # one hop reaches the next depot, not the one after
    depots = DepotState(np.array([[0.0, 0.0], [spacing, 0.0], [2 * spacing, 0.0]]), [2, 2, 2])
    fleet = FleetState(
        np.array([[0.0, 0.0, 0.0]] * 3), np.zeros(3), np.full(3, model.battery_wh), np.ones(3, bool)
    )
    target = rebalance(fleet, depots, model, travel, np.ones(3, bool), np.array([0.0, 0.0, 2.0]))
    # Two drones wanted at the far depot: two leave for the middle one (its first hop),
    # the third stays.
    assert sorted(target.tolist()) == [-1, 1, 1]
    near = rebalance(fleet, depots, model, travel, np.ones(3, bool), np.array([0.0, 1.0, 0.0]))
    assert sorted(near.tolist()) == [-1, -1, 1]


# ----------------------------------------------------------------- runs
def _market_run(
    tmp_path,
    *,
    rebalance: bool,
    pickup: str = "nearest-depot",
    deadline_s: float = 240.0,
    apart_m: float = 2400.0,
) -> Simulation:
    """Two depots ``apart_m`` apart, all the demand at the first, its one drone against
    the second's six; by default, deadlines too short for a drone of the second depot to
    fly over, pick up and deliver."""
    depots = [(400.0, 500.0), (400.0 + apart_m, 500.0)]
    path = _two_depot_city(tmp_path / "market.geojson", depots, (420, 560))
    text = _scenario(
        TINY,
        map=f'generator = "geojson"\ngeojson = "{path}"\ncell_size_m = 20',
        fleet="drones_per_depot = [1, 6]",
        demand=f'orders_per_hour = 60\nstart_hour = 12\ndeadline_s = {deadline_s:g}\npickup = "{pickup}"',
        dispatch=f"interval_s = 30\nrebalance = {str(rebalance).lower()}",
    )
    sim = Simulation(from_toml_text(text, "market.toml"), duration_s=3600.0)
    sim.run()
    return sim


@pytest.fixture(scope="module")
def market_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("market")
    return {flag: _market_run(tmp, rebalance=flag) for flag in (False, True)}


def test_rebalancing_moves_drones_to_the_overloaded_depot_and_fewer_orders_fail(market_runs):
    off, on = market_runs[False], market_runs[True]
    assert len(off.orders) == len(on.orders) > 30

    def failed(sim):
        return int((sim.order_status == FAILED).sum())

    def based_at_first(sim):
        return int((sim.home == 0).sum())

    assert based_at_first(off) == based_at_first(on) == 1
    # Drones that landed at the first depot having started at the second: counted from
    # the order log of drones of the second depot delivering there.
    served_by_second = np.isin(
        on.order_drone[on.order_status == DELIVERED], np.flatnonzero(on.home == 1)
    )
    assert served_by_second.sum() > 0
    assert failed(on) < failed(off) - 5


def test_any_depot_pickup_takes_the_depot_with_a_drone(tmp_path):
    """Pick-up at any depot: an order near a depot without an available drone is picked
    up at the other depot, which has one (deadlines long enough for the flight over)."""
    runs = {
        pickup: _market_run(
            tmp_path, rebalance=False, pickup=pickup, deadline_s=1500.0, apart_m=1200.0
        )
        for pickup in ("nearest-depot", "any-depot")
    }
    sim = runs["any-depot"]
    delivered = sim.order_status == DELIVERED
    picked_second = delivered & (sim.orders.pickup_depot == 1)
    # Every order falls nearest the first depot; some were picked up at the second.
    assert (sim.orders.nearest_depot == 0).all()
    assert picked_second.sum() > 0
    # The pickup point is the depot's own.
    np.testing.assert_array_equal(
        sim.orders.pickup_xy[picked_second], np.repeat(sim.depots_xy[[1]], picked_second.sum(), 0)
    )

    # Sooner than flying over to pick up at the first depot.
    def mean_delivery_s(run):
        done = run.order_status == DELIVERED
        return float(np.mean(run.order_delivered_s[done] - run.orders.created_s[done]))

    assert mean_delivery_s(sim) < mean_delivery_s(runs["nearest-depot"]) - 10.0


@pytest.mark.parametrize(
    ("section", "line", "field", "value"),
    [
        ("map", 'sizing = "by-magic"', "map.sizing", "by-magic"),
        ("map", 'depot_siting = "downtown"', "map.depot_siting", "downtown"),
        ("map", "temporary_zone_xy_m = [100, 9000]", "map.temporary_zone_xy_m", "9000"),
        ("demand", 'pickup = "drone-store"', "demand.pickup", "drone-store"),
    ],
)
def test_unknown_sizing_or_pickup_is_a_one_line_error(
    tmp_path, capsys, section, line, field, value
):
    text = TINY.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and field in lines[0] and value in lines[0]


# ----------------------------------------------------------------- bundled scenarios
def test_city_peak_is_city_day_at_twice_the_demand():
    from dronesim.sim.scenario import bundled_scenarios, load_scenario

    assert {"city-day", "city-peak", "batching"} <= set(bundled_scenarios())
    day, peak = load_scenario("city-day"), load_scenario("city-peak")
    assert peak.demand.scale == 2 * day.demand.scale
    assert peak.map == day.map and peak.aircraft == day.aircraft and peak.wind == day.wind
    assert day.map.depot_siting == "demand" and day.map.sizing == "demand"


@pytest.fixture(scope="module")
def batching_runs():
    from dronesim.sim.scenario import load_scenario

    scenario = load_scenario("batching")
    runs = {}
    for planner in ("astar", "theta"):
        variant = scenario.replace(planner=dataclasses.replace(scenario.planner, name=planner))
        sim = Simulation(variant, duration_s=1800.0)
        runs[planner] = (sim, sim.run())
    return runs


def test_batching_scenario_chains_drop_offs_routed_by_the_scenarios_planner(batching_runs):
    sim, report = batching_runs["astar"]
    # Multi-parcel trips, from the order log: one drone assigned two orders at once.
    t, order, kind, drone = sim.log.order_events()
    assigned = kind == EV_ASSIGNED
    pairs = set()
    chained = 0
    for when, who in zip(t[assigned].tolist(), drone[assigned].tolist(), strict=True):
        chained += (when, who) in pairs
        pairs.add((when, who))
    assert chained > 0
    # The legs between drop-offs went to the planner, so the planner shows in the report.
    other_sim, other = batching_runs["theta"]
    assert sim.planner_calls > 0 and other_sim.planner_calls > 0
    assert report.distance_km != other.distance_km


def test_the_overloaded_depot_runs_dry_less_with_rebalancing(market_runs):
    """The per-depot table's dry time (orders waiting, no drone available there): the
    depot without demand never runs dry, the overloaded one does, less once drones are
    moved to it, and never longer than the run."""
    dry = {
        flag: [row["dry_s"] for row in build_report(sim, 0.0).depots]
        for flag, sim in market_runs.items()
    }
    for flag, sim in market_runs.items():
        assert dry[flag][1] == 0.0
        assert 0.0 <= dry[flag][0] <= sim.t
    assert dry[False][0] > 0.0
    assert dry[True][0] < dry[False][0]
