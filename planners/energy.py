"""Multirotor energy model and the drone model that carries its parameters.

Power follows actuator-disk (momentum) theory for a multirotor, the model behind most
delivery-drone energy studies (e.g. Liu, Sengupta & Kurzhanskiy, "A power consumption
model for multi-rotor small unmanned aircraft systems", ICUAS 2017; Stolaroff et al.,
Nature Communications 9:409, 2018):

- induced power: thrust times induced velocity over an efficiency. In hover the thrust
  is the weight ``W = m g`` and the induced velocity ``v_h = sqrt(W / (2 rho A))``, so
  hover power grows with total mass to the power 1.5: ``P_hover = W^1.5 / (eta sqrt(2 rho A))``.
  In forward flight at airspeed ``V`` the rotor meets more air and the induced velocity
  drops: ``v_i^2 = (sqrt(V^4 + 4 v_h^4) - V^2) / 2`` (level flight, small tilt);
- parasitic power of the airframe's drag: ``0.5 rho CdA V^3 / eta``;
- climb power: ``W v_z / eta`` on top (descent recovers nothing);
- a constant profile-and-avionics power.

A lift-and-cruise aircraft (``kind = "lift-and-cruise"``: vertical lift rotors, a wing and
pusher propellers, as Wing's) hovers, climbs and descends on its lift rotors as above, and
at or above its wing-borne airspeed ``V_w`` the wing carries the weight: power is the
weight times airspeed over the lift-to-drag ratio, over the cruise propulsive efficiency,
plus the fixed power, ``P = W V / (L/D) / eta_c + P_fixed`` (the lift rotors stopped).
Below ``V_w`` (a strong tailwind with the ground speed held) it flies rotor-borne, as a
multirotor.

`DroneModel`'s defaults describe a DJI Matrice 100-class quadcopter (3.1 kg with
battery, four 13-inch rotors, a 130 Wh pack), calibrated so that cruise at 0.5 kg payload
costs about 0.08 MJ/km (22 Wh/km), as Rodrigues et al. measured on 188 delivery flights
of that drone (Patterns 3:100569, 2022); see the README and ``tests/test_sim`` for the
check. The defaults keep the 1.0 kg payload limit that scenarios naming no aircraft type
have always had; the bundled type ``m100-class`` (`dronesim.planners.aircraft`, with the
other bundled types) has the 0.5 kg its maximum take-off mass allows. Numba kernels read
the parameters from `DroneModel.as_array`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
from dronesim.planners._jit import kernel

GRAVITY_MPS2 = 9.80665

# Positions in DroneModel.as_array(), for the kernels.
P_EMPTY_MASS = 0
P_DISK_AREA = 1
P_EFFICIENCY = 2
P_DRAG_AREA = 3
P_FIXED_POWER = 4
P_AIR_DENSITY = 5
P_CRUISE_SPEED = 6
P_CLIMB_RATE = 7
P_DESCENT_RATE = 8
P_BATTERY = 9
P_RESERVE = 10
P_MAX_PAYLOAD = 11
P_MAX_AIRSPEED = 12
P_KIND = 13  # KIND_MULTIROTOR or KIND_LIFT_CRUISE
P_LIFT_TO_DRAG = 14
P_CRUISE_EFFICIENCY = 15
P_WING_SPEED = 16
N_PARAMS = 17

KIND_MULTIROTOR = 0
KIND_LIFT_CRUISE = 1
KINDS = {"multirotor": KIND_MULTIROTOR, "lift-and-cruise": KIND_LIFT_CRUISE}


@dataclass(frozen=True)
class DroneModel:
    """A delivery drone: masses, battery, speeds and energy-model parameters.

    Parameters
    ----------
    name : str
        Label used in reports.
    empty_mass_kg : float
        Airframe plus battery, kilograms.
    max_payload_kg : float
        Heaviest parcel load, kilograms.
    battery_wh : float
        Usable battery energy, watt-hours.
    reserve_fraction : float
        Share of ``battery_wh`` that must remain on landing at a depot (0..1).
    cruise_speed_mps : float
        Commanded ground speed in cruise, m/s.
    max_airspeed_mps : float
        Fastest airspeed, m/s: into a strong headwind the drone slows down over the
        ground rather than exceed it.
    climb_rate_mps, descent_rate_mps : float
        Vertical speeds, m/s.
    rotor_disk_area_m2 : float
        Total disk area of all rotors, square metres.
    efficiency : float
        Overall power efficiency (rotor figure of merit x motor x ESC), 0..1.
    drag_area_m2 : float
        Drag coefficient times frontal area of the airframe and parcel, square metres.
    fixed_power_w : float
        Rotor profile power plus avionics, watts.
    air_density_kgpm3 : float
        Air density, kg/m^3.
    charge_power_w : float
        Charging power at a pad, watts (0: battery swap instead).
    swap_time_s : float
        Time for a battery swap, seconds (used when ``charge_power_w`` is 0).
    service_time_s : float
        Time hovering low to hand over or pick up a parcel (winch), seconds.
    kind : {"multirotor", "lift-and-cruise"}
        How level flight is carried: by the rotors, or (lift-and-cruise) by a wing at or
        above ``wing_speed_mps``.
    lift_to_drag : float
        Lift-and-cruise only: the whole aircraft's lift-to-drag ratio in wing-borne cruise.
    cruise_efficiency : float
        Lift-and-cruise only: cruise propulsive efficiency (propeller x motor x ESC), 0..1.
    wing_speed_mps : float
        Lift-and-cruise only: lowest airspeed at which the wing carries the weight, m/s.
    """

    name: str = "m100-class"
    empty_mass_kg: float = 3.1
    max_payload_kg: float = 1.0
    battery_wh: float = 130.0
    reserve_fraction: float = 0.2
    cruise_speed_mps: float = 10.0
    max_airspeed_mps: float = 17.0
    climb_rate_mps: float = 3.0
    descent_rate_mps: float = 2.0
    rotor_disk_area_m2: float = 0.342
    efficiency: float = 0.4
    drag_area_m2: float = 0.25
    fixed_power_w: float = 70.0
    air_density_kgpm3: float = 1.225
    charge_power_w: float = 260.0
    swap_time_s: float = 120.0
    service_time_s: float = 45.0
    kind: str = "multirotor"
    lift_to_drag: float = 0.0
    cruise_efficiency: float = 0.0
    wing_speed_mps: float = 0.0

    def __post_init__(self) -> None:
        positive = (
            "empty_mass_kg",
            "battery_wh",
            "cruise_speed_mps",
            "max_airspeed_mps",
            "climb_rate_mps",
            "descent_rate_mps",
            "rotor_disk_area_m2",
            "efficiency",
            "air_density_kgpm3",
        )
        for item in fields(self):
            if item.name == "name":
                if not isinstance(self.name, str) or not self.name:
                    raise ValueError(
                        f"drone model name must be a non-empty string, got {self.name!r}"
                    )
                continue
            if item.name == "kind":
                if self.kind not in KINDS:
                    raise ValueError(
                        f"drone model {self.name!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}"
                    )
                continue
            value = getattr(self, item.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise ValueError(
                    f"drone model {self.name!r}: {item.name} must be a finite number, got {value!r}"
                )
            if item.name in positive and value <= 0:
                raise ValueError(
                    f"drone model {self.name!r}: {item.name} must be > 0, got {value!r}"
                )
            if value < 0:
                raise ValueError(
                    f"drone model {self.name!r}: {item.name} must be >= 0, got {value!r}"
                )
        if not self.efficiency <= 1:
            raise ValueError(
                f"drone model {self.name!r}: efficiency must be <= 1, got {self.efficiency!r}"
            )
        if not self.reserve_fraction < 1:
            raise ValueError(
                f"drone model {self.name!r}: reserve_fraction must be < 1, got {self.reserve_fraction!r}"
            )
        if self.charge_power_w == 0 and self.swap_time_s == 0:
            raise ValueError(f"drone model {self.name!r}: set charge_power_w or swap_time_s")
        if self.kind == "lift-and-cruise":
            for key in ("lift_to_drag", "cruise_efficiency", "wing_speed_mps"):
                if not getattr(self, key) > 0:
                    raise ValueError(
                        f"drone model {self.name!r}: {key} must be > 0 for a lift-and-cruise aircraft, got {getattr(self, key)!r}"
                    )
            if not self.cruise_efficiency <= 1:
                raise ValueError(
                    f"drone model {self.name!r}: cruise_efficiency must be <= 1, got {self.cruise_efficiency!r}"
                )

    @property
    def reserve_wh(self) -> float:
        """Energy that must remain on landing, watt-hours."""
        return self.reserve_fraction * self.battery_wh

    def as_array(self) -> np.ndarray:
        """Parameters in the order the kernels read them (``P_*`` indices)."""
        params = np.empty(N_PARAMS)
        params[P_EMPTY_MASS] = self.empty_mass_kg
        params[P_DISK_AREA] = self.rotor_disk_area_m2
        params[P_EFFICIENCY] = self.efficiency
        params[P_DRAG_AREA] = self.drag_area_m2
        params[P_FIXED_POWER] = self.fixed_power_w
        params[P_AIR_DENSITY] = self.air_density_kgpm3
        params[P_CRUISE_SPEED] = self.cruise_speed_mps
        params[P_CLIMB_RATE] = self.climb_rate_mps
        params[P_DESCENT_RATE] = self.descent_rate_mps
        params[P_BATTERY] = self.battery_wh
        params[P_RESERVE] = self.reserve_wh
        params[P_MAX_PAYLOAD] = self.max_payload_kg
        params[P_MAX_AIRSPEED] = self.max_airspeed_mps
        params[P_KIND] = KINDS[self.kind]
        params[P_LIFT_TO_DRAG] = self.lift_to_drag
        params[P_CRUISE_EFFICIENCY] = self.cruise_efficiency
        params[P_WING_SPEED] = self.wing_speed_mps
        return params

    def to_dict(self) -> dict:
        """Plain-data copy (for reports)."""
        return asdict(self)

    # Convenience wrappers over the kernels (watts, watt-hours).
    def hover_power_w(self, payload_kg: float = 0.0) -> float:
        """Power to hover with ``payload_kg`` aboard, watts."""
        return float(level_power_w(self.as_array(), payload_kg, 0.0))

    def level_power_w(self, payload_kg: float, airspeed_mps: float) -> float:
        """Power in level flight at ``airspeed_mps``, watts."""
        return float(level_power_w(self.as_array(), payload_kg, airspeed_mps))

    def cruise_wh_per_km(self, payload_kg: float, ground_speed_mps: float | None = None) -> float:
        """Energy per kilometre of level cruise in calm air, watt-hours."""
        speed = self.cruise_speed_mps if ground_speed_mps is None else ground_speed_mps
        return self.level_power_w(payload_kg, speed) * (1000.0 / speed) / 3600.0

    def charge_time_s(self, energy_wh: float) -> float:
        """Seconds at a pad to put back ``energy_wh`` (or swap the battery)."""
        if self.charge_power_w > 0:
            return 3600.0 * max(energy_wh, 0.0) / self.charge_power_w
        return self.swap_time_s


@kernel
def level_power_w(params, payload_kg, airspeed_mps):
    """Electrical power in level flight, watts (see the module docstring)."""
    mass = params[P_EMPTY_MASS] + payload_kg
    weight = mass * GRAVITY_MPS2
    if params[P_KIND] == KIND_LIFT_CRUISE and airspeed_mps >= params[P_WING_SPEED]:
        # Wing-borne: thrust = drag = W / (L/D), power = thrust x airspeed / efficiency.
        return (
            weight * airspeed_mps / (params[P_LIFT_TO_DRAG] * params[P_CRUISE_EFFICIENCY])
            + params[P_FIXED_POWER]
        )
    rho = params[P_AIR_DENSITY]
    eta = params[P_EFFICIENCY]
    hover_induced = math.sqrt(weight / (2.0 * rho * params[P_DISK_AREA]))
    v2 = airspeed_mps * airspeed_mps
    # Two squarings, as numba compiles ``x**4``; Python's ``x**4`` calls pow(), which
    # rounds differently, and NUMBA_DISABLE_JIT=1 runs must match compiled runs exactly.
    hover2 = hover_induced * hover_induced
    induced = math.sqrt(0.5 * (math.sqrt(v2 * v2 + 4.0 * (hover2 * hover2)) - v2))
    parasitic = 0.5 * rho * params[P_DRAG_AREA] * airspeed_mps * v2
    return (weight * induced + parasitic) / eta + params[P_FIXED_POWER]


@kernel
def vertical_leg(params, payload_kg, dz_m):
    """Time (s) and energy (Wh) to climb (``dz_m`` > 0) or descend (< 0) at the model's rates.

    Climb adds ``W v_z / eta`` to hover power; descent is flown at hover power (no
    regeneration), which is slightly conservative.
    """
    if dz_m == 0.0:
        return 0.0, 0.0
    hover = level_power_w(params, payload_kg, 0.0)
    if dz_m > 0.0:
        seconds = dz_m / params[P_CLIMB_RATE]
        weight = (params[P_EMPTY_MASS] + payload_kg) * GRAVITY_MPS2
        power = hover + weight * params[P_CLIMB_RATE] / params[P_EFFICIENCY]
    else:
        seconds = -dz_m / params[P_DESCENT_RATE]
        power = hover
    return seconds, power * seconds / 3600.0


@kernel
def cruise_leg(params, payload_kg, dx_m, dy_m, wind_x_mps, wind_y_mps):
    """Time (s) and energy (Wh) of a level leg in steady wind.

    The drone holds its commanded cruise ground speed along the leg, so the wind changes
    the airspeed it needs (``|v_ground - wind|``) and with it the power. If that airspeed
    would exceed the model's maximum, it flies at maximum airspeed and slower over the
    ground instead (the wind then changes the time as well).
    """
    distance = math.sqrt(dx_m * dx_m + dy_m * dy_m)
    if distance <= 0.0:
        return 0.0, 0.0
    ux = dx_m / distance
    uy = dy_m / distance
    ground = params[P_CRUISE_SPEED]
    ax = ground * ux - wind_x_mps
    ay = ground * uy - wind_y_mps
    airspeed = math.sqrt(ax * ax + ay * ay)
    limit = params[P_MAX_AIRSPEED]
    if airspeed > limit:
        along = ux * wind_x_mps + uy * wind_y_mps
        across2 = wind_x_mps * wind_x_mps + wind_y_mps * wind_y_mps - along * along
        ground = along + math.sqrt(max(limit * limit - across2, 0.0))
        airspeed = limit
        if ground <= 0.1:
            return np.inf, np.inf  # the wind is too strong to make headway
    seconds = distance / ground
    return seconds, level_power_w(params, payload_kg, airspeed) * seconds / 3600.0


@kernel
def hover_energy_wh(params, payload_kg, seconds):
    """Energy to hover for ``seconds`` with ``payload_kg`` aboard, watt-hours."""
    return level_power_w(params, payload_kg, 0.0) * seconds / 3600.0
