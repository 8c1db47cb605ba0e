"""Delivering the outbox to a real SMTP server and a local SMS provider stub, and to the demo mailbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Patient
from booking.program import delivery, outbox
from booking.program.channels import Outgoing, open_adapters
from booking.program.models import MessageType, NotificationPreference, OutboxMessage
from booking.program.smtp import SmtpChannel, message_id

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York: outside quiet hours
CONTEXT = {
    "when": "tomorrow, 9-11 AM",
    "place": "your home",
    "preparation": "No fasting needed.",
    "cost": "none",
    "link": "https://labvisit.example/me",
}


def queue(world, *, email="pat@example.org", phone="+15550100", language="en", booking=False, channels=None):
    """A consenting patient and one day-before reminder queued for them; returns (patient id, booking id)."""
    patient_id = world.patient()
    patient = db.session.get(Patient, patient_id)
    patient.email, patient.phone = email, phone
    channels = channels or ("email", "sms")
    db.session.add(
        NotificationPreference(
            patient_id=patient_id,
            language=language,
            email_enabled="email" in channels,
            sms_enabled="sms" in channels,
            consent_at=NOW - timedelta(days=30),
            consent_text_version="2026-12",
        )
    )
    booking_id = None
    if booking:
        row = Booking(
            patient_id=patient_id,
            kind="home",
            status="confirmed",
            monitoring_month=NOW.date().replace(day=1),
            starts_at=NOW + timedelta(days=1),
            time_zone="America/New_York",
        )
        db.session.add(row)
        db.session.flush()
        booking_id = row.id
    outbox.notify(
        patient,
        MessageType.DAY_BEFORE,
        CONTEXT,
        dedupe_key=f"day-before:{patient_id}",
        due_at=NOW,
        booking_id=booking_id,
    )
    db.session.commit()
    return patient_id, booking_id


def rows(patient_id: int) -> dict[str, OutboxMessage]:
    db.session.expire_all()
    found = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.patient_id == patient_id))
    return {m.channel: m for m in found}


def test_an_email_reminder_arrives_at_the_smtp_server_with_a_stable_message_id(world, ctx, real_channels):
    """The SMTP server receives the rendered e-mail from MAIL_FROM; the row records its Message-ID."""
    mail, _ = real_channels
    patient_id, _ = queue(world, channels=("email",))
    report = delivery.deliver_due(NOW)
    assert report.by_channel == {"page": 1, "email": 1}
    [received] = mail.messages
    assert mail.envelopes == [("reminders@labvisit.example", ["pat@example.org"])]
    assert received["Subject"] == "Reminder: your lab visit tomorrow, 9-11 AM"
    assert "No fasting needed." in received.get_content()
    email = rows(patient_id)["email"]
    assert email.status == "sent" and email.transport == "smtp"
    assert received["Message-ID"] == email.provider_message_id
    assert received["Message-ID"].startswith(f"<outbox-{email.id}.") and received["Message-ID"].endswith(
        "@labvisit.example>"
    )


def test_a_spanish_speaking_patient_gets_the_spanish_email(world, ctx, real_channels):
    """The body rendered in the patient's language is what arrives, UTF-8 intact."""
    mail, _ = real_channels
    queue(world, channels=("email",), language="es")
    delivery.deliver_due(NOW)
    [received] = mail.messages
    assert received["Subject"] == "Recordatorio: su visita de laboratorio tomorrow, 9-11 AM"
    assert "Costo: none" in received.get_content()
    assert received["Content-Language"] == "es"


def test_a_temporary_smtp_refusal_is_retried_later_with_the_same_message_id(world, ctx, real_channels, app):
    """A 451 puts the message back with backoff; the retry arrives once, under the first Message-ID."""
    mail, _ = real_channels
    mail.refuse["pat@example.org"] = "451 4.3.0 try again later"
    patient_id, _ = queue(world, channels=("email",))
    assert delivery.deliver_due(NOW).retried == 1
    email = rows(patient_id)["email"]
    base = app.config["OUTBOX_RETRY_BASE_SECONDS"]
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.next_attempt_at == NOW + timedelta(seconds=base)
    assert "smtp_451" in email.last_error and "pat@" not in email.last_error
    assert delivery.deliver_due(NOW + timedelta(seconds=base - 1)).sent == 0  # backing off
    del mail.refuse["pat@example.org"]
    assert delivery.deliver_due(NOW + timedelta(seconds=base)).sent == 1
    email = rows(patient_id)["email"]
    assert mail.message_ids() == {email.provider_message_id: 1}
    assert email.status == "sent" and email.attempts == 2


def test_a_refused_mailbox_is_dead_lettered_at_once(world, ctx, real_channels):
    """A 550 for the recipient is permanent: no retries, the message waits in the dead letters."""
    mail, _ = real_channels
    mail.refuse["pat@example.org"] = "550 5.1.1 no such user"
    patient_id, _ = queue(world, channels=("email",))
    assert delivery.deliver_due(NOW).dead == 1
    email = rows(patient_id)["email"]
    assert (email.status, email.attempts, email.last_error) == ("dead", 1, "smtp_550: recipient refused")


def test_an_unreachable_mail_server_backs_off_exponentially_then_dead_letters(world, ctx, app, monkeypatch):
    """Connection refused is retried at base, 2x base, 4x base ... until the last attempt, then dead."""
    from tests.program.conftest import free_port

    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    patient_id, _ = queue(world, channels=("email",))
    base = timedelta(seconds=app.config["OUTBOX_RETRY_BASE_SECONDS"])
    at = NOW
    for attempt, wait in ((1, base), (2, 2 * base)):
        assert delivery.deliver_due(at).retried == 1
        email = rows(patient_id)["email"]
        assert (email.attempts, email.next_attempt_at) == (attempt, at + wait)
        at += wait
    assert delivery.deliver_due(at).dead == 1
    assert rows(patient_id)["email"].last_error == "smtp_unavailable: ConnectionRefusedError"


def test_an_sms_is_posted_to_the_provider_in_twilio_shape(world, ctx, real_channels):
    """POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth and To/From/Body; the sid is kept."""
    _, sms = real_channels
    patient_id, _ = queue(world, channels=("sms",))
    assert delivery.deliver_due(NOW).by_channel == {"page": 1, "sms": 1}
    [request] = sms.requests
    assert request["path"] == "/2010-04-01/Accounts/AC0123456789/Messages.json"
    assert (request["user"], request["password"]) == ("AC0123456789", "token-not-secret")
    assert request["form"] == {
        "To": "+15550100",
        "From": "+15550001111",
        "Body": "labvisit: your lab visit tomorrow, 9-11 AM. Details: https://labvisit.example/me",
    }
    row = rows(patient_id)["sms"]
    assert (row.status, row.transport, row.provider_message_id) == (
        "sent",
        "sms_provider",
        "SM" + "0" * 31 + "1",
    )


@pytest.mark.parametrize(
    ("reply", "status", "error"),
    [
        (
            (400, {"code": 21211, "message": "Invalid 'To' Phone Number: +15550100"}),
            "dead",
            "http_400: provider code 21211",
        ),
        ((503, {"message": "unavailable"}), "pending", "http_503"),
        ((429, {"code": 20429}), "pending", "http_429: provider code 20429"),
    ],
)
def test_provider_failures_are_permanent_for_bad_numbers_and_temporary_otherwise(
    world, ctx, real_channels, reply, status, error
):
    """4xx such as an invalid number dead-letters at once; 5xx and throttling are retried; no number is stored."""
    _, sms = real_channels
    sms.replies.append(reply)
    patient_id, _ = queue(world, channels=("sms",))
    delivery.deliver_due(NOW)
    row = rows(patient_id)["sms"]
    assert (row.status, row.last_error) == (status, error)


def test_a_provider_that_does_not_answer_in_time_is_retried(world, ctx, real_channels, app, monkeypatch):
    """A timeout is temporary: the message goes back to pending with backoff."""
    _, sms = real_channels
    sms.delay = 1.5
    monkeypatch.setitem(app.config, "SMS_TIMEOUT", 0.5)
    patient_id, _ = queue(world, channels=("sms",))
    assert delivery.deliver_due(NOW).retried == 1
    row = rows(patient_id)["sms"]
    assert row.status == "pending" and row.last_error.startswith("sms_unavailable")


def test_without_a_mail_server_or_provider_messages_go_to_the_demo_mailbox(
    world, ctx, mail_server, sms_provider
):
    """The embedded default keeps e-mail and SMS as 'local_mailbox' deliveries; nothing is really sent."""
    patient_id, _ = queue(world)
    assert delivery.deliver_due(NOW).sent == 3
    found = rows(patient_id)
    assert {c: (m.status, m.transport) for c, m in found.items()} == {
        "page": ("sent", "page"),
        "email": ("sent", "local_mailbox"),
        "sms": ("sent", "local_mailbox"),
    }
    assert mail_server.messages == [] and sms_provider.requests == []


def test_a_reminder_for_a_visit_cancelled_after_it_was_claimed_is_not_sent(world, ctx, real_channels, app):
    """The worker re-checks the visit before sending: a cancel that raced the claim stops the message."""
    mail, sms = real_channels
    patient_id, booking_id = queue(world, booking=True)
    token, claimed = delivery._claim(NOW, 10)  # a worker claims the reminders ...
    db.session.get(Booking, booking_id).status = "cancelled"  # ... then the cancel commits
    db.session.commit()
    report = delivery.DeliveryReport()
    with open_adapters(app.config) as adapters:
        for message_id, channel in claimed:
            delivery._deliver_one(message_id, channel, token, NOW, adapters, report)
    assert (report.sent, report.withdrawn) == (0, 3)
    assert {m.status for m in rows(patient_id).values()} == {"withdrawn"}
    assert mail.messages == [] and sms.requests == []


def test_consent_withdrawn_after_queueing_stops_email_and_sms(world, ctx, real_channels):
    """E-mail and SMS queued before the patient withdrew consent are skipped; the page copy still arrives."""
    mail, sms = real_channels
    patient_id, _ = queue(world)
    db.session.get(NotificationPreference, patient_id).consent_at = None
    db.session.commit()
    delivery.deliver_due(NOW)
    assert {c: m.status for c, m in rows(patient_id).items()} == {
        "page": "sent",
        "email": "skipped",
        "sms": "skipped",
    }
    assert mail.messages == [] and sms.requests == []


def test_a_message_leased_to_a_live_worker_is_not_claimed_by_another(world, ctx, real_channels):
    """Two workers never hold one message: a claimed row is skipped until its lease runs out."""
    patient_id, _ = queue(world, channels=("email",))
    token, ids = delivery._claim(NOW, 10)
    assert len(ids) == 2
    assert delivery._claim(NOW, 10)[1] == []
    assert delivery.deliver_due(NOW).sent == 0
    assert {m.status for m in rows(patient_id).values()} == {"sending"}


def test_the_message_id_is_the_same_for_every_attempt_of_a_row():
    """Message-IDs come from the row id and its dedupe key only, so receivers can drop a duplicate."""
    one = Outgoing(7, "email", "day_before", "en", "s", "b", "day-before:1:email", "a@example.org")
    again = Outgoing(7, "email", "day_before", "en", "s2", "b2", "day-before:1:email", "new@example.org")
    assert message_id(one, "x <r@labvisit.example>") == message_id(again, "r@labvisit.example")
    assert SmtpChannel("smtps://u%40x:p%3Aw@mail.example:2465?starttls=0", "r@x").__dict__ | {
        "_smtp": None
    } == {
        "host": "mail.example",
        "implicit_tls": True,
        "port": 2465,
        "username": "u@x",
        "password": "p:w",
        "starttls": False,
        "sender": "r@x",
        "timeout": 20,
        "_smtp": None,
    }


def test_an_adapter_bug_is_retried_and_logs_no_address_or_body(
    world, ctx, real_channels, monkeypatch, caplog
):
    """An unexpected exception in a channel becomes a retry; the log and the row carry its type only."""

    def broken(self, message):
        raise RuntimeError(f"cannot send to {message.to}: {message.body}")

    monkeypatch.setattr(SmtpChannel, "send", broken)
    patient_id, _ = queue(world, channels=("email",))
    with caplog.at_level("INFO"):
        assert delivery.deliver_due(NOW).retried == 1
    email = rows(patient_id)["email"]
    assert (email.status, email.last_error) == ("pending", "unexpected: RuntimeError")
    assert "pat@example.org" not in caplog.text and "Reminder" not in caplog.text
    assert f"outbox message {email.id} failed (attempt 1): unexpected" in caplog.text
