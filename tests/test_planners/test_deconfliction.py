"""The reservation table, SIPP and prioritized MAPF against independent references: brute
force over plan lists, networkx on time-expanded graphs, a MAPF validator written here."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
import shapely
from dronesim.planners.deconfliction import (
    DeconflictionError,
    ReservationTable,
    SippPlanner,
    SippStatus,
    drone_moves,
    mapf_moves,
    plan_occupancy,
    prioritized_planning,
)

# --------------------------------------------------------------------------- references


def brute_gaps(intervals):
    """Free gaps between the union of half-open intervals, as the table defines them."""
    gaps = []
    lo = -math.inf
    for a, b in sorted(intervals):
        if a > lo:
            gaps.append((lo, a))
            lo = b
        else:
            lo = max(lo, b)
    if lo < math.inf:
        gaps.append((lo, math.inf))
    return gaps


def brute_occupied(plans, shape, h, v, buffer_s):
    """Cell -> list of intervals, by expanding every plan's footprint by hand."""
    dims = (1, *shape) if len(shape) == 2 else shape
    out = {}
    for cells, t0, t1 in plans:
        for c, a, b in zip(cells, t0, t1):
            z, y, x = np.unravel_index(c, dims)
            for zz, yy, xx in itertools.product(
                range(z - v, z + v + 1), range(y - h, y + h + 1), range(x - h, x + h + 1)
            ):
                if 0 <= zz < dims[0] and 0 <= yy < dims[1] and 0 <= xx < dims[2]:
                    cell = (zz * dims[1] + yy) * dims[2] + xx
                    out.setdefault(cell, []).append((a - buffer_s, b + buffer_s))
    return out


def check_mapf_solution(blocked, starts, goals, paths):
    """An independent MAPF validator: returns a list of violations (empty when valid)."""
    problems = []
    height, width = blocked.shape
    for a, raw in enumerate(paths):
        path = [tuple(int(v) for v in p) for p in raw]
        if path[0] != tuple(starts[a]):
            problems.append(f"agent {a} does not start at its start")
        if path[-1] != tuple(goals[a]):
            problems.append(f"agent {a} does not end at its goal")
        for t, (r, c) in enumerate(path):
            if not (0 <= r < height and 0 <= c < width) or blocked[r, c]:
                problems.append(f"agent {a} on an obstacle or outside at t={t}")
            if t and abs(r - path[t - 1][0]) + abs(c - path[t - 1][1]) > 1:
                problems.append(f"agent {a} jumps at t={t}")
    horizon = max(len(p) for p in paths) + 1

    def at(a, t):
        p = paths[a]
        return tuple(int(v) for v in p[min(t, len(p) - 1)])

    for t in range(horizon):
        seen = {}
        for a in range(len(paths)):
            cell = at(a, t)
            if cell in seen:
                problems.append(f"vertex conflict {seen[cell]}/{a} at {cell} t={t}")
            seen[cell] = a
        for a, b in itertools.combinations(range(len(paths)), 2):
            if at(a, t) == at(b, t + 1) and at(b, t) == at(a, t + 1) and at(a, t) != at(a, t + 1):
                problems.append(f"swap conflict {a}/{b} at t={t}")
    return problems


def random_grid(rng, height, width, density):
    return (rng.random((height, width)) < density).astype(np.uint8)


# --------------------------------------------------------------------------- table


@pytest.mark.parametrize("seed", range(6))
def test_reservation_table_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = (2, 4, 5) if seed % 2 else (5, 6)
    h, v = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    buffer_s = float(rng.choice([0.0, 0.5, 1.25]))
    table = ReservationTable(
        shape, horizontal_cells=h, vertical_cells=v, time_buffer_s=buffer_s, capacity=4
    )
    n_cells = int(np.prod(shape))
    plans = {}
    moves = {}
    for owner in range(12):
        n = int(rng.integers(1, 6))
        cells = rng.integers(0, n_cells, n)
        t0 = np.round(rng.uniform(0, 20, n), 1)
        t1 = t0 + np.round(rng.uniform(0, 5, n), 1)
        if rng.random() < 0.2:
            t1[-1] = math.inf
        table.reserve(owner, cells, t0, t1)
        plans[owner] = (cells, t0, t1)
        a = rng.integers(0, n_cells, 3)
        b = rng.integers(0, n_cells, 3)
        dep = rng.integers(0, 10, 3).astype(float)
        table.reserve_moves(owner, a, b, dep)
        moves[owner] = (a, b, dep)
    for owner in rng.choice(12, 5, replace=False):
        table.release(int(owner))
        del plans[int(owner)]
        del moves[int(owner)]
    dims = (1, *shape) if len(shape) == 2 else shape
    expected = brute_occupied(plans.values(), shape, h, v if len(shape) == 3 else 0, buffer_s)
    for cell in range(n_cells):
        assert table.safe_intervals(cell) == brute_gaps(expected.get(cell, [])), cell
        coords = np.unravel_index(cell, dims)[-len(shape) :]
        assert table.safe_intervals(tuple(int(c) for c in coords)) == table.safe_intervals(cell)
    # Many cells at once (repeats and any order): each one's brute-force gaps.
    asked = rng.integers(0, n_cells, 2 * n_cells).tolist()
    many = table.safe_intervals_many(asked, [None] * len(asked))
    assert many == [brute_gaps(expected.get(cell, [])) for cell in asked]
    assert table.safe_intervals_many([], []) == []
    with pytest.raises(DeconflictionError, match="segments for"):
        table.safe_intervals_many([0, 1], [None])
    reserved = {
        (int(x), int(y), float(t)) for a, b, d in moves.values() for x, y, t in zip(a, b, d)
    }
    for x, y in itertools.product(range(n_cells), repeat=2):
        for t in (0.0, 3.0, 3.5, 9.0):
            # Query x -> y at t swaps with a reserved y -> x departing in [t - 1, t].
            want = any((y, x) == (a, b) and d <= t < d + 1 for a, b, d in reserved)
            assert table.move_reserved(x, y, t) == want
    # A reservation without inflation covers its own cell only, for the times given.
    table.reserve(99, [0], [100.0], [101.0], inflate=False)
    assert table.reservations(0)[-1] == (100.0, 101.0, 99)
    assert all(r[2] != 99 for c in range(1, n_cells) for r in table.reservations(c))
    table.release(99)
    # Releasing everything returns every slot.
    for owner in list(plans):
        table.release(owner)
    assert table.used == 0
    assert all(table.safe_intervals(c) == [(-math.inf, math.inf)] for c in range(n_cells))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time_buffer_s": -1.0}, "time_buffer_s"),
        ({"time_buffer_s": math.nan}, "time_buffer_s"),
        ({"horizontal_cells": -1}, "horizontal_cells"),
        ({"vertical_cells": 1.5}, "vertical_cells"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_reservation_table_raises_when_values_are_bad(kwargs, match):
    with pytest.raises(DeconflictionError, match=match):
        ReservationTable((4, 4), **kwargs)


def test_reservation_table_raises_when_plans_are_bad():
    table = ReservationTable((4, 4))
    with pytest.raises(DeconflictionError, match="ends before it starts"):
        table.reserve(0, [1], [5.0], [4.0])
    with pytest.raises(DeconflictionError, match="outside"):
        table.reserve(0, np.array([[4, 0]]), [0.0], [1.0])
    with pytest.raises(DeconflictionError, match="owner"):
        table.reserve(-1, [1], [0.0], [1.0])
    with pytest.raises(DeconflictionError, match="finite"):
        table.reserve(0, [1], [math.nan], [1.0])


def test_segment_reservations_left_out_only_for_queries_far_enough_from_them():
    """A reservation holding a segment is left out of a query's safe intervals exactly
    when the query has a segment at least ``separation_m`` from it (shapely's distance);
    reservations without a segment, and queries without one, keep the box footprint."""
    rng = np.random.default_rng(5)
    sep = 30.0
    # Two long segments crossing (their ends all 45 m from the other), then random ones.
    crossing = [(np.array([0.0, 45.0, 90.0, 45.0]), np.array([45.0, 0.0, 45.0, 90.0]))]
    randoms = [(rng.uniform(0.0, 90.0, 4), rng.uniform(0.0, 90.0, 4)) for _ in range(300)]
    for s_seg, q_seg in crossing + randoms:
        table = ReservationTable((1, 9, 9), horizontal_cells=3, separation_m=sep)
        table.reserve(1, [40], [10.0], [20.0], segments=[s_seg])
        table.reserve(2, [0], [30.0], [40.0])  # no segment: always counts in its footprint
        cell = int(rng.integers(0, 81))
        in_box = max(abs(cell // 9 - 4), abs(cell % 9 - 4)) <= 3
        in_box_2 = max(abs(cell // 9), abs(cell % 9)) <= 3
        apart = shapely.LineString([s_seg[:2], s_seg[2:]]).distance(
            shapely.LineString([q_seg[:2], q_seg[2:]])
        )
        blocked = [(10.0, 20.0)] if in_box and apart < sep - 1e-9 else []
        if in_box_2:
            blocked.append((30.0, 40.0))
        expected = _gaps(blocked)
        assert table.safe_intervals(cell, q_seg) == expected, (cell, apart)
        assert table.safe_intervals_many([cell, cell], [q_seg, None])[0] == expected
        boxed = [(10.0, 20.0)] if in_box else []
        assert table.safe_intervals(cell) == _gaps(boxed + ([(30.0, 40.0)] if in_box_2 else []))


def _gaps(blocked):
    """The free intervals around sorted disjoint ``blocked`` intervals."""
    out, lo = [], -math.inf
    for a, b in blocked:
        out.append((lo, a))
        lo = b
    return out + [(lo, math.inf)]


# --------------------------------------------------------------------------- SIPP


def time_expanded_earliest(
    blocked, moves_ticks, free_tick, swap_reserved, start, goal, horizon, start_tick=0
):
    """Earliest arrival (in ticks) at ``goal`` held for ever, leaving ``start`` at
    ``start_tick``, by networkx Dijkstra on the graph of (cell, tick). ``moves_ticks``:
    (dy, dx, ticks); a move from u at tick t to v needs ticks t .. t+d-1 free at u and
    (drone rules) at v; ``free_tick(cell, t)``."""
    height, width = blocked.shape
    graph = nx.DiGraph()
    free_cells = [(r, c) for r in range(height) for c in range(width) if not blocked[r, c]]
    for cell in free_cells:
        for t in range(horizon):
            if not free_tick(cell, t):
                continue
            if free_tick(cell, t + 1):
                graph.add_edge((cell, t), (cell, t + 1), weight=1)
            for dy, dx, d, lead in moves_ticks:
                other = (cell[0] + dy, cell[1] + dx)
                if other not in free_cells or t + d > horizon:
                    continue
                if dy and dx and (blocked[cell[0] + dy, cell[1]] or blocked[cell[0], cell[1] + dx]):
                    continue
                if not all(free_tick(cell, s) for s in range(t, t + d)):
                    continue
                if lead and not all(free_tick(other, s) for s in range(t, t + d)):
                    continue
                if not free_tick(other, t + d) or swap_reserved(cell, other, t):
                    continue
                graph.add_edge((cell, t), (other, t + d), weight=d)
    if not free_tick(start, start_tick):
        return None
    graph.add_node((start, start_tick))
    lengths = nx.single_source_dijkstra_path_length(graph, (start, start_tick))
    best = None
    for (cell, t), _ in lengths.items():
        if cell == goal and all(free_tick(goal, s) for s in range(t, horizon + 1)):
            best = t if best is None else min(best, t)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_sipp_mapf_rules_match_time_expanded_graph(seed):
    rng = np.random.default_rng(100 + seed)
    blocked = random_grid(rng, 5, 6, 0.2)
    free = np.argwhere(blocked == 0)
    start, goal = (tuple(int(v) for v in free[i]) for i in rng.choice(len(free), 2, replace=False))
    table = ReservationTable(blocked.shape)
    vertex = []
    for owner in range(14):
        cell = tuple(int(v) for v in free[rng.integers(len(free))])
        a = int(rng.integers(0, 14))
        b = a + int(rng.integers(1, 4)) if rng.random() > 0.1 else math.inf
        table.reserve(owner, np.array([cell]), [a], [b])
        vertex.append((cell, a, b))
    swaps = set()
    for owner in range(14, 40):
        u = tuple(int(v) for v in free[rng.integers(len(free))])
        dy, dx = [(0, 1), (1, 0), (0, -1), (-1, 0)][rng.integers(4)]
        w = (u[0] + dy, u[1] + dx)
        if not (0 <= w[0] < 5 and 0 <= w[1] < 6) or blocked[w]:
            continue
        t = int(rng.integers(0, 14))
        table.reserve_moves(owner, np.array([u]), np.array([w]), [t])
        swaps.add((u, w, t))

    def free_tick(cell, t):
        return all(not (c == cell and a <= t < b) for c, a, b in vertex)

    def swap_reserved(u, w, t):
        return (w, u, t) in swaps

    moves = [(-1, 0, 1, False), (0, 1, 1, False), (1, 0, 1, False), (0, -1, 1, False)]
    expected = time_expanded_earliest(blocked, moves, free_tick, swap_reserved, start, goal, 50)
    planner = SippPlanner(blocked, mapf_moves())
    for heuristic in (None, planner.distance_field(goal)):
        result = planner.plan(table, start, goal, heuristic=heuristic)
        if expected is None:
            assert result.status == SippStatus.NO_PATH
            continue
        assert result.status == SippStatus.FOUND
        assert result.arrival_s == expected
        # The plan itself respects the reservations (checked step by step).
        cells = [np.unravel_index(c, blocked.shape) for c in result.cells]
        steps = np.rint(result.arrive_s).astype(int)
        timeline = []
        for k, cell in enumerate(cells):
            end = steps[k + 1] if k + 1 < len(cells) else steps[k] + 1
            timeline += [tuple(int(v) for v in cell)] * (end - steps[k])
        assert timeline[0] == start and timeline[-1] == goal
        for t, cell in enumerate(timeline):
            assert free_tick(cell, t)
            if t + 1 < len(timeline):
                assert not swap_reserved(cell, timeline[t + 1], t)
        assert all(free_tick(goal, s) for s in range(len(timeline), 60))


def _half_second_reservations(rng, blocked, free):
    """Random cell reservations on a 0.5 s grid, the test's own free-tick rule for them,
    and the 8-connected drone moves of 1.0 s and 1.5 s in 0.5 s ticks."""
    table = ReservationTable(blocked.shape)
    vertex = []
    for owner in range(12):
        cell = tuple(int(v) for v in free[rng.integers(len(free))])
        a = 0.5 * int(rng.integers(0, 24))
        b = a + 0.5 * int(rng.integers(1, 7)) if rng.random() > 0.1 else math.inf
        table.reserve(owner, np.array([cell]), [a], [b])
        vertex.append((cell, a, b))

    def free_tick(cell, t):
        s = 0.5 * t
        return all(not (c == cell and a < s + 0.5 and s < b) for c, a, b in vertex)

    moves = drone_moves(2, horizontal_s=1.0, diagonal_s=1.5)
    ticks = [
        (int(dy), int(dx), int(round(d / 0.5)), True)
        for (_, dy, dx), d in zip(moves.offsets, moves.duration_s)
    ]
    return table, free_tick, moves, ticks


@pytest.mark.parametrize("seed", range(8))
def test_sipp_drone_rules_match_time_expanded_graph(seed):
    """8-connected moves of 1.0 s and 1.5 s, reservations on a 0.5 s grid: a time-expanded
    graph with 0.5 s ticks is exact, and SIPP must find the same earliest arrival."""
    rng = np.random.default_rng(200 + seed)
    blocked = random_grid(rng, 5, 5, 0.15)
    free = np.argwhere(blocked == 0)
    start, goal = (tuple(int(v) for v in free[i]) for i in rng.choice(len(free), 2, replace=False))
    table, free_tick, moves, ticks = _half_second_reservations(rng, blocked, free)
    expected = time_expanded_earliest(
        blocked, ticks, free_tick, lambda u, w, t: False, start, goal, 80
    )
    planner = SippPlanner(blocked, moves)
    for heuristic in (None, planner.distance_field(goal)):
        result = planner.plan(table, start, goal, heuristic=heuristic)
        if expected is None:
            assert result.status == SippStatus.NO_PATH
        else:
            assert result.status == SippStatus.FOUND
            assert result.arrival_s == pytest.approx(0.5 * expected)


@pytest.mark.parametrize("seed", range(8))
def test_sipp_from_several_starts_to_several_goals_matches_time_expanded_graph(seed):
    """`plan_many`: the earliest arrival at any goal from any start (each with its own
    start time) is the best of the time-expanded graph's earliest arrivals over every
    (start, goal) pair, and the plan leaves from a start at its time and ends at a goal."""
    rng = np.random.default_rng(300 + seed)
    blocked = random_grid(rng, 5, 5, 0.15)
    free = [tuple(int(v) for v in cell) for cell in np.argwhere(blocked == 0)]
    picks = rng.choice(len(free), 5, replace=False)
    starts = [(free[i], 0.5 * int(rng.integers(0, 8))) for i in picks[:3]]
    goals = [free[i] for i in picks[3:]]
    table, free_tick, moves, ticks = _half_second_reservations(rng, blocked, free)
    arrivals = [
        time_expanded_earliest(
            blocked, ticks, free_tick, lambda u, w, t: False, start, goal, 80, int(2 * t0)
        )
        for start, t0 in starts
        for goal in goals
    ]
    arrivals = [a for a in arrivals if a is not None]
    planner = SippPlanner(blocked, moves)
    for heuristic in (None, planner.distance_field(*goals)):
        result = planner.plan_many(table, starts, goals, heuristic=heuristic)
        if not arrivals:
            assert result.status == SippStatus.NO_PATH
            continue
        assert result.status == SippStatus.FOUND
        assert result.arrival_s == pytest.approx(0.5 * min(arrivals))
        first = (np.unravel_index(result.cells[0], blocked.shape), result.arrive_s[0])
        assert (tuple(int(v) for v in first[0]), first[1]) in starts
        assert tuple(int(v) for v in np.unravel_index(result.cells[-1], blocked.shape)) in goals


def test_low_vertical_leaves_and_enters_layer_zero_only_vertically():
    """With ``low_vertical`` a drone never crosses layer 0 (the low columns): between two
    adjacent open low cells it climbs, crosses above and descends."""
    blocked = np.zeros((2, 1, 3), np.uint8)
    moves = drone_moves(3, horizontal_s=1.0, diagonal_s=1.5, climb_s=2.0, descent_s=3.0)
    planner = SippPlanner(blocked, moves)
    table = ReservationTable(blocked.shape)
    direct = planner.plan_many(table, [((0, 0, 0), 0.0)], [(0, 0, 1)])
    assert direct.status == SippStatus.FOUND and direct.arrival_s == 1.0
    result = planner.plan_many(table, [((0, 0, 0), 0.0)], [(0, 0, 1)], low_vertical=True)
    assert result.status == SippStatus.FOUND
    cells = [np.unravel_index(c, blocked.shape) for c in result.cells]
    for (z0, _, x0), (z1, _, x1) in zip(cells, cells[1:]):
        if z0 == 0 or z1 == 0:
            assert x0 == x1  # in or out of layer 0: vertical
    assert result.arrival_s == 2.0 + 1.0 + 3.0


def test_distance_field_matches_networkx_in_3d():
    rng = np.random.default_rng(7)
    blocked = (rng.random((3, 5, 6)) < 0.2).astype(np.uint8)
    blocked[1, 2, 3] = 0
    moves = drone_moves(3, horizontal_s=2.0, diagonal_s=2.9, climb_s=3.0, descent_s=1.5)
    planner = SippPlanner(blocked, moves)
    field = planner.distance_field((1, 2, 3))
    graph = nx.DiGraph()
    for z, y, x in np.argwhere(blocked == 0):
        for (dz, dy, dx), d in zip(moves.offsets, moves.duration_s):
            box = list(itertools.product(*[(0, o) if o else (0,) for o in (dz, dy, dx)]))
            cells = [(z + a, y + b, x + c) for a, b, c in box]
            if all(0 <= p < n for cell in cells for p, n in zip(cell, blocked.shape)) and not any(
                blocked[cell] for cell in cells
            ):
                graph.add_edge((z, y, x), (z + dz, y + dy, x + dx), weight=float(d))
    lengths = nx.single_source_dijkstra_path_length(graph.reverse(), (1, 2, 3))
    for index in range(blocked.size):
        cell = tuple(int(v) for v in np.unravel_index(index, blocked.shape))
        assert field[index] == pytest.approx(lengths.get(cell, math.inf))


def test_sipp_waits_out_a_crossing_drone_with_a_footprint():
    """Drone rules with a one-cell footprint: a plan crossing another's path waits, and its
    occupancy never overlaps the other's inflated reservations."""
    blocked = np.zeros((1, 7, 7), np.uint8)
    moves = drone_moves(3, horizontal_s=1.0, climb_s=2.0, descent_s=2.0)
    planner = SippPlanner(blocked, moves)
    table = ReservationTable(blocked.shape, horizontal_cells=1, time_buffer_s=0.5)
    first = planner.plan(
        table, (0, 3, 0), (0, 3, 6), heuristic=planner.distance_field((0, 3, 6)), goal_hold_s=0.0
    )
    assert first.status == SippStatus.FOUND and first.arrival_s == pytest.approx(6.0)
    table.reserve_plan(0, first.cells, first.arrive_s, first.enter_s, hold_s=0.0)
    second = planner.plan(
        table, (0, 0, 3), (0, 6, 3), heuristic=planner.distance_field((0, 6, 3)), goal_hold_s=0.0
    )
    assert second.status == SippStatus.FOUND
    assert second.arrival_s > 6.0
    cells, t0, t1 = plan_occupancy(second.cells, second.arrive_s, second.enter_s, 0.0)
    for c, a, b in zip(cells, t0, t1):
        for lo, hi, _ in table.reservations(int(c)):
            assert b <= lo or a >= hi


def test_sipp_raises_when_inputs_are_bad():
    blocked = np.zeros((4, 4), np.uint8)
    blocked[0, 0] = 1
    planner = SippPlanner(blocked, mapf_moves())
    table = ReservationTable((4, 4))
    with pytest.raises(DeconflictionError, match="start cell"):
        planner.plan(table, (0, 0), (3, 3))
    with pytest.raises(DeconflictionError, match="outside"):
        planner.plan(table, (4, 0), (3, 3))
    with pytest.raises(DeconflictionError, match="table shape"):
        planner.plan(ReservationTable((5, 4)), (1, 1), (3, 3))
    with pytest.raises(DeconflictionError, match="max_expansions"):
        planner.plan(table, (1, 1), (3, 3), max_expansions=0)
    with pytest.raises(DeconflictionError, match="horizontal_s"):
        drone_moves(2, horizontal_s=-1.0)
    with pytest.raises(DeconflictionError, match="climb_s"):
        drone_moves(3, horizontal_s=1.0)


def test_sipp_reports_the_expansion_limit():
    blocked = np.zeros((8, 8), np.uint8)
    planner = SippPlanner(blocked, mapf_moves())
    result = planner.plan(ReservationTable((8, 8)), (0, 0), (7, 7), max_expansions=3)
    assert result.status == SippStatus.LIMIT


# --------------------------------------------------------------------------- MAPF


def test_mapf_validator_catches_conflicts():
    blocked = np.zeros((1, 3), np.uint8)
    starts, goals = np.array([[0, 0], [0, 2]]), np.array([[0, 2], [0, 0]])
    swap = [np.array([[0, 0], [0, 1], [0, 2]]), np.array([[0, 2], [0, 1], [0, 0]])]
    assert any("vertex" in p for p in check_mapf_solution(blocked, starts, goals, swap))
    blocked = np.zeros((1, 2), np.uint8)
    starts, goals = np.array([[0, 0], [0, 1]]), np.array([[0, 1], [0, 0]])
    swap = [np.array([[0, 0], [0, 1]]), np.array([[0, 1], [0, 0]])]
    assert any("swap" in p for p in check_mapf_solution(blocked, starts, goals, swap))


@pytest.mark.parametrize("seed", range(8))
def test_prioritized_planning_solutions_are_valid(seed):
    rng = np.random.default_rng(300 + seed)
    blocked = random_grid(rng, 8, 8, 0.15)
    free = np.argwhere(blocked == 0)
    k = 8
    starts = free[rng.choice(len(free), k, replace=False)]
    goals = free[rng.choice(len(free), k, replace=False)]
    result = prioritized_planning(blocked, starts, goals, time_limit_s=5.0)
    graph = nx.grid_2d_graph(8, 8)
    graph.remove_nodes_from([tuple(c) for c in np.argwhere(blocked)])
    bounds = []
    for s, g in zip(starts, goals):
        try:
            bounds.append(nx.shortest_path_length(graph, tuple(s), tuple(g)))
        except nx.NetworkXNoPath:
            bounds.append(None)
    if None in bounds:
        assert not result.success
        return
    assert result.success, result.reason
    assert check_mapf_solution(blocked, starts, goals, result.paths) == []
    assert result.sum_of_costs == sum(len(p) - 1 for p in result.paths)
    assert result.sum_of_costs >= sum(bounds)


def test_prioritized_planning_parks_a_goal_only_after_higher_agents_pass():
    """The goal subtlety: agent 1's goal lies on agent 0's later path; agent 1 must not park
    there before agent 0 has crossed it (the validator would see a vertex conflict)."""
    blocked = np.ones((3, 9), np.uint8)
    blocked[1, :] = 0
    blocked[0, 4] = 0  # a pocket where agent 1 starts
    starts = np.array([[1, 0], [0, 4]])
    goals = np.array([[1, 8], [1, 6]])
    result = prioritized_planning(blocked, starts, goals, order=[0, 1])
    assert result.success
    assert result.restarts == 0
    assert check_mapf_solution(blocked, starts, goals, result.paths) == []
    # Agent 0 crosses (1, 6) at t = 6; an empty corridor would let agent 1 park at t = 2.
    assert result.arrival[1] == 7


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"starts": np.array([[0, 0], [0, 0]])}, "shared"),
        ({"goals": np.array([[1, 1], [5, 5]])}, "outside"),
        ({"time_limit_s": -1.0}, "time_limit_s"),
        ({"order": [0, 0]}, "permutation"),
    ],
)
def test_prioritized_planning_raises_when_inputs_are_bad(change, match):
    blocked = np.zeros((3, 3), np.uint8)
    args = {"starts": np.array([[0, 0], [2, 2]]), "goals": np.array([[2, 2], [0, 0]])}
    args.update(change)
    with pytest.raises(DeconflictionError, match=match):
        prioritized_planning(blocked, **args)


def test_prioritized_planning_raises_when_a_start_is_an_obstacle():
    blocked = np.zeros((3, 3), np.uint8)
    blocked[1, 1] = 1
    with pytest.raises(DeconflictionError, match="obstacle"):
        prioritized_planning(blocked, np.array([[1, 1]]), np.array([[0, 0]]))


def test_prioritized_planning_is_deterministic():
    rng = np.random.default_rng(11)
    blocked = random_grid(rng, 10, 10, 0.15)
    free = np.argwhere(blocked == 0)
    starts = free[rng.choice(len(free), 12, replace=False)]
    goals = free[rng.choice(len(free), 12, replace=False)]
    first = prioritized_planning(blocked, starts, goals, time_limit_s=10.0)
    second = prioritized_planning(blocked, starts, goals, time_limit_s=10.0)
    assert first.success == second.success
    assert first.order == second.order and first.restarts == second.restarts
    assert all(np.array_equal(a, b) for a, b in zip(first.paths, second.paths))


def test_sipp_starts_late_and_holds_the_goal_only_as_asked():
    """A plan starting at t0 = 2.5 s (drone rules) arrives 2.5 s later than from 0; with a
    goal reserved from 10 s on, a finite hold lands before it and an endless hold fails."""
    blocked = np.zeros((4, 4), np.uint8)
    planner = SippPlanner(blocked, drone_moves(2, horizontal_s=1.0, diagonal_s=1.5))
    table = ReservationTable((4, 4))
    early = planner.plan(table, (0, 0), (3, 3))
    late = planner.plan(table, (0, 0), (3, 3), t0_s=2.5)
    assert early.arrival_s == pytest.approx(4.5) and late.arrival_s == pytest.approx(7.0)
    table.reserve(0, np.array([[3, 3]]), [10.0], [math.inf])
    held = planner.plan(table, (0, 0), (3, 3), goal_hold_s=2.0)
    assert held.status == SippStatus.FOUND and held.arrival_s == pytest.approx(4.5)
    assert planner.plan(table, (0, 0), (3, 3), goal_hold_s=6.0).status == SippStatus.NO_PATH


def drone_graph(blocked, moves):
    """The static move graph of a 3D drone grid (networkx), with the no-corner-cutting box
    rule written out here."""
    graph = nx.DiGraph()
    for z, y, x in np.argwhere(blocked == 0):
        for (dz, dy, dx), d in zip(moves.offsets, moves.duration_s):
            box = itertools.product(*[(0, o) if o else (0,) for o in (dz, dy, dx)])
            cells = [(z + a, y + b, x + c) for a, b, c in box]
            inside = all(0 <= p < n for cell in cells for p, n in zip(cell, blocked.shape))
            if inside and not any(blocked[cell] for cell in cells):
                graph.add_edge((z, y, x), (z + dz, y + dy, x + dx), weight=float(d))
    return graph


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["field", "reverse", "octile"])
def test_layered_heuristics_are_consistent_lower_bounds(seed, kind):
    """Against networkx shortest paths on the static grid: on a drone grid whose layer 0 is a
    closed low column (open only at the start and the goal), every layered heuristic is at
    most the true seconds to the goal and never drops by more than a move's duration."""
    rng = np.random.default_rng(seed)
    nz, ny, nx_ = 4, 7, 8
    blocked = (rng.random((nz, ny, nx_)) < 0.25).astype(np.uint8)
    blocked[0] = 1
    start, goal = (0, 0, 0), (0, ny - 1, nx_ - 1)
    for cell in (start, goal):
        blocked[:, cell[1], cell[2]] = 0
    climb, descent = [(3.0, 4.5), (6.7, 10.0), (2.0, 2.0)][seed % 3]
    moves = drone_moves(3, horizontal_s=1.0, climb_s=climb, descent_s=descent)
    planner = SippPlanner(blocked, moves)
    goal_flat = planner.cell_index(goal)
    if kind == "field":
        anchor = goal[1] * nx_ + goal[2]
        heuristic = planner.field_heuristic(goal, planner.plane_field(anchor), vertical_ends=True)
    elif kind == "reverse":
        heuristic = planner.reverse_heuristic(goal, start, vertical_ends=True)
    else:
        heuristic = planner.octile_heuristic(goal, vertical_ends=True)
    graph = drone_graph(blocked, moves)
    exact = nx.single_source_dijkstra_path_length(graph.reverse(), goal, weight="weight")
    value = {c: planner.heuristic_at(heuristic, planner.cell_index(c)) for c in graph.nodes}
    assert value[goal] == 0.0
    for cell, seconds in exact.items():
        assert value[cell] <= seconds + 1e-9, (cell, value[cell], seconds)
    for u, w, data in graph.edges(data=True):
        assert value[u] <= data["weight"] + value[w] + 1e-9, (u, w, value[u], value[w])
    assert planner.heuristic_at(heuristic, goal_flat) == 0.0


def test_layered_field_heuristic_shifted_from_an_anchor_is_a_lower_bound():
    """A field anchored at a neighbouring column and shifted by the goal's value there (a
    depot's pads sharing one field) stays below networkx's seconds to the goal."""
    rng = np.random.default_rng(3)
    blocked = (rng.random((3, 9, 9)) < 0.2).astype(np.uint8)
    blocked[0] = 1
    goal, anchor = (0, 4, 4), (4, 6)
    blocked[:, 4, 4] = 0
    blocked[:, 4, 6] = 0
    moves = drone_moves(3, horizontal_s=1.0, climb_s=5.0, descent_s=7.0)
    planner = SippPlanner(blocked, moves)
    field = planner.plane_field(anchor[0] * 9 + anchor[1])
    heuristic = planner.field_heuristic(goal, field, float(field[4 * 9 + 4]), vertical_ends=True)
    exact = nx.single_source_dijkstra_path_length(
        drone_graph(blocked, moves).reverse(), goal, weight="weight"
    )
    assert len(exact) > 20
    for cell, seconds in exact.items():
        assert planner.heuristic_at(heuristic, planner.cell_index(cell)) <= seconds + 1e-9


def test_plane_fields_of_several_groups_are_networkx_multi_source_seconds():
    """Each group's field (computed side by side) is networkx's multi-source Dijkstra
    over the columns blocked in every layer, 8-connected, a diagonal only past two free
    orthogonal neighbours, with the group's own columns opened."""
    rng = np.random.default_rng(11)
    blocked = (rng.random((3, 12, 12)) < 0.35).astype(np.uint8)
    moves = drone_moves(3, horizontal_s=2.0, diagonal_s=3.0, climb_s=5.0, descent_s=7.0)
    planner = SippPlanner(blocked, moves)
    plane = blocked.min(axis=0)
    groups = [[0], [5 * 12 + 5, 5 * 12 + 7, 11 * 12 + 11], [3 * 12 + 9, 3 * 12 + 9]]
    fields = planner.plane_fields(groups)
    assert len(fields) == len(groups)
    for group, field in zip(groups, fields, strict=True):
        free = plane.copy()
        for column in group:
            free.flat[column] = 0
        graph = nx.DiGraph()
        for y, x in itertools.product(range(12), repeat=2):
            if free[y, x]:
                continue
            graph.add_node((y, x))
            for dy, dx in itertools.product((-1, 0, 1), repeat=2):
                yy, xx = y + dy, x + dx
                if (dy, dx) == (0, 0) or not (0 <= yy < 12 and 0 <= xx < 12) or free[yy, xx]:
                    continue
                if dy and dx and (free[y, xx] or free[yy, x]):
                    continue
                graph.add_edge((y, x), (yy, xx), weight=3.0 if dy and dx else 2.0)
        exact = nx.multi_source_dijkstra_path_length(
            graph, {divmod(c, 12) for c in group}, weight="weight"
        )
        expected = np.full(144, np.inf)
        for (y, x), seconds in exact.items():
            expected[y * 12 + x] = seconds
        np.testing.assert_allclose(field, expected, rtol=0, atol=1e-9)
    assert planner.plane_fields([]) == []
    for bad in ([144], [-1], []):
        with pytest.raises(DeconflictionError, match="anchor columns"):
            planner.plane_fields([[0], bad])
