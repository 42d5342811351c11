"""Drawing a `Snapshot`: the map, zones, orders, drones, HUD, legend, info panel, timeline.

`draw(surface, snapshot, camera, scene, options)` paints one frame and never asks where
the snapshot came from (a live simulation or a recording). The city (ground, parks,
buildings, permanent zones, depots) is rendered once per camera into a cached surface;
each frame blits it and draws only what changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from dronesim.sim import vocabulary as V
from dronesim.viz.scene import Camera, Scene, format_clock, format_duration

# Palette -----------------------------------------------------------------------------
GROUND = (236, 236, 230)
PARK = (196, 222, 180)
BUILDING_BINS_M = (10.0, 20.0, 40.0, 80.0)
BUILDING_SHADES = ((205, 203, 198), (184, 181, 175), (158, 154, 148), (124, 120, 115), (88, 85, 82))
ZONE_PERMANENT = (214, 48, 49)
ZONE_ACTIVE = (232, 126, 4)
ZONE_UPCOMING = (241, 170, 60)
DEPOT = (32, 56, 100)
STATION = (120, 120, 160)
TEXT = (28, 30, 36)
PANEL = (255, 255, 255, 215)
LATE = (20, 20, 20)
LOSS = (220, 20, 30)  # pairs in loss of separation: ring and line
_COLOUR_OF_STATE = {
    V.IDLE: (150, 150, 150),
    V.CHARGING: (240, 196, 25),
    V.WAITING_PAD: (226, 132, 19),
    V.TAKEOFF: (98, 181, 229),
    V.TO_PICKUP: (31, 119, 180),
    V.PICKING_UP: (23, 190, 207),
    V.TO_DROPOFF: (148, 103, 189),
    V.DELIVERING: (214, 39, 140),
    V.RETURNING: (44, 160, 44),
    V.REPOSITIONING: (23, 150, 130),
    V.ESCAPING: (214, 39, 40),
}
# Indexed by state code; a state without a colour fails here, at import.
STATE_COLOURS = tuple(_COLOUR_OF_STATE[code] for code in range(len(V.STATE_NAMES)))
ALTITUDE_LEGEND_M = (30.0, 70.0, 110.0)


@dataclass
class DrawOptions:
    """What to show and the overlay state that is not part of the snapshot."""

    buildings: bool = True
    zones: bool = True
    trails: bool = True
    orders: bool = True
    legend: bool = True
    selected: int | None = None
    hover_px: tuple[int, int] | None = None
    speed: float | None = None
    paused: bool = False
    timeline: tuple[float, float] | None = None
    loss_starts_s: np.ndarray | None = None  # ticks on the replay timeline
    title: str = "dronesim"


def draw(
    surface, snapshot, camera: Camera, scene: Scene, options: DrawOptions | None = None
) -> None:
    """Paint one frame of ``snapshot`` on ``surface`` (a pygame Surface) through ``camera``."""
    options = options or DrawOptions()
    surface.blit(_static_layer(scene, camera, options), (0, 0))
    if options.zones:
        _temporary_zones(surface, snapshot, camera, scene)
    _depots(surface, snapshot, camera, scene)
    if options.orders:
        _orders(surface, snapshot, camera)
    if options.trails:
        _trails(surface, snapshot, camera)
    if options.selected is not None and 0 <= options.selected < snapshot.drones:
        _route(surface, snapshot, camera, options.selected)
    _drones(surface, snapshot, camera, options.selected)
    _losses(surface, snapshot, camera)
    _hud(surface, snapshot, options)
    if options.legend:
        _cached_legend(surface, snapshot, scene)
    if options.selected is not None and 0 <= options.selected < snapshot.drones:
        _info_panel(surface, snapshot, options.selected)
    if options.hover_px is not None and options.zones:
        _zone_tooltip(surface, snapshot, camera, scene, options.hover_px)
    if options.timeline is not None:
        _timeline(surface, snapshot, scene, options.timeline, options.loss_starts_s)


# ----------------------------------------------------------------------------- static


def _static_layer(scene: Scene, camera: Camera, options: DrawOptions):
    import pygame

    key = ("static", camera.key, options.buildings, options.zones)
    layer = scene.cache.get(key)
    if layer is not None:
        return layer
    for old_key in [k for k in scene.cache if k[0] == "static"]:
        del scene.cache[old_key]  # one camera at a time: layers are screen-sized
    layer = pygame.Surface(camera.size)
    layer.fill(GROUND)
    for ring in scene.park_rings:
        _polygon(layer, PARK, camera.to_screen(ring))
    if options.buildings:
        shades = np.searchsorted(BUILDING_BINS_M, scene.building_heights_m)
        for ring, shade in zip(scene.building_rings, shades):
            _polygon(layer, BUILDING_SHADES[shade], camera.to_screen(ring))
    if options.zones:
        overlay = pygame.Surface(camera.size, pygame.SRCALPHA)
        for index, rings in enumerate(scene.zone_rings):
            if scene.is_temporary(index):
                continue
            for ring in rings:
                points = camera.to_screen(ring)
                _polygon(overlay, (*ZONE_PERMANENT, 60), points)
                _polygon(overlay, (*ZONE_PERMANENT, 220), points, width=2)
        layer.blit(overlay, (0, 0))
        for index, rings in enumerate(scene.zone_rings):
            if not scene.is_temporary(index) and rings:
                centre = camera.to_screen(np.mean(rings[0], axis=0))
                _text(layer, scene.zone_names[index], centre, 13, ZONE_PERMANENT, anchor="center")
    for xy in scene.stations_xy:
        x, y = camera.to_screen(xy)
        pygame.draw.line(layer, STATION, (x, y - 6), (x - 4, y + 4), 2)
        pygame.draw.line(layer, STATION, (x, y - 6), (x + 4, y + 4), 2)
    _scale_bar(layer, camera)
    if scene.credit:
        _text(
            layer,
            scene.credit,
            (camera.size[0] - 8, camera.size[1] - 6),
            12,
            (90, 90, 90),
            anchor="bottomright",
        )
    scene.cache[key] = layer
    return layer


def _scale_bar(surface, camera: Camera) -> None:
    import pygame

    target = 120 / camera.pixels_per_m
    nice = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * nice <= target:
            nice *= step
            break
    length = nice * camera.pixels_per_m
    x0, y0 = camera.size[0] - 30 - length, camera.size[1] - 26
    pygame.draw.line(surface, TEXT, (x0, y0), (x0 + length, y0), 2)
    pygame.draw.line(surface, TEXT, (x0, y0 - 4), (x0, y0 + 4), 2)
    pygame.draw.line(surface, TEXT, (x0 + length, y0 - 4), (x0 + length, y0 + 4), 2)
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    _text(surface, label, (x0 + length / 2, y0 - 6), 13, TEXT, anchor="midbottom")


# ----------------------------------------------------------------------------- dynamic


def _temporary_zones(surface, snapshot, camera: Camera, scene: Scene) -> None:
    import pygame

    if snapshot.active_zones:
        # The fill of the active zones changes only when they switch: cache it per camera.
        key = ("active", camera.key, tuple(snapshot.active_zones))
        cached = scene.cache.get(key)
        if cached is None:
            overlay = pygame.Surface(camera.size, pygame.SRCALPHA)
            for index in snapshot.active_zones:
                for ring in scene.zone_rings[index]:
                    points = camera.to_screen(ring)
                    _polygon(overlay, (*ZONE_ACTIVE, 95), points)
                    _polygon(overlay, (*ZONE_ACTIVE, 255), points, width=3)
            bounds = overlay.get_bounding_rect()
            cached = (overlay.subsurface(bounds).copy(), bounds.topleft)
            for old_key in [k for k in scene.cache if k[0] == "active"]:
                del scene.cache[old_key]
            scene.cache[key] = cached
        surface.blit(*cached)
    for index in snapshot.active_zones:
        if scene.zone_rings[index]:
            centre = camera.to_screen(np.mean(scene.zone_rings[index][0], axis=0))
            _text(
                surface,
                f"{scene.zone_names[index]}: ACTIVE",
                centre,
                14,
                (140, 60, 0),
                anchor="center",
                bold=True,
            )
    for index in snapshot.upcoming_zones:
        for ring in scene.zone_rings[index]:
            _dashed(surface, ZONE_UPCOMING, camera.to_screen(ring), 2)
        if scene.zone_rings[index]:
            centre = camera.to_screen(np.mean(scene.zone_rings[index][0], axis=0))
            countdown = snapshot.zone_countdown_s.get(index, 0.0)
            _text(
                surface,
                f"{scene.zone_names[index]} in {format_duration(countdown)}",
                centre,
                13,
                (150, 90, 0),
                anchor="center",
            )


def _depots(surface, snapshot, camera: Camera, scene: Scene) -> None:
    import pygame

    for k, xy in enumerate(scene.depots_xy):
        # The take-off and landing pads around the depot point, where they stand.
        pads_xy = snapshot.depot_pad_xy_m[k] if k < len(snapshot.depot_pad_xy_m) else ()
        for pad in pads_xy:
            px, py = camera.to_screen(pad)
            pygame.draw.circle(surface, DEPOT, (round(px), round(py)), 4, 1)
        x, y = camera.to_screen(xy)
        pygame.draw.rect(surface, DEPOT, (x - 7, y - 7, 14, 14), border_radius=3)
        pads = int(snapshot.depot_pads[k]) if k < len(snapshot.depot_pads) else 0
        used = int(snapshot.depot_in_use[k]) if k < len(snapshot.depot_in_use) else 0
        for p in range(pads):
            colour = STATE_COLOURS[V.CHARGING] if p < used else (230, 230, 230)
            pygame.draw.rect(surface, colour, (x - 7 + (p % 8) * 4, y + 10 + (p // 8) * 4, 3, 3))
        queue = int(snapshot.depot_queue[k]) if k < len(snapshot.depot_queue) else 0
        if queue:
            _text(surface, f"+{queue}", (x + 10, y - 10), 12, STATE_COLOURS[V.WAITING_PAD])


def _orders(surface, snapshot, camera: Camera) -> None:
    import pygame

    if len(snapshot.order_dropoff_m) == 0:
        return
    points = np.round(camera.to_screen(snapshot.order_dropoff_m)).astype(int).tolist()
    window = np.maximum(snapshot.order_deadline_s - snapshot.order_created_s, 1.0)
    left = (snapshot.order_deadline_s - snapshot.t_s) / window
    levels = np.round(np.clip(left, 0.0, 1.0) * 15).astype(int).tolist()
    late = (left < 0).tolist()
    carried = snapshot.order_carried.tolist()
    batch = []
    for (x, y), level, is_late, is_carried in zip(points, levels, late, carried):
        if is_late:
            pygame.draw.line(surface, LATE, (x - 4, y - 4), (x + 4, y + 4), 2)
            pygame.draw.line(surface, LATE, (x - 4, y + 4), (x + 4, y - 4), 2)
            continue
        image, half = _sprite("order", level, bool(is_carried))
        batch.append((image, (x - half, y - half)))
    surface.blits(batch, doreturn=False)
    for x, y in camera.to_screen(np.unique(snapshot.order_pickup_m, axis=0)).tolist():
        pygame.draw.rect(surface, (250, 250, 250), (x - 3, y - 12, 6, 6))
        pygame.draw.rect(surface, DEPOT, (x - 3, y - 12, 6, 6), 1)


def _urgency(remaining) -> np.ndarray:
    """Green with time to spare, through yellow, to red at the deadline (RGB rows)."""
    f = np.clip(np.asarray(remaining, dtype=float), 0.0, 1.0)
    upper = (f - 0.5) * 2
    lower = f * 2
    red = np.where(f > 0.5, 250 - 180 * upper, 220 + 30 * lower)
    green = np.where(f > 0.5, 200 + 10 * upper, 40 + 160 * lower)
    blue = np.where(f > 0.5, 40 + 40 * upper, 40)
    return np.stack([red, green, blue], axis=-1).astype(int)


_FADED = [tuple(int(c + (255 - c) * 0.55) for c in colour) for colour in STATE_COLOURS]


def _trails(surface, snapshot, camera: Camera) -> None:
    import pygame

    airborne = [
        d
        for d, trail in enumerate(snapshot.trail_m)
        if len(trail) >= 2 and snapshot.position_m[d, 2] > 0.0
    ]
    if not airborne:
        return
    # One transform for every trail point, then one polyline per drone.
    lengths = [len(snapshot.trail_m[d]) for d in airborne]
    points = camera.to_screen(
        np.concatenate([snapshot.trail_m[d][:, :2] for d in airborne])
    ).tolist()
    states = snapshot.state.tolist()
    start = 0
    for d, length in zip(airborne, lengths):
        pygame.draw.lines(
            surface, _FADED[states[d] % len(_FADED)], False, points[start : start + length], 2
        )
        start += length


def _route(surface, snapshot, camera: Camera, d: int) -> None:
    import pygame

    route = snapshot.route_m[d] if d < len(snapshot.route_m) else np.empty((0, 3))
    if len(route) == 0:
        return
    points = camera.to_screen(np.concatenate([snapshot.position_m[d : d + 1, :2], route[:, :2]]))
    _dashed(surface, TEXT, points, 2)
    pygame.draw.circle(surface, TEXT, points[-1], 5, 2)


_SPRITES: dict = {}
_ANGLES = 36  # heading buckets of 10 degrees
_SIZES = 10  # altitude buckets


def _sprite(kind: str, *key):
    """Small pre-rendered images, drawn with one batched ``blits`` call per frame."""
    import pygame

    sprite = _SPRITES.get((kind, *key))
    if sprite is not None:
        return sprite
    if kind == "dart":
        state, size_bucket, angle_bucket = key
        size = 4.0 + 5.0 * size_bucket / (_SIZES - 1)
        angle = angle_bucket * 2 * math.pi / _ANGLES
        fx, fy = math.sin(angle), -math.cos(angle)
        half = int(math.ceil(size * 1.7)) + 1
        image = pygame.Surface((2 * half, 2 * half), pygame.SRCALPHA)
        c = half
        points = [
            (c + fx * size * 1.6, c + fy * size * 1.6),
            (c - fx * size - fy * size * 0.9, c - fy * size + fx * size * 0.9),
            (c - fx * size * 0.4, c - fy * size * 0.4),
            (c - fx * size + fy * size * 0.9, c - fy * size - fx * size * 0.9),
        ]
        pygame.draw.polygon(image, STATE_COLOURS[state % len(STATE_COLOURS)], points)
        pygame.draw.polygon(image, (40, 40, 40), points, 1)
        sprite = (image, half)
    elif kind == "ground":
        (state,) = key
        image = pygame.Surface((7, 7), pygame.SRCALPHA)
        pygame.draw.circle(image, STATE_COLOURS[state % len(STATE_COLOURS)], (3, 3), 3)
        sprite = (image, 3)
    elif kind == "battery":
        (level,) = key  # 0..12 pixels
        fraction = level / 12
        image = pygame.Surface((12, 3))
        image.fill((60, 60, 60))
        image.fill(
            (int(220 * (1 - fraction)), int(170 * fraction + 30), 40), (0, 0, max(1, level), 3)
        )
        sprite = (image, 0)
    elif kind == "order":
        level, carried = key  # urgency level 0..15
        image = pygame.Surface((9, 9), pygame.SRCALPHA)
        colour = tuple(int(v) for v in _urgency(level / 15))
        pygame.draw.circle(image, colour, (4, 4), 4)
        pygame.draw.circle(image, TEXT if carried else (255, 255, 255), (4, 4), 4, 1)
        sprite = (image, 4)
    _SPRITES[(kind, *key)] = sprite
    return sprite


def _drones(surface, snapshot, camera: Camera, selected: int | None) -> None:
    import pygame

    points = camera.to_screen(snapshot.position_m[:, :2])
    altitude = snapshot.position_m[:, 2]
    width, height = camera.size
    visible = (
        (points[:, 0] > -20)
        & (points[:, 0] < width + 20)
        & (points[:, 1] > -20)
        & (points[:, 1] < height + 20)
    )
    index = np.flatnonzero(visible)
    x = np.round(points[index, 0]).astype(int).tolist()
    y = np.round(points[index, 1]).astype(int).tolist()
    size_bucket = (
        np.round(np.clip(altitude[index] / 120.0, 0.0, 1.0) * (_SIZES - 1)).astype(int).tolist()
    )
    angle_bucket = (
        np.round(snapshot.heading_rad[index] / (2 * math.pi) * _ANGLES).astype(int) % _ANGLES
    ).tolist()
    level = np.round(np.clip(snapshot.battery_fraction[index], 0.0, 1.0) * 12).astype(int).tolist()
    states = snapshot.state[index].tolist()
    flying = (altitude[index] > 0.0).tolist()
    batch = []
    for k in range(len(index)):
        if not flying[k]:
            image, half = _sprite("ground", states[k])
            batch.append((image, (x[k] - half, y[k] - half)))
            continue
        image, half = _sprite("dart", states[k], size_bucket[k], angle_bucket[k])
        batch.append((image, (x[k] - half, y[k] - half)))
        size = 4.0 + 5.0 * size_bucket[k] / (_SIZES - 1)
        batch.append((_sprite("battery", level[k])[0], (x[k] - 6, int(y[k] + size + 2))))
    surface.blits(batch, doreturn=False)
    if selected is not None and 0 <= selected < snapshot.drones:
        pygame.draw.circle(surface, TEXT, points[selected], 13, 2)


def _losses(surface, snapshot, camera: Camera) -> None:
    """A red line between the two drones of each pair in loss of separation now, and a
    red ring around each."""
    import pygame

    pairs = getattr(snapshot, "loss_pairs", None)
    if pairs is None or not len(pairs):
        return
    points = camera.to_screen(snapshot.position_m[:, :2])
    for a, b in pairs.tolist():
        pa = (round(points[a, 0]), round(points[a, 1]))
        pb = (round(points[b, 0]), round(points[b, 1]))
        pygame.draw.line(surface, LOSS, pa, pb, 2)
        for centre in (pa, pb):
            pygame.draw.circle(surface, LOSS, centre, 15, 2)


# ----------------------------------------------------------------------------- overlays


def _panel(surface, rect) -> None:
    import pygame

    panel = pygame.Surface((rect[2], rect[3]), pygame.SRCALPHA)
    panel.fill(PANEL)
    surface.blit(panel, (rect[0], rect[1]))
    pygame.draw.rect(surface, (180, 180, 180), rect, 1)


def _hud(surface, snapshot, options: DrawOptions) -> None:
    lines = [
        (options.title, 16, True),
        (
            f"t = {format_duration(snapshot.t_s)}   clock {format_clock(snapshot.clock_s)}",
            14,
            False,
        ),
        (
            "paused" if options.paused else (f"speed {options.speed:g}x" if options.speed else ""),
            14,
            False,
        ),
        (
            f"delivered {snapshot.delivered}   late {snapshot.late}   failed {snapshot.failed}   pending {snapshot.pending}",
            14,
            False,
        ),
        (
            f"energy {snapshot.energy_used_wh / 1000:.2f} kWh   separation losses {snapshot.separation_losses}"
            + (f" ({len(snapshot.loss_pairs)} now)" if len(snapshot.loss_pairs) else ""),
            14,
            False,
        ),
    ]
    lines = [line for line in lines if line[0]]
    counts = snapshot.state_counts()
    busy = [(name, count) for name, count in counts.items() if count]
    state_lines = [
        "  ".join(f"{name} {count}" for name, count in busy[i : i + 3])
        for i in range(0, len(busy), 3)
    ]
    height = 14 + 20 * len(lines) + 17 * len(state_lines)
    _panel(surface, (8, 8, 430, height))
    y = 14
    for text, size, bold in lines:
        _text(surface, text, (16, y), size, TEXT, bold=bold)
        y += 20
    for text in state_lines:
        _text(surface, text, (16, y), 13, (70, 70, 70))
        y += 17


def _cached_legend(surface, snapshot, scene: Scene) -> None:
    """The legend never changes: draw it once onto a transparent layer and blit that."""
    import pygame

    key = ("legend", surface.get_size(), snapshot.state_names)
    layer = scene.cache.get(key)
    if layer is None:
        layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        _legend(layer, snapshot)
        bounds = layer.get_bounding_rect()
        layer = (layer.subsurface(bounds).copy(), bounds.topleft)
        scene.cache[key] = layer
    surface.blit(*layer)


def _legend(surface, snapshot) -> None:
    import pygame

    names = snapshot.state_names
    rows = len(names) + 10
    height = 16 * rows + 16
    top = surface.get_height() - height - 40
    _panel(surface, (8, top, 200, height))
    y = top + 8
    _text(surface, "drone states", (16, y), 13, TEXT, bold=True)
    y += 16
    for index, name in enumerate(names):
        pygame.draw.rect(surface, STATE_COLOURS[index % len(STATE_COLOURS)], (18, y + 3, 10, 10))
        _text(surface, name, (34, y), 12, TEXT)
        y += 16
    _text(surface, "altitude (icon size)", (16, y), 13, TEXT, bold=True)
    y += 16
    x = 22
    for altitude in ALTITUDE_LEGEND_M:
        size = 4.0 + 5.0 * altitude / 120.0
        pygame.draw.polygon(
            surface,
            (120, 120, 120),
            (
                (x, y + 8 - size),
                (x - size * 0.8, y + 8 + size * 0.7),
                (x + size * 0.8, y + 8 + size * 0.7),
            ),
        )
        _text(surface, f"{altitude:g} m", (x + 10, y + 1), 12, TEXT)
        x += 60
    y += 20
    _text(surface, "buildings (roof height)", (16, y), 13, TEXT, bold=True)
    y += 16
    labels = ("<10", "<20", "<40", "<80", "80+")
    for index, (shade, label) in enumerate(zip(BUILDING_SHADES, labels)):
        pygame.draw.rect(surface, shade, (18 + index * 36, y + 2, 12, 10))
        _text(surface, label, (18 + index * 36 + 14, y), 11, TEXT)
    y += 18
    pygame.draw.rect(surface, ZONE_PERMANENT, (18, y + 3, 10, 10), 2)
    _text(surface, "no-fly zone", (34, y), 12, TEXT)
    y += 16
    pygame.draw.rect(surface, ZONE_ACTIVE, (18, y + 3, 10, 10))
    _text(surface, "temporary zone, active", (34, y), 12, TEXT)
    y += 16
    pygame.draw.rect(surface, ZONE_UPCOMING, (18, y + 3, 10, 10), 1)
    _text(surface, "temporary zone, upcoming", (34, y), 12, TEXT)
    y += 16
    for index, colour in enumerate(_urgency([0.9, 0.4, 0.05]).tolist()):
        pygame.draw.circle(surface, colour, (22 + index * 14, y + 8), 4)
    _text(surface, "drop-off: time to deadline", (66, y), 12, TEXT)


def _info_panel(surface, snapshot, d: int) -> None:
    x0 = surface.get_width() - 250
    route = snapshot.route_m[d] if d < len(snapshot.route_m) else np.empty((0, 3))
    here = snapshot.position_m[d]
    remaining = 0.0
    if len(route):
        points = np.concatenate([here[None, :], route])
        remaining = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
    orders = np.flatnonzero(snapshot.order_drone == d)
    lines = [
        (f"drone {d}", True),
        (f"state: {snapshot.state_names[int(snapshot.state[d])]}", False),
        (f"position: {here[0]:.0f}, {here[1]:.0f} m, altitude {here[2]:.0f} m", False),
        (f"battery: {100 * snapshot.battery_fraction[d]:.0f} %", False),
        (f"payload: {snapshot.payload_kg[d]:.2f} kg", False),
        (f"orders: {len(orders)} ({int(snapshot.order_carried[orders].sum())} on board)", False),
        (f"route ahead: {remaining / 1000:.2f} km, {len(route)} waypoints", False),
    ]
    _panel(surface, (x0, 8, 242, 18 * len(lines) + 14))
    y = 14
    for text, bold in lines:
        _text(surface, text, (x0 + 8, y), 13, TEXT, bold=bold)
        y += 18


def _zone_tooltip(surface, snapshot, camera: Camera, scene: Scene, pixel) -> None:
    index = scene.zone_at(camera.to_world(pixel))
    if index is None:
        return
    floor, ceiling = scene.zone_bands[index]
    band = f"{floor:g}-{'unlimited' if math.isinf(ceiling) else f'{ceiling:g} m'}"
    start, end = scene.zone_windows[index]
    window = (
        "permanent"
        if start is None and end is None
        else f"active {format_duration(start or 0)} to {format_duration(end or 0)}"
    )
    text = f"{scene.zone_names[index]} ({scene.zone_kinds[index]}): {band}, {window}"
    x, y = pixel
    _panel(surface, (x + 12, y + 12, 7 * len(text) + 16, 24))
    _text(surface, text, (x + 20, y + 16), 13, TEXT)


def _timeline(
    surface, snapshot, scene: Scene, span: tuple[float, float], loss_starts_s=None
) -> None:
    import pygame

    rect = timeline_rect(surface.get_size())
    _panel(surface, (rect[0] - 6, rect[1] - 8, rect[2] + 12, rect[3] + 16))
    start, end = span
    pygame.draw.rect(surface, (225, 225, 225), rect)
    for window_start, window_end in scene.zone_windows:
        if window_start is None and window_end is None:
            continue
        a = start if window_start is None else window_start
        b = end if window_end is None else window_end
        x0 = rect[0] + rect[2] * np.clip((a - start) / max(end - start, 1e-9), 0, 1)
        x1 = rect[0] + rect[2] * np.clip((b - start) / max(end - start, 1e-9), 0, 1)
        pygame.draw.rect(surface, ZONE_UPCOMING, (x0, rect[1], max(1, x1 - x0), rect[3]))
    if loss_starts_s is not None and len(loss_starts_s):
        where = rect[0] + rect[2] * np.clip((loss_starts_s - start) / max(end - start, 1e-9), 0, 1)
        for x in np.unique(np.round(where).astype(int)).tolist():
            pygame.draw.line(surface, LOSS, (x, rect[1]), (x, rect[1] + rect[3] // 3), 1)
    f = np.clip((snapshot.t_s - start) / max(end - start, 1e-9), 0, 1)
    pygame.draw.rect(
        surface, (31, 119, 180), (rect[0], rect[1] + rect[3] // 3, rect[2] * f, rect[3] // 3)
    )
    pygame.draw.circle(surface, TEXT, (rect[0] + rect[2] * f, rect[1] + rect[3] / 2), 7)


def timeline_rect(size) -> tuple[int, int, int, int]:
    """Where the replay timeline is drawn (x, y, width, height): clicks there seek."""
    width, height = size
    return (230, height - 28, max(50, width - 470), 14)


# ----------------------------------------------------------------------------- helpers


def _polygon(surface, colour, points, width: int = 0) -> None:
    import pygame

    if len(points) >= 3:
        pygame.draw.polygon(surface, colour, np.asarray(points).tolist(), width)


def _dashed(surface, colour, points, width: int, dash: float = 8.0) -> None:
    import pygame

    points = np.asarray(points, dtype=float)
    closed = len(points) > 2 and not np.array_equal(points[0], points[-1])
    sequence = np.concatenate([points, points[:1]]) if closed else points
    for a, b in zip(sequence[:-1], sequence[1:]):
        length = float(np.hypot(*(b - a)))
        steps = max(1, int(length // dash))
        for s in range(0, steps, 2):
            p = a + (b - a) * (s / steps)
            q = a + (b - a) * (min(s + 1, steps) / steps)
            pygame.draw.line(surface, colour, p, q, width)


_FONTS: dict = {}
_TEXTS: dict = {}


def _text(
    surface, text: str, position, size: int, colour, anchor: str = "topleft", bold: bool = False
) -> None:
    import pygame

    key = (text, size, colour, bold)
    rendered = _TEXTS.get(key)
    if rendered is None:
        font = _FONTS.get((size, bold))
        if font is None:
            if not pygame.font.get_init():
                pygame.font.init()
            font = pygame.font.Font(None, int(size * 1.3))
            font.set_bold(bold)
            _FONTS[(size, bold)] = font
        rendered = font.render(text, True, colour)
        if len(_TEXTS) > 2000:
            _TEXTS.clear()
        _TEXTS[key] = rendered
    rect = rendered.get_rect(**{anchor: (int(position[0]), int(position[1]))})
    surface.blit(rendered, rect)
