"""Headless rendering: one frame to PNG, or a short animation to GIF, from a recording.

Works without a display (``SDL_VIDEODRIVER=dummy`` is set if no driver is chosen). GIF
writing uses Pillow (the optional ``viz`` extra: ``pip install 'dronesim[viz]'``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from dronesim.maps.errors import InputError
from dronesim.sim.report import atomic_write_bytes
from dronesim.viz.draw import DrawOptions, draw
from dronesim.viz.scene import Camera, Scene

OSM_CREDIT = "© OpenStreetMap contributors"


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x800"`` -> (1280, 800); InputError (a ValueError) naming the value otherwise."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size: expected WIDTHxHEIGHT in pixels, got {text!r}") from None
    if not (64 <= width <= 8192 and 64 <= height <= 8192):
        raise InputError(f"--size: each side must be within 64..8192 pixels, got {text!r}")
    return width, height


def scene_for(city) -> Scene:
    """The static scene of a city (OSM credit when its data came from geographic files)."""
    return Scene.from_city(city, credit=OSM_CREDIT if city.origin_lonlat is not None else "")


def _init_headless():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    # Only what drawing needs: initialising audio on a server prints ALSA noise.
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame


def render_snapshot(
    snapshot,
    scene: Scene,
    size: tuple[int, int],
    options: DrawOptions | None = None,
    camera: Camera | None = None,
):
    """A pygame Surface with one frame (headless)."""
    pygame = _init_headless()
    surface = pygame.Surface(size)
    draw(surface, snapshot, camera or Camera.fit(scene.bounds_m, size), scene, options)
    return surface


def render_png(
    recording, t_s: float, out: str | os.PathLike, size: tuple[int, int] = (1280, 800)
) -> None:
    """Save the recording's frame at ``t_s`` seconds as a PNG."""
    pygame = _init_headless()
    snapshot = recording.snapshot(t_s)
    options = DrawOptions(
        title=f"dronesim - {recording.meta['scenario']}", timeline=recording.time_span
    )
    surface = render_snapshot(snapshot, scene_for(recording.city), size, options)
    # Encoded in memory (the format from the file name, as pygame does; PNG for .png) and
    # written atomically: a bad path is an OSError naming it, and the file gets the umask.
    buffer = io.BytesIO()
    pygame.image.save(surface, buffer, Path(out).name)
    atomic_write_bytes(Path(out), buffer.getvalue())


def render_gif(
    recording,
    start_s: float,
    end_s: float,
    fps: float,
    out: str | os.PathLike,
    size: tuple[int, int] = (960, 600),
    sim_seconds_per_frame: float | None = None,
) -> int:
    """Save frames from ``start_s`` to ``end_s`` as an animated GIF; returns the frame count.

    One frame per ``sim_seconds_per_frame`` of simulated time (default: 150 frames over
    the span), played at ``fps``.
    """
    try:
        from PIL import Image
    except ImportError:
        raise InputError("--gif: needs Pillow (pip install 'dronesim[viz]')") from None
    pygame = _init_headless()
    recording.check_time(start_s)
    recording.check_time(end_s)
    if not end_s > start_s:
        raise InputError(f"--to: must be after --from ({start_s:g} s), got {end_s:g}")
    if not 0 < fps <= 60:
        raise InputError(f"--fps: must be in (0, 60], got {fps:g}")
    step = sim_seconds_per_frame or (end_s - start_s) / 150.0
    scene = scene_for(recording.city)
    camera = Camera.fit(scene.bounds_m, size)
    frames = []
    for t in np.arange(start_s, end_s + 1e-9, step):
        options = DrawOptions(
            title=f"dronesim - {recording.meta['scenario']}",
            timeline=recording.time_span,
            speed=step * fps,
            legend=False,
        )
        surface = render_snapshot(recording.snapshot(float(t)), scene, size, options, camera)
        frames.append(
            Image.frombytes("RGB", size, pygame.image.tobytes(surface, "RGB")).quantize(colors=128)
        )
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(1000 / fps),
        loop=0,
    )
    atomic_write_bytes(Path(out), buffer.getvalue())
    return len(frames)
