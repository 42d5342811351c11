"""An unannounced zone under ``strategic``: it is not planned around before take-off,
switches on across traffic, and every drone whose committed plan crosses it is replanned
in flight against the reservations (a drone inside it first flies out).

Checked independently of the engine, on the recording: an all-pairs, continuous
closest-approach check (`test_separation.reference_losses`, every phase) finds no loss of
separation; a shapely check (`safety_check.zone_entries`, written from the zone's
definition) finds no flown segment inside the active zone, apart from a drone leaving the
zone it was in when the zone switched on; orders are conserved. The same zone announced
is planned around before take-off (no replan in flight), and the same run with the
replans built the normal way (not against the reservations, as before) loses
separation, so the check can fail.

The map is the tiny city written to GeoJSON with its event zone replaced by a band
between the two depots (the ``unannounced`` property read from the file).
"""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
import shapely
from dronesim.maps.features import NoFlyZone
from dronesim.maps.geojson import read_geojson, write_geojson
from dronesim.sim.engine import Simulation, build_world
from dronesim.sim.recording import Recording, write_recording
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.strategic_policy import StrategicRun
from dronesim.sim.vocabulary import ASSIGNED, CARRIED, DELIVERED, FAILED, OPEN
from safety_check import building_intrusions, zone_entries
from test_separation import reference_losses
from tiny import TINY

START_S, END_S = 510.0, 910.0  # the zone's window, seconds
DURATION_S = 800.0
BAND_M = (450.0, 250.0, 900.0, 1000.0)  # between the tiny city's two depots
_GENERATOR_KEYS = ("seed", "width_m", "height_m", "depots", "pads_per_depot", "temporary_window_s")


def _map(directory, unannounced: bool):
    city, _ = build_world(from_toml_text(TINY, "tiny.toml"))
    band = NoFlyZone(
        "fair",
        shapely.box(*BAND_M),
        buffer_m=10.0,
        kind="event",
        active_from_s=START_S,
        active_until_s=END_S,
        unannounced=unannounced,
    )
    zones = (*(zone for zone in city.zones if not zone.is_temporary), band)
    path = directory / f"band-{'unannounced' if unannounced else 'announced'}.geojson"
    write_geojson(dataclasses.replace(city, zones=zones), path, origin_lonlat=(2.35, 48.85))
    return path


def _scenario(path):
    head, _, rest = TINY.partition("[map]\n")
    for key in _GENERATOR_KEYS:
        rest = re.sub(rf"^{key} = .*\n", "", rest, count=1, flags=re.M)
    rest = rest.replace("orders_per_hour = 120", "orders_per_hour = 400")
    rest = rest.replace("drones_per_depot = 4", "drones_per_depot = 8")
    text = f'{head}[map]\ngeojson = "{path}"\n{rest}\n[deconfliction]\npolicy = "strategic"\n'
    return from_toml_text(text, "band.toml")


def _run(directory, unannounced: bool):
    scenario = _scenario(_map(directory, unannounced))
    simulation = Simulation(scenario, duration_s=DURATION_S)
    report = simulation.run()
    path = directory / "run.npz"
    write_recording(simulation, path)
    return scenario, simulation, report, Recording.load(path)


@pytest.fixture(scope="module")
def unannounced_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("unannounced"), True)


def _zone(simulation):
    return next(zone for zone in simulation.airspace.zones if zone.name == "fair")


def _flown_inside(simulation, recording):
    return zone_entries(
        recording.traj_drone, recording.traj_t, recording.traj_xyz, [_zone(simulation)]
    )


def _zone_slots(simulation):
    """The zone's reservations in the table, on a cell of its raster."""
    strategic = simulation.deconfliction.strategic
    index = simulation.airspace.zones.index(_zone(simulation))
    cells = strategic._zone_cells(index)  # noqa: SLF001
    cell = int(cells[len(cells) // 2])
    return [(lo, hi) for lo, hi, owner in strategic.table.reservations(cell) if owner >= 1 << 62]


@pytest.mark.parametrize("unannounced", [True, False])
def test_unannounced_zone_is_reserved_only_when_it_switches_on(tmp_path, unannounced):
    simulation = Simulation(_scenario(_map(tmp_path, unannounced)), duration_s=DURATION_S)
    assert _zone(simulation).unannounced == unannounced
    simulation.step_to(START_S - 1.0)
    assert _zone_slots(simulation) == ([] if unannounced else [(START_S, END_S)])
    simulation.step_to(START_S + 1.0)
    assert _zone_slots(simulation) == [(START_S, END_S)]


def test_unannounced_zone_replans_in_flight_against_the_reservations(unannounced_run):
    scenario, simulation, report, recording = unannounced_run
    sep = scenario.separation
    policy = simulation.deconfliction
    assert report.replans > 0
    assert policy.replans_planned > 0 and policy.replans_declined == {}
    assert simulation.counters.zone_escapes > 0  # a drone inside it flew out
    # Independent all-pairs check, every phase, continuous between samples.
    assert reference_losses(recording, sep.horizontal_m, sep.vertical_m) == []
    assert report.separation_losses == 0
    # Independent shapely check: nothing flown inside the active zone (but a way out).
    assert _flown_inside(simulation, recording) == []
    assert report.nofly_violations == 0
    a = simulation.airspace
    found = building_intrusions(
        recording.traj_drone, recording.traj_t, recording.traj_xyz, a.buildings,
        a.horizontal_clearance_m, a.vertical_clearance_m,
    )  # fmt: skip
    assert found == [] and report.building_intrusions == 0
    assert report.battery_depletions == 0


def test_unannounced_zone_run_conserves_orders(unannounced_run):
    _, simulation, report, _ = unannounced_run
    created = simulation.created_count()
    status = simulation.order_status[:created]
    assert report.orders_created == created
    assert np.sum(status == DELIVERED) == report.orders_delivered > 0
    assert np.sum(status == FAILED) == report.orders_failed
    assert np.sum(np.isin(status, (OPEN, ASSIGNED, CARRIED))) == report.orders_pending
    assert report.orders_delivered + report.orders_failed + report.orders_pending == created
    # Every delivery once, by one drone.
    assert np.all(np.isfinite(simulation.order_delivered_s[:created][status == DELIVERED]))


def test_unannounced_zone_run_is_deterministic(unannounced_run, tmp_path):
    _, _, report, _ = unannounced_run
    _, _, again, _ = _run(tmp_path, True)
    assert again.deterministic() == report.deterministic()


def test_announced_zone_is_planned_around_before_take_off(tmp_path):
    scenario, simulation, report, recording = _run(tmp_path, False)
    assert not _zone(simulation).unannounced
    assert report.replans == 0
    sep = scenario.separation
    assert reference_losses(recording, sep.horizontal_m, sep.vertical_m) == []
    assert _flown_inside(simulation, recording) == []


def test_replans_built_the_normal_way_lose_separation(tmp_path, monkeypatch):
    """The replans of the old engine path (not against the reservations): the same
    check finds losses, so it can fail."""
    monkeypatch.delattr(StrategicRun, "replan_in_flight")
    scenario, _, report, recording = _run(tmp_path, True)
    assert report.replans > 0
    sep = scenario.separation
    assert len(reference_losses(recording, sep.horizontal_m, sep.vertical_m)) > 0


def test_unannounced_flag_round_trips_through_geojson(tmp_path):
    path = _map(tmp_path, True)
    features = json.loads(path.read_text())["features"]
    flags = [
        f["properties"].get("unannounced")
        for f in features
        if f["properties"]["kind"] == "no_fly_zone"
    ]
    assert flags.count(True) == 1 and flags.count(None) == len(flags) - 1
    zones = {zone.name: zone.unannounced for zone in read_geojson(path).zones}
    assert zones.pop("fair") is True and not any(zones.values())
