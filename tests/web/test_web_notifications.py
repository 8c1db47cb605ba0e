"""Notification pages: the patient's messages and settings, the demo mailbox, the admin's dead letters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.extensions import db
from booking.models import Patient
from booking.program import delivery, outbox
from booking.program.models import MessageType, NotificationAudit, NotificationPreference, OutboxMessage
from tests.web.test_web_accessibility import unlabelled

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
CONTEXT = {"month": "December 2026", "link": "https://labvisit.example/me"}


def _deliver_month_due(app, patient_id: int, *, email: bool = True) -> None:
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        if email:
            patient.email = "pat@example.org"
            db.session.add(
                NotificationPreference(
                    patient_id=patient_id, email_enabled=True, consent_at=NOW, consent_text_version="2026-12"
                )
            )
        outbox.notify(patient, MessageType.MONTH_DUE, CONTEXT, dedupe_key=f"due:{patient_id}", due_at=NOW)
        db.session.commit()
        delivery.deliver_due(NOW)


def test_a_patient_reads_their_messages_and_marks_them_read(app, patient_pages):
    """The page message shows as new until marked read; the demo e-mail copy says it was not really sent."""
    patient_id, _, client = patient_pages
    _deliver_month_due(app, patient_id)
    html = client.get(f"/patients/{patient_id}/messages").get_data(as_text=True)
    assert "Your monthly lab visit for December 2026 is due" in html
    assert "1 new" in html and "Not really sent" in html
    assert unlabelled(html) == []
    response = client.post(
        f"/patients/{patient_id}/messages/read", token_from=f"/patients/{patient_id}/messages"
    )
    assert response.status_code == 302
    html = client.get(f"/patients/{patient_id}/messages").get_data(as_text=True)
    assert "1 new" not in html and "Mark all as read" not in html


def test_a_patient_gives_consent_and_switches_on_sms_on_the_settings_page(app, patient_pages):
    """Ticking consent and SMS stores both, with the patient as the one who consented."""
    patient_id, user, client = patient_pages
    path = f"/patients/{patient_id}/notifications"
    assert unlabelled(client.get(path).get_data(as_text=True)) == []
    form = {
        "language": "es",
        "sms_enabled": "on",
        "consent": "give",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }
    response = client.post(path, form, token_from=path)
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(NotificationPreference, patient_id)
        assert (row.language, row.sms_enabled, row.consent_by_id) == ("es", True, user.id)
        assert row.quiet_start.hour == 22
    assert "Consent recorded" in client.get(path).get_data(as_text=True)


def test_sms_without_consent_is_refused_on_the_settings_page(app, patient_pages):
    """Without the consent box the form comes back 422 with the reason, and nothing is stored."""
    patient_id, _, client = patient_pages
    path = f"/patients/{patient_id}/notifications"
    response = client.post(path, {"language": "en", "sms_enabled": "on"}, token_from=path)
    assert response.status_code == 422
    assert "need the patient" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(NotificationPreference, patient_id) is None


def test_a_coordinator_records_consent_on_a_patients_behalf(app, world, signed_in):
    """Staff may set a patient's preferences; the consent names the coordinator and the page says so."""
    patient_id = world.patient()
    coordinator, client = signed_in("coordinator")
    path = f"/patients/{patient_id}/notifications"
    client.post(path, {"language": "en", "sms_enabled": "on", "consent": "give"}, token_from=path)
    with app.app_context():
        assert db.session.get(NotificationPreference, patient_id).consent_by_id == coordinator.id
    assert "by staff (coordinator)" in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("page", ["messages", "notifications"])
def test_a_patient_cannot_open_anothers_messages_or_settings(world, patient_pages, page):
    """Another patient's pages answer 404."""
    _, _, client = patient_pages
    assert client.get(f"/patients/{world.patient()}/{page}").status_code == 404


def test_staff_read_demo_messages_in_the_demo_mailbox(app, world, signed_in):
    """Without a mail server the e-mail is kept for the demo mailbox, which says it was not really sent."""
    patient_id = world.patient()
    _deliver_month_due(app, patient_id)
    _, client = signed_in("coordinator")
    html = client.get("/program/mailbox").get_data(as_text=True)
    assert "These messages were not really sent." in html
    assert "pat@example.org" in html and "Your monthly lab visit for December 2026 is due" in html
    assert unlabelled(html) == []


@pytest.mark.parametrize(
    ("role", "path"), [("patient", "/program/mailbox"), ("coordinator", "/program/outbox")]
)
def test_demo_mailbox_is_for_staff_and_outbox_for_admins(world, signed_in, role, path):
    """Patients cannot open the demo mailbox; coordinators cannot open the dead letters."""
    kwargs = {"patient_id": world.patient()} if role == "patient" else {}
    _, client = signed_in(role, **kwargs)
    assert client.get(path).status_code == 403


def test_an_admin_retries_a_dead_letter_from_the_outbox_page(app, world, signed_in):
    """The dead letter is listed with its error; Retry queues it again and the audit names the admin."""
    patient_id = world.patient()
    with app.app_context():
        outbox.notify(
            db.session.get(Patient, patient_id), MessageType.MONTH_DUE, CONTEXT, dedupe_key="d", due_at=NOW
        )
        message = db.session.scalars(db.select(OutboxMessage)).one()
        message.status, message.last_error = "dead", "http_400: provider code 21211"
        db.session.commit()
        message_id = message.id
    admin, client = signed_in("admin")
    html = client.get("/program/outbox").get_data(as_text=True)
    assert "http_400: provider code 21211" in html and unlabelled(html) == []
    response = client.post(f"/program/outbox/{message_id}/retry", token_from="/program/outbox")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "pending"
        assert db.session.scalars(db.select(NotificationAudit.actor_id)).all() == [admin.id]
    assert admin.email in client.get("/program/outbox").get_data(as_text=True)
    again = client.post(f"/program/outbox/{message_id}/retry", token_from="/program/outbox")
    assert again.status_code == 409
