"""`Snapshot`: the state of a run at one moment, all that a renderer needs.

A running `Simulation` and a loaded `Recording` both answer ``snapshot(t_s)`` and
``time_span``, so the live view and the replay draw the same thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The fleet, the orders and the airspace at time ``t_s``.

    Attributes
    ----------
    t_s : float
        Simulation time, seconds.
    clock_s : float
        Time of day, seconds after midnight.
    position_m : numpy.ndarray, shape (n, 3)
        Drone positions ``(x, y, z)``, metres (local frame).
    heading_rad : numpy.ndarray, shape (n,)
        Direction of travel, radians clockwise from north (0 when not moving horizontally).
    state : numpy.ndarray of int, shape (n,)
        State codes (`sim.vocabulary`); names in ``state_names``.
    battery_fraction : numpy.ndarray, shape (n,)
        Battery left, 0..1.
    payload_kg : numpy.ndarray, shape (n,)
    route_m : tuple of numpy.ndarray
        Each drone's remaining planned waypoints ``(k, 3)`` (empty when unknown).
    trail_m : tuple of numpy.ndarray
        Each drone's recent flown points ``(k, 3)``, oldest first, ending at its position.
    active_zones, upcoming_zones : tuple of int
        Indices of temporary zones active now, and of those that will activate later.
    zone_countdown_s : dict of int to float
        Seconds until each upcoming zone activates.
    order_pickup_m, order_dropoff_m : numpy.ndarray, shape (m, 2)
        Open orders (created, not yet delivered or failed).
    order_created_s, order_deadline_s : numpy.ndarray, shape (m,)
    order_carried : numpy.ndarray of bool, shape (m,)
        On board a drone.
    order_drone : numpy.ndarray of int, shape (m,)
        The drone assigned to each open order (-1: none yet).
    depot_pads, depot_in_use, depot_queue : numpy.ndarray of int, shape (k,)
        Pads, pads in use and drones waiting at each depot.
    delivered, late, failed, pending : int
        Order counts so far (late: delivered after the deadline).
    energy_used_wh : float
        Battery energy used by the fleet so far.
    separation_losses : int
        Losses of separation so far.
    state_names : tuple of str
        Name of each state code (`sim.vocabulary.STATE_NAMES` for a live run; a
        recording's own list when replayed).
    loss_pairs : numpy.ndarray of int64, shape (k, 2)
        Pairs of drones in loss of separation now (lower index first, sorted): the
        encounters begun before ``t_s`` and not over (`active_loss_pairs`).
    depot_pad_xy_m : tuple of numpy.ndarray, shape (pads, 2)
        Each depot's take-off and landing pads, metres (`sim.vertiports`; empty for
        recordings made before pads had positions).
    """

    t_s: float
    clock_s: float
    position_m: np.ndarray
    heading_rad: np.ndarray
    state: np.ndarray
    battery_fraction: np.ndarray
    payload_kg: np.ndarray
    route_m: tuple
    trail_m: tuple
    active_zones: tuple
    upcoming_zones: tuple
    zone_countdown_s: dict
    order_pickup_m: np.ndarray
    order_dropoff_m: np.ndarray
    order_created_s: np.ndarray
    order_deadline_s: np.ndarray
    order_carried: np.ndarray
    order_drone: np.ndarray
    depot_pads: np.ndarray
    depot_in_use: np.ndarray
    depot_queue: np.ndarray
    delivered: int
    late: int
    failed: int
    pending: int
    energy_used_wh: float
    separation_losses: int
    state_names: tuple
    loss_pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), np.int64))
    depot_pad_xy_m: tuple = ()

    @property
    def drones(self) -> int:
        return int(self.position_m.shape[0])

    def state_counts(self) -> dict[str, int]:
        """Drones in each state (names), in code order."""
        counts = np.bincount(self.state, minlength=len(self.state_names))
        return {name: int(count) for name, count in zip(self.state_names, counts)}


def active_loss_pairs(losses, t_s: float) -> np.ndarray:
    """The pairs of drones in loss of separation at ``t_s``, sorted, shape (k, 2): from a
    `sim.runlog.LossLog` (a live run's or a recording's, so that both agree)."""
    pairs = losses.drone[losses.active_at(t_s)].astype(np.int64).reshape(-1, 2)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def zone_timing(zones, t_s: float) -> tuple[tuple, tuple, dict]:
    """Active and upcoming temporary zones at ``t_s`` and the countdowns to activation."""
    active = []
    upcoming = []
    countdown = {}
    for index, zone in enumerate(zones):
        if not zone.is_temporary:
            continue
        if zone.active_at(t_s):
            active.append(index)
        elif zone.active_from_s is not None and zone.active_from_s > t_s:
            upcoming.append(index)
            countdown[index] = float(zone.active_from_s - t_s)
    return tuple(active), tuple(upcoming), countdown


def segment_heading(a: np.ndarray, b: np.ndarray) -> float:
    """Heading of the move a -> b, radians clockwise from north; 0 without horizontal motion."""
    dx = float(b[0] - a[0])
    dy = float(b[1] - a[1])
    return float(np.arctan2(dx, dy)) if dx or dy else 0.0


def route_ahead(position: np.ndarray, ahead: np.ndarray, on_ground_at_rest: bool) -> np.ndarray:
    """The remaining route shown for a drone: the points ahead up to its next landing,
    without repeats (holds) or points where it already is; nothing for a drone resting
    on the ground (live runs and recordings then show the same thing)."""
    if on_ground_at_rest or len(ahead) == 0:
        return np.empty((0, 3))
    ground = np.flatnonzero(ahead[:, 2] <= 0.0)
    ahead = ahead[: int(ground[0]) + 1 if len(ground) else len(ahead)]
    keep = np.ones(len(ahead), bool)
    keep[1:] = np.any(ahead[1:] != ahead[:-1], axis=1)
    keep &= np.any(ahead != position, axis=1)
    ahead = ahead[keep]
    # Points on the straight line between their neighbours add nothing (a recording's
    # closing point falls mid-segment); dropping them makes both sources agree.
    if len(ahead) >= 2:
        chain = np.concatenate([position[None, :], ahead])
        before, here, after = chain[:-2], chain[1:-1], chain[2:]
        cross = np.linalg.norm(np.cross(here - before, after - here), axis=1)
        forward = np.einsum("ij,ij->i", here - before, after - here) > 0
        scale = np.linalg.norm(after - before, axis=1) + 1e-12
        redundant = (cross / scale < 1e-6) & forward
        ahead = ahead[np.concatenate([~redundant, [True]])]
    return ahead


def trail_points(
    times: np.ndarray, xyz: np.ndarray, t_s: float, position: np.ndarray, trail_s: float
) -> np.ndarray:
    """Flown points of the last ``trail_s`` seconds (one per time), then the position now."""
    recent = (times >= t_s - trail_s) & (times <= t_s)
    times, xyz = times[recent], xyz[recent]
    keep = np.ones(len(times), bool)
    keep[1:] = times[1:] != times[:-1]
    return np.concatenate([xyz[keep], position[None, :]])
