"""The codes the engine, recordings, snapshots and the viewer share, defined once.

Drone states
    ``IDLE`` ... ``ESCAPING`` are the codes in ``Simulation.state``, in flight plans, in
    snapshots and in a recording's ``state_code``; ``STATE_NAMES[code]`` is the readable
    name (a recording stores the names in its ``meta``).
Events
    One code table for what happens at a waypoint (written into flight plans, reported by
    the stepping kernel) and what the order log records (a recording's
    ``order_event_kind``). Every code means one thing: ``EV_LANDED`` (a waypoint event)
    and ``EV_RETURNED`` (an order-log entry) are different codes.

    ====  ===============  ==========================================================
    code  name             where
    ====  ===============  ==========================================================
    -1    failed           order log: the order failed (reason in ``order_reason``)
     0    (none)           flight plans: a waypoint without an event
     1    picked up        flight plans and order log
     2    delivered        flight plans and order log
     3    landed           flight plans: the drone lands at a depot (argument: depot)
     4    returned         order log: the parcel was brought back undelivered
     5    assigned         order log: the order was given to a drone
    ====  ===============  ==========================================================
Order statuses
    ``OPEN`` ... ``FAILED``: ``Simulation.order_status`` and a recording's
    ``order_status``; names in ``ORDER_STATUS_NAMES``.
Failure reasons
    The texts a failed order carries into the report (``failed_reasons``) and the
    recording (``meta.reasons``). New reasons are added here.
"""

from __future__ import annotations

# Drone states -------------------------------------------------------------------------
(
    IDLE,
    CHARGING,
    WAITING_PAD,
    TAKEOFF,
    TO_PICKUP,
    PICKING_UP,
    TO_DROPOFF,
    DELIVERING,
    RETURNING,
    REPOSITIONING,
    ESCAPING,
) = range(11)
STATE_NAMES = (
    "idle",
    "charging",
    "waiting for pad",
    "taking off",
    "to pickup",
    "picking up",
    "to drop-off",
    "delivering",
    "returning",
    "repositioning",
    "leaving zone",
)
# States of a drone resting at a depot (no route is shown for it while on the ground).
REST_STATES = (IDLE, CHARGING, WAITING_PAD)
REST_STATE_NAMES = tuple(STATE_NAMES[code] for code in REST_STATES)

# Events (waypoints and order log) -----------------------------------------------------
EV_FAILED = -1
EV_NONE = 0
EV_PICKED = 1
EV_DELIVERED = 2
EV_LANDED = 3
EV_RETURNED = 4
EV_ASSIGNED = 5
EVENT_NAMES = {
    EV_FAILED: "failed",
    EV_NONE: "none",
    EV_PICKED: "picked up",
    EV_DELIVERED: "delivered",
    EV_LANDED: "landed",
    EV_RETURNED: "returned",
    EV_ASSIGNED: "assigned",
}
WAYPOINT_EVENTS = (EV_NONE, EV_PICKED, EV_DELIVERED, EV_LANDED)
ORDER_LOG_KINDS = (EV_FAILED, EV_PICKED, EV_DELIVERED, EV_RETURNED, EV_ASSIGNED)

# Order statuses -----------------------------------------------------------------------
OPEN, ASSIGNED, CARRIED, DELIVERED, FAILED = range(5)
ORDER_STATUS_NAMES = ("open", "assigned", "carried", "delivered", "failed")

# Trips --------------------------------------------------------------------------------
PICKUP, DROPOFF = 0, 1  # kinds of stop in a trip: ``(order, kind)`` (`sim.trips`)
PICKUP_TIME_S = 30.0  # on the ground at the depot to load a parcel

# Failure reasons ----------------------------------------------------------------------
# Refused at checkout (`sim.checkout`): no depot that could serve the order reaches its
# drop-off and a depot beyond it with the reserve left, with a full battery.
REASON_OUTSIDE_SERVICE_AREA = "outside the service area (refused at checkout)"
# Refused at checkout: the parcel is heavier than every aircraft type may carry.
REASON_OVER_PAYLOAD = "payload over every aircraft's limit (refused at checkout)"
# Expired although a full drone could fly it: the fleet had no drone for it in time.
REASON_NO_DRONE_IN_TIME = "expired: no drone in time (capacity)"
# Expired after waiting mostly while drones queued for its depot's pads and either none
# ready there had charge enough for it or the queue closed the depot to landings
# (`Simulation._open_orders`): the depot's pads, not its fleet, held it up.
REASON_PAD_QUEUE = "expired: depot's drones queued for a pad"
# Expired after a routed single-order trip for it (around buildings and zones, with the
# column waits of the time it was tried) needed more than a full battery less the
# reserve; the dispatcher keeps that energy as a lower bound and assigns it no more.
REASON_ROUTE_BEYOND_REACH = "expired: routed trip needed more than a full battery"
REASON_TRIP_ABORTED = "parcel returned: trip aborted"
REASON_NO_ROUTE_AROUND_ZONE = "no route around the no-fly zone"
# Expired after the deconfliction policy refused its trips (no conflict-free plan in time).
REASON_NO_CONFLICT_FREE_SLOT = "no conflict-free slot"


def reason_destination_in_zone(zone_name: str) -> str:
    """The failure text for an order whose drop-off lies in the active zone ``zone_name``."""
    return f"destination inside no-fly zone '{zone_name}'"


__all__ = [
    "ASSIGNED",
    "CARRIED",
    "CHARGING",
    "DELIVERED",
    "DELIVERING",
    "DROPOFF",
    "ESCAPING",
    "EVENT_NAMES",
    "EV_ASSIGNED",
    "EV_DELIVERED",
    "EV_FAILED",
    "EV_LANDED",
    "EV_NONE",
    "EV_PICKED",
    "EV_RETURNED",
    "FAILED",
    "IDLE",
    "OPEN",
    "ORDER_LOG_KINDS",
    "ORDER_STATUS_NAMES",
    "PICKING_UP",
    "PICKUP",
    "PICKUP_TIME_S",
    "REASON_NO_CONFLICT_FREE_SLOT",
    "REASON_NO_DRONE_IN_TIME",
    "REASON_NO_ROUTE_AROUND_ZONE",
    "REASON_OUTSIDE_SERVICE_AREA",
    "REASON_OVER_PAYLOAD",
    "REASON_PAD_QUEUE",
    "REASON_ROUTE_BEYOND_REACH",
    "REASON_TRIP_ABORTED",
    "REPOSITIONING",
    "REST_STATES",
    "REST_STATE_NAMES",
    "RETURNING",
    "STATE_NAMES",
    "TAKEOFF",
    "TO_DROPOFF",
    "TO_PICKUP",
    "WAITING_PAD",
    "WAYPOINT_EVENTS",
    "reason_destination_in_zone",
]
