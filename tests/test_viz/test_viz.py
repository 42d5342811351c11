"""Headless rendering (SDL dummy driver): colours where they belong, live = replay, controls, CLI."""

import os
import subprocess
import sys

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest
import shapely
from dronesim.maps import Buildings, City, Depot, NoFlyZone
from dronesim.sim.snapshot import Snapshot
from dronesim.sim.vocabulary import RETURNING, STATE_NAMES, TAKEOFF, TO_DROPOFF
from dronesim.viz.draw import GROUND, STATE_COLOURS, ZONE_ACTIVE, ZONE_PERMANENT, DrawOptions
from dronesim.viz.export import render_snapshot
from dronesim.viz.scene import Camera, Scene


def _city():
    return City(
        name="test",
        bounds_m=(0.0, 0.0, 1000.0, 1000.0),
        buildings=Buildings([shapely.box(700, 700, 760, 760)], [50.0]),
        zones=(
            NoFlyZone("gov", shapely.box(100, 100, 300, 300)),
            NoFlyZone(
                "event",
                shapely.box(600, 100, 900, 300),
                kind="event",
                active_from_s=100,
                active_until_s=500,
            ),
        ),
        depots=(Depot("hub", 500.0, 500.0, 2),),
    )


def _snapshot(t_s=200.0, position=(500.0, 800.0, 50.0), state=TO_DROPOFF):
    return Snapshot(
        t_s=t_s,
        clock_s=43200.0 + t_s,
        position_m=np.array([position]),
        heading_rad=np.array([0.0]),
        state=np.array([state]),
        battery_fraction=np.array([0.8]),
        payload_kg=np.array([0.5]),
        route_m=(np.array([[500.0, 900.0, 50.0]]),),
        trail_m=(np.array([[500.0, 780.0, 50.0], list(position)]),),
        active_zones=(1,) if 100 <= t_s < 500 else (),
        upcoming_zones=(1,) if t_s < 100 else (),
        zone_countdown_s={1: 100 - t_s} if t_s < 100 else {},
        order_pickup_m=np.array([[500.0, 500.0]]),
        order_dropoff_m=np.array([[300.0, 800.0]]),
        order_created_s=np.array([0.0]),
        order_deadline_s=np.array([1800.0]),
        order_carried=np.array([True]),
        order_drone=np.array([0]),
        depot_pads=np.array([2]),
        depot_in_use=np.array([1]),
        depot_queue=np.array([0]),
        delivered=3,
        late=1,
        failed=0,
        pending=1,
        energy_used_wh=1234.0,
        separation_losses=2,
        state_names=STATE_NAMES,
    )


SIZE = (800, 800)


def _render(snapshot, **options):
    scene = Scene.from_city(_city())
    camera = Camera((500.0, 500.0), 0.8, SIZE)
    surface = render_snapshot(snapshot, scene, SIZE, DrawOptions(legend=False, **options), camera)
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2), camera  # rows, columns, rgb


def _blend(base, colour, alpha):
    return np.array(base) * (1 - alpha / 255) + np.array(colour) * alpha / 255


def test_zone_colours_fill_their_areas():
    frame, camera = _render(_snapshot(200.0))
    x, y = camera.to_screen((200.0, 150.0)).astype(
        int
    )  # inside the permanent zone, clear of labels
    assert np.allclose(frame[y, x], _blend(GROUND, ZONE_PERMANENT, 60), atol=3)
    x, y = camera.to_screen((850.0, 130.0)).astype(int)  # inside the active temporary zone
    assert np.allclose(frame[y, x], _blend(GROUND, ZONE_ACTIVE, 95), atol=3)
    before, _ = _render(_snapshot(50.0))  # not active yet: ground inside, a dashed outline
    assert np.allclose(before[y, x], GROUND, atol=1)


def test_drone_is_drawn_in_its_state_colour_at_its_position():
    for state in (TAKEOFF, TO_DROPOFF, RETURNING):
        frame, camera = _render(_snapshot(state=state))
        x, y = camera.to_screen((500.0, 800.0)).astype(int)
        patch = frame[y - 3 : y + 4, x - 3 : x + 4].reshape(-1, 3)
        assert (np.abs(patch - np.array(STATE_COLOURS[state])).sum(axis=1) < 10).sum() >= 5


def test_every_drone_state_has_its_own_colour():
    assert len(STATE_COLOURS) == len(STATE_NAMES)
    assert len(set(STATE_COLOURS)) == len(STATE_COLOURS)


def test_hud_is_drawn():
    frame, _ = _render(_snapshot())
    hud = frame[10:110, 10:400]
    assert (np.abs(hud - np.array(GROUND)).sum(axis=2) > 60).mean() > 0.02  # text on the panel
    empty, _ = _render(_snapshot())
    assert np.array_equal(frame, empty)  # drawing is deterministic


def test_toggles_hide_layers():
    frame, camera = _render(_snapshot(200.0), zones=False, buildings=False)
    x, y = camera.to_screen((200.0, 150.0)).astype(int)
    assert np.allclose(frame[y, x], GROUND, atol=1)
    x, y = camera.to_screen((730.0, 730.0)).astype(int)
    assert np.allclose(frame[y, x], GROUND, atol=1)


def test_camera_zooms_about_the_cursor_and_pans():
    camera = Camera((500.0, 500.0), 1.0, (800, 600))
    anchor = camera.to_world((100, 100))
    zoomed = camera.zoomed(2.0, (100, 100))
    assert np.allclose(zoomed.to_world((100, 100)), anchor)
    assert zoomed.pixels_per_m == 2.0
    panned = camera.panned(50, -20)
    assert np.allclose(panned.to_screen(camera.to_world((400, 300))), (450, 280))


def test_live_and_replay_draw_the_same_frame(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test_sim"))
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import Recording, write_recording
    from dronesim.sim.scenario import from_toml_text
    from dronesim.viz.export import scene_for
    from tiny import TINY

    simulation = Simulation(from_toml_text(TINY, "tiny.toml"), duration_s=1100)
    simulation.step_to(1000.0)
    live = simulation.snapshot()
    simulation.step_to(1100.0)
    write_recording(simulation, tmp_path / "run.npz")
    replay = Recording.load(tmp_path / "run.npz").snapshot(1000.0)
    scene = scene_for(simulation.city)
    camera = Camera.fit(scene.bounds_m, (640, 480))
    a = pygame.surfarray.array3d(
        render_snapshot(live, scene, (640, 480), DrawOptions(selected=2), camera)
    )
    b = pygame.surfarray.array3d(
        render_snapshot(replay, scene, (640, 480), DrawOptions(selected=2), camera)
    )
    assert np.array_equal(a, b)


def test_app_loop_handles_controls_headless(tmp_path):
    from dronesim.viz.app import ReplaySource, run_app

    class FakeRecording:
        time_span = (0.0, 1000.0)

        def snapshot(self, t):
            return _snapshot(t)

    source = ReplaySource(FakeRecording())
    scene_city = _city()
    script = {
        1: [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0)],
        2: [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_PLUS, mod=0)] * 3,
        3: [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=pygame.KMOD_SHIFT)],
        4: [
            pygame.event.Event(pygame.KEYDOWN, key=pygame.K_b, mod=0),
            pygame.event.Event(pygame.KEYDOWN, key=pygame.K_l, mod=0),
        ],
        5: [pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=1, flipped=False)],
        6: [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0)],
        7: [pygame.event.Event(pygame.VIDEORESIZE, size=(900, 700), w=900, h=700)],
    }

    def on_frame(index):
        for event in script.get(index, []):
            pygame.event.post(event)

    options = run_app(
        source,
        scene_city,
        "test",
        speed=10.0,
        max_frames=10,
        screenshot_dir=tmp_path,
        on_frame=on_frame,
    )
    assert options.paused and options.speed == 80.0 and not options.buildings and not options.legend
    assert source.t == pytest.approx(
        300.0, abs=0.1
    )  # shift+right: 5 minutes (paused after frame 1)
    assert list(tmp_path.glob("dronesim-*.png"))


def test_render_cli_writes_png_and_gif_and_rejects_bad_input(tmp_path, capsys):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test_sim"))
    from dronesim.sim.cli import main
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import write_recording
    from dronesim.sim.scenario import from_toml_text
    from tiny import TINY

    simulation = Simulation(from_toml_text(TINY, "tiny.toml"), duration_s=600)
    simulation.run()
    recording = tmp_path / "run.npz"
    write_recording(simulation, recording)
    assert (
        main(
            [
                "render",
                str(recording),
                "--at",
                "300",
                "--out",
                str(tmp_path / "f.png"),
                "--size",
                "640x400",
            ]
        )
        == 0
    )
    assert pygame.image.load(str(tmp_path / "f.png")).get_size() == (640, 400)
    pytest.importorskip("PIL")
    assert (
        main(
            [
                "render",
                str(recording),
                "--gif",
                str(tmp_path / "a.gif"),
                "--from",
                "0",
                "--to",
                "120",
                "--fps",
                "10",
                "--size",
                "320x200",
            ]
        )
        == 0
    )
    assert (tmp_path / "a.gif").read_bytes()[:3] == b"GIF"
    capsys.readouterr()
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    for argv, message in (
        (
            ["render", str(tmp_path / "none.npz"), "--at", "1", "--out", "x.png"],
            "none.npz: no such file",
        ),
        (
            ["render", str(tmp_path / "bad.npz"), "--at", "1", "--out", "x.png"],
            "bad.npz: corrupt recording",
        ),
        (
            ["render", str(recording), "--at", "9999", "--out", "x.png"],
            "time 9999 s lies outside the recording [0, 600] s",
        ),
        (
            ["render", str(recording), "--at", "10", "--out", "x.png", "--size", "big"],
            "--size: expected WIDTHxHEIGHT",
        ),
        (["replay", str(tmp_path / "none.npz")], "none.npz: no such file"),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_replay_without_a_display_says_to_use_render(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test_sim"))
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import write_recording
    from dronesim.sim.scenario import from_toml_text
    from tiny import TINY

    simulation = Simulation(from_toml_text(TINY, "tiny.toml"), duration_s=120)
    simulation.run()
    write_recording(simulation, tmp_path / "run.npz")
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")
    }
    environment["SDL_VIDEODRIVER"] = "x11"
    result = subprocess.run(
        [sys.executable, "-m", "dronesim.sim.cli", "replay", str(tmp_path / "run.npz")],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert "use 'dronesim render'" in result.stderr and "Traceback" not in result.stderr


def test_live_view_advances_the_simulation_and_finishes_the_run():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test_sim"))
    from dronesim.sim.engine import Simulation
    from dronesim.sim.scenario import from_toml_text
    from dronesim.viz.app import run_live
    from tiny import TINY

    simulation = Simulation(from_toml_text(TINY, "tiny.toml"), duration_s=400)
    seen = []
    report = run_live(
        simulation, speed=4000.0, max_frames=6, on_frame=lambda index: seen.append(simulation.t)
    )
    assert seen[-1] > seen[0]  # the window moved simulated time forwards
    assert (
        report.sim_seconds == 400
        and report.orders_created
        == report.orders_delivered + report.orders_failed + report.orders_pending
    )


def test_pairs_in_loss_of_separation_are_ringed_and_joined_in_red():
    import dataclasses

    from dronesim.viz.draw import LOSS

    one = _snapshot()
    two = dataclasses.replace(
        one,
        position_m=np.array([[400.0, 800.0, 50.0], [600.0, 800.0, 55.0]]),
        heading_rad=np.zeros(2),
        state=np.array([TO_DROPOFF, RETURNING]),
        battery_fraction=np.array([0.8, 0.7]),
        payload_kg=np.zeros(2),
        route_m=(np.empty((0, 3)), np.empty((0, 3))),
        trail_m=(np.empty((0, 3)), np.empty((0, 3))),
    )
    marked = dataclasses.replace(two, loss_pairs=np.array([[0, 1]]))
    frame, camera = _render(marked)
    plain, _ = _render(two)
    x, y = camera.to_screen((500.0, 800.0)).astype(int)  # midway along the line
    assert (np.abs(frame[y - 2 : y + 3, x] - np.array(LOSS)).sum(axis=1) < 10).any()
    assert not (np.abs(plain[y - 2 : y + 3, x] - np.array(LOSS)).sum(axis=1) < 10).any()
    x, y = camera.to_screen((400.0, 800.0)).astype(int)
    ring = frame[y - 16 : y + 17, x - 16 : x + 17].reshape(-1, 3)
    assert (np.abs(ring - np.array(LOSS)).sum(axis=1) < 10).sum() > 40


def test_n_jumps_to_the_next_loss_in_replay_and_live(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test_sim"))
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import Recording, write_recording
    from dronesim.sim.scenario import from_toml_text
    from dronesim.viz.app import LiveSource, ReplaySource, run_app
    from tiny import TINY

    scenario = from_toml_text(TINY + '\n[deconfliction]\npolicy = "none"\n', "tiny.toml")
    simulation = Simulation(scenario, duration_s=900)
    simulation.run()
    write_recording(simulation, tmp_path / "run.npz")
    recording = Recording.load(tmp_path / "run.npz")
    starts = np.unique(recording.losses.start_s)
    assert len(starts) >= 2
    source = ReplaySource(recording)
    press = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_n, mod=0)
    options = run_app(
        source,
        recording.city,
        "test",
        max_frames=4,
        on_frame=lambda index: pygame.event.post(press) if index in (1, 2) else None,
    )
    assert options.paused
    assert starts[1] < source.t <= starts[1] + 1e-3  # two presses: the second loss
    assert len(source.snapshot().loss_pairs) >= 1

    live = LiveSource(Simulation(scenario, duration_s=900))
    assert live.next_loss()
    first = live.simulation.separation_log().start_s[0]
    assert first == starts[0] and first <= live.t < first + scenario.time_step_s + 1e-9
