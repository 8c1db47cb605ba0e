"""Slot grids and arrival windows, right across daylight-saving changes.

Opening hours are local wall-clock times in the place's own time zone; slots
are stored and compared in UTC. A grid is built day by day in local time and
then stepped in real (UTC) time, so a center open 07:00–15:00 gets its 07:00,
07:15, … slots on both DST transition days with the right UTC offsets.

The same grid gives service-center slots (e.g. 15 minutes) and home or office
arrival windows (e.g. 120 minutes over a region's service hours).

Plain functions over plain data: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_GRID_DAYS = 366


@dataclass(frozen=True)
class OpeningHours:
    """One opening interval on one weekday (0 = Monday … 6 = Sunday).

    A weekday may have several intervals, e.g. around a lunch break.
    Intervals cannot run past midnight.

    :raise ValueError: if the weekday is out of range, a time carries a time
        zone (they are wall-clock times in the place's zone), or ``closes``
        is not after ``opens``.
    """

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or self.weekday not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6, got {self.weekday!r}")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times without tzinfo")
        if self.closes <= self.opens:
            raise ValueError(f"closes {self.closes.isoformat()} is not after opens {self.opens.isoformat()}")


@dataclass(frozen=True)
class Closure:
    """A closure (holiday, staff training, …) covering ``start``..``end`` inclusive.

    :raise ValueError: if ``end`` precedes ``start``.
    """

    start: date
    end: date
    reason: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"closure end {self.end.isoformat()} precedes start {self.start.isoformat()}")

    def covers(self, day: date) -> bool:
        """Return True if ``day`` falls inside the closure."""
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Slot:
    """A bookable interval; ``start`` and ``end`` are timezone-aware, in UTC.

    Aware datetimes in another zone are converted to UTC on construction.

    :raise ValueError: if a bound is naive or ``end`` is not after ``start``.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("slot bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("slot end must be after its start")
        if self.start.tzinfo is not UTC:
            object.__setattr__(self, "start", self.start.astimezone(UTC))
        if self.end.tzinfo is not UTC:
            object.__setattr__(self, "end", self.end.astimezone(UTC))

    def local(self, tz: str) -> tuple[datetime, datetime]:
        """Return ``(start, end)`` as aware datetimes in the zone named ``tz``.

        :raise ValueError: if ``tz`` is not a known IANA time zone.
        """
        zone = zone_for(tz)
        return self.start.astimezone(zone), self.end.astimezone(zone)


def zone_for(tz: str) -> ZoneInfo:
    """Return the ``ZoneInfo`` named ``tz``.

    :raise ValueError: if ``tz`` is not a known IANA time zone name.
    """
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone {tz!r}") from error


def local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of the wall-clock time ``wall`` on ``day`` in ``zone``.

    - A wall time that does not exist (skipped on spring-forward day, e.g.
      02:30 in New York on 2026-03-08) resolves forward to the first instant
      that exists, the transition itself (03:00 EDT).
    - A wall time that occurs twice (fall-back day, e.g. 01:30 in New York on
      2026-11-01) uses its first occurrence (fold=0, still daylight time).
    """
    local = datetime.combine(day, wall, tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return utc
    return _transition_after_gap(local, zone)


def _transition_after_gap(local: datetime, zone: ZoneInfo) -> datetime:
    """Return the UTC instant that ends the gap containing the nonexistent ``local``.

    Within a gap, fold=1 maps with the offset after the transition (an
    instant before it) and fold=0 with the offset before (an instant after
    it); the transition lies between, found by bisection to the second.
    """
    # Zone transitions fall on whole seconds, so bisect over POSIX seconds.
    before = math.floor(local.replace(fold=1).timestamp())
    after = math.ceil(local.replace(fold=0).timestamp())
    offset_after = datetime.fromtimestamp(after, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def _validate_grid_request(slot_minutes: int, first_day: date, last_day: date) -> None:
    if slot_minutes <= 0:
        raise ValueError(f"slot_minutes must be positive, got {slot_minutes}")
    if last_day < first_day:
        raise ValueError(f"last_day {last_day.isoformat()} precedes first_day {first_day.isoformat()}")
    days = (last_day - first_day).days + 1
    if days > MAX_GRID_DAYS:
        raise ValueError(f"a slot grid spans at most {MAX_GRID_DAYS} days, got {days}")


def _hours_by_weekday(hours: Sequence[OpeningHours]) -> dict[int, list[OpeningHours]]:
    """Group opening intervals by weekday, sorted by opening time.

    :raise ValueError: if two intervals of one weekday overlap, which would
        make two misaligned, overlapping grids for that day.
    """
    by_weekday: dict[int, list[OpeningHours]] = {}
    for interval in sorted(hours, key=lambda h: (h.weekday, h.opens)):
        day = by_weekday.setdefault(interval.weekday, [])
        if day and interval.opens < day[-1].closes:
            raise ValueError(f"opening intervals overlap on weekday {interval.weekday}")
        day.append(interval)
    return by_weekday


def _interval_slots(opens: datetime, closes: datetime, step: timedelta) -> list[Slot]:
    slots = []
    start = opens
    while start + step <= closes:
        slots.append(Slot(start, start + step))
        start += step
    return slots


def slot_grid(
    hours: Sequence[OpeningHours],
    closures: Sequence[Closure],
    tz: str,
    slot_minutes: int,
    first_day: date,
    last_day: date,
) -> list[Slot]:
    """Return every slot of the local days ``first_day``..``last_day``, sorted by start.

    For each day not inside a closure, and each opening interval of its
    weekday, the opening and closing wall-clock times are converted to UTC
    (see ``local_to_utc`` for skipped and repeated times) and the interval is
    cut into consecutive ``slot_minutes`` steps of real time from the
    opening; a last partial step that would end after closing is dropped.

    :raise ValueError: if ``slot_minutes`` is not positive, ``last_day``
        precedes ``first_day``, the range spans more than 366 days, ``tz`` is
        not a known time zone, or a weekday's intervals overlap.
    """
    _validate_grid_request(slot_minutes, first_day, last_day)
    zone = zone_for(tz)
    by_weekday = _hours_by_weekday(hours)
    step = timedelta(minutes=slot_minutes)
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        if not any(closure.covers(day) for closure in closures):
            for interval in by_weekday.get(day.weekday(), ()):
                opens = local_to_utc(day, interval.opens, zone)
                closes = local_to_utc(day, interval.closes, zone)
                slots.extend(_interval_slots(opens, closes, step))
        day += timedelta(days=1)
    slots.sort(key=lambda slot: slot.start)
    return slots


def free_slots(
    grid: Sequence[Slot],
    booked_counts: Mapping[datetime, int],
    capacity: int,
) -> list[tuple[Slot, int]]:
    """Return ``(slot, places left)`` for each slot of ``grid`` with a place left.

    ``booked_counts`` maps a slot's UTC start to the number of active
    bookings in it; a slot absent from it is empty. Overbooked slots (more
    bookings than capacity) are simply not free. This is for display only:
    whether a booking fits is decided by the database.

    :raise ValueError: if ``capacity`` is negative or a key of
        ``booked_counts`` is naive (it could never match a slot, which would
        silently show a full slot as free).
    """
    if capacity < 0:
        raise ValueError(f"capacity must not be negative, got {capacity}")
    if any(start.tzinfo is None for start in booked_counts):
        raise ValueError("booked_counts must be keyed by timezone-aware slot starts")
    free = []
    for slot in grid:
        left = capacity - booked_counts.get(slot.start, 0)
        if left > 0:
            free.append((slot, left))
    return free
