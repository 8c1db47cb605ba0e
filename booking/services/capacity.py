"""Places in a limited capacity (a center's slot, a region's day), decided by the database.

``take_place`` is one conditional UPDATE: ``booked = booked + 1 WHERE booked <
capacity``. The row is locked by the UPDATE (PostgreSQL re-checks the condition
after a concurrent commit; SQLite serialises writers with BEGIN IMMEDIATE), so
two requests racing for the last place can never both succeed.

A place is given back only by the change that made its booking inactive, which
holds the booking's row lock (``booking.services.bookings.locked``); so a
release can never run twice for one booking. ``flask integrity check`` recounts
every counter from the bookings (:mod:`booking.services.integrity`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from booking.errors import Conflict
from booking.extensions import db
from booking.models import CapacityCounter

_KEY_TIME = "%Y%m%dT%H%MZ"


def center_slot_key(center_id: int, start: datetime) -> str:
    return f"center:{center_id}:{start.astimezone(UTC).strftime(_KEY_TIME)}"


def region_day_key(region_id: int, day: date) -> str:
    return f"region:{region_id}:{day.strftime('%Y%m%d')}"


def _insert_ignore(key: str, capacity: int) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CapacityCounter).values(key=key, capacity=capacity, booked=0)
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


def take_place(key: str, capacity: int, *, full_message: str) -> None:
    """Take one place of ``key`` (capacity as configured now), or fail.

    :raise Conflict: (409) no place left.
    """
    _insert_ignore(key, capacity)
    result = db.session.execute(
        update(CapacityCounter)
        .where(CapacityCounter.key == key, CapacityCounter.booked < capacity)
        .values(booked=CapacityCounter.booked + 1, capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(full_message)


def release_place(key: str | None) -> None:
    """Give back one place of ``key`` (nothing if the booking held none)."""
    if not key:
        return
    db.session.execute(
        update(CapacityCounter)
        .where(CapacityCounter.key == key, CapacityCounter.booked > 0)
        .values(booked=CapacityCounter.booked - 1)
        .execution_options(synchronize_session=False)
    )


def take_back_place(key: str) -> bool:
    """Take one place of ``key`` again, within the capacity the counter was last taken with.

    For a visit that becomes active again (an undone no-show); False when no place is left.
    """
    result = db.session.execute(
        update(CapacityCounter)
        .where(CapacityCounter.key == key, CapacityCounter.booked < CapacityCounter.capacity)
        .values(booked=CapacityCounter.booked + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def center_booked_counts(center_id: int, first: datetime, last: datetime) -> dict[datetime, int]:
    """Places taken per slot start (UTC) of a center between two instants."""
    lo, hi = center_slot_key(center_id, first), center_slot_key(center_id, last)
    rows = db.session.execute(
        db.select(CapacityCounter.key, CapacityCounter.booked).where(
            CapacityCounter.key >= lo, CapacityCounter.key <= hi, CapacityCounter.booked > 0
        )
    ).all()
    prefix = f"center:{center_id}:"
    return {_slot_start(key[len(prefix) :]): booked for key, booked in rows if key.startswith(prefix)}


def _slot_start(text: str) -> datetime:
    """The UTC instant of a slot key's time, ``20261203T0915Z`` (``_KEY_TIME``).

    Sliced rather than ``strptime``: a two-week answer reads dozens of keys, and
    ``strptime`` costs about ten times as much for this one fixed format.
    """
    return datetime(
        int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), tzinfo=UTC
    )


def region_booked_counts(region_id: int, first: date, last: date) -> dict[date, int]:
    """Places taken per local day of a region."""
    lo, hi = region_day_key(region_id, first), region_day_key(region_id, last)
    rows = db.session.execute(
        db.select(CapacityCounter.key, CapacityCounter.booked).where(
            CapacityCounter.key >= lo, CapacityCounter.key <= hi
        )
    ).all()
    prefix = f"region:{region_id}:"
    return {
        datetime.strptime(key[len(prefix) :], "%Y%m%d").date(): booked
        for key, booked in rows
        if key.startswith(prefix)
    }
