"""What the booking pages offer: nearby centers, and free times grouped by the patient's days.

Thin wrappers over ``booking.services.availability`` (the API's own rules), shaped
for a page that shows one day at a time with a strip of the days around it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.geocoding import GeoPoint
from booking.models import Patient, ServiceCenter
from booking.schedule import add_months
from booking.services import availability as av
from booking.services.places import locate, nearest_service_centers
from booking.slots import zone_for

DAYS_SHOWN = 14
CENTERS_SHOWN = 5


@dataclass(frozen=True)
class DayOffer:
    day: date
    openings: list[av.Opening]


@dataclass(frozen=True)
class Offer:
    """Free times for one visit kind, by day in the patient's time zone."""

    days: list[DayOffer]
    selected: DayOffer | None
    place_zone: str


def search_point(patient: Patient, near: str | None) -> GeoPoint:
    """Where to search from: what the patient typed, else their home.

    :raise Unprocessable: (422) ``near`` cannot be geocoded (error on field ``near``).
    """
    if near:
        return locate(near, field="near")
    return GeoPoint(patient.home_latitude, patient.home_longitude, "client", patient.home_address)


def nearby_centers(patient: Patient, near: str | None) -> tuple[GeoPoint, list[tuple[ServiceCenter, float]]]:
    """Where the search is from, and the nearest centers with their distance in km."""
    origin = search_point(patient, near)
    return origin, nearest_service_centers(origin, radius_km=None, limit=CENTERS_SHOWN)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def opening_hours(center: ServiceCenter) -> list[str]:
    """'Mon–Fri 7:00 AM–3:00 PM', 'Sat 8:00 AM–12:00 PM': runs of days with the same hours."""
    from booking.web.formatting import wall

    by_day = {}
    for h in center.hours:
        by_day.setdefault(h.weekday, []).append(f"{wall(h.opens)}–{wall(h.closes)}")
    lines, run = [], []
    for day in range(7):
        if run and by_day.get(day) == by_day.get(run[-1]) and day == run[-1] + 1:
            run.append(day)
            continue
        if run:
            lines.append((run, by_day[run[0]]))
        run = [day] if day in by_day else []
    if run:
        lines.append((run, by_day[run[0]]))
    return [
        f"{WEEKDAYS[r[0]]}{'–' + WEEKDAYS[r[-1]] if len(r) > 1 else ''} {', '.join(times)}"
        for r, times in lines
    ]


def next_free(center: ServiceCenter, month: date | None) -> av.Opening | None:
    """The center's first free slot in ``month`` (or the next two weeks), to compare centers at a glance."""
    first, last = days_of(month, center.time_zone)
    if first > last:
        return None
    return next(iter(av.center_openings(center, first, last)), None)


@dataclass(frozen=True)
class Week:
    """The selected day's week of an offer, with the nearest day that has free times before and after it."""

    days: list[DayOffer]
    earlier: DayOffer | None
    later: DayOffer | None


def week_of(offer: Offer) -> Week:
    """The days with free times in the selected day's week (Monday to Sunday), for a short strip on a phone."""
    if offer.selected is None:
        return Week([], None, None)
    monday = offer.selected.day - timedelta(days=offer.selected.day.weekday())
    sunday = monday + timedelta(days=6)
    days = [d for d in offer.days if monday <= d.day <= sunday]
    earlier = next((d for d in reversed(offer.days) if d.day < monday), None)
    later = next((d for d in offer.days if d.day > sunday), None)
    return Week(days, earlier, later)


def _group(openings: list[av.Opening], tz: str) -> list[DayOffer]:
    zone = zone_for(tz)
    days: OrderedDict[date, list[av.Opening]] = OrderedDict()
    for opening in openings:
        days.setdefault(opening.slot.start.astimezone(zone).date(), []).append(opening)
    return [DayOffer(day, items) for day, items in days.items()]


def _offer(openings: list[av.Opening], patient_tz: str, place_zone: str, wanted: date | None) -> Offer:
    days = _group(openings, patient_tz)
    selected = next((d for d in days if d.day == wanted), None) or (days[0] if days else None)
    return Offer(days, selected, place_zone)


def today_at(tz: str) -> date:
    return av.now_utc().astimezone(zone_for(tz)).date()


def days_of(month: date | None, tz: str) -> tuple[date, date]:
    """The days to offer: the rest of ``month`` (from tomorrow's first free time on), or the next two weeks."""
    today = today_at(tz)
    if month is None:
        return today, today + timedelta(days=DAYS_SHOWN - 1)
    return max(today, month), add_months(month, 1) - timedelta(days=1)


def center_offer(
    patient: Patient, center: ServiceCenter, wanted: date | None, month: date | None = None
) -> Offer:
    """Free slots at ``center`` in ``month`` (or over the next two weeks)."""
    first, last = days_of(month, center.time_zone)
    openings = av.center_openings(center, first, last) if first <= last else []
    return _offer(openings, patient.time_zone, center.time_zone, wanted)


def mobile_offer(
    patient: Patient, kind: str, wanted: date | None, month: date | None = None
) -> tuple[Offer, av.Site]:
    """Arrival windows at the patient's home or office in ``month`` (or over the next two weeks).

    :raise Unprocessable: (422) no such address, or outside every home-visit region.
    """
    site = av.visit_site(patient, kind)
    first, last = days_of(month, site.region.time_zone)
    openings = av.site_openings(site, first, last) if first <= last else []
    return _offer(openings, patient.time_zone, site.region.time_zone, wanted), site


def parse_month(text: str | None) -> date | None:
    """'2027-01' → 1 Jan 2027, or None (missing or malformed)."""
    try:
        return date.fromisoformat(f"{text}-01") if text and len(text) == 7 else None
    except ValueError:
        return None


def by_part_of_day(openings: list[av.Opening], tz: str) -> list[tuple[str, list[av.Opening]]]:
    """Openings split into morning (before noon, local time) and afternoon, leaving out an empty part."""
    zone = zone_for(tz)
    morning = [o for o in openings if o.slot.start.astimezone(zone).hour < 12]
    afternoon = [o for o in openings if o.slot.start.astimezone(zone).hour >= 12]
    return [(name, part) for name, part in (("Morning", morning), ("Afternoon", afternoon)) if part]


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_instant(text: str | None) -> datetime | None:
    """An ISO 8601 instant with its offset, or None (naive or malformed)."""
    try:
        value = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return value if value is not None and value.tzinfo is not None else None
