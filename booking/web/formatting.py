"""How times, statuses and tests read on the pages: always in a named time zone, in words."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Flask

from booking.slots import zone_for
from booking.states import DONE_STATUSES, NOT_STARTED_STATUSES, PLANNED_STATUSES

KIND_LABELS = {
    "service_center": "At a service center",
    "home": "At home",
    "office": "At the office",
    "provider": "At the healthcare provider's office",  # read by the patient and by staff acting for them
}

STATUS_LABELS = {
    "requested": "Requested",
    "confirmed": "Confirmed",
    "assigned": "Technician assigned",
    "en_route": "Technician on the way",
    "arrived": "Technician arrived",
    "collected": "Samples collected",
    "delivered": "Delivered to the lab",
    "cancelled": "Cancelled",
    "no_show": "Missed (no-show)",
}

MONTH_STATUS_LABELS = {
    "upcoming": "Due, not booked",
    "booked": "Booked",
    "completed": "Done",
    "overdue": "Overdue",
    "missed": "Missed",
}

TEST_LABELS = {
    "cbc_with_differential": "Complete blood count with differential",
    "serum_creatinine": "Serum creatinine",
    "urinalysis_with_cell_counts": "Urinalysis with cell counts",
    "thyroid_function": "Thyroid function",
}


# What people call the zones, as US clocks and calendars say it.
ZONE_NAMES = {
    "America/New_York": "Eastern Time",
    "America/Detroit": "Eastern Time",
    "America/Indiana/Indianapolis": "Eastern Time",
    "America/Chicago": "Central Time",
    "America/Denver": "Mountain Time",
    "America/Boise": "Mountain Time",
    "America/Phoenix": "Arizona Time",
    "America/Los_Angeles": "Pacific Time",
    "America/Anchorage": "Alaska Time",
    "Pacific/Honolulu": "Hawaii Time",
    "America/Puerto_Rico": "Atlantic Time",
    "UTC": "UTC",
}


def zone_name(tz: str) -> str:
    """'America/New_York' → 'Eastern Time'; a zone without a common name → 'Berlin time'."""
    return ZONE_NAMES.get(tz) or f"{tz.rsplit('/', 1)[-1].replace('_', ' ')} time"


def weekday_in_month(instant: datetime, tz: str) -> str:
    """'the 2nd Tuesday of each month' for a visit on a second Tuesday (local day in ``tz``)."""
    day = in_zone(instant, tz).date()
    nth = ("1st", "2nd", "3rd", "4th", "last")[(day.day - 1) // 7]
    return f"the {nth} {day:%A} of each month"


def birth_date(day: date) -> str:
    """'17 May 1980': a date of birth, without a weekday."""
    return f"{day.day} {day:%b %Y}"


def in_zone(instant: datetime | str, tz: str) -> datetime:
    """``instant`` (a datetime, or ISO 8601 text with its offset) in the zone ``tz``."""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return instant.astimezone(zone_for(tz))


def clock(instant: datetime | str, tz: str) -> str:
    """'9:05 AM' in ``tz``."""
    return wall(in_zone(instant, tz).time())


def wall(value: time | str) -> str:
    """A wall-clock time ('15:00' or a ``time``) as '3:00 PM'."""
    if isinstance(value, str):
        value = time.fromisoformat(value)
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def day_label(day: date | datetime, tz: str | None = None) -> str:
    """'Tue 1 Dec 2026' (a datetime is first moved into ``tz``)."""
    if isinstance(day, datetime):
        day = in_zone(day, tz or "UTC")
    return f"{day:%a} {day.day} {day:%b %Y}"


def when(instant: datetime, tz: str) -> str:
    """'Tue 1 Dec 2026, 9:05 AM EST'."""
    local = in_zone(instant, tz)
    return f"{day_label(local)}, {clock(instant, tz)} {local.tzname()}"


def money(cents: int) -> str:
    """'$20' or '$12.50'."""
    text = f"${cents / 100:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def copay(patient) -> str:
    """The provider's co-pay for a visit, in a sentence: an amount, a range, none, or not known."""
    low, high = patient.provider_copay_min_cents, patient.provider_copay_max_cents
    if low is None:
        return "A co-pay may apply; the office can say how much."
    high = low if high is None else high
    if high == 0:
        return "No co-pay."
    if high == low:
        return f"Co-pay: {money(low)}."
    return f"Co-pay: {money(low)}–{money(high)}, depending on the health plan."


def window(start: datetime, end: datetime | None, tz: str) -> str:
    """'9:00 AM – 11:00 AM EST', or a single time when there is no end."""
    if end is None:
        return f"{clock(start, tz)} {in_zone(start, tz).tzname()}"
    return f"{clock(start, tz)} – {clock(end, tz)} {in_zone(end, tz).tzname()}"


def month_name(label: str) -> str:
    """'2026-12' → 'December 2026'."""
    year, month = map(int, label.split("-"))
    return f"{date(year, month, 1):%B %Y}"


def distance(km: float) -> str:
    return f"{km * 0.621371:.1f} mi ({km:.1f} km)"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        clock=clock,
        wall=wall,
        day_label=day_label,
        when=when,
        month_name=month_name,
        distance=distance,
        zone_name=zone_name,
        birth_date=birth_date,
        weekday_in_month=weekday_in_month,
    )
    app.jinja_env.globals.update(
        window=window,
        copay=copay,
        timedelta_hours=lambda hours: timedelta(hours=hours),
        timedelta_days=lambda days: timedelta(days=days),
        KIND_LABELS=KIND_LABELS,
        NOT_STARTED_STATUSES=NOT_STARTED_STATUSES,
        DONE_STATUSES=DONE_STATUSES,
        PLANNED_STATUSES=PLANNED_STATUSES,
        STATUS_LABELS=STATUS_LABELS,
        MONTH_STATUS_LABELS=MONTH_STATUS_LABELS,
        TEST_LABELS=TEST_LABELS,
    )
