"""Validation benchmark (``dronesim bench validation``): simulated figures beside published ones.

Each row holds ``metric``, ``unit``, ``simulated``, ``published``, ``ratio`` (simulated /
published), ``source`` (where the published figure comes from), ``run`` (what produced the
simulated figure: the energy model, or a bundled scenario by name with its aircraft types),
``command`` (a command that reproduces it) and ``note``. The published figures and their
sources are the constants below; the measured figures are in the README.

Rows:

- ``energy per km, cruise (model)``: `DroneModel.cruise_wh_per_km` of the bundled
  ``m100-class`` at 0.5 kg in calm air at 9 m/s (the middle of the 8-10 m/s of the
  published figure; the note gives 8 and 10 m/s).
- ``energy per km, flown (demo)``: the demo's ``energy_kwh`` over its
  ``distance_horizontal_km`` (report fields): every watt-hour the fleet used (climbs,
  descents, hovers, wind) over the ground distance it covered.
- ``energy per delivered parcel`` of the demo and of city-day: ``energy_wh_per_delivery``.
- ``delivery time, order to hand-over`` (city-day): ``delivery_time_s["mean"]``.
- ``flight time, take-off to hand-over`` (city-day): `flight_times_s`, from the run log.
- ``deliveries per aircraft per day`` (city-day): delivered orders over the drones that
  flew (`drones_flown`), scaled to 24 h by the simulated time (exact for a whole day; a
  shorter ``--duration`` extrapolates its own hours).

``duration_s`` given to `run` (``--duration S``) cuts both runs to at most that many
simulated seconds; the document records it (``duration_s``, null for the scenarios' own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from dronesim.planners.aircraft import aircraft_type
from dronesim.sim.engine import Simulation
from dronesim.sim.scenario import Scenario, load_scenario
from dronesim.sim.vocabulary import EV_DELIVERED

MJ_TO_WH = 1e6 / 3600.0
RODRIGUES = "Rodrigues et al., Patterns 3:100569 (2022), summary"
RODRIGUES_WH_PER_KM = 0.08 * MJ_TO_WH  # 0.08 MJ/km, 0.5 kg package, 8-10 m/s
RODRIGUES_WH_PER_PACKAGE = 0.33 * MJ_TO_WH  # 0.33 MJ per package
MEITUAN_DELIVERY_MIN = 12.0
MEITUAN = "Meituan: average drone delivery time in 2022 about 12 min (China Daily, 19 Sep. 2023)"
MANNA_FLIGHT_MIN = 3.0
MANNA_FLIGHT = "Manna: average flight time three minutes (Irish Independent, 18 Aug. 2022)"
MANNA_PER_DAY = 100.0
MANNA_DAY = (
    "Manna: one aircraft can complete 100 deliveries a day (Irish Independent, 18 Aug. 2022)"
)
MODEL_PAYLOAD_KG = 0.5
MODEL_SPEEDS_MPS = (8.0, 9.0, 10.0)  # the figure's range; the row uses the middle


def flight_times_s(simulation: Simulation) -> np.ndarray:
    """Take-off to hand-over of each delivery, seconds (in the order of the order log).

    The take-off is the last moment before the hand-over at which the delivering drone
    was on the ground (z = 0 in its flown path, `Simulation.trajectory`): the lift-off
    after loading, so a parcel loaded at a pick-up stop mid-trip counts from that stop's
    take-off, and a second drop-off of a batched trip includes the first.
    """
    drone, t, xyz, _ = simulation.trajectory()
    t_event, _, kind, by = simulation.log.order_events()
    delivered = kind == EV_DELIVERED
    ground = xyz[:, 2] <= 0.0
    # Ground points stay sorted by drone, then time: each drone's are one slice.
    drone, t = drone[ground], t[ground]
    first = np.searchsorted(drone, np.arange(simulation.n_drones + 1))
    times = []
    for t_hand, d in zip(t_event[delivered], by[delivered], strict=True):
        on_ground = t[first[d] : first[d + 1]]
        takeoff = on_ground[np.searchsorted(on_ground, t_hand, side="right") - 1]
        times.append(t_hand - takeoff)
    return np.asarray(times, np.float64)


def drones_flown(simulation: Simulation) -> int:
    """Drones that left the ground at least once (z > 0 somewhere in their flown path)."""
    drone, _, xyz, _ = simulation.trajectory()
    return int(len(np.unique(drone[xyz[:, 2] > 0.0])))


def _row(
    metric: str, unit: str, simulated: float | None, published: float, source: str, run: str,
    command: str, note: str = "",
) -> dict[str, Any]:  # fmt: skip
    ratio = None if simulated is None else simulated / published
    return {
        "metric": metric,
        "unit": unit,
        "simulated": simulated,
        "published": published,
        "ratio": ratio,
        "source": source,
        "run": run,
        "command": command,
        "note": note,
    }


def _simulate(scenario: Scenario, duration_s: float | None) -> tuple[Simulation, Any]:
    if duration_s is not None:
        duration_s = min(duration_s, scenario.duration_s)
    simulation = Simulation(scenario, duration_s=duration_s)
    return simulation, simulation.run()


def _label(scenario: Scenario) -> str:
    return f"{scenario.name} ({', '.join(t.model.name for t in scenario.aircraft)})"


def run(
    duration_s: float | None = None, scenarios: dict[str, Scenario] | None = None
) -> dict[str, Any]:
    """Every row of the table (module docstring).

    Parameters
    ----------
    duration_s : float, optional
        Cut both runs to at most this many simulated seconds (None: the scenarios' own).
    scenarios : dict, optional
        ``"demo"`` and ``"city-day"`` replaced by other scenarios (tests use a small one);
        by default the bundled ones, by name.
    """
    scenarios = scenarios or {}
    demo = scenarios.get("demo") or load_scenario("demo")
    city = scenarios.get("city-day") or load_scenario("city-day")
    cut = "" if duration_s is None else f" --duration {duration_s:g}"
    rows = []

    m100 = aircraft_type("m100-class").model
    per_km = {v: m100.cruise_wh_per_km(MODEL_PAYLOAD_KG, v) for v in MODEL_SPEEDS_MPS}
    rows.append(_row(
        "energy per km, cruise", "Wh/km", per_km[9.0], RODRIGUES_WH_PER_KM,
        f"{RODRIGUES}: 0.08 MJ/km (0.5 kg, 8-10 m/s)",
        "energy model: m100-class, 0.5 kg, 9 m/s, calm air", "dronesim bench validation",
        f"{per_km[8.0]:.1f} at 8 m/s, {per_km[10.0]:.1f} at 10 m/s",
    ))  # fmt: skip

    simulation, report = _simulate(demo, duration_s)
    command = f"dronesim run {demo.name}{cut} --report r.json"
    rows.append(_row(
        "energy per km, flown", "Wh/km",
        report.energy_kwh * 1000.0 / report.distance_horizontal_km
        if report.distance_horizontal_km else None,
        RODRIGUES_WH_PER_KM, f"{RODRIGUES}: 0.08 MJ/km (0.5 kg, 8-10 m/s)", _label(demo),
        command, "energy_kwh over distance_horizontal_km: climbs, hovers and wind included",
    ))  # fmt: skip
    rows.append(_row(
        "energy per delivered parcel", "Wh", report.energy_wh_per_delivery,
        RODRIGUES_WH_PER_PACKAGE, f"{RODRIGUES}: 0.33 MJ/package", _label(demo), command,
        "energy_wh_per_delivery",
    ))  # fmt: skip

    simulation, report = _simulate(city, duration_s)
    command = f"dronesim run {city.name}{cut} --report r.json"
    flights = flight_times_s(simulation)
    flown = drones_flown(simulation)
    rows.append(_row(
        "energy per delivered parcel", "Wh", report.energy_wh_per_delivery,
        RODRIGUES_WH_PER_PACKAGE, f"{RODRIGUES}: 0.33 MJ/package", _label(city), command,
        "energy_wh_per_delivery",
    ))  # fmt: skip
    mean_s = report.delivery_time_s["mean"]
    rows.append(_row(
        "delivery time, order to hand-over", "min", None if mean_s is None else mean_s / 60.0,
        MEITUAN_DELIVERY_MIN, MEITUAN, _label(city), command, "delivery_time_s.mean",
    ))  # fmt: skip
    rows.append(_row(
        "flight time, take-off to hand-over", "min",
        float(flights.mean()) / 60.0 if len(flights) else None, MANNA_FLIGHT_MIN, MANNA_FLIGHT,
        _label(city), f"dronesim bench validation{cut}",
        "mean over deliveries, from the run log (last lift-off before each hand-over)",
    ))  # fmt: skip
    rows.append(_row(
        "deliveries per aircraft per day", "1/day",
        report.orders_delivered / flown * 86400.0 / report.sim_seconds if flown else None,
        MANNA_PER_DAY, MANNA_DAY, _label(city), f"dronesim bench validation{cut}",
        f"{report.orders_delivered:,} delivered by {flown} drones that flew (of "
        f"{report.drones:,}) in {report.sim_seconds / 3600.0:.1f} h",
    ))  # fmt: skip
    return {"duration_s": duration_s, "rows": rows}


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"


def format_table(results: dict[str, Any]) -> str:
    """The rows as a Markdown table."""
    lines = []
    if results.get("duration_s") is not None:
        lines.append(f"(runs cut to at most {results['duration_s']:g} simulated seconds)\n")
    lines.append("| metric | simulated | published | ratio | source | run | command | note |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for row in results["rows"]:
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        lines.append(
            f"| {row['metric']}, {row['unit']} | {_number(row['simulated'])} | "
            f"{_number(row['published'])} | {ratio} | {row['source']} | {row['run']} | "
            f"`{row['command']}` | {row['note']} |"
        )
    return "\n".join(lines)
