"""The notification API: preferences with recorded consent, a patient's messages, dead letters for admins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.extensions import db
from booking.models import Patient
from booking.program import delivery, outbox
from booking.program.models import MessageType, NotificationAudit, NotificationPreference, OutboxMessage
from booking.program.preferences import CONSENT_TEXT_VERSION

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
CONTEXT = {"month": "December 2026", "link": "https://labvisit.example/me"}


def prefs_url(patient_id: int) -> str:
    return f"/api/v1/patients/{patient_id}/notification-preferences"


def test_a_patient_records_consent_and_switches_on_sms(world, client):
    """Consent is stored with when, who and which wording; the patient recorded it themself."""
    patient_id, headers = world.patient_login()
    response = client.put(
        prefs_url(patient_id),
        json={
            "sms_enabled": True,
            "language": "es",
            "quiet_start": "22:00",
            "quiet_end": "07:30",
            "consent": True,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["sms_enabled"], body["language"], body["quiet_start"], body["quiet_end"]) == (
        True,
        "es",
        "22:00",
        "07:30",
    )
    assert body["consent"]["text_version"] == CONSENT_TEXT_VERSION
    assert body["consent"]["recorded_by_role"] == "patient"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(prefs_url(patient_id), headers=headers).json == body


def test_email_or_sms_without_consent_is_refused_and_nothing_is_stored(world, client, app):
    """Switching a channel on without consent is a 422 naming the consent field; no row is written."""
    patient_id, headers = world.patient_login()
    response = client.put(prefs_url(patient_id), json={"email_enabled": True}, headers=headers)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "consent" in response.json["errors"]
    with app.app_context():
        assert db.session.get(NotificationPreference, patient_id) is None


@pytest.mark.parametrize(
    "body",
    [
        {"language": "fr"},
        {"opted_out_types": ["spam"]},
        {"quiet_start": "25:00", "quiet_end": "07:00"},
        {"quiet_start": "22:00"},
        {"consent": "yes please"},
        {"patient_id": 3},
    ],
)
def test_bad_preferences_are_422(world, client, body):
    """Unknown languages, types, times, half a quiet range and unknown fields are rejected as problems."""
    patient_id, headers = world.patient_login()
    response = client.put(prefs_url(patient_id), json=body, headers=headers)
    assert response.status_code == 422 and response.content_type == "application/problem+json"


def test_staff_set_preferences_on_a_patients_behalf_and_are_recorded_as_the_consent_recorder(
    world, client, app
):
    """A coordinator's consent on the patient's behalf names the coordinator; the audit says so too."""
    patient_id = world.patient()
    coordinator = world.user("coordinator")
    headers = world.headers(coordinator)
    response = client.put(
        prefs_url(patient_id), json={"email_enabled": True, "consent": True}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["consent"]["recorded_by_user_id"] == coordinator.id
    assert response.json["consent"]["recorded_by_role"] == "coordinator"
    with app.app_context():
        [entry] = db.session.scalars(db.select(NotificationAudit)).all()
        assert (entry.actor_id, entry.patient_id, entry.action) == (
            coordinator.id,
            patient_id,
            "consent_given",
        )


def test_withdrawing_consent_switches_email_and_sms_off(world, client):
    """consent: false clears the consent record and both channels."""
    patient_id, headers = world.patient_login()
    client.put(
        prefs_url(patient_id),
        json={"email_enabled": True, "sms_enabled": True, "consent": True},
        headers=headers,
    )
    body = client.put(prefs_url(patient_id), json={"consent": False}, headers=headers).json
    assert (body["email_enabled"], body["sms_enabled"], body["consent"]) == (False, False, None)


@pytest.mark.parametrize("path", ["notification-preferences", "messages"])
def test_a_patient_cannot_read_anothers_preferences_or_messages(world, client, path):
    """Another patient's records answer 404; technicians are refused."""
    _, headers = world.patient_login()
    other = world.patient()
    assert client.get(f"/api/v1/patients/{other}/{path}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/patients/{other}/{path}", headers=world.login("technician")).status_code == 403
    )


def _delivered_messages(app, patient_id: int) -> None:
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        patient.email = "pat@example.org"
        db.session.add(
            NotificationPreference(
                patient_id=patient_id, email_enabled=True, consent_at=NOW, consent_text_version="2026-12"
            )
        )
        outbox.notify(patient, MessageType.MONTH_DUE, CONTEXT, dedupe_key="due", due_at=NOW)
        db.session.commit()
        delivery.deliver_due(NOW)


def test_a_patient_sees_what_was_sent_and_marks_the_inbox_read(world, client, app):
    """The page copy is unread until the patient marks it; the demo e-mail copy says it was not really sent."""
    patient_id, headers = world.patient_login()
    _delivered_messages(app, patient_id)
    response = client.get(f"/api/v1/patients/{patient_id}/messages", headers=headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    by_channel = {m["channel"]: m for m in response.json}
    assert by_channel["page"]["unread"] is True
    assert by_channel["page"]["subject"] == "Your monthly lab visit for December 2026 is due"
    assert by_channel["email"]["not_really_sent"] is True and by_channel["email"]["unread"] is False
    marked = client.post(f"/api/v1/patients/{patient_id}/messages/read", json={}, headers=headers)
    assert marked.json == {"marked": 1, "unread": 0}
    page = client.get(f"/api/v1/patients/{patient_id}/messages?channel=page", headers=headers).json
    assert [m["unread"] for m in page] == [False]


def test_staff_reading_a_patients_messages_does_not_mark_them_read(world, client, app):
    """Staff may list a patient's messages but not mark them read for the patient."""
    patient_id, _ = world.patient_login()
    _delivered_messages(app, patient_id)
    staff = world.login("coordinator")
    assert client.get(f"/api/v1/patients/{patient_id}/messages", headers=staff).status_code == 200
    assert (
        client.post(f"/api/v1/patients/{patient_id}/messages/read", json={}, headers=staff).status_code == 403
    )


def _dead_letter(app, world) -> int:
    patient_id = world.patient()
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        outbox.notify(patient, MessageType.MONTH_DUE, CONTEXT, dedupe_key="dead", due_at=NOW)
        message = db.session.scalars(db.select(OutboxMessage)).one()
        message.status, message.attempts, message.last_error = "dead", 6, "smtp_unavailable: TimeoutError"
        db.session.commit()
        return message.id


def test_an_admin_sees_and_retries_a_dead_letter_and_the_retry_is_audited(world, client, app):
    """Retry puts the message back, due now with fresh attempts; the audit names the admin; a second retry is 409."""
    message_id = _dead_letter(app, world)
    admin = world.user("admin")
    headers = world.headers(admin)
    listed = client.get("/api/v1/outbox/messages?status=dead", headers=headers)
    assert [m["id"] for m in listed.json] == [message_id] and "body" not in listed.json[0]
    response = client.post(f"/api/v1/outbox/messages/{message_id}/retry", headers=headers)
    assert response.status_code == 200
    assert (response.json["status"], response.json["attempts"]) == ("pending", 0)
    again = client.post(f"/api/v1/outbox/messages/{message_id}/retry", headers=headers)
    assert again.status_code == 409 and again.json["current_status"] == "pending"
    audit = client.get("/api/v1/outbox/audit", headers=headers).json
    assert [(a["actor_id"], a["message_id"], a["action"]) for a in audit] == [
        (admin.id, message_id, "dead_letter_retried")
    ]
    assert client.post("/api/v1/outbox/messages/999999/retry", headers=headers).status_code == 404


@pytest.mark.parametrize("role", ["patient", "technician", "coordinator"])
def test_only_admins_see_or_retry_dead_letters(world, client, app, role):
    """Everyone but an admin is refused, and the message stays dead."""
    message_id = _dead_letter(app, world)
    kwargs = {"patient_id": world.patient()} if role == "patient" else {}
    headers = world.login(role, **kwargs)
    assert client.get("/api/v1/outbox/messages", headers=headers).status_code == 403
    assert client.post(f"/api/v1/outbox/messages/{message_id}/retry", headers=headers).status_code == 403
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "dead"
