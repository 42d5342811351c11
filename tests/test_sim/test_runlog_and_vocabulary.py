"""The shared vocabulary, the run log's public API, and the recording's codes."""

import json

import numpy as np
import pytest
from dronesim.sim import vocabulary as V
from dronesim.sim.recording import FORMAT, Recording, RecordingError, write_recording


def test_every_event_code_means_one_thing():
    codes = [getattr(V, name) for name in dir(V) if name.startswith("EV_")]
    assert len(codes) == len(set(codes))
    assert V.EV_LANDED != V.EV_RETURNED
    assert set(V.EVENT_NAMES) == set(codes)
    assert set(V.WAYPOINT_EVENTS) | set(V.ORDER_LOG_KINDS) == set(codes)
    # The stepping kernel treats 0 as "no event" at a waypoint.
    assert V.EV_NONE == 0 and V.EV_NONE not in V.ORDER_LOG_KINDS


def test_states_and_statuses_are_named_once_each():
    assert len(V.STATE_NAMES) == V.ESCAPING + 1 == len(set(V.STATE_NAMES))
    assert len(V.ORDER_STATUS_NAMES) == V.FAILED + 1 == len(set(V.ORDER_STATUS_NAMES))
    assert V.REST_STATE_NAMES == ("idle", "charging", "waiting for pad")


def test_run_log_agrees_with_the_engine_state_at_the_end(tiny_run):
    simulation, report = tiny_run
    log = simulation.log
    # State changes: sorted by time, every drone starts idle, the last one is its state now.
    t, drone, code = log.state_changes()
    assert np.all(np.diff(t) >= 0)
    first = {}
    last = {}
    for when, d, c in zip(t, drone, code):
        first.setdefault(int(d), (when, c))
        last[int(d)] = c
    assert all(first[d] == (0.0, V.IDLE) for d in range(simulation.n_drones))
    assert [last[d] for d in range(simulation.n_drones)] == simulation.state.tolist()
    # Order log against the final order table.
    t, order, kind, drone = log.order_events()
    assert set(np.unique(kind)) <= set(V.ORDER_LOG_KINDS)
    created = simulation.created_count()
    status = simulation.order_status[:created]
    for o in np.flatnonzero(status == V.DELIVERED):
        hit = (order == o) & (kind == V.EV_DELIVERED)
        assert hit.sum() == 1
        assert t[hit][0] == simulation.order_delivered_s[o]
        assert drone[hit][0] == simulation.order_drone[o]
        assigned = (order == o) & (kind == V.EV_ASSIGNED)
        assert drone[assigned][-1] == simulation.order_drone[o]
    for o in np.flatnonzero(status == V.FAILED):
        assert np.any((order == o) & (kind == V.EV_FAILED))
    assert np.count_nonzero(kind == V.EV_FAILED) >= report.orders_failed
    # Separation: cumulative, ending at the counter the report shows.
    t, losses = log.separation_series()
    assert t[0] == 0.0 and losses[0] == 0 and np.all(np.diff(losses) >= 0)
    assert losses[-1] == report.separation_losses == log.counters.separation_losses
    assert report.utilization == pytest.approx(log.busy_seconds / (simulation.n_drones * 2400.0))


def test_recording_names_its_codes(tiny_run, tmp_path):
    simulation, _ = tiny_run
    write_recording(simulation, tmp_path / "run.npz")
    with np.load(tmp_path / "run.npz") as data:
        meta = json.loads(str(data["meta"]))
        kinds = data["order_event_kind"]
        states = data["state_code"]
    assert meta["format"] == FORMAT
    assert meta["state_names"] == list(V.STATE_NAMES)
    assert meta["order_status_names"] == list(V.ORDER_STATUS_NAMES)
    assert {int(code): name for code, name in meta["event_names"].items()} == V.EVENT_NAMES
    assert set(np.unique(kinds)) <= set(V.ORDER_LOG_KINDS)
    assert set(np.unique(states)) <= set(range(len(V.STATE_NAMES)))


def test_recording_of_format_1_is_refused_in_one_line(tiny_run, tmp_path):
    # Version 1 wrote 0 for "assigned" and 3 for "returned": read with today's codes it
    # would show wrong payloads, so it is refused rather than misread.
    simulation, _ = tiny_run
    write_recording(simulation, tmp_path / "run.npz")
    with np.load(tmp_path / "run.npz") as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta["format"] = "dronesim-recording/1"
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(tmp_path / "old.npz", **arrays)
    with pytest.raises(RecordingError) as error:
        Recording.load(tmp_path / "old.npz")
    message = str(error.value)
    assert "\n" not in message
    assert "old.npz" in message and "dronesim-recording/1" in message
