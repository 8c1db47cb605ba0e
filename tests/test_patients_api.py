"""Patients through the API: creation with geocoding, validation, courses and the schedule."""

from __future__ import annotations

from datetime import date

import pytest

from booking.extensions import db
from booking.models import Patient, User

NEW_PATIENT = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "time_zone": "America/New_York",
    "phone": "555-0123",
    "home_address": {"line": "20 W 34th St, New York, NY 10001"},
    "office_address": {"line": "Office", "latitude": 40.7128, "longitude": -74.006},
    "provider": {"name": "Dr. Chen", "address": "1 Clinic Way, New York, NY 10016", "phone": "555-0111"},
    "courses": [{"first_infusion": "2025-03-03", "last_infusion": "2025-03-07"}],
    "login": {"email": "ada@example.org", "password": "a long password"},
}


def test_coordinator_creates_patient_geocoded_offline(world, client):
    """A ZIP-code address is geocoded to its centroid; client coordinates are kept as given."""
    response = client.post("/api/v1/patients", json=NEW_PATIENT, headers=world.login("coordinator"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["home_address"]["precision"] == "zip_centroid"
    assert body["home_address"]["latitude"] == pytest.approx(40.75, abs=0.05)
    assert body["office_address"] == {
        "line": "Office",
        "latitude": 40.7128,
        "longitude": -74.006,
        "precision": "client",
    }
    assert body["has_login"] is True and body["courses"][0]["first_infusion"] == "2025-03-03"
    token = client.post(
        "/api/v1/auth/token", json={"email": "ada@example.org", "password": "a long password"}
    )
    assert token.json["patient_id"] == body["id"]


def test_address_that_cannot_be_geocoded_writes_nothing(world, client, app):
    """An address with no ZIP code is 422 naming the field, and no patient or user is created."""
    body = {**NEW_PATIENT, "home_address": {"line": "somewhere without a zip"}}
    response = client.post("/api/v1/patients", json=body, headers=world.login("coordinator"))
    assert response.status_code == 422
    assert "home_address" in response.json["errors"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Patient.id))) == 0
        assert db.session.scalar(db.select(User.id).where(User.email == "ada@example.org")) is None


@pytest.mark.parametrize(
    "change,field",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"id": 5}, "id"),
        ({"nickname": "A"}, "nickname"),
        ({"courses": [{"first_infusion": "2025-03-07", "last_infusion": "2025-03-03"}]}, "courses"),
        ({"home_address": {"line": "x y z", "latitude": 95, "longitude": 0}}, "home_address"),
        ({"home_address": {"line": "x y z", "latitude": 40}}, "home_address"),
    ],
)
def test_invalid_patient_input_is_422(world, client, change, field):
    """Bad zones, unknown or server-owned fields, reversed courses and bad coordinates are refused."""
    response = client.post(
        "/api/v1/patients", json={**NEW_PATIENT, **change}, headers=world.login("coordinator")
    )
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_duplicate_login_email_is_409(world, client):
    """A second patient with a taken login e-mail is refused."""
    staff = world.login("coordinator")
    assert client.post("/api/v1/patients", json=NEW_PATIENT, headers=staff).status_code == 201
    assert client.post("/api/v1/patients", json=NEW_PATIENT, headers=staff).status_code == 409


def test_schedule_runs_48_months_after_last_infusion(world, client):
    """One entry per month from first infusion to 48 months after the last, thyroid every third."""
    pid, headers = world.patient_login(first_infusion=date(2025, 1, 10), last_infusion=date(2025, 7, 20))
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=headers).json
    months = body["months"]
    assert body["first_month"] == "2025-01" and body["last_month"] == "2029-07"
    assert len(months) == 55
    assert [m["index"] for m in months if "thyroid_function" in m["tests"]][:3] == [0, 3, 6]
    assert [m["month"] for m in months if m["skin_check_due"]] == [
        "2025-01",
        "2026-01",
        "2027-01",
        "2028-01",
        "2029-01",
    ]
    assert {m["status"] for m in months if m["month"] < body["current_month"]} == {"overdue"}


def test_new_course_extends_the_schedule(world, client):
    """Adding a course moves the last month to 48 months after its last infusion."""
    pid = world.patient(first_infusion=date(2025, 1, 10), last_infusion=date(2025, 1, 14))
    staff = world.login("coordinator")
    added = client.post(
        f"/api/v1/patients/{pid}/courses",
        headers=staff,
        json={"first_infusion": "2026-01-12", "last_infusion": "2026-01-16"},
    )
    assert added.status_code == 201
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=staff).json
    assert body["last_month"] == "2030-01"


def test_schedule_shows_booked_and_completed_months(world, client):
    """A booked month says 'booked' with its booking; a collected one 'completed', older gaps 'missed'."""
    from tests.test_bookings import book, openings

    pid, headers = world.patient_login(first_infusion=date(2025, 1, 10), last_infusion=date(2026, 6, 1))
    cid = world.center()
    slot = openings(client, headers, kind="service_center", service_center_id=cid)[0]
    booking = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    ).json
    months = {
        m["month"]: m for m in client.get(f"/api/v1/patients/{pid}/schedule", headers=headers).json["months"]
    }
    assert months[booking["monitoring_month"]]["status"] == "booked"
    assert months[booking["monitoring_month"]]["booking_id"] == booking["id"]
    staff = world.login("coordinator")
    for status in ("arrived", "collected"):
        client.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": status}, headers=staff)
    months = {
        m["month"]: m for m in client.get(f"/api/v1/patients/{pid}/schedule", headers=headers).json["months"]
    }
    assert months[booking["monitoring_month"]]["status"] == "completed"
    assert months["2025-02"]["status"] == "missed"  # a later month was completed


def test_due_and_overdue_lists(world, client):
    """Coordinators see who has no booking this month and who is overdue."""
    from tests.test_bookings import book, openings

    staff = world.login("coordinator")
    _finished_long_ago = world.patient(
        first_infusion=date(2020, 1, 1), last_infusion=date(2020, 1, 2)
    )  # finished
    waiting = world.patient(first_infusion=date(2025, 1, 10), last_infusion=date(2026, 6, 1))
    booked, headers = world.patient_login(first_infusion=date(2025, 1, 10), last_infusion=date(2026, 6, 1))
    cid = world.center()
    slot = openings(client, headers, kind="service_center", service_center_id=cid)[0]
    month = slot["local_start"][:7]
    book(client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"])
    due = client.get("/api/v1/monitoring/due", query_string={"month": month}, headers=staff).json
    assert [row["patient_id"] for row in due] == [waiting]
    overdue = {row["patient_id"] for row in client.get("/api/v1/monitoring/overdue", headers=staff).json}
    assert overdue == {waiting, booked}  # past months never tested; `untreated` ended long ago
    bad = client.get("/api/v1/monitoring/due", query_string={"month": "2026-13"}, headers=staff)
    assert bad.status_code == 422
