"""Reminders about a visit, each queued in the same transaction as the change that causes it.

The booking service calls one function per change (``booking_created``,
``booking_moved``, ``status_changed``); the technician's "leaving for the
stop" report calls ``technician_on_the_way``. A move or a cancel withdraws the
visit's pending reminders in that same transaction, so nothing is ever sent
about a time or a visit that no longer exists.

Dedupe keys (``outbox.notify`` adds the channel) make every producer safe to repeat:

=================================  ======================================================
``booking_confirmed:<booking>``    once per booking
``booking_moved:<booking>:<event>``  once per move (the reschedule's history event)
``booking_cancelled:<booking>``    once (cancelled is final); likewise ``missed_visit``
``on_the_way:<booking>``           once, when the technician leaves for the stop
``day_before:<booking>:<start>``   once per visit time; due 24 hours before the start
``provider_confirm:<booking>:<start>``  once per provider-visit time
=================================  ======================================================

A withdrawn message releases its key, so a visit moved away and back gets its
day-before reminder again. ``queue_missing_day_before`` is the periodic sweep
for visits that lack one (booked before reminders existed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, exists, select

from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.program import month_due, outbox, preferences
from booking.program import visit_phrases as say
from booking.program.links import page_link
from booking.program.models import MessageStatus, MessageType, OutboxMessage
from booking.program.scheduler import periodic
from booking.services import availability as av
from booking.states import DONE_STATUSES, FIELD_KINDS, NOT_STARTED_STATUSES

DAY_BEFORE = timedelta(hours=24)
# Statuses in which a visit is still ahead and worth reminding of.
AHEAD_STATUSES = NOT_STARTED_STATUSES
ON_THE_WAY_MINUTES = 30  # width of the refreshed arrival window sent when the technician leaves


def _instant_key(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _link(path: str) -> str:
    return page_link(path)


def _context(booking: Booking, language: str, sent_on: datetime | None) -> dict[str, str]:
    """Everything a visit message may say, in the patient's language and the visit's zone."""
    center = booking.service_center
    end = booking.ends_at if booking.kind in FIELD_KINDS else None  # a window; else a start time
    return {
        "when": say.when(booking.starts_at, end, booking.time_zone, language, sent_on),
        "place": say.place(booking.kind, language, f"{center.name}, {center.address}" if center else None),
        "preparation": say.preparation(booking.kind, language),
        "cost": say.cost(booking.kind, language),
        "link": _link(f"/bookings/{booking.id}"),
    }


def _notify(
    booking: Booking,
    type_: MessageType,
    key: str,
    *,
    due_at: datetime | None = None,
    sent_on: datetime | None = None,
    **extra: str,
) -> int:
    patient = booking.patient
    language = preferences.effective(patient).language
    relative = sent_on is not None  # "today"/"tomorrow", worded for when each copy goes out

    def context(at: datetime) -> dict[str, str]:
        words = {**_context(booking, language, at if relative else None), **extra}
        if type_ == MessageType.PROVIDER_CONFIRM:
            words["cost"] = say.copay_sentence(language)
        return words

    due = due_at or av.now_utc()  # the booking rules' clock, so both agree on what "now" is
    return outbox.notify(patient, type_, context, dedupe_key=key, due_at=due, booking_id=booking.id)


def _queue_visit_reminders(booking: Booking, now: datetime) -> int:
    """The day-before reminder (and, for a provider visit, "confirm the time with the office")."""
    if booking.starts_at <= now:
        return 0
    start = _instant_key(booking.starts_at)
    due = max(booking.starts_at - DAY_BEFORE, now)
    queued = _notify(
        booking, MessageType.DAY_BEFORE, f"day_before:{booking.id}:{start}", due_at=due, sent_on=due
    )
    if booking.kind == "provider" and booking.status == "requested":
        hours = timedelta(hours=current_app.config["PROVIDER_CONFIRM_HOURS"])
        due = max(booking.starts_at - hours, now)
        key = f"provider_confirm:{booking.id}:{start}"
        queued += _notify(booking, MessageType.PROVIDER_CONFIRM, key, due_at=due, sent_on=due)
    return queued


def booking_created(booking: Booking) -> None:
    """Confirm the booking, queue its reminders, and stop the month's pending "month is due"."""
    now = av.now_utc()
    _notify(booking, MessageType.BOOKING_CONFIRMED, f"booking_confirmed:{booking.id}", sent_on=now)
    _queue_visit_reminders(booking, now)
    month_due.withdraw_for_booked_month(booking.patient_id, booking.monitoring_month)


def booking_moved(booking: Booking, event: BookingEvent) -> None:
    """Withdraw the old time's pending reminders, tell the patient, and queue the new time's."""
    now = av.now_utc()
    outbox.withdraw(booking.id)
    _notify(booking, MessageType.BOOKING_MOVED, f"booking_moved:{booking.id}:{event.id}", sent_on=now)
    _queue_visit_reminders(booking, now)
    month_due.withdraw_for_booked_month(booking.patient_id, booking.monitoring_month)


def status_changed(booking: Booking, previous: str) -> None:
    """Cancelled or missed: withdraw what is pending and say so. Underway: nothing left to remind of."""
    status = booking.status
    if status == "cancelled":
        outbox.withdraw(booking.id)
        _notify(booking, MessageType.BOOKING_CANCELLED, f"booking_cancelled:{booking.id}")
    elif status == "no_show":
        outbox.withdraw(booking.id)
        _notify(booking, MessageType.MISSED_VISIT, f"missed_visit:{booking.id}")
    elif status == "confirmed" and previous == "requested":
        outbox.withdraw(booking.id, [MessageType.PROVIDER_CONFIRM])  # the office confirmed the time
    elif status == "arrived" or status in DONE_STATUSES:
        outbox.withdraw(booking.id)


def technician_on_the_way(booking: Booking, expected: datetime) -> int:
    """ "Your technician is on the way, arriving 10:05-10:35 AM": from the refreshed ETA, in the visit's zone."""
    start = max(expected, booking.starts_at).astimezone(UTC)
    start = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
    language = preferences.effective(booking.patient).language
    window = say.time_range(
        start, start + timedelta(minutes=ON_THE_WAY_MINUTES), ZoneInfo(booking.time_zone), language
    )
    return _notify(booking, MessageType.ON_THE_WAY, f"on_the_way:{booking.id}", window=window)


@periodic("day_before")
def queue_missing_day_before(at: datetime) -> int:
    """Queue the day-before reminder of visits in the next 24 hours that have none (booked before
    reminders existed); a visit that has one, pending or sent, is left alone."""
    has_one = exists().where(
        and_(
            OutboxMessage.booking_id == Booking.id,
            OutboxMessage.type == str(MessageType.DAY_BEFORE),
            OutboxMessage.status != str(MessageStatus.WITHDRAWN),
        )
    )
    due = db.session.scalars(
        select(Booking).where(
            Booking.status.in_(AHEAD_STATUSES),
            Booking.starts_at > at,
            Booking.starts_at <= at + DAY_BEFORE,
            ~has_one,
        )
    )
    return sum(_queue_visit_reminders(booking, at) for booking in due)
