"""Rasterization benchmark: build a 2000 x 2000 x 6 airspace with 200 zones and 5,000 buildings.

Measures, in the same run:

- ``airspace``: the whole `maps.Airspace` construction (conservative buffers, the
  touched-cell rasterization of buildings and zones, layer assignment, temporary masks);
  target under 5 s.
- ``touched``: our conservative 2D rasterization alone on the pre-buffered shapes, beside
  the peer ``rasterio.features.rasterize(all_touched=True)`` (GDAL, C++) on the same shapes,
  with the ratio and how many touched cells GDAL's ``all_touched`` misses (it tests the
  cells a scanline crosses, not exact square/polygon contact).

- ``uas_zones``: a 1,000-zone ED-269 file generated here (circles and polygons, a fifth
  stepped into two volumes, limits in feet and AMSL, weekly schedules and date ranges)
  read into zones (`maps.uas_zones.read_uas_zones`) and rasterized on the same grid;
  target under 5 s for both.

Run ``dronesim bench raster [--repeats N] [--json OUT]`` (the command line is the only
entry point: a ``__main__`` here calling it made an import cycle with ``sim.cli``).
"""

from __future__ import annotations

import datetime
import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from dronesim.maps import Airspace, Buildings, NoFlyZone
from dronesim.maps.features import conservative_buffer
from dronesim.maps.projection import LocalProjection
from dronesim.maps.raster import touched_cells

LAYERS_M = (20.0, 40.0, 60.0, 75.0, 90.0, 105.0)


def build_workload(
    seed: int = 0,
    *,
    cells: int = 2000,
    cell_size_m: float = 5.0,
    zones: int = 200,
    buildings: int = 5000,
) -> dict[str, Any]:
    """Random buildings and zones over a ``cells`` x ``cells`` grid (sizes in metres).

    Zones mix discs, concave stars, thin corridors and rotated rectangles, a tenth of them
    temporary and a third with a floor above ground; buildings are rectangles and L-shapes
    of 8-60 m with log-normal heights.
    """
    rng = np.random.default_rng(seed)
    extent = cells * cell_size_m
    footprints = []
    for _ in range(buildings):
        x, y = rng.uniform(0, extent - 60, 2)
        w, h = rng.uniform(8, 60, 2)
        box = shapely.box(x, y, x + w, y + h)
        if rng.random() < 0.3:
            box = box.difference(shapely.box(x + w / 2, y + h / 2, x + w + 1, y + h + 1))
        footprints.append(box)
    heights = np.clip(rng.lognormal(math.log(15), 0.7, buildings), 3, 300)
    zone_list = []
    for index in range(zones):
        centre = rng.uniform(0.05 * extent, 0.95 * extent, 2)
        size = rng.uniform(30, 400)
        kind = index % 4
        if kind == 0:
            geometry = shapely.Point(centre).buffer(size)
        elif kind == 1:
            angles = np.linspace(0, 2 * np.pi, 14, endpoint=False)
            radii = np.where(np.arange(14) % 2 == 0, size, size / 3)
            geometry = shapely.Polygon(
                centre + np.c_[radii * np.cos(angles), radii * np.sin(angles)]
            )
        elif kind == 2:
            end = centre + rng.normal(0, size * 2, 2)
            geometry = shapely.LineString([centre, end]).buffer(
                rng.uniform(2, 10), cap_style="flat"
            )
        else:
            geometry = shapely.affinity.rotate(
                shapely.box(*(centre - size / 2), *(centre + size / 2)), float(rng.uniform(0, 90))
            )
        temporary = index % 10 == 0
        zone_list.append(
            NoFlyZone(
                f"zone-{index}",
                geometry,
                floor_m=60.0 if index % 3 == 0 else 0.0,
                buffer_m=float(rng.uniform(0, 30)),
                active_from_s=600.0 if temporary else None,
                active_until_s=1800.0 if temporary else None,
            )
        )
    return {
        "cells": cells,
        "cell_size_m": cell_size_m,
        "buildings": Buildings(footprints, heights),
        "zones": tuple(zone_list),
    }


UAS_ORIGIN_LONLAT = (8.5417, 47.3769)
UAS_START = datetime.datetime(2026, 6, 6, 6, 0, tzinfo=datetime.UTC)  # a Saturday
UAS_DURATION_S = 86_400.0
UAS_GROUND_M = 408.0


def build_uas_document(seed: int = 0, *, zones: int = 1000, extent_m: float = 10_000.0) -> dict:
    """An ED-269 document (``features`` wrapper) of ``zones`` zones over an
    ``extent_m`` square whose south-west corner is `UAS_ORIGIN_LONLAT`."""
    rng = np.random.default_rng(seed)
    projection = LocalProjection(*UAS_ORIGIN_LONLAT)
    features = []
    days = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
    for index in range(zones):
        centre = rng.uniform(0.05 * extent_m, 0.95 * extent_m, 2)
        size = float(rng.uniform(30, 400))
        lon, lat = (float(v) for v in projection.to_lonlat(*centre))
        steps = 2 if index % 5 == 0 else 1
        geometry = []
        for step in range(steps):
            radius = size * (1 + step)
            if index % 2 == 0:
                horizontal = {"type": "Circle", "center": [lon, lat], "radius": round(radius, 1)}
            else:
                count = 12
                angles = np.linspace(0, 2 * np.pi, count, endpoint=False) + rng.uniform(0, 1)
                radii = radius * np.where(np.arange(count) % 2 == 0, 1.0, 0.55)
                xs = centre[0] + radii * np.cos(angles)
                ys = centre[1] + radii * np.sin(angles)
                lons, lats = projection.to_lonlat(xs, ys)
                ring = [[float(a), float(b)] for a, b in zip(lons, lats)]
                horizontal = {"type": "Polygon", "coordinates": [ring + ring[:1]]}
            feet = index % 3 == 0
            amsl = index % 4 == 0
            floor = 30.0 * step
            geometry.append(
                {
                    "uomDimensions": "FT" if feet else "M",
                    "lowerLimit": round(
                        (floor + (UAS_GROUND_M if amsl else 0)) / (0.3048 if feet else 1)
                    ),
                    "lowerVerticalReference": "AMSL" if amsl else "AGL",
                    "upperLimit": None if index % 7 == 0 else round(120 / (0.3048 if feet else 1)),
                    "upperVerticalReference": "AGL",
                    "horizontalProjection": horizontal,
                }
            )
        if index % 3 == 0:
            applicability = [{"permanent": "YES"}]
        elif index % 3 == 1:
            start = int(rng.integers(6, 20))
            applicability = [
                {
                    "permanent": "NO",
                    "schedule": [
                        {
                            "day": [days[int(d)] for d in rng.choice(7, 3, replace=False)],
                            "startTime": f"{start:02d}:00:00.00Z",
                            "endTime": f"{start + 2:02d}:30:00.00Z",
                        }
                    ],
                }
            ]
        else:
            begin = UAS_START + datetime.timedelta(hours=float(rng.uniform(0, 20)))
            applicability = [
                {
                    "permanent": "NO",
                    "startDateTime": begin.strftime("%Y-%m-%dT%H:%M:%S.00Z"),
                    "endDateTime": (begin + datetime.timedelta(hours=3)).strftime(
                        "%Y-%m-%dT%H:%M:%S.00Z"
                    ),
                }
            ]
        features.append(
            {
                "identifier": f"Z{index:04d}",
                "country": "CHE",
                "name": f"generated zone {index}",
                "type": "COMMON",
                "restriction": ("PROHIBITED", "REQ_AUTHORISATION", "CONDITIONAL")[index % 3],
                "reason": ["AIR_TRAFFIC" if index % 10 == 0 else "OTHER"],
                "applicability": applicability,
                "zoneAuthority": [{"name": "benchmark"}],
                "geometry": geometry,
            }
        )
    return {"title": "dronesim benchmark zones", "features": features}


def run_uas_zones(repeats: int = 3, seed: int = 0, *, cells: int = 2000, cell_size_m: float = 5.0):
    """Read a generated 1,000-zone ED-269 file and rasterize its zones (seconds: medians)."""
    from dronesim.maps.uas_zones import read_uas_zones

    document = build_uas_document(seed, extent_m=cells * cell_size_m)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zones.json"
        path.write_text(json.dumps(document))
        projection = LocalProjection(*UAS_ORIGIN_LONLAT)

        def load():
            return read_uas_zones(path, projection, UAS_START, UAS_DURATION_S, UAS_GROUND_M)

        load_times, zones = _timed(load, repeats)

    def rasterize():
        return Airspace(
            origin_m=(0.0, 0.0),
            cell_size_m=cell_size_m,
            nx=cells,
            ny=cells,
            layers_m=LAYERS_M,
            zones=tuple(zones),
        )

    raster_times, airspace = _timed(rasterize, repeats)
    load_s, raster_s = statistics.median(load_times), statistics.median(raster_times)
    return {
        "uas_zones": len(document["features"]),
        "uas_volumes": len(zones),
        "uas_temporary": sum(zone.is_temporary for zone in zones),
        "uas_load_seconds": load_s,
        "uas_raster_seconds": raster_s,
        "uas_seconds": load_s + raster_s,
        "uas_target_seconds": 5.0,
        "uas_blocked_share": float(airspace.blocked.mean()),
    }


def build_airspace(workload: dict[str, Any]) -> Airspace:
    """The benchmark's airspace (what the target times)."""
    return Airspace(
        origin_m=(0.0, 0.0),
        cell_size_m=workload["cell_size_m"],
        nx=workload["cells"],
        ny=workload["cells"],
        layers_m=LAYERS_M,
        buildings=workload["buildings"],
        zones=workload["zones"],
    )


def _timed(function, repeats: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def run(repeats: int = 3, seed: int = 0) -> dict[str, Any]:
    """Run the benchmark; returns the figures (seconds are medians over ``repeats``)."""
    workload = build_workload(seed)
    cells = workload["cells"]
    cell = workload["cell_size_m"]
    airspace_times, airspace = _timed(lambda: build_airspace(workload), repeats)

    shapes = np.concatenate(
        [
            conservative_buffer(workload["buildings"].footprints, airspace.horizontal_clearance_m),
            np.array([zone.keep_out for zone in workload["zones"]], dtype=object),
        ]
    )

    def ours() -> np.ndarray:
        mask = np.zeros((cells, cells), dtype=bool)
        _, rows, cols = touched_cells(shapes, (0.0, 0.0), cell, cells, cells)
        mask[rows, cols] = True
        return mask

    ours_times, our_mask = _timed(ours, repeats)
    result: dict[str, Any] = {
        "grid": [len(LAYERS_M), cells, cells],
        "cell_size_m": cell,
        "zones": len(workload["zones"]),
        "buildings": len(workload["buildings"]),
        "airspace_seconds": statistics.median(airspace_times),
        "airspace_target_seconds": 5.0,
        "touched_seconds": statistics.median(ours_times),
        "touched_cells": int(our_mask.sum()),
        "blocked_share": [
            float(share) for share in airspace.blocked.reshape(len(LAYERS_M), -1).mean(axis=1)
        ],
    }
    result.update(run_uas_zones(repeats, seed, cells=cells, cell_size_m=cell))
    try:
        from rasterio import features, transform
    except ImportError:
        result["peer"] = None
        result["peer_notice"] = (
            "rasterio not installed (pip install 'dronesim[bench]'): peer skipped"
        )
        return result
    # rasterio rows run south from the top edge; flip to our northward rows.
    affine = transform.from_origin(0.0, cells * cell, cell, cell)

    def peer() -> np.ndarray:
        raster = features.rasterize(
            ((geometry, 1) for geometry in shapes),
            out_shape=(cells, cells),
            transform=affine,
            all_touched=True,
            dtype="uint8",
        )
        return raster[::-1].astype(bool)

    peer_times, peer_mask = _timed(peer, repeats)
    result.update(
        {
            "peer": "rasterio.features.rasterize(all_touched=True)",
            "peer_seconds": statistics.median(peer_times),
            "ratio_ours_to_peer": statistics.median(ours_times) / statistics.median(peer_times),
            "peer_cells_missed": int((our_mask & ~peer_mask).sum()),
            "peer_cells_extra": int((peer_mask & ~our_mask).sum()),
        }
    )
    return result


def format_table(result: dict[str, Any]) -> str:
    """Human-readable summary of `run`'s figures."""
    nz, ny, nx = result["grid"]
    lines = [
        f"rasterization: {nx} x {ny} x {nz} grid ({result['cell_size_m']:g} m cells), "
        f"{result['zones']} zones, {result['buildings']} buildings",
        f"  Airspace build (all of it)     {result['airspace_seconds']:7.2f} s   (target < {result['airspace_target_seconds']:g} s)",
        f"  touched cells, ours (exact)    {result['touched_seconds']:7.2f} s   {result['touched_cells']:,} cells",
        f"  ED-269 file, {result['uas_zones']:,} zones: read {result['uas_load_seconds']:.2f} s + "
        f"rasterize {result['uas_raster_seconds']:.2f} s = {result['uas_seconds']:.2f} s   "
        f"(target < {result['uas_target_seconds']:g} s; {result['uas_volumes']:,} zone volumes, "
        f"{result['uas_temporary']:,} with windows)",
    ]
    if result.get("peer"):
        lines.append(
            f"  touched cells, rasterio/GDAL   {result['peer_seconds']:7.2f} s   "
            f"missed {result['peer_cells_missed']:,} touched cells, {result['peer_cells_extra']:,} extra"
        )
        lines.append(f"  ratio ours / rasterio          {result['ratio_ours_to_peer']:7.2f}")
    else:
        lines.append(f"  {result['peer_notice']}")
    return "\n".join(lines)
