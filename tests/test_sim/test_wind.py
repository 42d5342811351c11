"""Wind that varies (issue 14, item 5): profile values against hand-computed ones, the
hourly series and the grid interpolated as documented, the energy of legs flown at a
height and time against an independent numerical integration of the power formulas of
`planners.energy`'s docstring, seeded gusts within their bound, a battery depletion
reported with drone, time and place, and bad wind input refused in one line (exit 2)."""

import math

import numpy as np
import pytest
from cli_checks import assert_one_line_error, run
from dronesim.planners.energy import GRAVITY_MPS2, DroneModel
from dronesim.planners.wind import WindField
from dronesim.sim.engine import Simulation
from dronesim.sim.routing import PlanBuilder
from dronesim.sim.scenario import WindSpec, from_toml_text
from dronesim.sim.vocabulary import TO_DROPOFF
from tiny import TINY

BASE = TINY.split("[wind]")[0]  # TINY without its steady wind


def scenario_with(wind_toml, tmp_path=None, **replace):
    text = BASE + "[wind]\n" + wind_toml
    for old, new in replace.items():
        text = text.replace(old, new)
    return from_toml_text(text, "w.toml", base_dir=tmp_path)


def from_west(speed_mps):
    """(east, north) of a wind from 270 degrees, by hand: it blows towards the east."""
    return np.array([speed_mps, 0.0])


# ---------------------------------------------------------------- profiles and series
def test_power_profile_matches_hand_computed_values():
    field = WindField.build(
        np.array([[[[4.0, 0.0]]]]), profile="power", exponent=0.2, reference_height_m=10.0
    )
    # 4 (z / 10)^0.2: 80 m -> 8^0.2 = 1.515716566510398; 2.5 m -> 0.25^0.2 = 0.757858283
    assert field.at(0.0, 0.0, 0.0, 10.0) == pytest.approx((4.0, 0.0), rel=1e-12)
    assert field.at(0.0, 0.0, 0.0, 80.0)[0] == pytest.approx(4 * 1.515716566510398, rel=1e-12)
    assert field.at(0.0, 0.0, 0.0, 2.5)[0] == pytest.approx(4 * 0.7578582832551990, rel=1e-12)
    assert field.at(0.0, 0.0, 0.0, 0.0) == (0.0, 0.0)


def test_log_profile_matches_hand_computed_values():
    field = WindField.build(
        np.array([[[[0.0, -3.0]]]]), profile="log", roughness_m=1.0, reference_height_m=10.0
    )
    # 3 ln(z / 1) / ln(10 / 1): 100 m -> 2 exactly; 50 m -> 1.698970004336019
    assert field.at(0.0, 0.0, 0.0, 100.0)[1] == pytest.approx(-6.0, rel=1e-12)
    assert field.at(0.0, 0.0, 0.0, 50.0)[1] == pytest.approx(-3 * 1.698970004336019, rel=1e-12)
    assert field.at(0.0, 0.0, 0.0, 0.5) == (0.0, 0.0)  # below the roughness length


def test_default_wind_is_one_vector_at_every_height_and_time():
    spec = WindSpec(speed_mps=4.0, from_deg=200.0)
    field = spec.field(start_hour=10.0)
    for t, z in ((0.0, 0.0), (5000.0, 110.0), (40000.0, 30.0)):
        assert field.at(t, 123.0, -50.0, z) == spec.vector_mps  # bit for bit
    assert field.steady_uniform


def test_hourly_series_interpolates_linearly_on_the_demand_clock_and_wraps():
    # Hour h of the day: h / 2 m/s from the west.
    spec = scenario_with("hourly_speed_mps = [" + ", ".join(str(h / 2) for h in range(24)) + "]\n")
    assert spec.wind.hourly_speed_mps == tuple(h / 2 for h in range(24))
    field = spec.wind.field(start_hour=spec.demand.start_hour)  # TINY starts at 12:00
    for t_s, hour in ((0.0, 12.0), (1800.0, 12.5), (4.5 * 3600, 16.5), (10.75 * 3600, 22.75)):
        assert field.at(t_s, 0.0, 0.0, 50.0) == pytest.approx(from_west(hour / 2), abs=1e-12)
    # 23:30 lies between 11.5 m/s at 23:00 and 0 m/s at 0:00 (the next day).
    assert field.at(11.5 * 3600, 0, 0, 50)[0] == pytest.approx(5.75, abs=1e-12)
    assert field.at(13 * 3600, 0, 0, 50)[0] == pytest.approx(0.5, abs=1e-12)  # 1:00


def test_hourly_directions_are_interpolated_by_component():
    directions = [270.0] * 24
    directions[13] = 180.0  # from the south at 13:00: towards the north
    spec = scenario_with(f"speed_mps = 6\nhourly_from_deg = {directions}\n")
    field = spec.wind.field(start_hour=12.0)
    wx, wy = field.at(1800.0, 0.0, 0.0, 30.0)  # 12:30: halfway between (6, 0) and (0, 6)
    assert (wx, wy) == pytest.approx((3.0, 3.0), abs=1e-12)


def test_grid_file_is_interpolated_bilinearly_and_clamped(tmp_path):
    # Cells centred at x in {0, 1000}, y in {0, 2000}; from the west, so the speed is the
    # east component. Speeds: hour h at (x, y) = h / 5 + x / 1000 + y / 2000.
    lines = ["hour,x_m,y_m,speed_mps,from_deg"]
    for hour in range(24):
        for x in (0, 1000):
            for y in (0, 2000):
                lines.append(f"{hour},{x},{y},{hour / 5 + x / 1000 + y / 2000},270")
    (tmp_path / "wind.csv").write_text("# a 2 x 2 grid\n" + "\n".join(lines) + "\n")
    spec = scenario_with('file = "wind.csv"\n', tmp_path)
    field = spec.wind.field(start_hour=0.0)
    # Bilinear in a linear function is exact: at (250, 500) and 2:00, 0.4 + 0.25 + 0.25.
    assert field.at(7200.0, 250.0, 500.0, 10.0)[0] == pytest.approx(0.9, abs=1e-12)
    # Clamped outside the outer centres: (-500, 3000) takes the corner (0, 2000).
    assert field.at(7200.0, -500.0, 3000.0, 10.0)[0] == pytest.approx(1.4, abs=1e-12)
    # Between hours too: 2:30 at (1000, 0) is 0.5 + 1.
    assert field.at(9000.0, 1000.0, 0.0, 10.0)[0] == pytest.approx(1.5, abs=1e-12)
    # The forecast is the mean over the cell centres: 0.4 + 0.5 + 0.5 at 2:00.
    assert field.forecast(7200.0, 10.0)[0] == pytest.approx(1.4, abs=1e-12)


# ---------------------------------------------------------------- energy of a leg
def reference_power_w(model, payload_kg, airspeed_mps):
    """The module docstring of `planners.energy`, written out again here."""
    weight = (model.empty_mass_kg + payload_kg) * GRAVITY_MPS2
    rho = model.air_density_kgpm3
    v_h = math.sqrt(weight / (2 * rho * model.rotor_disk_area_m2))
    v = airspeed_mps
    v_i = math.sqrt((math.sqrt(v**4 + 4 * v_h**4) - v**2) / 2)
    parasitic = 0.5 * rho * model.drag_area_m2 * v**3
    return (weight * v_i + parasitic) / model.efficiency + model.fixed_power_w


def reference_wind(t_s, z_m, speeds, directions, start_hour, exponent, z_ref):
    """Hourly series, linear between hours, power law with height: by hand."""
    hour = (start_hour + t_s / 3600.0) % 24
    k = int(hour)
    f = hour - k
    a = np.array(
        [math.sin(math.radians(directions[k] + 180)), math.cos(math.radians(directions[k] + 180))]
    )
    b_dir = directions[(k + 1) % 24]
    b = np.array([math.sin(math.radians(b_dir + 180)), math.cos(math.radians(b_dir + 180))])
    w = (1 - f) * speeds[k] * a + f * speeds[(k + 1) % 24] * b
    return w * (z_m / z_ref) ** exponent


def integrate_leg(model, payload_kg, start_xy, end_xy, t0_s, wind_of_t, dt_s=0.01):
    """Seconds and Wh to fly level from ``start_xy`` to ``end_xy`` at the commanded
    ground speed in a wind ``wind_of_t(t)``, stepping the flight in ``dt_s`` (midpoint
    rule); airspeed stays under the model's maximum in these tests (checked)."""
    d = np.subtract(end_xy, start_xy)
    length = float(np.hypot(*d))
    u = d / length
    ground = model.cruise_speed_mps * u
    flown = 0.0
    t = t0_s
    wh = 0.0
    while flown < length:
        step = min(dt_s, (length - flown) / model.cruise_speed_mps)
        airspeed = float(np.hypot(*(ground - wind_of_t(t + step / 2))))
        assert airspeed < model.max_airspeed_mps
        wh += reference_power_w(model, payload_kg, airspeed) * step / 3600.0
        flown += model.cruise_speed_mps * step
        t += step
    return t - t0_s, wh


# Calm-ish all day but for a squall at 9:00 (from 2 m/s at 8:00 to 8 m/s, veering 60 deg).
SPEEDS = [3.0] * 8 + [2.0, 8.0] + [3.0] * 14
DIRECTIONS = [240.0] * 9 + [300.0] + [240.0] * 14


def field_for_legs():
    return WindField.build(
        np.array(
            [
                [[[s * math.sin(math.radians(d + 180)), s * math.cos(math.radians(d + 180))]]]
                for s, d in zip(SPEEDS, DIRECTIONS)
            ]
        ),
        profile="power",
        exponent=0.25,
        reference_height_m=10.0,
        start_hour=6.0,
    )


def test_energy_of_a_leg_at_height_and_time_equals_an_independent_integration():
    model = DroneModel()
    params = model.as_array()
    field = field_for_legs()
    payload, z, t0 = 0.6, 90.0, 5000.0
    plan = PlanBuilder(0.0, 0.0, 0.0, payload)
    plan.move(0.0, 0.0, z, TO_DROPOFF)
    plan.move(1500.0, 800.0, z, TO_DROPOFF)
    plan.move(1500.0, 800.0, 0.0, TO_DROPOFF)
    timed = plan.timed(params, field, t0, 130.0)
    # Climb and descent from the formulas: hover power (+ W v_z / eta climbing).
    weight = (model.empty_mass_kg + payload) * GRAVITY_MPS2
    climb_s = z / model.climb_rate_mps
    climb_wh = (
        (reference_power_w(model, payload, 0.0) + weight * model.climb_rate_mps / model.efficiency)
        * climb_s
        / 3600
    )
    descent_s = z / model.descent_rate_mps
    descent_wh = reference_power_w(model, payload, 0.0) * descent_s / 3600
    # The cruise in the wind at its height and start time (held over the leg, as documented).
    t_cruise = t0 + climb_s
    wind = reference_wind(t_cruise, z, SPEEDS, DIRECTIONS, 6.0, 0.25, 10.0)
    cruise_s, cruise_wh = integrate_leg(
        model, payload, (0, 0), (1500, 800), t_cruise, lambda t: wind
    )
    assert timed["t"] == pytest.approx(
        [t0, t0 + climb_s, t_cruise + cruise_s, t_cruise + cruise_s + descent_s], abs=1e-6
    )
    used = -np.diff(timed["wh"])
    assert used == pytest.approx([climb_wh, cruise_wh, descent_wh], rel=1e-9)
    # The profile matters here: the wind at 90 m is 9^0.25 = 1.73 x the 10 m wind.
    calm_s, calm_wh = integrate_leg(model, payload, (0, 0), (1500, 800), 0.0, lambda t: wind * 0)
    assert abs(cruise_wh - calm_wh) > 0.05 * calm_wh


def test_energy_of_a_long_leg_in_pieces_follows_the_wind_through_the_hours():
    """A leg cut into 30 m pieces crossing an hour boundary: each piece takes the wind at
    its own start, so the sum comes within a hair of a continuous integration in a wind
    that changes all along (and far from the wind held at the leg's start)."""
    model = DroneModel()
    params = model.as_array()
    field = field_for_legs()
    z, t0 = 50.0, 3 * 3600 - 150.0  # from 8:57:30, over 9:00
    plan = PlanBuilder(0.0, 0.0, z, 0.0)
    for k in range(1, 101):
        plan.move(30.0 * k, -12.0 * k, z, TO_DROPOFF)
    timed = plan.timed(params, field, t0, 130.0)
    end = (3000.0, -1200.0)

    def wind_now(t):
        return reference_wind(t, z, SPEEDS, DIRECTIONS, 6.0, 0.25, 10.0)

    seconds, wh = integrate_leg(model, 0.0, (0, 0), end, t0, wind_now)
    assert timed["t"][-1] - t0 == pytest.approx(seconds, abs=1e-6)
    assert timed["wh"][0] - timed["wh"][-1] == pytest.approx(wh, rel=2e-5)
    _, held = integrate_leg(model, 0.0, (0, 0), end, t0, lambda t: wind_now(t0), dt_s=0.05)
    assert abs(held - wh) > 20 * abs(timed["wh"][0] - timed["wh"][-1] - wh)


# ---------------------------------------------------------------- the dispatcher's forecast
def test_dispatcher_estimates_take_the_forecast_at_cruise_altitude_of_the_hour():
    speeds = [3.0] * 24
    speeds[12], speeds[13] = 2.0, 6.0
    scenario = scenario_with(
        f'profile = "power"\nexponent = 0.3\nhourly_speed_mps = {speeds}\nfrom_deg = 90\n'
    )
    sim = Simulation(scenario, duration_s=1200.0)
    altitude = sim.travel.cruise_altitude_m
    factor = (altitude / 10.0) ** 0.3
    assert sim.travel.wind_mps == pytest.approx((-2.0 * factor, 0.0), abs=1e-12)
    sim.step_to(900.0)  # 12:15: dispatch rounds every 30 s, the last at 900 s
    assert sim.dispatcher.travel is sim.travel
    assert sim.travel.wind_mps == pytest.approx((-3.0 * factor, 0.0), abs=1e-12)


# ---------------------------------------------------------------- gusts and depletions
def test_gusts_are_seeded_bounded_and_off_by_default():
    timed_wh = np.array([100.0, 90.0, 90.0, 70.0, 69.5])

    def flown(gust, seed=3):
        scenario = scenario_with(f"speed_mps = 3\ngust_fraction = {gust}\n")
        sim = Simulation(scenario, seed=seed, duration_s=60.0)
        sim.install_plan(
            0,
            {
                "t": np.arange(5.0) * 10,
                "xyz": np.zeros((5, 3)),
                "wh": timed_wh,
                "state": np.zeros(5, np.int64),
                "event": np.zeros(5, np.int64),
                "arg": np.full(5, -1),
            },
        )
        return sim.plan_wh[0, :5].copy()

    assert flown(0.0).tolist() == timed_wh.tolist()
    gusted = flown(0.4)
    assert flown(0.4).tolist() == gusted.tolist()  # same seed, same gusts
    assert flown(0.4, seed=4).tolist() != gusted.tolist()
    ratio = np.diff(gusted)[[0, 2, 3]] / np.diff(timed_wh)[[0, 2, 3]]
    assert np.all((ratio >= 1.0) & (ratio < 1.4)), ratio
    assert np.diff(gusted)[1] == 0.0  # no energy, no gust


def test_a_battery_run_dry_by_gusts_is_reported_with_drone_time_and_place():
    scenario = scenario_with(
        "speed_mps = 5\ngust_fraction = 0.9\n",
        **{"swap_time_s = 60\n": "swap_time_s = 60\nbattery_wh = 60\nreserve_fraction = 0.02\n"},
    )
    sim = Simulation(scenario, duration_s=1800.0)
    report = sim.run()
    events = report.battery_depletion_events
    assert report.battery_depletions == len(events) > 0
    drone, t, xyz, wh = sim.trajectory()
    for event in events:
        # The flown trajectory, read independently: the battery passes 0 there and then.
        mine = drone == event["drone"]
        ts, ps, bs = t[mine], xyz[mine], wh[mine]
        k = int(np.searchsorted(ts, event["t_s"]))
        assert bs[k - 1] >= 0.0 > bs[k]
        f = (event["t_s"] - ts[k - 1]) / (ts[k] - ts[k - 1])
        assert bs[k - 1] + f * (bs[k] - bs[k - 1]) == pytest.approx(0.0, abs=1e-6)
        place = ps[k - 1] + f * (ps[k] - ps[k - 1])
        assert place == pytest.approx([event["x_m"], event["y_m"], event["z_m"]], abs=1e-6)
    again = Simulation(scenario, duration_s=1800.0).run()
    assert again.deterministic() == report.deterministic()
    calm = Simulation(scenario.replace(wind=WindSpec(speed_mps=5.0)), duration_s=1800.0).run()
    assert calm.battery_depletions == 0  # the reserve holds without gusts


# ---------------------------------------------------------------- bad input
CSV_HEADER = "hour,speed_mps,from_deg\n"
CSV_DAY = CSV_HEADER + "".join(f"{h},3,270\n" for h in range(24))

BAD_WIND = {
    "series of the wrong length": (
        "hourly_speed_mps = [" + ", ".join(["3"] * 23) + "]\n",
        None,
        ("wind.hourly_speed_mps", "expected 24 numbers, got 23"),
    ),
    "negative speed in a series": (
        "hourly_speed_mps = [" + ", ".join(["3"] * 5 + ["-1.5"] + ["3"] * 18) + "]\n",
        None,
        ("wind.hourly_speed_mps[5]", "-1.5"),
    ),
    "negative speed": ("speed_mps = -2\n", None, ("wind.speed_mps", "-2")),
    "unknown profile": ('profile = "cubic"\n', None, ("wind.profile", "'cubic'")),
    "exponent of another profile": (
        'profile = "log"\nexponent = 0.2\n',
        None,
        ("wind.exponent", "profile = 'power'", "0.2"),
    ),
    "roughness above the reference height": (
        'profile = "log"\nroughness_m = 12\n',
        None,
        ("wind.roughness_m", "12"),
    ),
    "gusts past the bound": ("gust_fraction = 1.5\n", None, ("wind.gust_fraction", "1.5")),
    "a series beside its steady value": (
        "speed_mps = 3\nhourly_speed_mps = [" + ", ".join(["3"] * 24) + "]\n",
        None,
        ("wind.speed_mps", "hourly_speed_mps"),
    ),
    "missing csv": ('file = "nope.csv"\n', None, ("wind.file", "nope.csv", "no such file")),
    "malformed csv row": (
        'file = "w.csv"\n',
        CSV_DAY.replace("\n4,3,270\n", "\n4,fast,270\n"),
        ("wind.file", "w.csv line 6", "speed_mps", "'fast'"),
    ),
    "csv row of the wrong width": (
        'file = "w.csv"\n',
        CSV_DAY.replace("\n7,3,270\n", "\n7,3\n"),
        ("wind.file", "w.csv line 9", "expected 3 values, got 2"),
    ),
    "csv of the wrong length": (
        'file = "w.csv"\n',
        CSV_DAY.replace("\n5,3,270\n", "\n"),
        ("wind.file", "w.csv", "got 23", "hour 5 missing"),
    ),
    "csv hour out of the day": (
        'file = "w.csv"\n',
        CSV_DAY.replace("\n5,3,270\n", "\n24,3,270\n"),
        ("wind.file", "w.csv line 7", "hour", "'24'"),
    ),
    "csv negative speed": (
        'file = "w.csv"\n',
        CSV_DAY.replace("\n5,3,270\n", "\n5,-3,270\n"),
        ("wind.file", "w.csv line 7", "speed_mps", "-3"),
    ),
    "csv unknown column": (
        'file = "w.csv"\n',
        CSV_DAY.replace("hour,speed_mps,from_deg", "hour,speed_kt,from_deg"),
        ("wind.file", "w.csv line 1", "'speed_kt'"),
    ),
    "csv uneven grid": (
        'file = "w.csv"\n',
        "hour,x_m,y_m,speed_mps,from_deg\n"
        + "".join(f"{h},{x},0,3,270\n" for h in range(24) for x in (0, 100, 300)),
        ("wind.file", "x_m", "evenly spaced", "0, 100, 300"),
    ),
    "csv wind above the airspeed limit": (
        'file = "w.csv"\n',
        CSV_DAY.replace("\n9,3,270\n", "\n9,30,270\n"),
        ("wind.file", "30 m/s is not below drone.max_airspeed_mps"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_WIND))
def test_scenario_raises_when_wind_input_is_bad(capsys, tmp_path, case):
    wind, csv_text, parts = BAD_WIND[case]
    if csv_text is not None:
        (tmp_path / "w.csv").write_text(csv_text)
    path = tmp_path / "s.toml"
    path.write_text(BASE + "[wind]\n" + wind)
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, str(path), *parts)


def test_run_raises_when_wind_series_has_the_wrong_length(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(BASE + "[wind]\nhourly_from_deg = [270, 280]\n")
    code, out, err = run(capsys, "run", path)
    assert_one_line_error(code, out, err, str(path), "wind.hourly_from_deg", "got 2")
