"""Queueing many messages at once keeps the outbox's rules: once per cause, preferences and quiet hours applied."""

from __future__ import annotations

from datetime import UTC, datetime, time

from booking.extensions import db
from booking.models import Patient
from booking.program import outbox
from booking.program.models import MessageType, NotificationPreference, OutboxMessage

DUE = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 23:00 in New York


def _notices(patients: list[Patient]) -> list[outbox.Notice]:
    return [
        outbox.Notice(
            patient=p, context={"month": "December 2026", "link": "/book"}, dedupe_key=f"m:{p.id}", due_at=DUE
        )
        for p in patients
    ]


def test_many_at_once_counts_only_new_rows_and_honours_preferences(world, ctx):
    """A second batch of the same causes adds nothing; an SMS is held until quiet hours end, the page copy is not."""
    ids = [
        world.patient() for _ in range(3)
    ]  # committed first: the test's own session then holds SQLite's lock
    patients = [db.session.get(Patient, pid) for pid in ids]
    db.session.add(
        NotificationPreference(
            patient_id=patients[0].id,
            language="es",
            sms_enabled=True,
            consent_at=datetime(2026, 1, 1, tzinfo=UTC),
            quiet_start=time(21, 0),
            quiet_end=time(8, 0),
        )
    )
    db.session.flush()
    assert outbox.notify_many(MessageType.MONTH_DUE, _notices(patients)) == 4
    assert outbox.notify_many(MessageType.MONTH_DUE, _notices(patients)) == 0
    rows = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.patient_id == patients[0].id)
    ).all()
    by_channel = {m.channel: m for m in rows}
    assert by_channel["page"].due_at == DUE and by_channel["page"].language == "es"
    assert by_channel["sms"].due_at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
