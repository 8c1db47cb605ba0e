"""Every patient's monitoring position as of an instant, from a few aggregate queries.

The periodic jobs (overdue escalation, check-in invitations, skin-check
reminders) need, for each patient, the monitoring window and where their
visits stand. Building each patient's full schedule in Python costs a query
and a list of 60+ months per patient; these aggregates cost three queries
for everyone, and the month arithmetic below is a few comparisons per patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from booking import schedule
from booking.extensions import db
from booking.models import Booking, Patient, TreatmentCourse
from booking.states import DONE_STATUSES, OPEN_STATUSES


@dataclass(frozen=True)
class Position:
    """Where one patient stands in the program on their own ``today``."""

    patient_id: int
    today: date
    first_month: date
    last_month: date
    last_completed: date | None
    latest_open: date | None
    home_latitude: float
    home_longitude: float

    @property
    def current_month(self) -> date:
        return schedule.month_of(self.today)

    def in_window(self) -> bool:
        return self.first_month <= self.current_month <= self.last_month

    def still_chased(self) -> bool:
        """Same rule as the overdue list: nobody is chased once their window ended before last month."""
        return self.last_month >= schedule.add_months(self.current_month, -1)

    def has_booking_ahead(self) -> bool:
        """An open visit for this month or later: the patient has already acted."""
        return self.latest_open is not None and self.latest_open >= self.current_month

    def overdue(self) -> tuple[int, date | None]:
        """(number of overdue months, the first of them): past, untested, and not tested since."""
        start = self.first_month
        if self.last_completed is not None:
            start = max(start, schedule.add_months(self.last_completed, 1))
        end = min(schedule.add_months(self.current_month, -1), self.last_month)
        if start > end:
            return 0, None
        return schedule.months_between(start, end) + 1, start

    def due_unbooked(self) -> bool:
        """This month is a monitoring month with neither a completed nor an open visit."""
        done = self.last_completed is not None and self.last_completed >= self.current_month
        return self.in_window() and not done and not self.has_booking_ahead()


def positions(at: datetime) -> list[Position]:
    """Every patient with a treatment course, as of ``at`` in their own time zone."""
    courses = (
        select(
            TreatmentCourse.patient_id,
            func.min(TreatmentCourse.first_infusion).label("first"),
            func.max(TreatmentCourse.last_infusion).label("last"),
        )
        .group_by(TreatmentCourse.patient_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Patient.id,
            Patient.time_zone,
            Patient.home_latitude,
            Patient.home_longitude,
            courses.c.first,
            courses.c.last,
        ).join(courses, courses.c.patient_id == Patient.id)
    ).all()
    completed = _latest_month(DONE_STATUSES)
    open_ = _latest_month(OPEN_STATUSES)
    zones: dict[str, ZoneInfo] = {}
    out = []
    for pid, tz, lat, lon, first, last in rows:
        zone = zones.setdefault(tz, ZoneInfo(tz))
        out.append(
            Position(
                patient_id=pid,
                today=at.astimezone(zone).date(),
                first_month=schedule.month_of(first),
                last_month=schedule.add_months(schedule.month_of(last), schedule.MONTHS_AFTER_LAST_INFUSION),
                last_completed=completed.get(pid),
                latest_open=open_.get(pid),
                home_latitude=lat,
                home_longitude=lon,
            )
        )
    return out


def _latest_month(statuses) -> dict[int, date]:
    rows = db.session.execute(
        select(Booking.patient_id, func.max(Booking.monitoring_month))
        .where(Booking.status.in_(statuses))
        .group_by(Booking.patient_id)
    )
    return dict(rows.all())
