"""'The same time every month': the same nth weekday and local wall-clock time in later months."""

from __future__ import annotations

from datetime import UTC, date, datetime

from booking.recurrence import same_time_in, same_weekday_in


def test_the_second_tuesday_repeats_on_the_second_tuesday():
    """8 Dec 2026 is the 2nd Tuesday; a month on, the 2nd Tuesday is 12 Jan 2027."""
    assert same_weekday_in(date(2026, 12, 8), 1) == date(2027, 1, 12)
    assert same_weekday_in(date(2026, 12, 8), 3) == date(2027, 3, 9)


def test_a_fifth_weekday_falls_back_to_the_months_last_one():
    """29 Dec 2026 is a 5th Tuesday; January 2027 has four, so its last (26 Jan) is used."""
    assert same_weekday_in(date(2026, 12, 29), 1) == date(2027, 1, 26)


def test_the_local_time_stays_across_a_dst_change():
    """9:15 in New York in February (EST) stays 9:15 in April (EDT): the UTC hour moves instead."""
    february = datetime(2027, 2, 9, 14, 15, tzinfo=UTC)  # 9:15 EST, 2nd Tuesday
    april = same_time_in(february, "America/New_York", 2)
    assert april == datetime(2027, 4, 13, 13, 15, tzinfo=UTC)  # 9:15 EDT, 2nd Tuesday
