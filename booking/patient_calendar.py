"""A patient's lab visits as iCalendar: one visit to download, or a personal feed to subscribe to.

Calendar apps sync to outside services, so events carry when and where, the
kind of visit and how to prepare, but no name, birth date or test results. The
feed's address holds a signed token of the patient id and the patient's feed
version (HMAC with the app's secret): unguessable, it names no one, and raising
the version (the patient's "make a new link") makes every earlier address stop
working.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer

from booking.models import Booking

SUMMARIES = {
    "service_center": "Lab visit at {place}",
    "home": "Lab technician visit at home (arrival window)",
    "office": "Lab technician visit at the office (arrival window)",
    "provider": "Lab visit at your healthcare provider (requested)",
}
FEED_SALT = "patient-calendar-feed"


def _event(visit: Booking, description: str) -> Event:
    event = Event()
    place = visit.service_center.name if visit.service_center else "the center"
    event.add("uid", f"labvisit-visit-{visit.id}@labvisit")
    event.add("summary", SUMMARIES[visit.kind].format(place=place))
    event.add("dtstart", visit.starts_at)
    event.add("dtend", visit.ends_at or visit.starts_at + timedelta(minutes=30))
    event.add("dtstamp", visit.updated_at or visit.starts_at)
    if visit.address:
        event.add("location", visit.address)
    event.add("description", description)
    return event


def visits_calendar(visits: list[tuple[Booking, str]], name: str = "Lab visits") -> bytes:
    """The iCalendar bytes of ``visits``, each with the description to show under it."""
    calendar = Calendar()
    calendar.add("prodid", "-//labvisit//patient visits//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for visit, description in visits:
        calendar.add_component(_event(visit, description))
    return calendar.to_ical()


def feed_token(secret: str, patient_id: int, version: int) -> str:
    """The unguessable token of a patient's calendar feed, valid while their feed version is ``version``."""
    return URLSafeSerializer(secret, salt=FEED_SALT).dumps([patient_id, version])


def patient_of_token(secret: str, token: str) -> tuple[int, int] | None:
    """The patient id and feed version a token was made for, or None for a forged or garbled token."""
    try:
        value = URLSafeSerializer(secret, salt=FEED_SALT).loads(token)
    except BadSignature:
        return None
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        return value[0], value[1]
    return None
