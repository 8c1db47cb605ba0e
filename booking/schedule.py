"""The monitoring schedule: which lab tests are due in which month.

From the month of the first infusion until 48 months after the last infusion
of the last treatment course, every calendar month has one due lab visit
(blood and urine), thyroid function is added every third month, and a skin
exam is due yearly. A new treatment course extends the window.

Plain functions over plain data: no Flask, no database.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

MONTHS_AFTER_LAST_INFUSION = 48
MONTHLY_TESTS = (
    "cbc_with_differential",
    "serum_creatinine",
    "urinalysis_with_cell_counts",
)
THYROID_TEST = "thyroid_function"
THYROID_EVERY_MONTHS = 3
SKIN_CHECK_EVERY_MONTHS = 12

MONTH_STATUSES = ("upcoming", "booked", "completed", "overdue", "missed")


def _require_date(name: str, value: object) -> None:
    # datetime is a subclass of date; letting one in would make month
    # arithmetic return datetimes and comparisons with dates fail later.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def month_of(d: date) -> date:
    """Return the first day of the calendar month containing ``d``."""
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    """Return ``d`` moved by ``n`` calendar months (``n`` may be negative).

    The day is clamped to the length of the target month, so Jan 31 + 1 month
    is Feb 28 (or Feb 29 in a leap year).

    :raise ValueError: if the result falls outside the years 1..9999.
    """
    months = d.year * 12 + (d.month - 1) + n
    year, month_index = divmod(months, 12)
    month = month_index + 1
    if not 1 <= year <= 9999:
        raise ValueError(f"{d.isoformat()} + {n} months is out of range")
    day = min(d.day, calendar.monthrange(year, month)[1])
    return d.replace(year=year, month=month, day=day)


def months_between(start: date, end: date) -> int:
    """Return the number of calendar months from ``start``'s month to ``end``'s."""
    return (end.year - start.year) * 12 + (end.month - start.month)


@dataclass(frozen=True)
class TreatmentCourse:
    """One course of infusions, from its first to its last infusion date.

    :raise TypeError: if a field is not a plain ``date``.
    :raise ValueError: if the last infusion precedes the first.
    """

    first_infusion: date
    last_infusion: date

    def __post_init__(self) -> None:
        _require_date("first_infusion", self.first_infusion)
        _require_date("last_infusion", self.last_infusion)
        if self.last_infusion < self.first_infusion:
            raise ValueError(
                f"last infusion {self.last_infusion.isoformat()} precedes "
                f"first infusion {self.first_infusion.isoformat()}"
            )


@dataclass(frozen=True)
class MonitoringMonth:
    """What is due in one calendar month of the monitoring window.

    ``index`` counts months from the month of the first infusion (index 0),
    so thyroid function falls on months 0, 3, 6, … and the yearly skin check
    on months 0, 12, 24, ….
    """

    month: date
    index: int
    tests: tuple[str, ...]
    skin_check_due: bool

    @classmethod
    def at(cls, first_month: date, index: int) -> MonitoringMonth:
        """Build the entry ``index`` months after ``first_month``."""
        tests = MONTHLY_TESTS
        if index % THYROID_EVERY_MONTHS == 0:
            tests = tests + (THYROID_TEST,)
        return cls(
            month=add_months(month_of(first_month), index),
            index=index,
            tests=tests,
            skin_check_due=index % SKIN_CHECK_EVERY_MONTHS == 0,
        )


def monitoring_window(courses: Sequence[TreatmentCourse]) -> tuple[date, date] | None:
    """Return the first and last month (first days) of monitoring, or None.

    The window runs from the month of the earliest first infusion through
    the month of the latest last infusion plus 48 months, inclusive.
    """
    if not courses:
        return None
    first = month_of(min(course.first_infusion for course in courses))
    last_infusion = max(course.last_infusion for course in courses)
    last = add_months(month_of(last_infusion), MONTHS_AFTER_LAST_INFUSION)
    return first, last


def monitoring_months(courses: Sequence[TreatmentCourse]) -> list[MonitoringMonth]:
    """Return one entry per calendar month of the monitoring window.

    The months are continuous even when there is a gap between courses,
    because monitoring never pauses between them. Empty when there are no
    courses.
    """
    window = monitoring_window(courses)
    if window is None:
        return []
    return list(_window_months(*window))


@lru_cache(maxsize=4096)
def _window_months(first: date, last: date) -> tuple[MonitoringMonth, ...]:
    """The months of one window, computed once per window and shared.

    A patient's window changes only with a new course, and many patients share
    one, so every schedule request would otherwise rebuild the same 50-odd
    frozen entries. Cached as a tuple: callers get a fresh list of them.
    """
    count = months_between(first, last) + 1
    return tuple(MonitoringMonth.at(first, index) for index in range(count))


def month_status(
    month: date,
    today: date,
    has_completed_visit: bool,
    has_active_booking: bool,
    later_month_completed: bool,
) -> str:
    """Return the status of one monitoring month, one of ``MONTH_STATUSES``.

    - ``completed``: the month has a completed visit, whatever the date.
    - ``booked``: the month is the current month or later and has an
      active booking.
    - ``upcoming``: the month is the current month or later, with no
      booking yet. The current month is never overdue: there is still time.
    - ``missed``: the month is past, had no completed visit, and some later
      month has one. A historical gap; nothing can be done about it.
    - ``overdue``: the month is past, had no completed visit, and no later
      month has one either: the patient has not been tested since, so action
      is needed now.

    ``month`` and ``today`` may be any day in their months; only the month
    counts.
    """
    if has_completed_visit:
        return "completed"
    if month_of(month) >= month_of(today):
        return "booked" if has_active_booking else "upcoming"
    return "missed" if later_month_completed else "overdue"
