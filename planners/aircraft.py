"""Bundled aircraft types, their published figures, and range and radius from the energy model.

A scenario names a type (``[drone] type = "manna-class"``) and may override any of its
`DroneModel` fields; ``dronesim drones`` prints each type's simulated cruise speed,
payload limit, range and service radius beside the published figures it was built from.

Three types are bundled (`AIRCRAFT_TYPES`):

``m100-class``
    The research quadcopter of Rodrigues et al. (a DJI Matrice 100 with sensors, 3.1 kg with
    its 130 Wh TB48D battery), the parameters calibrated to their 188 delivery flights
    (Patterns 3:100569, 2022: about 0.08 MJ/km with a 0.5 kg parcel at 8-10 m/s; they
    flew 4 to 12 m/s with payloads up to 0.5 kg). Payload limit 0.5 kg: DJI's published
    maximum take-off mass for the Matrice 100 is 3.6 kg, less the 3.1 kg aircraft.
    Published range: none from DJI; the figure compared is the one their measurement
    implies, the battery less the reserve at 0.08 MJ/km (104 Wh / 22.2 Wh/km = 4.7 km).
``manna-class``
    A delivery multicopter of the Manna / Meituan class. Published: Manna's X-drone carries
    3.5 kg (30 litres) at 80 km/h within a radius of up to 8 km (Forbes, Mar. 2023, and
    Business Post / avfoil, 2023, for the 3.5 kg; ottomate.news, Aug. 2022: 80 km/h at
    50-80 m); its service areas are 2-3.5 km (Irish Independent, Aug. 2022: 2 km from
    Balbriggan). Meituan's 2023 multicopter: 3 km in 15 minutes, 10 km maximum delivery
    distance (TechNode, 6 Jul. 2023). Not published, and chosen here: an 8 kg aircraft
    with its battery, four 0.66 m rotors, drag area 0.1 m^2 (an enclosed parcel bay),
    a 420 Wh battery (sized so that the published 8 km radius, out and back, fits in
    it with the reserve).
``wing-class``
    A lift-and-cruise aircraft of the Wing class (12 lift rotors, 2 cruise propellers, a
    1.5 m wing). Published: 4.8 kg, payload up to 1.5 kg, top speed 104.4 km/h, round
    trips up to 20 km, parcels lowered on a tether from a 7 m hover (New Atlas, Aug. 2021);
    "cruise speeds of 65 mph" and a 12-mile round trip for the current aircraft, payload
    2.5 lb (1.1 kg; DroneDJ, Jan. 2024, Mashdigi 2023). Not published, and chosen here:
    lift-to-drag 5 and cruise efficiency 0.5 (a small wing with rotor booms and a hanging
    parcel in the stream), lift disk area of twelve 0.2 m rotors, a 170 Wh battery (sized
    so that the published 20 km round trip fits in it with the reserve). The hand-over still happens at the simulator's common hover height
    (`HANDOVER_HEIGHT_M`), not Wing's 7 m.

Where a parameter is not published it is chosen so that the published range is met; the
range ratio printed by ``dronesim drones`` then checks that the whole energy model (climb,
descent, reserve) is consistent with that choice, not that it predicts an unknown.

Range and radius (`flight_range_m`, `service_radius_m`) are computed from the energy model
in calm air, in closed form: range is the level distance flown at cruise speed, after a
climb from the ground to the cruise altitude and before the descent back, with the reserve
left on landing; the service radius is the farthest drop-off of a straight out-and-back
trip from a depot (out with the payload, descend to the hand-over height, hover the service
time, climb, back empty), landing with the reserve.
"""

from __future__ import annotations

from dataclasses import dataclass

from dronesim.maps.errors import InputError
from dronesim.planners.energy import DroneModel, cruise_leg, hover_energy_wh, vertical_leg

HANDOVER_HEIGHT_M = 10.0  # as planners._fleet_kernels.HANDOVER_HEIGHT_M (checked by a test)
DEFAULT_CRUISE_ALTITUDE_M = 50.0
DEFAULT_PAYLOAD_KG = 0.5


class AircraftTypeError(InputError):
    """An unknown aircraft type name."""


@dataclass(frozen=True)
class Published:
    """A type's published figures and where they come from.

    Parameters
    ----------
    cruise_speed_mps : float
        Published cruise (or, where only that is published, top) speed, m/s.
    max_payload_kg : float
        Published payload limit, kilograms.
    range_km : float
        Published distance flown on one battery (a round trip), kilometres.
    radius_km : float
        Published farthest delivery distance from the base, kilometres.
    sources : str
        Where each figure comes from (one line).
    """

    cruise_speed_mps: float
    max_payload_kg: float
    range_km: float
    radius_km: float
    sources: str


@dataclass(frozen=True)
class AircraftType:
    """A bundled aircraft: its model and its published figures."""

    model: DroneModel
    published: Published

    @property
    def name(self) -> str:
        return self.model.name


AIRCRAFT_TYPES: dict[str, AircraftType] = {
    entry.name: entry
    for entry in (
        AircraftType(
            DroneModel(name="m100-class", max_payload_kg=0.5),
            Published(
                cruise_speed_mps=10.0,
                max_payload_kg=0.5,
                range_km=4.7,
                radius_km=float("nan"),
                sources=(
                    "Rodrigues et al., Patterns 3:100569 (2022): 0.08 MJ/km at 0.5 kg, 8-10 m/s "
                    "(range = 104 Wh / 22.2 Wh/km); DJI Matrice 100 specs: MTOW 3.6 kg, TB48D "
                    "130 Wh"
                ),
            ),
        ),
        AircraftType(
            DroneModel(
                name="manna-class",
                empty_mass_kg=8.0,
                max_payload_kg=3.5,
                battery_wh=420.0,
                reserve_fraction=0.2,
                cruise_speed_mps=22.2,
                max_airspeed_mps=28.0,
                climb_rate_mps=4.0,
                descent_rate_mps=3.0,
                rotor_disk_area_m2=1.37,
                efficiency=0.5,
                drag_area_m2=0.1,
                fixed_power_w=80.0,
                charge_power_w=0.0,
                swap_time_s=90.0,
                service_time_s=30.0,
            ),
            Published(
                cruise_speed_mps=80 / 3.6,
                max_payload_kg=3.5,
                range_km=16.0,
                radius_km=8.0,
                sources=(
                    "Manna X-drone: 80 km/h, 3.5 kg, radius up to 8 km (Forbes, Mar. 2023; "
                    "ottomate.news, Aug. 2022); Meituan 2023: 3 km in 15 min, 10 km max "
                    "(TechNode, Jul. 2023)"
                ),
            ),
        ),
        AircraftType(
            DroneModel(
                name="wing-class",
                kind="lift-and-cruise",
                empty_mass_kg=4.8,
                max_payload_kg=1.5,
                battery_wh=170.0,
                reserve_fraction=0.2,
                cruise_speed_mps=29.0,
                max_airspeed_mps=31.0,
                climb_rate_mps=3.0,
                descent_rate_mps=2.5,
                rotor_disk_area_m2=0.377,
                efficiency=0.45,
                drag_area_m2=0.05,
                fixed_power_w=40.0,
                lift_to_drag=5.0,
                cruise_efficiency=0.5,
                wing_speed_mps=15.0,
                charge_power_w=0.0,
                swap_time_s=60.0,
                service_time_s=30.0,
            ),
            Published(
                cruise_speed_mps=104.4 / 3.6,
                max_payload_kg=1.5,
                range_km=20.0,
                radius_km=10.0,
                sources=(
                    "Wing (2021 aircraft): 4.8 kg, 1.5 kg payload, 104.4 km/h, 20 km round trip, "
                    "tether from 7 m (New Atlas, Aug. 2021); 65 mph, 12-mile round trip "
                    "(DroneDJ, Jan. 2024)"
                ),
            ),
        ),
    )
}


def aircraft_type(name: str) -> AircraftType:
    """A bundled aircraft type by name.

    Raises
    ------
    AircraftTypeError
        Unknown name (the message lists the known ones).
    """
    try:
        return AIRCRAFT_TYPES[name]
    except (KeyError, TypeError):
        raise AircraftTypeError(
            f"unknown aircraft type {name!r}; known: {', '.join(AIRCRAFT_TYPES)}"
        ) from None


def _check_payload(model: DroneModel, payload_kg: float) -> None:
    if not 0 <= payload_kg <= model.max_payload_kg:
        raise ValueError(
            f"payload {payload_kg!r} kg is outside [0, {model.max_payload_kg:g}] kg for {model.name}"
        )


def flight_range_m(
    model: DroneModel,
    payload_kg: float = DEFAULT_PAYLOAD_KG,
    cruise_altitude_m: float = DEFAULT_CRUISE_ALTITUDE_M,
) -> float:
    """Level distance flown on one battery in calm air, metres.

    Climb from the ground to ``cruise_altitude_m``, cruise at the model's cruise speed with
    ``payload_kg`` aboard, descend and land with the reserve (``reserve_wh``) left.
    0 when the climb and descent alone use the usable energy.
    """
    _check_payload(model, payload_kg)
    params = model.as_array()
    _, up_wh = vertical_leg(params, payload_kg, cruise_altitude_m)
    _, down_wh = vertical_leg(params, payload_kg, -cruise_altitude_m)
    _, km_wh = cruise_leg(params, payload_kg, 1000.0, 0.0, 0.0, 0.0)
    usable = model.battery_wh - model.reserve_wh - up_wh - down_wh
    return max(usable, 0.0) / km_wh * 1000.0


def service_radius_m(
    model: DroneModel,
    payload_kg: float = DEFAULT_PAYLOAD_KG,
    cruise_altitude_m: float = DEFAULT_CRUISE_ALTITUDE_M,
) -> float:
    """Farthest straight-line drop-off of an out-and-back trip in calm air, metres.

    Out with ``payload_kg`` (climb to ``cruise_altitude_m``, cruise, descend to the hand-over
    height, hover ``service_time_s``), back empty (climb, cruise, descend, land), landing
    with the reserve. 0 when the vertical legs and the hover alone use the usable energy.
    """
    _check_payload(model, payload_kg)
    params = model.as_array()
    low = cruise_altitude_m - HANDOVER_HEIGHT_M
    fixed_wh = (
        vertical_leg(params, payload_kg, cruise_altitude_m)[1]
        + vertical_leg(params, payload_kg, -low)[1]
        + hover_energy_wh(params, payload_kg, model.service_time_s)
        + vertical_leg(params, 0.0, low)[1]
        + vertical_leg(params, 0.0, -cruise_altitude_m)[1]
    )
    per_m_wh = (
        cruise_leg(params, payload_kg, 1000.0, 0.0, 0.0, 0.0)[1]
        + cruise_leg(params, 0.0, 1000.0, 0.0, 0.0, 0.0)[1]
    ) / 1000.0
    usable = model.battery_wh - model.reserve_wh - fixed_wh
    return max(usable, 0.0) / per_m_wh


def type_table(
    payload_kg: float = DEFAULT_PAYLOAD_KG,
    cruise_altitude_m: float = DEFAULT_CRUISE_ALTITUDE_M,
) -> list[dict]:
    """Each bundled type's simulated figures beside its published ones (plain data).

    Keys: ``type``, ``kind``, ``cruise_speed_mps``, ``published_cruise_speed_mps``,
    ``cruise_ratio``, ``max_payload_kg``, ``published_max_payload_kg``, ``range_km``,
    ``published_range_km``, ``range_ratio``, ``service_radius_km``,
    ``published_radius_km`` (None where not published), ``sources``. Range and radius are
    None for a type whose payload limit is below ``payload_kg``.
    """
    rows = []
    for entry in AIRCRAFT_TYPES.values():
        model, published = entry.model, entry.published
        fits = payload_kg <= model.max_payload_kg
        range_km = flight_range_m(model, payload_kg, cruise_altitude_m) / 1000 if fits else None
        radius_km = service_radius_m(model, payload_kg, cruise_altitude_m) / 1000 if fits else None
        rows.append(
            {
                "type": entry.name,
                "kind": model.kind,
                "cruise_speed_mps": model.cruise_speed_mps,
                "published_cruise_speed_mps": published.cruise_speed_mps,
                "cruise_ratio": model.cruise_speed_mps / published.cruise_speed_mps,
                "max_payload_kg": model.max_payload_kg,
                "published_max_payload_kg": published.max_payload_kg,
                "range_km": range_km,
                "published_range_km": published.range_km,
                "range_ratio": None if range_km is None else range_km / published.range_km,
                "service_radius_km": radius_km,
                "published_radius_km": None
                if published.radius_km != published.radius_km
                else published.radius_km,
                "sources": published.sources,
            }
        )
    return rows


__all__ = [
    "AIRCRAFT_TYPES",
    "AircraftType",
    "AircraftTypeError",
    "Published",
    "aircraft_type",
    "flight_range_m",
    "service_radius_m",
    "type_table",
]
