"""F3548 operational intents exported from recordings (`sim.intents`), checked against
independent references: every exported intent parses back with uas-standards' types;
every airborne point of the recorded path lies, with a disc of half the horizontal minimum
and a band of half the vertical minimum about it, inside a volume of its flight (shapely on
the exported lon/lat, projected back); the 4D check agrees with a brute-force all-pairs
check; a strategic run's volumes do not intersect while a ``none`` run's do, and every
loss of separation of the ``none`` run (`test_separation.reference_losses`) is an
intersection of the two drones' volumes."""

from __future__ import annotations

import datetime
import json
import uuid

import numpy as np
import pytest
import shapely
from cli_checks import assert_one_line_error, run
from dronesim.maps.projection import LocalProjection
from dronesim.sim import intents
from dronesim.sim.engine import Simulation
from dronesim.sim.recording import Recording, RecordingError, write_recording
from dronesim.sim.scenario import from_toml_text
from implicitdict import ImplicitDict, StringBasedTimeDelta
from test_separation import reference_losses
from tiny import TINY
from uas_standards.astm.f3548.v21 import api as f3548
from uas_standards.interuss.automated_testing.flight_planning.v1 import api as fp

DURATION_S = 900.0
ORIGIN = (8.5417, 47.3769)
GROUND_M = 408.0
PLACED = TINY.replace('name = "tiny"', 'name = "tiny"\nstart_date = 2026-07-04', 1).replace(
    "[map]\n",
    f"[map]\norigin_lonlat = [{ORIGIN[0]}, {ORIGIN[1]}]\nground_elevation_m = {GROUND_M}\n",
    1,
)
START = datetime.datetime(2026, 7, 4, 12, 0, tzinfo=datetime.UTC)  # start_hour = 12 in TINY


def _record(policy: str, path, text: str = PLACED):
    scenario = from_toml_text(text + f'\n[deconfliction]\npolicy = "{policy}"\n', "tiny.toml")
    simulation = Simulation(scenario, duration_s=DURATION_S)
    simulation.run()
    write_recording(simulation, path)
    return scenario, Recording.load(path)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intents")
    out = {}
    for policy in ("strategic", "none"):
        scenario, recording = _record(policy, folder / f"{policy}.npz")
        document = intents.operational_intents(recording, intents.geography(recording))
        out[policy] = (scenario, recording, document, folder / f"{policy}.npz")
    return out


def test_recording_meta_carries_where_and_when(runs):
    _, recording, _, _ = runs["strategic"]
    assert recording.meta["start_utc"] == "2026-07-04T12:00:00Z"
    assert recording.meta["origin_lonlat"] == list(ORIGIN)
    assert recording.meta["ground_elevation_m"] == GROUND_M
    assert recording.start_utc == START
    assert recording.origin_lonlat == ORIGIN
    geo = intents.geography(recording)
    assert (geo.origin_lonlat, geo.start_utc, geo.ground_elevation_m) == (ORIGIN, START, GROUND_M)


def test_every_intent_parses_back_with_uas_standards_types(runs, tmp_path):
    _, recording, document, path = runs["strategic"]
    out = tmp_path / "intents.json"
    code = intents.write_json(document, out)
    assert code > 0
    loaded = json.loads(out.read_text())
    assert loaded["format"] == intents.FORMAT
    assert len(loaded["operational_intents"]) == len(loaded["flights"]) >= 10
    ids = set()
    for raw, flight in zip(loaded["operational_intents"], loaded["flights"], strict=True):
        intent = ImplicitDict.parse(raw, f3548.OperationalIntent)
        reference, details = intent.reference, intent.details
        assert reference.state == f3548.OperationalIntentState.Accepted
        assert uuid.UUID(reference.id).version == 4 and reference.id == flight["id"]
        assert uuid.UUID(reference.subscription_id).version == 4
        ids.add(reference.id)
        assert details.priority == 0 and details.off_nominal_volumes == []
        start = reference.time_start.value.datetime
        end = reference.time_end.value.datetime
        assert start < end
        assert len(details.volumes) >= 2
        for volume4 in details.volumes:
            volume = volume4.volume
            assert ("outline_polygon" in volume) != ("outline_circle" in volume)
            lower, upper = volume.altitude_lower, volume.altitude_upper
            assert lower.reference == "W84" and lower.units == "M"
            assert GROUND_M <= lower.value < upper.value <= GROUND_M + 120 + 5
            assert volume4.time_start.value.endswith("Z")
            t0, t1 = volume4.time_start.value.datetime, volume4.time_end.value.datetime
            assert start <= t0 < t1 <= end
            if "outline_polygon" in volume:
                vertices = volume.outline_polygon.vertices
                assert len(vertices) >= 3
                pairs = [(p.lng, p.lat) for p in vertices]
                assert pairs[0] != pairs[-1] and len(set(pairs)) == len(pairs)
            else:
                assert volume.outline_circle.radius.value == pytest.approx(15.0, abs=0.005)
        # The first volume is the lift-off from the ground: its lower altitude is the
        # ground's elevation; the intent starts after the scenario's start.
        assert details.volumes[0].volume.altitude_lower.value == GROUND_M
        assert start >= START
    assert len(ids) == len(loaded["flights"])


def test_assembled_objects_equal_what_the_constructors_build(runs):
    _, _, document, _ = runs["strategic"]
    volume4 = document["operational_intents"][0]["details"]["volumes"][1]
    rebuilt = ImplicitDict.parse(json.loads(json.dumps(volume4)), f3548.Volume4D)
    assert type(volume4) is f3548.Volume4D and type(volume4.volume) is f3548.Volume3D
    assert rebuilt == volume4
    point = volume4.volume.get("outline_polygon", {"vertices": [None]})["vertices"][0]
    if point is not None:
        assert point == f3548.LatLngPoint(lng=point["lng"], lat=point["lat"])


def test_fast_encoding_is_json_dumps(runs):
    for policy in ("strategic", "none"):
        document = runs[policy][2]
        text = "".join(intents.encode_intents(document))
        assert text == json.dumps(document, separators=(",", ":"))


def test_volumes_hold_the_flown_path_with_half_the_minima(runs):
    """Independent of the builder: the recorded path, sampled every second and at every
    recorded point, against the exported polygons and circles."""
    scenario, recording, document, _ = runs["none"]
    h, v = scenario.separation.horizontal_m, scenario.separation.vertical_m
    projection = LocalProjection(*ORIGIN)
    volumes = {}  # drone -> list of (t0, t1, lower, upper, shape)
    for flight, intent in zip(document["flights"], document["operational_intents"]):
        for volume4 in intent["details"]["volumes"]:
            volume = volume4["volume"]
            shape = _outline(volume, projection)
            volumes.setdefault(flight["drone"], []).append(
                (
                    datetime.datetime.fromisoformat(volume4["time_start"]["value"]),
                    datetime.datetime.fromisoformat(volume4["time_end"]["value"]),
                    volume["altitude_lower"]["value"] - GROUND_M,
                    volume["altitude_upper"]["value"] - GROUND_M,
                    shape,
                )
            )
    checked = 0
    for d in range(recording.n_drones):
        mask = recording.traj_drone == d
        t, xyz = recording.traj_t[mask], recording.traj_xyz[mask]
        times = np.union1d(t, np.arange(0.0, t[-1], 1.0))
        points = np.column_stack([np.interp(times, t, xyz[:, k]) for k in range(3)])
        for tau, (x, y, z) in zip(times, points):
            if z <= 0.0:
                continue  # on the ground: not in the airspace
            moment = START + datetime.timedelta(seconds=float(tau))
            disc = shapely.Point(x, y).buffer(h / 2 - 0.05, quad_segs=16)
            held = any(
                t0 <= moment <= t1
                and lower <= max(0.0, z - v / 2) + 1e-6
                and z + v / 2 <= upper + 1e-6
                and shape.contains(disc)
                for t0, t1, lower, upper, shape in volumes.get(d, [])
            )
            assert held, (d, tau, (x, y, z))
            checked += 1
    assert checked > 1000


def _outline(volume, projection):
    """A volume's outline (polygon or circle) read from the exported JSON alone, in local
    metres."""
    if "outline_polygon" in volume:
        lonlat = np.array([(p["lng"], p["lat"]) for p in volume["outline_polygon"]["vertices"]])
        x, y = projection.to_local(lonlat[:, 0], lonlat[:, 1])
        return shapely.Polygon(np.column_stack([x, y]))
    c = volume["outline_circle"]
    x, y = projection.to_local(np.array([c["center"]["lng"]]), np.array([c["center"]["lat"]]))
    return shapely.Point(x[0], y[0]).buffer(c["radius"]["value"], quad_segs=64)


def _brute_force(document, tolerance_m=0.01, tolerance_s=0.002):
    """All pairs of volumes of different drones that overlap in time and altitude by more
    than the tolerances and whose outlines, shrunk by half the tolerance, overlap: no
    tree, no buckets."""
    projection = LocalProjection(*document["origin_lonlat"])
    rows = []
    for flight, intent in zip(document["flights"], document["operational_intents"]):
        for volume4 in intent["details"]["volumes"]:
            volume = volume4["volume"]
            shape = _outline(volume, projection)
            rows.append(
                (
                    flight["drone"],
                    datetime.datetime.fromisoformat(volume4["time_start"]["value"]).timestamp(),
                    datetime.datetime.fromisoformat(volume4["time_end"]["value"]).timestamp(),
                    volume["altitude_lower"]["value"],
                    volume["altitude_upper"]["value"],
                    shape.buffer(-tolerance_m / 2),
                )
            )
    found = set()
    for i, a in enumerate(rows):
        for j in range(i + 1, len(rows)):
            b = rows[j]
            if a[0] == b[0]:
                continue
            if min(a[2], b[2]) - max(a[1], b[1]) <= tolerance_s:
                continue
            if min(a[4], b[4]) - max(a[3], b[3]) <= tolerance_m:
                continue
            if a[5].intersection(b[5]).area > 0:
                found.add((i, j))
    return found


def test_strategic_volumes_do_not_intersect_and_none_volumes_do(runs):
    strategic = intents.check_intents(runs["strategic"][2])
    assert strategic.volumes > 200
    none = intents.check_intents(runs["none"][2])
    assert len(none.pairs) > 0  # the check can fail
    # The same answers as a brute-force check over all pairs.
    for result, policy in ((strategic, "strategic"), (none, "none")):
        assert {tuple(p) for p in result.pairs.tolist()} == _brute_force(runs[policy][2])
    # A strategic run's volumes part once the windows are cut to what the flights need
    # (what ``export intents --check`` does): reservations are widened by a buffer of a
    # few seconds only, so drones may pass one place within a default window.
    _, recording, document, _ = runs["strategic"]
    geo = intents.geography(recording)

    def build(limits):
        volumes = intents.flight_volumes(recording, flight_limits_s=limits)
        return volumes, intents.operational_intents(recording, geo, volumes)

    volumes, document = build(None)
    assert len(intents.check_intents(document).pairs) == len(strategic.pairs)
    *_, result, _ = intents.refine_intents(
        build, volumes, document, intents.DEFAULT_MAX_VOLUME_S, 1.0
    )
    assert len(result.pairs) == 0, result.summary()
    assert "no two volumes" in result.summary()


def test_every_loss_of_separation_is_an_intersection(runs):
    scenario, recording, document, _ = runs["none"]
    sep = scenario.separation
    losses = reference_losses(recording, sep.horizontal_m, sep.vertical_m)
    assert losses  # the none run loses separation
    drone_pairs = {tuple(p) for p in intents.check_intents(document).drone_pairs.tolist()}
    for a, b, *_ in losses:
        assert (min(a, b), max(a, b)) in drone_pairs


def test_identifiers_are_stable_and_windows_tighten(runs):
    _, recording, document, _ = runs["strategic"]
    again = intents.operational_intents(recording, intents.geography(recording))
    assert "".join(intents.encode_intents(again)) == "".join(intents.encode_intents(document))
    coarse = intents.operational_intents(recording, intents.geography(recording), max_volume_s=60)
    assert [f["id"] for f in coarse["flights"]] == [f["id"] for f in document["flights"]]
    count = sum(len(i["details"]["volumes"]) for i in document["operational_intents"])
    assert sum(len(i["details"]["volumes"]) for i in coarse["operational_intents"]) < count
    # Another run of the same scenario and seed (another policy) flies other intents.
    other = {f["id"] for f in runs["none"][2]["flights"]}
    assert other and not other & {f["id"] for f in document["flights"]}


def test_interuss_flight_intent_collection(runs):
    _, _, document, _ = runs["strategic"]
    collection = json.loads(json.dumps(intents.flight_intent_collection(document, lead_s=30.0)))
    # The same from the document read back from its JSON text.
    parsed = json.loads("".join(intents.encode_intents(document)))
    assert (
        json.loads(json.dumps(intents.flight_intent_collection(parsed, lead_s=30.0))) == collection
    )
    assert list(collection) == ["intents"]
    assert len(collection["intents"]) == len(document["flights"])
    for flight, intent in zip(document["flights"], document["operational_intents"]):
        full = collection["intents"][f"d{flight['drone']}-f{flight['flight']}"]["full"]
        info = full["basic_information"]
        assert fp.BasicFlightPlanInformationUsageState(info["usage_state"]) == "Planned"
        assert fp.FunctionalState(info["uas_state"]) == "Nominal"
        assert full["astm_f3548_21"]["priority"] == 0
        assert full["additional_information"]["dronesim"]["operational_intent_id"] == flight["id"]
        volumes = intent["details"]["volumes"]
        assert len(info["area"]) == len(volumes)
        for template, volume4 in zip(info["area"], volumes):
            if "outline_polygon" in template:
                ImplicitDict.parse(template["outline_polygon"], fp.Polygon)
            else:
                ImplicitDict.parse(template["outline_circle"], fp.Circle)
            lower = ImplicitDict.parse(template["altitude_lower"], fp.Altitude)
            assert lower.value == volume4["volume"]["altitude_lower"]["value"]
            for key, field in (("start_time", "time_start"), ("end_time", "time_end")):
                offset = template[key]["offset_from"]
                assert offset["starting_from"] == {"time_during_test": "StartOfTestRun"}
                seconds = StringBasedTimeDelta(offset["offset"]).timedelta.total_seconds()
                moment = datetime.datetime.fromisoformat(volume4[field]["value"])
                assert seconds == pytest.approx((moment - START).total_seconds() + 30.0, abs=1e-3)


def test_recordings_without_the_new_fields_still_load_and_export(runs, tmp_path):
    _, recording, _, _ = runs["strategic"]
    arrays = dict(recording.arrays)
    meta = dict(recording.meta)
    for key in ("start_utc", "origin_lonlat", "ground_elevation_m"):
        del meta[key]
    arrays["meta"] = np.array(json.dumps(meta))
    old = Recording(arrays, "old.npz")
    assert old.start_utc is None and old.ground_elevation_m is None
    assert old.origin_lonlat == ORIGIN  # from the map
    geo = intents.geography(old)
    assert geo.start_utc == datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
    assert geo.ground_elevation_m == 0.0
    lean = Recording(arrays, "old.npz", read_map=False)
    assert lean.city is None and lean.origin_lonlat == ORIGIN


def test_bad_place_fields_in_meta_are_one_line_errors(runs):
    _, recording, _, _ = runs["strategic"]
    for key, value in (
        ("origin_lonlat", [500.0, 0.0]),
        ("start_utc", "yesterday"),
        ("ground_elevation_m", "high"),
    ):
        arrays = dict(recording.arrays)
        meta = dict(recording.meta, **{key: value})
        arrays["meta"] = np.array(json.dumps(meta))
        with pytest.raises(RecordingError) as caught:
            Recording(arrays, "bad.npz")
        message = str(caught.value)
        assert "\n" not in message and f"meta.{key}" in message and "bad.npz" in message


def test_cli_exports_and_checks(runs, tmp_path, capsys):
    for policy, expected in (("strategic", 0), ("none", 1)):
        path = runs[policy][3]
        out = tmp_path / f"{policy}.json"
        code, stdout, err = run(capsys, "export", "intents", path, "--out", out, "--check")
        assert code == expected, err
        assert "4D check" in stdout and out.is_file()
        parsed = json.loads(out.read_text())
        assert len(parsed["operational_intents"]) == len(runs[policy][2]["flights"])
    out = tmp_path / "collection.json"
    code, stdout, _ = run(
        capsys,
        "export",
        "intents",
        runs["strategic"][3],
        "--out",
        out,
        "--format",
        "interuss-flight-intents",
    )
    assert code == 0 and "intents" in json.loads(out.read_text())


def test_cli_bad_input_is_one_line_exit_2(runs, tmp_path, capsys):
    good = runs["strategic"][3]
    out = tmp_path / "x.json"
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    cases = [
        (
            ("export", "intents", tmp_path / "missing.npz", "--out", out),
            ("missing.npz", "no such file"),
        ),
        (("export", "intents", corrupt, "--out", out), ("corrupt.npz", "corrupt")),
        (
            ("export", "intents", good, "--out", tmp_path / "no" / "x.json"),
            ("--out", "does not exist"),
        ),
        (("export", "intents", good, "--out", out, "--max-volume-s", "0"), ("--max-volume-s", "0")),
        (("export", "intents", good, "--out", out, "--time-buffer-s", "-1"), ("--time-buffer-s",)),
        (("export", "intents", good), ("--out",)),
    ]
    for argv, parts in cases:
        assert_one_line_error(*run(capsys, *argv), *parts)
    # A recording of a map without a geographic anchor: how to give one.
    _, recording = _record("none", tmp_path / "plain.npz", TINY)
    assert recording.origin_lonlat is None
    code, stdout, err = run(capsys, "export", "intents", tmp_path / "plain.npz", "--out", out)
    assert_one_line_error(code, stdout, err, "plain.npz", "meta.origin_lonlat", "--origin LON,LAT")
    code, _, err = run(
        capsys, "export", "intents", tmp_path / "plain.npz", "--out", out, "--origin", "8.5,47.4"
    )
    assert code == 0, err


def _circle_document(distance_m, dz_m=0.0, dt_s=0.0):
    """Two one-volume intents of two drones: circles of radius 15 m (half of a 30 m
    minimum) ``distance_m`` apart east-west, bands of 10 m ``dz_m`` apart, 60 s windows
    ``dt_s`` apart."""
    projection = LocalProjection(*ORIGIN)
    lon, lat = projection.to_lonlat(np.array([0.0, distance_m]), np.array([0.0, 0.0]))
    intents_ = []
    for k in range(2):
        start = START + datetime.timedelta(seconds=k * dt_s)
        intents_.append(
            {
                "details": {
                    "volumes": [
                        {
                            "volume": {
                                "outline_circle": {
                                    "center": {"lng": float(lon[k]), "lat": float(lat[k])},
                                    "radius": {"value": 15.0, "units": "M"},
                                },
                                "altitude_lower": {"value": 450.0 + k * dz_m},
                                "altitude_upper": {"value": 460.0 + k * dz_m},
                            },
                            "time_start": {"value": start.isoformat()},
                            "time_end": {
                                "value": (start + datetime.timedelta(seconds=60)).isoformat()
                            },
                        }
                    ]
                }
            }
        )
    return {
        "origin_lonlat": list(ORIGIN),
        "flights": [{"drone": 0, "flight": 0}, {"drone": 1, "flight": 0}],
        "operational_intents": intents_,
    }


@pytest.mark.parametrize(
    ("distance_m", "dz_m", "dt_s", "intersect"),
    [
        (30.0, 0.0, 0.0, False),  # exactly the minimum apart: the circles touch
        (30.004, 0.0, 0.0, False),
        (29.9, 0.0, 0.0, True),
        (10.0, 10.0, 0.0, False),  # bands touch: 10 m apart vertically
        (10.0, 9.9, 0.0, True),
        (10.0, 0.0, 60.0, False),  # one window ends as the other starts
        (10.0, 0.0, 59.9, True),
    ],
)
def test_check_counts_touching_volumes_apart(distance_m, dz_m, dt_s, intersect):
    result = intents.check_intents(_circle_document(distance_m, dz_m, dt_s))
    assert (len(result.pairs) == 1) == intersect
    assert result.volumes == 2 and result.intents == 2


def test_a_recording_without_flights_and_a_fractional_start_hour(tmp_path):
    text = PLACED.replace("start_hour = 12", "start_hour = 9.5123")  # 09:30:44.28
    scenario = from_toml_text(text, "tiny.toml")
    simulation = Simulation(scenario, duration_s=5.0)  # nobody takes off
    simulation.run()
    write_recording(simulation, tmp_path / "short.npz")
    recording = Recording.load(tmp_path / "short.npz")
    assert recording.start_utc == datetime.datetime(
        2026, 7, 4, 9, 30, 44, 280000, tzinfo=datetime.UTC
    )
    document = intents.operational_intents(recording, intents.geography(recording))
    assert document["operational_intents"] == [] and document["flights"] == []
    assert document["start_utc"] == "2026-07-04T09:30:44.280000Z"
    assert json.loads("".join(intents.encode_intents(document))) == json.loads(json.dumps(document))
    assert len(intents.check_intents(document).pairs) == 0
    assert intents.flight_intent_collection(document) == {"intents": {}}


def test_bench_export_times_a_given_recording(runs, tmp_path, capsys):
    out = tmp_path / "bench.json"
    path = runs["strategic"][3]
    code, stdout, err = run(
        capsys, "bench", "export", "--recording", path, "--repeats", "1", "--json", out
    )
    assert code == 0, err
    result = json.loads(out.read_text())
    assert result["flights"] == len(runs["strategic"][2]["flights"])
    assert result["best_seconds"] > 0
    assert result["check"] == intents.check_intents(runs["strategic"][2]).summary()
    assert "export intents of" in stdout
    missing = tmp_path / "missing.npz"
    assert_one_line_error(*run(capsys, "bench", "export", "--recording", missing), "missing.npz")


def test_altitudes_over_an_elevation_grid_span_its_lowest_and_highest_ground(tmp_path):
    """Over uneven ground (400 to 430 m in four cells), each band runs from the flown
    height over the lowest ground to the flown height over the highest."""
    text = PLACED.replace(f"ground_elevation_m = {GROUND_M}\n", "", 1) + (
        "\n[map.ground_elevation_grid]\norigin_m = [0, 0]\ncell_size_m = 750\n"
        "rows_m = [[400, 410], [420, 430]]\n"
    )
    scenario = from_toml_text(text, "tiny.toml")
    simulation = Simulation(scenario, duration_s=300.0)
    simulation.run()
    write_recording(simulation, tmp_path / "g.npz")
    recording = Recording.load(tmp_path / "g.npz")
    assert (recording.ground_elevation_m, recording.ground_elevation_max_m) == (400.0, 430.0)
    volumes = intents.flight_volumes(recording)
    document = intents.operational_intents(recording, intents.geography(recording), volumes=volumes)
    lows, highs = [], []
    for intent in document["operational_intents"]:
        for volume in intent["details"]["volumes"]:
            lows.append(volume["volume"]["altitude_lower"]["value"])
            highs.append(volume["volume"]["altitude_upper"]["value"])
    assert len(lows) == len(volumes.z_lo_m) > 0
    assert np.all(np.array(lows) <= 400.0 + volumes.z_lo_m + 0.01)
    assert np.all(np.array(lows) >= 400.0 + volumes.z_lo_m - 0.01)
    assert np.all(np.array(highs) >= 430.0 + volumes.z_hi_m - 0.01)


def test_tightening_parts_strategic_volumes_and_keeps_real_losses(runs):
    """Windows of 60 s make a strategic run's volumes intersect (over-approximation in
    time); `refine_intents` halves the windows of the flights concerned until none do.
    The ``none`` run's losses of separation stay intersections at any window."""
    for policy, parted in (("strategic", True), ("none", False)):
        _, recording, _, _ = runs[policy]
        geo = intents.geography(recording)

        def build(limits, recording=recording, geo=geo):
            volumes = intents.flight_volumes(recording, 60.0, flight_limits_s=limits)
            return volumes, intents.operational_intents(recording, geo, volumes, max_volume_s=60.0)

        volumes, document = build(None)
        assert len(intents.check_intents(document).pairs) > 0, policy
        volumes, document, result, limits = intents.refine_intents(
            build, volumes, document, 60.0, 0.5
        )
        assert (len(result.pairs) == 0) == parted, policy
        assert limits and document["tightened_flights"]
        assert len(volumes) == sum(
            len(i["details"]["volumes"]) for i in document["operational_intents"]
        )
        # Only the flights named were cut finer: their moving volumes last at most their
        # limit, while the others keep windows longer than any limit.
        limit_of = {(d, f): s for d, f, s in document["tightened_flights"]}
        window = volumes.t1_s - volumes.t0_s
        moving = volumes.kind != intents.COLUMN
        for k in np.flatnonzero(moving).tolist():
            key = (int(volumes.drone[k]), int(volumes.flight[k]))
            if key in limit_of:
                assert window[k] <= limit_of[key] + 1e-6, (policy, key)
        loose = np.array(
            [(int(d), int(f)) not in limit_of for d, f in zip(volumes.drone, volumes.flight)]
        )
        assert window[loose & moving].max() > max(limit_of.values())
