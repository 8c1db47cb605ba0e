"""One region's day as the engine sees it: bookings, technicians on shift and labs → a DispatchProblem.

Times cross the boundary here and only here: the engine works in seconds since
the region's local midnight of the day (``DayData.origin``, a UTC instant), the
database in UTC instants. Ids are prefixed (``b12`` a booking, ``t3`` a
technician, ``l1`` a lab) so a mix-up fails loudly in the engine's checks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from booking import schedule, states
from booking.extensions import db
from booking.models import Booking, Region
from booking.slots import local_to_utc, zone_for
from booking.states import FIELD_KINDS
from dispatch.engine.problem import DispatchProblem, TimeWindow, Visit
from dispatch.engine.problem import Lab as CoreLab
from dispatch.engine.problem import Technician as CoreTechnician
from dispatch.models import DispatchPlan, Lab, PlanStop, PlanVersion, Shift, ShiftException, Technician
from dispatch.travel import build_matrix

# Booking statuses a plan serves; en_route/arrived are kept with their technician.
PLANNED_STATUSES = states.PLANNED_STATUSES  # re-exported: callers of the day builder read it here
UNDER_WAY = states.UNDER_WAY_STATUSES
REQUIRED_SKILLS = frozenset({"phlebotomy"})


def visit_id(booking_id: int) -> str:
    return f"b{booking_id}"


def technician_key(technician_id: int) -> str:
    return f"t{technician_id}"


def lab_key(lab_id: int) -> str:
    return f"l{lab_id}"


def key_id(key: str) -> int:
    return int(key[1:])


def day_origin(region: Region, day: date) -> datetime:
    """The UTC instant of the region's local midnight starting ``day``."""
    return datetime.combine(day, time(0), zone_for(region.time_zone)).astimezone(UTC)


def local_seconds(origin: datetime, instant: datetime) -> int:
    return int((instant - origin).total_seconds())


def instant(origin: datetime, seconds: int) -> datetime:
    return origin + timedelta(seconds=seconds)


@dataclass
class DayData:
    """The inputs of one day and the problem built from them."""

    region: Region
    day: date
    origin: datetime
    bookings: list[Booking]
    technicians: list[Technician]
    labs: list[Lab]
    shifts: dict[int, tuple[int, int]]
    problem: DispatchProblem
    travel_source: str
    points: list[tuple[float, float]] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return zone_for(self.region.time_zone)

    def booking(self, key: str) -> Booking:
        return next(b for b in self.bookings if visit_id(b.id) == key)

    def technician(self, key: str) -> Technician:
        return next(t for t in self.technicians if technician_key(t.id) == key)


def day_bookings(region: Region, day: date, origin: datetime, keep: Collection[int] = ()) -> list[Booking]:
    """The region's home and office bookings starting on the local ``day`` that a plan serves
    (and those of ``keep`` whatever their status)."""
    end = origin + timedelta(days=1, hours=1)  # a DST day may be 25 hours long
    end = min(end, day_origin(region, day + timedelta(days=1)))
    return list(
        db.session.scalars(
            db.select(Booking)
            .where(
                Booking.region_id == region.id,
                Booking.kind.in_(FIELD_KINDS),
                db.or_(Booking.status.in_(PLANNED_STATUSES), Booking.id.in_(tuple(keep))),
                Booking.starts_at >= origin,
                Booking.starts_at < end,
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    )


def technicians_on_shift(region: Region, day: date) -> list[tuple[Technician, Shift]]:
    """Active technicians of the region with a shift on ``day`` and no exception that day."""
    away = db.select(ShiftException.technician_id).where(ShiftException.day == day)
    rows = db.session.execute(
        db.select(Technician, Shift)
        .join(Shift, Shift.technician_id == Technician.id)
        .where(
            Technician.region_id == region.id,
            Technician.active.is_(True),
            Shift.weekday == day.weekday(),
            Technician.id.not_in(away),
        )
        .order_by(Technician.id)
    ).all()
    return [(t, s) for t, s in rows]


def region_labs(region: Region) -> list[Lab]:
    return list(
        db.session.scalars(
            db.select(Lab).where(Lab.region_id == region.id, Lab.active.is_(True)).order_by(Lab.id)
        )
    )


def _priority(booking: Booking, day: date) -> int:
    """Overdue months first: a visit catching up on an earlier month outranks a routine one."""
    return 2 if booking.monitoring_month < schedule.month_of(day) else 1


def build_day(
    region: Region,
    day: date,
    pins: dict[int, int] | None = None,
    windows: dict[int, tuple[datetime, datetime]] | None = None,
    exclude_booking: int | None = None,
    keep: Collection[int] = (),
) -> DayData:
    """The day's problem: the one model of a region's day behind planning, the booking-time check
    of a window (:mod:`dispatch.fleet`), coordinators' changes (:mod:`dispatch.adjust`) and live
    ETAs (:mod:`dispatch.progress`). ``pins`` maps booking id → technician id; ``windows`` narrows
    a booking's window (used to keep published arrival windows when re-optimizing, and for ETAs);
    ``exclude_booking`` leaves one booking out (the one being moved); ``keep`` keeps bookings whatever
    their status (a stop just collected, where a route under way continues from).
    """
    pins, windows = dict(pins or {}), windows or {}
    origin = day_origin(region, day)
    zone = zone_for(region.time_zone)
    bookings = [b for b in day_bookings(region, day, origin, keep) if b.id != exclude_booking]
    on_shift = technicians_on_shift(region, day)
    labs = region_labs(region)
    points = [(b.latitude, b.longitude) for b in bookings]
    points += [(t.home_latitude, t.home_longitude) for t, _ in on_shift]
    points += [(lab.latitude, lab.longitude) for lab in labs]
    matrix, source = build_matrix(current_app.config, points)
    service = region.service_minutes * 60
    on_shift_ids = {t.id for t, _ in on_shift}
    for booking in bookings:  # under way: stays with its technician
        if booking.id not in pins and booking.status in UNDER_WAY:
            holder = _holder(booking.id)
            if holder in on_shift_ids:
                pins[booking.id] = holder
    visits = []
    for i, booking in enumerate(bookings):
        start, end = windows.get(booking.id, (booking.starts_at, booking.ends_at))
        pin = pins.get(booking.id)
        visits.append(
            Visit(
                id=visit_id(booking.id),
                location=i,
                time_windows=(
                    TimeWindow(max(0, local_seconds(origin, start)), max(0, local_seconds(origin, end))),
                ),
                service_duration=service,
                required_skills=REQUIRED_SKILLS,
                priority=_priority(booking, day),
                pinned_technician=technician_key(pin) if pin in on_shift_ids else None,
            )
        )
    techs, shifts = [], {}
    for j, (tech, shift) in enumerate(on_shift):
        begin = local_seconds(origin, local_to_utc(day, shift.starts, zone))
        finish = local_seconds(origin, local_to_utc(day, shift.ends, zone))
        shifts[tech.id] = (begin, finish)
        techs.append(
            CoreTechnician(
                id=technician_key(tech.id),
                start_location=len(bookings) + j,
                shift=TimeWindow(begin, finish),
                skills=frozenset(tech.skills or ()),
                max_visits=tech.max_visits,
            )
        )
    core_labs = [
        CoreLab(
            id=lab_key(lab.id),
            location=len(bookings) + len(on_shift) + k,
            cutoff=local_seconds(origin, local_to_utc(day, lab.cutoff, zone)),
        )
        for k, lab in enumerate(labs)
    ]
    problem = DispatchProblem(
        visits=tuple(visits), technicians=tuple(techs), matrix=matrix, labs=tuple(core_labs)
    )
    return DayData(
        region, day, origin, bookings, [t for t, _ in on_shift], labs, shifts, problem, source, points
    )


def _holder(booking_id: int) -> int | None:
    """The technician of the booking in the published plan, if any."""

    return db.session.scalar(
        db.select(PlanStop.technician_id)
        .join(PlanVersion, PlanVersion.id == PlanStop.version_id)
        .join(DispatchPlan, DispatchPlan.id == PlanVersion.plan_id)
        .where(PlanStop.booking_id == booking_id, PlanVersion.number == DispatchPlan.published_number)
    )
