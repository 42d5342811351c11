"""Vertiports and the deconfliction plug-in shape, checked by rules written here: pad
geometry against shapely, column use from the flown trajectory, the column schedule
against brute force, and the registry through the command line."""

import dataclasses
import itertools

import numpy as np
import pytest
import shapely
from cli_checks import assert_one_line_error
from cli_checks import run as run_cli
from dronesim.sim.deconfliction import (
    DECONFLICTION,
    LayerPolicy,
    register_deconfliction,
    unregister_deconfliction,
)
from dronesim.sim.engine import Simulation
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vertiports import ColumnSchedule, Reservation, pad_positions
from tiny import TINY


def _pairwise_min(points: np.ndarray) -> float:
    if len(points) < 2:
        return np.inf
    return min(float(np.hypot(*(a - b))) for a, b in itertools.combinations(points, 2))


@pytest.mark.parametrize("layout", ["ring", "grid"])
@pytest.mark.parametrize("pads", [1, 2, 3, 4, 6, 9, 12])
def test_pad_positions_are_distinct_and_apart_from_each_other_and_the_depot_point(layout, pads):
    spacing = 36.0
    xy = pad_positions(100.0, -50.0, pads, layout, spacing)
    assert xy.shape == (pads, 2)
    assert _pairwise_min(xy) >= spacing
    assert np.hypot(xy[:, 0] - 100.0, xy[:, 1] + 50.0).min() >= spacing
    # Compact: every pad within a few spacings of the depot point.
    assert np.hypot(xy[:, 0] - 100.0, xy[:, 1] + 50.0).max() <= spacing * (1 + pads / 2)


@pytest.mark.parametrize("layout", ["ring", "grid"])
def test_pads_of_a_run_stand_apart_on_open_ground_with_free_columns(tiny_scenario, layout):
    scenario = tiny_scenario.replace(map=dataclasses.replace(tiny_scenario.map, pad_layout=layout))
    s = Simulation(scenario, duration_s=60.0)
    a = s.airspace
    horizontal = scenario.separation.horizontal_m
    footprints = shapely.union_all(a.buildings.footprints)
    for depot, pads in zip(a.depots, s.pads_xy):
        assert len(pads) == depot.pads
        assert _pairwise_min(pads) >= horizontal
        for x, y in pads:
            point = shapely.Point(x, y)
            # Open ground: outside every building by the clearance, outside every
            # permanent zone; and the air above it free up to the highest cruise layer.
            assert point.distance(footprints) >= a.horizontal_clearance_m
            # (every building reaches the ground, so the first check holds for the column)
            top = a.layers_m[s.top_layer]
            for zone in a.zones:
                if not zone.is_temporary and zone.floor_m <= top:
                    assert not zone.geometry.buffer(zone.buffer_m).intersects(point)


def _positions(simulation, times):
    """Every drone's position at ``times`` by linear interpolation of the flown path."""
    drone, t, xyz, _ = simulation.trajectory()
    out = np.full((simulation.n_drones, len(times), 3), np.nan)
    for d in range(simulation.n_drones):
        mine = drone == d
        for c in range(3):
            out[d, :, c] = np.interp(times, t[mine], xyz[mine, c], left=np.nan, right=np.nan)
    return out


@pytest.fixture(scope="module")
def busy_run(tiny_scenario):
    # Twice the tiny demand: departures and arrivals crowd the pads.
    scenario = tiny_scenario.replace(
        demand=dataclasses.replace(tiny_scenario.demand, scale=2.0),
        duration_s=1800.0,
    )
    simulation = Simulation(scenario)
    report = simulation.run()
    return simulation, report


def test_no_two_drones_use_one_column_at_once(busy_run):
    """Below the lowest cruise layer (climbs, descents, hand-over hovers), two airborne
    drones are never closer than the horizontal minimum, sampled every 0.2 s: a pad or
    drop-off column holds one drone at a time."""
    s, report = busy_run
    horizontal = s.scenario.separation.horizontal_m
    low = s.airspace.layers_m[0]
    times = np.arange(0.0, s.t, 0.2)
    p = _positions(s, times)
    inside = (p[:, :, 2] > 0.0) & (p[:, :, 2] < low - 1e-6)
    shared = 0
    for k in np.flatnonzero(inside.sum(axis=0) >= 2):
        low_drones = np.flatnonzero(inside[:, k])
        xy = p[low_drones, k, :2]
        gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(gaps, np.inf)
        shared += int((gaps < horizontal).any())
    assert shared == 0
    # The run used the pads: take-offs left from several pads of a depot.
    assert report.takeoff_delay_s["departures"] > 10
    drone, t, xyz, _ = s.trajectory()
    starts = xyz[:-1][(xyz[:-1, 2] == 0) & (xyz[1:, 2] > 0) & (drone[:-1] == drone[1:])]
    used = {tuple(np.round(xy, 6)) for xy in starts[:, :2]}
    assert len(used) > len(s.depots_xy)


def test_take_off_delays_are_reported(busy_run):
    _, report = busy_run
    delays = report.takeoff_delay_s
    assert delays["mean"] is not None and 0.0 <= delays["mean"] <= delays["max"]
    assert delays["p90"] <= delays["max"]
    assert report.column_hover_s >= 0.0


def test_column_schedule_earliest_start_matches_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(200):
        buffer = float(rng.uniform(0, 5))
        schedule = ColumnSchedule(30.0, buffer)
        items = []
        for d in range(int(rng.integers(0, 8))):
            x, y = rng.uniform(0, 80, 2)
            a = float(rng.uniform(0, 100))
            items.append(Reservation(d, float(x), float(y), a, a + float(rng.uniform(1, 30))))
        schedule.reserve(items)
        x, y = (float(v) for v in rng.uniform(0, 80, 2))
        start, duration = float(rng.uniform(0, 100)), float(rng.uniform(1, 30))
        found = schedule.earliest(x, y, start, duration, drone=99)

        def free(s0, items=items, x=x, y=y, duration=duration, buffer=buffer):
            for r in items:
                if np.hypot(r.x_m - x, r.y_m - y) < 30.0 and (
                    s0 < r.end_s + buffer and r.start_s < s0 + duration + buffer
                ):
                    return False
            return True

        assert found >= start and free(found)
        # No earlier conflict-free start: candidates are the start and the ends of
        # reservations plus the buffer (a free interval opens only there).
        candidates = [start] + [r.end_s + buffer for r in items if r.end_s + buffer > start]
        assert not any(free(c) for c in candidates if c < found - 1e-9)
        assert not schedule.conflicts(Reservation(99, x, y, found, found + duration))


@dataclasses.dataclass(frozen=True)
class OneLayer(LayerPolicy):
    """A user's policy: every leg on layer 3."""

    name: str = "test-one-layer"
    description: str = "every leg on layer 3"
    asked: list = dataclasses.field(default_factory=list)

    def plan_trip(self, request):
        self.asked.append((request.drone, request.t_s))
        return None  # the normal builder

    def layers_used(self, spec):
        return (3,)

    def leg_layer(self, spec, a_xy, b_xy):
        return 3


def test_a_policy_registered_by_code_is_used_by_a_run(tiny_scenario):
    policy = register_deconfliction(OneLayer())
    try:
        scenario = from_toml_text(
            TINY + "\n[deconfliction]\npolicy = 'test-one-layer'\n", "tiny.toml"
        )
        s = Simulation(scenario, duration_s=1200.0)
        report = s.run()
        assert report.deconfliction == "test-one-layer"
        drone, t, xyz, _ = s.trajectory()
        same = drone[1:] == drone[:-1]
        level = same & np.any(xyz[1:, :2] != xyz[:-1, :2], axis=1) & (xyz[1:, 2] > 0)
        assert level.sum() > 50
        assert set(np.unique(xyz[1:][level, 2])) == {s.airspace.layers_m[3]}
        # The whole-trip hook was asked before every trip started.
        assert len(policy.asked) > 0
    finally:
        unregister_deconfliction("test-one-layer")
    assert "test-one-layer" not in DECONFLICTION


def test_scenario_raises_when_deconfliction_policy_is_unknown(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TINY + "\n[deconfliction]\npolicy = 'telepathy'\n")
    code, out, err = run_cli(capsys, "check", path)
    assert_one_line_error(
        code, out, err, f"{path}: deconfliction.policy: unknown deconfliction policy 'telepathy'"
    )
    assert "layers" in err and "none" in err


def test_scenario_raises_when_time_buffer_is_negative(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TINY + "\n[deconfliction]\ntime_buffer_s = -2\n")
    code, out, err = run_cli(capsys, "check", path)
    assert_one_line_error(code, out, err, f"{path}: deconfliction.time_buffer_s", "-2")


@pytest.mark.parametrize(
    "line, parts",
    [
        ("pad_spacing_m = 400", ("map.pad_spacing_m", "400 m", "do not fit the depot")),
        ("pad_spacing_m = -5", ("map.pad_spacing_m", "-5")),
        ("pad_layout = 'spiral'", ("map.pad_layout", "spiral")),
    ],
)
def test_run_and_check_raise_when_pads_do_not_fit_the_depot(
    capsys, tmp_path, monkeypatch, line, parts
):
    path = tmp_path / "s.toml"
    path.write_text(TINY.replace("[map]", f"[map]\n{line}"))
    code, out, err = run_cli(capsys, "run", path, "--duration", 60)
    assert_one_line_error(code, out, err, str(path), *parts)
    # `check` says the same, without building a run (no fleet, routers or policy state).
    monkeypatch.setattr(Simulation, "__init__", _no_simulation)
    assert run_cli(capsys, "check", path) == (code, out, err)


def _no_simulation(self, *args, **kwargs):
    raise AssertionError("check built a Simulation")


@pytest.mark.parametrize("policy", ["none", "layers", "strategic"])
def test_check_accepts_pads_that_fit_without_building_a_run(capsys, tmp_path, monkeypatch, policy):
    path = tmp_path / "s.toml"
    spacing = "pad_spacing_m = 36\npad_layout = 'grid'"
    path.write_text(
        TINY.replace("[map]", f"[map]\n{spacing}") + f"\n[deconfliction]\npolicy = '{policy}'\n"
    )
    scenario = from_toml_text(path.read_text(), str(path))
    pads = Simulation(scenario, duration_s=60.0).pads_xy
    # The strategic policy's set-up (a distance field per pad) is never reached.
    monkeypatch.setattr(Simulation, "__init__", _no_simulation)
    code, out, err = run_cli(capsys, "check", path)
    assert code == 0 and err == "", err
    assert out == f"{path}: ok: tiny, 8 drones at 2 depots, 0.666667 h, map 75 x 75 cells of 20 m\n"
    from dronesim.sim.engine import check_scenario

    checked = check_scenario(scenario)
    assert len(checked.pads_xy) == len(pads)
    for mine, theirs in zip(checked.pads_xy, pads):
        np.testing.assert_array_equal(mine, theirs)
        assert _pairwise_min(mine) >= 36.0


def test_geojson_depot_keeps_its_own_pad_layout_and_spacing(tmp_path):
    from dronesim.maps import generate_city
    from dronesim.maps.geojson import read_geojson, write_geojson

    city = generate_city(5, width_m=1500, height_m=1500, depots=2, pads_per_depot=3)
    depots = (
        dataclasses.replace(city.depots[0], pad_layout="grid", pad_spacing_m=40.0),
        city.depots[1],
    )
    city = dataclasses.replace(city, depots=depots)
    path = tmp_path / "c.geojson"
    write_geojson(city, path, origin_lonlat=(13.4, 52.5))
    back = read_geojson(path)
    assert (back.depots[0].pad_layout, back.depots[0].pad_spacing_m) == ("grid", 40.0)
    assert (back.depots[1].pad_layout, back.depots[1].pad_spacing_m) == (None, None)


def test_viewer_draws_each_pad_where_it_stands(tiny_scenario, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import pygame
    from dronesim.viz.draw import DEPOT, DrawOptions
    from dronesim.viz.export import render_snapshot, scene_for
    from dronesim.viz.scene import Camera

    s = Simulation(tiny_scenario, duration_s=60.0)
    live = s.snapshot()
    scene = scene_for(s.city)
    size = (400, 400)
    camera = Camera(tuple(s.depots_xy[0]), 2.0, size)

    def frame(snapshot):
        surface = render_snapshot(snapshot, scene, size, DrawOptions(legend=False), camera)
        return pygame.surfarray.array3d(surface).transpose(1, 0, 2)

    with_pads = frame(live)
    without = frame(dataclasses.replace(live, depot_pad_xy_m=()))
    for pad in s.pads_xy[0]:
        x, y = np.round(camera.to_screen(pad)).astype(int)
        patch = with_pads[y - 5 : y + 6, x - 5 : x + 6].reshape(-1, 3)
        bare = without[y - 5 : y + 6, x - 5 : x + 6].reshape(-1, 3)
        assert (np.abs(patch - np.array(DEPOT)).sum(axis=1) < 6).sum() >= 8
        assert (np.abs(bare - np.array(DEPOT)).sum(axis=1) < 6).sum() == 0


def test_a_drop_off_column_in_use_makes_the_next_drone_hover_outside_it():
    from dronesim.planners.energy import DroneModel
    from dronesim.sim.routing import PlanBuilder
    from dronesim.sim.vertiports import sequence

    model = DroneModel()
    params = model.as_array()
    schedule = ColumnSchedule(30.0, 5.0)
    drop = (500.0, 0.0)
    # Drone 0 holds the drop-off column from 100 s to 160 s.
    schedule.reserve([Reservation(0, drop[0], drop[1], 100.0, 160.0)])
    # Drone 1 cruises at 50 m towards it, descends to 10 m, hovers 45 s, climbs back.
    plan = PlanBuilder(0.0, 0.0, 50.0, 0.5)
    plan.move(300.0, 0.0, 50.0, 6)
    plan.move(490.0, 0.0, 50.0, 6)
    plan.move(*drop, 50.0, 6)
    plan.move(*drop, 10.0, 7)
    plan.hold_at(45.0, 7, False)
    plan.move(*drop, 50.0, 6)
    plan.move(0.0, 0.0, 50.0, 6)
    unhindered = plan.timed(params, (0.0, 0.0), 60.0, 100.0)
    arrive = unhindered["t"][3]
    assert arrive < 160.0 + 5.0  # it would reach the column while drone 0 is in it
    result = sequence(plan, params, (0.0, 0.0), 60.0, 100.0, 1, schedule, 30.0)
    t, xyz = result.timed["t"], result.timed["xyz"]
    # Independent of the schedule: from the timed plan, when does drone 1 enter the
    # column (over the drop-off), and where does it hover?
    inside = np.all(xyz[:, :2] == drop, axis=1)
    assert t[int(np.flatnonzero(inside)[0])] >= 160.0 + 5.0 - 1e-9
    still = np.flatnonzero(np.all(xyz[1:] == xyz[:-1], axis=1) & (np.diff(t) > 0))
    waits = [k for k in still if xyz[k, 2] == 50.0]
    assert len(waits) == 1
    k = waits[0]
    assert np.hypot(xyz[k, 0] - drop[0], xyz[k, 1] - drop[1]) >= 30.0
    assert result.hover_wait_s == pytest.approx(t[k + 1] - t[k])
    # The hover costs energy: the plan ends with less battery than the unhindered one.
    assert result.timed["wh"][-1] < unhindered["wh"][-1]
    (mine,) = result.reservations
    assert mine.start_s >= 165.0 - 1e-9 and not schedule.conflicts(mine)
