"""Scenarios: a frozen, validated description of a simulation, read from TOML.

Every error names the file, the field (dotted path) and the value, on one line:
``demo.toml: drone.cruise_speed_mps: must be > 0, got -3``. `Scenario.read` is the one
reader; `Scenario.replace` builds variants. Bundled scenarios ship as package data
(``sim/scenarios/*.toml``) and are listed by `bundled_scenarios`.

A scenario is data: loading or checking one never imports code. ``planner.name``,
``dispatch.policy`` and ``deconfliction.policy`` must name a registered planner or policy
(registered by code, or by an installed package's entry point: see
`dronesim.planners.plugins` and `dronesim.sim.deconfliction`); ``module:attribute`` is
refused. Sizes are bounded (`dronesim.maps.limits`) before anything is allocated.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import math
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from dronesim.maps import limits
from dronesim.maps.city import DEPOT_SITINGS
from dronesim.maps.errors import FieldError, InputError
from dronesim.maps.projection import origin_in_range
from dronesim.maps.uas_zones import ElevationGrid
from dronesim.planners.aircraft import aircraft_type
from dronesim.planners.energy import DroneModel
from dronesim.planners.wind import (
    DEFAULT_EXPONENT,
    DEFAULT_REFERENCE_HEIGHT_M,
    DEFAULT_ROUGHNESS_M,
    PROFILES,
    WindField,
    vector_from,
)

HOURS = 24
# How pads and drones are shared among depots (`sim.engine.size_depots`).
SIZINGS = ("uniform", "demand")
# Where an order's parcel is picked up (`sim.dispatching`): at the depot nearest its
# drop-off, at whichever depot can deliver it soonest (every depot stocks it), or at the
# merchant of the hotspot it was drawn at (`sim.demand.merchant_pads`).
PICKUPS = ("nearest-depot", "any-depot", "merchant")


class ScenarioError(FieldError):
    """A scenario file is unreadable or invalid; the message names file, field and value."""


# Simulation time 0 falls on this date unless a scenario says otherwise (a Monday).
DEFAULT_START_DATE = datetime.date(2026, 6, 1)


@dataclass(frozen=True)
class MapSpec:
    """Where the city comes from: the generator (with its parameters) or a GeoJSON file."""

    generator: str = "city"
    geojson: str | None = None
    seed: int = 0
    width_m: float = 3000.0
    height_m: float = 3000.0
    depots: int = 3
    pads_per_depot: int = 6
    pad_layout: str = "ring"
    pad_spacing_m: float | None = None  # None: 1.2 (or 1.0) x separation.horizontal_m
    sizing: str = "uniform"  # uniform | demand: pads and drones per depot (`engine.size_depots`)
    depot_siting: str = "even"  # even | demand: where the generator puts depots (`generate_city`)
    temporary_window_s: tuple[float, float] = (3600.0, 5400.0)
    temporary_unannounced: bool = False
    temporary_zone_xy_m: tuple[float, float] | None = None  # None: where the generator draws it
    cell_size_m: float = 10.0
    layers_m: tuple[float, ...] = (30.0, 50.0, 70.0, 90.0, 110.0)
    ceiling_m: float = 120.0
    horizontal_clearance_m: float = 5.0
    vertical_clearance_m: float = 10.0
    # Where a generated city lies on the Earth: [lon, lat] of its (0, 0) corner, degrees.
    # A map file carries its own (``origin_lonlat`` or its data's centre). Exports in
    # geographic coordinates (operational intents) need one.
    origin_lonlat: tuple[float, float] | None = None
    # Ground elevation above mean sea level, metres: zone limits given AMSL are converted to
    # heights above ground with it, and exported WGS84 altitudes start from it.
    ground_elevation_m: float = 0.0
    # Or a small grid of it in the local frame (`maps.uas_zones.ElevationGrid`), for AMSL
    # zone limits over uneven ground.
    ground_elevation_grid: ElevationGrid | None = None
    # ED-269 / ED-318 zone files (absolute paths once read), projected into the city's frame
    # (`maps.uas_zones.read_uas_zones`), and the identifiers of REQ_AUTHORISATION /
    # CONDITIONAL zones the operator is authorised to enter.
    uas_zones: tuple[str, ...] = ()
    authorised_zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class FleetType:
    """One aircraft type of the fleet and how many are based at each depot (a single
    number applies to every depot)."""

    model: DroneModel
    drones_per_depot: tuple[int, ...]


@dataclass(frozen=True)
class FleetSpec:
    """Drones based at each depot (a single number applies to every depot).

    ``types`` is empty when the scenario has one ``[drone]`` table (the fleet is
    ``drones_per_depot`` of it); with a list of types (``[[drone]]`` tables, each with
    its own ``drones_per_depot``) it holds them in the file's order and
    ``drones_per_depot`` is unused. `Scenario.aircraft` gives both forms as one list.
    """

    drones_per_depot: tuple[int, ...] = (10,)
    types: tuple[FleetType, ...] = ()


@dataclass(frozen=True)
class DemandSpec:
    """Orders: a non-homogeneous Poisson process over the day, at the map's hotspots.

    ``orders_per_hour`` gives the rate for each hour of the day (24 values, hour 0 =
    midnight), scaled by ``scale``; simulation time 0 is ``start_hour``.
    """

    orders_per_hour: tuple[float, ...] = (100.0,) * HOURS
    scale: float = 1.0
    start_hour: float = 11.0
    weight_median_kg: float = 0.5
    weight_sigma: float = 0.5
    weight_max_kg: float = 1.0
    deadline_s: float = 1800.0
    pickup: str = "nearest-depot"


@dataclass(frozen=True)
class DispatchSpec:
    policy: str = "assignment"
    objective: str = "earliest"
    interval_s: float = 30.0
    charge_threshold: float = 0.35
    rebalance: bool = True


@dataclass(frozen=True)
class PlannerSpec:
    name: str = "astar"
    climb_penalty_per_m: float = 0.0
    smooth: bool = True


@dataclass(frozen=True)
class DeconflictionSpec:
    """``policy`` names a registered deconfliction policy (`dronesim.sim.deconfliction`):
    ``none``, every drone cruises on ``cruise_layer``; ``layers``, the cruise layer is
    chosen by the leg's heading sector (one layer per sector, as in layered U-space
    airspace designs); ``strategic``, whole trips planned as 4D plans against a reservation
    table (`sim.strategic_policy`). ``time_buffer_s`` is kept free in a pad or drop-off column after
    each climb, descent or hover before another drone may use it (`sim.vertiports`), and
    widens every reservation of the strategic table on both sides, seconds.

    Why 2 s by default: it is a margin for drones that fly late or early against their
    plan (in the simulation they keep their times exactly). 2 s lets each of two drones be
    1 s off, at a delivery drone's cruise speed less than a horizontal minimum
    along-track. Every reserved cell holds the widened time, so the buffer sets how closely
    departures and arrivals follow each other through a depot's airspace;
    benchmarks/README.md measures what 5 s costs."""

    policy: str = "layers"
    cruise_layer: int = 1
    sector_layers: tuple[int, ...] = (1, 2, 3, 4)
    time_buffer_s: float = 2.0


@dataclass(frozen=True)
class SeparationSpec:
    horizontal_m: float = 30.0
    vertical_m: float = 10.0


@dataclass(frozen=True)
class WindSpec:
    """Wind at the reference height (``speed_mps`` blowing *from* ``from_deg``,
    meteorological convention), or an hourly series of it (``hourly_speed_mps``,
    ``hourly_from_deg``: 24 values from 0:00, on the demand clock), or a CSV file of
    hourly values, optionally over a grid of cells (``file``, read into ``file_rows``);
    scaled with height by ``profile`` (`dronesim.planners.wind`); gusts add up to
    ``gust_fraction`` to the energy of each flown segment. The defaults are a steady
    wind, the same at every height, without gusts.

    ``file_rows`` holds the file's rows ``(hour, x_m, y_m, speed_mps, from_deg)``,
    checked complete (24 hours for every cell of a regular grid) when read.
    """

    speed_mps: float = 0.0
    from_deg: float = 270.0
    profile: str = "uniform"
    exponent: float = DEFAULT_EXPONENT
    roughness_m: float = DEFAULT_ROUGHNESS_M
    reference_height_m: float = DEFAULT_REFERENCE_HEIGHT_M
    hourly_speed_mps: tuple[float, ...] | None = None
    hourly_from_deg: tuple[float, ...] | None = None
    file: str | None = None
    file_rows: tuple[tuple[float, float, float, float, float], ...] = ()
    gust_fraction: float = 0.0

    @property
    def vector_mps(self) -> tuple[float, float]:
        """Wind velocity (towards east, towards north) at the reference height, m/s: the
        steady wind (``speed_mps``, ``from_deg``), whatever the series say."""
        return vector_from(self.speed_mps, self.from_deg)

    def field(self, start_hour: float) -> WindField:
        """The `WindField` the simulator flies in; ``start_hour``: the hour of the day at
        simulation time 0 (the demand's ``start_hour``)."""
        options = dict(
            profile=self.profile,
            exponent=self.exponent,
            roughness_m=self.roughness_m,
            reference_height_m=self.reference_height_m,
            start_hour=start_hour,
            gust_fraction=self.gust_fraction,
        )
        if self.file_rows:
            xs = sorted({row[1] for row in self.file_rows})
            ys = sorted({row[2] for row in self.file_rows})
            table = np.empty((HOURS, len(ys), len(xs), 2))
            column = {x: i for i, x in enumerate(xs)}
            line = {y: j for j, y in enumerate(ys)}
            for hour, x, y, speed, direction in self.file_rows:
                table[int(hour), line[y], column[x]] = vector_from(speed, direction)
            spacing = (
                (xs[1] - xs[0]) if len(xs) > 1 else 1.0,
                (ys[1] - ys[0]) if len(ys) > 1 else 1.0,
            )
            return WindField.build(table, origin_m=(xs[0], ys[0]), spacing_m=spacing, **options)
        if self.hourly_speed_mps is None and self.hourly_from_deg is None:
            return WindField.build(np.array(self.vector_mps).reshape(1, 1, 1, 2), **options)
        speeds = self.hourly_speed_mps or (self.speed_mps,) * HOURS
        directions = self.hourly_from_deg or (self.from_deg,) * HOURS
        table = np.array([vector_from(v, d) for v, d in zip(speeds, directions)])
        return WindField.build(table.reshape(HOURS, 1, 1, 2), **options)

    @property
    def max_speed_mps(self) -> float:
        """The strongest wind of the series at the reference height, m/s."""
        if self.file_rows:
            return max(row[3] for row in self.file_rows)
        return max(self.hourly_speed_mps or (self.speed_mps,))


@dataclass(frozen=True)
class Scenario:
    """A simulation: map, fleet, drone model, demand, dispatch, planner, airspace rules.

    Read one with `Scenario.read` (a path) or `load_scenario` (a bundled name or a path).
    """

    name: str
    description: str = ""
    seed: int = 0
    # The local date of the simulated day; simulation time 0 is ``demand.start_hour`` (the
    # demand's local clock) on it, and ``utc_offset_h`` is local time minus UTC. Dated
    # schedules (zone applicability, in UTC) and exported timestamps are mapped onto it.
    start_date: datetime.date = DEFAULT_START_DATE
    utc_offset_h: float = 0.0
    duration_s: float = 7200.0
    time_step_s: float = 1.0
    map: MapSpec = field(default_factory=MapSpec)
    drone: DroneModel = field(default_factory=DroneModel)
    fleet: FleetSpec = field(default_factory=FleetSpec)
    demand: DemandSpec = field(default_factory=DemandSpec)
    dispatch: DispatchSpec = field(default_factory=DispatchSpec)
    planner: PlannerSpec = field(default_factory=PlannerSpec)
    deconfliction: DeconflictionSpec = field(default_factory=DeconflictionSpec)
    separation: SeparationSpec = field(default_factory=SeparationSpec)
    wind: WindSpec = field(default_factory=WindSpec)
    source: str = "<memory>"

    @property
    def aircraft(self) -> tuple[FleetType, ...]:
        """The fleet's aircraft types and their counts per depot: ``fleet.types`` for a
        mixed fleet, else ``drone`` with ``fleet.drones_per_depot``."""
        if self.fleet.types:
            return self.fleet.types
        return (FleetType(self.drone, self.fleet.drones_per_depot),)

    @property
    def start_utc(self) -> datetime.datetime:
        """The UTC date and time of simulation time 0: ``start_date`` at
        ``demand.start_hour`` local time, ``utc_offset_h`` hours ahead of UTC."""
        midnight = datetime.datetime.combine(self.start_date, datetime.time(), datetime.UTC)
        return midnight + datetime.timedelta(hours=self.demand.start_hour - self.utc_offset_h)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed, validated again."""
        return _validated(dataclasses.replace(self, **changes))

    @classmethod
    def read(cls, path: str | os.PathLike) -> Scenario:
        """Read and validate a scenario TOML file.

        Raises
        ------
        ScenarioError
            Unreadable file, bad TOML, unknown key, wrong type or value, a map file that
            cannot be read, a depot inside a building or zone: naming file, field, value.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(str(path), "", "no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ScenarioError(str(path), "", f"cannot read ({error})") from None
        return from_toml_text(text, str(path), base_dir=path.parent)


def from_toml_text(text: str, source: str, base_dir: Path | None = None) -> Scenario:
    """Parse and validate scenario TOML text (``source`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(source, "", f"bad TOML ({error})") from None
    reader = _Reader(source)
    top = reader.table(
        data,
        "",
        {
            "name",
            "description",
            "seed",
            "start_date",
            "utc_offset_h",
            "duration_s",
            "time_step_s",
            "map",
            "drone",
            "fleet",
            "demand",
            "dispatch",
            "planner",
            "deconfliction",
            "separation",
            "wind",
        },
    )
    name = reader.string(top, "name", required=True)
    map_table = reader.table(
        top.get("map", {}), "map", {f.name for f in dataclasses.fields(MapSpec)}
    )
    geojson = reader.string(map_table, "map.geojson", key="geojson")
    if geojson is not None:
        # The generator's parameters mean nothing beside a map file: refuse them rather
        # than ignore them silently.
        for key in sorted(_GENERATOR_KEYS & set(map_table)):
            reader.fail(
                f"map.{key}",
                f"a generator parameter beside map.geojson (the map file sets the city), got {map_table[key]!r}",
            )
        if map_table.get("generator", "geojson") != "geojson":
            reader.fail(
                "map.generator",
                f"must be 'geojson' (or left out) beside map.geojson, got {map_table['generator']!r}",
            )
    if geojson is not None and base_dir is not None and not Path(geojson).is_absolute():
        geojson = str((base_dir / geojson).resolve())
    defaults = MapSpec()
    map_spec = MapSpec(
        generator=reader.choice(
            map_table,
            "map.generator",
            ("city", "geojson"),
            default="geojson" if geojson else defaults.generator,
            key="generator",
        ),
        geojson=geojson,
        seed=reader.integer(map_table, "map.seed", default=defaults.seed, key="seed"),
        width_m=reader.number(
            map_table,
            "map.width_m",
            default=defaults.width_m,
            minimum=500,
            maximum=limits.MAX_CITY_SIDE_M,
            key="width_m",
        ),
        height_m=reader.number(
            map_table,
            "map.height_m",
            default=defaults.height_m,
            minimum=500,
            maximum=limits.MAX_CITY_SIDE_M,
            key="height_m",
        ),
        depots=reader.integer(
            map_table,
            "map.depots",
            default=defaults.depots,
            minimum=1,
            maximum=limits.MAX_DEPOTS,
            key="depots",
        ),
        pads_per_depot=reader.integer(
            map_table,
            "map.pads_per_depot",
            default=defaults.pads_per_depot,
            minimum=1,
            maximum=limits.MAX_PADS,
            key="pads_per_depot",
        ),
        pad_layout=reader.choice(
            map_table,
            "map.pad_layout",
            ("ring", "grid"),
            default=defaults.pad_layout,
            key="pad_layout",
        ),
        sizing=reader.choice(
            map_table, "map.sizing", SIZINGS, default=defaults.sizing, key="sizing"
        ),
        depot_siting=reader.choice(
            map_table,
            "map.depot_siting",
            DEPOT_SITINGS,
            default=defaults.depot_siting,
            key="depot_siting",
        ),
        pad_spacing_m=None
        if map_table.get("pad_spacing_m") is None
        else reader.number(
            map_table, "map.pad_spacing_m", minimum=1, maximum=1000, key="pad_spacing_m"
        ),
        temporary_window_s=tuple(
            reader.numbers(
                map_table,
                "map.temporary_window_s",
                default=defaults.temporary_window_s,
                length=2,
                key="temporary_window_s",
            )
        ),
        temporary_zone_xy_m=None
        if map_table.get("temporary_zone_xy_m") is None
        else tuple(
            reader.numbers(
                map_table,
                "map.temporary_zone_xy_m",
                length=2,
                key="temporary_zone_xy_m",
            )
        ),
        temporary_unannounced=reader.boolean(
            map_table,
            "map.temporary_unannounced",
            default=defaults.temporary_unannounced,
            key="temporary_unannounced",
        ),
        cell_size_m=reader.number(
            map_table, "map.cell_size_m", default=defaults.cell_size_m, minimum=1, key="cell_size_m"
        ),
        layers_m=tuple(
            reader.numbers(map_table, "map.layers_m", default=defaults.layers_m, key="layers_m")
        ),
        ceiling_m=reader.number(
            map_table, "map.ceiling_m", default=defaults.ceiling_m, minimum=1, key="ceiling_m"
        ),
        horizontal_clearance_m=reader.number(
            map_table,
            "map.horizontal_clearance_m",
            default=defaults.horizontal_clearance_m,
            minimum=0,
            key="horizontal_clearance_m",
        ),
        vertical_clearance_m=reader.number(
            map_table,
            "map.vertical_clearance_m",
            default=defaults.vertical_clearance_m,
            minimum=0,
            key="vertical_clearance_m",
        ),
        origin_lonlat=None
        if map_table.get("origin_lonlat") is None
        else _read_lonlat(reader, map_table["origin_lonlat"], "map.origin_lonlat"),
        ground_elevation_m=reader.number(
            map_table,
            "map.ground_elevation_m",
            default=defaults.ground_elevation_m,
            minimum=-500,
            maximum=9000,
            key="ground_elevation_m",
        ),
        ground_elevation_grid=None
        if map_table.get("ground_elevation_grid") is None
        else _read_elevation_grid(reader, map_table["ground_elevation_grid"]),
        uas_zones=_read_paths(reader, map_table.get("uas_zones"), "map.uas_zones", base_dir),
        authorised_zones=_read_strings(
            reader, map_table.get("authorised_zones"), "map.authorised_zones"
        ),
    )
    if "ground_elevation_m" in map_table and "ground_elevation_grid" in map_table:
        reader.fail(
            "map.ground_elevation_grid",
            "give map.ground_elevation_m (one number) or map.ground_elevation_grid, not both",
        )
    if map_spec.authorised_zones and not map_spec.uas_zones:
        reader.fail(
            "map.authorised_zones",
            f"names zones of map.uas_zones files, but there are none, got {list(map_spec.authorised_zones)!r}",
        )
    if map_spec.temporary_zone_xy_m is not None:
        x, y = map_spec.temporary_zone_xy_m
        if not (0 <= x <= map_spec.width_m and 0 <= y <= map_spec.height_m):
            reader.fail(
                "map.temporary_zone_xy_m",
                f"must lie in the city (0..{map_spec.width_m:g} x 0..{map_spec.height_m:g} m), got [{x:g}, {y:g}]",
            )
    if map_spec.generator == "geojson" and not map_spec.geojson:
        raise ScenarioError(source, "map.geojson", "required when map.generator is 'geojson'")
    window = map_spec.temporary_window_s
    if not window[1] > window[0]:
        raise ScenarioError(
            source, "map.temporary_window_s", f"end must be after start, got {list(window)}"
        )

    fleet_table = reader.table(top.get("fleet", {}), "fleet", {"drones_per_depot"})
    drone_value = top.get("drone", {})
    if isinstance(drone_value, list):
        # A mixed fleet: [[drone]] tables, each a type with its own drones_per_depot.
        if "drones_per_depot" in fleet_table:
            reader.fail(
                "fleet.drones_per_depot",
                "with a list of aircraft types ([[drone]]) give each its own drones_per_depot, "
                f"got {fleet_table['drones_per_depot']!r}",
            )
        if not drone_value:
            reader.fail("drone", "an empty list of aircraft types")
        types = []
        for index, entry in enumerate(drone_value):
            path = f"drone[{index}]"
            if not isinstance(entry, dict):
                reader.fail(path, f"expected a table, got {entry!r}")
            table = dict(entry)
            if "drones_per_depot" not in table:
                reader.fail(f"{path}.drones_per_depot", "missing")
            counts = _read_counts(reader, table.pop("drones_per_depot"), f"{path}.drones_per_depot")
            model = _read_drone(reader, table, path)
            for earlier, other in enumerate(types):
                if other.model.name == model.name:
                    reader.fail(
                        f"{path}.name",
                        f"{model.name!r} is drone[{earlier}]'s name too; give each type its own name",
                    )
            types.append(FleetType(model, counts))
        drone = types[0].model
        fleet = FleetSpec(drones_per_depot=(0,), types=tuple(types))
    else:
        drone = _read_drone(reader, drone_value, "drone")
        fleet = FleetSpec(
            drones_per_depot=_read_counts(
                reader,
                fleet_table.get("drones_per_depot", FleetSpec().drones_per_depot[0]),
                "fleet.drones_per_depot",
            )
        )

    demand_table = reader.table(
        top.get("demand", {}), "demand", {f.name for f in dataclasses.fields(DemandSpec)}
    )
    d = DemandSpec()
    rates = demand_table.get("orders_per_hour", list(d.orders_per_hour))
    if isinstance(rates, (int, float)) and not isinstance(rates, bool):
        rates = [rates] * HOURS
    rates = reader.numbers({"v": rates}, "demand.orders_per_hour", length=HOURS, minimum=0, key="v")
    demand = DemandSpec(
        orders_per_hour=tuple(rates),
        scale=reader.number(demand_table, "demand.scale", default=d.scale, minimum=0, key="scale"),
        start_hour=reader.number(
            demand_table,
            "demand.start_hour",
            default=d.start_hour,
            minimum=0,
            maximum=24,
            key="start_hour",
        ),
        weight_median_kg=reader.number(
            demand_table,
            "demand.weight_median_kg",
            default=d.weight_median_kg,
            minimum=0.001,
            key="weight_median_kg",
        ),
        weight_sigma=reader.number(
            demand_table,
            "demand.weight_sigma",
            default=d.weight_sigma,
            minimum=0,
            key="weight_sigma",
        ),
        weight_max_kg=reader.number(
            demand_table,
            "demand.weight_max_kg",
            default=d.weight_max_kg,
            minimum=0.001,
            key="weight_max_kg",
        ),
        deadline_s=reader.number(
            demand_table, "demand.deadline_s", default=d.deadline_s, minimum=60, key="deadline_s"
        ),
        pickup=reader.choice(
            demand_table, "demand.pickup", PICKUPS, default=d.pickup, key="pickup"
        ),
    )
    if fleet.types:
        heaviest = max(entry.model.max_payload_kg for entry in fleet.types)
        if demand.weight_max_kg > heaviest:
            raise ScenarioError(
                source,
                "demand.weight_max_kg",
                f"{demand.weight_max_kg:g} kg exceeds every aircraft type's max_payload_kg (at most {heaviest:g} kg)",
            )
    elif demand.weight_max_kg > drone.max_payload_kg:
        raise ScenarioError(
            source,
            "demand.weight_max_kg",
            f"{demand.weight_max_kg:g} kg exceeds drone.max_payload_kg ({drone.max_payload_kg:g} kg)",
        )

    from dronesim.planners.fleet import OBJECTIVES

    dispatch_table = reader.table(
        top.get("dispatch", {}), "dispatch", {f.name for f in dataclasses.fields(DispatchSpec)}
    )
    ds = DispatchSpec()
    dispatch = DispatchSpec(
        policy=reader.string(dispatch_table, "dispatch.policy", key="policy") or ds.policy,
        objective=reader.choice(
            dispatch_table,
            "dispatch.objective",
            tuple(OBJECTIVES),
            default=ds.objective,
            key="objective",
        ),
        interval_s=reader.number(
            dispatch_table,
            "dispatch.interval_s",
            default=ds.interval_s,
            minimum=1,
            key="interval_s",
        ),
        charge_threshold=reader.number(
            dispatch_table,
            "dispatch.charge_threshold",
            default=ds.charge_threshold,
            minimum=0,
            maximum=0.99,
            key="charge_threshold",
        ),
        rebalance=reader.boolean(
            dispatch_table, "dispatch.rebalance", default=ds.rebalance, key="rebalance"
        ),
    )
    planner_table = reader.table(
        top.get("planner", {}), "planner", {f.name for f in dataclasses.fields(PlannerSpec)}
    )
    ps = PlannerSpec()
    planner_name = reader.string(planner_table, "planner.name", key="name") or ps.name
    planner = PlannerSpec(
        name=planner_name,
        climb_penalty_per_m=reader.number(
            planner_table,
            "planner.climb_penalty_per_m",
            default=ps.climb_penalty_per_m,
            minimum=0,
            key="climb_penalty_per_m",
        ),
        smooth=reader.boolean(planner_table, "planner.smooth", default=ps.smooth, key="smooth"),
    )
    deconfliction_table = reader.table(
        top.get("deconfliction", {}),
        "deconfliction",
        {f.name for f in dataclasses.fields(DeconflictionSpec)},
    )
    dc = DeconflictionSpec()
    n_layers = len(map_spec.layers_m)
    deconfliction = DeconflictionSpec(
        policy=reader.string(deconfliction_table, "deconfliction.policy", key="policy")
        or dc.policy,
        time_buffer_s=reader.number(
            deconfliction_table,
            "deconfliction.time_buffer_s",
            default=dc.time_buffer_s,
            minimum=0,
            maximum=3600,
            key="time_buffer_s",
        ),
        cruise_layer=reader.integer(
            deconfliction_table,
            "deconfliction.cruise_layer",
            default=min(dc.cruise_layer, n_layers - 1),
            minimum=0,
            maximum=n_layers - 1,
            key="cruise_layer",
        ),
        sector_layers=tuple(
            reader.integer(
                {"v": v},
                f"deconfliction.sector_layers[{i}]",
                minimum=0,
                maximum=n_layers - 1,
                key="v",
            )
            for i, v in enumerate(
                deconfliction_table.get(
                    "sector_layers", [k for k in dc.sector_layers if k < n_layers] or [0]
                )
            )
        ),
    )
    if not deconfliction.sector_layers:
        raise ScenarioError(source, "deconfliction.sector_layers", "needs at least one layer")
    separation_table = reader.table(
        top.get("separation", {}), "separation", {"horizontal_m", "vertical_m"}
    )
    separation = SeparationSpec(
        horizontal_m=reader.number(
            separation_table,
            "separation.horizontal_m",
            default=SeparationSpec().horizontal_m,
            minimum=0.1,
            key="horizontal_m",
        ),
        vertical_m=reader.number(
            separation_table,
            "separation.vertical_m",
            default=SeparationSpec().vertical_m,
            minimum=0.1,
            key="vertical_m",
        ),
    )
    wind = _read_wind(reader, top.get("wind", {}), base_dir)
    slowest = min((entry.model for entry in fleet.types), default=drone, key=_top_speed)
    if wind.max_speed_mps >= slowest.max_airspeed_mps:
        where = (
            "wind.file"
            if wind.file_rows
            else "wind.hourly_speed_mps"
            if wind.hourly_speed_mps
            else "wind.speed_mps"
        )
        limit = (
            "drone.max_airspeed_mps" if not fleet.types else f"{slowest.name}'s max_airspeed_mps"
        )
        raise ScenarioError(
            source,
            where,
            f"{wind.max_speed_mps:g} m/s is not below {limit} ({slowest.max_airspeed_mps:g})",
        )
    scenario = Scenario(
        name=name,
        description=reader.string(top, "description") or "",
        seed=reader.integer(top, "seed", default=0, minimum=0),
        start_date=_read_date(reader, top.get("start_date", DEFAULT_START_DATE), "start_date"),
        utc_offset_h=reader.number(top, "utc_offset_h", default=0.0, minimum=-12, maximum=14),
        duration_s=reader.number(
            top, "duration_s", default=7200.0, minimum=1, maximum=limits.MAX_DURATION_S
        ),
        time_step_s=reader.number(top, "time_step_s", default=1.0, minimum=0.05, maximum=60),
        map=map_spec,
        drone=drone,
        fleet=fleet,
        demand=demand,
        dispatch=dispatch,
        planner=planner,
        deconfliction=deconfliction,
        separation=separation,
        wind=wind,
        source=source,
    )
    return _validated(scenario)


def _read_date(reader: _Reader, value: Any, field_path: str) -> datetime.date:
    """A calendar date: a TOML date (``2026-06-01``) or the same as a string."""
    if isinstance(value, datetime.datetime):
        reader.fail(
            field_path, f"must be a date without a time (YYYY-MM-DD), got {value.isoformat()}"
        )
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    return reader.fail(field_path, f"must be a date YYYY-MM-DD, got {value!r}")


def _read_strings(reader: _Reader, value: Any, field_path: str) -> tuple[str, ...]:
    """A string or a list of non-empty strings (None: empty)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        reader.fail(field_path, f"expected a string or a list of strings, got {value!r}")
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            reader.fail(f"{field_path}[{index}]", f"expected a non-empty string, got {item!r}")
    return tuple(items)


def _read_paths(
    reader: _Reader, value: Any, field_path: str, base_dir: Path | None
) -> tuple[str, ...]:
    """File names relative to the scenario's folder, made absolute."""
    paths = _read_strings(reader, value, field_path)
    if base_dir is None:
        return paths
    return tuple(
        path if Path(path).is_absolute() else str((base_dir / path).resolve()) for path in paths
    )


# A ground elevation grid is a small table written by hand: at most this many cells.
MAX_ELEVATION_CELLS = 10_000


def _read_elevation_grid(reader: _Reader, value: Any) -> ElevationGrid:
    """``{origin_m = [x, y], cell_size_m = c, rows_m = [[...], ...]}``: elevation AMSL in
    metres per cell, rows from south to north, each west to east."""
    where = "map.ground_elevation_grid"
    table = reader.table(value, where, {"origin_m", "cell_size_m", "rows_m"})
    origin = reader.numbers(table, f"{where}.origin_m", length=2, key="origin_m")
    cell = reader.number(table, f"{where}.cell_size_m", minimum=1, key="cell_size_m")
    rows = table.get("rows_m")
    if not isinstance(rows, list) or not rows:
        reader.fail(f"{where}.rows_m", f"expected a list of rows (lists of numbers), got {rows!r}")
    heights = []
    for j, row in enumerate(rows):
        values = reader.numbers({"v": row}, f"{where}.rows_m[{j}]", key="v")
        if heights and len(values) != len(heights[0]):
            reader.fail(
                f"{where}.rows_m[{j}]",
                f"every row needs the same length as row 0, got {len(values)} numbers",
            )
        for i, number in enumerate(values):
            if not -500 <= number <= 9000:
                reader.fail(
                    f"{where}.rows_m[{j}][{i}]", f"must be in [-500, 9000] m, got {number!r}"
                )
        heights.append(tuple(values))
    if len(heights) * len(heights[0]) > MAX_ELEVATION_CELLS:
        reader.fail(
            f"{where}.rows_m",
            f"{len(heights)} x {len(heights[0])} cells; at most {MAX_ELEVATION_CELLS:,}",
        )
    return ElevationGrid((origin[0], origin[1]), cell, tuple(heights))


def _read_lonlat(reader: _Reader, value: Any, field_path: str) -> tuple[float, float]:
    """``[lon, lat]`` in degrees, longitude in [-180, 180], latitude in [-89.9, 89.9]."""
    lon, lat = reader.numbers({"v": value}, field_path, length=2, key="v")
    if not origin_in_range(lon, lat):
        reader.fail(field_path, f"must be [lon, lat] in degrees, got {list(value)!r}")
    return (float(lon), float(lat))


_WIND_KEYS = {
    "speed_mps",
    "from_deg",
    "profile",
    "exponent",
    "roughness_m",
    "reference_height_m",
    "hourly_speed_mps",
    "hourly_from_deg",
    "file",
    "gust_fraction",
}
# A wind file's size: 24 hours for each of at most this many cells (checked while reading).
MAX_WIND_CELLS = 4096


def _read_wind(reader: _Reader, value: Any, base_dir: Path | None) -> WindSpec:
    """The ``[wind]`` table (and the CSV file it names); errors name the field."""
    table = reader.table(value, "wind", _WIND_KEYS)
    w = WindSpec()
    profile = reader.choice(table, "wind.profile", tuple(PROFILES), default=w.profile)
    # A key of the other profile would be ignored silently: refuse it.
    for key, owner in (("exponent", "power"), ("roughness_m", "log")):
        if key in table and profile != owner:
            reader.fail(
                f"wind.{key}",
                f"applies to profile = '{owner}' only (profile is {profile!r}), got {table[key]!r}",
            )
    reference_height_m = reader.number(
        table,
        "wind.reference_height_m",
        default=w.reference_height_m,
        minimum=0.1,
        maximum=1000,
    )
    roughness_m = reader.number(table, "wind.roughness_m", default=w.roughness_m, minimum=1e-4)
    if roughness_m >= reference_height_m:
        reader.fail(
            "wind.roughness_m",
            f"must be below wind.reference_height_m ({reference_height_m:g} m), got {roughness_m:g}",
        )
    file = reader.string(table, "wind.file")
    if file is not None:
        for key in ("speed_mps", "from_deg", "hourly_speed_mps", "hourly_from_deg"):
            if key in table:
                reader.fail(
                    f"wind.{key}",
                    f"beside wind.file (the file gives speed and direction), got {table[key]!r}",
                )
    for key in ("speed_mps", "from_deg"):
        if key in table and f"hourly_{key}" in table:
            reader.fail(f"wind.{key}", f"beside wind.hourly_{key} (give one), got {table[key]!r}")
    hourly = {}
    for key in ("hourly_speed_mps", "hourly_from_deg"):
        if key in table:
            hourly[key] = tuple(
                reader.numbers(
                    table,
                    f"wind.{key}",
                    length=HOURS,
                    minimum=0 if key == "hourly_speed_mps" else None,
                )
            )
    rows: tuple = ()
    if file is not None:
        path = Path(file)
        if base_dir is not None and not path.is_absolute():
            path = (base_dir / path).resolve()
        file = str(path)
        rows = _read_wind_csv(reader, path)
    return WindSpec(
        speed_mps=reader.number(table, "wind.speed_mps", default=w.speed_mps, minimum=0),
        from_deg=reader.number(table, "wind.from_deg", default=w.from_deg),
        profile=profile,
        exponent=reader.number(table, "wind.exponent", default=w.exponent, minimum=0.01, maximum=1),
        roughness_m=roughness_m,
        reference_height_m=reference_height_m,
        hourly_speed_mps=hourly.get("hourly_speed_mps"),
        hourly_from_deg=hourly.get("hourly_from_deg"),
        file=file,
        file_rows=rows,
        gust_fraction=reader.number(
            table, "wind.gust_fraction", default=w.gust_fraction, minimum=0, maximum=0.99
        ),
    )


def _read_wind_csv(reader: _Reader, path: Path) -> tuple:
    """Rows ``(hour, x_m, y_m, speed_mps, from_deg)`` of a wind file: a header naming the
    columns ``hour, speed_mps, from_deg`` (and ``x_m, y_m`` for a grid of cells), then
    one row per hour (0..23) and cell; lines starting with ``#`` and blank lines are
    skipped. Every cell of a regular grid needs all 24 hours, once each."""
    where = "wind.file"
    try:
        stream = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        reader.fail(where, f"{path}: no such file")
    except OSError as error:
        reader.fail(where, f"{path}: cannot read ({error.strerror or error})")
    columns_needed = ("hour", "speed_mps", "from_deg")
    rows = []
    seen: set[tuple[float, float, float]] = set()
    with stream:
        lines = (
            (number, line)
            for number, line in enumerate(stream, 1)
            if line.strip() and not line.lstrip().startswith("#")
        )
        try:
            header_number, header_line = next(lines)
        except StopIteration:
            reader.fail(where, f"{path}: empty (expected a header: hour,speed_mps,from_deg)")
        except UnicodeDecodeError:
            reader.fail(where, f"{path}: not UTF-8 text")
        header = [name.strip() for name in next(csv.reader([header_line]))]
        allowed = {*columns_needed, "x_m", "y_m"}
        for name in header:
            if name not in allowed:
                reader.fail(
                    where,
                    f"{path} line {header_number}: unknown column {name!r} (known: {', '.join(sorted(allowed))})",
                )
        missing = [name for name in columns_needed if name not in header]
        if ("x_m" in header) != ("y_m" in header):
            missing.append("y_m" if "x_m" in header else "x_m")
        if missing or len(set(header)) != len(header):
            reader.fail(
                where,
                f"{path} line {header_number}: header needs each of {', '.join(columns_needed)}"
                f" (and x_m, y_m for a grid) once, got {header_line.strip()!r}",
            )
        index = {name: k for k, name in enumerate(header)}
        try:
            for number, line in lines:
                cells = next(csv.reader([line]))
                if len(cells) != len(header):
                    reader.fail(
                        where,
                        f"{path} line {number}: expected {len(header)} values, got {len(cells)} ({line.strip()!r})",
                    )
                values = {}
                for name, k in index.items():
                    text = cells[k].strip()
                    try:
                        value = float(text)
                    except ValueError:
                        value = math.nan
                    if not math.isfinite(value):
                        reader.fail(
                            where, f"{path} line {number}: {name}: expected a number, got {text!r}"
                        )
                    values[name] = value
                hour = values["hour"]
                if hour != int(hour) or not 0 <= hour < HOURS:
                    reader.fail(
                        where,
                        f"{path} line {number}: hour: expected an integer 0..23, got {cells[index['hour']].strip()!r}",
                    )
                if values["speed_mps"] < 0:
                    reader.fail(
                        where,
                        f"{path} line {number}: speed_mps: must be >= 0, got {values['speed_mps']:g}",
                    )
                key = (hour, values.get("x_m", 0.0), values.get("y_m", 0.0))
                if key in seen:
                    reader.fail(
                        where,
                        f"{path} line {number}: hour {int(hour)} at x_m = {key[1]:g}, y_m = {key[2]:g} given twice",
                    )
                seen.add(key)
                if len(rows) >= HOURS * MAX_WIND_CELLS:
                    reader.fail(
                        where,
                        f"{path}: more than {HOURS * MAX_WIND_CELLS} rows ({MAX_WIND_CELLS} cells)",
                    )
                rows.append((hour, key[1], key[2], values["speed_mps"], values["from_deg"]))
        except UnicodeDecodeError:
            reader.fail(where, f"{path}: not UTF-8 text")
    if not rows:
        reader.fail(where, f"{path}: no rows after the header")
    xs = sorted({row[1] for row in rows})
    ys = sorted({row[2] for row in rows})
    for axis, centres in (("x_m", xs), ("y_m", ys)):
        steps = [b - a for a, b in zip(centres, centres[1:])]
        if steps and max(steps) - min(steps) > 1e-6 * max(steps):
            reader.fail(
                where,
                f"{path}: {axis}: cell centres must be evenly spaced, got {', '.join(f'{v:g}' for v in centres)}",
            )
    if len(xs) * len(ys) > MAX_WIND_CELLS:
        reader.fail(where, f"{path}: {len(xs)} x {len(ys)} cells; at most {MAX_WIND_CELLS}")
    expected = HOURS * len(xs) * len(ys)
    if len(rows) != expected:
        for y in ys:
            for x in xs:
                for hour in range(HOURS):
                    if (float(hour), x, y) not in seen:
                        cell = f" at x_m = {x:g}, y_m = {y:g}" if "x_m" in index else ""
                        reader.fail(
                            where,
                            f"{path}: expected 24 hours for each of {len(xs)} x {len(ys)} cells ({expected} rows), got {len(rows)}; hour {hour} missing{cell}",
                        )
    return tuple(sorted(rows))


def _top_speed(model: DroneModel) -> float:
    return model.max_airspeed_mps


def _read_counts(reader: _Reader, value: Any, field_path: str) -> tuple[int, ...]:
    """Drones per depot: one number for every depot, or a list of one per depot."""
    if isinstance(value, list):
        return tuple(
            reader.integer(
                {"v": v}, f"{field_path}[{i}]", minimum=0, maximum=limits.MAX_DRONES, key="v"
            )
            for i, v in enumerate(value)
        )
    return (
        reader.integer({"v": value}, field_path, minimum=0, maximum=limits.MAX_DRONES, key="v"),
    )


def _read_drone(reader: _Reader, value: Any, field_path: str) -> DroneModel:
    """A ``[drone]`` table: a bundled aircraft ``type`` (`dronesim.planners.aircraft`) with
    any `DroneModel` field overridden, or (no ``type``) the fields over `DroneModel`'s
    defaults."""
    table = reader.table(
        value, field_path, {f.name for f in dataclasses.fields(DroneModel)} | {"type"}
    )
    base = DroneModel()
    type_name = reader.string(table, f"{field_path}.type", key="type")
    if type_name is not None:
        try:
            base = aircraft_type(type_name).model
        except InputError as error:
            reader.fail(f"{field_path}.type", str(error))
    kwargs: dict[str, Any] = {}
    for item in dataclasses.fields(DroneModel):
        if item.name not in table:
            continue
        if item.name in ("name", "kind"):
            kwargs[item.name] = reader.string(table, f"{field_path}.{item.name}", key=item.name)
        else:
            kwargs[item.name] = reader.number(table, f"{field_path}.{item.name}", key=item.name)
    try:
        return dataclasses.replace(base, **kwargs)
    except ValueError as error:
        field_name, _, message = _strip_owner(str(error)).partition(": ")
        raise ScenarioError(reader.source, f"{field_path}.{field_name}", message) from None


_GENERATOR_KEYS = frozenset(
    {
        "seed",
        "width_m",
        "height_m",
        "depots",
        "pads_per_depot",
        "temporary_window_s",
        "temporary_unannounced",
        "temporary_zone_xy_m",
        "depot_siting",
        "origin_lonlat",
    }
)


def _validated(scenario: Scenario) -> Scenario:
    """Checks that need several sections together, names that must be registered, and
    the size limits (`dronesim.maps.limits`); run again by `Scenario.replace`."""
    source = scenario.source
    spec = scenario.map
    layers = spec.layers_m
    if any(b <= a for a, b in zip(layers, layers[1:])) or not all(
        0 < v < spec.ceiling_m for v in layers
    ):
        raise ScenarioError(
            source,
            "map.layers_m",
            f"must be increasing and within (0, {spec.ceiling_m:g}), got {list(layers)}",
        )
    if len(layers) > limits.MAX_LAYERS:
        raise ScenarioError(
            source, "map.layers_m", f"{len(layers)} layers; at most {limits.MAX_LAYERS}"
        )
    if spec.generator == "city":
        _check_counts(scenario, spec.depots, "")
    if spec.generator == "city":
        _check_grid_cells(source, "map.cell_size_m", spec, (0.0, 0.0, spec.width_m, spec.height_m))
        _check_fleet_size(scenario, spec.depots)
        total_pads = spec.depots * spec.pads_per_depot
        if total_pads > limits.MAX_PADS:
            raise ScenarioError(
                source,
                "map.pads_per_depot",
                f"{spec.pads_per_depot} pads at each of {spec.depots} depots make {total_pads}; at most {limits.MAX_PADS} in all",
            )
        window = spec.temporary_window_s
        if window[1] <= 0:
            raise ScenarioError(
                source,
                "map.temporary_window_s",
                f"ends at or before t = 0, so the zones would never be active, got {list(window)}",
            )
    for index, entry in enumerate(scenario.aircraft):
        drone = entry.model
        path = f"drone[{index}]" if scenario.fleet.types else "drone"
        if drone.cruise_speed_mps > drone.max_airspeed_mps:
            raise ScenarioError(
                source,
                f"{path}.cruise_speed_mps",
                f"{drone.cruise_speed_mps:g} m/s exceeds {path}.max_airspeed_mps ({drone.max_airspeed_mps:g} m/s)",
            )
    demand = scenario.demand
    if demand.weight_median_kg > demand.weight_max_kg:
        raise ScenarioError(
            source,
            "demand.weight_median_kg",
            f"{demand.weight_median_kg:g} kg exceeds demand.weight_max_kg ({demand.weight_max_kg:g} kg)",
        )
    check_duration(scenario, scenario.duration_s, "duration_s")
    _check_name(source, "planner.name", scenario.planner.name, "planner")
    _check_name(source, "dispatch.policy", scenario.dispatch.policy, "policy")
    _check_name(source, "deconfliction.policy", scenario.deconfliction.policy, "deconfliction")
    return scenario


def check_duration(scenario: Scenario, duration_s: float, field_path: str) -> None:
    """Check a run length for ``scenario`` (its own, or a command line's override under
    ``field_path``): positive, at most `limits.MAX_DURATION_S`, and not so long that
    more than `limits.MAX_EXPECTED_ORDERS` orders are expected.

    Raises
    ------
    ScenarioError
        Naming the field and value.
    """
    source = scenario.source
    if not (math.isfinite(duration_s) and 0 < duration_s <= limits.MAX_DURATION_S):
        raise ScenarioError(
            source,
            field_path,
            f"must be in (0, {limits.MAX_DURATION_S:g}] s (a leap year), got {duration_s!r}",
        )
    expected = expected_orders(scenario.demand, duration_s)
    if not expected <= limits.MAX_EXPECTED_ORDERS:
        demand = scenario.demand
        field_path, value = (
            ("demand.scale", demand.scale)
            if demand.scale != 1.0
            else ("demand.orders_per_hour", max(demand.orders_per_hour))
        )
        raise ScenarioError(
            source,
            field_path,
            f"{value!r} gives {expected:.3g} expected orders over {duration_s:g} s; at most {limits.MAX_EXPECTED_ORDERS:.0e}",
        )


def expected_orders(demand: DemandSpec, duration_s: float) -> float:
    """The expected number of orders of a run: the hourly rates times ``scale``,
    integrated over ``[0, duration_s)`` from ``start_hour`` (inf when it overflows)."""
    day_s = HOURS * 3600.0
    rates = [rate * demand.scale for rate in demand.orders_per_hour]  # per hour
    if not all(math.isfinite(rate) for rate in rates):
        return math.inf
    whole_days, rest_s = divmod(duration_s, day_s)
    total = whole_days * sum(rates)
    t_s = demand.start_hour * 3600.0
    end_s = t_s + rest_s
    while t_s < end_s:
        slice_end = min(end_s, (math.floor(t_s / 3600.0) + 1) * 3600.0)
        total += rates[int(t_s // 3600.0) % HOURS] * (slice_end - t_s) / 3600.0
        t_s = slice_end
    return total


def _check_name(source: str, field_path: str, name: str, what: str) -> None:
    """A planner or policy name must be registered (built in, by code, or by an installed
    package's entry point); ``module:attribute`` is never imported from a scenario."""
    from dronesim.planners.fleet import find_policy, policy_names
    from dronesim.planners.registry import PLANNERS
    from dronesim.sim.deconfliction import deconfliction_names, find_deconfliction

    lookups = {
        "planner": (PLANNERS.available, PLANNERS.find, "dronesim.planners"),
        "policy": (policy_names, find_policy, "dronesim.policies"),
        "deconfliction": (deconfliction_names, find_deconfliction, "dronesim.deconfliction"),
    }
    names, find, group = lookups[what]
    known = names()
    what = "deconfliction policy" if what == "deconfliction" else what
    if ":" in name:
        raise ScenarioError(
            source,
            field_path,
            f"{name!r}: a scenario names a registered {what}, never module:attribute (register "
            f"plug-ins by code or by an entry point in group {group!r}); known: {', '.join(known)}",
        )
    try:
        found = find(name)
    except InputError as error:
        raise ScenarioError(source, field_path, str(error)) from None
    if found is None:
        raise ScenarioError(
            source, field_path, f"unknown {what} {name!r}; known: {', '.join(known)}"
        )


def _check_grid_cells(
    source: str,
    field_path: str,
    spec: MapSpec,
    bounds_m: tuple[float, float, float, float],
    prefix: str = "",
) -> None:
    """The grid the map would be rasterized to fits `limits.MAX_GRID_CELLS`."""
    xmin, ymin, xmax, ymax = bounds_m
    nx = max(1, math.ceil((xmax - xmin) / spec.cell_size_m))
    ny = max(1, math.ceil((ymax - ymin) / spec.cell_size_m))
    cells = nx * ny * len(spec.layers_m)
    if cells > limits.MAX_GRID_CELLS:
        raise ScenarioError(
            source,
            field_path,
            f"{prefix}{spec.cell_size_m:g} m cells over {xmax - xmin:g} x {ymax - ymin:g} m and "
            f"{len(spec.layers_m)} layers make {cells:.3g} cells; at most {limits.MAX_GRID_CELLS:.0e}",
        )


def _counts_path(scenario: Scenario, index: int) -> str:
    return f"drone[{index}].drones_per_depot" if scenario.fleet.types else "fleet.drones_per_depot"


def _check_counts(scenario: Scenario, n_depots: int, where: str) -> None:
    """Each type's counts: one number or one per depot (``where`` names the map file)."""
    for index, entry in enumerate(scenario.aircraft):
        counts = entry.drones_per_depot
        if len(counts) not in (1, n_depots):
            raise ScenarioError(
                scenario.source,
                _counts_path(scenario, index),
                f"give one number or one per depot ({n_depots}{where}), got {len(counts)}",
            )


def _check_fleet_size(scenario: Scenario, n_depots: int) -> None:
    """At most `limits.MAX_DRONES` drones over ``n_depots`` depots."""
    total = 0
    for index, entry in enumerate(scenario.aircraft):
        counts = entry.drones_per_depot
        total += counts[0] * n_depots if len(counts) == 1 else sum(counts)
        if total > limits.MAX_DRONES:
            raise ScenarioError(
                scenario.source,
                _counts_path(scenario, index),
                f"{list(counts) if len(counts) > 1 else counts[0]} at {n_depots} depots make {total} drones; at most {limits.MAX_DRONES}",
            )


def check_map(scenario: Scenario, city) -> None:
    """Checks of a scenario against its map file's city, before rasterizing it: the grid
    size, the fleet and the pads (the depots are the map's).

    Raises
    ------
    ScenarioError
        Naming the scenario file and field (``map.geojson`` or ``map.cell_size_m``).
    """
    spec = scenario.map
    if spec.generator == "city":
        return
    _check_grid_cells(
        scenario.source, "map.geojson", spec, city.bounds_m, prefix=f"{spec.geojson}: "
    )
    _check_counts(scenario, len(city.depots), f" in {spec.geojson}")
    _check_fleet_size(scenario, len(city.depots))
    pads = sum(depot.pads for depot in city.depots)
    if pads > limits.MAX_PADS:
        raise ScenarioError(
            scenario.source,
            "map.geojson",
            f"{spec.geojson}: {pads} pads in all; at most {limits.MAX_PADS}",
        )


class _Reader:
    """Typed access to TOML tables, raising `ScenarioError` with the field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field_path: str, message: str) -> NoReturn:
        raise ScenarioError(self.source, field_path, message)

    def table(self, value: Any, field_path: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(field_path or "<top>", f"expected a table, got {value!r}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            where = f"{field_path}.{unknown[0]}" if field_path else unknown[0]
            self.fail(where, f"unknown key (known: {', '.join(sorted(allowed))})")
        return value

    def number(self, table, field_path, *, default=None, minimum=None, maximum=None, key=None):
        key = key or field_path.rsplit(".", 1)[-1]
        value = table.get(key, default)
        if value is None:
            self.fail(field_path, "missing")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(field_path, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            self.fail(field_path, f"must be finite, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(field_path, f"must be >= {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(field_path, f"must be <= {maximum:g}, got {value!r}")
        return float(value)

    def integer(self, table, field_path, *, default=None, minimum=None, maximum=None, key=None):
        key = key or field_path.rsplit(".", 1)[-1]
        value = table.get(key, default)
        if value is None:
            self.fail(field_path, "missing")
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field_path, f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(field_path, f"must be >= {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(field_path, f"must be <= {maximum}, got {value!r}")
        return int(value)

    def numbers(self, table, field_path, *, default=None, length=None, minimum=None, key=None):
        key = key or field_path.rsplit(".", 1)[-1]
        value = table.get(key, default)
        if not isinstance(value, (list, tuple)):
            self.fail(field_path, f"expected a list of numbers, got {value!r}")
        if length is not None and len(value) != length:
            self.fail(field_path, f"expected {length} numbers, got {len(value)}")
        if not value:
            self.fail(field_path, "expected at least one number")
        out = []
        for index, item in enumerate(value):
            out.append(self.number({"v": item}, f"{field_path}[{index}]", minimum=minimum, key="v"))
        return out

    def string(self, table, field_path, *, required=False, key=None):
        key = key or field_path.rsplit(".", 1)[-1]
        value = table.get(key)
        if value is None:
            if required:
                self.fail(field_path, "missing")
            return None
        if not isinstance(value, str) or not value:
            self.fail(field_path, f"expected a non-empty string, got {value!r}")
        return value

    def choice(self, table, field_path, options, *, default, key=None):
        key = key or field_path.rsplit(".", 1)[-1]
        value = table.get(key, default)
        if value not in options:
            self.fail(field_path, f"expected one of {', '.join(map(str, options))}, got {value!r}")
        return value

    def boolean(self, table, field_path, *, default, key=None):
        key = key or field_path.rsplit(".", 1)[-1]
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(field_path, f"expected true or false, got {value!r}")
        return value


def _strip_owner(message: str) -> str:
    """'drone model 'x': battery_wh must ...' -> 'battery_wh: must ...'."""
    if message.startswith("drone model ") and ": " in message:
        message = message.split(": ", 1)[1]
    parts = message.split(" ", 1)
    return f"{parts[0]}: {parts[1]}" if len(parts) == 2 else message


def bundled_descriptions(folder: str) -> dict[str, str]:
    """Names and one-line descriptions of the TOML files bundled in a package folder of
    `dronesim.sim` (``scenarios``, ``studies``)."""
    found = {}
    for entry in sorted(
        resources.files("dronesim.sim").joinpath(folder).iterdir(), key=lambda e: e.name
    ):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found[entry.name[:-5]] = str(data.get("description", ""))
    return found


def bundled_scenarios() -> dict[str, str]:
    """Names of the bundled scenarios and their one-line descriptions."""
    return bundled_descriptions("scenarios")


def bundled_scenario_text(name: str) -> tuple[str, str, Path | None]:
    """A bundled scenario's TOML text, its source label (``NAME.toml (bundled)``) and the
    folder the files it names (a wind CSV, zones) are read from: beside it, when the
    package is installed as files (None when zipped)."""
    entry = resources.files("dronesim.sim").joinpath("scenarios", f"{name}.toml")
    folder = entry.parent if isinstance(entry, Path) else None
    return entry.read_text(encoding="utf-8"), f"{name}.toml (bundled)", folder


def load_scenario(name_or_path: str | os.PathLike) -> Scenario:
    """A bundled scenario by name (``demo``, ``city-day``) or a scenario file by path."""
    text = os.fspath(name_or_path)
    if text in bundled_scenarios():
        toml_text, source, base_dir = bundled_scenario_text(text)
        return from_toml_text(toml_text, source, base_dir=base_dir)
    path = Path(text)
    if not path.suffix and not path.exists():
        raise ScenarioError(
            text,
            "",
            f"no bundled scenario or file of that name; bundled: {', '.join(bundled_scenarios())}",
        )
    return Scenario.read(path)
