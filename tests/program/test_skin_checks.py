"""Yearly skin checks: recorded by the patient or staff, shown on the schedule, reminded once a year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from booking.extensions import db
from booking.program import skin_checks
from booking.program.models import OutboxMessage
from booking.program.outreach_models import ProgramEvent, SkinCheck

# The test patient's first infusion is January 2025: program years start each January.
DEC_15 = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
JAN_10 = datetime(2027, 1, 10, 15, 0, tzinfo=UTC)


def record(client, headers, pid: int, **body):
    body = {"done_on": "2026-06-03", "provider_name": "Dr. Skin", **body}
    return client.post(f"/api/v1/patients/{pid}/skin-checks", json=body, headers=headers)


def test_a_patient_records_a_skin_check_and_the_schedule_shows_it(app, world, client):
    """The check is stored with who recorded it, audited, and the year's skin month shows its date."""
    pid, headers = world.patient_login()
    created = record(client, headers, pid)
    assert created.status_code == 201
    assert created.json["done_on"] == "2026-06-03" and created.json["provider_name"] == "Dr. Skin"
    assert created.json["recorded_by_id"] is not None
    months = {
        m["month"]: m for m in client.get(f"/api/v1/patients/{pid}/schedule", headers=headers).json["months"]
    }
    assert months["2026-01"]["skin_check_done_on"] == "2026-06-03"
    assert months["2025-01"]["skin_check_done_on"] is None
    assert months["2027-01"]["skin_check_done_on"] is None
    assert months["2026-02"]["skin_check_done_on"] is None  # not a skin-check month
    with app.app_context():
        event = db.session.scalars(db.select(ProgramEvent)).one()
        assert event.action == "skin_check_recorded" and event.actor_id == created.json["recorded_by_id"]


def test_staff_record_for_any_patient_and_patients_only_for_themselves(world, client):
    """A coordinator records for a patient; another patient gets 404 and their own list stays empty."""
    pid, headers = world.patient_login()
    nurse = world.login("coordinator")
    assert record(client, nurse, pid, provider_name="Derm Clinic").status_code == 201
    other, other_headers = world.patient_login()
    assert record(client, other_headers, pid).status_code == 404
    assert client.get(f"/api/v1/patients/{pid}/skin-checks", headers=other_headers).status_code == 404
    listed = client.get(f"/api/v1/patients/{pid}/skin-checks", headers=headers)
    assert [c["provider_name"] for c in listed.json] == ["Derm Clinic"]
    assert listed.headers["Cache-Control"] == "no-store"
    assert client.get(f"/api/v1/patients/{other}/skin-checks", headers=other_headers).json == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"done_on": (date.today() + timedelta(days=2)).isoformat()}, "done_on"),
        ({"done_on": "yesterday"}, "done_on"),
        ({"provider_name": ""}, "provider_name"),
        ({"provider_name": "x" * 201}, "provider_name"),
        ({"recorded_by_id": 1}, "recorded_by_id"),
    ],
)
def test_a_bad_skin_check_is_refused_and_nothing_is_written(app, world, client, body, field):
    """Future dates, bad dates, a missing provider or a server-owned field: 422 problem+json, no row."""
    pid, headers = world.patient_login()
    response = record(client, headers, pid, **body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in str(response.json["errors"])
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SkinCheck.id))) == 0


def reminders(app, patient_id: int) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(OutboxMessage).where(
                    OutboxMessage.patient_id == patient_id, OutboxMessage.type == "skin_check_due"
                )
            )
        )


def remind(app, at: datetime) -> int:
    with app.app_context():
        queued = skin_checks.remind(at)
        db.session.commit()
        return queued


def test_a_due_skin_check_is_reminded_once_per_program_year(app, world):
    """No check this program year: one reminder, however many runs; a new year brings a new one."""
    pid = world.patient()
    assert remind(app, DEC_15) == 1
    assert remind(app, DEC_15 + timedelta(days=1)) == 0
    [message] = reminders(app, pid)
    assert f"/patients/{pid}/skin-checks" in message.body
    assert remind(app, JAN_10) == 1


def test_a_skin_check_done_this_year_stops_the_reminder(app, world, client):
    """A recorded check in this program year means no reminder until the next year starts."""
    pid, headers = world.patient_login()
    assert record(client, headers, pid, done_on="2026-03-01").status_code == 201
    assert remind(app, DEC_15) == 0
    assert reminders(app, pid) == []
    assert remind(app, JAN_10) == 1


def test_year_start_is_the_latest_skin_check_month():
    """Program years run twelve months from the first monitoring month."""
    first = date(2025, 1, 1)
    assert skin_checks.year_start(first, date(2026, 12, 1)) == date(2026, 1, 1)
    assert skin_checks.year_start(first, date(2027, 1, 1)) == date(2027, 1, 1)
    assert skin_checks.year_start(first, date(2025, 5, 1)) == date(2025, 1, 1)
