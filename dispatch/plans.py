"""Plans in the database: versions, revisions, publishing and the audit trail.

A version is never edited after it is written (only the live ETAs of the
published one move as technicians report progress). Every change bumps
``DispatchPlan.revision`` with one conditional UPDATE; a caller that read an
older revision gets 412 instead of overwriting someone else's change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from booking.db_types import utcnow
from booking.errors import Conflict, DomainError, NotFound
from booking.extensions import db
from booking.models import Booking, Region, User
from booking.schemas import MAX_ID
from booking.services.bookings import change_status, locked
from dispatch.day import DayData, instant, key_id
from dispatch.engine.result import Plan
from dispatch.models import DispatchPlan, PlanAudit, PlanRoute, PlanStop, PlanUnassigned, PlanVersion

WINDOW_MINUTES = 60  # the arrival window shown to the patient, inside the booked window
WINDOW_STEP = 15


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


def plan_or_404(plan_id: int) -> DispatchPlan:
    plan = db.session.get(DispatchPlan, plan_id) if 0 < plan_id <= MAX_ID else None
    if plan is None:
        raise NotFound(f"Plan {plan_id} not found.")
    return plan


def plan_for(region: Region, day: date) -> DispatchPlan | None:
    return db.session.scalar(
        db.select(DispatchPlan).where(DispatchPlan.region_id == region.id, DispatchPlan.day == day)
    )


def get_or_create_plan(region: Region, day: date) -> DispatchPlan:
    """The plan row of a region and day; concurrent creators end up with the same row."""
    plan = plan_for(region, day)
    if plan is not None:
        return plan
    try:
        with db.session.begin_nested():
            plan = DispatchPlan(region_id=region.id, day=day, revision=1)
            db.session.add(plan)
    except IntegrityError:
        plan = plan_for(region, day)
    return plan


def version(plan: DispatchPlan, number: int | None) -> PlanVersion | None:
    if number is None:
        return None
    return db.session.scalar(
        db.select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.number == number)
    )


def etag(plan: DispatchPlan) -> str:
    return f'"plan-{plan.id}-r{plan.revision}"'


def expected_revision(plan: DispatchPlan, if_match: str | None) -> int:
    """The revision the caller read, from its If-Match header.

    :raise PreconditionRequired: (428) no If-Match.
    :raise PreconditionFailed: (412) the plan changed since.
    """
    if not if_match:
        raise PreconditionRequired(
            "Send If-Match with the plan's ETag (from GET), so concurrent edits cannot collide."
        )
    if if_match.strip() not in (etag(plan), "*"):
        raise PreconditionFailed("The plan changed since you read it; reload it and try again.")
    return plan.revision


def bump_revision(plan: DispatchPlan, expected: int | None) -> None:
    """Take the next revision, or fail if someone else took it first (decided by the database).

    :raise PreconditionFailed: (412) the revision is no longer ``expected``.
    """
    stmt = update(DispatchPlan).where(DispatchPlan.id == plan.id)
    if expected is not None:
        stmt = stmt.where(DispatchPlan.revision == expected)
    result = db.session.execute(
        stmt.values(revision=DispatchPlan.revision + 1).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise PreconditionFailed("The plan changed meanwhile; reload it and try again.")
    db.session.refresh(plan)


def _next_number(plan: DispatchPlan) -> int:
    current = db.session.scalar(
        db.select(db.func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
    )
    return (current or 0) + 1


def arrival_window(service_start: datetime, booked: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """A one-hour window around the planned start of service, inside the booked window."""
    width = timedelta(minutes=WINDOW_MINUTES)
    lo, hi = booked
    if hi - lo <= width:
        return lo, hi
    start = service_start - width / 2
    start -= timedelta(
        minutes=start.minute % WINDOW_STEP, seconds=start.second, microseconds=start.microsecond
    )
    start = min(max(start, lo), hi - width)
    return start, start + width


def store_version(
    plan: DispatchPlan,
    day: DayData,
    core: Plan,
    *,
    source: str,
    actor: User | None,
    pins: set[int],
    stats: dict,
    keep_windows: dict[int, tuple[int, datetime, datetime]],
    reasons: dict[int, tuple[str, str]] | None = None,
) -> PlanVersion:
    """Write ``core`` as the plan's next version and make it current.

    ``keep_windows`` maps booking id → (technician id, window) published before:
    a stop still served by that technician inside that window keeps it, so the
    patient's promise does not change needlessly. ``reasons`` overrides the
    engine's reason for visits a coordinator unassigned.
    """
    number = _next_number(plan)
    v = PlanVersion(plan_id=plan.id, number=number, source=source, created_by_id=actor.id if actor else None)
    matrix, problem = day.problem.matrix, day.problem
    changed = 0
    for route in core.routes:
        tech_id = key_id(route.technician_id)
        location = problem.technician(route.technician_id).start_location
        v.routes.append(
            PlanRoute(
                technician_id=tech_id,
                starts_at=instant(day.origin, route.start_time),
                ends_at=instant(day.origin, route.end_time),
                drive_seconds=route.travel_time,
                distance_m=route.distance,
                lab_id=key_id(route.lab_drop.lab_id) if route.lab_drop else None,
                lab_arrival=instant(day.origin, route.lab_drop.arrival) if route.lab_drop else None,
                lab_eta=instant(day.origin, route.lab_drop.arrival) if route.lab_drop else None,
            )
        )
        for position, stop in enumerate(route.stops):
            booking = day.booking(stop.visit_id)
            target = problem.visit(stop.visit_id).location
            service_start = instant(day.origin, stop.start_of_service)
            kept = keep_windows.get(booking.id)
            if kept and kept[0] == tech_id and kept[1] <= service_start <= kept[2]:
                window = (kept[1], kept[2])
            else:
                window = arrival_window(service_start, (booking.starts_at, booking.ends_at))
                changed += kept is not None
            v.stops.append(
                PlanStop(
                    booking_id=booking.id,
                    technician_id=tech_id,
                    position=position,
                    arrival=instant(day.origin, stop.arrival),
                    service_start=service_start,
                    departure=instant(day.origin, stop.departure),
                    drive_seconds=matrix.duration(location, target),
                    distance_m=matrix.distance(location, target),
                    window_start=window[0],
                    window_end=window[1],
                    eta=instant(day.origin, stop.arrival),
                    eta_start=service_start,
                    pinned=booking.id in pins,
                )
            )
            location = target
    served = {s.booking_id for s in v.stops}
    for item in core.unassigned:
        booking_id = key_id(item.visit_id)
        reason, message = (reasons or {}).get(booking_id, (item.reason.value, item.message))
        v.unassigned.append(PlanUnassigned(booking_id=booking_id, reason=reason, message=message))
        changed += booking_id in keep_windows and booking_id not in served
    v.stats = {**stats, **summary(core, day), "changed_windows": changed if keep_windows else None}
    db.session.add(v)
    plan.current_number = number
    db.session.flush()
    return v


def summary(core: Plan, day: DayData) -> dict:
    served = sum(len(r.stops) for r in core.routes)
    drive = core.total_travel_time
    return {
        "visits": len(day.problem.visits),
        "served": served,
        "unassigned": len(core.unassigned),
        "technicians_on_shift": len(day.technicians),
        "technicians_used": len(core.routes),
        "drive_seconds": drive,
        "distance_m": core.total_distance,
        "drive_minutes_per_visit": round(drive / 60 / served, 2) if served else None,
        "travel_source": day.travel_source,
    }


def audit(
    plan: DispatchPlan,
    actor: User | None,
    action: str,
    detail: dict,
    from_version: int | None = None,
    to_version: int | None = None,
) -> None:
    db.session.add(
        PlanAudit(
            plan_id=plan.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_version=from_version,
            to_version=to_version,
            detail=detail,
        )
    )


def publish(plan: DispatchPlan, actor: User | None, expected: int) -> PlanVersion:
    """Make the current version what technicians and patients see; bookings follow.

    :raise Conflict: (409) nothing to publish, or it is published already.
    """
    current = version(plan, plan.current_number)
    if current is None:
        raise Conflict("The plan has no version to publish yet.")
    if plan.published_number == current.number:
        raise Conflict(f"Version {current.number} is published already.")
    bump_revision(plan, expected)
    before = plan.published_number
    previous = version(plan, before)
    assigned_before = {s.booking_id for s in previous.stops} if previous else set()
    assigned_now = {s.booking_id for s in current.stops}
    for booking_id in sorted(assigned_now - assigned_before):  # row locks in one order
        _move(actor, booking_id, "confirmed", "assigned", f"on plan version {current.number}")
    for booking_id in sorted(assigned_before - assigned_now):
        _move(actor, booking_id, "assigned", "confirmed", f"left out of plan version {current.number}")
    current.published_at = utcnow()
    plan.published_number = current.number
    audit(
        plan,
        actor,
        "publish",
        {"before": {"published_version": before}, "after": {"published_version": current.number}},
        from_version=before,
        to_version=current.number,
    )
    db.session.flush()
    return current


class _System:
    """The actor of changes made from the command line."""

    id = None
    role = "admin"


def _move(actor: User | None, booking_id: int, from_status: str, to_status: str, reason: str) -> None:
    """Move the booking only if it is (still) ``from_status``: read under its row lock, so a cancel
    committed meanwhile is seen and left alone."""
    booking = db.session.get(Booking, booking_id)
    if booking is not None and locked(booking).status == from_status:
        change_status(actor or _System(), booking, to_status, reason)
