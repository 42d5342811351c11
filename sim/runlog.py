"""`RunLog`: what a run has done so far, appended to by the engine, read by the report
and the recording.

The engine owns the fleet's present state; the run log holds its history: every flown
point with its battery, every drone-state change, every order event, every pad session (charge or swap), the cumulative
losses of separation (a count over time and one row per encounter), the energy used, the busy drone-time and the counters. Readers
(`sim.report.build_report`, `sim.recording.write_recording`, audits) use only the public
attributes and methods documented here, never the engine's private fields.

Codes (drone states, events) are those of `sim.vocabulary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from dronesim.sim import _kernels as K
from dronesim.sim.audit import Escape
from dronesim.sim.vocabulary import IDLE

# Phases of a loss of separation, by code (`sim._kernels.PHASE_*`): what both drones were
# doing when the loss began. ``cruise``: both moving horizontally; ``vertical``: both in a
# column (climbing, descending or hovering at a depot or a drop-off); ``mixed``: one of each.
LOSS_PHASES = ("cruise", "vertical", "mixed")
assert (K.PHASE_CRUISE, K.PHASE_VERTICAL, K.PHASE_MIXED) == (0, 1, 2)


class LossLog(NamedTuple):
    """Losses of separation, one row per encounter (a pair continuously in loss),
    sorted by start time, then drones.

    Attributes
    ----------
    start_s, end_s : numpy.ndarray, shape (k,)
        When the pair entered and left the loss, seconds (``end_s`` is the time now for
        an encounter still in progress).
    drone : numpy.ndarray of int64, shape (k, 2)
        The two drones, lower index first.
    closest_m : numpy.ndarray, shape (k, 2)
        Least horizontal and least vertical distance during the encounter, metres.
    xyz_m : numpy.ndarray, shape (k, 3)
        Midpoint of the two drones at their closest approach in the minima's metric
        (least ``(dxy / horizontal_m)**2 + (dz / vertical_m)**2``), metres.
    phase : numpy.ndarray of int64, shape (k,)
        Index into `LOSS_PHASES`.
    """

    start_s: np.ndarray
    end_s: np.ndarray
    drone: np.ndarray
    closest_m: np.ndarray
    xyz_m: np.ndarray
    phase: np.ndarray

    @classmethod
    def from_rows(cls, rows_f: np.ndarray, rows_i: np.ndarray) -> LossLog:
        """From encounter rows of `sim._kernels.advance` (``ENC_*`` floats; drone a,
        drone b, phase), sorted by start time, then drones."""
        rows_f = np.asarray(rows_f, np.float64).reshape(-1, K.ENC_FLOATS)
        rows_i = np.asarray(rows_i, np.int64).reshape(-1, K.ENC_INTS)
        order = np.lexsort((rows_i[:, 1], rows_i[:, 0], rows_f[:, K.ENC_START]))
        rows_f, rows_i = rows_f[order], rows_i[order]
        return cls(
            start_s=rows_f[:, K.ENC_START].copy(),
            end_s=rows_f[:, K.ENC_END].copy(),
            drone=rows_i[:, :2].copy(),
            closest_m=rows_f[:, [K.ENC_MIN_H, K.ENC_MIN_V]],
            xyz_m=rows_f[:, [K.ENC_X, K.ENC_Y, K.ENC_Z]],
            phase=rows_i[:, 2].copy(),
        )

    def active_at(self, t_s: float) -> np.ndarray:
        """Rows of the encounters in progress at ``t_s``: begun before it, not yet over
        (``start_s < t_s <= end_s``, within `sim._kernels.CONTINUITY_S`)."""
        return np.flatnonzero((self.start_s < t_s) & (self.end_s >= t_s - K.CONTINUITY_S))


@dataclass
class Counters:
    """What the run has counted so far (the report reads these).

    Attributes
    ----------
    separation_losses : int
        Pairs of airborne drones that came closer than the separation minima, in any
        phase, each pair counted once per encounter (a stretch of time continuously in
        loss, measured between samples as well).
    separation_losses_by_phase : dict of str to int
        The same by phase (`LOSS_PHASES`: what both drones were doing when it began).
    separation_pair_seconds : float
        Seconds spent in those encounters, summed over pairs.
    battery_depletions : int
        Drones whose battery ran empty.
    replans : int
        Routes flown again because a temporary zone switched on.
    zone_escapes : int
        Drones led out of a zone that switched on around them.
    escape_failures : int
        Drones that found no safe way out of, or around, a zone that switched on, and
        held their position instead.
    rejected_trips : int
        Dispatcher choices dropped because the routed trip was unreachable or too dear.
    dispatch_rounds : int
        Dispatch rounds run.
    timers : dict of str to float
        Wall-clock seconds spent in ``planning``, ``dispatch`` and ``stepping``.
    """

    separation_losses: int = 0
    separation_losses_by_phase: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(LOSS_PHASES, 0)
    )
    separation_pair_seconds: float = 0.0
    battery_depletions: int = 0
    replans: int = 0
    zone_escapes: int = 0
    escape_failures: int = 0
    rejected_trips: int = 0
    dispatch_rounds: int = 0
    timers: dict[str, float] = field(
        default_factory=lambda: {"planning": 0.0, "dispatch": 0.0, "stepping": 0.0}
    )


class RunLog:
    """The history of one run.

    Parameters
    ----------
    position_m : numpy.ndarray, shape (n, 3)
        Each drone's position at t = 0, metres (local frame); the first trajectory points.
    battery_wh : numpy.ndarray, shape (n,)
        Each drone's battery energy at t = 0, watt-hours.

    Attributes
    ----------
    n_drones : int
        Fleet size.
    counters : Counters
        Counts and wall-clock timers.
    energy_used_wh : float
        Battery energy used by the whole fleet so far, watt-hours (charging excluded).
    busy_seconds : float
        Drone-seconds committed to trips and repositioning flights, counted from when a
        plan is installed to its end (or the end of the run); the engine corrects it when
        a plan is replaced.
    escapes : list of sim.audit.Escape
        Each way out of a zone that switched on around a drone: while it lasts, the
        drone's flight is exempt from the zones it leaves (and from those only).
    takeoff_delays_s : list of float
        Ground delay of each departure from a depot, waiting for a free pad column
        (`sim.vertiports`), seconds (0 when none).
    column_hover_s : list of float
        Per plan with such waits: hover at approach points waiting for a free pad or
        drop-off column, seconds.
    depletions : list of dict
        Each battery that ran below 0: ``drone``, ``t_s`` (seconds) and ``x_m``, ``y_m``,
        ``z_m`` (metres) where its energy crossed 0, in the order found.
    """

    def __init__(self, position_m: np.ndarray, battery_wh: np.ndarray) -> None:
        n = int(position_m.shape[0])
        self.n_drones = n
        self.counters = Counters()
        self.energy_used_wh = 0.0
        self.busy_seconds = 0.0
        self.escapes: list[Escape] = []
        self.takeoff_delays_s: list[float] = []
        self.column_hover_s: list[float] = []
        self._charges: list[tuple[float, float, int, int]] = []
        self.depletions: list[dict] = []
        self._points = [
            (np.arange(n, dtype=np.int32), np.zeros(n), position_m.copy(), battery_wh.copy())
        ]
        self._states: list[tuple[float, int, int]] = [(0.0, d, IDLE) for d in range(n)]
        self._orders: list[tuple[float, int, int, int]] = []
        self._separation: list[tuple[float, int]] = [(0.0, 0)]
        self._losses_f: list[np.ndarray] = []
        self._losses_i: list[np.ndarray] = []

    # ------------------------------------------------------------------ appending
    def add_points(
        self, drone: np.ndarray, t_s: np.ndarray, xyz_m: np.ndarray, battery_wh: np.ndarray
    ) -> None:
        """Append flown points (copied): drone (int32), time (s), position (m, ``(k, 3)``)
        and battery (Wh), in any order."""
        self._points.append((drone.copy(), t_s.copy(), xyz_m.copy(), battery_wh.copy()))

    def add_depletion(self, drone: int, t_s: float, xyz_m) -> None:
        """Drone ``drone``'s battery crossed 0 at ``t_s`` seconds at ``xyz_m`` (metres)."""
        x, y, z = (float(v) for v in xyz_m)
        self.depletions.append(
            {"drone": int(drone), "t_s": float(t_s), "x_m": x, "y_m": y, "z_m": z}
        )

    def add_state(self, t_s: float, drone: int, state: int) -> None:
        """Drone ``drone`` entered state code ``state`` at ``t_s`` seconds."""
        self._states.append((t_s, drone, state))

    def add_order_event(self, t_s: float, order: int, kind: int, drone: int) -> None:
        """An order-log entry: event code ``kind`` (one of `vocabulary.ORDER_LOG_KINDS`)
        for ``order`` at ``t_s`` seconds, by ``drone`` (-1: none)."""
        self._orders.append((t_s, order, kind, drone))

    def add_charge(self, start_s: float, end_s: float, drone: int, depot: int) -> None:
        """Drone ``drone`` took a pad at depot ``depot`` at ``start_s`` to charge (or swap
        its battery) until ``end_s``, seconds."""
        self._charges.append((start_s, end_s, drone, depot))

    def add_separation(self, t_s: float, losses: int) -> None:
        """The cumulative count of losses of separation at ``t_s`` seconds."""
        self._separation.append((t_s, losses))

    def add_losses(self, rows_f: np.ndarray, rows_i: np.ndarray) -> None:
        """Append finished encounters (copied): rows of `sim._kernels.advance`'s closed
        encounters (``ENC_*`` floats; drone a, drone b, phase code)."""
        self._losses_f.append(np.array(rows_f, np.float64))
        self._losses_i.append(np.array(rows_i, np.int64))

    # ------------------------------------------------------------------ reading
    def losses(self, open_f: np.ndarray | None = None, open_i: np.ndarray | None = None) -> LossLog:
        """Every encounter so far: the finished ones, and ``open_f``/``open_i`` (rows as
        in `add_losses`) for those still in progress."""
        parts_f = [*self._losses_f, np.empty((0, K.ENC_FLOATS))]
        parts_i = [*self._losses_i, np.empty((0, K.ENC_INTS), np.int64)]
        if open_f is not None:
            parts_f.append(open_f)
            parts_i.append(open_i)
        return LossLog.from_rows(np.concatenate(parts_f), np.concatenate(parts_i))

    def trajectory(
        self, t_s: float, position_m: np.ndarray, battery_wh: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every drone's flown path up to ``t_s``, closed by its present point.

        Parameters
        ----------
        t_s : float
            The present time, seconds.
        position_m : numpy.ndarray, shape (n, 3)
            Each drone's position now, metres.
        battery_wh : numpy.ndarray, shape (n,)
            Each drone's battery now, watt-hours.

        Returns
        -------
        drone : numpy.ndarray of int32, t_s : numpy.ndarray, xyz_m : numpy.ndarray (N, 3),
        battery_wh : numpy.ndarray
            Sorted by drone then time; points repeated at the same time are kept once.
            Linear interpolation between a drone's consecutive points gives its exact
            position and battery.
        """
        drone = np.concatenate([part[0] for part in self._points])
        t = np.concatenate([part[1] for part in self._points])
        xyz = np.concatenate([part[2] for part in self._points])
        wh = np.concatenate([part[3] for part in self._points])
        n = self.n_drones
        drone = np.concatenate([drone, np.arange(n, dtype=np.int32)])
        t = np.concatenate([t, np.full(n, t_s)])
        xyz = np.concatenate([xyz, position_m])
        wh = np.concatenate([wh, battery_wh])
        order = np.lexsort((t, drone))
        drone, t, xyz, wh = drone[order], t[order], xyz[order], wh[order]
        keep = np.ones(len(t), bool)
        keep[1:] = (drone[1:] != drone[:-1]) | (t[1:] != t[:-1])
        return drone[keep], t[keep], xyz[keep], wh[keep]

    def state_changes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Drone-state changes ``(t_s, drone, code)``, sorted by time then drone (in the
        order logged among equals); every drone starts with ``IDLE`` at 0 s."""
        states = np.array(self._states, dtype=np.float64).reshape(-1, 3)
        states = states[np.lexsort((states[:, 1], states[:, 0]))]
        return states[:, 0], states[:, 1].astype(np.int64), states[:, 2].astype(np.int64)

    def order_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The order log in the order written: ``(t_s, order, kind, drone)``; ``kind`` is
        an event code of `vocabulary.ORDER_LOG_KINDS`, ``drone`` -1 when none."""
        log = np.array(self._orders, dtype=np.float64).reshape(-1, 4)
        return (
            log[:, 0],
            log[:, 1].astype(np.int64),
            log[:, 2].astype(np.int64),
            log[:, 3].astype(np.int64),
        )

    def charges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pad sessions in the order they began: ``(start_s, end_s, drone, depot)``; a
        session ends when the charge or swap is done (``end_s`` may lie past the run)."""
        log = np.array(self._charges, dtype=np.float64).reshape(-1, 4)
        return log[:, 0], log[:, 1], log[:, 2].astype(np.int64), log[:, 3].astype(np.int64)

    def separation_series(self) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative losses of separation over time: ``(t_s, losses)``, from ``(0, 0)``."""
        return (
            np.array([p[0] for p in self._separation], dtype=np.float64),
            np.array([p[1] for p in self._separation], dtype=np.int64),
        )
