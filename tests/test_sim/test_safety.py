"""Safety of flown paths: escapes out of pop-up zones, hand-overs, every segment against
every zone and building.

Runs are checked with the independent geometry of `safety_check` (shapely, written from
the definitions, sharing no code with `sim/audit.py`); the engine's own audit is checked
against hand-made trajectories with known answers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely
from dronesim.maps import Airspace, NoFlyZone
from dronesim.maps.features import Buildings
from dronesim.sim import audit, engine
from dronesim.sim.engine import Simulation
from dronesim.sim.report import build_report
from dronesim.sim.routing import LayerRouter
from dronesim.sim.scenario import load_scenario
from safety_check import building_intrusions, dropoffs_on_footprints, zone_entries

POPUP_DURATION_S = 2700.0


def popup_zones(airspace: Airspace) -> tuple[NoFlyZone, ...]:
    """The issue's three pop-up zones over the generated city (seed 7), in place of its
    own temporary zone: a 1,400 m square over the centre (900-1,500 s, 20 m buffer), an
    800 m square with a 40-80 m band (1,800-2,400 s), a 300 m square over a depot
    (2,000-2,600 s)."""
    xmin, ymin, xmax, ymax = airspace.bounds_m
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    depot = airspace.depots[0]
    return tuple(zone for zone in airspace.zones if not zone.is_temporary) + (
        NoFlyZone(
            "popup-centre",
            shapely.box(cx - 700, cy - 700, cx + 700, cy + 700),
            buffer_m=20.0,
            kind="temporary",
            active_from_s=900.0,
            active_until_s=1500.0,
        ),
        NoFlyZone(
            "popup-band",
            shapely.box(cx, cy - 600, cx + 800, cy + 200),
            floor_m=40.0,
            ceiling_m=80.0,
            kind="temporary",
            active_from_s=1800.0,
            active_until_s=2400.0,
        ),
        NoFlyZone(
            "popup-depot",
            shapely.box(depot.x_m - 150, depot.y_m - 150, depot.x_m + 150, depot.y_m + 150),
            kind="temporary",
            active_from_s=2000.0,
            active_until_s=2600.0,
        ),
    )


def popup_simulation(duration_s: float = POPUP_DURATION_S) -> Simulation:
    """The demo scenario's city (generated, seed 7) with the pop-up zones."""
    build = engine.build_world

    def with_popups(scenario, **kwargs):
        city, airspace = build(scenario, **kwargs)
        return city, airspace.replace(zones=popup_zones(airspace))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "build_world", with_popups)
        return Simulation(load_scenario("demo"), duration_s=duration_s)


@pytest.fixture(scope="module")
def popup_run():
    simulation = popup_simulation()
    assert simulation.scenario.map.seed == 7 and simulation.scenario.map.generator == "city"
    report = simulation.run()
    return simulation, report


@pytest.fixture(scope="module")
def demo_run():
    simulation = Simulation(load_scenario("demo"))
    return simulation, simulation.run()


def independent_check(simulation):
    drone, t, xyz, _ = simulation.trajectory()
    a = simulation.airspace
    zones = zone_entries(drone, t, xyz, a.zones)
    buildings = building_intrusions(
        drone, t, xyz, a.buildings, a.horizontal_clearance_m, a.vertical_clearance_m
    )
    return zones, buildings


def test_popup_zones_escapes_enter_no_zone_and_no_building(popup_run):
    simulation, report = popup_run
    zones, buildings = independent_check(simulation)
    assert zones == [], f"zone entries (drone, t, zone): {zones[:5]}"
    assert buildings == [], f"building intrusions (drone, t, building): {buildings[:5]}"
    assert report.zone_escapes > 0  # the case is exercised
    assert report.nofly_violations == 0
    assert report.building_intrusions == 0
    assert report.escape_failures == 0


def test_popup_escapes_leave_the_zone_that_switched_on(popup_run):
    simulation, _ = popup_run
    drone, t, xyz, _ = simulation.trajectory()
    zones = simulation.airspace.zones
    escapes = simulation.log.escapes
    assert escapes
    for escape in escapes:
        mine = (drone == escape.drone) & (t >= escape.from_s) & (t <= escape.until_s)
        start, end = xyz[mine][0], xyz[mine][-1]
        for index in escape.zones:
            zone = zones[index]
            inside = shapely.dwithin(shapely.Point(*start[:2]), zone.geometry, zone.buffer_m)
            assert inside and zone.floor_m <= start[2] <= zone.ceiling_m
            out = not shapely.dwithin(shapely.Point(*end[:2]), zone.geometry, zone.buffer_m)
            assert out or not zone.floor_m <= end[2] <= zone.ceiling_m


def test_demo_flies_clear_of_zones_and_buildings_and_drops_on_open_ground(demo_run):
    simulation, report = demo_run
    zones, buildings = independent_check(simulation)
    assert zones == []
    assert buildings == []
    assert report.nofly_violations == 0 and report.building_intrusions == 0
    assert len(simulation.orders) > 100
    assert dropoffs_on_footprints(simulation.orders.dropoff_xy, simulation.airspace.buildings) == 0
    # Open ground means out of the horizontal clearance too (the hover at 10 m).
    a = simulation.airspace
    points = shapely.points(simulation.orders.dropoff_xy)
    footprints = np.asarray(a.buildings.footprints)
    near = shapely.STRtree(footprints).query(
        points, predicate="dwithin", distance=a.horizontal_clearance_m
    )
    assert near.shape[1] == 0


def test_city_day_lunch_flies_clear_of_zones_and_buildings_and_drops_on_open_ground():
    """The other bundled scenario (10 x 10 km, 500 drones) for half an hour at lunch."""
    scenario = load_scenario("city-day")
    scenario = dataclasses.replace(
        scenario, demand=dataclasses.replace(scenario.demand, start_hour=12)
    )
    simulation = Simulation(scenario, duration_s=1800.0)
    report = simulation.run()
    assert report.orders_delivered > 100
    zones, buildings = independent_check(simulation)
    assert zones == [] and buildings == []
    assert report.nofly_violations == 0 and report.building_intrusions == 0
    assert dropoffs_on_footprints(simulation.orders.dropoff_xy, simulation.airspace.buildings) == 0


def test_dropoffs_are_the_same_for_the_same_seed():
    scenario = load_scenario("demo")
    first = Simulation(scenario, duration_s=1800.0).orders.dropoff_xy
    second = Simulation(scenario, duration_s=1800.0).orders.dropoff_xy
    assert np.array_equal(first, second)


# ---------------------------------------------------------------------- the audit itself
def _trajectory(*paths):
    """Arrays ``(drone, t_s, xyz_m)`` of paths given as lists of ``(t, x, y, z)``."""
    drone = np.concatenate([np.full(len(p), d) for d, p in enumerate(paths)])
    rows = np.array([row for p in paths for row in p], dtype=float)
    return drone, rows[:, 0], rows[:, 1:]


BUILDINGS = Buildings([shapely.box(100, 100, 140, 140)], np.array([15.0]))  # top 25 m


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([(0, 0, 120, 20), (10, 300, 120, 20)], 1),  # across, below roof + clearance
        ([(0, 0, 120, 26), (10, 300, 120, 26)], 0),  # above it
        ([(0, 0, 143, 20), (10, 300, 143, 20)], 1),  # 3 m beside: inside the clearance
        ([(0, 0, 150, 20), (10, 300, 150, 20)], 0),  # 10 m beside
        ([(0, 120, 120, 30), (10, 120, 120, 10)], 1),  # descent onto the roof area
        ([(0, 143, 120, 10), (45, 143, 120, 10)], 1),  # hover at 10 m in the clearance
        ([(0, 0, 0, 0), (45, 0, 0, 0)], 0),  # standing on the ground is not flying
        ([(0, 60, 120, 0), (10, 160, 120, 50)], 1),  # a climbing diagonal through it
    ],
)
def test_audit_counts_building_intrusions(path, expected):
    drone, t, xyz = _trajectory(path)
    segments, owner = audit.building_intrusions(drone, t, xyz, BUILDINGS, 5.0, 10.0)
    assert len(segments) == expected
    assert (owner == 0).all()


ZONES = (
    NoFlyZone("a", shapely.box(0, 0, 100, 100), buffer_m=10.0, active_from_s=100.0),
    NoFlyZone("b", shapely.box(200, 0, 300, 100), floor_m=40, ceiling_m=80),
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([(0, -50, 50, 30), (10, 350, 50, 30)], []),  # a not on yet, b's band above
        ([(110, -50, 50, 30), (120, 350, 50, 30)], [0]),  # a on now
        ([(110, -50, 50, 60), (120, 350, 50, 60)], [0, 1]),  # in both bands
        ([(110, -50, 105, 30), (120, 350, 105, 30)], [0]),  # 5 m beside a: its buffer
        ([(110, 50, 50, 10), (155, 50, 50, 10)], [0]),  # a hover inside a
        ([(90, 50, 50, 10), (110, 50, 50, 10)], [0]),  # a hover that a switches on over
        ([(90, 50, 50, 10), (100, 50, 50, 10)], []),  # ... ending as it switches on
        ([(110, 250, 50, 20), (120, 250, 50, 100)], [1]),  # a climb through b's band
        ([(110, 250, 50, 10), (120, 250, 50, 30)], []),  # a climb below b's band
    ],
)
def test_audit_counts_zone_intrusions(path, expected):
    drone, t, xyz = _trajectory(path)
    _, zone = audit.zone_intrusions(drone, t, xyz, ZONES)
    assert sorted(zone.tolist()) == expected


def test_audit_exempts_an_escape_only_from_the_zone_it_leaves():
    # Out of "a" (switched on at 100 s), then through "b" in its band.
    drone, t, xyz = _trajectory([(100, 50, 50, 60), (110, 150, 50, 60), (120, 250, 50, 60)])
    _, zone = audit.zone_intrusions(drone, t, xyz, ZONES, [audit.Escape(0, 100.0, 120.0, (0,))])
    assert zone.tolist() == [1]
    _, zone = audit.zone_intrusions(drone, t, xyz, ZONES, [audit.Escape(0, 100.0, 110.0, (0,))])
    assert zone.tolist() == [1]
    _, zone = audit.zone_intrusions(drone, t, xyz, ZONES, [audit.Escape(1, 100.0, 120.0, (0,))])
    assert sorted(zone.tolist()) == [0, 1]  # another drone's escape exempts nothing


def test_report_counts_an_injected_violation(tiny_scenario):
    """The report cannot say 0 when the flown path goes through a building and a zone."""
    simulation = Simulation(tiny_scenario, duration_s=300.0)
    simulation.run()
    assert simulation.nofly_violations() == 0 and simulation.building_intrusions() == 0
    a = simulation.airspace
    tallest = int(np.argmax(a.buildings.heights_m))
    inside = a.buildings.footprints[tallest].representative_point()
    zone = next(z for z in a.zones if not z.is_temporary and z.floor_m == 0)
    over = zone.geometry.representative_point()
    drone, t, xyz, wh = simulation.trajectory()
    d = int(drone[-1])
    extra_t = simulation.t + np.array([10.0, 20.0, 30.0])
    extra = np.array(
        [
            [inside.x, inside.y, 5.0],
            [inside.x, inside.y, a.buildings.heights_m[tallest] - 1.0],
            [over.x, over.y, 20.0],
        ]
    )
    injected = (
        np.concatenate([drone, np.full(3, d, drone.dtype)]),
        np.concatenate([t, extra_t]),
        np.concatenate([xyz, extra]),
        np.concatenate([wh, np.full(3, wh[-1])]),
    )
    order = np.lexsort((injected[1], injected[0]))
    injected = tuple(array[order] for array in injected)
    simulation.trajectory = lambda: injected
    report = build_report(simulation, 0.0)
    assert report.building_intrusions >= 1
    assert report.nofly_violations >= 1


# ---------------------------------------------------------------------- escape planning
def _escape_airspace() -> Airspace:
    """400 x 200 m, 10 m cells, layers 30 and 50 m. A temporary zone T over x 100-300
    (on from 0 s) and a permanent full-height zone P over x 40-90 just west of it."""
    zones = (
        NoFlyZone("P", shapely.box(40, 0, 90, 200), kind="government"),
        NoFlyZone("T", shapely.box(100, 0, 300, 200), kind="temporary", active_from_s=0.0),
    )
    return Airspace(
        origin_m=(0.0, 0.0),
        cell_size_m=10.0,
        nx=40,
        ny=20,
        layers_m=(30.0, 50.0),
        ceiling_m=60.0,
        zones=zones,
    )


def _router(airspace):
    return LayerRouter(airspace, 10.0, "astar", True, {"planning": 0.0})


def test_escape_goes_the_long_way_round_a_permanent_zone():
    """The nearest way out of T (west) crosses P; the planned one goes east."""
    airspace = _escape_airspace()
    route = _router(airspace).escape((130.0, 100.0, 30.0), 10.0, (1,), 1)
    assert route is not None
    assert tuple(route[0]) == (130.0, 100.0, 30.0)
    line = shapely.LineString(route[:, :2])
    assert not line.intersects(airspace.zones[0].geometry)
    assert route[-1, 0] > 300.0
    assert not shapely.Point(route[-1, :2]).intersects(airspace.zones[1].geometry)
    length = np.linalg.norm(np.diff(route, axis=0), axis=1).sum()
    assert length < 200.0  # about 185 m: the shortest way east, not a detour


def test_escape_of_a_low_drone_climbs_in_its_own_column_first():
    airspace = _escape_airspace()
    route = _router(airspace).escape((250.0, 100.0, 10.0), 10.0, (1,), 1)
    assert route is not None
    assert np.allclose(route[1], (250.0, 100.0, 30.0))


def test_escape_refuses_a_climb_through_another_zone():
    """A drone at 10 m in T under a zone B with a 20-40 m band: every climb to a layer
    passes through B, so there is no safe way (and it does not climb through B)."""
    airspace = _escape_airspace()
    b = NoFlyZone("B", shapely.box(240, 90, 260, 110), floor_m=20.0, ceiling_m=40.0)
    airspace = airspace.replace(zones=(*airspace.zones, b))
    assert _router(airspace).escape((250.0, 100.0, 10.0), 10.0, (1,), 1) is None
    # Away from B the same drone climbs and leaves.
    assert _router(airspace).escape((150.0, 100.0, 10.0), 10.0, (1,), 1) is not None


def test_a_drone_with_no_safe_way_holds_and_the_report_says_so(monkeypatch):
    monkeypatch.setattr(LayerRouter, "escape", lambda self, *args: None)
    simulation = popup_simulation(duration_s=1200.0)
    report = simulation.run()
    assert report.escape_failures > 0
    assert report.zone_escapes == 0
    # Holding inside the zone that switched on is inside an active zone: counted.
    assert report.nofly_violations > 0
    zones, _ = independent_check(simulation)
    assert zones
