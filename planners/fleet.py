"""Fleet scheduling: which drone serves which orders, in what sequence, and who charges.

The simulator's dispatcher calls `dispatch` every interval with the fleet's state and the
open orders. Everything heavy runs in the numba kernels of ``_fleet_kernels``; this module
validates and packs the inputs, runs a policy from the registry, and unpacks a
`DispatchPlan`.

Policies (``POLICIES``): ``greedy`` (first come, first served: each order in creation
order takes the cheapest free feasible drone), ``assignment`` (optimal one-order-per-drone
assignment for the chosen objective) and ``batching`` (the assignment, then multi-order
trips by cheapest insertion and relocate moves within an evaluation budget). Add your own
with `register_policy`, or from an installed package through an entry point in the group
``dronesim.policies`` (see `dronesim.planners.plugins`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from dronesim.planners import _fleet_kernels as F
from dronesim.planners.energy import DroneModel
from dronesim.planners.plugins import POLICY_GROUP, PluginError, find_plugin, plugin_names

OBJECTIVES = {"earliest": F.OBJ_EARLIEST, "lateness": F.OBJ_LATENESS, "energy": F.OBJ_ENERGY}


@dataclass(frozen=True)
class TravelModel:
    """How trips are estimated for scheduling.

    Parameters
    ----------
    detour_factor : float
        Route length over straight-line distance (>= 1): buildings and zones make routes
        longer; the simulator measures it on its map (distance fields from the depots).
    cruise_altitude_m : float
        Altitude flown between stops, metres.
    wind_mps : (float, float)
        Wind towards (east, north), m/s, at the cruise altitude (the simulator passes
        its forecast, `dronesim.planners.wind.WindField.forecast`, renewed each round).
    pickup_time_s : float
        Time on the ground at a pickup, seconds.
    """

    detour_factor: float = 1.25
    cruise_altitude_m: float = 50.0
    wind_mps: tuple[float, float] = (0.0, 0.0)
    pickup_time_s: float = 30.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1):
            raise ValueError(f"detour_factor must be >= 1, got {self.detour_factor!r}")
        if not (math.isfinite(self.cruise_altitude_m) and self.cruise_altitude_m > 10):
            raise ValueError(f"cruise_altitude_m must be > 10, got {self.cruise_altitude_m!r}")
        if len(self.wind_mps) != 2 or not all(math.isfinite(w) for w in self.wind_mps):
            raise ValueError(f"wind_mps must be two finite numbers, got {self.wind_mps!r}")
        if not (math.isfinite(self.pickup_time_s) and self.pickup_time_s >= 0):
            raise ValueError(f"pickup_time_s must be >= 0, got {self.pickup_time_s!r}")

    def as_array(self, model: DroneModel) -> np.ndarray:
        """Parameters in the order the kernels read them."""
        travel = np.empty(F.N_TRAVEL)
        travel[F.T_DETOUR] = self.detour_factor
        travel[F.T_CRUISE_ALT] = self.cruise_altitude_m
        travel[F.T_WIND_X] = self.wind_mps[0]
        travel[F.T_WIND_Y] = self.wind_mps[1]
        travel[F.T_SERVICE] = model.service_time_s
        travel[F.T_PICKUP_TIME] = self.pickup_time_s
        return travel


@dataclass
class FleetState:
    """Where each drone will be free, when, and with how much energy.

    Attributes
    ----------
    position_m : numpy.ndarray, shape (n, 3)
        ``(x, y, z)`` in metres when next free (z = 0 on the ground).
    free_s : numpy.ndarray, shape (n,)
        Time it becomes free, seconds.
    energy_wh : numpy.ndarray, shape (n,)
        Battery energy then, watt-hours.
    available : numpy.ndarray of bool, shape (n,)
        Whether it may take new work this round (not charging, not out of service).
    """

    position_m: np.ndarray
    free_s: np.ndarray
    energy_wh: np.ndarray
    available: np.ndarray

    def __post_init__(self) -> None:
        self.position_m = np.ascontiguousarray(self.position_m, dtype=np.float64).reshape(-1, 3)
        n = self.position_m.shape[0]
        self.free_s = _vector("free_s", self.free_s, n)
        self.energy_wh = _vector("energy_wh", self.energy_wh, n)
        self.available = np.asarray(self.available, dtype=bool).reshape(-1)
        if self.available.shape[0] != n:
            raise ValueError(f"available: expected {n} values, got {self.available.shape[0]}")
        if not np.isfinite(self.position_m).all():
            raise ValueError("position_m: coordinates must be finite")

    def __len__(self) -> int:
        return self.position_m.shape[0]


@dataclass
class OrderBatch:
    """Open orders to schedule.

    Attributes
    ----------
    pickup_m, dropoff_m : numpy.ndarray, shape (m, 2)
        Ground points ``(x, y)``, metres.
    weight_kg : numpy.ndarray, shape (m,)
    created_s, deadline_s : numpy.ndarray, shape (m,)
        Seconds.
    min_energy_wh : numpy.ndarray, shape (m,), optional
        A known lower bound on any trip's energy for each order (e.g. measured on the
        routed trip the last time it was tried), watt-hours; zero when unknown.
    """

    pickup_m: np.ndarray
    dropoff_m: np.ndarray
    weight_kg: np.ndarray
    created_s: np.ndarray
    deadline_s: np.ndarray
    min_energy_wh: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.pickup_m = np.ascontiguousarray(self.pickup_m, dtype=np.float64).reshape(-1, 2)
        n = self.pickup_m.shape[0]
        self.dropoff_m = np.ascontiguousarray(self.dropoff_m, dtype=np.float64).reshape(-1, 2)
        if self.dropoff_m.shape[0] != n:
            raise ValueError(f"dropoff_m: expected {n} points, got {self.dropoff_m.shape[0]}")
        self.weight_kg = _vector("weight_kg", self.weight_kg, n)
        self.created_s = _vector("created_s", self.created_s, n)
        self.deadline_s = _vector("deadline_s", self.deadline_s, n)
        self.min_energy_wh = (
            np.zeros(n)
            if self.min_energy_wh is None
            else _vector("min_energy_wh", self.min_energy_wh, n)
        )
        if (self.weight_kg < 0).any():
            raise ValueError(f"weight_kg: must be >= 0, got {self.weight_kg.min()}")

    def __len__(self) -> int:
        return self.pickup_m.shape[0]


@dataclass
class DepotState:
    """Depots and their charging pads.

    Attributes
    ----------
    position_m : numpy.ndarray, shape (k, 2)
    pads : numpy.ndarray of int, shape (k,)
        Pads at each depot.
    free_pads : numpy.ndarray of int, shape (k,)
        Pads free now.
    queue : numpy.ndarray of int, shape (k,)
        Drones waiting for a pad.
    """

    position_m: np.ndarray
    pads: np.ndarray
    free_pads: np.ndarray | None = None
    queue: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.position_m = np.ascontiguousarray(self.position_m, dtype=np.float64).reshape(-1, 2)
        k = self.position_m.shape[0]
        if k == 0:
            raise ValueError("depots: at least one depot is needed")
        self.pads = np.asarray(self.pads, dtype=np.int64).reshape(-1)
        self.free_pads = (
            self.pads.copy()
            if self.free_pads is None
            else np.asarray(self.free_pads, dtype=np.int64).reshape(-1)
        )
        self.queue = (
            np.zeros(k, np.int64)
            if self.queue is None
            else np.asarray(self.queue, dtype=np.int64).reshape(-1)
        )
        for name in ("pads", "free_pads", "queue"):
            if getattr(self, name).shape[0] != k:
                raise ValueError(f"{name}: expected {k} values, got {getattr(self, name).shape[0]}")

    @property
    def open(self) -> np.ndarray:
        """1 where a pad is free or the queue is shorter than the pads (soon free)."""
        return ((self.free_pads > 0) | (self.queue < self.pads)).astype(np.int64)


@dataclass
class TripEstimates:
    """Every drone serving every order alone (``(n_drones, n_orders)`` arrays).

    ``cost`` follows the objective (``inf`` where infeasible); ``delivered_s`` is the
    estimated delivery time; ``energy_wh`` the trip's energy including the flight home.
    """

    cost: np.ndarray
    delivered_s: np.ndarray
    energy_wh: np.ndarray
    home_depot: np.ndarray  # per order: the open depot nearest its drop-off
    home_s: np.ndarray
    home_wh: np.ndarray


@dataclass
class DispatchPlan:
    """What a dispatch round decided.

    Attributes
    ----------
    routes : list of numpy.ndarray
        Per drone, its stops in order as ``(order, kind)`` rows, kind 0 = pickup,
        1 = drop-off (empty: no new work).
    drone4order : numpy.ndarray of int
        Drone serving each order, -1 when none (the order stays open).
    charge_depot : numpy.ndarray of int
        Per drone, the depot it should go and charge at, -1 when not sent.
    rebalance_depot : numpy.ndarray of int
        Per drone, the depot it should reposition to, -1 when not moved.
    total_cost : float
        Objective of the plan (unassigned orders count ``unassigned_penalty`` each).
    evaluations : int
        Route evaluations spent improving it.
    """

    routes: list[np.ndarray]
    drone4order: np.ndarray
    charge_depot: np.ndarray
    rebalance_depot: np.ndarray
    total_cost: float
    evaluations: int = 0


def trip_estimates(
    fleet: FleetState,
    orders: OrderBatch,
    depots: DepotState,
    model: DroneModel,
    travel: TravelModel,
    now_s: float,
    objective: str = "earliest",
) -> TripEstimates:
    """Cost, delivery time and energy of every (drone, order) single-order trip.

    Unavailable drones get ``inf`` cost. Energy feasibility: the drone must land at the
    open depot nearest the drop-off with its reserve intact (counting at least the order's
    ``min_energy_wh``); payload must not exceed the model's maximum.
    """
    code = _objective(objective)
    params = model.as_array()
    travel_array = travel.as_array(model)
    home_depot, home_s, home_wh = F.nearest_depots(
        params, travel_array, orders.dropoff_m, depots.position_m, depots.open
    )
    cost, delivered, energy = F.single_order_costs(
        params,
        travel_array,
        code,
        float(now_s),
        fleet.position_m,
        np.maximum(fleet.free_s, now_s),
        fleet.energy_wh,
        orders.pickup_m,
        orders.dropoff_m,
        orders.weight_kg,
        orders.deadline_s,
        home_s,
        home_wh,
    )
    cost[~fleet.available, :] = np.inf
    if orders.min_energy_wh.any():
        energy = np.maximum(energy, orders.min_energy_wh[None, :])
        cost[fleet.energy_wh[:, None] - energy < model.reserve_wh - 1e-9] = np.inf
    return TripEstimates(cost, delivered, energy, home_depot, home_s, home_wh)


def solve_assignment(cost: np.ndarray) -> np.ndarray:
    """Optimal assignment of rows (drones) to columns (orders) with infeasible pairs.

    Maximises the number of feasible pairs first and then minimises their total cost,
    for any shape. Infeasible pairs are ``inf`` (or NaN) in ``cost``.

    Returns
    -------
    numpy.ndarray of int
        ``col4row``: the column of each row, -1 where the row gets none.
    """
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2:
        raise ValueError(f"cost must be a 2D matrix, got shape {cost.shape}")
    n_rows, n_cols = cost.shape
    if n_rows == 0 or n_cols == 0:
        return np.full(n_rows, -1, np.int64)
    feasible = np.isfinite(cost)
    if not feasible.any():
        return np.full(n_rows, -1, np.int64)
    finite = cost[feasible]
    finite_min = finite.min() if (finite < 0).any() else 0.0
    # A stand-in cost for infeasible pairs so large that one more feasible pair always
    # beats any saving on the others: then the optimum maximises the feasible pairs.
    span = float(finite.max() - finite_min) + 1.0
    big = span * (min(n_rows, n_cols) + 1)
    work = np.where(feasible, cost - finite_min, big)
    transposed = n_rows > n_cols
    # Always C order: the kernel is compiled once per memory layout.
    work = np.ascontiguousarray(work.T if transposed else work)
    col4row = F.linear_sum_assignment(work)
    if transposed:
        row4col = col4row
        col4row = np.full(n_rows, -1, np.int64)
        col4row[row4col] = np.arange(n_cols)
    assigned = col4row >= 0
    rows = np.flatnonzero(assigned)
    bad = ~feasible[rows, col4row[rows]]
    col4row[rows[bad]] = -1
    return col4row


@runtime_checkable
class DispatchPolicy(Protocol):
    """A dispatch policy: decides routes from trip estimates."""

    name: str

    def plan(self, problem: DispatchProblem) -> DispatchPlan: ...


@dataclass
class DispatchProblem:
    """Everything a policy sees in one round."""

    fleet: FleetState
    orders: OrderBatch
    depots: DepotState
    model: DroneModel
    travel: TravelModel
    now_s: float
    objective: str
    estimates: TripEstimates
    unassigned_penalty: float


@dataclass
class GreedyPolicy:
    """Baseline: first come, first served, each order to its cheapest free feasible drone."""

    name: str = "greedy"

    def plan(self, problem: DispatchProblem) -> DispatchPlan:
        drone4order = F.greedy_first_come(
            problem.estimates.cost, np.argsort(problem.orders.created_s, kind="stable")
        )
        return _single_order_plan(problem, drone4order)


@dataclass
class AssignmentPolicy:
    """Optimal assignment, one order per drone, for the round's objective."""

    name: str = "assignment"

    def plan(self, problem: DispatchProblem) -> DispatchPlan:
        col4row = solve_assignment(problem.estimates.cost)
        drone4order = np.full(len(problem.orders), -1, np.int64)
        rows = np.flatnonzero(col4row >= 0)
        drone4order[col4row[rows]] = rows
        return _single_order_plan(problem, drone4order)


@dataclass
class BatchingPolicy:
    """The optimal assignment, then multi-order trips: cheapest insertion of the orders
    left over and relocate moves, within ``budget`` route evaluations (deterministic).

    Parameters
    ----------
    max_orders : int
        Most orders one drone carries on a trip.
    candidates : int
        Drones tried for each order (those with the cheapest single-order trip).
    budget : int
        Route evaluations allowed per round.
    """

    name: str = "batching"
    max_orders: int = 3
    candidates: int = 12
    budget: int = 200_000

    def plan(self, problem: DispatchProblem) -> DispatchPlan:
        start = AssignmentPolicy().plan(problem)
        n_d = len(problem.fleet)
        routes = np.full((n_d, 2 * self.max_orders), -1, np.int64)
        lengths = np.zeros(n_d, np.int64)
        for o, d in enumerate(start.drone4order):
            if d >= 0:
                routes[d, 0], routes[d, 1] = 2 * o, 2 * o + 1
                lengths[d] = 2
        cost = problem.estimates.cost
        k = min(self.candidates, n_d)
        # The drones with the cheapest single-order trip for each order (stable: index ties).
        order_of = np.argsort(np.where(np.isfinite(cost), cost, np.inf).T, axis=1, kind="stable")[
            :, :k
        ]
        candidates = np.where(
            np.isfinite(np.take_along_axis(cost.T, order_of, axis=1)), order_of, -1
        )
        candidates = np.ascontiguousarray(candidates, dtype=np.int64)
        drone4order = start.drone4order.copy()
        params = problem.model.as_array()
        travel = problem.travel.as_array(problem.model)
        orders = problem.orders
        fleet = problem.fleet
        total, evaluations = F.improve_routes(
            params,
            travel,
            _objective(problem.objective),
            float(problem.now_s),
            float(problem.unassigned_penalty),
            fleet.position_m,
            np.maximum(fleet.free_s, problem.now_s),
            fleet.energy_wh,
            orders.pickup_m,
            orders.dropoff_m,
            orders.weight_kg,
            orders.deadline_s,
            problem.estimates.home_s,
            problem.estimates.home_wh,
            routes,
            lengths,
            drone4order,
            candidates,
            int(self.budget),
            np.argsort(orders.deadline_s, kind="stable"),
        )
        return DispatchPlan(
            routes=[_stops(routes[d, : lengths[d]]) for d in range(n_d)],
            drone4order=drone4order,
            charge_depot=np.full(n_d, -1, np.int64),
            rebalance_depot=np.full(n_d, -1, np.int64),
            total_cost=float(total),
            evaluations=int(evaluations),
        )


POLICIES: dict[str, DispatchPolicy] = {
    policy.name: policy for policy in (GreedyPolicy(), AssignmentPolicy(), BatchingPolicy())
}


def register_policy(policy: DispatchPolicy, *, replace: bool = False) -> DispatchPolicy:
    """Add a dispatch policy to the registry under its name."""
    if not isinstance(policy, DispatchPolicy):
        raise ValueError(f"a dispatch policy needs 'name' and 'plan(problem)', got {policy!r}")
    if policy.name in POLICIES and not replace:
        raise ValueError(f"a dispatch policy named {policy.name!r} is already registered")
    POLICIES[policy.name] = policy
    return policy


def find_policy(name: str) -> DispatchPolicy | None:
    """A registered policy, or one an installed package declares in the entry-point group
    ``dronesim.policies`` (loaded and registered on first use); None if neither.

    Raises
    ------
    PluginError
        The entry point does not load or its object is not a policy of that name.
    """
    return find_plugin(
        POLICIES,
        POLICY_GROUP,
        name,
        lambda target: isinstance(target, DispatchPolicy),
        "a dispatch policy",
        "'name' and 'plan(problem)'",
        register_policy,
    )


def policy_names() -> list[str]:
    """Registered policy names, then those installed packages declare as entry points."""
    return plugin_names(POLICIES, POLICY_GROUP)


def get_policy(name: str | DispatchPolicy) -> DispatchPolicy:
    """A policy by registered name (or entry point), or the policy itself.

    Raises
    ------
    PluginError
        Unknown name (listing the known ones), or an entry point that does not load.
    """
    if isinstance(name, DispatchPolicy):
        return name
    found = find_policy(name) if isinstance(name, str) else None
    if found is None:
        raise PluginError(f"unknown dispatch policy {name!r}; known: {', '.join(policy_names())}")
    return found


def dispatch(
    fleet: FleetState,
    orders: OrderBatch,
    depots: DepotState,
    model: DroneModel,
    travel: TravelModel,
    now_s: float,
    *,
    policy: str | DispatchPolicy = "assignment",
    objective: str = "earliest",
    charge_threshold: float = 0.35,
    unassigned_penalty: float | None = None,
    forecast_per_depot: np.ndarray | None = None,
) -> DispatchPlan:
    """One dispatch round: assign orders, then send drones to charge or to rebalance.

    Parameters
    ----------
    fleet, orders, depots : FleetState, OrderBatch, DepotState
    model : DroneModel
    travel : TravelModel
    now_s : float
        Current time, seconds.
    policy : str or DispatchPolicy
        ``"greedy"``, ``"assignment"``, ``"batching"`` or a registered/user policy.
    objective : {"earliest", "lateness", "energy"}
    charge_threshold : float
        Share of battery below which an available drone without new work goes to charge.
    unassigned_penalty : float, optional
        Cost of leaving an order open (default: four times the dearest feasible trip).
    forecast_per_depot : numpy.ndarray, optional
        Orders expected near each depot over the coming interval; idle drones move from
        depots with more drones than forecast demand to depots with fewer.

    Returns
    -------
    DispatchPlan
    """
    if not 0 <= charge_threshold < 1:
        raise ValueError(f"charge_threshold must be in [0, 1), got {charge_threshold!r}")
    estimates = trip_estimates(fleet, orders, depots, model, travel, now_s, objective)
    if unassigned_penalty is None:
        finite = estimates.cost[np.isfinite(estimates.cost)]
        # An order left open is served in a later round at a worse cost; four times the
        # dearest single trip makes batching take an order whenever it fits.
        unassigned_penalty = float(4 * finite.max() + 1) if finite.size else 1.0
    problem = DispatchProblem(
        fleet, orders, depots, model, travel, float(now_s), objective, estimates, unassigned_penalty
    )
    plan = get_policy(policy).plan(problem)
    busy = np.array([len(route) > 0 for route in plan.routes], dtype=bool)
    idle = fleet.available & ~busy
    low = fleet.energy_wh < charge_threshold * model.battery_wh
    # An idle drone with no feasible order left charges too: it could not have served one.
    could_serve = (
        np.isfinite(estimates.cost).any(axis=1) if len(orders) else np.ones(len(fleet), bool)
    )
    needs_charge = idle & (low | (~could_serve & (fleet.energy_wh < model.battery_wh - 1e-9)))
    params = model.as_array()
    travel_array = travel.as_array(model)
    charge_s = model.charge_time_s(model.battery_wh * (1 - charge_threshold))
    depot4drone, _ = F.choose_charging(
        params,
        travel_array,
        fleet.position_m,
        fleet.energy_wh,
        needs_charge,
        depots.position_m,
        depots.pads,
        depots.free_pads,
        depots.queue,
        float(charge_s),
        np.argsort(fleet.energy_wh, kind="stable"),
    )
    plan.charge_depot = depot4drone
    if forecast_per_depot is not None:
        plan.rebalance_depot = rebalance(
            fleet, depots, model, travel, idle & ~needs_charge, forecast_per_depot
        )
    return plan


def rebalance(
    fleet: FleetState,
    depots: DepotState,
    model: DroneModel,
    travel: TravelModel,
    movable: np.ndarray,
    forecast_per_depot: np.ndarray,
) -> np.ndarray:
    """Move idle drones from depots with spare drones to depots short of forecast demand.

    A drone counts at the depot it stands on (within 1 m). Shortfall slots are filled by
    an optimal assignment on flight time among the spare drones that can get there: in
    one flight with their reserve, or in hops between depots (`depot_hops`; the cost is
    the whole chain, the target the first hop). Returns the target depot per drone (-1:
    stays).
    """
    forecast = np.asarray(forecast_per_depot, dtype=np.float64).reshape(-1)
    k = depots.position_m.shape[0]
    if forecast.shape[0] != k:
        raise ValueError(f"forecast_per_depot: expected {k} values, got {forecast.shape[0]}")
    target = np.full(len(fleet), -1, np.int64)
    on_ground = fleet.position_m[:, 2] <= 1e-6
    distance = np.hypot(
        fleet.position_m[:, None, 0] - depots.position_m[None, :, 0],
        fleet.position_m[:, None, 1] - depots.position_m[None, :, 1],
    )
    at_depot = np.where(on_ground & (distance.min(axis=1) <= 1.0), distance.argmin(axis=1), -1)
    supply = np.bincount(at_depot[movable & (at_depot >= 0)], minlength=k)
    need = np.ceil(forecast).astype(np.int64)
    surplus = np.maximum(supply - need, 0)
    deficit = np.maximum(need - supply, 0)
    if surplus.sum() == 0 or deficit.sum() == 0:
        return target
    # Spare drones: at each surplus depot, the fullest batteries leave first.
    spare = []
    for depot in np.flatnonzero(surplus):
        here = np.flatnonzero(movable & (at_depot == depot))
        here = here[np.argsort(-fleet.energy_wh[here], kind="stable")]
        spare.extend(here[: surplus[depot]].tolist())
    slots = np.repeat(np.arange(k), deficit)
    spare = np.array(spare, np.int64)
    depot_xyz = np.c_[depots.position_m, np.zeros(k)]
    params, travel_array = model.as_array(), travel.as_array(model)
    seconds, energy = F.fly_matrix(params, travel_array, 0.0, fleet.position_m[spare], depot_xyz)
    reachable = fleet.energy_wh[spare, None] - energy >= model.reserve_wh
    # A depot out of one flight's reach is reached in hops between depots (a battery swap
    # or charge at each): the drone flies the first hop now, and later rounds, seeing the
    # deficit still there, send it on.
    hop_s, _ = depot_hops(model, travel, depots.position_m)
    turnaround_s = model.charge_time_s(model.battery_wh - model.reserve_wh)
    short = np.flatnonzero(deficit)  # destinations
    # (Not through the depot it stands at: that is no first hop.)
    onward = reachable.copy()
    onward[np.arange(len(spare)), at_depot[spare]] = False
    via = np.where(onward, seconds, np.inf)[:, :, None] + turnaround_s + hop_s[None, :, short]
    first_hop = np.argmin(via, axis=1)  # (spare, destination)
    hops_s = np.take_along_axis(via, first_hop[:, None, :], axis=1)[:, 0, :]
    direct = reachable[:, short]
    column = np.searchsorted(short, slots)
    cost = np.where(direct, seconds[:, short], hops_s)[:, column]
    col4row = solve_assignment(cost)
    for row, col in enumerate(col4row):
        if col >= 0:
            c = column[col]
            target[spare[row]] = short[c] if direct[row, c] else first_hop[row, c]
    return target


def depot_hops(
    model: DroneModel, travel: TravelModel, depots_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest flights between depots in hops a full battery can fly (its reserve kept),
    with a battery turnaround (`DroneModel.charge_time_s`) at every depot in between.

    Parameters
    ----------
    model : DroneModel
    travel : TravelModel
    depots_m : numpy.ndarray, shape (k, 2)
        Depot positions, metres.

    Returns
    -------
    seconds : numpy.ndarray, shape (k, k)
        Time from depot ``a`` to depot ``b``, seconds (0 on the diagonal, ``inf`` where no
        chain of hops connects them).
    next_hop : numpy.ndarray of int, shape (k, k)
        The first depot to fly to from ``a`` on the way to ``b`` (``b`` itself for one hop;
        -1 where unreachable or ``a == b``).
    """
    k = depots_m.shape[0]
    xyz = np.c_[np.asarray(depots_m, np.float64).reshape(-1, 2), np.zeros(k)]
    leg_s, leg_wh = F.fly_matrix(model.as_array(), travel.as_array(model), 0.0, xyz, xyz)
    turnaround_s = model.charge_time_s(model.battery_wh - model.reserve_wh)
    one_hop = leg_wh <= model.battery_wh - model.reserve_wh
    seconds = np.where(one_hop, leg_s + turnaround_s, np.inf)
    np.fill_diagonal(seconds, 0.0)
    next_hop = np.where(one_hop, np.arange(k)[None, :], -1)
    np.fill_diagonal(next_hop, -1)
    for m in range(k):  # Floyd-Warshall
        through = seconds[:, m, None] + seconds[None, m, :]
        better = through < seconds
        seconds = np.where(better, through, seconds)
        next_hop = np.where(better, next_hop[:, m, None], next_hop)
    # The last hop needs no turnaround: the drone stays at its destination.
    seconds = np.where(np.isfinite(seconds) & (seconds > 0), seconds - turnaround_s, seconds)
    return seconds, next_hop


def _single_order_plan(problem: DispatchProblem, drone4order: np.ndarray) -> DispatchPlan:
    n_d = len(problem.fleet)
    routes = [np.empty((0, 2), np.int64) for _ in range(n_d)]
    total = 0.0
    for o, d in enumerate(drone4order):
        if d >= 0:
            routes[d] = np.array([[o, 0], [o, 1]], dtype=np.int64)
            total += problem.estimates.cost[d, o]
        else:
            total += problem.unassigned_penalty
    return DispatchPlan(
        routes,
        np.asarray(drone4order, np.int64),
        np.full(n_d, -1, np.int64),
        np.full(n_d, -1, np.int64),
        total,
    )


def _stops(encoded: np.ndarray) -> np.ndarray:
    return (
        np.stack([encoded >> 1, encoded & 1], axis=1).astype(np.int64)
        if len(encoded)
        else np.empty((0, 2), np.int64)
    )


def _vector(name: str, values, n: int) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    if array.shape[0] != n:
        raise ValueError(f"{name}: expected {n} values, got {array.shape[0]}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: values must be finite")
    return array


def _objective(name: str) -> int:
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(
            f"objective must be one of {', '.join(OBJECTIVES)}, got {name!r}"
        ) from None


__all__ = [
    "AssignmentPolicy",
    "BatchingPolicy",
    "DepotState",
    "DispatchPlan",
    "DispatchPolicy",
    "DispatchProblem",
    "FleetState",
    "GreedyPolicy",
    "OBJECTIVES",
    "OrderBatch",
    "POLICIES",
    "TravelModel",
    "TripEstimates",
    "depot_hops",
    "dispatch",
    "find_policy",
    "get_policy",
    "policy_names",
    "rebalance",
    "register_policy",
    "solve_assignment",
    "trip_estimates",
]
