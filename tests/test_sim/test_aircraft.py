"""Aircraft types: ``dronesim drones`` against the published figures and against an
independent range computation (the power formulas written out here and integrated in
small time steps), the lift-and-cruise power, and types named in scenarios.

Mixed fleets: a tiny city where heavy parcels fit only one type and far drop-offs only the
other; the recording is checked against the types' limits and an independent
straight-line energy bound (no trip to a type that cannot carry or reach it), orders are
conserved, strategic deconfliction keeps separation across types, bad fleet lists give
one-line errors."""

import json
import math

import numpy as np
import pytest
from cli_checks import assert_one_line_error, run
from dronesim.planners import _fleet_kernels
from dronesim.planners.aircraft import AIRCRAFT_TYPES, HANDOVER_HEIGHT_M
from dronesim.sim.scenario import from_toml_text
from tiny import TINY

G = 9.80665


def power_w(m, payload_kg, airspeed, climb_mps=0.0):
    """Electrical power, written from the formulas (not the package's kernel)."""
    weight = (m.empty_mass_kg + payload_kg) * G
    if m.kind == "lift-and-cruise" and airspeed >= m.wing_speed_mps:
        return weight * airspeed / m.lift_to_drag / m.cruise_efficiency + m.fixed_power_w
    v_h = math.sqrt(weight / (2 * m.air_density_kgpm3 * m.rotor_disk_area_m2))
    v_i = math.sqrt((math.sqrt(airspeed**4 + 4 * v_h**4) - airspeed**2) / 2)
    drag = 0.5 * m.air_density_kgpm3 * m.drag_area_m2 * airspeed**3
    return (weight * v_i + drag + weight * climb_mps) / m.efficiency + m.fixed_power_w


def reference_range_m(m, payload_kg, altitude_m, dt=0.01):
    """Climb, cruise until only the descent and the reserve are left, descend: stepped."""
    energy_j = (m.battery_wh - m.reserve_fraction * m.battery_wh) * 3600
    z = 0.0
    while z < altitude_m:  # climb
        step = min(dt, (altitude_m - z) / m.climb_rate_mps)
        energy_j -= power_w(m, payload_kg, 0.0, m.climb_rate_mps) * step
        z += m.climb_rate_mps * step
    descent_j = power_w(m, payload_kg, 0.0) * altitude_m / m.descent_rate_mps
    cruise_w = power_w(m, payload_kg, m.cruise_speed_mps)
    x = 0.0
    while energy_j - descent_j > cruise_w * dt:
        energy_j -= cruise_w * dt
        x += m.cruise_speed_mps * dt
    return x + (energy_j - descent_j) / cruise_w * m.cruise_speed_mps


def test_drones_table_is_within_15_percent_of_published_figures(capsys):
    code, out, err = run(capsys, "drones", "--json")
    assert code == 0, err
    table = json.loads(out)
    assert table["payload_kg"] == 0.5
    rows = {row["type"]: row for row in table["types"]}
    assert set(rows) >= {"m100-class", "manna-class", "wing-class"}
    assert rows["wing-class"]["kind"] == "lift-and-cruise"
    for row in rows.values():
        for key in ("cruise", "range"):
            ratio = row[f"{key}_ratio"]
            assert 0.85 <= ratio <= 1.15, (row["type"], key, ratio)
        assert row["cruise_ratio"] == pytest.approx(
            row["cruise_speed_mps"] / row["published_cruise_speed_mps"]
        )
        assert row["range_ratio"] == pytest.approx(row["range_km"] / row["published_range_km"])
        assert row["sources"]
    # The M100's mass budget: payload limit = published MTOW 3.6 kg less the 3.1 kg aircraft.
    m100 = AIRCRAFT_TYPES["m100-class"].model
    assert m100.empty_mass_kg + m100.max_payload_kg == pytest.approx(3.6)


def test_drones_text_table_parses_and_matches_json(capsys):
    code, out, err = run(capsys, "drones")
    assert code == 0, err
    _, json_out, _ = run(capsys, "drones", "--json")
    rows = {row["type"]: row for row in json.loads(json_out)["types"]}
    lines = [line for line in out.splitlines() if line.split() and line.split()[0] in rows]
    assert len(lines) == len(rows)
    for line in lines:
        fields = line.replace("(", " ").replace(")", " ").split()
        name, kind, cruise, cruise_pub, cruise_ratio = fields[:5]
        payload, payload_pub, range_km, range_pub, range_ratio = fields[5:10]
        row = rows[name]
        assert kind == row["kind"]
        assert float(cruise) == pytest.approx(row["cruise_speed_mps"], abs=0.05)
        assert float(range_km) == pytest.approx(row["range_km"], abs=0.05)
        assert float(payload) == pytest.approx(row["max_payload_kg"], abs=0.05)
        for ratio in (float(cruise_ratio), float(range_ratio)):
            assert 0.85 <= ratio <= 1.15, line


@pytest.mark.parametrize("payload_kg", [0.0, 0.5])
def test_printed_range_matches_an_independent_integration(capsys, payload_kg):
    code, out, err = run(capsys, "drones", "--json", "--payload-kg", payload_kg)
    assert code == 0, err
    for row in json.loads(out)["types"]:
        model = AIRCRAFT_TYPES[row["type"]].model
        expected_km = reference_range_m(model, payload_kg, 50.0) / 1000
        assert row["range_km"] == pytest.approx(expected_km, rel=1e-3), row["type"]


def test_lift_and_cruise_power_is_wing_borne_above_wing_speed():
    model = AIRCRAFT_TYPES["wing-class"].model
    weight = (model.empty_mass_kg + 1.0) * G
    cruise = model.cruise_speed_mps
    expected = weight * cruise / (model.lift_to_drag * model.cruise_efficiency)
    assert model.level_power_w(1.0, cruise) == pytest.approx(expected + model.fixed_power_w)
    # Below the wing-borne speed the rotors carry it: the multirotor formula.
    slow = 0.5 * model.wing_speed_mps
    assert model.level_power_w(1.0, slow) == pytest.approx(power_w(model, 1.0, slow))
    assert model.hover_power_w(1.0) == pytest.approx(power_w(model, 1.0, 0.0))
    # Wing-borne cruise costs far less per km than the same aircraft rotor-borne.
    assert model.level_power_w(1.0, cruise) < 0.5 * power_w(
        model.__class__(**{**model.to_dict(), "kind": "multirotor"}), 1.0, cruise
    )


def test_handover_height_is_the_fleet_kernels():
    assert HANDOVER_HEIGHT_M == _fleet_kernels.HANDOVER_HEIGHT_M


def test_scenario_names_a_type_with_overrides():
    text = TINY.replace("[drone]\n", '[drone]\ntype = "wing-class"\nbattery_wh = 150\n')
    scenario = from_toml_text(text, "t.toml")
    wing = AIRCRAFT_TYPES["wing-class"].model
    assert scenario.drone.name == "wing-class"
    assert scenario.drone.kind == "lift-and-cruise"
    assert scenario.drone.battery_wh == 150
    assert scenario.drone.lift_to_drag == wing.lift_to_drag
    assert scenario.drone.swap_time_s == 60  # TINY's own override


@pytest.mark.parametrize(
    ("edit", "parts"),
    [
        ('type = "concorde"', ("drone.type", "unknown aircraft type 'concorde'", "wing-class")),
        ('type = "wing-class"\nlift_to_drag = 0', ("drone.lift_to_drag", "must be > 0")),
        ('kind = "balloon"', ("drone.kind", "'balloon'")),
        ('type = "m100-class"', ("demand.weight_max_kg", "1 kg exceeds drone.max_payload_kg")),
    ],
)
def test_bad_aircraft_type_is_one_line_exit_2(capsys, tmp_path, edit, parts):
    path = tmp_path / "s.toml"
    path.write_text(TINY.replace("[drone]\n", f"[drone]\n{edit}\n"))
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, str(path), *parts)


def test_drones_refuses_a_negative_payload(capsys):
    code, out, err = run(capsys, "drones", "--payload-kg", "-1")
    assert_one_line_error(code, out, err, "--payload-kg", "-1")


# ----------------------------------------------------------------------------- mixed fleets

MIXED = TINY.replace("[fleet]\ndrones_per_depot = 4\n", "").replace(
    "[drone]\ncharge_power_w = 0\nswap_time_s = 60\n",
    """
[[drone]]                 # carries up to 1 kg, but only a short way
type = "m100-class"
name = "lifter"
max_payload_kg = 1.0
battery_wh = 45
drones_per_depot = 3

[[drone]]                 # flies far, but only light parcels
type = "wing-class"
name = "runner"
max_payload_kg = 0.5
drones_per_depot = [2, 3]

[deconfliction]           # one low cruise layer: the horizontal distance decides the reach
policy = "none"
cruise_layer = 0
""",
)


def test_mixed_fleet_scenario_reads_types_and_counts():
    scenario = from_toml_text(MIXED, "mixed.toml")
    names = [entry.model.name for entry in scenario.fleet.types]
    assert names == ["lifter", "runner"]
    assert [entry.drones_per_depot for entry in scenario.fleet.types] == [(3,), (2, 3)]
    assert scenario.fleet.types[1].model.kind == "lift-and-cruise"


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import Recording, write_recording

    simulation = Simulation(from_toml_text(MIXED, "mixed.toml"))
    report = simulation.run()
    path = tmp_path_factory.mktemp("mixed") / "mixed.npz"
    write_recording(simulation, path)
    return simulation, report, Recording.load(path)


def test_mixed_fleet_assigns_no_trip_a_type_cannot_carry_or_reach(mixed_run):
    simulation, report, recording = mixed_run
    types = {entry.model.name: entry.model for entry in simulation.scenario.fleet.types}
    meta = recording.meta
    drone_type = [meta["drone_types"][k]["name"] for k in meta["drone_type"]]
    assert drone_type.count("lifter") == 6 and drone_type.count("runner") == 5
    # The homes: lifters 3 + 3, runners 2 + 3, as the scenario says.
    weight = recording.arrays["order_weight_kg"]
    drone_of = recording.arrays["order_drone"]
    served = np.flatnonzero(drone_of >= 0)
    assert len(served) > 20
    depots = recording.depots_xy
    dropoff = recording.arrays["order_dropoff_xy"]
    pickup = recording.arrays["order_pickup_xy"]
    heavy_by_lifter = far_by_runner = 0
    lifter = types["lifter"]
    # Independent reach: a straight-line out-and-back from the pickup to the drop-off and
    # to the nearest depot, at the lowest cruise layer, by the formulas written out here.
    # Any routed trip is at least this long, so a lifter beyond it could not make it.
    lowest = simulation.airspace.layers_m[0]
    for order in served:
        model = types[drone_type[drone_of[order]]]
        assert weight[order] <= model.max_payload_kg + 1e-9, (order, model.name, weight[order])
        out_m = float(np.hypot(*(dropoff[order] - pickup[order])))
        home_m = float(np.hypot(*(depots - dropoff[order]).T).min())
        if model.name == "lifter":
            need_wh = straight_trip_wh(model, weight[order], out_m, home_m, lowest)
            assert need_wh <= model.battery_wh - model.reserve_wh + 1e-6, (order, need_wh)
            heavy_by_lifter += weight[order] > 0.5
        else:
            far_by_runner += straight_trip_wh(
                lifter, min(weight[order], 1.0), out_m, home_m, lowest
            ) > (lifter.battery_wh - lifter.reserve_wh)
    # Both kinds of order that only one type can fly were flown, by that type.
    assert heavy_by_lifter > 0 and far_by_runner > 0, (heavy_by_lifter, far_by_runner)
    # Every flight lands with its own type's reserve: the recorded battery never drops below it.
    traj_drone = recording.arrays["traj_drone"]
    traj_wh = recording.arrays["traj_battery_wh"]
    for d, name in enumerate(drone_type):
        wh = traj_wh[traj_drone == d]
        if len(wh):
            assert wh.min() >= types[name].reserve_wh - 1e-6, (d, name, wh.min())
            assert wh.max() <= types[name].battery_wh + 1e-6


def test_mixed_fleet_conserves_orders(mixed_run):
    simulation, report, recording = mixed_run
    summary = report.to_dict()
    assert summary["orders_created"] == (
        summary["orders_delivered"] + summary["orders_failed"] + summary["orders_pending"]
    )
    names = recording.meta["order_status_names"]
    status = recording.arrays["order_status"]
    assert np.count_nonzero(status == names.index("delivered")) == summary["orders_delivered"]
    assert np.count_nonzero(status == names.index("failed")) == summary["orders_failed"]
    # Every delivered order was carried by a drone of a type that could lift it.
    limit = np.array([entry.model.max_payload_kg for entry in simulation.scenario.aircraft])
    delivered = np.flatnonzero(status == names.index("delivered"))
    carrier = recording.arrays["order_drone"][delivered]
    assert (carrier >= 0).all()
    kinds = np.asarray(recording.meta["drone_type"])[carrier]
    assert (recording.arrays["order_weight_kg"][delivered] <= limit[kinds] + 1e-9).all()


def straight_trip_wh(model, payload_kg, out_m, home_m, cruise_m):
    """Energy of a straight trip from the ground: climb, cruise out loaded, descend to the
    hand-over height, hover the service time, climb, cruise home empty, land (calm air)."""
    low = cruise_m - HANDOVER_HEIGHT_M

    def vertical_j(payload, dz):
        if dz > 0:
            return power_w(model, payload, 0.0, model.climb_rate_mps) * dz / model.climb_rate_mps
        return power_w(model, payload, 0.0) * -dz / model.descent_rate_mps

    def cruise_j(payload, distance):
        speed = model.cruise_speed_mps
        return power_w(model, payload, speed) * distance / speed

    joules = (
        vertical_j(payload_kg, cruise_m)
        + cruise_j(payload_kg, out_m)
        + vertical_j(payload_kg, -low)
        + power_w(model, payload_kg, 0.0) * model.service_time_s
        + vertical_j(0.0, low)
        + cruise_j(0.0, home_m)
        + vertical_j(0.0, -cruise_m)
    )
    return joules / 3600


@pytest.mark.parametrize(
    ("edit", "parts"),
    [
        (
            ('type = "wing-class"', 'type = "glider"'),
            ("drone[1].type", "unknown aircraft type 'glider'"),
        ),
        (
            ("drones_per_depot = 3", "drones_per_depot = -1"),
            ("drone[0].drones_per_depot", "must be >= 0", "-1"),
        ),
        (
            ("drones_per_depot = [2, 3]", "drones_per_depot = [2, 3, 1]"),
            ("drone[1].drones_per_depot", "one per depot (2)", "3"),
        ),
        (
            ("drones_per_depot = [2, 3]", "drones_per_depot = [2, -3]"),
            ("drone[1].drones_per_depot[1]", "must be >= 0"),
        ),
        (
            ("[map]", "[fleet]\ndrones_per_depot = 2\n\n[map]"),
            ("fleet.drones_per_depot", "drones_per_depot"),
        ),
        (('name = "runner"', 'name = "lifter"'), ("drone[1].name", "'lifter'")),
    ],
)
def test_bad_mixed_fleet_is_one_line_exit_2(capsys, tmp_path, edit, parts):
    old, new = edit
    assert old in MIXED
    path = tmp_path / "mixed.toml"
    path.write_text(MIXED.replace(old, new, 1))
    code, out, err = run(capsys, "check", path)
    assert_one_line_error(code, out, err, str(path), *parts)


@pytest.mark.parametrize(
    ("drone_type", "message"),
    [
        (lambda types: types[:-1], "one type per drone"),
        (lambda types: [7] * len(types), "type indices into meta.drone_types"),
    ],
)
def test_recording_refuses_bad_drone_types(mixed_run, drone_type, message):
    from dronesim.sim.recording import Recording, RecordingError

    _, _, recording = mixed_run
    meta = dict(recording.meta)
    meta["drone_type"] = drone_type(list(meta["drone_type"]))
    arrays = {**recording.arrays, "meta": np.array(json.dumps(meta))}
    with pytest.raises(RecordingError, match="meta.drone_type") as error:
        Recording(arrays, "bad.npz")
    assert message in str(error.value)


def test_recording_battery_fraction_uses_each_drones_capacity(mixed_run):
    simulation, _, recording = mixed_run
    capacity = np.array([m.battery_wh for m in simulation.models])[simulation.drone_type]
    assert np.array_equal(recording.capacity_wh, capacity)
    # A runner in flight with more energy than a lifter's whole battery: its fraction is
    # its own (clipped to 1 if read against the first type's capacity).
    drone, t, wh = recording.traj_drone, recording.traj_t, recording.traj_wh
    runner = capacity[drone] > 100
    inner = np.flatnonzero(
        runner[1:-1]
        & (wh[1:-1] > 60)
        & (wh[1:-1] < 0.9 * capacity[drone[1:-1]])
        & (drone[:-2] == drone[1:-1])
        & (drone[2:] == drone[1:-1])
        & (t[:-2] < t[1:-1])
        & (t[1:-1] < t[2:])
    )
    assert len(inner)
    i = inner[0] + 1
    snapshot = recording.snapshot(float(t[i]))
    assert snapshot.battery_fraction[drone[i]] == pytest.approx(wh[i] / capacity[drone[i]])
    assert snapshot.battery_fraction[drone[i]] < 0.9


def test_check_names_the_drones_of_each_type(capsys, tmp_path):
    path = tmp_path / "mixed.toml"
    path.write_text(MIXED)
    code, out, err = run(capsys, "check", path)
    assert code == 0, err
    assert "11 drones (6 lifter, 5 runner) at 2 depots" in out


def test_mixed_fleet_with_strategic_deconfliction_keeps_separation(tmp_path):
    """One strategic planner per type, one shared reservation table: an all-pairs,
    continuous closest-approach check of the recording (`test_separation`) finds no loss
    of separation between drones of either type, and the types' limits still hold."""
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import Recording, write_recording
    from test_separation import reference_losses

    # Strategic plans cruise on the sector layers (up to 110 m): lifters with more battery.
    text = MIXED.replace('policy = "none"', 'policy = "strategic"')
    scenario = from_toml_text(text.replace("battery_wh = 45", "battery_wh = 100"), "m.toml")
    simulation = Simulation(scenario, duration_s=1500.0)
    report = simulation.run()
    path = tmp_path / "mixed-strategic.npz"
    write_recording(simulation, path)
    recording = Recording.load(path)
    sep = scenario.separation
    assert reference_losses(recording, sep.horizontal_m, sep.vertical_m) == []
    assert report.separation_losses == 0
    kinds = np.asarray(recording.meta["drone_type"])
    drone_of = recording.arrays["order_drone"]
    served = drone_of >= 0
    assert set(kinds[drone_of[served]].tolist()) == {0, 1}  # both types flew
    limit = np.array([entry.model.max_payload_kg for entry in scenario.aircraft])
    weight = recording.arrays["order_weight_kg"]
    assert (weight[served] <= limit[kinds[drone_of[served]]] + 1e-9).all()
    for d, kind in enumerate(kinds):
        wh = recording.traj_wh[recording.traj_drone == d]
        assert wh.min() >= scenario.aircraft[kind].model.reserve_wh - 1e-6
