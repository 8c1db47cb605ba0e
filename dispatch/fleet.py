"""Travel-aware home and office availability: a window is offered only if the fleet can serve it.

The day's routes are the plan's current version when there is one, with any
booking made since inserted greedily; without a plan, all the day's bookings
are inserted greedily. The built day is cached under a fingerprint of
everything it depends on (bookings, technicians, shifts, exceptions, labs,
plan revision), so the booking page pays the build once per change and then
about a millisecond per window.

A region with no technicians at all is not dispatched yet: its daily capacity
rule alone applies there (the region's ``daily_capacity`` stays an upper bound
everywhere).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app

from booking.errors import Conflict
from booking.extensions import db
from booking.models import Booking, Region
from booking.slots import local_to_utc, zone_for
from dispatch.day import PLANNED_STATUSES, day_origin, local_seconds
from dispatch.insertion import Call, FleetDay, FleetRoute, LabStop, build_fleet_day
from dispatch.models import DispatchPlan, Lab, PlanStop, PlanVersion, Shift, ShiftException, Technician
from dispatch.travel import GeodesicTravel, geodesic_for

if TYPE_CHECKING:
    from booking.services.availability import Opening, Site

_CACHE: OrderedDict[tuple, FleetDay] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 64


def _travel() -> GeodesicTravel:
    return geodesic_for(current_app.config)


def has_fleet(region: Region) -> bool:
    return (
        db.session.scalar(db.select(Technician.id).where(Technician.region_id == region.id).limit(1))
        is not None
    )


def _day_rows(region: Region, day: date, origin: datetime, exclude_booking: int | None):
    """Plain rows (no ORM objects: this runs on every availability request) of what the day depends on."""
    end = day_origin(region, day + timedelta(days=1))
    bookings = db.session.execute(
        db.select(Booking.id, Booking.starts_at, Booking.ends_at, Booking.latitude, Booking.longitude)
        .where(
            Booking.region_id == region.id,
            Booking.kind.in_(("home", "office")),
            Booking.status.in_(PLANNED_STATUSES),
            Booking.starts_at >= origin,
            Booking.starts_at < end,
        )
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    bookings = [b for b in bookings if b.id != exclude_booking]
    away = db.select(ShiftException.technician_id).where(ShiftException.day == day)
    techs = db.session.execute(
        db.select(
            Technician.id,
            Technician.home_latitude,
            Technician.home_longitude,
            Technician.max_visits,
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
        db.select(DispatchPlan.id, DispatchPlan.revision, DispatchPlan.current_number).where(
            DispatchPlan.region_id == region.id, DispatchPlan.day == day
        )
    ).first()
    return bookings, techs, labs, plan


def fleet_day(region: Region, day: date, exclude_booking: int | None = None) -> FleetDay:
    """The day's routes as an insertion structure (cached by fingerprint)."""
    origin = day_origin(region, day)
    bookings, techs, labs, plan = _day_rows(region, day, origin, exclude_booking)
    fingerprint = hashlib.sha1(
        repr(
            (
                [tuple(b) for b in bookings],
                [tuple(t) for t in techs],
                [tuple(lab) for lab in labs],
                tuple(plan) if plan else None,
                region.service_minutes,
                region.time_zone,
            )
        ).encode()
    ).hexdigest()
    key = (region.id, day, fingerprint)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    built = _build(region, day, origin, bookings, techs, labs, plan)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built


def _build(region, day, origin, bookings, techs, labs, plan) -> FleetDay:
    zone = zone_for(region.time_zone)
    service = region.service_minutes * 60
    calls = {
        b.id: Call(
            f"b{b.id}",
            (b.latitude, b.longitude),
            local_seconds(origin, b.starts_at),
            local_seconds(origin, b.ends_at),
            service,
        )
        for b in bookings
    }
    routes = {}
    for tech in techs:
        begin = local_seconds(origin, local_to_utc(day, tech.starts, zone))
        finish = local_seconds(origin, local_to_utc(day, tech.ends, zone))
        routes[tech.id] = FleetRoute(
            f"t{tech.id}", (tech.home_latitude, tech.home_longitude), begin, finish, tech.max_visits
        )
    placed = set()
    if plan is not None and plan.current_number is not None:
        stops = db.session.execute(
            db.select(PlanStop.technician_id, PlanStop.booking_id)
            .join(PlanVersion, PlanVersion.id == PlanStop.version_id)
            .where(PlanVersion.plan_id == plan.id, PlanVersion.number == plan.current_number)
            .order_by(PlanStop.technician_id, PlanStop.position)
        ).all()
        for tech_id, booking_id in stops:
            if tech_id in routes and booking_id in calls:
                routes[tech_id].calls.append(calls[booking_id])
                placed.add(booking_id)
    lab_stops = [
        LabStop((lab.latitude, lab.longitude), local_seconds(origin, local_to_utc(day, lab.cutoff, zone)))
        for lab in labs
    ]
    pending = [c for b, c in calls.items() if b not in placed]
    return build_fleet_day(list(routes.values()), lab_stops, pending, _travel())


def _call(region: Region, day: date, starts_at: datetime, ends_at: datetime, point) -> Call:
    origin = day_origin(region, day)
    return Call(
        "candidate",
        point,
        local_seconds(origin, starts_at),
        local_seconds(origin, ends_at),
        region.service_minutes * 60,
    )


def servable_openings(site: Site, openings: list[Opening]) -> list[Opening]:
    """The openings of ``site``'s region that the fleet can reach at ``site``."""
    region = site.region
    if not openings or not has_fleet(region):
        return openings
    zone = zone_for(region.time_zone)
    days: dict[date, FleetDay] = {}
    kept = []
    for opening in openings:
        day = opening.slot.start.astimezone(zone).date()
        if day not in days:
            days[day] = fleet_day(region, day)
        call = _call(region, day, opening.slot.start, opening.slot.end, (site.latitude, site.longitude))
        if days[day].can_insert(call):
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
    """:raise Conflict: (409) no technician can fit this visit into the day's routes any more."""
    region = db.session.get(Region, region_id)
    if region is None or not has_fleet(region):
        return
    day = starts_at.astimezone(zone_for(region.time_zone)).date()
    call = _call(region, day, starts_at, ends_at, (latitude, longitude))
    if not fleet_day(region, day, exclude_booking).can_insert(call):
        raise Conflict("No technician can reach this address in that window any more; pick another window.")
