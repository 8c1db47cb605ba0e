"""A technician reports leaving for a stop, or a stop arrived, collected or no-show; the rest of the route's ETAs follow.

The booking moves through its state machine (``change_status`` writes its
history); the published version's live ETAs for the stops still ahead, and the
lab drop, are recomputed from now.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from booking.db_types import utcnow
from booking.errors import NotFound
from booking.extensions import db
from booking.models import Booking, User
from booking.program import reminders
from booking.schemas import MAX_ID
from booking.services.bookings import change_status
from dispatch.models import PlanRoute, PlanStop, Technician
from dispatch.plans import plan_for, version
from dispatch.travel import build_matrix
from dispatch.views import route_view

DONE = ("collected", "delivered", "no_show", "cancelled")
# The steps a report takes from each status (a forgotten tap on the way is filled in).
STEPS = {
    "arrived": {"assigned": ["en_route", "arrived"], "en_route": ["arrived"]},
    "collected": {
        "assigned": ["en_route", "arrived", "collected"],
        "en_route": ["arrived", "collected"],
        "arrived": ["collected"],
    },
}


def report_progress(tech: Technician, booking_id: int, status: str, reason: str | None, actor: User) -> dict:
    """:raise NotFound: (404) not a stop of the technician's published route.
    :raise Conflict: (409) the booking cannot move to ``status`` from where it is.
    """
    booking = db.session.get(Booking, booking_id) if 0 < booking_id <= MAX_ID else None
    stop = _my_stop(tech, booking)
    steps = STEPS.get(status, {}).get(booking.status, [status])
    for step in steps:
        change_status(actor, booking, step, reason if step == "no_show" else None)
    if status == "en_route":  # leaving for the stop: a fresh ETA, and the patient hears of it
        stop.eta = eta_from_last_stop(tech, stop)
        reminders.technician_on_the_way(booking, stop.eta)
    recompute_etas(tech, stop)
    plan = plan_for(tech.region, stop_day(stop))
    return route_view(tech, plan, version(plan, plan.published_number), plan.day)


def stop_day(stop: PlanStop):
    from dispatch.models import DispatchPlan, PlanVersion

    return db.session.scalar(
        db.select(DispatchPlan.day)
        .join(PlanVersion, PlanVersion.plan_id == DispatchPlan.id)
        .where(PlanVersion.id == stop.version_id)
    )


def _my_stop(tech: Technician, booking: Booking | None) -> PlanStop:
    from dispatch.published import published_stop

    stop = published_stop(booking.id) if booking is not None else None
    if stop is None or stop.technician_id != tech.id:
        raise NotFound("That booking is not a stop of your route.")
    return stop


def eta_from_last_stop(tech: Technician, stop: PlanStop):
    """Now plus the drive from the route's previous stop (or the technician's start) to ``stop``."""
    before = db.session.scalar(
        db.select(PlanStop)
        .where(
            PlanStop.version_id == stop.version_id,
            PlanStop.technician_id == tech.id,
            PlanStop.position < stop.position,
        )
        .order_by(PlanStop.position.desc())
    )
    origin = (
        (before.booking.latitude, before.booking.longitude)
        if before
        else (tech.home_latitude, tech.home_longitude)
    )
    matrix, _ = build_matrix(current_app.config, [origin, (stop.booking.latitude, stop.booking.longitude)])
    return utcnow() + timedelta(seconds=matrix.duration(0, 1))


def recompute_etas(tech: Technician, reported: PlanStop) -> None:
    """ETAs of the stops after ``reported`` (and the lab) from now, with the same travel model."""
    stops = sorted(
        db.session.scalars(
            db.select(PlanStop).where(
                PlanStop.version_id == reported.version_id, PlanStop.technician_id == tech.id
            )
        ),
        key=lambda s: s.position,
    )
    route = db.session.scalar(
        db.select(PlanRoute).where(
            PlanRoute.version_id == reported.version_id, PlanRoute.technician_id == tech.id
        )
    )
    service = timedelta(minutes=tech.region.service_minutes)
    booking = reported.booking
    now = utcnow()
    clock = max(now, booking.starts_at) + service if booking.status == "arrived" else now
    if booking.status == "en_route" and reported.eta is not None:
        clock = max(reported.eta, booking.starts_at) + service
    ahead = [s for s in stops if s.position > reported.position and s.booking.status not in DONE]
    points = [(booking.latitude, booking.longitude)] + [
        (s.booking.latitude, s.booking.longitude) for s in ahead
    ]
    if route is not None and route.lab is not None:
        points.append((route.lab.latitude, route.lab.longitude))
    matrix, _ = build_matrix(current_app.config, points)
    for i, stop in enumerate(ahead):
        stop.eta = clock + timedelta(seconds=matrix.duration(i, i + 1))
        clock = max(stop.eta, stop.booking.starts_at) + service
    if route is not None and route.lab is not None:
        route.lab_eta = clock + timedelta(seconds=matrix.duration(len(ahead), len(ahead) + 1))
    db.session.flush()
