"""A city as vector data, and a seeded procedural city generator.

A `City` is what a GeoJSON file holds: buildings, no-fly zones, depots, base stations,
demand hotspots and parks in the local metric frame. `City.to_airspace` rasterizes it at
a chosen cell size.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from dronesim.maps import limits
from dronesim.maps.airspace import DEFAULT_CEILING_M, DEFAULT_LAYERS_M, Airspace
from dronesim.maps.errors import InputError
from dronesim.maps.features import (
    BaseStation,
    Buildings,
    Depot,
    Hotspot,
    NoFlyZone,
    check_area_geometry,
    unique_names,
)
from shapely.geometry import Polygon

DEPOT_SITINGS = ("even", "demand")
_SITING_STREAM = 0xD5  # the demand siting's own random stream (after the city's draws)


@dataclass(frozen=True, eq=False)
class City:
    """A city's vector description in the local metric frame (x east, y north, metres).

    Parameters
    ----------
    name : str
        Human-readable name.
    bounds_m : (float, float, float, float)
        ``(xmin, ymin, xmax, ymax)`` of the area to simulate, metres.
    buildings : Buildings
        Footprints and roof heights.
    zones : tuple of NoFlyZone
        Permanent and temporary restrictions.
    depots : tuple of Depot
        Sites with charging pads.
    base_stations : tuple of BaseStation
        Radio sites.
    hotspots : tuple of Hotspot
        Centres of delivery demand.
    parks : tuple of shapely.Polygon
        Green areas (no buildings, low ground risk); drawn by viz.
    land : tuple of shapely.Polygon
        Where customers are: drop-offs (and merchant pads) are drawn only on these areas
        (a real city's map names its land, so that no order falls in a river or beyond
        the mapped blocks). Empty: anywhere on open ground.
    origin_lonlat : (float, float), optional
        WGS84 ``(lon, lat)`` in degrees of the frame's (0, 0).
    """

    name: str
    bounds_m: tuple[float, float, float, float]
    buildings: Buildings = field(default_factory=Buildings.empty)
    zones: tuple[NoFlyZone, ...] = ()
    depots: tuple[Depot, ...] = ()
    base_stations: tuple[BaseStation, ...] = ()
    hotspots: tuple[Hotspot, ...] = ()
    parks: tuple[Polygon, ...] = ()
    land: tuple[Polygon, ...] = ()
    origin_lonlat: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        try:
            bounds = tuple(float(v) for v in self.bounds_m)
        except (TypeError, ValueError):
            raise ValueError(
                f"city {self.name!r}: bounds_m must be 4 numbers, got {self.bounds_m!r}"
            ) from None
        if (
            len(bounds) != 4
            or not all(map(math.isfinite, bounds))
            or not (bounds[2] > bounds[0] and bounds[3] > bounds[1])
        ):
            raise ValueError(
                f"city {self.name!r}: bounds_m must be finite (xmin, ymin, xmax, ymax) with max > min, "
                f"got {self.bounds_m!r}"
            )
        object.__setattr__(self, "bounds_m", bounds)
        for name in ("zones", "depots", "base_stations", "hotspots"):
            items = tuple(getattr(self, name))
            unique_names(f"city {self.name!r}: {name}", items)
            object.__setattr__(self, name, items)
        parks = tuple(self.parks)
        for index, park in enumerate(parks):
            check_area_geometry(f"park {index}", park)
        object.__setattr__(self, "parks", parks)
        land = tuple(self.land)
        for index, area in enumerate(land):
            check_area_geometry(f"land {index}", area)
        object.__setattr__(self, "land", land)

    def to_airspace(
        self,
        cell_size_m: float = 10.0,
        *,
        layers_m: tuple[float, ...] = DEFAULT_LAYERS_M,
        ceiling_m: float = DEFAULT_CEILING_M,
        horizontal_clearance_m: float = 5.0,
        vertical_clearance_m: float = 10.0,
        **kwargs: Any,
    ) -> Airspace:
        """Rasterize the city onto a grid covering `bounds_m`.

        Parameters
        ----------
        cell_size_m : float
            Side of a grid cell in metres.
        layers_m, ceiling_m, horizontal_clearance_m, vertical_clearance_m
            See `Airspace`.
        **kwargs
            Other `Airspace` fields (``cost``, ``obstacles``).
        """
        if not (
            isinstance(cell_size_m, (int, float)) and math.isfinite(cell_size_m) and cell_size_m > 0
        ):
            raise InputError(f"cell_size_m must be > 0, got {cell_size_m!r}")
        xmin, ymin, xmax, ymax = self.bounds_m
        nx = max(1, math.ceil((xmax - xmin) / cell_size_m - 1e-9))
        ny = max(1, math.ceil((ymax - ymin) / cell_size_m - 1e-9))
        cells = nx * ny * len(layers_m)
        if cells > limits.MAX_GRID_CELLS:
            raise InputError(
                f"cell_size_m: {cell_size_m:g} m cells over {xmax - xmin:g} x {ymax - ymin:g} m "
                f"and {len(layers_m)} layers make {cells:.3g} cells; at most {limits.MAX_GRID_CELLS:.0e}"
            )
        return Airspace(
            origin_m=(xmin, ymin),
            cell_size_m=cell_size_m,
            nx=nx,
            ny=ny,
            layers_m=layers_m,
            ceiling_m=ceiling_m,
            buildings=self.buildings,
            zones=self.zones,
            depots=self.depots,
            base_stations=self.base_stations,
            horizontal_clearance_m=horizontal_clearance_m,
            vertical_clearance_m=vertical_clearance_m,
            origin_lonlat=self.origin_lonlat,
            **kwargs,
        )

    def summary(self) -> dict[str, Any]:
        """Plain-data description of the vector content."""
        heights = self.buildings.heights_m
        xmin, ymin, xmax, ymax = self.bounds_m
        return {
            "name": self.name,
            "size_m": [xmax - xmin, ymax - ymin],
            "buildings": len(self.buildings),
            "building_height_m": (
                {
                    "min": float(heights.min()),
                    "p50": float(np.median(heights)),
                    "p90": float(np.quantile(heights, 0.9)),
                    "max": float(heights.max()),
                }
                if heights.size
                else None
            ),
            "zones": len(self.zones),
            "temporary_zones": sum(zone.is_temporary for zone in self.zones),
            "depots": len(self.depots),
            "pads": sum(depot.pads for depot in self.depots),
            "base_stations": len(self.base_stations),
            "hotspots": len(self.hotspots),
            "parks": len(self.parks),
            "land": len(self.land),
        }


# --------------------------------------------------------------------------- generator


def generate_city(
    seed: int = 0,
    *,
    width_m: float = 3000.0,
    height_m: float = 3000.0,
    block_m: float = 110.0,
    street_m: float = 20.0,
    park_share: float = 0.07,
    tower_share: float = 0.05,
    depots: int = 3,
    pads_per_depot: int = 6,
    temporary_window_s: tuple[float, float] = (3600.0, 5400.0),
    temporary_unannounced: bool = False,
    station_spacing_m: float = 1200.0,
    station_range_m: float = 1500.0,
    airport: bool = True,
    name: str | None = None,
    origin_lonlat: tuple[float, float] | None = None,
    depot_siting: str = "even",
    temporary_zone_xy_m: tuple[float, float] | None = None,
) -> City:
    """Generate a deterministic procedural city.

    A street grid of square blocks; most blocks are split into 2-3 x 2-3 lots, each with a
    building (a rectangle, sometimes an L-shape or a courtyard block). Heights follow a
    low-rise-heavy mix: houses of 6-18 m in the outskirts, 15-45 m mid-rise around the
    centre, and towers of 60-250 m (above the cruise layers) concentrated downtown.
    Some blocks are parks. One airport (large, full height), a government site and a
    hospital helipad are permanent zones; an event zone is temporary. Depots sit in
    cleared blocks spread evenly over the city; base stations on a jittered grid; commercial
    demand hotspots downtown and residential ones in the outskirts.

    Same arguments, same city, bit for bit (one ``numpy.random.Generator`` seeded from
    ``seed``, drawn in a fixed order).

    Parameters
    ----------
    seed : int
        Random seed.
    width_m, height_m : float
        Size of the city in metres (frame from (0, 0) to (width, height)).
    block_m, street_m : float
        Side of a block and width of a street, metres.
    park_share, tower_share : float
        Share of blocks that are parks; share of lots with a tower near downtown.
    depots, pads_per_depot : int
        Number of depots and charging pads at each.
    temporary_window_s : (float, float)
        Active window of the event zone, seconds.
    temporary_unannounced : bool
        Whether the event zone is unannounced (not known before it switches on; see
        `NoFlyZone`).
    station_spacing_m, station_range_m : float
        Base-station grid spacing and radio range, metres.
    airport : bool
        Whether to place the airport zone.
    name : str, optional
        City name (default ``"generated-<seed>"``).
    origin_lonlat : (float, float), optional
        Geographic anchor of the frame, for GeoJSON export.
    depot_siting : {"even", "demand"}
        ``"even"``: depots spread evenly over the city. ``"demand"``: where the demand
        is (`site_by_demand`): the city is generated as with ``"even"`` (the same
        buildings, zones and hotspots), then each depot moves to the free block nearest a
        centre of a weighted k-means of the hotspots' demand; the buildings of the
        blocks it takes are cleared, and the blocks the even depots left become parks.
    temporary_zone_xy_m : (float, float), optional
        Where the event zone goes (e.g. across busy traffic): the city is generated as
        without it (the same buildings and hotspots), then the event zone moves to the
        free block nearest this point that is as clear of the depots as the drawn one
        (not a depot's or special site's block); that block's buildings are cleared
        for the stadium grounds.
    """
    # Argument errors are input errors (the command line's options and a scenario's map
    # table arrive here); the limits keep a typo from generating for hours.
    for label, value in (("width_m", width_m), ("height_m", height_m), ("block_m", block_m)):
        if not value > 0:
            raise InputError(f"{label} must be > 0, got {value!r}")
    for label, value in (("width_m", width_m), ("height_m", height_m)):
        if not value <= limits.MAX_CITY_SIDE_M:
            raise InputError(f"{label} must be <= {limits.MAX_CITY_SIDE_M:g}, got {value!r}")
    if street_m < 0:
        raise InputError(f"street_m must be >= 0, got {street_m!r}")
    if width_m < 2 * (block_m + street_m) or height_m < 2 * (block_m + street_m):
        raise InputError(f"the city must hold at least 2 x 2 blocks of {block_m + street_m:g} m")
    if depot_siting not in DEPOT_SITINGS:
        raise InputError(
            f"depot_siting must be one of {', '.join(DEPOT_SITINGS)}, got {depot_siting!r}"
        )
    if depots < 1:
        raise InputError(f"depots must be >= 1, got {depots!r}")
    if depots > limits.MAX_DEPOTS:
        raise InputError(f"depots must be <= {limits.MAX_DEPOTS}, got {depots!r}")
    if not 1 <= pads_per_depot <= limits.MAX_PADS:
        raise InputError(f"pads_per_depot must be in 1..{limits.MAX_PADS}, got {pads_per_depot!r}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    pitch = block_m + street_m
    cols = int(width_m // pitch)
    rows = int(height_m // pitch)
    # Centre the block grid so the leftover margin is split evenly.
    offset_x = (width_m - cols * pitch + street_m) / 2
    offset_y = (height_m - rows * pitch + street_m) / 2
    block_x0 = offset_x + np.arange(cols) * pitch
    block_y0 = offset_y + np.arange(rows) * pitch
    downtown = np.array([width_m, height_m]) * rng.uniform(0.4, 0.6, size=2)
    half_diagonal = 0.5 * math.hypot(width_m, height_m)

    zones: list[NoFlyZone] = []
    reserved: list[Polygon] = []
    if airport:
        airport_zone = _airport_zone(rng, width_m, height_m)
        zones.append(airport_zone)
        reserved.append(airport_zone.keep_out)

    def block_box(c: int, r: int) -> Polygon:
        return shapely.box(block_x0[c], block_y0[r], block_x0[c] + block_m, block_y0[r] + block_m)

    def block_centre(c: int, r: int) -> tuple[float, float]:
        return (float(block_x0[c] + block_m / 2), float(block_y0[r] + block_m / 2))

    def block_distance(c: int, r: int) -> float:
        centre = np.array([block_x0[c], block_y0[r]]) + block_m / 2
        return float(np.hypot(*(centre - downtown)) / half_diagonal)

    free_blocks = [
        (c, r)
        for r in range(rows)
        for c in range(cols)
        if not any(block_box(c, r).intersects(area) for area in reserved)
    ]
    by_distance = sorted(free_blocks, key=lambda cr: (block_distance(*cr), cr))

    # Depots: the free blocks nearest to targets spread evenly over the city (the centres
    # of a near-square grid of as many cells as depots), so every district has one near.
    depot_blocks: list[tuple[int, int]] = []
    grid_cols = max(1, math.ceil(math.sqrt(depots * width_m / height_m)))
    grid_rows = math.ceil(depots / grid_cols)
    jitter = rng.uniform(-0.15, 0.15, size=(depots, 2))
    for index in range(depots):
        row, col = divmod(index, grid_cols)
        columns_here = grid_cols if row < grid_rows - 1 else depots - grid_cols * (grid_rows - 1)
        target = np.array(
            [
                width_m * (col + 0.5 + jitter[index, 0]) / columns_here,
                height_m * (row + 0.5 + jitter[index, 1]) / grid_rows,
            ]
        )
        candidates = [cr for cr in free_blocks if cr not in depot_blocks]
        if not candidates:
            raise InputError(
                f"depots: {depots} do not fit: no free block left for depot {index} "
                f"(the city has {len(free_blocks)} free blocks)"
            )
        centres = np.array(
            [[block_x0[c] + block_m / 2, block_y0[r] + block_m / 2] for c, r in candidates]
        )
        depot_blocks.append(candidates[int(np.argmin(np.hypot(*(centres - target).T)))])
    depot_list = tuple(
        Depot(
            f"depot-{index + 1}",
            block_x0[c] + block_m / 2,
            block_y0[r] + block_m / 2,
            pads_per_depot,
        )
        for index, (c, r) in enumerate(depot_blocks)
    )
    taken = set(depot_blocks)

    # Special sites in blocks near downtown that are not depots.
    near = [cr for cr in by_distance if cr not in taken]
    government_block = near[int(rng.integers(2, min(8, len(near))))]
    taken.add(government_block)
    gc, gr = government_block
    gx, gy = block_x0[gc], block_y0[gr]
    zones.append(
        NoFlyZone(
            "government-site",
            shapely.box(gx + 10, gy + 10, gx + block_m - 10, gy + block_m - 10),
            buffer_m=20.0,
            kind="government",
        )
    )
    near = [cr for cr in by_distance if cr not in taken]
    hospital_block = near[int(rng.integers(len(near) // 4, len(near) // 2))]
    taken.add(hospital_block)
    hc, hr = hospital_block
    zones.append(
        NoFlyZone(
            "hospital-helipad",
            shapely.Point(block_x0[hc] + block_m / 2, block_y0[hr] + block_m / 2).buffer(
                40.0, quad_segs=16
            ),
            ceiling_m=DEFAULT_CEILING_M,
            buffer_m=15.0,
            kind="helipad",
        )
    )
    event_radius = min(220.0, 0.08 * min(width_m, height_m))
    depot_xy = np.array([[d.x_m, d.y_m] for d in depot_list])

    def clear_of_depots(cr: tuple[int, int]) -> bool:
        centre = np.array([block_x0[cr[0]], block_y0[cr[1]]]) + block_m / 2
        return bool(np.hypot(*(depot_xy - centre).T).min() > event_radius + block_m + 40)

    near = [cr for cr in by_distance if cr not in taken and clear_of_depots(cr)] or [
        cr for cr in by_distance if cr not in taken
    ]
    event_block = near[int(rng.integers(len(near) // 8, max(len(near) // 3, len(near) // 8 + 1)))]
    ec, er = event_block
    event_centre = shapely.Point(block_x0[ec] + block_m / 2, block_y0[er] + block_m / 2)
    zones.append(
        NoFlyZone(
            "event-stadium",
            event_centre.buffer(event_radius, quad_segs=16),
            buffer_m=20.0,
            kind="event",
            active_from_s=float(temporary_window_s[0]),
            active_until_s=float(temporary_window_s[1]),
            unannounced=temporary_unannounced,
        )
    )
    taken.add(event_block)

    def clear_of_event(cr: tuple[int, int]) -> bool:
        return shapely.Point(block_centre(*cr)).distance(event_centre) > event_radius + block_m + 40

    footprints: list[Polygon] = []
    heights: list[float] = []
    footprint_block: list[tuple[int, int]] = []
    parks: list[Polygon] = []
    park_blocks: list[tuple[int, int]] = []
    for c, r in free_blocks:
        if (c, r) in depot_blocks:
            continue
        distance = block_distance(c, r)
        box = block_box(c, r)
        if (c, r) == event_block:
            parks.append(box)  # the stadium grounds
            park_blocks.append((c, r))
            continue
        if (c, r) not in (government_block, hospital_block) and rng.random() < park_share * (
            0.5 + distance
        ):
            parks.append(box)
            park_blocks.append((c, r))
            continue
        lots_x = int(rng.integers(2, 4))
        lots_y = int(rng.integers(2, 4))
        lot_w = block_m / lots_x
        lot_h = block_m / lots_y
        for lot in range(lots_x * lots_y):
            lx = block_x0[c] + (lot % lots_x) * lot_w
            ly = block_y0[r] + (lot // lots_x) * lot_h
            setback = rng.uniform(2.0, 6.0)
            footprint = _lot_building(
                rng, lx + setback, ly + setback, lx + lot_w - setback, ly + lot_h - setback
            )
            footprints.append(footprint)
            heights.append(_building_height(rng, distance, tower_share))
            footprint_block.append((c, r))

    # Hotspots: commercial near downtown, residential in the outskirts.
    hotspots: list[Hotspot] = []
    for index in range(int(rng.integers(2, 4))):
        centre = downtown + rng.normal(0, 0.08 * min(width_m, height_m), size=2)
        hotspots.append(
            Hotspot(
                f"commercial-{index + 1}",
                float(np.clip(centre[0], 0, width_m)),
                float(np.clip(centre[1], 0, height_m)),
                radius_m=float(rng.uniform(150, 300)),
                weight=float(rng.uniform(1.5, 3.0)),
                category="commercial",
            )
        )
    residential = [cr for cr in by_distance[len(by_distance) // 3 :] if cr not in taken]
    chosen = rng.choice(
        len(residential), size=min(len(residential), int(rng.integers(4, 8))), replace=False
    )
    for index, pick in enumerate(sorted(int(p) for p in chosen)):
        c, r = residential[pick]
        hotspots.append(
            Hotspot(
                f"residential-{index + 1}",
                block_x0[c] + block_m / 2,
                block_y0[r] + block_m / 2,
                radius_m=float(rng.uniform(250, 450)),
                weight=float(rng.uniform(0.8, 1.5)),
                category="residential",
            )
        )

    stations: list[BaseStation] = []
    for sy in np.arange(station_spacing_m / 2, height_m, station_spacing_m):
        for sx in np.arange(station_spacing_m / 2, width_m, station_spacing_m):
            jitter = rng.uniform(-0.15, 0.15, size=2) * station_spacing_m
            stations.append(
                BaseStation(
                    f"station-{len(stations) + 1}",
                    float(np.clip(sx + jitter[0], 0, width_m)),
                    float(np.clip(sy + jitter[1], 0, height_m)),
                    station_range_m,
                )
            )

    def clear_blocks(blocks):
        """The buildings (footprints, heights, blocks) outside ``blocks``."""
        keep = [k for k, cr in enumerate(footprint_block) if cr not in blocks]
        return (
            [footprints[k] for k in keep],
            [heights[k] for k in keep],
            [footprint_block[k] for k in keep],
        )

    if temporary_zone_xy_m is not None:
        moved = [
            cr
            for cr in free_blocks
            if cr not in depot_blocks
            and cr not in (government_block, hospital_block)
            and clear_of_depots(cr)
        ]
        if not moved:
            raise InputError("temporary_zone_xy_m: no free block clear of the depots")
        wanted = shapely.Point(temporary_zone_xy_m)
        event_block = min(
            moved, key=lambda cr: (shapely.Point(block_centre(*cr)).distance(wanted), cr)
        )
        event_centre = shapely.Point(block_centre(*event_block))
        zones = [
            dataclasses.replace(zone, geometry=event_centre.buffer(event_radius, quad_segs=16))
            if zone.name == "event-stadium"
            else zone
            for zone in zones
        ]
        footprints, heights, footprint_block = clear_blocks([event_block])
        if event_block not in park_blocks:
            parks.append(block_box(*event_block))  # the stadium grounds
            park_blocks.append(event_block)

    if depot_siting == "demand":
        # Blocks a depot may take: not a special site, and as clear of the event zone as
        # the even depots are.
        open_blocks = [
            cr
            for cr in free_blocks
            if cr not in (government_block, hospital_block, event_block)
            and (cr in depot_blocks or clear_of_event(cr))
        ]
        sited = site_by_demand(
            np.random.default_rng(np.random.SeedSequence([seed, _SITING_STREAM])),
            hotspots,
            Buildings(footprints, np.array(heights)),
            (0.0, 0.0, float(width_m), float(height_m)),
            np.array([block_centre(*cr) for cr in open_blocks]).reshape(-1, 2),
            depots,
        )
        chosen = [open_blocks[index] for index in sited]
        footprints, heights, footprint_block = clear_blocks(chosen)
        left = [cr for cr in depot_blocks if cr not in chosen]
        parks = [p for p, cr in zip(parks, park_blocks, strict=True) if cr not in chosen]
        parks.extend(block_box(*cr) for cr in left)
        depot_list = tuple(
            Depot(f"depot-{index + 1}", *block_centre(*cr), pads_per_depot)
            for index, cr in enumerate(chosen)
        )

    return City(
        name=name or f"generated-{seed}",
        bounds_m=(0.0, 0.0, float(width_m), float(height_m)),
        buildings=Buildings(footprints, np.array(heights)),
        zones=tuple(zones),
        depots=depot_list,
        base_stations=tuple(stations),
        hotspots=tuple(hotspots),
        parks=tuple(parks),
        origin_lonlat=origin_lonlat,
    )


def site_by_demand(
    rng: np.random.Generator,
    hotspots,
    buildings: Buildings,
    bounds_m: tuple[float, float, float, float],
    candidates_m: np.ndarray,
    depots: int,
    samples: int = 4000,
    iterations: int = 50,
) -> list[int]:
    """Depot sites where the demand is: a weighted k-means of points drawn from the
    hotspots, each centre then taking the nearest candidate site not yet taken.

    Points are drawn as the demand generator draws drop-offs (a hotspot by weight, a
    Gaussian point of its radius), and points inside a building footprint or outside the
    city are dropped, as the generator redraws them. k-means starts from k-means++ seeds
    (Arthur & Vassilvitskii, SODA 2007) and runs Lloyd's iterations. The centres claim
    sites heaviest cluster first.

    Parameters
    ----------
    rng : numpy.random.Generator
        The siting's own stream.
    hotspots : sequence of Hotspot
        Where demand comes from (none: sites spread over the candidates).
    buildings : Buildings
        Footprints (points inside are dropped).
    bounds_m : (float, float, float, float)
        The city's extent.
    candidates_m : numpy.ndarray, shape (n, 2)
        Possible depot sites, metres.
    depots : int
        Sites to choose (at most ``n``).
    samples, iterations : int
        Points drawn, and Lloyd iterations.

    Returns
    -------
    list of int
        Indices into ``candidates_m``, one per depot, distinct.
    """
    if len(candidates_m) < depots:
        raise InputError(f"depots: {depots} do not fit: {len(candidates_m)} free blocks for depots")
    if hotspots:
        weights = np.array([spot.weight for spot in hotspots])
        which = rng.choice(len(hotspots), size=samples, p=weights / weights.sum())
        centres = np.array([[spot.x_m, spot.y_m] for spot in hotspots])
        radii = np.array([spot.radius_m for spot in hotspots])
        points = centres[which] + rng.normal(size=(samples, 2)) * radii[which, None]
        x0, y0, x1, y1 = bounds_m
        inside = (
            (points[:, 0] >= x0)
            & (points[:, 0] <= x1)
            & (points[:, 1] >= y0)
            & (points[:, 1] <= y1)
        )
        points = points[inside]
        if len(buildings) and len(points):
            hit, _ = buildings.tree.query(shapely.points(points), predicate="intersects")
            points = np.delete(points, np.unique(hit), axis=0)
    else:
        points = np.asarray(candidates_m, np.float64)
    if len(points) < depots:
        points = np.asarray(candidates_m, np.float64)

    def distance(centres: np.ndarray) -> np.ndarray:  # (points, centres), metres
        return np.hypot(
            points[:, None, 0] - centres[None, :, 0], points[:, None, 1] - centres[None, :, 1]
        )

    # k-means++ seeding, then Lloyd.
    centres = [points[int(rng.integers(len(points)))]]
    for _ in range(1, depots):
        chance = np.min(distance(np.array(centres)), axis=1) ** 2
        pick = int(rng.choice(len(points), p=chance / chance.sum())) if chance.sum() > 0 else 0
        centres.append(points[pick])
    centres = np.array(centres)
    for _ in range(iterations):
        label = np.argmin(distance(centres), axis=1)
        moved = np.array(
            [
                points[label == k].mean(axis=0) if (label == k).any() else centres[k]
                for k in range(depots)
            ]
        )
        if np.allclose(moved, centres):
            break
        centres = moved
    size = np.bincount(np.argmin(distance(centres), axis=1), minlength=depots)
    chosen: list[int] = []
    for k in np.lexsort((np.arange(depots), -size)):
        gap = np.hypot(*(candidates_m - centres[k]).T)
        gap[chosen] = np.inf
        chosen.append(int(np.argmin(gap)))
    return chosen


def _airport_zone(rng: np.random.Generator, width_m: float, height_m: float) -> NoFlyZone:
    """A runway-shaped zone straddling one edge of the city, tilted a little."""
    length = 0.35 * width_m
    depth = 0.14 * height_m
    edge = int(rng.integers(4))
    along = rng.uniform(0.15, 0.5)
    if edge in (0, 1):  # south, north
        x0 = along * width_m
        y0 = -0.3 * depth if edge == 0 else height_m - 0.7 * depth
        footprint = shapely.box(x0, y0, x0 + length, y0 + depth)
    else:  # west, east
        y0 = along * height_m
        x0 = -0.3 * depth if edge == 2 else width_m - 0.7 * depth
        footprint = shapely.box(x0, y0, x0 + depth, y0 + 0.35 * height_m)
    footprint = shapely.affinity.rotate(footprint, float(rng.uniform(-8, 8)), origin="centroid")
    return NoFlyZone("airport", footprint, buffer_m=50.0, kind="airport")


def _lot_building(rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A footprint filling a lot: a rectangle, an L-shape (concave) or a courtyard block (a hole)."""
    shape = rng.random()
    box = shapely.box(x0, y0, x1, y1)
    w, h = x1 - x0, y1 - y0
    if shape < 0.25:
        # Built vertex by vertex: a boolean difference leaves float slivers along the cut.
        cut = np.array([w * rng.uniform(0.3, 0.6), h * rng.uniform(0.3, 0.6)])
        corner = int(rng.integers(4))
        corners = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
        here = corners[corner]
        step_next = np.sign(corners[(corner + 1) % 4] - here) * cut
        step_prev = np.sign(corners[(corner - 1) % 4] - here) * cut
        ring = [
            here + step_next,
            *(corners[(corner + k) % 4] for k in (1, 2, 3)),
            here + step_prev,
            here + step_next + step_prev,
        ]
        return Polygon(ring)
    if shape < 0.32 and min(w, h) > 30:
        ring = min(w, h) * rng.uniform(0.2, 0.3)
        return Polygon(
            box.exterior.coords,
            [shapely.box(x0 + ring, y0 + ring, x1 - ring, y1 - ring).exterior.coords],
        )
    return box


def _building_height(rng: np.random.Generator, distance: float, tower_share: float) -> float:
    """Roof height in metres: towers downtown, mid-rise around it, low-rise beyond."""
    if rng.random() < tower_share * 4 * math.exp(-5 * distance):
        return float(np.clip(rng.lognormal(math.log(110), 0.35), 60, 250))
    if distance < 0.35 and rng.random() < 0.7:
        return float(rng.uniform(15, 45))
    return float(np.clip(rng.lognormal(math.log(10), 0.3), 6, 18))
