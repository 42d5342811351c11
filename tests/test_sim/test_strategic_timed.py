"""The strategic policy's timed plans (`StrategicRun._timed`: the strategic plan's
waypoints with the stops' events, squared corners, payloads, states, energy) against a
reference written here: the waypoints squared one move at a time and timed by a
`PlanBuilder` fed one segment at a time (hold, taxi or move), with the payload and the
state worked out per segment from the stops done so far. Every trip of a small strategic
run with batched orders must match it bit for bit."""

from __future__ import annotations

import math

import numpy as np
from dronesim.planners._fleet_kernels import HANDOVER_HEIGHT_M
from dronesim.sim import strategic_policy
from dronesim.sim.engine import Simulation
from dronesim.sim.routing import PlanBuilder
from dronesim.sim.scenario import from_toml_text
from dronesim.sim.vertiports import TAXI_SPEED_MPS
from dronesim.sim.vocabulary import (
    DELIVERING,
    EV_DELIVERED,
    EV_LANDED,
    EV_NONE,
    EV_PICKED,
    PICKING_UP,
    PICKUP,
    TAKEOFF,
    TO_DROPOFF,
    TO_PICKUP,
)
from tiny import TINY


def _squared(points, column, cruise_mps):
    """Moves between a cruise cell and a stop's low column in the same grid column:
    across at cruise altitude then down, or up then across."""
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        low_a, low_b = a[3] <= HANDOVER_HEIGHT_M, b[3] <= HANDOVER_HEIGHT_M
        h = math.hypot(b[1] - a[1], b[2] - a[2])
        if (h > 0.0 and low_a != low_b and (a[3] > 0.0 or b[3] > 0.0)
                and column(a[1], a[2]) == column(b[1], b[2])):  # fmt: skip
            across = min(h / cruise_mps, 0.5 * (b[0] - a[0]))
            if low_b:
                out.append((a[0] + across, b[1], b[2], a[3], EV_NONE, -1))
            else:
                out.append((b[0] - across, a[1], a[2], b[3], EV_NONE, -1))
        out.append(b)
    return out


def reference_timed(run, request, apron, prefix, pad, plan, meta, home, final):
    sim = run.sim
    t = float(request.t_s)
    points = [(t, apron[0], apron[1], 0.0, EV_NONE, -1)]
    for seconds, order in prefix:
        t += seconds
        points.append((t, apron[0], apron[1], 0.0, EV_PICKED, order))
    n_prefix = len(points)
    wp = plan.waypoints
    if (pad[0], pad[1]) != apron:
        points.append((float(wp[0, 0]), pad[0], pad[1], 0.0, EV_NONE, -1))
    points += [(float(r[0]), float(r[1]), float(r[2]), float(r[3]), EV_NONE, -1) for r in wp[1:]]
    delivered = strategic_policy._mark_stops(  # noqa: SLF001  (the events: not under test)
        points, n_prefix, meta, float(sim.model.service_time_s)
    )
    hx, hy = (float(v) for v in sim.depots_xy[home])
    last = points[-1]
    points.append(
        (last[0] + math.hypot(hx - last[1], hy - last[2]) / TAXI_SPEED_MPS, hx, hy, 0.0,
         EV_LANDED, home)
    )  # fmt: skip
    points = _squared(points, run.strategic.column_of, sim.model.cruise_speed_mps)
    weights = sim.orders.weight_kg
    codes = {PICKUP: EV_PICKED}

    def event_at(stop):
        code = codes.get(stop[0], EV_DELIVERED)
        return next((j for j, p in enumerate(points) if p[4] == code and p[5] == stop[1]),
                    len(points))  # fmt: skip

    builder = PlanBuilder(apron[0], apron[1], 0.0, 0.0)
    load = float(sum(weights[o] for _, o in prefix))
    done, flown = 0, False
    for i in range(len(points) - 1):
        a, b = points[i], points[i + 1]
        while done < len(meta) and event_at(meta[done]) <= i:
            load += weights[meta[done][1]] if meta[done][0] == PICKUP else -weights[meta[done][1]]
            done += 1
        if i < n_prefix - 1:
            builder.load = float(sum(weights[o] for _, o in prefix[:i]))
            state = PICKING_UP
        else:
            builder.load = max(0.0, load)
            if a[3] == 0.0 and b[3] == 0.0:
                state = TAKEOFF if not flown else final if done == len(meta) else PICKING_UP
            elif a[3] == 0.0:
                state = TAKEOFF
            elif done == len(meta):
                state = final
            elif meta[done][0] == PICKUP:
                state = TO_PICKUP
            elif b[1:3] == tuple(meta[done][2:4]) and b[3] <= HANDOVER_HEIGHT_M:
                state = DELIVERING
            else:
                state = TO_DROPOFF
        flown = flown or a[3] > 0.0
        if a[1:4] == b[1:4]:
            builder.hold_at(b[0] - a[0], state, a[3] == 0.0, b[4], b[5])
        elif a[3] == 0.0 and b[3] == 0.0:
            builder.taxi(b[1], b[2], b[0] - a[0], state, b[4], b[5])
        else:
            builder.move(b[1], b[2], b[3], state, b[4], b[5])
    timed = builder.timed(sim.params, sim.wind, float(request.t_s), float(request.battery_wh))
    if timed is None:
        return None, []
    timed["t"] = np.array([p[0] for p in points], np.float64)
    return timed, delivered


def test_timed_plans_match_a_per_segment_reference_bit_for_bit(monkeypatch):
    scenario = from_toml_text(
        TINY.replace("[dispatch]\n", '[dispatch]\npolicy = "batching"\n')
        + '\n[deconfliction]\npolicy = "strategic"\n',
        "tiny.toml",
    )
    simulation = Simulation(scenario, duration_s=1200.0)
    real = strategic_policy.StrategicRun._timed  # noqa: SLF001
    checked = []

    def spy(self, *args):
        got = real(self, *args)
        want = reference_timed(self, *args)
        assert got[1] == want[1]
        assert (got[0] is None) == (want[0] is None)
        if got[0] is not None:
            assert got[0].keys() == want[0].keys()
            for key, value in want[0].items():
                mine = got[0][key]
                assert mine.dtype == value.dtype and mine.shape == value.shape, key
                assert mine.tobytes() == value.tobytes(), key
        checked.append((len(args[2]), len(args[5]), got[0]))
        return got

    monkeypatch.setattr(strategic_policy.StrategicRun, "_timed", spy)
    simulation.run()
    assert len(checked) >= 10
    # Trips with apron pickups and with several drop-offs were among them.
    assert any(n_prefix > 0 for n_prefix, _, _ in checked)
    assert any(n_meta > 1 for _, n_meta, _ in checked)
    states = np.concatenate([timed["state"] for *_, timed in checked if timed is not None])
    assert {TAKEOFF, PICKING_UP, TO_DROPOFF, DELIVERING} <= set(states.tolist())
