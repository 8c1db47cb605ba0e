"""Booking "the same time every month" ahead, through the ordinary booking rules.

Each later month is booked with ``create_booking`` as if the patient had picked
that time themselves, so capacity, the one-visit-per-month rule, opening hours,
closures, the home-visit check and the program's end all apply. A month that a
rule refuses is reported with the rule's reason and left unbooked; the others
are still booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from booking.errors import DomainError, Unprocessable
from booking.extensions import db
from booking.models import Booking, User
from booking.recurrence import same_time_in
from booking.schedule import month_of
from booking.services import availability as av
from booking.services.bookings import create_booking

MAX_MONTHS_AHEAD = 12
REPEATABLE_KINDS = ("service_center", "home", "office")


@dataclass(frozen=True)
class MonthOutcome:
    month: date
    booking: Booking | None
    reason: str | None


def book_same_time_ahead(actor: User, visit: Booking, months: int) -> list[MonthOutcome]:
    """Book ``visit``'s nth weekday and local time in each of the next ``months`` months; flushed, not committed.

    :raise Unprocessable: (422) a provider visit (its time is agreed with the office), or ``months``
        outside 1..12.
    """
    if visit.kind not in REPEATABLE_KINDS:
        raise Unprocessable(
            "A provider visit's time is agreed with the provider's office, so it cannot be repeated here.",
            errors={"months": ["Not for a provider visit."]},
        )
    if not 1 <= months <= MAX_MONTHS_AHEAD:
        raise Unprocessable(
            f"Choose 1 to {MAX_MONTHS_AHEAD} months.", errors={"months": [f"From 1 to {MAX_MONTHS_AHEAD}."]}
        )
    outcomes = []
    for n in range(1, months + 1):
        starts_at = same_time_in(visit.starts_at, visit.time_zone, n)
        month = month_of(av.local_day(starts_at, visit.time_zone))
        data = {"kind": visit.kind, "starts_at": starts_at, "service_center_id": visit.service_center_id}
        try:
            with db.session.begin_nested():
                booked = create_booking(actor, visit.patient, data)
        except DomainError as exc:
            outcomes.append(MonthOutcome(month, None, exc.detail))
            continue
        outcomes.append(MonthOutcome(month, booked, None))
    return outcomes
