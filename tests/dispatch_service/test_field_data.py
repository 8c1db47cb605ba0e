"""Field data through the admin API: technicians with logins, shifts, exceptions, labs; who may do what."""

from __future__ import annotations

import pytest

from booking.extensions import db
from dispatch.models import Technician
from tests.dispatch_service.conftest import plan_now


def new_technician(region_id: int, **over) -> dict:
    body = {
        "email": "tina@example.org",
        "password": "long enough pw",
        "first_name": "Tina",
        "last_name": "Tech",
        "phone": "555-0123",
        "region_id": region_id,
        "home_base": {"line": "1 Base St", "latitude": 40.75, "longitude": -73.99},
        "skills": ["phlebotomy"],
        "max_visits": 10,
        "shifts": [{"weekday": d, "starts": "08:00:00", "ends": "16:30:00"} for d in range(5)],
    }
    body.update(over)
    return body


def test_admin_creates_a_technician_who_can_sign_in(client, world, field, app):
    """An admin adds a technician with shifts; the login works and has the technician role."""
    admin = world.login("admin")
    response = client.post("/api/v1/technicians", headers=admin, json=new_technician(field.region_id))
    assert response.status_code == 201, response.json
    body = response.json
    assert (
        body["first_name"] == "Tina" and len(body["shifts"]) == 5 and body["shifts"][0]["ends"] == "16:30:00"
    )
    assert "password" not in body
    token = client.post(
        "/api/v1/auth/token", json={"email": "tina@example.org", "password": "long enough pw"}
    )
    assert token.status_code == 200 and token.json["role"] == "technician"
    again = client.post("/api/v1/technicians", headers=admin, json=new_technician(field.region_id))
    assert again.status_code == 409


@pytest.mark.parametrize(
    "patch,field_name",
    [
        ({"colour": "red"}, "colour"),
        ({"shifts": [{"weekday": 7, "starts": "08:00:00", "ends": "16:00:00"}]}, "shifts"),
        ({"shifts": [{"weekday": 1, "starts": "16:00:00", "ends": "08:00:00"}]}, "shifts"),
        ({"max_visits": -1}, "max_visits"),
        ({"password": "short"}, "password"),
    ],
)
def test_invalid_technician_is_422_and_writes_nothing(client, world, field, app, patch, field_name):
    """Bad or unknown fields are 422 naming the field, and no technician or user row is written."""
    response = client.post(
        "/api/v1/technicians", headers=world.login("admin"), json=new_technician(field.region_id, **patch)
    )
    assert response.status_code == 422 and field_name in str(response.json["errors"])
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Technician.id))) == 0


def test_unknown_region_is_422(client, world, field):
    """A technician in a region that does not exist is refused."""
    response = client.post("/api/v1/technicians", headers=world.login("admin"), json=new_technician(999))
    assert response.status_code == 422 and "region_id" in response.json["errors"]


@pytest.mark.parametrize(
    "method,url,role,status",
    [
        ("post", "/api/v1/technicians", "coordinator", 403),
        ("post", "/api/v1/technicians", "technician", 403),
        ("get", "/api/v1/technicians", "patient", 403),
        ("get", "/api/v1/technicians", "technician", 403),
        ("post", "/api/v1/labs", "coordinator", 403),
        ("get", "/api/v1/labs", "patient", 403),
        ("get", "/api/v1/dispatch/plans", "technician", 403),
        ("get", "/api/v1/technicians/me/route?date=2030-01-07", "coordinator", 403),
    ],
)
def test_roles_are_checked_before_input(client, world, method, url, role, status):
    """Each field-data and planning endpoint refuses roles it does not serve, even with an empty body."""
    headers = world.login(role, patient_id=world.patient()) if role == "patient" else world.login(role)
    response = getattr(client, method)(url, headers=headers, json={})
    assert response.status_code == status


def test_shifts_exceptions_and_labs(client, world, field, coordinator):
    """Shifts are replaced, a day off is recorded once, labs are added and changed; a day off keeps a technician out of the plan."""
    admin = world.login("admin")
    tech = field.technician()
    response = client.put(
        f"/api/v1/technicians/{tech}/shifts",
        headers=admin,
        json={"shifts": [{"weekday": field.day.weekday(), "starts": "09:00:00", "ends": "15:00:00"}]},
    )
    assert response.status_code == 200 and len(response.json["shifts"]) == 1
    dup = client.put(
        f"/api/v1/technicians/{tech}/shifts",
        headers=admin,
        json={"shifts": [{"weekday": 1, "starts": "09:00:00", "ends": "15:00:00"}] * 2},
    )
    assert dup.status_code == 422
    off = {"day": field.day.isoformat(), "kind": "sick", "reason": "flu"}
    assert (
        client.post(f"/api/v1/technicians/{tech}/exceptions", headers=coordinator, json=off).status_code
        == 201
    )
    assert (
        client.post(f"/api/v1/technicians/{tech}/exceptions", headers=coordinator, json=off).status_code
        == 409
    )
    lab = client.post(
        "/api/v1/labs",
        headers=admin,
        json={
            "region_id": field.region_id,
            "name": "North Lab",
            "cutoff": "16:00:00",
            "address": {"line": "9 North Rd", "latitude": 40.80, "longitude": -73.95},
        },
    )
    assert lab.status_code == 201, lab.json
    patched = client.patch(f"/api/v1/labs/{lab.json['id']}", headers=admin, json={"cutoff": "15:30:00"})
    assert patched.status_code == 200 and patched.json["cutoff"] == "15:30:00"
    assert len(client.get("/api/v1/labs", headers=coordinator).json) == 2
    booking = field.booking(hour=10)
    plan = plan_now(client, coordinator, field)
    assert plan["routes"] == [] and plan["unassigned"][0]["booking_id"] == booking
    assert plan["version"]["stats"]["technicians_on_shift"] == 0


def test_technician_update_changes_the_home_base(client, world, field):
    """PATCH moves a technician's home base and skills; unknown ids are 404."""
    admin = world.login("admin")
    tech = field.technician()
    response = client.patch(
        f"/api/v1/technicians/{tech}",
        headers=admin,
        json={
            "home_base": {"line": "2 New St", "latitude": 40.70, "longitude": -73.95},
            "skills": ["phlebotomy", "pediatric"],
        },
    )
    assert response.status_code == 200
    assert response.json["home_address"] == "2 New St" and response.json["skills"] == [
        "phlebotomy",
        "pediatric",
    ]
    assert client.patch("/api/v1/technicians/9999", headers=admin, json={"max_visits": 3}).status_code == 404
