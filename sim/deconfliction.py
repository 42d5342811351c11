"""Deconfliction policies: one protocol, a registry, and the built-in ``none`` and ``layers``.

A deconfliction policy decides how a drone's trips share the sky with the others'. Every
policy answers, for a scenario's ``[deconfliction]`` table (`DeconflictionSpec`):

- ``layers_used(spec)``: the cruise layers its trips use (indices into ``map.layers_m``);
  the engine checks depot and pad columns up to the highest and sizes its estimates;
- ``leg_layer(spec, a_xy, b_xy)``: the cruise layer of a leg from ``a_xy`` to ``b_xy``,
  asked by `sim.trips.TripPlanner.fly` each time a trip is built;
- ``planner``: the registered route planner it searches with, or None for the scenario's
  ``planner.name`` (legs not read off a depot's distance field go to that planner);
- ``plan_trip(request)``: the hook for policies that plan a whole trip in space and time
  against the other drones' plans (e.g. ``strategic``): return the timed plan (the dict
  `sim.routing.PlanBuilder.timed` returns) or None to let the engine build and sequence
  the trip the normal way (`TripPlanner.build`, then the pad and drop-off column
  sequencing of `sim.vertiports`). `LayerPolicy.plan_trip` returns None. The engine asks
  it for every trip a dispatch round starts (`Simulation._start_trip`), before building
  one, and checks a returned plan against the battery reserve like any other; a plan
  from the hook takes no part in the column sequencing (the policy owns its timing).
  Repositioning flights and replans after a zone switches use the normal builder unless
  the policy has the optional hooks below. It may also return False: the trip is
  refused (not started; its orders keep waiting, and fail with
  `sim.vocabulary.REASON_NO_CONFLICT_FREE_SLOT` if they expire).

Optional hooks, looked up by name: ``bind(simulation)``, called once when a run is set
up, returns the policy the run uses (a policy with per-run state, e.g. ``strategic``'s
reservation table); ``plan_replaced(drone)`` is called when the engine replaces a drone's
plan in flight (a replan after a zone switches), so the policy can free what it held;
``plan_reposition(request, depot)`` (``request.stops`` empty) answers like `plan_trip`
for a flight to another depot (`Simulation._send_to`); ``zones_changed(t_s, active)`` is
called when a temporary zone switches on or off, before any replan (``active``: indices
of the temporary zones active now); ``replan_in_flight(drone, stops, zones)`` is asked
first when the engine replans a drone after a zone switches
(`Simulation._replan`; a drone inside a zone that switched on included) and returns a
`sim.routing.ReplanAnswer`, or None to let the engine replan the normal way (after
``plan_replaced``).

Register your own with `register_deconfliction` (by code), or from an installed package
through an entry point in the group ``dronesim.deconfliction`` (see
`dronesim.planners.plugins`); a scenario names a registered policy only.

The sector rule of ``layers``: the leg's heading (clockwise from north) falls into one of
``len(sector_layers)`` equal sectors, sector 0 centred on north, and each sector has its
layer, as in layered U-space airspace designs (Doole et al., Aerospace 2021).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from dronesim.planners.plugins import (
    DECONFLICTION_GROUP,
    PluginError,
    find_plugin,
    plugin_names,
)

# ``spec`` below is a `dronesim.sim.scenario.DeconflictionSpec`; this module does not import
# the scenario module, which looks policies up here (no import cycle).
DeconflictionSpec = Any


@dataclass(frozen=True)
class TripRequest:
    """What a policy's `plan_trip` hook is given (the ``strategic`` policy's entry).

    Attributes
    ----------
    drone : int
        The drone.
    t_s : float
        Now, seconds; the plan starts here.
    start : (float, float, float)
        Where the drone is, metres.
    battery_wh : float
        Its battery now, watt-hours.
    stops : list of (int, int)
        ``(order, kind)`` in flying order (`sim.trips.PICKUP`, `sim.trips.DROPOFF`).
    home_hint : int
        The depot it stands at (-1: in the air).
    trips : object
        The run's `sim.trips.TripPlanner` (its ``build`` and ``sequence`` are the normal
        way to make a plan).
    router : object
        The `sim.routing.LayerRouter` of the current zone epoch.
    """

    drone: int
    t_s: float
    start: tuple[float, float, float]
    battery_wh: float
    stops: list
    home_hint: int
    trips: Any
    router: Any


@runtime_checkable
class DeconflictionPolicy(Protocol):
    """What the engine needs from a deconfliction policy (see the module docstring)."""

    name: str
    planner: str | None

    def layers_used(self, spec: DeconflictionSpec) -> tuple[int, ...]:
        """Cruise layers trips may use, ascending (indices into ``map.layers_m``)."""
        ...

    def leg_layer(self, spec: DeconflictionSpec, a_xy, b_xy) -> int:
        """The cruise layer of a leg from ``a_xy`` to ``b_xy`` (metres, local frame)."""
        ...

    def plan_trip(self, request: TripRequest) -> dict | None | bool:
        """A timed plan for the whole trip, None for the normal builder, False to refuse."""
        ...


@dataclass(frozen=True)
class LayerPolicy:
    """Base of layer-choosing policies: the normal trip builder, the scenario's planner.

    Subclasses override `leg_layer` and `layers_used`.
    """

    name: str = "none"
    planner: str | None = None
    description: str = "every leg on deconfliction.cruise_layer"

    def layers_used(self, spec: DeconflictionSpec) -> tuple[int, ...]:
        return (int(spec.cruise_layer),)

    def leg_layer(self, spec: DeconflictionSpec, a_xy, b_xy) -> int:
        return int(spec.cruise_layer)

    def plan_trip(self, request: TripRequest) -> dict | None:
        return None


@dataclass(frozen=True)
class SectorLayers(LayerPolicy):
    """``layers``: the cruise layer by the leg's heading sector (`sector_layer`)."""

    name: str = "layers"
    description: str = "cruise layer by heading sector (deconfliction.sector_layers)"

    def layers_used(self, spec: DeconflictionSpec) -> tuple[int, ...]:
        return tuple(sorted(set(int(k) for k in spec.sector_layers)))

    def leg_layer(self, spec: DeconflictionSpec, a_xy, b_xy) -> int:
        return sector_layer(spec.sector_layers, a_xy, b_xy)


def sector_layer(sector_layers, a_xy, b_xy) -> int:
    """The layer of the heading sector of ``a -> b`` (sector 0 centred on north; a leg of
    zero length takes sector 0's layer)."""
    dx = b_xy[0] - a_xy[0]
    dy = b_xy[1] - a_xy[1]
    if dx == 0 and dy == 0:
        return int(sector_layers[0])
    heading = math.degrees(math.atan2(dx, dy)) % 360.0
    sectors = len(sector_layers)
    width = 360.0 / sectors
    return int(sector_layers[int(((heading + width / 2) % 360.0) // width)])


@dataclass(frozen=True)
class StrategicPolicy(SectorLayers):
    """``strategic``: every trip planned as a whole 4D plan against a reservation table of
    every committed plan (`sim.strategic.StrategicPlanner`, SIPP on the airspace grid).

    The registered object holds no state; the engine calls `bind` once per run and uses
    the `sim.strategic_policy.StrategicRun` it returns (its own table and trip ids).
    Repositioning flights are planned against the reservations too, and so are in-flight
    replans after a zone switches on (`StrategicRun.replan_in_flight`), but for the few
    cases `sim.strategic_policy` leaves to the engine's normal replan.
    """

    name: str = "strategic"
    planner: str | None = None  # legs of the normal builder (repositioning, replans)
    description: str = "whole trips planned against a 4D reservation table (SIPP)"

    def bind(self, simulation) -> DeconflictionPolicy:
        """The policy for one run (`sim.strategic_policy.StrategicRun`)."""
        from dronesim.sim.strategic_policy import StrategicRun

        return StrategicRun(self, simulation)


DECONFLICTION: dict[str, DeconflictionPolicy] = {
    policy.name: policy for policy in (LayerPolicy(), SectorLayers(), StrategicPolicy())
}


def register_deconfliction(
    policy: DeconflictionPolicy, *, replace: bool = False
) -> DeconflictionPolicy:
    """Add a deconfliction policy to the registry under its name.

    Raises
    ------
    ValueError
        Not a policy (see `DeconflictionPolicy`), or the name is taken (without ``replace``).
    """
    if not isinstance(policy, DeconflictionPolicy):
        raise ValueError(
            "a deconfliction policy needs 'name', 'planner', 'layers_used(spec)', "
            f"'leg_layer(spec, a_xy, b_xy)' and 'plan_trip(request)', got {policy!r}"
        )
    if policy.name in DECONFLICTION and not replace:
        raise ValueError(f"a deconfliction policy named {policy.name!r} is already registered")
    DECONFLICTION[policy.name] = policy
    return policy


def unregister_deconfliction(name: str) -> None:
    """Remove a policy from the registry (tests; built-ins included, so take care)."""
    DECONFLICTION.pop(name, None)


def find_deconfliction(name: str) -> DeconflictionPolicy | None:
    """A registered policy, or one an installed package declares in the entry-point group
    ``dronesim.deconfliction`` (loaded and registered on first use); None if neither.

    Raises
    ------
    PluginError
        The entry point does not load or its object is not a policy of that name.
    """
    return find_plugin(
        DECONFLICTION,
        DECONFLICTION_GROUP,
        name,
        lambda target: isinstance(target, DeconflictionPolicy),
        "a deconfliction policy",
        "'name', 'layers_used', 'leg_layer' and 'plan_trip'",
        register_deconfliction,
    )


def deconfliction_names() -> list[str]:
    """Registered policy names, then those installed packages declare as entry points."""
    return plugin_names(DECONFLICTION, DECONFLICTION_GROUP)


def get_deconfliction(name: str | DeconflictionPolicy) -> DeconflictionPolicy:
    """A policy by registered name (or entry point), or the policy itself.

    Raises
    ------
    PluginError
        Unknown name (listing the known ones), or an entry point that does not load.
    """
    if isinstance(name, DeconflictionPolicy) and not isinstance(name, str):
        return name
    found = find_deconfliction(name) if isinstance(name, str) else None
    if found is None:
        raise PluginError(
            f"unknown deconfliction policy {name!r}; known: {', '.join(deconfliction_names())}"
        )
    return found


__all__ = [
    "DECONFLICTION",
    "DeconflictionPolicy",
    "LayerPolicy",
    "SectorLayers",
    "StrategicPolicy",
    "TripRequest",
    "deconfliction_names",
    "find_deconfliction",
    "get_deconfliction",
    "register_deconfliction",
    "sector_layer",
    "unregister_deconfliction",
]
