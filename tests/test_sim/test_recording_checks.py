"""Corrupted recordings: every one is refused on load with one line naming file and field.

One small valid recording is made per module; each case edits a copy of its arrays (or its
bytes) and runs both ``dronesim replay`` and ``dronesim render`` on it: exit code 2, one
line on stderr naming the file and the field, no traceback, no frame written, no window.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np
import pytest
from dronesim.sim.cli import main
from dronesim.sim.recording import Recording, RecordingError

# Long enough, with every drone on one layer, for a loss of separation to be recorded.
DURATION_S = 600.0


@pytest.fixture(scope="module")
def valid(tmp_path_factory, tiny_scenario):
    """(path, arrays) of a small valid recording: 8 drones, 600 s, deconfliction `none`."""
    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import write_recording

    scenario = tiny_scenario.replace(
        deconfliction=dataclasses.replace(tiny_scenario.deconfliction, policy="none")
    )
    simulation = Simulation(scenario, duration_s=DURATION_S)
    simulation.run()
    path = tmp_path_factory.mktemp("recording") / "valid.npz"
    write_recording(simulation, path)
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    # The cases below need these to be non-trivial; a tiny run that changes must keep them.
    assert len(arrays["order_event_t"]) and len(arrays["state_t"]) > 8
    assert len(arrays["end_route_drone"]) and np.unique(arrays["traj_drone"]).size == 8
    assert len(arrays["loss_start_s"]) >= 1 and arrays["loss_start_s"][0] > 10.0
    return path, arrays


def _meta(**changes):
    def edit(a):
        meta = json.loads(str(a["meta"]))
        for key, value in changes.items():
            if value is _DROP:
                del meta[key]
            else:
                meta[key] = value
        a["meta"] = np.array(json.dumps(meta))

    return edit


_DROP = object()


def _set(name, value):
    def edit(a):
        a[name] = value(a) if callable(value) else value

    return edit


def _poke(name, index, value):
    def edit(a):
        array = a[name].copy()
        array[index] = value
        a[name] = array

    return edit


def _drop(*names):
    def edit(a):
        for name in names:
            del a[name]

    return edit


def _both(*edits):
    def edit(a):
        for one in edits:
            one(a)

    return edit


def _empty_trajectory(a):
    a["traj_drone"] = np.zeros(0, np.int32)
    a["traj_t"] = np.zeros(0)
    a["traj_xyz"] = np.zeros((0, 3))
    a["traj_battery_wh"] = np.zeros(0)


def _time_backwards(a):
    t = a["traj_t"].copy()
    d = a["traj_drone"]
    i = int(np.flatnonzero(d[1:] == d[:-1])[0])  # two points of one drone
    t[i], t[i + 1] = t[i + 1] + 1.0, t[i]
    a["traj_t"] = t


def _losses_unsorted(a):
    """Two loss rows, the second starting before the first."""
    for name in [k for k in a if k.startswith("loss_")]:
        a[name] = np.concatenate([a[name][:1], a[name][:1]])
    start = a["loss_start_s"].copy()
    start[1] -= 10.0
    a["loss_start_s"] = start


# (case id, edit of the arrays, field the message must name)
ARRAY_CASES = [
    ("traj_drone reversed", _set("traj_drone", lambda a: a["traj_drone"][::-1].copy()), "traj_drone"),
    ("empty trajectory", _empty_trajectory, "traj_drone"),
    ("state_code 99", _poke("state_code", 3, 99), "state_code"),
    ("state_code -1", _poke("state_code", 0, -1), "state_code"),
    ("meta not a dict", _set("meta", np.array(json.dumps([1, 2, 3]))), "meta"),
    ("meta a number", _set("meta", np.array("42")), "meta"),
    ("meta not JSON", _set("meta", np.array("{format: 1")), "meta"),
    ("meta of another format", _meta(format="dronesim-recording/0"), "meta.format"),
    ("meta without drones", _meta(drones=_DROP), "meta.drones"),
    ("meta drones 0", _meta(drones=0), "meta.drones"),
    ("meta drones a string", _meta(drones="8"), "meta.drones"),
    ("meta drones huge", _meta(drones=10**15), "end_heading_rad"),
    ("meta drones huge, no end arrays", _both(_meta(drones=10**15), _drop("end_heading_rad", "end_route_drone", "end_route_xyz")), "traj_drone"),
    ("meta drones fewer than ids", _meta(drones=4), "end_heading_rad"),
    ("meta drones fewer, no end arrays", _both(_meta(drones=4), _drop("end_heading_rad", "end_route_drone", "end_route_xyz")), "traj_drone"),
    ("meta recorded_until_s NaN", _meta(recorded_until_s=float("nan")), "meta.recorded_until_s"),
    ("meta start_hour missing", _meta(start_hour=_DROP), "meta.start_hour"),
    ("meta state_names not a list", _meta(state_names="idle"), "meta.state_names"),
    ("meta without a charging state", _meta(state_names=["idle", "flying"]), "meta.state_names"),
    ("meta state_names too short", _meta(state_names=["charging", "waiting for pad"]), "state_code"),
    ("meta reasons not a list", _meta(reasons=None), "meta.reasons"),
    ("meta drone_model not a dict", _meta(drone_model=[130]), "meta.drone_model"),
    ("meta battery 0 Wh", _meta(drone_model={"battery_wh": 0}), "meta.drone_model.battery_wh"),
    ("meta no depots", _meta(depots=[]), "meta.depots"),
    ("meta depot without x", _meta(depots=[{"name": "a", "y_m": 1.0, "pads": 2}]), "meta.depots[0].x_m"),
    ("meta scenario not a string", _meta(scenario=None), "meta.scenario"),
    ("all positions NaN", _set("traj_xyz", lambda a: np.full_like(a["traj_xyz"], np.nan)), "traj_xyz"),
    ("one position infinite", _poke("traj_xyz", (5, 2), np.inf), "traj_xyz"),
    ("one position 1e300 m away", _poke("traj_xyz", (5, 0), 1e300), "traj_xyz"),
    ("a pickup 1e9 m away", _poke("order_pickup_xy", (0, 1), -1e9), "order_pickup_xy"),
    ("a depot with 1e20 pads", _meta(depots=[{"name": "a", "x_m": 0.0, "y_m": 0.0, "pads": 10**20}]), "meta.depots[0].pads"),
    ("a depot 1e9 m away", _meta(depots=[{"name": "a", "x_m": 1e9, "y_m": 0.0, "pads": 2}]), "meta.depots[0].x_m"),
    ("a time NaN", _poke("traj_t", 4, np.nan), "traj_t"),
    ("battery NaN", _poke("traj_battery_wh", 0, np.nan), "traj_battery_wh"),
    ("drone id out of range", _poke("traj_drone", -1, 8), "traj_drone"),
    ("drone id negative", _poke("traj_drone", 0, -1), "traj_drone"),
    ("a drone without points", _set("traj_drone", lambda a: np.where(a["traj_drone"] == 3, 2, a["traj_drone"]).astype(np.int32)), "traj_drone"),
    ("times backwards within a drone", _time_backwards, "traj_t"),
    ("missing traj_t", _drop("traj_t"), "traj_t"),
    ("missing meta", _drop("meta"), "meta"),
    ("missing airspace", _drop("airspace_geojson"), "airspace_geojson"),
    ("missing order events", _drop("order_event_kind"), "order_event_kind"),
    ("end route without its points", _drop("end_route_xyz"), "end_route_xyz"),
    ("traj_drone as floats", _set("traj_drone", lambda a: a["traj_drone"].astype(np.float64)), "traj_drone"),
    ("traj_t as strings", _set("traj_t", lambda a: a["traj_t"].astype(str)), "traj_t"),
    ("traj_xyz as ints", _set("traj_xyz", lambda a: a["traj_xyz"].astype(np.int64)), "traj_xyz"),
    ("order_status as bools", _set("order_status", lambda a: a["order_status"] > 0), "order_status"),
    ("traj_xyz with 2 columns", _set("traj_xyz", lambda a: a["traj_xyz"][:, :2].copy()), "traj_xyz"),
    ("traj_t 2-D", _set("traj_t", lambda a: a["traj_t"][:, None].copy()), "traj_t"),
    ("traj_t one row short", _set("traj_t", lambda a: a["traj_t"][:-1].copy()), "traj_t"),
    ("order_weight_kg one row long", _set("order_weight_kg", lambda a: np.append(a["order_weight_kg"], 1.0)), "order_weight_kg"),
    ("end_heading_rad per point", _set("end_heading_rad", lambda a: np.zeros(len(a["traj_t"]))), "end_heading_rad"),
    ("order_status 42", _poke("order_status", 0, 42), "order_status"),
    ("order_drone 99", _poke("order_drone", 0, 99), "order_drone"),
    ("order_reason past the reasons", _poke("order_reason", 0, 5), "order_reason"),
    ("order weight negative", _poke("order_weight_kg", 0, -1.0), "order_weight_kg"),
    ("order created at inf", _poke("order_created_s", 0, np.inf), "order_created_s"),
    ("delivered at -inf", _poke("order_delivered_s", 0, -np.inf), "order_delivered_s"),
    ("event of an unknown kind", _poke("order_event_kind", 0, 7), "order_event_kind"),
    ("event of a missing order", _poke("order_event_order", 0, 10_000), "order_event_order"),
    ("event drone out of range", _poke("order_event_drone", 0, 8), "order_event_drone"),
    ("pickup without a drone", _set("order_event_drone", lambda a: np.where(a["order_event_kind"] == 1, -1, a["order_event_drone"]).astype(np.int32)), "order_event_drone"),
    ("state of drone 8", _poke("state_drone", 0, 8), "state_drone"),
    ("separation times unsorted", _set("separation_t", lambda a: a["separation_t"][::-1].copy()), "separation_t"),
    ("separation losses negative", _poke("separation_losses", 1, -3), "separation_losses"),
    ("end route unsorted", _set("end_route_drone", lambda a: a["end_route_drone"][::-1].copy()), "end_route_drone"),
    ("end route drone 8", _poke("end_route_drone", -1, 8), "end_route_drone"),
    ("loss drone 8", _poke("loss_drone", (0, 1), 8), "loss_drone"),
    ("loss drone negative", _poke("loss_drone", (0, 0), -1), "loss_drone"),
    ("loss pair reversed", _set("loss_drone", lambda a: a["loss_drone"][:, ::-1].copy()), "loss_drone"),
    ("loss drones as floats", _set("loss_drone", lambda a: a["loss_drone"].astype(float)), "loss_drone"),
    ("loss drone one column", _set("loss_drone", lambda a: a["loss_drone"][:, :1].copy()), "loss_drone"),
    ("loss start negative", _poke("loss_start_s", 0, -5.0), "loss_start_s"),
    ("loss start NaN", _poke("loss_start_s", 0, np.nan), "loss_start_s"),
    ("loss end before start", _poke("loss_end_s", 0, 1.0), "loss_end_s"),
    ("loss end after the recording", _poke("loss_end_s", 0, 1e6), "loss_end_s"),
    ("loss end one row short", _set("loss_end_s", lambda a: a["loss_end_s"][:-1].copy()), "loss_end_s"),
    ("loss starts unsorted", _losses_unsorted, "loss_start_s"),
    ("loss closest distance negative", _poke("loss_closest_m", (0, 1), -2.0), "loss_closest_m"),
    ("loss closest infinite", _poke("loss_closest_m", (0, 0), np.inf), "loss_closest_m"),
    ("loss position 1e9 m away", _poke("loss_xyz", (0, 2), 1e9), "loss_xyz"),
    ("loss position 2 columns", _set("loss_xyz", lambda a: a["loss_xyz"][:, :2].copy()), "loss_xyz"),
    ("loss phase 3", _poke("loss_phase", 0, 3), "loss_phase"),
    ("loss phase -1", _poke("loss_phase", 0, -1), "loss_phase"),
    ("loss without its phase", _drop("loss_phase"), "loss_phase"),
    ("airspace not JSON", _set("airspace_geojson", np.array("{")), "airspace_geojson"),
    ("airspace a list", _set("airspace_geojson", np.array("[]")), "airspace_geojson"),
    ("airspace with a broken feature", _set("airspace_geojson", np.array(json.dumps({"type": "FeatureCollection", "properties": {"frame": "local"}, "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": "x"}, "properties": {"kind": "building"}}]}))), "airspace_geojson"),
    ("airspace deeply nested", _set("airspace_geojson", np.array("[" * 100_000 + "]" * 100_000)), "airspace_geojson"),
]  # fmt: skip


def _not_a_zip(path, arrays):
    path.write_bytes(b"this is not a zip file\n")


def _truncated(path, arrays):
    np.savez_compressed(path, **arrays)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty_file(path, arrays):
    path.write_bytes(b"")


def _single_array(path, arrays):
    with path.open("wb") as stream:
        np.save(stream, arrays["traj_t"])


def _pickled(path, arrays):
    np.savez(path, **{**arrays, "meta": np.array([{"format": 1}], dtype=object)})


def _flipped_byte(path, arrays):
    np.savez_compressed(path, **arrays)
    data = bytearray(path.read_bytes())
    middle = len(data) // 3  # inside the compressed airspace or trajectory
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))


def _huge_header(path, arrays):
    """A member whose header claims 10**12 floats over a few bytes of data."""
    np.savez(path, **arrays)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    members["traj_t.npy"] = header.getvalue() + bytes(64)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


FILE_CASES = [
    ("not a zip", _not_a_zip, "corrupt recording (not an .npz/zip file)"),
    ("truncated zip", _truncated, "corrupt recording"),
    ("empty file", _empty_file, "corrupt recording (not an .npz/zip file)"),
    ("a single .npy array", _single_array, "not a dronesim recording"),
    ("a pickled meta", _pickled, "corrupt recording"),
    ("bytes zeroed in the middle", _flipped_byte, "recording"),
    ("a header declaring 8 TB", _huge_header, "traj_t: corrupt recording (the header declares"),
]


def _run_both(path, tmp_path, monkeypatch, capsys) -> list[str]:
    """Run replay and render on ``path``; returns their stderr (each asserted one line, rc 2)."""
    import dronesim.viz.app

    def no_window(*args, **kwargs):
        raise AssertionError(f"{path.name}: replay reached the window")

    monkeypatch.setattr(dronesim.viz.app, "run_replay", no_window)
    frame = tmp_path / "frame.png"
    errors = []
    for argv in (
        ["replay", str(path)],
        ["render", str(path), "--at", "10", "--out", str(frame), "--size", "320x200"],
    ):
        capsys.readouterr()
        status = main(argv)
        captured = capsys.readouterr()
        assert status == 2, (argv[0], captured)
        assert captured.err.count("\n") == 1 and captured.err.startswith("dronesim: error: "), (
            argv[0],
            captured.err,
        )
        assert "Traceback" not in captured.err
        assert str(path) in captured.err, captured.err
        errors.append(captured.err)
    assert not frame.exists()
    return errors


@pytest.mark.parametrize(
    ("edit", "field"),
    [pytest.param(edit, field, id=name) for name, edit, field in ARRAY_CASES],
)
def test_replay_and_render_refuse_a_recording_when_its_arrays_are_corrupt(
    valid, tmp_path, monkeypatch, capsys, edit, field
):
    _, arrays = valid
    arrays = dict(arrays)
    edit(arrays)
    path = tmp_path / "corrupt.npz"
    np.savez(path, **arrays)
    for error in _run_both(path, tmp_path, monkeypatch, capsys):
        assert f": {field}" in error or f"missing {field}" in error, error


@pytest.mark.parametrize(
    ("write", "message"),
    [pytest.param(write, message, id=name) for name, write, message in FILE_CASES],
)
def test_replay_and_render_refuse_a_recording_when_the_file_is_not_one(
    valid, tmp_path, monkeypatch, capsys, write, message
):
    path = tmp_path / "corrupt.npz"
    write(path, valid[1])
    for error in _run_both(path, tmp_path, monkeypatch, capsys):
        assert message in error, error


def test_recording_raises_when_given_corrupt_arrays_in_memory(valid):
    arrays = dict(valid[1])
    arrays["state_code"] = arrays["state_code"].copy()
    arrays["state_code"][3] = 99
    with pytest.raises(
        RecordingError, match=r"^<memory>: state_code: 99 at row 3 is not a valid state code"
    ):
        Recording(arrays)


def test_valid_recordings_load_with_other_integer_widths(valid, tmp_path):
    """The checks are on dtype kinds: a file written with int64 ids and codes loads."""
    path, arrays = valid
    reference = Recording.load(path).snapshot(200.0)
    widened = {k: v.astype(np.int64) if v.dtype.kind == "i" else v for k, v in arrays.items()}
    np.savez(tmp_path / "wide.npz", **widened)
    snapshot = Recording.load(tmp_path / "wide.npz").snapshot(200.0)
    assert np.array_equal(snapshot.position_m, reference.position_m)
    assert np.array_equal(snapshot.state, reference.state)


def test_a_valid_recording_reaches_the_window_and_renders(valid, tmp_path, monkeypatch, capsys):
    import dronesim.viz.app

    path, _ = valid
    opened = []
    monkeypatch.setattr(
        dronesim.viz.app, "run_replay", lambda recording, speed: opened.append(recording)
    )
    assert main(["replay", str(path)]) == 0 and len(opened) == 1
    assert opened[0].n_drones == 8
    out = tmp_path / "frame.png"
    assert main(["render", str(path), "--at", "10", "--out", str(out), "--size", "320x200"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_recording_without_end_routes_still_loads(valid, tmp_path):
    """Files written before the end-of-recording arrays existed lack all three."""
    arrays = {k: v for k, v in valid[1].items() if not k.startswith("end_")}
    np.savez(tmp_path / "old.npz", **arrays)
    assert Recording.load(tmp_path / "old.npz").snapshot(DURATION_S).t_s == DURATION_S


def test_a_recording_without_losses_still_loads(valid, tmp_path):
    """Files written before the loss_* arrays existed (same format version) lack all six:
    they load, and show no pair in loss."""
    arrays = {k: v for k, v in valid[1].items() if not k.startswith("loss_")}
    np.savez(tmp_path / "old.npz", **arrays)
    recording = Recording.load(tmp_path / "old.npz")
    during = 0.5 * (valid[1]["loss_start_s"][0] + valid[1]["loss_end_s"][0])
    assert recording.snapshot(during).loss_pairs.shape == (0, 2)
    assert recording.next_loss_s(0.0) is None
    assert Recording.load(valid[0]).snapshot(during).loss_pairs.tolist() == [
        valid[1]["loss_drone"][0].tolist()
    ]
