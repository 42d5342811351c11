import math

import numpy as np
import pytest
from dronesim.maps import generate_city
from dronesim.planners import (
    PLANNERS,
    FlightPath,
    GridAStar,
    PlanningGrid,
    PlanStatus,
    get_planner,
    plan_cells,
    plan_many,
    plan_route,
    register,
)
from dronesim.planners.plugins import PluginError
from dronesim.planners.registry import PlannerRegistry, load_planner
from planner_cases import random_pairs

EVENT_T_S = 4000.0  # inside the generated city's event window


@pytest.fixture(scope="module")
def city_grid():
    city = generate_city(2)
    airspace = city.to_airspace(20.0)
    return airspace, PlanningGrid(airspace, t_s=EVENT_T_S, climb_penalty_per_m=2.0)


SAFE = [
    name
    for name in PLANNERS.names()
    if get_planner(name).respects_airspace and name not in ("jps",)
]


@pytest.mark.parametrize("name", SAFE)
def test_every_path_validates_against_zones_and_buildings(city_grid, name):
    airspace, grid = city_grid
    found = 0
    for start, goal in random_pairs(grid, 12, 5):
        path = plan_cells(grid, start, goal, name)
        if path.found:
            found += 1
            assert path.violations(airspace, EVENT_T_S) == []
            assert path.length_m >= math.dist(path.waypoints_m[0], path.waypoints_m[-1]) - 1e-9
            assert path.planner == name
    assert found >= 8


def test_validation_catches_a_path_through_a_zone_and_a_building(city_grid):
    airspace, _ = city_grid
    airport = next(zone for zone in airspace.zones if zone.kind == "airport")
    centre = airport.geometry.centroid
    through_zone = FlightPath(
        "hand",
        PlanStatus.FOUND,
        np.array([[centre.x - 500, centre.y, 50.0], [centre.x + 500, centre.y, 50.0]]),
        np.empty((0, 3), np.int64),
        1000.0,
        1000.0,
        0,
    )
    assert any("airport" in v for v in through_zone.violations(airspace))
    with pytest.raises(ValueError, match="enters no-fly zone 'airport'"):
        through_zone.validate(airspace)
    tallest = int(np.argmax(airspace.buildings.heights_m))
    point = airspace.buildings.footprints[tallest].representative_point()
    through_building = FlightPath(
        "hand",
        PlanStatus.FOUND,
        np.array([[point.x - 80, point.y, 70.0], [point.x + 80, point.y, 70.0]]),
        np.empty((0, 3), np.int64),
        160.0,
        160.0,
        0,
    )
    assert any(f"building {tallest}" in v for v in through_building.violations(airspace))
    event = next(zone for zone in airspace.zones if zone.is_temporary)
    c = event.geometry.centroid
    through_event = FlightPath(
        "hand",
        PlanStatus.FOUND,
        np.array([[c.x - 10, c.y, 110.0], [c.x + 10, c.y, 110.0]]),
        np.empty((0, 3), np.int64),
        20.0,
        20.0,
        0,
    )
    assert through_event.violations(airspace, t_s=0.0) == []
    assert through_event.violations(airspace, t_s=EVENT_T_S)


def test_plan_route_in_world_coordinates_starts_and_ends_exactly(city_grid):
    airspace, grid = city_grid
    depot = airspace.depots[0]
    start = (depot.x_m + 3.0, depot.y_m - 2.0, 30.0)
    goal = (airspace.depots[1].x_m, airspace.depots[1].y_m, 48.0)
    path = plan_route(grid, start, goal, "theta")
    assert path.found
    assert np.allclose(path.waypoints_m[0], start) and np.allclose(path.waypoints_m[-1], goal)
    assert path.violations(airspace, EVENT_T_S) == []


@pytest.mark.parametrize(
    "point, message",
    [
        ((-10.0, 50.0, 30.0), r"goal \(-10.0, 50.0\) m lies outside the map"),
        ((100.0, 100.0, 500.0), "goal altitude 500.0 m lies outside"),
        ((math.nan, 1.0, 30.0), "coordinates must be finite"),
        ("here", "expected \\(x, y, z\\) in metres"),
    ],
)
def test_plan_route_raises_on_bad_points(city_grid, point, message):
    _, grid = city_grid
    depot = grid.airspace.depots[0]
    with pytest.raises(ValueError, match=message):
        plan_route(grid, (depot.x_m, depot.y_m, 30.0), point)


def test_plan_route_names_the_zone_a_goal_lies_in(city_grid):
    airspace, grid = city_grid
    depot = airspace.depots[0]
    for zone in airspace.zones:
        c = zone.geometry.representative_point()
        with pytest.raises(ValueError, match=f"blocked cell: .*no-fly zone '{zone.name}'"):
            plan_route(grid, (depot.x_m, depot.y_m, 30.0), (c.x, c.y, 50.0))


def test_unreachable_goal_is_a_status():
    from dronesim.maps import Airspace

    blocked = np.zeros((1, 5, 5), np.uint8)
    blocked[0, 2, :] = 1
    grid = PlanningGrid(Airspace.from_grid(blocked))
    for name in ("astar", "theta", "networkx", "astar-weighted"):
        path = plan_cells(grid, (0, 0, 0), (0, 4, 4), name)
        assert (
            path.status == PlanStatus.UNREACHABLE
            and not path.found
            and path.waypoints_m.shape == (0, 3)
        )


def test_plan_many_equals_plan_cells(city_grid):
    _, grid = city_grid
    pairs = random_pairs(grid, 15, 9)
    many = plan_many(grid, [s for s, _ in pairs], [g for _, g in pairs], "astar")
    for (start, goal), path in zip(pairs, many):
        alone = plan_cells(grid, start, goal, "astar")
        assert path.cost == alone.cost and np.array_equal(path.waypoints_m, alone.waypoints_m)


class StraightLine:
    """A user's planner: flies straight when the line of sight is clear."""

    name = "straight-line"
    respects_airspace = True

    def plan(self, grid, start, goal):
        clear, cost = grid.line_of_sight(start, goal)
        if not clear:
            return FlightPath.not_found(self.name, PlanStatus.UNREACHABLE, 0)
        return FlightPath.from_cells(
            grid.airspace, np.array([start, goal]), planner=self.name, cost=cost, expansions=0
        )


def test_registry_takes_user_planners_by_object_and_by_import_spec(city_grid):
    registry = PlannerRegistry()
    registry.register(StraightLine())
    assert registry.names() == ["straight-line"]
    with pytest.raises(ValueError, match="already registered"):
        registry.register(StraightLine())
    with pytest.raises(ValueError, match="unknown planner 'nope'; known: straight-line"):
        registry.get("nope")
    with pytest.raises(ValueError, match="needs a 'name' and a 'plan"):
        registry.register(object())
    # A name never imports what it spells: module:attribute loads only through
    # load_planner, which the command line calls on what the user typed.
    with pytest.raises(PluginError, match="unknown planner 'test_paths_and_registry:"):
        registry.get("test_paths_and_registry:StraightLine")
    loaded = load_planner("test_paths_and_registry:StraightLine")
    assert loaded.name == "straight-line"
    with pytest.raises(PluginError, match="cannot load"):
        load_planner("no_such_module:Thing")
    _, grid = city_grid
    start, goal = random_pairs(grid, 1, 3)[0]
    assert plan_cells(grid, start, start, loaded).found


def test_shared_registry_has_the_named_planners():
    assert {"astar", "astar-weighted", "theta", "networkx", "jps", "astar-plain"} <= set(
        PLANNERS.names()
    )
    custom = GridAStar("astar-w3-test", weight=3.0)
    register(custom)
    try:
        assert get_planner("astar-w3-test") is custom
    finally:
        # The registry has no unregister (plug-ins stay for the process's life).
        PLANNERS.unregister("astar-w3-test")
