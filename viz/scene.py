"""What the renderer needs to know that does not move: the city, and the camera over it.

Nothing here imports pygame at module level; `viz.draw` does, lazily, when it draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from dronesim.maps import City


@dataclass
class Camera:
    """World (metres, y north) to screen (pixels, y down) transform.

    Attributes
    ----------
    centre_m : (float, float)
        World point at the centre of the view.
    pixels_per_m : float
        Zoom.
    size : (int, int)
        Screen width and height in pixels.
    """

    centre_m: tuple[float, float]
    pixels_per_m: float
    size: tuple[int, int]

    @classmethod
    def fit(cls, bounds_m, size: tuple[int, int], margin: float = 0.04) -> Camera:
        """A camera showing ``bounds_m`` (xmin, ymin, xmax, ymax) whole, centred."""
        xmin, ymin, xmax, ymax = bounds_m
        width, height = size
        scale = min(width / (xmax - xmin), height / (ymax - ymin)) * (1 - 2 * margin)
        return cls(((xmin + xmax) / 2, (ymin + ymax) / 2), scale, (int(width), int(height)))

    def to_screen(self, xy) -> np.ndarray:
        """Screen pixels of world points ``(..., 2)``."""
        xy = np.asarray(xy, dtype=float)
        out = np.empty(xy.shape)
        out[..., 0] = (xy[..., 0] - self.centre_m[0]) * self.pixels_per_m + self.size[0] / 2
        out[..., 1] = self.size[1] / 2 - (xy[..., 1] - self.centre_m[1]) * self.pixels_per_m
        return out

    def to_world(self, pixel) -> np.ndarray:
        """World metres of screen points ``(..., 2)``."""
        pixel = np.asarray(pixel, dtype=float)
        out = np.empty(pixel.shape)
        out[..., 0] = (pixel[..., 0] - self.size[0] / 2) / self.pixels_per_m + self.centre_m[0]
        out[..., 1] = (self.size[1] / 2 - pixel[..., 1]) / self.pixels_per_m + self.centre_m[1]
        return out

    def zoomed(self, factor: float, about_pixel) -> Camera:
        """Zoom by ``factor`` keeping the world point under ``about_pixel`` in place."""
        anchor = self.to_world(about_pixel)
        scale = float(np.clip(self.pixels_per_m * factor, 1e-3, 50.0))
        after = Camera(self.centre_m, scale, self.size)
        moved = after.to_world(about_pixel)
        centre = (self.centre_m[0] + anchor[0] - moved[0], self.centre_m[1] + anchor[1] - moved[1])
        return Camera(centre, scale, self.size)

    def panned(self, dx_px: float, dy_px: float) -> Camera:
        """Move the view by a mouse drag of (dx, dy) pixels."""
        return Camera(
            (
                self.centre_m[0] - dx_px / self.pixels_per_m,
                self.centre_m[1] + dy_px / self.pixels_per_m,
            ),
            self.pixels_per_m,
            self.size,
        )

    def resized(self, size: tuple[int, int]) -> Camera:
        return Camera(self.centre_m, self.pixels_per_m, (int(size[0]), int(size[1])))

    @property
    def key(self) -> tuple:
        return (
            round(self.centre_m[0], 6),
            round(self.centre_m[1], 6),
            round(self.pixels_per_m, 9),
            self.size,
        )


@dataclass
class Scene:
    """The static city: building rings with heights, parks, zones, depots, base stations.

    Geometry is flattened once into rings of world coordinates, so drawing at any camera
    is a transform and a polygon fill per ring.
    """

    bounds_m: tuple[float, float, float, float]
    building_rings: list[np.ndarray]
    building_heights_m: np.ndarray
    park_rings: list[np.ndarray]
    zone_rings: list[list[np.ndarray]]
    zone_names: list[str]
    zone_kinds: list[str]
    zone_bands: list[tuple[float, float]]
    zone_windows: list[tuple[float | None, float | None]]
    zone_shapes: list
    depots_xy: np.ndarray
    depot_names: list[str]
    stations_xy: np.ndarray
    credit: str = ""
    cache: dict = field(default_factory=dict)

    @classmethod
    def from_city(cls, city: City, credit: str = "") -> Scene:
        zones = city.zones
        return cls(
            bounds_m=city.bounds_m,
            building_rings=[
                ring for footprint in city.buildings.footprints for ring in _rings(footprint)[:1]
            ],
            building_heights_m=np.array(
                [
                    h
                    for footprint, h in zip(city.buildings.footprints, city.buildings.heights_m)
                    for _ in _rings(footprint)[:1]
                ]
            ),
            park_rings=[ring for park in city.parks for ring in _rings(park)[:1]],
            zone_rings=[_rings(zone.keep_out) for zone in zones],
            zone_names=[zone.name for zone in zones],
            zone_kinds=[zone.kind for zone in zones],
            zone_bands=[(zone.floor_m, zone.ceiling_m) for zone in zones],
            zone_windows=[(zone.active_from_s, zone.active_until_s) for zone in zones],
            zone_shapes=[zone.keep_out for zone in zones],
            depots_xy=np.array([[d.x_m, d.y_m] for d in city.depots]).reshape(-1, 2),
            depot_names=[d.name for d in city.depots],
            stations_xy=np.array([[s.x_m, s.y_m] for s in city.base_stations]).reshape(-1, 2),
            credit=credit,
        )

    def zone_at(self, xy) -> int | None:
        """Index of the zone under a world point (for the altitude-band tooltip)."""
        point = shapely.Point(float(xy[0]), float(xy[1]))
        for index, shape in enumerate(self.zone_shapes):
            if shape.covers(point):
                return index
        return None

    def is_temporary(self, index: int) -> bool:
        start, end = self.zone_windows[index]
        return start is not None or end is not None


def _rings(geometry) -> list[np.ndarray]:
    """Exterior rings of a (multi)polygon's parts (holes are drawn over by the ground)."""
    parts = shapely.get_parts(geometry)
    rings = []
    for part in parts:
        coords = np.asarray(part.exterior.coords)[:-1]
        if len(coords) >= 3:
            rings.append(coords)
    return rings


def format_clock(seconds: float) -> str:
    """``HH:MM:SS`` of a time of day in seconds."""
    seconds = int(math.floor(seconds)) % 86400
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def format_duration(seconds: float) -> str:
    """``1 h 02 min`` style, for sim time."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"
