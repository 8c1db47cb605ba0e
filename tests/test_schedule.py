"""Tests for the monitoring schedule rules (booking.schedule)."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.schedule import (
    MONTH_STATUSES,
    MonitoringMonth,
    TreatmentCourse,
    add_months,
    monitoring_months,
    month_of,
    month_status,
)

BASE_TESTS = ("cbc_with_differential", "serum_creatinine", "urinalysis_with_cell_counts")
WITH_THYROID = BASE_TESTS + ("thyroid_function",)


def course(first: str, last: str) -> TreatmentCourse:
    return TreatmentCourse(date.fromisoformat(first), date.fromisoformat(last))


# --- month arithmetic -------------------------------------------------------


def test_month_of_returns_first_day():
    """month_of gives the first day of the same calendar month."""
    assert month_of(date(2026, 2, 17)) == date(2026, 2, 1)
    assert month_of(date(2026, 2, 1)) == date(2026, 2, 1)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
        (date(2026, 1, 1), 48, date(2030, 1, 1)),
    ],
)
def test_add_months_clamps_the_day(start, n, expected):
    """add_months moves by calendar months and clamps to the month's last day."""
    assert add_months(start, n) == expected


def test_add_months_out_of_range_is_value_error():
    """Moving past year 9999 is a ValueError, not an OverflowError."""
    with pytest.raises(ValueError, match="out of range"):
        add_months(date(9999, 12, 1), 1)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-600, 600))
def test_add_months_round_trips_on_month_starts(d, n):
    """On first days of months, adding then subtracting n months returns the start."""
    first = month_of(d)
    assert add_months(add_months(first, n), -n) == first
    moved = add_months(d, n)
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
    assert moved.day <= d.day


# --- treatment courses ------------------------------------------------------


def test_course_rejects_last_before_first():
    """A course whose last infusion precedes its first is a ValueError."""
    with pytest.raises(ValueError, match="precedes"):
        course("2026-05-02", "2026-05-01")


def test_course_allows_single_infusion():
    """A course may start and end on the same day."""
    assert course("2026-05-01", "2026-05-01").last_infusion == date(2026, 5, 1)


def test_course_rejects_datetimes():
    """A datetime is not accepted where an infusion date is expected."""
    with pytest.raises(TypeError):
        TreatmentCourse(datetime(2026, 5, 1, 9), date(2026, 6, 1))


# --- monitoring months ------------------------------------------------------


def test_no_courses_no_months():
    """Without any treatment course there is nothing to monitor."""
    assert monitoring_months([]) == []


def test_single_course_spans_48_months_after_last_infusion():
    """Monthly entries run from the first infusion's month to last + 48 months inclusive."""
    months = monitoring_months([course("2026-01-20", "2026-02-03")])
    assert months[0].month == date(2026, 1, 1)
    assert months[-1].month == date(2030, 2, 1)
    assert len(months) == 50  # Jan 2026 .. Feb 2030
    assert [m.index for m in months] == list(range(50))


def test_months_are_consecutive_first_days():
    """Entries are consecutive calendar months, each given by its first day."""
    months = monitoring_months([course("2026-11-30", "2026-11-30")])
    for earlier, later in zip(months, months[1:], strict=False):
        assert later.month == add_months(earlier.month, 1)
        assert later.month.day == 1


def test_tests_and_skin_check_follow_the_index():
    """Thyroid function is added when index % 3 == 0, the skin check when index % 12 == 0."""
    months = monitoring_months([course("2026-01-05", "2026-01-05")])
    assert months[0].tests == WITH_THYROID and months[0].skin_check_due
    assert months[1].tests == BASE_TESTS and not months[1].skin_check_due
    assert months[2].tests == BASE_TESTS
    assert months[3].tests == WITH_THYROID and not months[3].skin_check_due
    assert months[12].tests == WITH_THYROID and months[12].skin_check_due
    assert sum(m.skin_check_due for m in months) == 5  # months 0, 12, 24, 36, 48


def test_a_new_course_extends_the_schedule():
    """A later course moves the end to its last infusion + 48 months, with no gap."""
    first = course("2026-01-10", "2026-01-24")
    second = course("2027-01-12", "2027-01-26")
    before = monitoring_months([first])
    after = monitoring_months([first, second])
    assert before[-1].month == date(2030, 1, 1)
    assert after[-1].month == date(2031, 1, 1)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 12


def test_course_order_does_not_matter():
    """The schedule depends on the set of courses, not their order."""
    a = course("2026-01-10", "2026-01-24")
    b = course("2027-06-12", "2027-06-26")
    assert monitoring_months([a, b]) == monitoring_months([b, a])


def test_overlapping_courses_use_the_latest_last_infusion():
    """An earlier-ending course nested inside another does not shorten the window."""
    long = course("2026-01-01", "2026-12-15")
    nested = course("2026-03-01", "2026-04-01")
    assert monitoring_months([long, nested])[-1].month == date(2030, 12, 1)


def test_monitoring_month_at_builds_one_entry():
    """MonitoringMonth.at builds the entry index months after the first month."""
    assert MonitoringMonth.at(date(2026, 1, 1), 15) == MonitoringMonth(
        month=date(2027, 4, 1), index=15, tests=WITH_THYROID, skin_check_due=False
    )


@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
            st.integers(0, 1500),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_schedule_invariants(raw_courses):
    """For any courses: continuous months from the earliest start to the latest end + 48."""
    courses = [
        TreatmentCourse(start, date.fromordinal(start.toordinal() + days)) for start, days in raw_courses
    ]
    months = monitoring_months(courses)
    earliest = min(c.first_infusion for c in courses)
    latest = max(c.last_infusion for c in courses)
    assert months[0].month == month_of(earliest)
    assert months[-1].month == add_months(month_of(latest), 48)
    for index, entry in enumerate(months):
        assert entry.index == index
        assert entry.month == add_months(months[0].month, index)
        assert ("thyroid_function" in entry.tests) == (index % 3 == 0)
        assert entry.tests[:3] == BASE_TESTS


# --- month status -----------------------------------------------------------

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("month", "completed", "booked", "later_completed", "expected"),
    [
        # a completed visit wins, past, present or future
        (date(2026, 4, 1), True, False, False, "completed"),
        (date(2026, 6, 1), True, True, False, "completed"),
        (date(2026, 8, 1), True, False, False, "completed"),
        # current month: never overdue, still time
        (date(2026, 6, 1), False, False, False, "upcoming"),
        (date(2026, 6, 1), False, True, False, "booked"),
        (date(2026, 6, 1), False, False, True, "upcoming"),
        # future months
        (date(2026, 7, 1), False, False, False, "upcoming"),
        (date(2026, 7, 1), False, True, False, "booked"),
        # past months without a completed visit
        (date(2026, 5, 1), False, False, False, "overdue"),
        (date(2026, 5, 1), False, True, False, "overdue"),
        (date(2026, 5, 1), False, False, True, "missed"),
        (date(2025, 1, 1), False, True, True, "missed"),
    ],
)
def test_month_status_rules(month, completed, booked, later_completed, expected):
    """month_status follows the documented precedence of the five statuses."""
    status = month_status(month, TODAY, completed, booked, later_completed)
    assert status == expected
    assert status in MONTH_STATUSES


def test_month_status_compares_months_not_days():
    """Any day of the current month counts as the current month, even the last."""
    assert month_status(date(2026, 6, 1), date(2026, 6, 30), False, False, False) == "upcoming"
    assert month_status(date(2026, 5, 31), date(2026, 6, 1), False, False, False) == "overdue"
