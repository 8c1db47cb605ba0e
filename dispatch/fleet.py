"""The booking-time check of a home or office window: offered only if the day's routes can take it.

The day is the planner's own (:func:`dispatch.day.build_day`: the same
bookings, technicians with their skills and shifts, labs, pins and travel
times from the configured source), so a window promised here is one the plan
can keep. Its routes are the promises made so far:

- once the day's plan is published, the published routes with their
  published arrival windows; a booking made since joins them as a new
  published version (:func:`place_in_published`) or is refused;
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

import bisect
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app

from booking.db_types import utcnow
from booking.errors import Conflict
from booking.extensions import db
from booking.models import Booking, Region, User
from booking.services.bookings import change_status
from booking.slots import zone_for
from booking.states import FIELD_KINDS
from dispatch.day import (
    PLANNED_STATUSES,
    REQUIRED_SKILLS,
    DayData,
    build_day,
    day_origin,
    key_id,
    local_seconds,
    technician_key,
    visit_id,
)
from dispatch.engine.insertion import Candidate, DayRoutes, candidate_of, day_routes
from dispatch.engine.result import Unassigned, UnassignedReason
from dispatch.engine.timing import timed_plan
from dispatch.engine.validation import validate
from dispatch.models import DispatchPlan, Lab, PlanStop, PlanVersion, Shift, ShiftException, Technician
from dispatch.plans import audit, bump_revision, plan_for, store_version, version
from dispatch.travel import durations_between, travel_for

if TYPE_CHECKING:
    from booking.services.availability import Opening, Site  # cycle: availability calls this module

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
    """What the day depends on, hashed (see :func:`_fingerprints`)."""
    return _fingerprints(region, [day], exclude_booking)[day]


def _fingerprints(region: Region, days: list[date], exclude_booking: int | None) -> dict[date, str]:
    """What each day depends on, as plain rows hashed (no ORM objects: this runs on every availability
    request). Five queries for the whole range, so a week of windows costs what one day did."""
    days = sorted(set(days))
    origins = {day: day_origin(region, day) for day in days}
    ends = {day: day_origin(region, day + timedelta(days=1)) for day in days}
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
            Booking.kind.in_(FIELD_KINDS),
            Booking.status.in_(PLANNED_STATUSES),
            Booking.starts_at >= origins[days[0]],
            Booking.starts_at < ends[days[-1]],
        )
        .order_by(Booking.id)
    ).all()
    away = set(
        db.session.execute(
            db.select(ShiftException.technician_id, ShiftException.day).where(ShiftException.day.in_(days))
        ).all()
    )
    techs = db.session.execute(
        db.select(
            Shift.weekday,
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
            Shift.weekday.in_({day.weekday() for day in days}),
        )
        .order_by(Technician.id, Shift.id)
    ).all()
    labs = db.session.execute(
        db.select(Lab.id, Lab.latitude, Lab.longitude, Lab.cutoff)
        .where(Lab.region_id == region.id, Lab.active.is_(True))
        .order_by(Lab.id)
    ).all()
    plans = {
        row.day: tuple(row)[1:]
        for row in db.session.execute(
            db.select(
                DispatchPlan.day,
                DispatchPlan.id,
                DispatchPlan.revision,
                DispatchPlan.current_number,
                DispatchPlan.published_number,
            ).where(DispatchPlan.region_id == region.id, DispatchPlan.day.in_(days))
        ).all()
    }
    shared = (
        [tuple(lab) for lab in labs],
        region.service_minutes,
        region.time_zone,
        travel_for(current_app.config),
    )
    # One pass over the bookings and one over the shifts, each row to its day, instead of a
    # scan of every row for every day: the days are ordered and their spans do not overlap.
    day_bookings: dict[date, list[tuple]] = {day: [] for day in days}
    starts = [origins[day] for day in days]
    for b in bookings:
        i = bisect.bisect_right(starts, b.starts_at) - 1
        if i >= 0 and b.starts_at < ends[days[i]] and b.id != exclude_booking:
            day_bookings[days[i]].append(tuple(b))
    weekday_shifts: dict[int, list] = {}
    for t in techs:
        weekday_shifts.setdefault(t.weekday, []).append(t)
    out = {}
    for day in days:
        state = (
            day_bookings[day],
            [tuple(t)[1:] for t in weekday_shifts.get(day.weekday(), ()) if (t.id, day) not in away],
            plans.get(day),
            *shared,
        )
        out[day] = hashlib.sha1(repr(state).encode()).hexdigest()
    return out


def promised_day(
    region: Region, day: date, exclude_booking: int | None = None, fingerprint: str | None = None
) -> PromisedDay:
    """The day's problem and its promised routes (cached by fingerprint; pass one already computed)."""
    fingerprint = fingerprint or _fingerprint(region, day, exclude_booking)
    key = (region.id, day, exclude_booking, fingerprint)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    routes, windows = _plan_state(region, day)
    data = build_day(region, day, windows=windows, exclude_booking=exclude_booking)
    built = PromisedDay(data, day_routes(data.problem, routes, _booking_order(data)))
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


def _plan_state(
    region: Region, day: date
) -> tuple[dict[str, list[str]], dict[int, tuple[datetime, datetime]]]:
    """The published version's routes and arrival windows (promised to patients, so kept), else the
    current draft's routes (no windows); nothing without a plan."""
    plan = db.session.execute(
        db.select(DispatchPlan.id, DispatchPlan.current_number, DispatchPlan.published_number).where(
            DispatchPlan.region_id == region.id, DispatchPlan.day == day
        )
    ).first()
    if plan is None:
        return {}, {}
    number = plan.published_number if plan.published_number is not None else plan.current_number
    if number is None:
        return {}, {}
    stops = db.session.execute(
        db.select(PlanStop.technician_id, PlanStop.booking_id, PlanStop.window_start, PlanStop.window_end)
        .join(PlanVersion, PlanVersion.id == PlanStop.version_id)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.number == number)
        .order_by(PlanStop.technician_id, PlanStop.position)
    ).all()
    routes: dict[str, list[str]] = {}
    for stop in stops:
        routes.setdefault(technician_key(stop.technician_id), []).append(visit_id(stop.booking_id))
    if plan.published_number is None:
        return routes, {}
    return routes, {s.booking_id: (s.window_start, s.window_end) for s in stops}


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
    fingerprints = _fingerprints(region, [o.slot.start.astimezone(zone).date() for o in openings], None)
    days: dict[date, tuple[PromisedDay, tuple]] = {}
    kept = []
    for opening in openings:
        day = opening.slot.start.astimezone(zone).date()
        if day not in days:
            promised = promised_day(region, day, fingerprint=fingerprints[day])
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


NOT_PLANNED = ("not_yet_planned", "Booked after the plan was made; add it or re-optimize.")


def _published(region: Region, day: date):
    """The day's plan and its published version, or (plan, None)."""
    plan = plan_for(region, day)
    if plan is None or plan.published_number is None:
        return plan, None
    return plan, version(plan, plan.published_number)


def _republish(
    plan, published, data, new_routes: dict[str, list[str]], actor: User, moved: int
) -> PlanVersion:
    """Store ``new_routes`` as the published version, keeping every stop's promised window but ``moved``'s.

    :raise Conflict: (409) the routes would break a rule.
    """
    problem = data.problem
    served = {v for ids in new_routes.values() for v in ids}
    left = [v.id for v in problem.visits if v.id not in served]
    reasons = {u.booking_id: (u.reason, u.message) for u in published.unassigned}
    reasons.update({key_id(v): NOT_PLANNED for v in left if key_id(v) not in reasons})
    core = timed_plan(
        problem, new_routes, [Unassigned(v, UnassignedReason.NO_CAPACITY, "") for v in left], status="MANUAL"
    )
    if validate(problem, core):
        raise Conflict(NO_ROOM)
    draft = plan.current_number if plan.current_number != plan.published_number else None
    bump_revision(plan, None)
    keep = {
        s.booking_id: (s.technician_id, s.window_start, s.window_end)
        for s in published.stops
        if s.booking_id != moved
    }
    pins = {s.booking_id for s in published.stops if s.pinned and s.booking_id != moved}
    new = store_version(
        plan,
        data,
        core,
        source="booking",
        actor=actor,
        pins=pins,
        stats={"solver_status": "MANUAL"},
        keep_windows=keep,
        reasons=reasons,
    )
    if draft is not None:
        plan.current_number = draft  # a coordinator's draft stays the one being edited
    new.published_at = utcnow()
    plan.published_number = new.number
    return new


def place_in_published(booking: Booking, actor: User) -> None:
    """Once the day's plan is published, a new home or office booking joins the published routes where
    it adds the least driving, keeping every published arrival window: a new published version, the
    booking assigned. Nothing happens before a plan is published.

    :raise Conflict: (409) the published routes cannot take it.
    """
    if booking.region_id is None or booking.kind not in FIELD_KINDS:
        return
    region = db.session.get(Region, booking.region_id)
    day = booking.starts_at.astimezone(zone_for(region.time_zone)).date()
    plan, published = _published(region, day)
    if published is None:
        return
    routes, windows = _plan_state(region, day)
    windows.pop(booking.id, None)  # a visit moved within the day gets a window from its new time
    pins = {s.booking_id: s.technician_id for s in published.stops if s.pinned and s.booking_id != booking.id}
    data = build_day(region, day, pins=pins, windows=windows)
    problem, key = data.problem, visit_id(booking.id)
    if not problem.has_visit(key):
        return
    routes = {t: [v for v in ids if v != key] for t, ids in routes.items()}
    routed = DayRoutes(problem, routes)
    position = routed.best(candidate_of(problem, problem.visit(key)))
    if position is None:
        raise Conflict(NO_ROOM)
    new_routes = routed.as_routes()
    new_routes.setdefault(position.technician_id, []).insert(position.index, key)
    new = _republish(plan, published, data, new_routes, actor, booking.id)
    if booking.status == "confirmed":
        change_status(actor, booking, "assigned", f"on plan version {new.number}")
    audit(
        plan,
        actor,
        "booking_inserted",
        {
            "booking_id": booking.id,
            "technician_id": key_id(position.technician_id),
            "position": position.index,
        },
        from_version=published.number,
        to_version=new.number,
    )
    db.session.flush()


def leave_published(booking: Booking, region_id: int | None, day: date, actor: User) -> None:
    """A home or office visit moved off ``day`` (or to another time of it) leaves that day's published
    routes: a new published version without it, every other promised window kept, so no technician
    is sent at the old time. Nothing happens if the day has no published plan holding it.
    """
    if region_id is None or booking.kind not in FIELD_KINDS:
        return
    region = db.session.get(Region, region_id)
    plan, published = _published(region, day)
    if published is None or booking.id not in {s.booking_id for s in published.stops}:
        return
    routes, windows = _plan_state(region, day)
    key = visit_id(booking.id)
    windows.pop(booking.id, None)
    pins = {s.booking_id: s.technician_id for s in published.stops if s.pinned and s.booking_id != booking.id}
    data = build_day(region, day, pins=pins, windows=windows)
    new_routes = {t: [v for v in ids if v != key and data.problem.has_visit(v)] for t, ids in routes.items()}
    new = _republish(plan, published, data, new_routes, actor, booking.id)
    audit(
        plan,
        actor,
        "booking_left",
        {"booking_id": booking.id},
        from_version=published.number,
        to_version=new.number,
    )
    db.session.flush()
