"""A* against the MovingAI optimal lengths (a sample of rows; the benchmark runs them all)."""

import numpy as np
import pytest
from dronesim.maps import Airspace
from dronesim.maps.movingai import read_3dmap, read_3dscen, read_map, read_scen
from dronesim.planners import PlanningGrid, PlanStatus, get_planner

MAPS = [
    "8room_000",
    "AcrosstheCape",
    "Berlin_0_512",
    "Boston_0_1024",
    "Denver_2_256",
    "Paris_1_512",
    "arena",
    "den312d",
    "maze512-1-0",
    "random512-10-0",
    "rmtst01",
]
ROWS_PER_MAP = 40


def _sample(n: int, count: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, count)).astype(int))


@pytest.mark.parametrize("name", MAPS)
def test_astar_equals_movingai_optimal_lengths(shared_data, name):
    grid = PlanningGrid(
        Airspace.from_grid(read_map(shared_data / "movingai" / f"{name}.map").blocked)
    )
    scen = read_scen(shared_data / "movingai" / f"{name}.map.scen")
    rows = _sample(len(scen.optimal_length), ROWS_PER_MAP)
    if name == "rmtst01":  # make sure the two unreachable rows are in the sample
        rows = np.union1d(rows, np.flatnonzero(scen.unreachable))
    for prune in (None, False):
        for q in rows:
            start = (0, scen.start_xy[q, 1], scen.start_xy[q, 0])
            goal = (0, scen.goal_xy[q, 1], scen.goal_xy[q, 0])
            result = grid.astar(start, goal, prune=prune)
            if scen.unreachable[q]:
                assert result.status == PlanStatus.UNREACHABLE, q
            else:
                assert result.cost == pytest.approx(scen.optimal_length[q], rel=1e-5, abs=1e-9), q


@pytest.mark.parametrize("name", ["Simple", "Complex"])
def test_astar_equals_voxel_optimal_lengths(shared_data, name):
    voxels = read_3dmap(shared_data / "voxel" / f"{name}.3dmap")
    scen = read_3dscen(shared_data / "voxel" / f"{name}.3dmap.3dscen")
    grid = PlanningGrid(Airspace.from_grid(voxels.blocked))
    for q in _sample(len(scen.optimal_length), 25):
        sx, sy, sz = scen.start_xyz[q]
        gx, gy, gz = scen.goal_xyz[q]
        result = grid.astar((sz, sy, sx), (gz, gy, gx))
        assert result.cost == pytest.approx(scen.optimal_length[q], rel=1e-5), q


def test_corner_theta_never_beats_and_nearly_matches_anyangle_optima(shared_data):
    grid = PlanningGrid(
        Airspace.from_grid(read_map(shared_data / "movingai" / "AcrosstheCape.map").blocked)
    )
    scen = read_scen(shared_data / "movingai" / "anyangle" / "AcrosstheCape.map.scen")
    planner = get_planner("theta-corners")
    ratios = []
    for q in _sample(len(scen.optimal_length), 80):
        optimum = scen.optimal_length[q]
        path = planner.plan(
            grid,
            (0, scen.start_xy[q, 1], scen.start_xy[q, 0]),
            (0, scen.goal_xy[q, 1], scen.goal_xy[q, 0]),
        )
        assert path.found
        assert path.cost >= optimum * (1 - 1e-6), q
        assert path.length_m == pytest.approx(path.cost)
        if optimum > 0:
            ratios.append(path.cost / optimum)
    assert np.mean(ratios) < 1.005
