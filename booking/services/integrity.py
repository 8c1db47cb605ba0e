"""Do the capacity counters still equal what they count?

A counter (``capacity_counters.booked``) is a cache of "how many active bookings
hold this key" kept by conditional UPDATEs (:mod:`booking.services.capacity`),
so it is fast to book against but can drift if a change ever runs twice or not
at all. :func:`differences` recounts every key from the bookings themselves;
:func:`repair` sets the counters to that recount (after an incident). Both
speak of keys and counts only, never of patients.

A booking holds a place while its status is not one of ``INACTIVE_STATUSES``
and it carries a ``capacity_key`` (provider visits carry none).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from booking.extensions import db
from booking.models import INACTIVE_STATUSES, Booking, CapacityCounter


@dataclass(frozen=True)
class Difference:
    """A key whose counter says ``booked`` places are taken while ``held`` active bookings hold it."""

    key: str
    booked: int
    held: int
    capacity: int | None

    @property
    def overbooked(self) -> bool:
        return self.capacity is not None and self.held > self.capacity

    def __str__(self) -> str:
        counter = "no counter" if self.capacity is None else f"counter {self.booked}/{self.capacity}"
        return f"{self.key}: {counter}, active bookings {self.held}" + (
            " (OVERBOOKED)" if self.overbooked else ""
        )


def _held():
    """Active bookings per capacity key, as a subquery."""
    return (
        select(Booking.capacity_key.label("key"), func.count().label("held"))
        .where(Booking.capacity_key.is_not(None), Booking.status.not_in(INACTIVE_STATUSES))
        .group_by(Booking.capacity_key)
        .subquery()
    )


def differences() -> list[Difference]:
    """Every key whose counter differs from its recount, in key order.

    One statement, so PostgreSQL answers it from one snapshot: a change committed
    meanwhile is either wholly in it or wholly out of it.
    """
    held = _held()
    counted = select(
        CapacityCounter.key,
        CapacityCounter.booked,
        func.coalesce(held.c.held, 0).label("held"),
        CapacityCounter.capacity,
    ).outerjoin(held, held.c.key == CapacityCounter.key)
    uncounted = (
        select(held.c.key, literal(0).label("booked"), held.c.held, literal(None).label("capacity"))
        .outerjoin(CapacityCounter, CapacityCounter.key == held.c.key)
        .where(CapacityCounter.id.is_(None))
    )
    rows = db.session.execute(union_all(counted, uncounted)).all()
    return sorted(
        (Difference(r.key, r.booked, r.held, r.capacity) for r in rows if r.booked != r.held),
        key=lambda d: d.key,
    )


def repair() -> list[Difference]:
    """Set every counter to its recount and say what was changed; flushed, not committed.

    The counters are locked first (in key order, as every booking change takes
    them), so a booking change in flight finishes before its key is recounted.
    A key with more active bookings than places gets ``capacity`` raised to
    match: the overbooking is recorded, and no new booking fits until someone is
    moved.
    """
    db.session.execute(select(CapacityCounter.id).order_by(CapacityCounter.key).with_for_update()).all()
    found = differences()
    for diff in found:
        counter = db.session.scalar(select(CapacityCounter).where(CapacityCounter.key == diff.key))
        if counter is None:
            counter = CapacityCounter(key=diff.key, capacity=diff.held, booked=0)
            db.session.add(counter)
        counter.capacity = max(counter.capacity, diff.held)
        counter.booked = diff.held
    db.session.flush()
    return found
