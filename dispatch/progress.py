"""A technician reports leaving for a stop, or a stop arrived, collected or no-show; the ETAs follow.

Reports are for today's route, in the region's time zone: a report on another
day's stop is a 409 with the reason. The booking moves through its state
machine (``change_status`` writes its history) and the report is recorded
(:class:`~dispatch.models.StopReport`), so the technician's last report can be
undone for ``REPORT_UNDO_MINUTES`` and the board can show what was reported
when.

Live ETAs are recomputed from the reported place and time, never from stale
ones: the day is the planner's (:func:`dispatch.day.build_day`, with each
stop's published arrival window) and the times come from the one timing
function (:func:`dispatch.engine.timing.timed_route`). An ETA is an arrival and a
start of service: a technician early for a window waits for it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from booking.errors import Conflict, NotFound
from booking.extensions import db
from booking.models import INACTIVE_STATUSES, Booking, BookingEvent, User
from booking.program import reminders
from booking.schemas import MAX_ID
from booking.services import availability as av
from booking.services.bookings import change_status, locked, take_back_place
from booking.states import FINISHED_STATUSES, UNDER_WAY_STATUSES, check_undo, report_steps
from dispatch.day import build_day, instant, local_seconds, technician_key, visit_id
from dispatch.engine.timing import timed_route
from dispatch.models import DispatchPlan, PlanRoute, PlanStop, PlanVersion, StopReport, Technician
from dispatch.plans import plan_for, version
from dispatch.published import published_stop, reported_states
from dispatch.shapes import route_view

DONE = FINISHED_STATUSES


def region_today(tech: Technician) -> date:
    """Today in the technician's region."""
    return av.today_in(tech.region.time_zone)


def report_progress(tech: Technician, booking_id: int, status: str, reason: str | None, actor: User) -> dict:
    """:raise NotFound: (404) not a stop of the technician's published route.
    :raise Conflict: (409) not today's route, or the booking cannot move to ``status`` from where it is.
    """
    booking = db.session.get(Booking, booking_id) if 0 < booking_id <= MAX_ID else None
    stop = _my_stop(tech, booking)
    booking = locked(booking)  # the steps below start from the committed status, once
    day, today = stop_day(stop), region_today(tech)
    if day != today:
        raise Conflict(
            f"Reports are for today's route ({today.isoformat()}); this stop is on {day.isoformat()}. "
            "Report it on the day of the visit."
        )
    before = booking.status
    steps = report_steps(booking.status, status)
    for step in steps:
        change_status(actor, booking, step, reason if step == "no_show" else None)
    now = av.now_utc()
    db.session.add(
        StopReport(
            booking_id=booking.id, technician_id=tech.id, status=status, from_status=before, reported_at=now
        )
    )
    recompute_etas(tech, stop, now)
    if status == "en_route":  # leaving for the stop: the patient hears of it, with the fresh ETA
        reminders.technician_on_the_way(booking, stop.eta)
    plan = plan_for(tech.region, day)
    return route_view(tech, plan, version(plan, plan.published_number), plan.day)


def undoable_report(tech: Technician) -> StopReport | None:
    """The technician's last report, while it may still be undone."""
    report = db.session.scalar(
        db.select(StopReport)
        .where(StopReport.technician_id == tech.id, StopReport.undone_at.is_(None))
        .order_by(StopReport.id.desc())
        .limit(1)
    )
    window = timedelta(minutes=current_app.config["REPORT_UNDO_MINUTES"])
    if report is None or av.now_utc() - report.reported_at > window:
        return None
    return report


def undo_last_report(tech: Technician, actor: User) -> dict:
    """Put the stop of the technician's last report back where it was; ETAs follow.

    :raise Conflict: (409) nothing to undo (none, already undone, or older than ``REPORT_UNDO_MINUTES``).
    """
    report = undoable_report(tech)
    minutes = current_app.config["REPORT_UNDO_MINUTES"]
    if report is None:
        raise Conflict(f"There is no report to undo: a report can be undone within {minutes} minutes.")
    booking = locked(db.session.get(Booking, report.booking_id))
    current = booking.status
    check_undo(booking.kind, current, report.from_status)
    now = av.now_utc()
    taken = db.session.execute(
        update(StopReport)
        .where(StopReport.id == report.id, StopReport.undone_at.is_(None))
        .values(undone_at=now)
        .execution_options(synchronize_session=False)
    )
    try:
        moved = db.session.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.status == booking.status)
            .values(status=report.from_status, status_reason=None)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as exc:  # an undone no-show whose month was booked again meanwhile
        db.session.rollback()
        raise Conflict(
            "The patient has booked another visit for that month since; the no-show stands.",
            current_status=current,
        ) from exc
    if taken.rowcount != 1 or moved.rowcount != 1:
        db.session.rollback()
        raise Conflict("That report changed meanwhile; reload your route.")
    if booking.status in INACTIVE_STATUSES and report.from_status not in INACTIVE_STATUSES:
        take_back_place(booking)  # an undone no-show holds its place again
    db.session.add(
        BookingEvent(
            booking_id=booking.id,
            actor_id=actor.id,
            action="undo",
            from_status=booking.status,
            to_status=report.from_status,
        )
    )
    db.session.flush()
    db.session.refresh(booking)
    db.session.refresh(report)
    stop = _my_stop(tech, booking)
    _recompute_from_last_report(tech, stop)
    plan = plan_for(tech.region, stop_day(stop))
    return route_view(tech, plan, version(plan, plan.published_number), plan.day)


def stop_day(stop: PlanStop) -> date:
    return db.session.scalar(
        db.select(DispatchPlan.day)
        .join(PlanVersion, PlanVersion.plan_id == DispatchPlan.id)
        .where(PlanVersion.id == stop.version_id)
    )


def _my_stop(tech: Technician, booking: Booking | None) -> PlanStop:
    stop = published_stop(booking.id) if booking is not None else None
    if stop is None or stop.technician_id != tech.id:
        raise NotFound("That booking is not a stop of your route.")
    return stop


def _route_stops(tech: Technician, version_id: int) -> list[PlanStop]:
    return sorted(
        db.session.scalars(
            db.select(PlanStop).where(PlanStop.version_id == version_id, PlanStop.technician_id == tech.id)
        ),
        key=lambda s: s.position,
    )


def _recompute_from_last_report(tech: Technician, stop: PlanStop) -> None:
    """After an undo: ETAs from the last report still standing on the route, else the plan's own."""
    stops = _route_stops(tech, stop.version_id)
    standing = reported_states([s.booking_id for s in stops])
    if standing:
        last = max(standing.values(), key=lambda r: r.id)
        recompute_etas(tech, next(s for s in stops if s.booking_id == last.booking_id), last.reported_at)
        return
    route = _route(tech, stop.version_id)
    for s in stops:
        s.eta, s.eta_start = s.arrival, s.service_start
    if route is not None:
        route.lab_eta = route.lab_arrival
    db.session.flush()


def _route(tech: Technician, version_id: int) -> PlanRoute | None:
    return db.session.scalar(
        db.select(PlanRoute).where(PlanRoute.version_id == version_id, PlanRoute.technician_id == tech.id)
    )


def recompute_etas(tech: Technician, reported: PlanStop, at: datetime) -> None:
    """ETAs (arrival and start of service) of the stops after ``reported`` and of the lab, leaving
    ``reported`` as its report at ``at`` says: an arrival there waits for its window and serves it;
    a collection or no-show leaves at ``at``; leaving for it starts from the stop before at ``at``."""
    stops = _route_stops(tech, reported.version_id)
    booking = reported.booking
    windows = {s.booking_id: (s.window_start, s.window_end) for s in stops}
    leaving = booking.status == "en_route"
    previous = next((s for s in reversed(stops) if s.position < reported.position), None)
    keep = {booking.id} | ({previous.booking_id} if leaving and previous is not None else set())
    data = build_day(tech.region, stop_day(reported), windows=windows, keep=keep)
    problem, key = data.problem, technician_key(tech.id)
    if not problem.has_technician(key) or not problem.has_visit(visit_id(booking.id)):
        return
    ahead = [
        s
        for s in stops
        if s.position > reported.position
        and s.booking.status not in DONE
        and problem.has_visit(visit_id(s.booking_id))
    ]
    ids = [visit_id(s.booking_id) for s in ahead]
    here = [reported] if booking.status in UNDER_WAY_STATUSES else []
    if here:
        ids.insert(0, visit_id(booking.id))
    location = problem.visit(visit_id(booking.id)).location
    if leaving:  # on the way: from the stop before (or the technician's start), leaving at ``at``
        before = visit_id(previous.booking_id) if previous is not None else None
        location = (
            problem.visit(before).location
            if before is not None and problem.has_visit(before)
            else problem.technician(key).start_location
        )
    timed = timed_route(problem, key, ids, origin=(location, local_seconds(data.origin, at)))
    for stop, times in zip(here + ahead, timed.stops, strict=True):
        stop.eta = instant(data.origin, times.arrival)
        stop.eta_start = instant(data.origin, times.start_of_service)
    route = _route(tech, reported.version_id)
    if route is not None and timed.lab_drop is not None:
        route.lab_eta = instant(data.origin, timed.lab_drop.arrival)
    db.session.flush()
