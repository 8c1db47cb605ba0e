"""Coordinators' changes to a plan, each checked before it is applied.

A change is applied to a copy of the current routes, the touched routes are
re-timed (:mod:`dispatch.engine.timing`), and the whole plan is judged by the
engine's validator. Violations the change would *add* are answered with 409
and the list, and nothing is written, unless the coordinator overrides. An
applied change becomes the plan's next version and an audit entry with
before and after.
"""

from __future__ import annotations

from booking.errors import Conflict, NotFound, Unprocessable
from booking.extensions import db
from booking.models import Booking, User
from dispatch.day import DayData, build_day, lab_key, local_seconds, technician_key, visit_id
from dispatch.engine import validate
from dispatch.engine.result import LabDrop, Plan, Route, Stop, Unassigned, UnassignedReason
from dispatch.engine.timing import timed_route
from dispatch.models import DispatchPlan, PlanVersion, ShiftException
from dispatch.plans import audit, bump_revision, store_version, version
from dispatch.shapes import violation_view

BY_COORDINATOR = ("unassigned_by_coordinator", "Taken off the routes by a coordinator.")
TECH_AWAY = ("technician_unavailable", "The technician is unavailable for the day.")
NOT_PLANNED = ("not_yet_planned", "Booked after the plan was made; add it or re-optimize.")


class _Draft:
    """The routes of a version as booking ids, with pins and unassigned reasons, being edited."""

    def __init__(self, v: PlanVersion):
        self.routes: dict[int, list[int]] = {}
        for stop in sorted(v.stops, key=lambda s: (s.technician_id, s.position)):
            self.routes.setdefault(stop.technician_id, []).append(stop.booking_id)
        self.original = {t: list(ids) for t, ids in self.routes.items()}
        self.pins = {s.booking_id for s in v.stops if s.pinned}
        self.reasons = {u.booking_id: (u.reason, u.message) for u in v.unassigned}

    def where(self, booking_id: int) -> tuple[int | None, int | None]:
        for tech_id, ids in self.routes.items():
            if booking_id in ids:
                return tech_id, ids.index(booking_id)
        return None, None

    def take_out(self, booking_id: int) -> None:
        tech_id, position = self.where(booking_id)
        if tech_id is not None:
            self.routes[tech_id].pop(position)
        self.reasons.pop(booking_id, None)

    def put(self, booking_id: int, tech_id: int, position: int | None) -> None:
        self.take_out(booking_id)
        route = self.routes.setdefault(tech_id, [])
        route.insert(len(route) if position is None else min(position, len(route)), booking_id)


def _state(draft: _Draft, day: DayData, v: PlanVersion) -> Plan:
    """A core plan of ``draft``: untouched routes keep their stored times, changed ones are re-timed."""
    known = {b.id for b in day.bookings}
    on_shift = {t.id for t in day.technicians}
    routes, routed = [], set()
    for tech_id, ids in draft.routes.items():
        ids = [b for b in ids if b in known]
        if not ids or tech_id not in on_shift:
            continue
        routed.update(ids)
        if ids == draft.original.get(tech_id):
            routes.append(_stored_route(day, v, tech_id))
        else:
            routes.append(timed_route(day.problem, technician_key(tech_id), [visit_id(b) for b in ids]))
    unassigned = [
        Unassigned(visit_id(b.id), UnassignedReason.NO_CAPACITY, "")
        for b in day.bookings
        if b.id not in routed
    ]
    return Plan(tuple(routes), tuple(unassigned), sum(r.travel_time for r in routes), "MANUAL")


def _stored_route(day: DayData, v: PlanVersion, tech_id: int) -> Route:
    route = next(r for r in v.routes if r.technician_id == tech_id)
    stops = sorted((s for s in v.stops if s.technician_id == tech_id), key=lambda s: s.position)
    seconds = lambda t: local_seconds(day.origin, t)  # noqa: E731
    lab = LabDrop(lab_key(route.lab_id), seconds(route.lab_arrival)) if route.lab_id else None
    return Route(
        technician_key(tech_id),
        tuple(
            Stop(visit_id(s.booking_id), seconds(s.arrival), seconds(s.service_start), seconds(s.departure))
            for s in stops
        ),
        seconds(route.starts_at),
        seconds(route.ends_at),
        route.drive_seconds,
        route.distance_m,
        lab,
    )


def _violations(day: DayData, core: Plan) -> list[dict]:
    return [violation_view(v, day.origin, day.region) for v in validate(day.problem, core)]


def _no_room(booking_id: int) -> dict:
    return {
        "kind": "no_room",
        "message": "No feasible insertion found.",
        "booking_id": booking_id,
        "technician_id": None,
        "lab_id": None,
        "time": None,
        "limit": None,
        "windows": [],
        "amount": None,
        "maximum": None,
    }


def _on_shift(day: DayData, technician_id: int) -> None:
    if technician_id not in {t.id for t in day.technicians}:
        raise Unprocessable(
            f"Technician {technician_id} is not on shift in this region that day.",
            errors={"technician_id": ["Not on shift that day."]},
        )


def _booking_of_day(day: DayData, booking_id: int) -> Booking:
    booking = next((b for b in day.bookings if b.id == booking_id), None)
    if booking is None:
        raise NotFound(
            f"Booking {booking_id} is not an open home or office visit of this plan's day and region."
        )
    return booking


def _best_insertion(day: DayData, draft: _Draft, v: PlanVersion, booking_id: int) -> tuple[int, int] | None:
    """The cheapest (technician, position) that keeps every rule, or None."""
    best = None
    base = _state(draft, day, v)
    base_violations = len(validate(day.problem, base))
    for tech in day.technicians:
        ids = [b for b in draft.routes.get(tech.id, []) if b != booking_id]
        for position in range(len(ids) + 1):
            trial = ids[:position] + [booking_id] + ids[position:]
            route = timed_route(day.problem, technician_key(tech.id), [visit_id(b) for b in trial])
            others = [r for r in base.routes if r.technician_id != route.technician_id]
            plan = Plan(
                tuple(others + [route]),
                tuple(u for u in base.unassigned if u.visit_id != visit_id(booking_id)),
                0,
                "MANUAL",
            )
            if len(validate(day.problem, plan)) > base_violations:
                continue
            before = next((r.travel_time for r in base.routes if r.technician_id == route.technician_id), 0)
            cost = route.travel_time - before
            if best is None or cost < best[0]:
                best = (cost, tech.id, position)
    return None if best is None else (best[1], best[2])


def _apply(action: str, data: dict, draft: _Draft, day: DayData, v: PlanVersion, plan: DispatchPlan) -> dict:
    """Change ``draft`` in place; returns what the audit records as 'after'."""
    booking_id, tech_id, position = data.get("booking_id"), data.get("technician_id"), data.get("position")
    if action == "technician_unavailable":
        _on_shift(day, tech_id)
        for b in draft.routes.pop(tech_id, []):
            draft.reasons[b] = TECH_AWAY
            draft.pins.discard(b)
        db.session.add(
            ShiftException(
                technician_id=tech_id,
                day=plan.day,
                kind="unavailable",
                reason=data.get("reason") or "marked unavailable on the plan",
            )
        )
        return {"technician_id": tech_id, "available": False}
    _booking_of_day(day, booking_id)
    current_tech, _ = draft.where(booking_id)
    if action in ("pin", "unpin"):
        if current_tech is None:
            raise Conflict(f"Booking {booking_id} is not on a route; move it to a technician first.")
        (draft.pins.add if action == "pin" else draft.pins.discard)(booking_id)
        return {"pinned": action == "pin", "technician_id": current_tech}
    if action == "unassign":
        draft.take_out(booking_id)
        draft.pins.discard(booking_id)
        draft.reasons[booking_id] = BY_COORDINATOR
        return {"technician_id": None}
    if action == "add_booking" and tech_id is None:
        if current_tech is not None:
            raise Conflict(f"Booking {booking_id} is on a route already.")
        found = _best_insertion(day, draft, v, booking_id)
        if found is None:
            if not data["override"]:
                raise Conflict(
                    f"No technician's route can take booking {booking_id} without breaking a rule.",
                    errors={"violations": [_no_room(booking_id)]},
                )
            draft.reasons[booking_id] = NOT_PLANNED
            return {"technician_id": None}
        tech_id, position = found
    _on_shift(day, tech_id)
    draft.put(
        booking_id, tech_id, position
    )  # a pinned visit moved by hand stays pinned, to its new technician
    return {"technician_id": tech_id, "position": draft.where(booking_id)[1]}


def apply_change(plan: DispatchPlan, actor: User, data: dict, expected: int) -> PlanVersion:
    """Apply one change as a new version, or answer what it would break.

    :raise Conflict: (409) the change would break windows, shifts, cutoffs or limits (``errors.violations``).
    :raise PreconditionFailed: (412) someone changed the plan meanwhile.
    """
    current = version(plan, plan.current_number)
    if current is None:
        raise Conflict("The plan has no version yet; plan the day first.")
    draft = _Draft(current)
    action = data["action"]
    day = build_day(plan.region, plan.day)
    booking_id = data.get("booking_id")
    before_where = draft.where(booking_id) if booking_id else (None, None)
    before = {
        "technician_id": before_where[0],
        "position": before_where[1],
        "pinned": booking_id in draft.pins if booking_id else None,
    }
    before_violations = _violations(day, _state(draft, day, current))
    after = _apply(action, data, draft, day, current, plan)
    pins = {b: t for t, ids in draft.routes.items() for b in ids if b in draft.pins}
    if action == "technician_unavailable":
        db.session.flush()
    day = build_day(plan.region, plan.day, pins)
    core = _state(draft, day, current)
    added = [v for v in _violations(day, core) if v not in before_violations]
    if added and not data["override"]:
        db.session.rollback()
        raise Conflict(
            f"This change would break {len(added)} rule(s); nothing was changed. "
            "Send override=true to apply it anyway.",
            errors={"violations": added},
        )
    bump_revision(plan, expected)
    published = version(plan, plan.published_number)
    keep = (
        {s.booking_id: (s.technician_id, s.window_start, s.window_end) for s in published.stops}
        if published
        else {}
    )
    reasons = {b: r for b, r in draft.reasons.items()}
    for b in day.bookings:
        if b.id not in reasons and draft.where(b.id)[0] is None:
            reasons[b.id] = NOT_PLANNED
    new = store_version(
        plan,
        day,
        core,
        source="edit",
        actor=actor,
        pins=set(pins),
        stats={"solver_status": "MANUAL", "violations": added},
        keep_windows=keep,
        reasons=reasons,
    )
    audit(
        plan,
        actor,
        action,
        {
            "booking_id": booking_id,
            "technician_id": data.get("technician_id"),
            "before": before,
            "after": after,
            "override": data["override"],
            "violations": added,
            "reason": data.get("reason") or None,
        },
        from_version=current.number,
        to_version=new.number,
    )
    return new
