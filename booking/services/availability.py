"""What a patient can book: center slots, home/office arrival windows, provider visits.

Grids come from the pure rules in ``booking.slots``; places taken come from the
capacity counters, the same rows that decide a booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from booking.errors import NotFound, Unprocessable
from booking.extensions import db
from booking.models import Patient, Region, ServiceCenter
from booking.services import capacity
from booking.services.places import region_for
from booking.slots import Closure, OpeningHours, Slot, free_slots, slot_grid, zone_for
from booking.states import FIELD_KINDS

PROVIDER_NOTICE = (
    "The lab analysis is covered by the program, but your provider's office may charge a "
    "co-pay for the visit. The time is agreed directly with your provider's office; enter it "
    "here so your monitoring schedule shows it."
)


@dataclass(frozen=True)
class Opening:
    slot: Slot
    places_left: int | None


@dataclass(frozen=True)
class Site:
    """Where a home or office visit happens."""

    address: str
    latitude: float
    longitude: float
    region: Region


def now_utc() -> datetime:
    """The one clock of the booking rules (tests set it)."""
    return datetime.now(UTC)


def today_in(tz: str) -> date:
    """Today in the time zone ``tz``: the one definition of "today" (days and months turn over at local
    midnight, for a patient, a region or a technician)."""
    return local_day(now_utc(), tz)


def check_range(first: date, last: date, tz: str) -> None:
    """:raise Unprocessable: (422) reversed, past or too long a date range."""
    today = today_in(tz)
    if last < first:
        raise Unprocessable("'to' is before 'from'.", errors={"to": ["Must not be before 'from'."]})
    if last < today:
        raise Unprocessable("The date range is in the past.", errors={"to": ["Must not be in the past."]})
    limit = current_app.config["MAX_AVAILABILITY_DAYS"]
    if (last - first).days + 1 > limit:
        raise Unprocessable(
            f"The date range may span at most {limit} days.",
            errors={"to": [f"At most {limit} days after 'from'."]},
        )


def active_center(center_id: int | None) -> ServiceCenter:
    """:raise Unprocessable/NotFound: missing or unknown center."""
    if center_id is None:
        raise Unprocessable(
            "service_center_id is required for a service_center visit.",
            errors={"service_center_id": ["Required for kind=service_center."]},
        )
    # The center with its opening hours in one query (and its closures in one more): the slot
    # grid reads both next, each a lazy load otherwise.
    center = db.session.get(
        ServiceCenter,
        center_id,
        options=[joinedload(ServiceCenter.hours), selectinload(ServiceCenter.closures)],
    )
    if center is None or not center.active:
        raise NotFound(f"Service center {center_id} not found.")
    return center


def center_grid(center: ServiceCenter, first: date, last: date) -> list[Slot]:
    hours = [OpeningHours(h.weekday, h.opens, h.closes) for h in center.hours]
    closures = [Closure(c.start_date, c.end_date, c.reason) for c in center.closures]
    return slot_grid(hours, closures, center.time_zone, center.slot_minutes, first, last)


def center_openings(center: ServiceCenter, first: date, last: date) -> list[Opening]:
    """Free future slots of a center with the places left in each."""
    now = now_utc()  # once: the comprehension asked the clock again for each of hundreds of slots
    grid = [s for s in center_grid(center, first, last) if s.start > now]
    if not grid:
        return []
    counts = capacity.center_booked_counts(center.id, grid[0].start, grid[-1].start)
    return [Opening(s, left) for s, left in free_slots(grid, counts, center.capacity_per_slot)]


def home_visit_lead() -> timedelta:
    """How long before its window a home or office visit may still be booked (``HOME_VISIT_LEAD_HOURS``)."""
    return timedelta(hours=current_app.config["HOME_VISIT_LEAD_HOURS"])


def region_grid(region: Region, first: date, last: date) -> list[Slot]:
    hours = [OpeningHours(d, region.service_start, region.service_end) for d in region.service_weekdays]
    return slot_grid(hours, [], region.time_zone, region.window_minutes, first, last)


def region_openings(region: Region, first: date, last: date) -> list[Opening]:
    """Future arrival windows on the region's days that still have capacity.

    A simple rule: a day's capacity is shared by all its windows. The daily
    dispatch replaces it with a travel-aware insertion check.
    """
    earliest = now_utc() + home_visit_lead()
    windows = [w for w in region_grid(region, first, last) if w.start >= earliest]
    taken = capacity.region_booked_counts(region.id, first, last)
    zone = zone_for(region.time_zone)
    out = []
    for window in windows:
        left = region.daily_capacity - taken.get(window.start.astimezone(zone).date(), 0)
        if left > 0:
            out.append(Opening(window, left))
    return out


def site_openings(site: Site, first: date, last: date) -> list[Opening]:
    """Arrival windows at a home or office that the region still has room for and the fleet can serve."""
    from dispatch.fleet import servable_openings  # dispatch checks insertion into the day's routes

    return servable_openings(site, region_openings(site.region, first, last))


def visit_site(patient: Patient, kind: str) -> Site:
    """The patient's home or office and the region that serves it.

    :raise Unprocessable: (422) no office address on file, or outside every home-visit region.
    """
    prefix = "home" if kind == "home" else "office"
    address = getattr(patient, f"{prefix}_address")
    if not address:
        raise Unprocessable(
            f"The patient has no {prefix} address on file.",
            errors={"kind": [f"No {prefix} address on file."]},
        )
    lat, lon = getattr(patient, f"{prefix}_latitude"), getattr(patient, f"{prefix}_longitude")
    region = region_for(lat, lon)
    if region is None:
        raise Unprocessable(
            f"The {prefix} address is outside every home-visit service region.",
            errors={"kind": [f"Mobile visits are not offered at this {prefix} address."]},
        )
    return Site(address, lat, lon, region)


def provider_of(patient: Patient) -> dict:
    """:raise Unprocessable: (422) the patient has no provider on file."""
    if not patient.provider_name:
        raise Unprocessable(
            "The patient has no healthcare provider on file.",
            errors={"kind": ["No healthcare provider on file."]},
        )
    return {
        "name": patient.provider_name,
        "address": patient.provider_address,
        "phone": patient.provider_phone,
        "copay_min_cents": patient.provider_copay_min_cents,
        "copay_max_cents": patient.provider_copay_max_cents,
    }


class _IsoTimes:
    """ISO 8601 strings of instants in one zone, with integer arithmetic.

    The zone is asked for its offset once per half hour of UTC time (offsets
    change only on a half hour in every zone); the rest is integer formatting.
    ``datetime.isoformat`` on zone-aware values looks the offset up on every call,
    which made a month of 15-minute slots the slowest part of the booking page.

    The offsets and day strings are kept for the process, not per request: every
    request asks about the same few weeks ahead, and a 14-day answer would otherwise
    look up several hundred half hours again. Both tables are facts of the calendar
    (time zone data changes only with a new release, which means a restart); they
    are emptied when they grow past ``_KEEP`` entries.
    """

    _EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
    _KEEP = 200_000
    _offsets: dict[tuple[str, int], tuple[int, str]] = {}
    _days: dict[int, str] = {}

    def __init__(self, tz: str) -> None:
        self._tz = tz
        self._zone = zone_for(tz)

    def _offset(self, ts: int) -> tuple[int, str]:
        key = (self._tz, ts // 1800)
        cached = self._offsets.get(key)
        if cached is None:
            local = datetime.fromtimestamp(ts, self._zone)
            seconds = int(local.utcoffset().total_seconds())
            cached = (seconds, local.isoformat()[19:])
            if len(self._offsets) >= self._KEEP:
                self._offsets.clear()
            self._offsets[key] = cached
        return cached

    def iso_ts(self, ts: int) -> str:
        """The ISO string of a POSIX timestamp (whole seconds) in this zone."""
        offset, suffix = self._offset(ts)
        days, rest = divmod(ts + offset, 86400)
        day = self._days.get(days)
        if day is None:
            day = date.fromordinal(self._EPOCH_ORDINAL + days).isoformat()
            if len(self._days) >= self._KEEP:
                self._days.clear()
            self._days[days] = day
        minute, second = divmod(rest, 60)
        if second:
            return f"{day}T{rest // 3600:02d}:{rest % 3600 // 60:02d}:{second:02d}{suffix}"
        return day + _CLOCK[minute] + suffix


# "THH:MM:00" for every minute of a day, so formatting a slot is a lookup.
_CLOCK = tuple(f"T{m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60))


def opening_views(openings: list[Opening], tz: str) -> list[dict]:
    """Openings with UTC and local times, as plain JSON values.

    Rendered here rather than by marshmallow: a month of 15-minute slots is
    over a thousand rows, and this is the booking page's hot path.
    """
    local, utc = _IsoTimes(tz), _IsoTimes("UTC")
    views = []
    for o in openings:
        start, end = int(o.slot.start.timestamp()), int(o.slot.end.timestamp())
        views.append(
            {
                "starts_at": utc.iso_ts(start),
                "ends_at": utc.iso_ts(end),
                "local_start": local.iso_ts(start),
                "local_end": local.iso_ts(end),
                "places_left": o.places_left,
            }
        )
    return views


def availability(patient: Patient, kind: str, first: date, last: date, center_id: int | None) -> dict:
    """Everything the booking page needs to offer ``kind`` between two dates."""
    result = {
        "patient_id": patient.id,
        "kind": kind,
        "start": first,
        "end": last,
        "service_center": None,
        "region": None,
        "openings": [],
        "notice": None,
        "copay_may_apply": kind == "provider",
        "time_agreed_with_provider": kind == "provider",
        "provider": None,
        "time_zone": patient.time_zone,
    }
    if kind == "service_center":
        center = active_center(center_id)
        check_range(first, last, center.time_zone)
        result.update(
            time_zone=center.time_zone,
            service_center=center_ref(center),
            openings=opening_views(center_openings(center, first, last), center.time_zone),
        )
    elif kind in FIELD_KINDS:
        site = visit_site(patient, kind)
        check_range(first, last, site.region.time_zone)
        result.update(
            time_zone=site.region.time_zone,
            region=region_ref(site.region),
            openings=opening_views(site_openings(site, first, last), site.region.time_zone),
        )
    else:
        check_range(first, last, patient.time_zone)
        result.update(provider=provider_of(patient), notice=PROVIDER_NOTICE)
    return result


def center_ref(center: ServiceCenter) -> dict:
    return {"id": center.id, "name": center.name, "network": center.network, "address": center.address}


def region_ref(region: Region) -> dict:
    return {"id": region.id, "name": region.name, "network": None, "address": None}


def local_day(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone_for(tz)).date()
