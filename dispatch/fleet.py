"""The booking-time check of a home or office window: offered only if the day's routes can take it.

The day is the planner's own (:func:`dispatch.day.build_day`: the same
bookings, technicians with their skills and shifts, labs, pins and travel
times from the configured source), so a window promised here is one the plan
can keep. Its routes are the promises made so far:

- once the day's plan is published, the published routes; a booking made
  since is inserted into them or refused;
- before that, the plan's current draft when there is one;
- then every booking not on those routes, inserted greedily **in the order it
  was booked**, so rebuilding the routes reproduces the ones each booking was
  accepted into.

The planner starts from these routes (:func:`promised_routes`), so it can
only improve on them. The built day is cached under a fingerprint of
everything it depends on (bookings, technicians, skills, shifts, exceptions,
labs, plan revision), so the booking page pays the build once per change and
then about a millisecond per window.

A region with no technicians at all is not dispatched yet: its daily capacity
rule alone applies there (the region's ``daily_capacity`` stays an upper bound
everywhere).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app

from booking.errors import Conflict
from booking.extensions import db
from booking.models import Booking, Region
from booking.slots import zone_for
from dispatch.day import (
    PLANNED_STATUSES,
    REQUIRED_SKILLS,
    DayData,
    build_day,
    day_origin,
    local_seconds,
    technician_key,
    visit_id,
)
from dispatch.insertion import Candidate, DayRoutes, day_routes
from dispatch.models import DispatchPlan, Lab, PlanStop, PlanVersion, Shift, ShiftException, Technician
from dispatch.travel import durations_between, travel_for

if TYPE_CHECKING:
    from booking.services.availability import Opening, Site

_CACHE: OrderedDict[tuple, PromisedDay] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 64

NO_SKILL = (
    "No technician with the skills a home or office visit needs works in this region that day; "
    "pick another day or a service center."
)
NO_ROOM = "No technician can reach this address in that window any more; pick another window."


@dataclass
class PromisedDay:
    """A region's day as the planner sees it, with the routes its bookings were promised on."""

    data: DayData
    routes: DayRoutes


def has_fleet(region: Region) -> bool:
    return (
        db.session.scalar(db.select(Technician.id).where(Technician.region_id == region.id).limit(1))
        is not None
    )


def _fingerprint(region: Region, day: date, exclude_booking: int | None) -> str:
    """What the day depends on, as plain rows (no ORM objects: this runs on every availability request)."""
    origin = day_origin(region, day)
    end = day_origin(region, day + timedelta(days=1))
    bookings = db.session.execute(
        db.select(
            Booking.id,
            Booking.starts_at,
            Booking.ends_at,
            Booking.latitude,
            Booking.longitude,
            Booking.status,
        )
        .where(
            Booking.region_id == region.id,
            Booking.kind.in_(("home", "office")),
            Booking.status.in_(PLANNED_STATUSES),
            Booking.starts_at >= origin,
            Booking.starts_at < end,
        )
        .order_by(Booking.id)
    ).all()
    away = db.select(ShiftException.technician_id).where(ShiftException.day == day)
    techs = db.session.execute(
        db.select(
            Technician.id,
            Technician.home_latitude,
            Technician.home_longitude,
            Technician.max_visits,
            Technician.skills,
            Shift.starts,
            Shift.ends,
        )
        .join(Shift, Shift.technician_id == Technician.id)
        .where(
            Technician.region_id == region.id,
            Technician.active.is_(True),
            Shift.weekday == day.weekday(),
            Technician.id.not_in(away),
        )
        .order_by(Technician.id)
    ).all()
    labs = db.session.execute(
        db.select(Lab.id, Lab.latitude, Lab.longitude, Lab.cutoff)
        .where(Lab.region_id == region.id, Lab.active.is_(True))
        .order_by(Lab.id)
    ).all()
    plan = db.session.execute(
        db.select(
            DispatchPlan.id, DispatchPlan.revision, DispatchPlan.current_number, DispatchPlan.published_number
        ).where(DispatchPlan.region_id == region.id, DispatchPlan.day == day)
    ).first()
    return hashlib.sha1(
        repr(
            (
                [tuple(b) for b in bookings if b.id != exclude_booking],
                [tuple(t) for t in techs],
                [tuple(lab) for lab in labs],
                tuple(plan) if plan else None,
                region.service_minutes,
                region.time_zone,
                travel_for(current_app.config),
            )
        ).encode()
    ).hexdigest()


def promised_day(region: Region, day: date, exclude_booking: int | None = None) -> PromisedDay:
    """The day's problem and its promised routes (cached by fingerprint)."""
    key = (region.id, day, exclude_booking, _fingerprint(region, day, exclude_booking))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    data = build_day(region, day, exclude_booking=exclude_booking)
    built = PromisedDay(data, day_routes(data.problem, _plan_routes(region, day), _booking_order(data)))
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built


def promised_routes(region: Region, day: date) -> dict[str, list[str]]:
    """The routes the day's bookings were promised on, as the planner's warm start."""
    return promised_day(region, day).routes.as_routes()


def _booking_order(data: DayData) -> list[str]:
    return [visit_id(b.id) for b in sorted(data.bookings, key=lambda b: b.id)]


def _plan_routes(region: Region, day: date) -> dict[str, list[str]]:
    """The published version's routes, else the current draft's; empty without a plan."""
    plan = db.session.execute(
        db.select(DispatchPlan.id, DispatchPlan.current_number, DispatchPlan.published_number).where(
            DispatchPlan.region_id == region.id, DispatchPlan.day == day
        )
    ).first()
    if plan is None:
        return {}
    number = plan.published_number if plan.published_number is not None else plan.current_number
    if number is None:
        return {}
    stops = db.session.execute(
        db.select(PlanStop.technician_id, PlanStop.booking_id)
        .join(PlanVersion, PlanVersion.id == PlanStop.version_id)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.number == number)
        .order_by(PlanStop.technician_id, PlanStop.position)
    ).all()
    routes: dict[str, list[str]] = {}
    for tech_id, booking_id in stops:
        routes.setdefault(technician_key(tech_id), []).append(visit_id(booking_id))
    return routes


def _candidate(
    region: Region, promised: PromisedDay, starts_at: datetime, ends_at: datetime, travel: tuple
) -> Candidate:
    origin = promised.data.origin
    return Candidate(
        "candidate",
        local_seconds(origin, starts_at),
        local_seconds(origin, ends_at),
        region.service_minutes * 60,
        REQUIRED_SKILLS,
        travel[0],
        travel[1],
    )


def _travel(promised: PromisedDay, point: tuple[float, float]) -> tuple[list[int], list[int]]:
    """Seconds from ``point`` to every location of the day's matrix, and back, from the same source."""
    config, points = current_app.config, promised.data.points
    if not points:
        return [], []
    to = durations_between(config, [point], points)[0]
    back = [row[0] for row in durations_between(config, points, [point])]
    return to, back


def servable_openings(site: Site, openings: list[Opening]) -> list[Opening]:
    """The openings of ``site``'s region that the fleet can reach at ``site``."""
    region = site.region
    if not openings or not has_fleet(region):
        return openings
    zone = zone_for(region.time_zone)
    days: dict[date, tuple[PromisedDay, tuple]] = {}
    kept = []
    for opening in openings:
        day = opening.slot.start.astimezone(zone).date()
        if day not in days:
            promised = promised_day(region, day)
            days[day] = (promised, _travel(promised, (site.latitude, site.longitude)))
        promised, travel = days[day]
        candidate = _candidate(region, promised, opening.slot.start, opening.slot.end, travel)
        if promised.routes.can_insert(candidate):
            kept.append(opening)
    return kept


def ensure_servable(
    region_id: int,
    starts_at: datetime,
    ends_at: datetime,
    latitude: float,
    longitude: float,
    exclude_booking: int | None = None,
) -> None:
    """:raise Conflict: (409) no technician of the day has the skills, or none can fit this visit
    into the day's promised routes any more."""
    region = db.session.get(Region, region_id)
    if region is None or not has_fleet(region):
        return
    day = starts_at.astimezone(zone_for(region.time_zone)).date()
    promised = promised_day(region, day, exclude_booking)
    candidate = _candidate(region, promised, starts_at, ends_at, _travel(promised, (latitude, longitude)))
    if not promised.routes.skilled(candidate):
        raise Conflict(NO_SKILL)
    if not promised.routes.can_insert(candidate):
        raise Conflict(NO_ROOM)
