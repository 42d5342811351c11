"""Outputs and windows: paths checked before a run, the umask's file modes, no display.

Display cases run the command line in a subprocess without ``DISPLAY``/``WAYLAND_DISPLAY``
(and, unlike the rest of the suite, without ``SDL_VIDEODRIVER``), under a timeout: before
the fix those commands opened an invisible off-screen window and never returned.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
from dronesim.sim.cli import main
from dronesim.viz.app import DisplayError, check_display
from tiny import TINY

TIMEOUT_S = 120


@pytest.fixture(scope="module")
def recording(tmp_path_factory, tiny_scenario):
    """A small valid recording (8 drones, 200 s) and its run's report."""
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import write_recording

    simulation = Simulation(tiny_scenario, duration_s=200.0)
    report = simulation.run()
    path = tmp_path_factory.mktemp("outputs") / "run.npz"
    write_recording(simulation, path)
    return path, simulation, report


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def _writable(directory) -> bool:
    try:
        handle, name = tempfile.mkstemp(dir=directory)
    except OSError:
        return False
    os.close(handle)
    os.unlink(name)
    return True


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory this process cannot create files in (root ignores mode bits: /sys then)."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        if not _writable(directory):
            yield directory
        elif os.path.isdir("/sys") and not _writable("/sys"):
            yield type(tmp_path)("/sys")
        else:
            pytest.skip("no directory this user cannot write in (root without a read-only /sys)")
    finally:
        directory.chmod(0o755)


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dronesim: error: "), err
    assert "Traceback" not in err and "pygame" not in err, err
    return err


def _no_simulation(monkeypatch):
    """Fail the test if a command gets as far as building the simulation or the window."""
    import dronesim.sim.engine
    import dronesim.viz.app

    class Refused:
        def __init__(self, *args, **kwargs):
            raise AssertionError("the simulation started before the options were checked")

    def no_window(*args, **kwargs):
        raise AssertionError("a window loop started")

    monkeypatch.setattr(dronesim.sim.engine, "Simulation", Refused)
    monkeypatch.setattr(dronesim.viz.app, "run_live", no_window)
    monkeypatch.setattr(dronesim.viz.app, "run_replay", no_window)


# ----------------------------------------------------------------------------- speed


@pytest.mark.parametrize("speed", ["-5", "0", "nan", "inf", "-inf"])
def test_run_view_raises_when_speed_is_not_a_positive_number(
    speed, scenario_file, monkeypatch, capsys
):
    _no_simulation(monkeypatch)
    assert main(["run", str(scenario_file), "--view", f"--speed={speed}"]) == 2
    assert "--speed: must be a finite number > 0" in _error_line(capsys)


@pytest.mark.parametrize("speed", ["-5", "0", "nan", "inf"])
def test_replay_raises_when_speed_is_not_a_positive_number(speed, recording, monkeypatch, capsys):
    _no_simulation(monkeypatch)
    assert main(["replay", str(recording[0]), f"--speed={speed}"]) == 2
    assert "--speed" in _error_line(capsys)


# ----------------------------------------------------------------------------- display


def _headless_environment(**extra) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    }
    environment.update(extra)
    return environment


def _cli(argv, environment) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dronesim.sim.cli", *argv],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=TIMEOUT_S,
    )


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11/Wayland systems only")
def test_replay_and_run_view_fail_fast_without_a_display(recording, scenario_file):
    environment = _headless_environment()
    for argv in (["replay", str(recording[0])], ["run", str(scenario_file), "--view"]):
        start = time.perf_counter()
        result = _cli(argv, environment)
        assert result.returncode == 2, (argv, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert "no display" in result.stderr and "DISPLAY" in result.stderr
        assert "Traceback" not in result.stderr
        # Refused before the run: importing the CLI is most of this.
        assert time.perf_counter() - start < 60


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11/Wayland systems only")
def test_replay_fails_fast_when_sdl_falls_back_to_its_offscreen_driver(recording):
    """A DISPLAY naming no server: SDL picks 'offscreen'; the window must be refused too."""
    result = _cli(["replay", str(recording[0])], _headless_environment(DISPLAY=":4711"))
    assert result.returncode == 2, result.stderr
    assert "no display" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("environ", "platform", "refused"),
    [
        ({}, "linux", True),
        ({"DISPLAY": ""}, "linux", True),
        ({"SDL_VIDEODRIVER": "dummy", "DISPLAY": ":0"}, "linux", True),
        ({"SDL_VIDEODRIVER": "offscreen"}, "win32", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"SDL_VIDEODRIVER": "kmsdrm"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_check_display_refuses_only_windows_nobody_can_see(environ, platform, refused):
    if refused:
        with pytest.raises(DisplayError, match="no display"):
            check_display(environ, platform)
    else:
        check_display(environ, platform)


# ----------------------------------------------------------------------------- output paths


def _bad_outputs(tmp_path, read_only_dir):
    (tmp_path / "a-file").write_text("")
    return {
        "a directory": (tmp_path, "is a directory"),
        "a read-only directory": (read_only_dir / "out.x", "cannot write in"),
        "a missing parent": (tmp_path / "missing" / "out.x", "does not exist"),
        "a file as parent": (tmp_path / "a-file" / "out.x", "is not a directory"),
    }


def test_render_raises_when_out_or_gif_cannot_be_written(
    recording, tmp_path, read_only_dir, capsys
):
    pytest.importorskip("PIL")
    for case, (path, message) in _bad_outputs(tmp_path, read_only_dir).items():
        for argv in (
            ["--at", "10", "--out", str(path)],
            ["--gif", str(path), "--from", "0", "--to", "20"],
        ):
            status = main(["render", str(recording[0]), *argv, "--size", "320x200"])
            assert status == 2, case
            error = _error_line(capsys)
            assert message in error and str(path) in error, (case, error)
    assert not (tmp_path / "missing").exists()


def test_run_raises_before_simulating_when_report_or_record_cannot_be_written(
    scenario_file, tmp_path, read_only_dir, monkeypatch, capsys
):
    _no_simulation(monkeypatch)
    for case, (path, message) in _bad_outputs(tmp_path, read_only_dir).items():
        for option in ("--report", "--record"):
            assert main(["run", str(scenario_file), option, str(path), "--quiet"]) == 2, case
            error = _error_line(capsys)
            assert f"{option}: {path}" in error and message in error, (case, error)


def test_run_view_raises_before_simulating_without_a_display(scenario_file, monkeypatch, capsys):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    _no_simulation(monkeypatch)
    assert main(["run", str(scenario_file), "--view"]) == 2
    assert "no display" in _error_line(capsys)


# ----------------------------------------------------------------------------- file modes


def _outputs(directory, recording):
    """Write one of each output into ``directory``; returns their paths."""
    from dronesim.sim.recording import Recording, write_recording
    from dronesim.viz.export import render_gif, render_png

    path, simulation, report = recording
    report.write(directory / "report.json")
    write_recording(simulation, directory / "run.npz")
    loaded = Recording.load(path)
    render_png(loaded, 10.0, directory / "frame.png", (160, 100))
    written = [directory / name for name in ("report.json", "run.npz", "frame.png")]
    try:
        import PIL  # noqa: F401
    except ImportError:
        return written
    render_gif(loaded, 0.0, 20.0, 5.0, directory / "clip.gif", (160, 100), 10.0)
    return [*written, directory / "clip.gif"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_mode_the_umask_gives(recording, tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        written = _outputs(tmp_path, recording)
    finally:
        os.umask(previous)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path.name
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_an_overwritten_output_keeps_its_mode(recording, tmp_path):
    """As a plain write would: a report the user made private stays private."""
    target = tmp_path / "report.json"
    target.write_text("{}")
    target.chmod(0o640)
    recording[2].write(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text().startswith("{\n")


def test_rendered_frame_is_the_drawn_frame(recording, tmp_path):
    """Encoding in memory (for the atomic write) changes nothing in the PNG's pixels."""
    import pygame
    from dronesim.sim.recording import Recording
    from dronesim.viz.draw import DrawOptions
    from dronesim.viz.export import render_png, render_snapshot, scene_for

    loaded = Recording.load(recording[0])
    render_png(loaded, 50.0, tmp_path / "f.png", (200, 120))
    options = DrawOptions(title=f"dronesim - {loaded.meta['scenario']}", timeline=loaded.time_span)
    expected = render_snapshot(loaded.snapshot(50.0), scene_for(loaded.city), (200, 120), options)
    saved = pygame.image.load(str(tmp_path / "f.png"))
    assert np.array_equal(pygame.surfarray.array3d(saved), pygame.surfarray.array3d(expected))


def test_a_screenshot_into_a_missing_folder_is_reported_and_the_window_goes_on(
    recording, tmp_path, capsys
):
    import pygame
    from dronesim.sim.recording import Recording
    from dronesim.viz.app import ReplaySource, run_app

    loaded = Recording.load(recording[0])
    frames = []

    def on_frame(index):
        frames.append(index)
        if index == 1:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0))

    run_app(
        ReplaySource(loaded),
        loaded.city,
        "test",
        size=(320, 200),
        max_frames=4,
        screenshot_dir=tmp_path / "missing",
        on_frame=on_frame,
    )
    assert frames == [0, 1, 2, 3]
    err = capsys.readouterr().err
    assert "screenshot not saved" in err and "missing" in err and err.count("\n") == 1
