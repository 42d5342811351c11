"""The interactive window: a live simulation or a replayed recording, same drawing.

Controls: Space pause/resume; + and - speed (1x to 4096x); Left/Right seek 30 s (with
Shift 5 min; replay only) and a click on the timeline seeks there; mouse wheel zooms
about the cursor; drag pans; click a drone for its info panel (click empty ground to
clear); B buildings, Z zones, T trails, O orders, L legend; S saves a screenshot; Home
fits the city; Esc or closing the window quits. The window can be resized.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from dronesim.viz.draw import DrawOptions, draw, timeline_rect
from dronesim.viz.export import scene_for
from dronesim.viz.scene import Camera

MIN_SPEED, MAX_SPEED = 1.0, 4096.0


class DisplayError(RuntimeError):
    """No display to open a window on."""


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


def open_window(size: tuple[int, int], title: str):
    """Open a resizable window; DisplayError when there is no display."""
    import pygame

    try:
        pygame.display.init()
        pygame.font.init()
        window = pygame.display.set_mode(size, pygame.RESIZABLE)
    except pygame.error as error:
        raise DisplayError(
            f"no display to open a window ({error}); use 'dronesim render' for headless frames"
        ) from None
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

    window = open_window(size, title)
    scene = scene_for(city)
    camera = Camera.fit(scene.bounds_m, window.get_size())
    options = DrawOptions(
        title=title, speed=speed, timeline=None if source.live else source.time_span
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
        pygame.image.save(window, str(path))
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
