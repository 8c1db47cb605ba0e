"""What a published plan shows outside dispatch: a booking's technician and arrival window.

Kept apart from the planning service so the booking side can import it
without importing the planner (which itself uses the booking services).
"""

from __future__ import annotations

from booking.extensions import db
from booking.models import Booking
from booking.slots import zone_for
from booking.states import FIELD_KINDS
from dispatch.models import DispatchPlan, PlanStop, PlanVersion, StopReport, Technician


def published_stop(booking_id: int) -> PlanStop | None:
    """The booking's stop in the published version of its day's plan, if any."""
    return db.session.scalar(
        db.select(PlanStop)
        .join(PlanVersion, PlanVersion.id == PlanStop.version_id)
        .join(DispatchPlan, DispatchPlan.id == PlanVersion.plan_id)
        .where(PlanStop.booking_id == booking_id, PlanVersion.number == DispatchPlan.published_number)
    )


def published_visit(booking: Booking) -> dict:
    """What the patient sees of a published plan: the technician's first name and an arrival window."""
    if booking.kind not in FIELD_KINDS:
        return {"technician_first_name": None, "arrival_window": None}
    stop = published_stop(booking.id)
    if stop is None:
        return {"technician_first_name": None, "arrival_window": None}
    tech = db.session.get(Technician, stop.technician_id)
    zone = zone_for(booking.time_zone)
    return {
        "technician_first_name": tech.user.first_name,
        "arrival_window": {
            "start": stop.window_start,
            "end": stop.window_end,
            "local_start": stop.window_start.astimezone(zone).isoformat(),
            "local_end": stop.window_end.astimezone(zone).isoformat(),
        },
    }


def reported_states(booking_ids: list[int]) -> dict[int, StopReport]:
    """The last report still standing (not undone) on each booking, for the route and the board."""
    if not booking_ids:
        return {}
    reports = db.session.scalars(
        db.select(StopReport)
        .where(StopReport.booking_id.in_(booking_ids), StopReport.undone_at.is_(None))
        .order_by(StopReport.id)
    )
    return {r.booking_id: r for r in reports}
