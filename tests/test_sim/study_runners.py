"""Test-only runners for `dronesim.sim.study` (module level, so worker processes import
them): a run that interrupts the study, and one that kills its worker process once."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from dronesim.sim.study import simulate


def interrupt_at(point: int, scenario, seed):
    """Like Ctrl-C during the runs of design point ``point`` (use with functools.partial)."""
    if scenario.fleet.drones_per_depot == (point,):
        raise KeyboardInterrupt
    return simulate(scenario, seed)


def kill_once(marker_dir: str, drones: int, seed_to_kill: int, scenario, seed):
    """The first time the run (``drones`` per depot, ``seed_to_kill``) starts anywhere,
    kill the worker process running it (SIGKILL: no clean-up, as the OOM killer would)."""
    if scenario.fleet.drones_per_depot == (drones,) and seed == seed_to_kill:
        marker = Path(marker_dir) / "killed"
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    return simulate(scenario, seed)


def fail_at(drones: int, scenario, seed):
    """A run that raises (recorded as failed; the study goes on)."""
    if scenario.fleet.drones_per_depot == (drones,):
        raise ValueError(f"no run with {drones} drones per depot (on purpose)")
    return simulate(scenario, seed)


def kill_always(drones: int, seed_to_kill: int, scenario, seed):
    """A run that kills its worker process every time it starts (a crash, not an error)."""
    if scenario.fleet.drones_per_depot == (drones,) and seed == seed_to_kill:
        os.kill(os.getpid(), signal.SIGKILL)
    return simulate(scenario, seed)
