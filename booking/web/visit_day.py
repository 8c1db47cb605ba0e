"""On the day of a home or office visit: the arrival window and the technician's first name.

Both come from the day's published dispatch plan; before it is published the
patient sees the window they booked.
"""

from __future__ import annotations

from booking.models import Booking
from booking.services import availability as av
from booking.slots import zone_for
from booking.states import FIELD_KINDS
from dispatch.published import published_visit


def details(visit: Booking, tz: str) -> dict | None:
    """What the patient sees on the visit's day, or None on any other day or kind."""
    if visit.kind not in FIELD_KINDS:
        return None
    zone = zone_for(tz)
    if visit.starts_at.astimezone(zone).date() != av.now_utc().astimezone(zone).date():
        return None

    published = published_visit(visit)
    window = published["arrival_window"]
    return {
        "booking": visit,
        "starts_at": window["start"] if window else visit.starts_at,
        "ends_at": window["end"] if window else visit.ends_at,
        "technician_first_name": published["technician_first_name"],
    }
