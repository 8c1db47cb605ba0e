"""The cases found from outside, each pinned: a 4xx problem+json naming what is wrong, nothing written."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, Patient, User
from tests.conftest import future_day

PROBLEM = "application/problem+json"
DEEP = "[" * 1000 + "]" * 1000


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_deep_json_is_400_even_anonymously(client):
    """A body nested 1,000 deep is refused before sign-in and before any parser recurses into it."""
    response = client.post("/api/v1/auth/token", data=DEEP, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "nested" in response.json["detail"]


def test_body_over_the_limit_is_413_unread(app, client, world):
    """A body larger than MAX_CONTENT_LENGTH is answered 413 problem+json from its Content-Length."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/patients",
        data=b"{" + b" " * limit + b"}",
        content_type="application/json",
        headers=world.login("coordinator"),
    )
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_api_write_that_is_not_json_is_415(client, world):
    """A form or text body on an API write is refused, not read as an empty object."""
    response = client.patch(
        "/api/v1/patients/1", data={"first_name": "x"}, headers=world.login("coordinator")
    )
    assert response.status_code == 415 and response.mimetype == PROBLEM


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "home", "from": "9999-12-31", "to": "9999-12-31"},
        {"kind": "home", "from": "9999-12-30", "to": "9999-12-31"},
    ],
)
def test_availability_in_year_9999_is_422(client, world, params):
    """Dates past year 2999 are refused by the schema instead of overflowing date arithmetic."""
    _, headers = world.patient_login()
    response = client.get("/api/v1/availability", query_string=params, headers=headers)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "from" in response.json["errors"]["query"]


def test_bookings_on_a_day_in_year_9999_is_422(client, world):
    response = client.get(
        "/api/v1/bookings", query_string={"date": "9999-12-31"}, headers=world.login("coordinator")
    )
    assert response.status_code == 422 and "date" in response.json["errors"]["query"]


def test_booking_in_year_9999_is_422_and_writes_nothing(app, client, world):
    _, headers = world.patient_login()
    center_id = world.center()
    response = client.post(
        "/api/v1/bookings",
        json={
            "kind": "service_center",
            "service_center_id": center_id,
            "starts_at": "9999-12-31T15:00:00+00:00",
        },
        headers=headers,
    )
    assert response.status_code == 422 and "starts_at" in response.json["errors"]["json"]
    assert _count(app, Booking) == 0


@pytest.mark.parametrize("value", ["a\u0000b", "a\u0007b", "a\x85b", "a\ud800b", "line\nbreak"])
def test_control_characters_in_a_single_line_field_are_422_naming_it(app, client, world, value):
    """NUL, other controls, C1 controls, lone surrogates and line breaks are refused in a name."""
    response = client.post(
        "/api/v1/patients",
        json={
            "first_name": "Ada",
            "last_name": value,
            "time_zone": "America/New_York",
            "home_address": {"line": "1 Main St", "latitude": 40.7, "longitude": -74.0},
        },
        headers=world.login("coordinator"),
    )
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert list(response.json["errors"]["json"]) == ["last_name"]
    assert _count(app, Patient) == 0


def test_notes_may_span_lines_but_not_hold_nul(client, world):
    """Multi-line free text keeps \\n, \\r and \\t; a NUL in it is 422 naming the field."""
    _, headers = world.patient_login()
    center_id = world.center()
    day = future_day().isoformat()
    slot = client.get(
        "/api/v1/availability",
        query_string={"kind": "service_center", "service_center_id": center_id, "from": day, "to": day},
        headers=headers,
    ).json["openings"][0]["starts_at"]
    body = {"kind": "service_center", "service_center_id": center_id, "starts_at": slot}
    refused = client.post("/api/v1/bookings", json=body | {"notes": "gate\u0000"}, headers=headers)
    assert refused.status_code == 422 and "notes" in refused.json["errors"]["json"]
    booked = client.post("/api/v1/bookings", json=body | {"notes": "gate 12\r\n\tdog"}, headers=headers)
    assert booked.status_code == 201 and booked.json["notes"] == "gate 12\r\n\tdog"


@pytest.mark.parametrize(
    "email", ["a" * 243 + "@example.org", "b" * 65 + "@example.org"], ids=["255-chars", "local-65"]
)
def test_over_long_email_is_422(app, client, world, email):
    response = client.post(
        "/api/v1/technicians",
        json={
            "email": email,
            "password": "long enough pw",
            "first_name": "T",
            "last_name": "T",
            "region_id": world.region(),
            "home_base": {"line": "1 Base St", "latitude": 40.75, "longitude": -73.99},
        },
        headers=world.login("admin"),
    )
    assert response.status_code == 422 and "email" in response.json["errors"]["json"]
    assert _count(app, User) == 1  # the admin


@pytest.mark.parametrize("cutoff", ["17:00:00+99:00", "17:00:00+23:59", "17:00:00-05:00", "17:00Z"])
def test_lab_cutoff_with_a_utc_offset_is_422(client, world, cutoff):
    """A lab's cutoff is a local time: any UTC offset, possible or not, is 422 naming the field."""
    response = client.post(
        "/api/v1/labs",
        json={
            "region_id": world.region(),
            "name": "Lab",
            "address": {"line": "1 Lab St", "latitude": 40.75, "longitude": -73.99},
            "cutoff": cutoff,
        },
        headers=world.login("admin"),
    )
    assert response.status_code == 422 and "cutoff" in response.json["errors"]["json"]


def test_technician_shift_with_a_utc_offset_is_422(client, world):
    response = client.post(
        "/api/v1/technicians",
        json={
            "email": "t@example.org",
            "password": "long enough pw",
            "first_name": "T",
            "last_name": "T",
            "region_id": world.region(),
            "home_base": {"line": "1 Base St", "latitude": 40.75, "longitude": -73.99},
            "shifts": [{"weekday": 0, "starts": "08:00:00+23:59", "ends": "16:00:00"}],
        },
        headers=world.login("admin"),
    )
    assert response.status_code == 422 and "shifts" in response.json["errors"]["json"]


@pytest.mark.parametrize("offset", ["+14:30", "-12:30", "+23:59"])
def test_an_instant_with_an_offset_no_place_uses_is_422(client, world, offset):
    _, headers = world.patient_login()
    response = client.post(
        "/api/v1/bookings",
        json={
            "kind": "service_center",
            "service_center_id": world.center(),
            "starts_at": f"2030-01-02T10:00:00{offset}",
        },
        headers=headers,
    )
    assert response.status_code == 422 and "starts_at" in response.json["errors"]["json"]


def test_nul_in_a_search_parameter_is_422(client, world):
    response = client.get(
        "/api/v1/patients", query_string={"q": "Ad\u0000a"}, headers=world.login("coordinator")
    )
    assert response.status_code == 422 and "q" in response.json["errors"]["query"]


def test_every_response_carries_a_request_id_and_a_good_one_is_kept(client):
    kept = client.get("/api/openapi.json", headers={"X-Request-ID": "proxy-abc-12345"})
    assert kept.headers["X-Request-ID"] == "proxy-abc-12345"
    made = client.get("/api/openapi.json", headers={"X-Request-ID": "bad id\u0000"})
    assert len(made.headers["X-Request-ID"]) == 32


def test_tracebacks_are_logged_without_exception_messages():
    """The formatters print frames and classes; a database error's DETAIL never reaches a log."""
    from booking.structured_logs import SafeJsonFormatter, SafeTextFormatter

    try:
        try:
            raise KeyError("Key (email)=(ada@example.org) already exists")
        except KeyError as inner:
            raise RuntimeError("INSERT ... parameters ('Ada', 'Lovelace')") from inner
    except RuntimeError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    record.request_id = "r1"
    for formatter in (SafeJsonFormatter("{message}{request_id}", style="{"), SafeTextFormatter()):
        line = formatter.format(record)
        assert "ada@example.org" not in line and "Lovelace" not in line
        assert "RuntimeError" in line and "KeyError" in line
