"""The notification outbox: queued with its cause, once per cause, withdrawn with its visit."""

from __future__ import annotations

from datetime import UTC, datetime, time

from booking.extensions import db
from booking.models import Booking, Patient
from booking.program import delivery, outbox, preferences
from booking.program.models import MessageType, NotificationPreference, OutboxMessage

CONTEXT = {"when": "tomorrow, 9-11 AM", "place": "home", "preparation": "", "cost": "none", "link": "/me"}


def _consent(patient_id: int, **values) -> None:
    db.session.add(
        NotificationPreference(
            patient_id=patient_id,
            consent_at=datetime(2026, 1, 1, tzinfo=UTC),
            consent_text_version="v1",
            **values,
        )
    )
    db.session.flush()


def _messages(patient_id: int) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.patient_id == patient_id)))


def test_a_patient_without_preferences_gets_page_messages_only(world, ctx):
    """With no recorded consent, nothing goes out by e-mail or SMS; the page always gets it."""
    patient = db.session.get(Patient, world.patient())
    patient.email = "pat@example.org"
    assert outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="k1") == 1
    assert [m.channel for m in _messages(patient.id)] == ["page"]


def test_the_same_cause_is_queued_once(world, ctx):
    """A producer run twice for one cause writes each channel's message once."""
    patient = db.session.get(Patient, world.patient())
    patient.email = "pat@example.org"
    _consent(patient.id, email_enabled=True, sms_enabled=True)
    assert outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="visit-1") == 3
    assert outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="visit-1") == 0
    assert sorted(m.channel for m in _messages(patient.id)) == ["email", "page", "sms"]


def test_sms_carries_no_test_or_therapy_names(world, ctx):
    """The SMS body says what and when, nothing clinical."""
    patient = db.session.get(Patient, world.patient())
    _consent(patient.id, sms_enabled=True)
    outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="visit-2")
    sms = next(m for m in _messages(patient.id) if m.channel == "sms")
    assert "tomorrow, 9-11 AM" in sms.body
    for word in ("blood", "urine", "CBC", "creatinine", "infusion", "Pat"):
        assert word.lower() not in sms.body.lower()


def test_quiet_hours_hold_sms_until_they_end_in_the_patients_zone(world, ctx):
    """An SMS due at 23:00 New York time waits until 08:00 there; the page copy does not wait."""
    patient = db.session.get(Patient, world.patient())
    _consent(patient.id, sms_enabled=True, quiet_start=time(21, 0), quiet_end=time(8, 0))
    due = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 23:00 EST on Dec 2
    outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="visit-3", due_at=due)
    by_channel = {m.channel: m for m in _messages(patient.id)}
    assert by_channel["page"].due_at == due
    assert by_channel["sms"].due_at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_opting_out_of_a_type_keeps_only_the_page_copy(world, ctx):
    """A per-type opt-out stops e-mail and SMS for that type only."""
    patient = db.session.get(Patient, world.patient())
    _consent(patient.id, sms_enabled=True, opted_out_types=["day_before"])
    pref = preferences.effective(patient)
    assert preferences.channels_for(patient, pref, MessageType.DAY_BEFORE) == ["page"]
    assert preferences.channels_for(patient, pref, MessageType.MONTH_DUE) == ["page", "sms"]


def test_withdrawing_a_visit_withdraws_only_its_pending_reminders(world, ctx):
    """A cancelled visit's pending reminders are withdrawn; other messages stay."""
    patient = db.session.get(Patient, world.patient())
    booking_id = _booking(world, patient.id)
    outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="d", booking_id=booking_id)
    outbox.notify(patient, MessageType.BOOKING_CONFIRMED, CONTEXT, dedupe_key="c", booking_id=booking_id)
    assert outbox.withdraw(booking_id) == 1
    statuses = {m.type: m.status for m in _messages(patient.id)}
    assert statuses == {"day_before": "withdrawn", "booking_confirmed": "pending"}


def test_page_messages_are_delivered_when_due_and_not_before(world, ctx):
    """Delivery as of an instant sends what is due then, and a second run sends nothing more."""
    patient = db.session.get(Patient, world.patient())
    due = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    outbox.notify(patient, MessageType.DAY_BEFORE, CONTEXT, dedupe_key="later", due_at=due)
    db.session.commit()
    assert delivery.deliver_due(datetime(2026, 12, 3, 13, 59, tzinfo=UTC)).sent == 0
    assert delivery.deliver_due(due).sent == 1
    assert delivery.deliver_due(due).sent == 0
    assert _messages(patient.id)[0].status == "sent"


def _booking(world, patient_id: int) -> int:
    booking = Booking(
        patient_id=patient_id,
        kind="provider",
        status="requested",
        monitoring_month=datetime(2026, 12, 1).date(),
        starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC),
        time_zone="America/New_York",
    )
    db.session.add(booking)
    db.session.flush()
    return booking.id


def test_on_the_way_is_not_held_by_quiet_hours(world, ctx):
    """A technician leaving at 07:30 is announced at once; waiting until 08:00 would make it useless."""
    patient = db.session.get(Patient, world.patient())
    _consent(patient.id, sms_enabled=True, quiet_start=time(21, 0), quiet_end=time(8, 0))
    due = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)  # 07:30 EST
    outbox.notify(
        patient, MessageType.ON_THE_WAY, {"window": "8-8:30 AM", "link": "/me"}, dedupe_key="otw", due_at=due
    )
    assert {m.channel: m.due_at for m in _messages(patient.id)} == {"page": due, "sms": due}
