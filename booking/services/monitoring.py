"""The monitoring schedule of a patient, and who is due or overdue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from booking import schedule
from booking.extensions import db
from booking.models import Booking, Patient
from booking.program.outreach_models import SkinCheck
from booking.services import monitoring_lists
from booking.states import DONE_STATUSES, OPEN_STATUSES, is_completed, is_open


def today_for(patient: Patient, now: datetime | None = None) -> date:
    """Today's date where the patient lives (months turn over at their midnight)."""
    now = now or datetime.now(ZoneInfo("UTC"))
    return now.astimezone(ZoneInfo(patient.time_zone)).date()


@lru_cache(maxsize=8192)
def month_label(month: date) -> str:
    """'2026-12'. Cached: a schedule labels every month of its window on every request."""
    return month.strftime("%Y-%m")


def schedule_entries(
    patient: Patient, bookings: list[Booking], today: date, skin_checks: Sequence[date] = ()
) -> list[dict]:
    """One entry per monitoring month with its status, the booking that covers it and,
    in a skin-check month, the date of the check done in that program year (if any).

    ``bookings`` may be ``Booking`` objects or rows with ``id``, ``status`` and
    ``monitoring_month``; only open and completed ones count."""
    courses = [schedule.TreatmentCourse(c.first_infusion, c.last_infusion) for c in patient.courses]
    months = schedule.monitoring_months(courses)
    completed = set()
    active: dict[date, Booking] = {}
    for booking in bookings:
        if is_completed(booking.status):
            completed.add(booking.monitoring_month)
            active[booking.monitoring_month] = booking
        elif is_open(booking.status):
            active.setdefault(booking.monitoring_month, booking)
    last_completed = max(completed, default=None)
    entries = []
    for entry in months:
        status = schedule.month_status(
            entry.month,
            today,
            has_completed_visit=entry.month in completed,
            has_active_booking=entry.month in active,
            later_month_completed=last_completed is not None and last_completed > entry.month,
        )
        booking = active.get(entry.month)
        entries.append(
            {
                "month": month_label(entry.month),
                "index": entry.index,
                "tests": list(entry.tests),
                "skin_check_due": entry.skin_check_due,
                "skin_check_done_on": skin_check_in_year(entry.month, skin_checks)
                if entry.skin_check_due
                else None,
                "status": status,
                "booking_id": booking.id if booking else None,
            }
        )
    return entries


def skin_check_in_year(month: date, checks: Sequence[date]) -> date | None:
    """The first skin check dated in the program year that starts at ``month``."""
    end = schedule.add_months(month, schedule.SKIN_CHECK_EVERY_MONTHS)
    return min((d for d in checks if month <= d < end), default=None)


def patient_schedule(patient: Patient) -> dict:
    today = today_for(patient)
    # Cancelled and no-show bookings never count for a month (schedule_entries skips them), and a
    # patient's history holds a year or more of them: read the open and completed ones only,
    # and only the three columns the schedule uses.
    bookings = db.session.execute(
        db.select(Booking.id, Booking.status, Booking.monitoring_month).where(
            Booking.patient_id == patient.id, Booking.status.in_(OPEN_STATUSES + DONE_STATUSES)
        )
    ).all()
    checks = db.session.scalars(db.select(SkinCheck.done_on).where(SkinCheck.patient_id == patient.id)).all()
    entries = schedule_entries(patient, list(bookings), today, checks)
    return {
        "patient_id": patient.id,
        "first_month": entries[0]["month"] if entries else None,
        "last_month": entries[-1]["month"] if entries else None,
        "current_month": month_label(schedule.month_of(today)),
        "months": entries,
    }


def due_without_booking(month: date) -> list[dict]:
    """Every patient for whom ``month`` is a monitoring month with no booking and no completed visit."""
    return monitoring_lists.due_page(month).rows


def overdue_patients() -> list[dict]:
    """Every patient in monitoring with an overdue month (past, untested, not tested since).

    A patient whose 48-month window ended before last month is no longer chased:
    the list is for action, and nothing can be booked for them any more.
    """
    return monitoring_lists.overdue_page().rows
