"""Coordinators' due and overdue lists, decided by the database one page at a time.

The rules are those of ``booking.schedule.month_status`` over a patient's whole
schedule (``booking.services.monitoring.schedule_entries``), rewritten as
conditions the database answers with index probes, so a list of 10,000
patients costs a few queries instead of every schedule built in Python:

- the monitoring window holds month ``M`` when some course started before
  ``M + 1 month`` and some course ended on or after ``M - 48 months``;
- ``M`` has "no booking" when no open or completed visit is booked for it;
- a past month is overdue (not missed) when no later month was completed.

"Today" is each patient's own: months turn over at midnight in the patient's
time zone. At any instant the zones fall into at most two current months, so
the conditions are written once per group of zones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, or_, select, true

from booking import schedule
from booking.extensions import db
from booking.models import Booking, Patient, TreatmentCourse
from booking.program.roster import Position
from booking.states import DONE_STATUSES, OPEN_STATUSES

ACTIVE_STATUSES = OPEN_STATUSES + DONE_STATUSES


@dataclass(frozen=True)
class ListFilters:
    """Narrow a list to one provider's patients, or those who booked at a center or in a region."""

    provider: str | None = None
    service_center_id: int | None = None
    region_id: int | None = None


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    total: int
    offset: int = 0


def _zones_by_current_month(now: datetime) -> dict[date, list[str] | None]:
    """Group the patients' time zones by the month it is there at ``now``.

    Every zone's clock is within a day of UTC, so unless ``now`` is within a day of a
    month's end, it is the same month everywhere: one group, ``None`` for "every zone",
    without reading the zones (a scan of all patients) or listing them in the conditions.
    """
    utc_day = now.astimezone(UTC).date()
    month = schedule.month_of(utc_day)
    if (
        schedule.month_of(utc_day - timedelta(days=1))
        == month
        == schedule.month_of(utc_day + timedelta(days=1))
    ):
        return {month: None}
    groups: dict[date, list[str] | None] = defaultdict(list)
    for zone in db.session.scalars(select(Patient.time_zone).distinct()):
        groups[schedule.month_of(now.astimezone(ZoneInfo(zone)).date())].append(zone)
    return groups


def _in_zones(zones: list[str] | None):
    """The patient lives in one of ``zones`` (``None``: any zone)."""
    return true() if zones is None else Patient.time_zone.in_(zones)


# Each patient's monitoring window from their courses: one grouped pass, joined to the patients.
_WINDOWS = (
    select(
        TreatmentCourse.patient_id,
        func.min(TreatmentCourse.first_infusion).label("first_infusion"),
        func.max(TreatmentCourse.last_infusion).label("last_infusion"),
    )
    .group_by(TreatmentCourse.patient_id)
    .subquery("windows")
)


def _in_window(month: date) -> list:
    """The patient's monitoring window (first course month .. last infusion + 48 months) holds ``month``."""
    return [
        _WINDOWS.c.first_infusion < schedule.add_months(month, 1),
        _WINDOWS.c.last_infusion >= schedule.add_months(month, -schedule.MONTHS_AFTER_LAST_INFUSION),
    ]


def _booked(*conditions) -> exists:
    return exists().where(Booking.patient_id == Patient.id, *conditions)


def _filters(filters: ListFilters) -> list:
    conditions = []
    if filters.provider:
        conditions.append(Patient.provider_name == filters.provider)
    if filters.service_center_id is not None:
        conditions.append(_booked(Booking.service_center_id == filters.service_center_id))
    if filters.region_id is not None:
        conditions.append(_booked(Booking.region_id == filters.region_id))
    return conditions


def _due_condition(month: date, groups: dict[date, list[str] | None]):
    """``month`` is in the window, has no open or completed visit, and is upcoming or overdue."""
    unbooked = ~_booked(Booking.monitoring_month == month, Booking.status.in_(ACTIVE_STATUSES))
    by_zone = []
    for current, zones in groups.items():
        if month >= current:
            by_zone.append(_in_zones(zones))  # upcoming: the month has not passed there
        else:  # past: overdue unless a later month was completed (then it is only "missed")
            later_done = _booked(Booking.monitoring_month > month, Booking.status.in_(DONE_STATUSES))
            by_zone.append(and_(_in_zones(zones), ~later_done))
    return and_(*_in_window(month), unbooked, or_(*by_zone) if by_zone else false())


def _overdue_condition(groups: dict[date, list[str] | None]):
    """Last month (in the patient's zone) is overdue and the window reaches it.

    Overdue months run from the month after the last completed one to last
    month, so there is one exactly when last month is in the window and no
    visit of last month or later was completed. A window that ended before
    last month is no longer chased (``monitoring.overdue_patients``' rule).
    """
    by_zone = []
    for current, zones in groups.items():
        last_month = schedule.add_months(current, -1)
        done_since = _booked(Booking.monitoring_month >= last_month, Booking.status.in_(DONE_STATUSES))
        by_zone.append(and_(_in_zones(zones), *_in_window(last_month), ~done_since))
    return or_(*by_zone) if by_zone else false()


def _page(condition, filters: ListFilters, limit: int | None, offset: int) -> tuple[list, int]:
    """One page and the whole list's size from one evaluation (``count(*) OVER ()`` on each row).

    Only a page past the end, which has no row to carry the count, costs a second query.
    """
    where = [condition, *_filters(filters)]
    query = (
        select(
            Patient.id,
            Patient.first_name,
            Patient.last_name,
            Patient.phone,
            Patient.time_zone,
            _WINDOWS.c.first_infusion,
            _WINDOWS.c.last_infusion,
            func.count().over().label("total"),
        )
        .join(_WINDOWS, _WINDOWS.c.patient_id == Patient.id)
        .where(*where)
        .order_by(Patient.last_name, Patient.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    if rows:
        return rows, rows[0].total
    counted = select(func.count()).select_from(Patient).join(_WINDOWS, _WINDOWS.c.patient_id == Patient.id)
    return [], db.session.scalar(counted.where(*where))


def _positions(found: list, now: datetime) -> dict[int, Position]:
    """Each listed patient's window and latest completed month, for the months they are overdue."""
    ids = [r.id for r in found]
    done: dict[int, date] = {}
    for start in range(0, len(ids), 500):  # whole lists (no limit) are read in chunks
        done.update(
            db.session.execute(
                select(Booking.patient_id, func.max(Booking.monitoring_month))
                .where(Booking.patient_id.in_(ids[start : start + 500]), Booking.status.in_(DONE_STATUSES))
                .group_by(Booking.patient_id)
            ).all()
        )
    return {
        r.id: Position(
            patient_id=r.id,
            today=now.astimezone(ZoneInfo(r.time_zone)).date(),
            first_month=schedule.month_of(r.first_infusion),
            last_month=schedule.add_months(
                schedule.month_of(r.last_infusion), schedule.MONTHS_AFTER_LAST_INFUSION
            ),
            last_completed=done.get(r.id),
            latest_open=None,
            home_latitude=0.0,
            home_longitude=0.0,
        )
        for r in found
    }


def _overdue_labels(position: Position) -> list[str]:
    count, since = position.overdue()
    return [schedule.add_months(since, i).strftime("%Y-%m") for i in range(count)]


def _rows(found: list, now: datetime, month_of_row) -> list[dict]:
    positions = _positions(found, now)
    rows = []
    for r in found:
        position = positions[r.id]
        month, status = month_of_row(position)
        rows.append(
            {
                "patient_id": r.id,
                "name": f"{r.first_name} {r.last_name}",
                "phone": r.phone,
                "month": month.strftime("%Y-%m"),
                "status": status,
                "overdue_months": _overdue_labels(position),
            }
        )
    return rows


def due_page(
    month: date,
    filters: ListFilters = ListFilters(),
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> Page:
    """Patients for whom ``month`` is a monitoring month with no booking and no completed visit.

    ``status`` is ``upcoming`` where ``month`` has not passed in the patient's
    zone, ``overdue`` otherwise. Ordered by last name, then id.
    """
    now = now or datetime.now(UTC)
    month = schedule.month_of(month)
    found, total = _page(_due_condition(month, _zones_by_current_month(now)), filters, limit, offset)

    def month_of_row(position: Position):
        return month, "upcoming" if month >= position.current_month else "overdue"

    return Page(_rows(found, now, month_of_row), total, offset)


def overdue_page(
    filters: ListFilters = ListFilters(),
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> Page:
    """Patients in monitoring with an overdue month (past, untested, not tested since).

    The row's month is the latest overdue one (last month in the patient's zone).
    """
    now = now or datetime.now(UTC)
    found, total = _page(_overdue_condition(_zones_by_current_month(now)), filters, limit, offset)

    def month_of_row(position: Position):
        return schedule.add_months(position.current_month, -1), "overdue"

    return Page(_rows(found, now, month_of_row), total, offset)
