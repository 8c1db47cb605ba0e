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
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask import current_app

from booking.errors import Conflict
from booking.extensions import db
from booking.models import Region
from booking.slots import zone_for
from dispatch.day import day_bookings, day_origin, local_seconds, region_labs, technicians_on_shift
from dispatch.insertion import Call, FleetDay, FleetRoute, LabStop, build_fleet_day
from dispatch.models import DispatchPlan, PlanStop, PlanVersion, Technician
from dispatch.travel import GeodesicTravel, geodesic_for

if TYPE_CHECKING:
    from booking.services.availability import Opening, Site

_CACHE: OrderedDict[tuple, FleetDay] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 64


def _travel() -> GeodesicTravel:
    return geodesic_for(current_app.config)


def has_fleet(region: Region) -> bool:
    return db.session.scalar(db.select(Technician.id).where(Technician.region_id == region.id).limit(1)) is not None


def fleet_day(region: Region, day: date, exclude_booking: int | None = None) -> FleetDay:
    """The day's routes as an insertion structure (cached by fingerprint)."""
    origin = day_origin(region, day)
    bookings = [b for b in day_bookings(region, day, origin) if b.id != exclude_booking]
    on_shift = technicians_on_shift(region, day)
    labs = region_labs(region)
    plan = db.session.scalar(db.select(DispatchPlan).where(DispatchPlan.region_id == region.id,
                                                           DispatchPlan.day == day))
    fingerprint = hashlib.sha1(repr((
        [(b.id, b.starts_at, b.ends_at, b.latitude, b.longitude) for b in bookings],
        [(t.id, t.home_latitude, t.home_longitude, t.max_visits, s.starts, s.ends) for t, s in on_shift],
        [(lab.id, lab.latitude, lab.longitude, lab.cutoff) for lab in labs],
        (plan.id, plan.revision) if plan else None, region.service_minutes, region.time_zone,
    )).encode()).hexdigest()
    key = (region.id, day, fingerprint)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    built = _build(region, day, origin, bookings, on_shift, labs, plan)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built


def _build(region, day, origin, bookings, on_shift, labs, plan) -> FleetDay:
    zone = zone_for(region.time_zone)
    service = region.service_minutes * 60
    calls = {b.id: Call(f"b{b.id}", (b.latitude, b.longitude), local_seconds(origin, b.starts_at),
                        local_seconds(origin, b.ends_at), service) for b in bookings}
    routes = {}
    for tech, shift in on_shift:
        begin = local_seconds(origin, datetime.combine(day, shift.starts, zone))
        finish = local_seconds(origin, datetime.combine(day, shift.ends, zone))
        routes[tech.id] = FleetRoute(f"t{tech.id}", (tech.home_latitude, tech.home_longitude), begin, finish,
                                     tech.max_visits)
    placed = set()
    if plan is not None and plan.current_number is not None:
        stops = db.session.scalars(
            db.select(PlanStop).join(PlanVersion, PlanVersion.id == PlanStop.version_id)
            .where(PlanVersion.plan_id == plan.id, PlanVersion.number == plan.current_number)
            .order_by(PlanStop.technician_id, PlanStop.position))
        for stop in stops:
            if stop.technician_id in routes and stop.booking_id in calls:
                routes[stop.technician_id].calls.append(calls[stop.booking_id])
                placed.add(stop.booking_id)
    lab_stops = [LabStop((lab.latitude, lab.longitude),
                         local_seconds(origin, datetime.combine(day, lab.cutoff, zone))) for lab in labs]
    pending = [c for b, c in calls.items() if b not in placed]
    return build_fleet_day(list(routes.values()), lab_stops, pending, _travel())


def _call(region: Region, day: date, starts_at: datetime, ends_at: datetime, point) -> Call:
    origin = day_origin(region, day)
    return Call("candidate", point, local_seconds(origin, starts_at), local_seconds(origin, ends_at),
                region.service_minutes * 60)


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


def ensure_servable(region_id: int, starts_at: datetime, ends_at: datetime, latitude: float, longitude: float,
                    exclude_booking: int | None = None) -> None:
    """:raise Conflict: (409) no technician can fit this visit into the day's routes any more."""
    region = db.session.get(Region, region_id)
    if region is None or not has_fleet(region):
        return
    day = starts_at.astimezone(zone_for(region.time_zone)).date()
    call = _call(region, day, starts_at, ends_at, (latitude, longitude))
    if not fleet_day(region, day, exclude_booking).can_insert(call):
        raise Conflict("No technician can reach this address in that window any more; pick another window.")

