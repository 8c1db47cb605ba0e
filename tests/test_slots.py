"""Tests for slot grids and arrival windows across DST (booking.slots)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.slots import (
    Closure,
    OpeningHours,
    Slot,
    free_slots,
    local_to_utc,
    slot_grid,
)

NEW_YORK = "America/New_York"
LOS_ANGELES = "America/Los_Angeles"
SPRING_FORWARD = date(2026, 3, 8)  # a Sunday; 02:00 -> 03:00 local in the US
FALL_BACK = date(2026, 11, 1)  # a Sunday; 02:00 -> 01:00 local in the US


def every_day(opens: time, closes: time) -> list[OpeningHours]:
    return [OpeningHours(weekday, opens, closes) for weekday in range(7)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_starts(slots: list[Slot], tz: str) -> list[str]:
    return [slot.local(tz)[0].strftime("%H:%M") for slot in slots]


def quarter_hours(start: str, stop: str) -> list[str]:
    """Wall-clock labels every 15 minutes from start up to, excluding, stop."""
    clock = datetime.strptime(start, "%H:%M")
    end = datetime.strptime(stop, "%H:%M")
    labels = []
    while clock < end:
        labels.append(clock.strftime("%H:%M"))
        clock += timedelta(minutes=15)
    return labels


# --- value objects ----------------------------------------------------------


@pytest.mark.parametrize("weekday", [-1, 7, True])
def test_opening_hours_rejects_bad_weekday(weekday):
    """A weekday outside 0..6 is a ValueError."""
    with pytest.raises(ValueError, match="weekday"):
        OpeningHours(weekday, time(8), time(12))


@pytest.mark.parametrize(("opens", "closes"), [(time(12), time(12)), (time(12), time(8))])
def test_opening_hours_rejects_close_not_after_open(opens, closes):
    """Closing at or before opening is a ValueError."""
    with pytest.raises(ValueError, match="not after"):
        OpeningHours(0, opens, closes)


def test_opening_hours_rejects_aware_times():
    """Opening hours are wall-clock times; an aware time is a ValueError."""
    with pytest.raises(ValueError, match="wall-clock"):
        OpeningHours(0, time(8, tzinfo=UTC), time(12))


def test_closure_rejects_end_before_start():
    """A closure ending before it starts is a ValueError."""
    with pytest.raises(ValueError, match="precedes"):
        Closure(date(2026, 12, 26), date(2026, 12, 25))


def test_slot_requires_aware_bounds_and_positive_length():
    """A slot with a naive bound or an empty length is a ValueError."""
    with pytest.raises(ValueError, match="aware"):
        Slot(datetime(2026, 1, 1, 9), utc(2026, 1, 1, 10))
    with pytest.raises(ValueError, match="after"):
        Slot(utc(2026, 1, 1, 9), utc(2026, 1, 1, 9))


def test_slot_normalises_to_utc_and_converts_to_local():
    """A slot stores UTC and gives its bounds back in any zone."""
    ny = ZoneInfo(NEW_YORK)
    slot = Slot(datetime(2026, 7, 1, 9, tzinfo=ny), datetime(2026, 7, 1, 9, 15, tzinfo=ny))
    assert slot.start == utc(2026, 7, 1, 13) and slot.start.tzinfo is UTC
    start, end = slot.local(LOS_ANGELES)
    assert (start.hour, end.minute, start.utcoffset()) == (6, 15, timedelta(hours=-7))


# --- resolving wall-clock times --------------------------------------------


def test_nonexistent_time_resolves_forward_to_the_transition():
    """02:30 on spring-forward day does not exist and becomes 03:00 EDT (07:00 UTC)."""
    zone = ZoneInfo(NEW_YORK)
    assert local_to_utc(SPRING_FORWARD, time(2, 30), zone) == utc(2026, 3, 8, 7)
    assert local_to_utc(SPRING_FORWARD, time(2, 0), zone) == utc(2026, 3, 8, 7)
    assert local_to_utc(SPRING_FORWARD, time(3, 0), zone) == utc(2026, 3, 8, 7)
    assert local_to_utc(SPRING_FORWARD, time(1, 59), zone) == utc(2026, 3, 8, 6, 59)


def test_ambiguous_time_uses_first_occurrence():
    """01:30 on fall-back day happens twice; the first (EDT, 05:30 UTC) is used."""
    zone = ZoneInfo(NEW_YORK)
    assert local_to_utc(FALL_BACK, time(1, 30), zone) == utc(2026, 11, 1, 5, 30)
    assert local_to_utc(FALL_BACK, time(2, 0), zone) == utc(2026, 11, 1, 7)


# --- the grid across DST ----------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "offset_hours"),
    [
        (NEW_YORK, date(2026, 3, 7), -5),
        (NEW_YORK, SPRING_FORWARD, -4),
        (NEW_YORK, date(2026, 10, 31), -4),
        (NEW_YORK, FALL_BACK, -5),
        (LOS_ANGELES, date(2026, 3, 7), -8),
        (LOS_ANGELES, SPRING_FORWARD, -7),
        (LOS_ANGELES, date(2026, 10, 31), -7),
        (LOS_ANGELES, FALL_BACK, -8),
    ],
)
def test_center_grid_keeps_wall_clock_slots_on_dst_days(tz, day, offset_hours):
    """07:00-15:00 gives 32 slots 07:00..14:45 local with the day's UTC offset."""
    slots = slot_grid(every_day(time(7), time(15)), [], tz, 15, day, day)
    assert local_starts(slots, tz) == quarter_hours("07:00", "15:00")
    offset = timedelta(hours=offset_hours)
    assert all(slot.local(tz)[0].utcoffset() == offset for slot in slots)
    assert slots[0].start == datetime.combine(day, time(7), tzinfo=UTC) - offset
    assert slots[-1].end == datetime.combine(day, time(15), tzinfo=UTC) - offset


def test_grid_spanning_spring_forward_changes_utc_times_not_local_ones():
    """Across the weekend of the change, local starts stay put while UTC starts move an hour."""
    slots = slot_grid(every_day(time(7), time(15)), [], NEW_YORK, 60, date(2026, 3, 7), SPRING_FORWARD)
    saturday, sunday = slots[:8], slots[8:]
    assert local_starts(saturday, NEW_YORK) == local_starts(sunday, NEW_YORK)
    assert saturday[0].start == utc(2026, 3, 7, 12)
    assert sunday[0].start == utc(2026, 3, 8, 11)


def test_afternoon_slots_on_fall_back_day():
    """An afternoon interval on fall-back day is on EST: 13:00 local is 18:00 UTC."""
    hours = [OpeningHours(FALL_BACK.weekday(), time(13), time(17))]
    slots = slot_grid(hours, [], NEW_YORK, 120, FALL_BACK, FALL_BACK)
    assert [s.start for s in slots] == [utc(2026, 11, 1, 18), utc(2026, 11, 1, 20)]


def test_interval_starting_in_the_spring_gap_opens_at_the_transition():
    """Open 02:30-04:00 on spring-forward day: the first slot is 03:00 EDT, four slots."""
    hours = [OpeningHours(SPRING_FORWARD.weekday(), time(2, 30), time(4))]
    slots = slot_grid(hours, [], NEW_YORK, 15, SPRING_FORWARD, SPRING_FORWARD)
    assert local_starts(slots, NEW_YORK) == ["03:00", "03:15", "03:30", "03:45"]
    assert slots[0].start == utc(2026, 3, 8, 7)


def test_night_interval_on_fall_back_day_steps_in_real_time():
    """Open 01:00-03:00 on fall-back day lasts 3 real hours: 01:00 EDT, 01:00 EST, 02:00 EST."""
    hours = [OpeningHours(FALL_BACK.weekday(), time(1), time(3))]
    slots = slot_grid(hours, [], NEW_YORK, 60, FALL_BACK, FALL_BACK)
    assert [s.start for s in slots] == [
        utc(2026, 11, 1, 5),
        utc(2026, 11, 1, 6),
        utc(2026, 11, 1, 7),
    ]
    assert local_starts(slots, NEW_YORK) == ["01:00", "01:00", "02:00"]


def test_night_interval_on_spring_forward_day_is_shorter():
    """Open 01:00-04:00 on spring-forward day lasts 2 real hours."""
    hours = [OpeningHours(SPRING_FORWARD.weekday(), time(1), time(4))]
    slots = slot_grid(hours, [], NEW_YORK, 60, SPRING_FORWARD, SPRING_FORWARD)
    assert local_starts(slots, NEW_YORK) == ["01:00", "03:00"]


def test_home_arrival_windows_drop_a_partial_last_window():
    """Two-hour windows over 08:00-17:00 are 08, 10, 12, 14; 16-18 would end after close."""
    hours = [OpeningHours(0, time(8), time(17))]
    monday = date(2026, 11, 2)
    windows = slot_grid(hours, [], NEW_YORK, 120, monday, monday)
    assert local_starts(windows, NEW_YORK) == ["08:00", "10:00", "12:00", "14:00"]
    assert all(w.end - w.start == timedelta(hours=2) for w in windows)


def test_home_arrival_windows_on_both_dst_days():
    """Two-hour windows 08:00-18:00 keep their local times on both transition days."""
    for day in (SPRING_FORWARD, FALL_BACK):
        windows = slot_grid(every_day(time(8), time(18)), [], LOS_ANGELES, 120, day, day)
        assert local_starts(windows, LOS_ANGELES) == ["08:00", "10:00", "12:00", "14:00", "16:00"]


def test_lunch_break_splits_the_day():
    """Two intervals on one weekday give slots in both and none in the break."""
    monday = date(2026, 6, 1)
    hours = [OpeningHours(0, time(13), time(14)), OpeningHours(0, time(8), time(9))]
    slots = slot_grid(hours, [], NEW_YORK, 30, monday, monday)
    assert local_starts(slots, NEW_YORK) == ["08:00", "08:30", "13:00", "13:30"]


def test_closed_weekdays_and_closures_have_no_slots():
    """Only open weekdays outside closures (inclusive bounds) get slots."""
    weekdays = [OpeningHours(d, time(9), time(10)) for d in range(5)]
    christmas = [Closure(date(2026, 12, 24), date(2026, 12, 25), "holiday")]
    slots = slot_grid(weekdays, christmas, NEW_YORK, 60, date(2026, 12, 21), date(2026, 12, 27))
    days = [slot.local(NEW_YORK)[0].date() for slot in slots]
    assert days == [date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)]


def test_empty_hours_give_empty_grid():
    """A place with no opening hours has no slots."""
    assert slot_grid([], [], NEW_YORK, 15, date(2026, 1, 1), date(2026, 1, 31)) == []


def test_overlapping_intervals_are_rejected():
    """Overlapping intervals on one weekday are a ValueError; touching ones are fine."""
    overlapping = [OpeningHours(0, time(8), time(12)), OpeningHours(0, time(11), time(13))]
    with pytest.raises(ValueError, match="overlap"):
        slot_grid(overlapping, [], NEW_YORK, 15, date(2026, 6, 1), date(2026, 6, 1))
    touching = [OpeningHours(0, time(8), time(9)), OpeningHours(0, time(9), time(10))]
    assert len(slot_grid(touching, [], NEW_YORK, 60, date(2026, 6, 1), date(2026, 6, 1))) == 2


@pytest.mark.parametrize("slot_minutes", [0, -15])
def test_non_positive_slot_length_is_rejected(slot_minutes):
    """slot_minutes <= 0 is a ValueError."""
    with pytest.raises(ValueError, match="slot_minutes"):
        slot_grid(every_day(time(8), time(9)), [], NEW_YORK, slot_minutes, date(2026, 1, 1), date(2026, 1, 1))


def test_reversed_range_is_rejected():
    """last_day before first_day is a ValueError."""
    with pytest.raises(ValueError, match="precedes"):
        slot_grid([], [], NEW_YORK, 15, date(2026, 1, 2), date(2026, 1, 1))


def test_range_is_limited_to_366_days():
    """366 days are allowed (a leap year); 367 are a ValueError."""
    hours = [OpeningHours(0, time(9), time(10))]
    year = slot_grid(hours, [], "UTC", 60, date(2028, 1, 1), date(2028, 12, 31))
    assert len(year) == 52
    with pytest.raises(ValueError, match="366"):
        slot_grid(hours, [], "UTC", 60, date(2028, 1, 1), date(2029, 1, 1))


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", "EST5EDT "])
def test_unknown_zone_is_a_value_error(tz):
    """An unknown time zone is a ValueError naming it, not ZoneInfoNotFoundError."""
    with pytest.raises(ValueError, match="unknown time zone") as caught:
        slot_grid([], [], tz, 15, date(2026, 1, 1), date(2026, 1, 1))
    assert not isinstance(caught.value, ZoneInfoNotFoundError)


ZONES = [NEW_YORK, LOS_ANGELES, "UTC", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]


@st.composite
def opening_hours(draw):
    """Up to two non-overlapping intervals per weekday, on quarter hours."""
    hours = []
    for weekday in draw(st.sets(st.integers(0, 6), max_size=7)):
        cuts = sorted(draw(st.sets(st.integers(0, 95), min_size=2, max_size=4)))
        for opens, closes in zip(cuts[::2], cuts[1::2], strict=False):
            hours.append(
                OpeningHours(weekday, time(opens // 4, opens % 4 * 15), time(closes // 4, closes % 4 * 15))
            )
    return hours


@settings(max_examples=150, deadline=None)
@given(
    hours=opening_hours(),
    tz=st.sampled_from(ZONES),
    slot_minutes=st.sampled_from([10, 15, 20, 30, 60, 120]),
    first_day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    days=st.integers(0, 20),
    closed=st.lists(st.integers(0, 20), max_size=3),
)
def test_grid_invariants(hours, tz, slot_minutes, first_day, days, closed):
    """Every slot is slot_minutes long, sorted, on an open local day, inside an interval, on its step."""
    last_day = first_day + timedelta(days=days)
    closures = [Closure(first_day + timedelta(days=n), first_day + timedelta(days=n)) for n in closed]
    closed_days = {c.start for c in closures}
    slots = slot_grid(hours, closures, tz, slot_minutes, first_day, last_day)
    zone = ZoneInfo(tz)
    step = timedelta(minutes=slot_minutes)
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    assert len({s.start for s in slots}) == len(slots)
    expected_count = 0
    day = first_day
    while day <= last_day:
        if day not in closed_days:
            for h in hours:
                if h.weekday == day.weekday():
                    length = local_to_utc(day, h.closes, zone) - local_to_utc(day, h.opens, zone)
                    expected_count += max(length // step, 0)
        day += timedelta(days=1)
    assert len(slots) == expected_count
    for slot in slots:
        assert slot.end - slot.start == step
        local_day = slot.start.astimezone(zone).date()
        assert first_day <= local_day <= last_day and local_day not in closed_days
        containing = [
            (local_to_utc(local_day, h.opens, zone), local_to_utc(local_day, h.closes, zone))
            for h in hours
            if h.weekday == local_day.weekday()
        ]
        assert any(
            opens <= slot.start and slot.end <= closes and (slot.start - opens) % step == timedelta(0)
            for opens, closes in containing
        )


# --- free slots -------------------------------------------------------------


def four_slots() -> list[Slot]:
    return slot_grid(
        [OpeningHours(0, time(9), time(10))], [], NEW_YORK, 15, date(2026, 6, 1), date(2026, 6, 1)
    )


def test_free_slots_reports_places_left():
    """Places left are capacity minus bookings; full and overbooked slots are left out."""
    grid = four_slots()
    counts = {grid[0].start: 1, grid[1].start: 2, grid[2].start: 3}
    assert free_slots(grid, counts, capacity=2) == [(grid[0], 1), (grid[3], 2)]


def test_free_slots_matches_keys_by_instant_in_any_zone():
    """A booked count keyed by an aware local datetime matches the same UTC instant."""
    grid = four_slots()
    local_key = grid[0].start.astimezone(ZoneInfo(NEW_YORK))
    assert free_slots(grid, {local_key: 1}, capacity=1) == [(s, 1) for s in grid[1:]]


def test_free_slots_rejects_naive_keys():
    """A naive key could never match a slot, so it is a ValueError, not silently ignored."""
    grid = four_slots()
    with pytest.raises(ValueError, match="timezone-aware"):
        free_slots(grid, {grid[0].start.replace(tzinfo=None): 1}, capacity=1)


def test_free_slots_capacity_bounds():
    """Capacity zero leaves nothing free; negative capacity is a ValueError."""
    grid = four_slots()
    assert free_slots(grid, {}, capacity=0) == []
    with pytest.raises(ValueError, match="capacity"):
        free_slots(grid, {}, capacity=-1)
