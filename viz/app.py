"""The interactive window: a live simulation or a replayed recording, same drawing.

Controls: Space pause/resume; + and - speed (1x to 4096x); Left/Right seek 30 s (with
Shift 5 min; replay only) and a click on the timeline seeks there; mouse wheel zooms
about the cursor; drag pans; click a drone for its info panel (click empty ground to
clear); N jumps to the next loss of separation and pauses (replay: just after the start of
the next encounter, whose pair is ringed in red; live: runs on to the end of the step in
which the next one begins); B buildings, Z zones, T trails, O orders, L legend; S saves a
screenshot; Home fits the city; Esc or closing the window quits. The window can be resized.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from dronesim.viz.draw import DrawOptions, draw, timeline_rect
from dronesim.viz.export import scene_for
from dronesim.viz.scene import Camera

MIN_SPEED, MAX_SPEED = 1.0, 4096.0
# SDL video drivers that draw into memory: a window there is never seen and never closed.
HEADLESS_DRIVERS = ("dummy", "offscreen")
RENDER_HINT = "use 'dronesim render' for headless frames"


class DisplayError(RuntimeError):
    """No display to open a window on."""


def check_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> None:
    """Raise `DisplayError` unless a window opened now could be seen (opens nothing).

    Without ``SDL_VIDEODRIVER``, SDL on X11/Wayland systems falls back to its off-screen
    driver when neither ``DISPLAY`` nor ``WAYLAND_DISPLAY`` is set: the window opens
    unseen and the loop never ends. So on those systems one of the two must be set, or a
    driver chosen explicitly (``SDL_VIDEODRIVER=kmsdrm`` on a console); a headless driver
    (``dummy``, ``offscreen``) is refused. Windows and macOS need no variable.

    Parameters
    ----------
    environ
        The environment to judge (default ``os.environ``).
    platform
        ``sys.platform`` value (default the running one).
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    driver = environ.get("SDL_VIDEODRIVER", "").strip()
    if driver.lower() in HEADLESS_DRIVERS:
        raise DisplayError(
            f"no display: SDL_VIDEODRIVER={driver} draws off-screen, no window can be seen; "
            f"{RENDER_HINT}"
        )
    if driver or platform.startswith(("win", "cygwin", "darwin")):
        return
    if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        raise DisplayError(
            "no display to open a window (DISPLAY and WAYLAND_DISPLAY are unset; "
            f"SDL_VIDEODRIVER chooses a driver); {RENDER_HINT}"
        )


class LiveSource:
    """A running simulation, advanced as the window plays."""

    live = True

    def __init__(self, simulation) -> None:
        self.simulation = simulation

    @property
    def t(self) -> float:
        return self.simulation.t

    @property
    def time_span(self) -> tuple[float, float]:
        return self.simulation.time_span

    def advance(self, seconds: float) -> None:
        self.simulation.step_to(min(self.simulation.t + seconds, self.simulation.duration_s))

    def seek(self, t_s: float) -> None:  # a live run only goes forwards
        if t_s > self.t:
            self.simulation.step_to(t_s)

    def snapshot(self):
        return self.simulation.snapshot()

    def next_loss(self) -> bool:
        """Run on until a new loss of separation begins (stopping at the end of the step
        in which it begins: a live run knows only the past) or the run ends; returns
        whether one began."""
        s = self.simulation
        before = s.counters.separation_losses
        step = s.scenario.time_step_s
        while s.t < s.duration_s and s.counters.separation_losses == before:
            s.step_to(min(s.t + step, s.duration_s))
        return s.counters.separation_losses > before


class ReplaySource:
    """A recording, played forwards or seeked anywhere."""

    live = False

    def __init__(self, recording) -> None:
        self.recording = recording
        self.t = recording.time_span[0]

    @property
    def time_span(self) -> tuple[float, float]:
        return self.recording.time_span

    def advance(self, seconds: float) -> None:
        self.seek(self.t + seconds)

    def seek(self, t_s: float) -> None:
        start, end = self.time_span
        self.t = float(np.clip(t_s, start, end))

    def snapshot(self):
        return self.recording.snapshot(self.t)

    @property
    def loss_starts_s(self):
        """Start of every loss of separation in the recording, seconds (None if unknown)."""
        losses = getattr(self.recording, "losses", None)
        return None if losses is None else losses.start_s

    def next_loss(self) -> bool:
        """Seek just after the start of the next loss of separation (the snapshot shows
        encounters begun before its time); returns False, staying put, when none follows."""
        if self.loss_starts_s is None:
            return False
        start = self.recording.next_loss_s(self.t)
        if start is None:
            return False
        losses = self.recording.losses
        end = float(losses.end_s[losses.start_s == start].max())
        self.seek(start + min(1e-3, 0.5 * (end - start)))
        return True


def open_window(size: tuple[int, int], title: str, seen: bool = True):
    """Open a resizable window; DisplayError when there is no display.

    With ``seen`` (a window the user must close), a display that nobody can see is refused
    too: `check_display` before, and SDL's chosen driver after initialising. Tests that
    run a bounded number of frames pass ``seen=False`` to draw with the dummy driver.
    """
    if seen:
        check_display()
    import pygame

    try:
        pygame.display.init()
        if seen and pygame.display.get_driver() in HEADLESS_DRIVERS:
            driver = pygame.display.get_driver()
            pygame.display.quit()
            raise DisplayError(
                f"no display: SDL chose its {driver!r} driver, no window can be seen; {RENDER_HINT}"
            )
        pygame.font.init()
        window = pygame.display.set_mode(size, pygame.RESIZABLE)
    except pygame.error as error:
        raise DisplayError(f"no display to open a window ({error}); {RENDER_HINT}") from None
    pygame.display.set_caption(title)
    return window


def run_app(
    source,
    city,
    title: str,
    speed: float = 60.0,
    size=(1280, 800),
    max_frames: int | None = None,
    screenshot_dir: str | os.PathLike = ".",
    on_frame=None,
) -> DrawOptions:
    """Run the window until the user quits (or ``max_frames`` frames, for tests).

    ``on_frame(index)`` is called before each frame's events are read (tests post events
    from it). Returns the final draw options (what is shown, the speed, the selection).
    """
    import pygame

    # Without a frame limit only the user ends the loop: the window must be visible.
    window = open_window(size, title, seen=max_frames is None)
    scene = scene_for(city)
    camera = Camera.fit(scene.bounds_m, window.get_size())
    options = DrawOptions(
        title=title,
        speed=speed,
        timeline=None if source.live else source.time_span,
        loss_starts_s=None if source.live else source.loss_starts_s,
    )
    clock = pygame.time.Clock()
    drag_from = None
    dragged = False
    frames = 0
    last = time.perf_counter()
    running = True
    while running:
        if on_frame is not None:
            on_frame(frames)
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (
                event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE
            ):
                running = False
            elif event.type == pygame.VIDEORESIZE:
                window = pygame.display.set_mode(event.size, pygame.RESIZABLE)
                camera = camera.resized(window.get_size())
            elif event.type == pygame.KEYDOWN:
                camera, options = _key(
                    event, source, camera, options, scene, window, screenshot_dir
                )
            elif event.type == pygame.MOUSEWHEEL:
                camera = camera.zoomed(1.2**event.y, pygame.mouse.get_pos())
            elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                drag_from = event.pos
                dragged = False
            elif event.type == pygame.MOUSEMOTION:
                options.hover_px = event.pos
                if drag_from is not None and event.buttons[0]:
                    dx, dy = event.pos[0] - drag_from[0], event.pos[1] - drag_from[1]
                    if dragged or abs(dx) + abs(dy) > 3:
                        camera = camera.panned(dx, dy)
                        drag_from = event.pos
                        dragged = True
            elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
                if not dragged:
                    options = _click(event.pos, source, camera, options, window.get_size())
                drag_from = None
        now = time.perf_counter()
        if not options.paused:
            source.advance(options.speed * (now - last))
        last = now
        draw(window, source.snapshot(), camera, scene, options)
        pygame.display.flip()
        clock.tick(60)
        frames += 1
        if max_frames is not None and frames >= max_frames:
            running = False
    pygame.display.quit()
    return options


def _key(event, source, camera, options, scene, window, screenshot_dir):
    import pygame

    key = event.key
    shift = event.mod & pygame.KMOD_SHIFT
    if key == pygame.K_SPACE:
        options.paused = not options.paused
    elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
        options.speed = min(MAX_SPEED, options.speed * 2)
    elif key in (pygame.K_MINUS, pygame.K_KP_MINUS):
        options.speed = max(MIN_SPEED, options.speed / 2)
    elif key in (pygame.K_LEFT, pygame.K_RIGHT) and not source.live:
        step = (300.0 if shift else 30.0) * (1 if key == pygame.K_RIGHT else -1)
        source.seek(source.t + step)
    elif key == pygame.K_n:
        if source.next_loss():
            options.paused = True
    elif key == pygame.K_b:
        options.buildings = not options.buildings
    elif key == pygame.K_z:
        options.zones = not options.zones
    elif key == pygame.K_t:
        options.trails = not options.trails
    elif key == pygame.K_o:
        options.orders = not options.orders
    elif key == pygame.K_l:
        options.legend = not options.legend
    elif key == pygame.K_HOME:
        camera = Camera.fit(scene.bounds_m, window.get_size())
    elif key == pygame.K_s:
        path = Path(screenshot_dir) / f"dronesim-{int(source.t):06d}s.png"
        try:
            pygame.image.save(window, str(path))
        except (pygame.error, OSError) as error:  # an unwritable folder must not end the session
            print(f"dronesim: screenshot not saved: {path}: {error}", file=sys.stderr)
    return camera, options


def _click(pixel, source, camera, options, size):
    x, y, width, height = timeline_rect(size)
    if not source.live and x <= pixel[0] <= x + width and y - 6 <= pixel[1] <= y + height + 6:
        start, end = source.time_span
        source.seek(start + (pixel[0] - x) / width * (end - start))
        return options
    snapshot = source.snapshot()
    points = camera.to_screen(snapshot.position_m[:, :2])
    distance = (
        np.hypot(points[:, 0] - pixel[0], points[:, 1] - pixel[1]) if len(points) else np.array([])
    )
    options.selected = int(np.argmin(distance)) if len(distance) and distance.min() <= 12 else None
    return options


def run_live(simulation, speed: float = 60.0, **kwargs):
    """Watch a simulation in a window; when it closes, the run finishes headless.

    Returns the run's `Report`.
    """
    title = f"dronesim - {simulation.scenario.name} (live)"
    run_app(LiveSource(simulation), simulation.city, title, speed=speed, **kwargs)
    return simulation.run()


def run_replay(recording, speed: float = 60.0, **kwargs) -> None:
    """Replay a recording in a window."""
    title = f"dronesim - {recording.meta['scenario']} (replay)"
    run_app(ReplaySource(recording), recording.city, title, speed=speed, **kwargs)
