"""Losses of separation, in every phase, continuous between samples, against a reference
written here: for every pair of drones, the exact loss set of their piecewise-linear
recorded paths (no spatial hash, no steps), encounters merged plainly."""

from __future__ import annotations

import numpy as np
import pytest
from dronesim.sim.engine import Simulation
from dronesim.sim.recording import Recording, write_recording
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vocabulary import RETURNING
from tiny import TINY

PHASES = ("cruise", "vertical", "mixed")
GAP_S = 1e-6  # loss intervals closer than this are one encounter (the engine uses 1e-7)


def _interval_where(coefficients, lo, hi):
    """Sub-interval of (lo, hi) where the polynomial (highest power first, degree <= 2)
    is negative; None when empty. Written with numpy's roots, independently of the engine."""
    c = np.trim_zeros(np.asarray(coefficients, float), "f")
    if len(c) <= 1:
        return (lo, hi) if len(c) == 1 and c[0] < 0 else None
    roots = np.sort(np.real(np.roots(c)[np.isreal(np.roots(c))]))
    cuts = [lo, *[r for r in roots if lo < r < hi], hi]
    inside = [
        (a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a and np.polyval(c, 0.5 * (a + b)) < 0
    ]
    if not inside:
        return None
    return inside[0][0], inside[-1][1]  # one interval: the set is convex for degree <= 2


def reference_losses(recording: Recording, h: float, v: float):
    """Every encounter as (a, b, start_s, end_s, phase), by brute force over all pairs."""
    drone, t, xyz = recording.traj_drone, recording.traj_t, recording.traj_xyz
    n = recording.n_drones
    paths = [(t[drone == d], xyz[drone == d]) for d in range(n)]

    def at(d, tau):
        times, points = paths[d]
        return np.array([np.interp(tau, times, points[:, axis]) for axis in range(3)])

    def flat(d, tau):  # moving horizontally on the segment flown just after tau
        times, points = paths[d]
        k = int(np.searchsorted(times, tau, side="right")) - 1
        if k + 1 >= len(times):
            return False
        return bool(np.any(points[k + 1, :2] != points[k, :2]))

    encounters = []
    for a in range(n):
        for b in range(a + 1, n):
            cuts = np.union1d(paths[a][0], paths[b][0])
            cuts = cuts[(cuts >= max(paths[a][0][0], paths[b][0][0]))]
            cuts = cuts[cuts <= min(paths[a][0][-1], paths[b][0][-1])]
            current = None
            for t0, t1 in zip(cuts[:-1], cuts[1:]):
                pa0, pa1, pb0, pb1 = at(a, t0), at(a, t1), at(b, t0), at(b, t1)
                span = t1 - t0
                va, vb = (pa1 - pa0) / span, (pb1 - pb0) / span
                r, u = pa0 - pb0, va - vb
                window = (0.0, span)
                for poly in (
                    [-va[2], -pa0[2]],  # z_a > 0
                    [-vb[2], -pb0[2]],  # z_b > 0
                    [u[2] ** 2, 2 * r[2] * u[2], r[2] ** 2 - v * v],  # dz^2 < v^2
                    [
                        u[0] ** 2 + u[1] ** 2,
                        2 * (r[0] * u[0] + r[1] * u[1]),
                        r[0] ** 2 + r[1] ** 2 - h * h,
                    ],
                ):
                    window = _interval_where(poly, *window) if window else None
                if not window:
                    continue
                lo, hi = t0 + window[0], t0 + window[1]
                if current is not None and lo - current[3] <= GAP_S:
                    current[3] = hi
                    continue
                if current is not None:
                    encounters.append(tuple(current))
                fa, fb = flat(a, t0), flat(b, t0)
                phase = "cruise" if fa and fb else "vertical" if not (fa or fb) else "mixed"
                current = [a, b, lo, hi, phase]
            if current is not None:
                encounters.append(tuple(current))
    return encounters


def _scenario(extra: str = "", **replace):
    text = TINY
    for old, new in replace.items():
        text = text.replace(old, new)
    return from_toml_text(text + extra, "tiny.toml")


@pytest.mark.parametrize("policy", ["layers", "none"])
def test_encounters_match_an_all_pairs_continuous_reference(policy, tmp_path):
    scenario = _scenario(f'\n[deconfliction]\npolicy = "{policy}"\n')
    simulation = Simulation(scenario, duration_s=1500.0)
    report = simulation.run()
    write_recording(simulation, tmp_path / "run.npz")
    recording = Recording.load(tmp_path / "run.npz")
    sep = scenario.separation
    expected = reference_losses(recording, sep.horizontal_m, sep.vertical_m)
    by_phase = {phase: sum(e[4] == phase for e in expected) for phase in PHASES}
    assert len(expected) > 0  # the run has losses, so the comparison can fail
    assert report.separation_losses == len(expected)
    assert report.separation_losses_by_phase == by_phase
    # The event log in the recording: same pairs, starts and ends.
    rows = sorted(
        zip(
            recording.losses.drone[:, 0],
            recording.losses.drone[:, 1],
            recording.losses.start_s,
            recording.losses.end_s,
            np.array(PHASES)[recording.losses.phase],
        )
    )
    for got, want in zip(rows, sorted(expected)):
        assert got[:2] == want[:2] and got[4] == want[4]
        assert got[2] == pytest.approx(want[2], abs=1e-6)
        assert got[3] == pytest.approx(want[3], abs=1e-6)
    pair_seconds = sum(e[3] - e[2] for e in expected)
    assert report.separation_loss_pair_seconds == pytest.approx(pair_seconds, rel=1e-9, abs=1e-6)
    # Closest distances lie within the minima, and the position between the two drones.
    assert np.all(recording.losses.closest_m[:, 0] < sep.horizontal_m)
    assert np.all(recording.losses.closest_m[:, 1] < sep.vertical_m)


QUIET = {"orders_per_hour = 120": "orders_per_hour = 0", "time_step_s = 1.0": "time_step_s = 2.0"}
SEPARATION = "\n[separation]\nhorizontal_m = 15\nvertical_m = 10\n"


def _fly(simulation, d, points):
    """Install a straight-segment plan through ``points`` ((t, x, y, z) rows) for drone d."""
    points = np.asarray(points, float)
    simulation.position[d] = points[0, 1:]
    k = len(points)
    simulation.install_plan(
        d,
        {
            "t": points[:, 0].copy(),
            "xyz": points[:, 1:].copy(),
            "wh": np.full(k, float(simulation.battery[d])),
            "state": np.full(k, RETURNING, np.int64),
            "event": np.zeros(k, np.int64),
            "arg": np.full(k, -1, np.int64),
        },
    )


def test_a_head_on_pass_between_two_samples_is_caught():
    """Closing at 20 m/s with 2 s steps: 40 m apart at t = 4 s and at t = 6 s (both
    samples outside the 15 m minimum), they pass each other at t = 5 s."""
    simulation = Simulation(_scenario(SEPARATION, **QUIET), duration_s=20.0)
    assert simulation.scenario.time_step_s == 2.0
    x, y = 700.0, 700.0
    _fly(simulation, 0, [(0.0, x - 50, y, 60.0), (10.0, x + 50, y, 60.0)])
    _fly(simulation, 1, [(0.0, x + 50, y + 3, 60.0), (10.0, x - 50, y + 3, 60.0)])
    simulation.run()
    assert simulation.counters.separation_losses == 1
    assert simulation.counters.separation_losses_by_phase["cruise"] == 1
    log = simulation.separation_log()
    # |dx| = |100 - 20 t|, |dy| = 3: in loss while dx^2 + 9 < 225.
    half = np.sqrt(225.0 - 9.0) / 20.0
    assert log.start_s[0] == pytest.approx(5.0 - half) and log.end_s[0] == pytest.approx(5.0 + half)
    assert log.closest_m[0] == pytest.approx([3.0, 0.0])
    assert log.xyz_m[0] == pytest.approx([x, y + 1.5, 60.0])
    assert simulation.counters.separation_pair_seconds == pytest.approx(2 * half)


def test_two_drones_climbing_in_one_column_are_a_vertical_loss():
    simulation = Simulation(_scenario(SEPARATION, **QUIET), duration_s=40.0)
    x, y = 700.0, 700.0
    _fly(simulation, 0, [(0.0, x, y, 10.0), (18.0, x, y, 100.0)])
    _fly(simulation, 1, [(0.0, x, y, 2.0), (19.6, x, y, 100.0)])
    simulation.run()
    assert simulation.counters.separation_losses == 1
    assert simulation.counters.separation_losses_by_phase == {
        "cruise": 0,
        "vertical": 1,
        "mixed": 0,
    }
    log = simulation.separation_log()
    assert log.start_s[0] == 0.0 and log.end_s[0] == pytest.approx(40.0)
    assert log.closest_m[0] == pytest.approx([0.0, 0.0])


def test_a_drone_on_the_ground_is_not_airborne():
    """A drone landing on a pad beside one resting there: no loss once both are down."""
    simulation = Simulation(_scenario(SEPARATION, **QUIET), duration_s=30.0)
    x, y = 700.0, 700.0
    _fly(simulation, 0, [(0.0, x, y, 0.0), (30.0, x, y, 0.0)])  # waiting on the ground
    _fly(simulation, 1, [(0.0, x + 5, y, 20.0), (10.0, x + 5, y, 0.0)])  # landing beside
    simulation.run()
    assert simulation.counters.separation_losses == 0


def test_live_snapshots_show_the_pairs_in_loss():
    simulation = Simulation(_scenario(SEPARATION, **QUIET), duration_s=20.0)
    x, y = 700.0, 700.0
    _fly(simulation, 2, [(0.0, x, y, 10.0), (10.0, x, y, 60.0)])
    _fly(simulation, 5, [(0.0, x, y, 5.0), (10.0, x, y, 55.0)])
    simulation.step_to(4.0)
    assert simulation.snapshot().loss_pairs.tolist() == [[2, 5]]


def test_live_and_recorded_snapshots_show_the_same_losses(tmp_path):
    scenario = _scenario('\n[deconfliction]\npolicy = "none"\n')
    first = Simulation(scenario, duration_s=900.0)
    first.run()
    log = first.separation_log()
    assert len(log.start_s) >= 2
    # Inside two encounters, at a step boundary and off it, and at one's exact start.
    moments = sorted(
        {
            float(np.floor(0.5 * (log.start_s[0] + log.end_s[0]))) + 0.5,
            float(np.ceil(log.start_s[1])),
            float(log.start_s[-1]),
            899.0,
        }
    )
    simulation = Simulation(scenario, duration_s=900.0)
    live = {}
    for moment in moments:
        simulation.step_to(moment)
        live[moment] = simulation.snapshot().loss_pairs
    write_recording(simulation, tmp_path / "run.npz")
    recording = Recording.load(tmp_path / "run.npz")
    shown = 0
    for moment, pairs in live.items():
        assert recording.snapshot(moment).loss_pairs.tolist() == pairs.tolist(), moment
        shown += len(pairs)
    assert shown > 0
    assert recording.next_loss_s(-1.0) == log.start_s[0]
    assert (
        recording.next_loss_s(float(log.start_s[0])) == log.start_s[log.start_s > log.start_s[0]][0]
    )
    assert recording.next_loss_s(900.0) is None


def testcandidate_pairs_from_the_swept_box_hash_match_all_pairs():
    from dronesim.sim import _kernels as K

    rng = np.random.default_rng(7)
    for n in (2, 30, 400, 1000):
        low = np.c_[rng.uniform(0, 3000, (n, 2)), rng.uniform(0, 120, n)]
        size = rng.exponential(15.0, (n, 3))
        box = np.empty((n, 6))
        box[:, 0::2], box[:, 1::2] = low, low + size
        members = np.arange(n, dtype=np.int64)
        k, keys = K.candidate_pairs(box, members, n, 30.0, 10.0, np.empty(4, np.int64))
        got = {(int(key) >> 32, int(key) & 0xFFFFFFFF) for key in keys[:k]}
        gap = np.maximum(
            box[None, :, 0::2] - box[:, None, 1::2], box[:, None, 0::2] - box[None, :, 1::2]
        )
        near = (gap[..., 0] < 30.0) & (gap[..., 1] < 30.0) & (gap[..., 2] < 10.0)
        want = {(a, b) for a, b in zip(*np.nonzero(np.triu(near, 1)))}
        assert got == want and k == len(got)


def test_a_pass_grazing_the_minimum_is_no_loss_and_the_demo_recording_loads(tmp_path):
    """The demo has passes whose closest distance is exactly the horizontal minimum (two
    drones 30 m apart on parallel legs, one turning away): the loss set is open, so they
    are not losses. They once gave encounters whose end equalled their start, which the
    recording's own check then refused."""
    from dronesim.sim.scenario import load_scenario

    scenario = load_scenario("demo")
    simulation = Simulation(scenario)
    report = simulation.run()
    write_recording(simulation, tmp_path / "demo.npz")
    losses = Recording.load(tmp_path / "demo.npz").losses
    assert report.separation_losses == len(losses.start_s) > 0
    assert np.all(losses.end_s > losses.start_s)
    sep = scenario.separation
    # Every recorded loss really came closer than both minima at once.
    assert np.all(losses.closest_m[:, 0] < sep.horizontal_m)
    assert np.all(losses.closest_m[:, 1] < sep.vertical_m)
