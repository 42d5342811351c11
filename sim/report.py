"""The run report: its JSON schema (here and only here), building it, and its summary table.

Report fields (JSON object; units in the names):

==========================  ==========================================================
``scenario``, ``seed``      scenario name and the seed used
``sim_seconds``             simulated time
``wall_seconds``            wall-clock time of the run (set-up included)
``drones``                  fleet size
``orders_created``          orders placed during the run
``orders_delivered``        delivered (on time or late)
``orders_failed``           failed, each with a reason in ``failed_reasons``
``orders_pending``          neither (open, assigned or on board at the end);
                            created = delivered + failed + pending
``failed_reasons``          reason -> count (texts of `sim.vocabulary`: refused at
                            checkout outside the service area or over the payload
                            limit; expired for want of a drone in time, while the
                            depot's drones queued for a pad, after the routed trip
                            proved beyond reach, or after deconfliction refused every
                            slot; destination inside a zone; no route around a zone;
                            trip aborted)
``order_shares``            shares of all orders created: ``delivered_on_time``,
                            ``delivered_late``, ``failed`` (reason -> share) and
                            ``pending`` add up to 1; ``delivered`` is on time + late
``on_time_rate``            of delivered: delivered by the deadline / delivered (the
                            share of all orders is ``order_shares.delivered_on_time``)
``delivery_time_s``         creation to hand-over: ``mean``, ``p50``, ``p90``, ``p99``
``distance_km``             flown by the whole fleet: length of the 3-D paths, climbs
                            and descents included
``distance_horizontal_km``  the same projected on the ground (horizontal motion only)
``distance_vertical_km``    climbed and descended, summed
``energy_kwh``              battery energy used by the whole fleet
``energy_wh_per_delivery``  energy_kwh x 1000 / orders_delivered
``utilization``             share of drone-time spent on trips (flying, loading, delivering)
``separation_losses``       pairs of airborne drones (z > 0) that came closer than the
                            minima (horizontal and vertical), in every phase, measured
                            continuously between samples (closest approach of the
                            piecewise-linear paths); each pair counted once per
                            encounter (a stretch of time continuously in loss)
``separation_losses_by_phase`` the same by what both drones were doing when the loss
                            began: ``cruise`` (both moving horizontally), ``vertical``
                            (both in a column: climbing, descending, hovering),
                            ``mixed`` (one of each); they add up to the total
``separation_loss_pair_seconds`` time spent in those encounters, summed over pairs
``nofly_violations``        flown segments inside an active zone, one per segment and
                            zone (`sim.audit`: the zone's buffered footprint as the
                            planners block it, in its altitude band, while active);
                            a drone leaving a zone that switched on around it is
                            exempt from that zone only, along its way out
``building_intrusions``     flown segments inside a building, one per segment and
                            building (`sim.audit`: footprint grown by the horizontal
                            clearance, up to roof + vertical clearance); climbs,
                            descents, hand-over hovers and escapes included
``battery_depletions``      drones whose battery ran empty
``battery_depletion_events`` each of them: ``drone``, ``t_s``, ``x_m``, ``y_m``, ``z_m``
                            where the battery crossed 0 (gusts, ``wind.gust_fraction``,
                            can eat the reserve)
``replans``                 routes flown again because a zone switched on
``zone_escapes``            drones that were inside a zone when it switched on and
                            were led out along the shortest safe way
``escape_failures``         times a drone in the air found no safe way (out of a zone,
                            or on to its stops or a depot) and held its position
                            until the zones changed
``planner_calls``           calls to the route planner (distance-field routes excluded)
``rejected_trips``          dispatcher choices dropped because the routed trip was
                            unreachable or would break the reserve
``dispatch_rounds``         dispatch rounds run
``time_s``                  wall time in ``planning``, ``dispatch``, ``stepping``, ``setup``
``deconfliction``           the policy used
``takeoff_delay_s``         ground delay of departures from depots, waiting for a free
                            pad column (`sim.vertiports`): ``mean``, ``p90``, ``max``
                            (seconds; every departure counts, 0 when it waited not)
                            and ``departures``
``column_hover_s``          hover at approach points waiting for a free pad or
                            drop-off column, summed over the fleet, seconds
``depots``                  one row per depot (`DEPOT_COLUMNS`): ``orders`` picked up
                            there, ``delivered``, ``delivered_on_time``, ``failed``
                            (reason -> count), ``pending``, ``drones`` based there,
                            ``pads``, ``pad_sessions`` (charges or battery swaps
                            begun), ``pad_sessions_peak_per_hour`` (most begun in one
                            clock hour), ``pad_utilization`` (pad-time occupied /
                            pads x run time), ``idle_share`` (time its drones spent
                            idle on the ground, neither charging nor queuing / drones
                            x run time), ``dry_s`` (time, seconds, its orders waited
                            while no drone was available there: the depot ran dry)
==========================  ==========================================================
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from dronesim.sim.vocabulary import (
    DELIVERED,
    FAILED,
    IDLE,
    REASON_NO_CONFLICT_FREE_SLOT,
    REASON_NO_DRONE_IN_TIME,
    REASON_NO_ROUTE_AROUND_ZONE,
    REASON_OUTSIDE_SERVICE_AREA,
    REASON_OVER_PAYLOAD,
    REASON_PAD_QUEUE,
    REASON_ROUTE_BEYOND_REACH,
    REASON_TRIP_ABORTED,
)

# The columns of a row of ``Report.depots`` (see the module docstring).
DEPOT_COLUMNS = (
    "depot",
    "orders",
    "delivered",
    "delivered_on_time",
    "failed",
    "pending",
    "drones",
    "pads",
    "pad_sessions",
    "pad_sessions_peak_per_hour",
    "pad_utilization",
    "idle_share",
    "dry_s",
)


@dataclass
class Report:
    """What a run measured; see the module docstring for each field."""

    scenario: str
    seed: int
    sim_seconds: float
    wall_seconds: float
    drones: int
    orders_created: int
    orders_delivered: int
    orders_failed: int
    orders_pending: int
    failed_reasons: dict[str, int]
    order_shares: dict[str, Any]
    on_time_rate: float | None
    delivery_time_s: dict[str, float | None]
    distance_km: float
    distance_horizontal_km: float
    distance_vertical_km: float
    energy_kwh: float
    energy_wh_per_delivery: float | None
    utilization: float
    separation_losses: int
    separation_losses_by_phase: dict[str, int]
    separation_loss_pair_seconds: float
    nofly_violations: int
    building_intrusions: int
    battery_depletions: int
    battery_depletion_events: list[dict[str, float]]
    replans: int
    zone_escapes: int
    escape_failures: int
    planner_calls: int
    rejected_trips: int
    dispatch_rounds: int
    time_s: dict[str, float]
    deconfliction: str
    takeoff_delay_s: dict[str, float | None]
    column_hover_s: float
    depots: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def write(self, path: str | os.PathLike) -> None:
        """Write the JSON atomically (temporary file, then rename)."""
        atomic_write_bytes(Path(path), self.to_json().encode("utf-8"))

    @classmethod
    def read(cls, path: str | os.PathLike) -> Report:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        missing = [name for name in REPORT_FIELDS if name not in data]
        if missing:
            raise ValueError(f"{path}: not a dronesim report (missing {', '.join(missing)})")
        return cls(**{name: data[name] for name in REPORT_FIELDS})

    def deterministic(self) -> dict[str, Any]:
        """The fields that must repeat bit for bit for the same scenario and seed."""
        data = self.to_dict()
        data.pop("wall_seconds")
        data.pop("time_s")
        return data

    def summary(self) -> str:
        """A readable table of the run."""
        rows = [
            (
                "scenario",
                f"{self.scenario} (seed {self.seed}, {self.drones} drones, {self.sim_seconds / 3600:.1f} h simulated)",
            ),
            (
                "orders",
                f"{self.orders_created} created: {self.orders_delivered} delivered"
                f"{_pct(self.order_shares['delivered'])}, {self.orders_failed} failed"
                f"{_pct(sum(self.order_shares['failed'].values()))}, {self.orders_pending} pending"
                f"{_pct(self.order_shares['pending'])}",
            ),
            (
                "on time",
                "-"
                if self.on_time_rate is None
                else f"{100 * self.on_time_rate:.1f} % of deliveries, "
                f"{100 * self.order_shares['delivered_on_time']:.1f} % of all orders",
            ),
            ("delivery time", _times(self.delivery_time_s)),
            (
                "distance",
                f"{self.distance_km:.1f} km flown ({self.distance_horizontal_km:.1f} horizontal, "
                f"{self.distance_vertical_km:.1f} vertical)",
            ),
            (
                "energy",
                f"{self.energy_kwh:.2f} kWh"
                + (
                    ""
                    if self.energy_wh_per_delivery is None
                    else f", {self.energy_wh_per_delivery:.0f} Wh per delivery"
                ),
            ),
            ("utilization", f"{100 * self.utilization:.1f} % of drone time on trips"),
            (
                "pads",
                "-"
                if self.takeoff_delay_s["mean"] is None
                else f"take-off delay mean {self.takeoff_delay_s['mean']:.1f} s, p90 "
                f"{self.takeoff_delay_s['p90']:.1f} s over {self.takeoff_delay_s['departures']} "
                f"departures; {self.column_hover_s:.0f} s hovering for a free column",
            ),
            (
                "safety",
                f"{self.nofly_violations} no-fly violations, {self.building_intrusions} building intrusions, "
                f"{self.battery_depletions} battery depletions, "
                f"{self.separation_losses} losses of separation ("
                + ", ".join(f"{v} {k}" for k, v in self.separation_losses_by_phase.items())
                + f"; {self.deconfliction} deconfliction)",
            ),
            (
                "zones",
                f"{self.replans} replans, {self.zone_escapes} drones led out of a zone, "
                f"{self.escape_failures} held for want of a safe way",
            ),
            (
                "planning",
                f"{self.planner_calls} planner calls, {self.rejected_trips} trips rejected at routing",
            ),
            (
                "wall time",
                f"{self.wall_seconds:.2f} s (planning {self.time_s['planning']:.2f}, dispatch {self.time_s['dispatch']:.2f}, "
                f"stepping {self.time_s['stepping']:.2f}, set-up {self.time_s['setup']:.2f}); "
                f"{self.sim_seconds / max(self.wall_seconds, 1e-9):,.0f}x real time",
            ),
        ]
        if self.failed_reasons:
            rows.insert(
                2,
                (
                    "failures",
                    "; ".join(
                        f"{count} {reason}"
                        for reason, count in sorted(
                            self.failed_reasons.items(), key=lambda kv: -kv[1]
                        )
                    ),
                ),
            )
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        return "\n".join([*lines, "", *depot_table(self.depots)])


REPORT_FIELDS = tuple(item.name for item in fields(Report))


def _pct(share: float | None) -> str:
    return "" if share is None else f" ({100 * share:.1f} %)"


# Short labels of the failure reasons for the depot table (full texts in the JSON).
_SHORT_REASONS = {
    REASON_OUTSIDE_SERVICE_AREA: "area",
    REASON_OVER_PAYLOAD: "payload",
    REASON_NO_DRONE_IN_TIME: "capacity",
    REASON_PAD_QUEUE: "pads",
    REASON_ROUTE_BEYOND_REACH: "route",
    REASON_NO_CONFLICT_FREE_SLOT: "slot",
    REASON_NO_ROUTE_AROUND_ZONE: "no route",
    REASON_TRIP_ABORTED: "aborted",
}


def _short_reason(reason: str) -> str:
    if reason in _SHORT_REASONS:
        return _SHORT_REASONS[reason]
    return "zone" if reason.startswith("destination inside") else reason.split(":")[0]


def depot_table(depots: list[dict[str, Any]]) -> list[str]:
    """The per-depot rows of a report as aligned text lines (header first)."""
    header = (
        "depot", "orders", "delivered", "on time", "failed", "pending", "drones", "pads",
        "swaps/h peak", "pad use", "idle", "dry min", "failures",
    )  # fmt: skip
    table = [header]
    for row in depots:
        table.append(
            (
                str(row["depot"]),
                str(row["orders"]),
                str(row["delivered"]),
                str(row["delivered_on_time"]),
                str(sum(row["failed"].values())),
                str(row["pending"]),
                str(row["drones"]),
                str(row["pads"]),
                str(row["pad_sessions_peak_per_hour"]),
                f"{100 * row['pad_utilization']:.0f} %",
                f"{100 * row['idle_share']:.0f} %",
                f"{row['dry_s'] / 60:.0f}",
                ", ".join(
                    f"{count} {_short_reason(reason)}"
                    for reason, count in sorted(row["failed"].items(), key=lambda kv: -kv[1])
                )
                or "-",
            )
        )
    widths = [max(len(line[c]) for line in table) for c in range(len(header))]
    return [
        "  ".join(
            cell.ljust(widths[c]) if c in (0, len(header) - 1) else cell.rjust(widths[c])
            for c, cell in enumerate(line)
        ).rstrip()
        for line in table
    ]


def _times(stats: dict[str, float | None]) -> str:
    if stats["mean"] is None:
        return "-"
    return f"mean {stats['mean'] / 60:.1f} min, p50 {stats['p50'] / 60:.1f}, p90 {stats['p90'] / 60:.1f}, p99 {stats['p99'] / 60:.1f}"


def build_report(simulation, wall_seconds: float) -> Report:
    """Collect a finished (or paused) simulation's measurements into a `Report`.

    Parameters
    ----------
    simulation : sim.engine.Simulation
        Read through its public attributes and its run log (``simulation.log``).
    wall_seconds : float
        Wall-clock time of the run, seconds (set-up included).
    """
    s = simulation
    log = s.log
    delays = np.asarray(log.takeoff_delays_s, dtype=np.float64)
    created = s.created_count()
    status = s.order_status[:created]
    delivered = status == DELIVERED
    failed = status == FAILED
    times = (s.order_delivered_s[:created] - s.orders.created_s[:created])[delivered]
    on_time_mask = delivered & (s.order_delivered_s[:created] <= s.orders.deadline_s[:created])
    on_time = on_time_mask[delivered]
    reason_index = s.order_reason[:created]
    if failed.any() and (
        (reason_index[failed] < 0).any() or (reason_index[failed] >= len(s.reasons)).any()
    ):
        raise RuntimeError("a failed order carries no failure reason")
    reasons: dict[str, int] = {}
    for index in reason_index[failed]:
        reasons[s.reasons[index]] = reasons.get(s.reasons[index], 0) + 1
    reasons = dict(sorted(reasons.items()))
    pending = int(created - delivered.sum() - failed.sum())
    on_time_all = int(on_time.sum())
    late = int(delivered.sum()) - on_time_all
    shares: dict[str, Any] = {
        "delivered": int(delivered.sum()) / created if created else None,
        "delivered_on_time": on_time_all / created if created else None,
        "delivered_late": late / created if created else None,
        "failed": {reason: count / created for reason, count in reasons.items()},
        "pending": pending / created if created else None,
    }
    drone, t, xyz, _ = s.trajectory()
    same = drone[1:] == drone[:-1]
    step = np.diff(xyz, axis=0)[same]
    distance_m = float(np.linalg.norm(step, axis=1).sum())
    horizontal_m = float(np.hypot(step[:, 0], step[:, 1]).sum())
    vertical_m = float(np.abs(step[:, 2]).sum())
    energy_kwh = log.energy_used_wh / 1000.0
    return Report(
        scenario=s.scenario.name,
        seed=s.seed,
        sim_seconds=float(s.t),
        wall_seconds=float(wall_seconds),
        drones=int(s.n_drones),
        orders_created=int(created),
        orders_delivered=int(delivered.sum()),
        orders_failed=int(failed.sum()),
        orders_pending=pending,
        failed_reasons=reasons,
        order_shares=shares,
        on_time_rate=float(on_time.mean()) if delivered.any() else None,
        delivery_time_s={
            "mean": float(times.mean()) if len(times) else None,
            "p50": float(np.percentile(times, 50)) if len(times) else None,
            "p90": float(np.percentile(times, 90)) if len(times) else None,
            "p99": float(np.percentile(times, 99)) if len(times) else None,
        },
        distance_km=distance_m / 1000.0,
        distance_horizontal_km=horizontal_m / 1000.0,
        distance_vertical_km=vertical_m / 1000.0,
        energy_kwh=energy_kwh,
        energy_wh_per_delivery=(energy_kwh * 1000.0 / delivered.sum()) if delivered.any() else None,
        utilization=float(log.busy_seconds / max(s.n_drones * s.t, 1e-9)),
        separation_losses=int(log.counters.separation_losses),
        separation_losses_by_phase={
            k: int(v) for k, v in log.counters.separation_losses_by_phase.items()
        },
        separation_loss_pair_seconds=float(log.counters.separation_pair_seconds),
        nofly_violations=int(s.nofly_violations()),
        building_intrusions=int(s.building_intrusions()),
        battery_depletions=int(log.counters.battery_depletions),
        battery_depletion_events=[dict(event) for event in log.depletions],
        replans=int(log.counters.replans),
        zone_escapes=int(log.counters.zone_escapes),
        escape_failures=int(log.counters.escape_failures),
        planner_calls=int(s.planner_calls),
        rejected_trips=int(log.counters.rejected_trips),
        dispatch_rounds=int(log.counters.dispatch_rounds),
        time_s={
            **{k: float(v) for k, v in log.counters.timers.items()},
            "setup": float(s.setup_seconds),
        },
        deconfliction=s.scenario.deconfliction.policy,
        takeoff_delay_s={
            "mean": float(delays.mean()) if len(delays) else None,
            "p90": float(np.percentile(delays, 90)) if len(delays) else None,
            "max": float(delays.max()) if len(delays) else None,
            "departures": int(len(delays)),
        },
        column_hover_s=float(sum(log.column_hover_s)),
        depots=_depot_rows(s, created, status, on_time_mask, reason_index),
    )


def _depot_rows(s, created: int, status, on_time, reason_index) -> list[dict[str, Any]]:
    """One row per depot (`DEPOT_COLUMNS`), from the simulation's public attributes and
    its run log."""
    n_depots = len(s.pads)
    pickup = s.orders.pickup_depot[:created]
    run_s = float(s.t)
    start_s, end_s, _, depot_of = s.log.charges()
    occupied_s = np.minimum(end_s, run_s) - start_s
    clock_hour = np.floor((s.scenario.demand.start_hour * 3600.0 + start_s) / 3600.0).astype(
        np.int64
    )
    # Time each drone spent idle on the ground: its state-change intervals (each change
    # lasts until the drone's next one, the last until now) in state IDLE.
    t, drone, code = s.log.state_changes()
    by_drone = np.lexsort((t, drone))
    t, drone, code = t[by_drone], drone[by_drone], code[by_drone]
    until = np.append(t[1:], run_s)
    until[:-1][drone[1:] != drone[:-1]] = run_s
    idle_s = np.bincount(
        drone[code == IDLE], weights=(until - t)[code == IDLE], minlength=s.n_drones
    )
    rows = []
    for k in range(n_depots):
        mine = pickup == k
        failed_here = mine & (status == FAILED)
        failures: dict[str, int] = {}
        for index in reason_index[failed_here]:
            failures[s.reasons[index]] = failures.get(s.reasons[index], 0) + 1
        here = depot_of == k
        hours = np.bincount(clock_hour[here]) if here.any() else np.zeros(1, np.int64)
        based = s.home == k
        rows.append(
            {
                "depot": k,
                "orders": int(mine.sum()),
                "delivered": int((mine & (status == DELIVERED)).sum()),
                "delivered_on_time": int((mine & on_time).sum()),
                "failed": dict(sorted(failures.items())),
                "pending": int((mine & (status != DELIVERED) & (status != FAILED)).sum()),
                "drones": int(based.sum()),
                "pads": int(s.pads[k]),
                "pad_sessions": int(here.sum()),
                "pad_sessions_peak_per_hour": int(hours.max()),
                "pad_utilization": float(occupied_s[here].sum() / max(s.pads[k] * run_s, 1e-9)),
                "idle_share": float(idle_s[based].sum() / max(based.sum() * run_s, 1e-9)),
                "dry_s": float(s.depot_dry_s[k]),
            }
        )
    return rows


def atomic_write_bytes(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or chunks of bytes written one after the other, so that a
    large document need not be held whole) to ``path`` via a temporary file in the same
    directory and a rename.

    The file gets the mode a plain ``open(path, "wb")`` would give it: an existing file
    keeps its mode, a new one gets 0o666 less the process umask (the temporary file is
    created 0o600, so the mode is set before the rename).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, (bytes, bytearray, memoryview)):
                stream.write(data)
            else:
                for chunk in data:
                    stream.write(chunk)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:  # Linux: reading it leaves no window in which another thread sees umask 0
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
