"""Cold start on two cores: compile the dispatch and stepping kernels in a second process
while the first builds the city and compiles the planning kernels.

Numba compiles one function at a time in one thread, and a first run compiles about forty
kernels. ``dronesim run`` starts ``python -m dronesim.sim.warmup DIR`` when the kernel cache is
empty; that process compiles the stepping kernel, the flight-plan timing and the
dispatcher's assignment, charging and rebalancing kernels, each with inputs of exactly the
types the engine uses, so numba writes them to its on-disk cache, and touches a marker
file in DIR after each group. Meanwhile the engine builds the city and compiles the
planning and trip-estimate kernels itself. It waits for the stepping and timing markers
(never longer than the worker lives) before it first needs them; kernels the worker has
cached by the time the engine reaches them are loaded instead of compiled. Results are
unaffected: only where the compiling happens changes.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

GROUPS = ("advance", "plan", "fleet")


def kernels_cached() -> bool:
    """Whether numba's cache already holds the engine's kernels (no warm-up needed).

    An index that exists but is stale (another numba version, or any kernel source edited
    since, see `dronesim.planners._jit`) counts as empty: numba would compile anyway.
    """
    from dronesim.planners import _fleet_kernels as F
    from dronesim.sim import _kernels as K

    for kernel in (K.advance, K.time_path, F.single_order_costs):
        try:
            # numba has no public way to ask whether a kernel is in its on-disk cache.
            cache_file = kernel._cache._cache_file  # noqa: SLF001
        except AttributeError:  # NUMBA_DISABLE_JIT, or a numba without these internals
            return True
        try:
            if not cache_file._load_index():  # noqa: SLF001
                return False
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            return False  # unreadable: numba will compile
    return True


class Warmup:
    """A running warm-up process and the markers it leaves."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dronesim.sim.warmup", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self, group: str, timeout_s: float = 120.0) -> None:
        """Wait until ``group`` is compiled and cached, or the worker has stopped."""
        deadline = time.monotonic() + timeout_s
        marker = self.directory / group
        while not marker.exists() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.wait(timeout=120)


def _compile_fleet() -> None:
    """The dispatcher's later kernels (assignment, charging, rebalancing); the engine
    compiles the trip estimates itself meanwhile, as it needs them first."""
    from dronesim.planners import _fleet_kernels as F
    from dronesim.planners.energy import DroneModel
    from dronesim.planners.fleet import (
        DepotState,
        FleetState,
        TravelModel,
        rebalance,
        solve_assignment,
    )

    model = DroneModel()
    travel = TravelModel()
    solve_assignment(np.array([[1.0, 2.0, np.inf], [3.0, np.inf, 1.0]]))
    depots_xy = np.array([[0.0, 0.0], [800.0, 0.0], [0.0, 800.0]])
    home = np.array([0, 0, 0, 0, 1, 2])
    fleet = FleetState(
        np.c_[depots_xy[home], np.zeros(len(home))],
        np.full(len(home), 0.0),
        np.full(6, 130.0)[np.arange(6)],
        np.ones(len(home), bool),
    )
    pads = np.array([2, 2, 2], np.int64)
    depots = DepotState(
        depots_xy,
        pads,
        pads - np.array([len(u) for u in ([], [], [])]),
        np.array([len(q) for q in ([], [1], [])]),
    )
    F.choose_charging(
        model.as_array(),
        travel.as_array(model),
        fleet.position_m,
        fleet.energy_wh,
        np.ones(len(home), bool),
        depots.position_m,
        depots.pads,
        depots.free_pads,
        depots.queue,
        600.0,
        np.argsort(fleet.energy_wh, kind="stable"),
    )
    rebalance(fleet, depots, model, travel, np.ones(len(home), bool), np.array([0.0, 3.0, 3.0]))


def _compile_plan() -> None:
    from dronesim.planners.energy import DroneModel
    from dronesim.sim import vocabulary as V
    from dronesim.sim.routing import PlanBuilder

    plan = PlanBuilder(0.0, 0.0, 0.0, 0.0)
    plan.move(0.0, 0.0, 50.0, V.TAKEOFF)
    plan.move(300.0, 200.0, 50.0, V.TO_PICKUP)
    plan.hold_at(30.0, V.PICKING_UP, True, V.EV_PICKED, 0)
    plan.move(300.0, 200.0, 10.0, V.DELIVERING)
    plan.hold_at(45.0, V.DELIVERING, False, V.EV_DELIVERED, 0)
    plan.timed(DroneModel().as_array(), (1.0, 2.0), 0.0, np.float64(130.0))


def _compile_advance() -> None:
    from dronesim.sim import _kernels as K

    n, width = 2, 8
    plan_t = np.zeros((n, width))
    plan_xyz = np.zeros((n, width, 3))
    capacity = 4
    K.advance(
        0.0,
        1.0,
        1.0,
        plan_t,
        plan_xyz,
        np.zeros((n, width)),
        np.zeros((n, width), np.int64),
        np.zeros((n, width), np.int64),
        np.full((n, width), -1, np.int64),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.zeros((n, 3)),
        np.zeros(n),
        np.zeros(n, np.int64),
        30.0,
        10.0,
        np.empty(capacity, np.int32),
        np.empty(capacity),
        np.empty((capacity, 3)),
        np.empty(capacity),
        np.empty(capacity),
        np.empty(capacity, np.int64),
        np.empty(capacity, np.int64),
        np.empty(capacity, np.int64),
        np.empty((16, K.ENC_FLOATS)),
        np.empty((16, K.ENC_INTS), np.int64),
        0,
        np.zeros(3, np.int64),
    )


def main(directory: str) -> int:
    """Compile the groups in the order the engine first needs them, leaving markers."""
    folder = Path(directory)
    for group, compile_group in (
        ("advance", _compile_advance),
        ("plan", _compile_plan),
        ("fleet", _compile_fleet),
    ):
        try:
            compile_group()
        finally:
            (folder / group).touch()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
