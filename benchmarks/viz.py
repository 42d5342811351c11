"""Frame-time benchmark (``dronesim bench viz``): a 1,000-drone snapshot drawn at 1280 x 800.

The static city is rendered once per camera and cached; each frame blits it and draws
zones, orders, trails, drones, HUD and legend. Reports the median and p95 of ``draw``
over many frames (target: median under 16 ms, i.e. 60 frames per second), and the
one-off static render apart.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np


def synthetic_snapshot(city, drones: int = 1000, orders: int = 400, seed: int = 0):
    """A busy moment: drones spread over the city in every state, open orders, a zone active."""
    from dronesim.sim.snapshot import Snapshot
    from dronesim.sim.vocabulary import STATE_NAMES

    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = city.bounds_m
    position = np.c_[
        rng.uniform(xmin, xmax, drones),
        rng.uniform(ymin, ymax, drones),
        rng.choice([0.0, 30, 50, 70, 90, 110], drones),
    ]
    # Trails as the engine keeps them: the waypoints of the last minute (a few) and the position.
    trails = tuple(
        np.array([p - [90.0 * i, 30.0 * i, 0] for i in range(3, -1, -1)]) for p in position
    )
    routes = tuple(np.array([p + [200.0, 150.0, 0], p + [400.0, 100.0, -p[2]]]) for p in position)
    temporary = tuple(i for i, zone in enumerate(city.zones) if zone.is_temporary)
    depots = len(city.depots)
    return Snapshot(
        t_s=4000.0,
        clock_s=40000.0,
        position_m=position,
        heading_rad=rng.uniform(-np.pi, np.pi, drones),
        state=rng.integers(len(STATE_NAMES), size=drones),
        battery_fraction=rng.uniform(0, 1, drones),
        payload_kg=rng.uniform(0, 1, drones),
        route_m=routes,
        trail_m=trails,
        active_zones=temporary,
        upcoming_zones=(),
        zone_countdown_s={},
        order_pickup_m=np.array([[d.x_m, d.y_m] for d in city.depots])[
            rng.integers(depots, size=orders)
        ],
        order_dropoff_m=np.c_[rng.uniform(xmin, xmax, orders), rng.uniform(ymin, ymax, orders)],
        order_created_s=rng.uniform(2500, 4000, orders),
        order_deadline_s=rng.uniform(3800, 5800, orders),
        order_carried=rng.random(orders) < 0.5,
        order_drone=rng.integers(-1, drones, orders),
        depot_pads=np.full(depots, 8),
        depot_in_use=np.full(depots, 5),
        depot_queue=np.full(depots, 2),
        delivered=1234,
        late=12,
        failed=7,
        pending=orders,
        energy_used_wh=56789.0,
        separation_losses=42,
        state_names=STATE_NAMES,
    )


def run(frames: int = 200, size: tuple[int, int] = (1280, 800)) -> dict[str, Any]:
    """Measure; returns the figures."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from dronesim.maps import generate_city
    from dronesim.viz.draw import DrawOptions, draw
    from dronesim.viz.export import _init_headless, scene_for
    from dronesim.viz.scene import Camera

    pygame = _init_headless()
    city = generate_city(7)
    scene = scene_for(city)
    snapshot = synthetic_snapshot(city)
    surface = pygame.Surface(size)
    camera = Camera.fit(scene.bounds_m, size)
    options = DrawOptions(selected=3, speed=60.0, timeline=(0.0, 7200.0), title="benchmark")
    tic = time.perf_counter()
    draw(surface, snapshot, camera, scene, options)  # renders and caches the static layer
    first = time.perf_counter() - tic
    times = []
    for _ in range(frames):
        tic = time.perf_counter()
        draw(surface, snapshot, camera, scene, options)
        times.append(time.perf_counter() - tic)
    return {
        "drones": snapshot.drones,
        "size": list(size),
        "frames": frames,
        "first_frame_seconds": first,
        "median_frame_seconds": statistics.median(times),
        "p95_frame_seconds": float(np.quantile(times, 0.95)),
        "target_seconds": 1 / 60,
    }


def format_table(result: dict[str, Any]) -> str:
    return (
        f"frame time, {result['drones']} drones at {result['size'][0]}x{result['size'][1]}: "
        f"median {1e3 * result['median_frame_seconds']:.1f} ms, p95 {1e3 * result['p95_frame_seconds']:.1f} ms "
        f"(target < {1e3 * result['target_seconds']:.1f} ms); first frame with the static layer "
        f"{1e3 * result['first_frame_seconds']:.0f} ms"
    )
