""" "The same time every month": the matching day and time of a visit in a later month.

A visit on the second Tuesday at 9:15 repeats on the second Tuesday at 9:15 of
each later month (the last such weekday when a month has no fifth one), at the
same local wall-clock time, so DST changes do not move it. Plain functions over
plain data: no Flask, no database.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from booking.schedule import add_months, month_of
from booking.slots import local_to_utc, zone_for


def same_weekday_in(day: date, months_later: int) -> date:
    """The same nth weekday as ``day`` (e.g. the 2nd Tuesday), ``months_later`` months on.

    A 5th weekday falls back to the month's last such weekday.
    """
    nth = (day.day - 1) // 7
    month = add_months(month_of(day), months_later)
    first = month + timedelta(days=(day.weekday() - month.weekday()) % 7)
    candidate = first + timedelta(weeks=nth)
    last_day = calendar.monthrange(month.year, month.month)[1]
    while candidate.day > last_day or candidate.month != month.month:
        candidate -= timedelta(weeks=1)
    return candidate


def same_time_in(starts_at: datetime, tz: str, months_later: int) -> datetime:
    """The instant of the same nth weekday and local time, ``months_later`` months after ``starts_at``."""
    zone = zone_for(tz)
    local = starts_at.astimezone(zone)
    return local_to_utc(same_weekday_in(local.date(), months_later), local.time().replace(tzinfo=None), zone)
