"""Technicians' routes: who sees what, progress through the booking states, live ETAs, iCal, sheet, map."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from icalendar import Calendar

from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.slots import zone_for
from tests.dispatch_service.conftest import TZ, plan_now, publish

EAST = (40.7580, -73.9700)


@pytest.fixture
def published(client, coordinator, field):
    """Two technicians (at most two visits each), each with a published route of two stops."""
    a = field.technician(first_name="Ana", home=(40.7484, -73.9857), max_visits=2)
    b = field.technician(first_name="Ben", home=(40.7000, -73.9500), max_visits=2)
    field.booking(hour=8), field.booking(hour=12, at=EAST)
    field.booking(hour=8, at=(40.7010, -73.9510)), field.booking(hour=12, at=(40.7050, -73.9450))
    plan = plan_now(client, coordinator, field)
    publish(client, coordinator, plan)
    by_tech = {r["technician"]["id"]: [s["booking_id"] for s in r["stops"]] for r in plan["routes"]}
    assert len(by_tech[a]) == len(by_tech[b]) == 2
    return a, b, by_tech[a], by_tech[b]


def route(client, headers, field, who="me"):
    return client.get(
        f"/api/v1/technicians/{who}/route", headers=headers, query_string={"date": field.day.isoformat()}
    )


def test_technician_sees_own_route_with_what_they_need(client, field, published):
    """The route lists ordered stops with windows, ETA, address, access notes, phone, tests and the lab."""
    a, _, near_a, _ = published
    body = route(client, field.tech_headers(a), field).json
    assert [s["booking_id"] for s in body["stops"]] == near_a
    stop = body["stops"][0]
    assert stop["address"] == "350 5th Ave" and stop["access_notes"] == "Ring twice"
    assert stop["patient"] == {"name": "Pat I.", "phone": "555-0100"}
    assert "Blood: complete blood count with differential" in stop["collect"]
    assert "Urine: urinalysis with cell counts" in stop["collect"]
    assert stop["eta"] == stop["planned_arrival"]
    assert body["lab_drop"]["name"] == "Central Lab" and body["lab_drop"]["cutoff"] == "17:00"
    text = str(body)
    assert "1970-01-01" not in text and "pat@example.org" not in text  # no date of birth, no e-mail


def test_thyroid_panel_is_collected_in_its_month(app, client, field, published):
    """A visit in a thyroid month lists the thyroid panel; the fixture's month index is 3 (a thyroid month)."""
    a, _, _, _ = published
    stops = route(client, field.tech_headers(a), field).json["stops"]
    assert all("Blood: thyroid function panel" in s["collect"] for s in stops)


def test_technician_cannot_see_another_technicians_route(client, world, field, published):
    """Another technician's id is 404 for a technician, 403 for a patient, and open to staff."""
    a, b, _, near_b = published
    assert route(client, field.tech_headers(a), field, who=b).status_code == 404
    assert route(client, field.tech_headers(a), field, who=a).status_code == 200
    assert route(client, world.login("patient", patient_id=world.patient()), field, who=b).status_code == 403
    staff = route(client, world.login("coordinator"), field, who=b)
    assert [s["booking_id"] for s in staff.json["stops"]] == near_b
    for suffix in ("route.ics", "route/sheet"):
        url = f"/api/v1/technicians/{b}/{suffix}"
        assert (
            client.get(
                url, headers=field.tech_headers(a), query_string={"date": field.day.isoformat()}
            ).status_code
            == 404
        )


def test_marking_stops_moves_bookings_and_recomputes_etas(app, client, field, published, monkeypatch):
    """Arrived then collected walks the booking's states; later ETAs restart from the report time."""
    a, _, near_a, _ = published
    headers = field.tech_headers(a)
    first, second = near_a
    planned = route(client, headers, field).json["stops"][1]["eta"]
    late = datetime.combine(field.day, time(11, 40), zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: late)
    response = client.post(
        f"/api/v1/technicians/me/stops/{first}", headers=headers, json={"status": "arrived"}
    )
    assert response.status_code == 200, response.json
    response = client.post(
        f"/api/v1/technicians/me/stops/{first}", headers=headers, json={"status": "collected"}
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["stops"][0]["status"] == "collected"
    eta = body["stops"][1]["eta"]
    assert eta != planned and eta[11:16] > "11:40"
    assert body["lab_drop"]["eta"] > eta
    with app.app_context():
        steps = db.session.scalars(
            db.select(BookingEvent.to_status)
            .where(BookingEvent.booking_id == first)
            .order_by(BookingEvent.id)
        ).all()
        assert steps[-3:] == ["en_route", "arrived", "collected"]
    again = client.post(f"/api/v1/technicians/me/stops/{first}", headers=headers, json={"status": "arrived"})
    assert again.status_code == 409


def test_no_show_needs_a_reason_and_only_own_stops(app, client, field, published, monkeypatch):
    """No-show without a reason is 422; marking another technician's stop is 404; with a reason it sticks."""
    morning = datetime.combine(field.day, time(9, 0), zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: morning)
    a, _, near_a, near_b = published
    headers = field.tech_headers(a)
    url = f"/api/v1/technicians/me/stops/{near_a[0]}"
    assert client.post(url, headers=headers, json={"status": "no_show"}).status_code == 422
    assert (
        client.post(
            f"/api/v1/technicians/me/stops/{near_b[0]}", headers=headers, json={"status": "arrived"}
        ).status_code
        == 404
    )
    ok = client.post(url, headers=headers, json={"status": "no_show", "reason": "nobody home"})
    assert ok.status_code == 200
    with app.app_context():
        booking = db.session.get(Booking, near_a[0])
        assert booking.status == "no_show" and booking.status_reason == "nobody home"


def test_icalendar_feed_has_one_event_per_stop_and_the_lab(client, field, published):
    """The .ics parses, holds each stop's arrival window and the lab drop, and no patient name."""
    a, _, near_a, _ = published
    response = client.get(
        "/api/v1/technicians/me/route.ics",
        headers=field.tech_headers(a),
        query_string={"date": field.day.isoformat()},
    )
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(response.data).walk("VEVENT")]
    assert len(events) == len(near_a) + 1
    assert str(events[0]["location"]) == "350 5th Ave"
    assert "Pat" not in response.data.decode()


def test_route_sheet_and_map_render_without_outside_resources(client, coordinator, field, published):
    """The printable sheet lists the stops; the SVG map draws one line per route and loads nothing."""
    a, _, _, _ = published
    sheet = client.get(
        "/api/v1/technicians/me/route/sheet",
        headers=field.tech_headers(a),
        query_string={"date": field.day.isoformat()},
    )
    assert sheet.status_code == 200 and "Ring twice" in sheet.text and "Central Lab" in sheet.text
    plans = client.get("/api/v1/dispatch/plans", headers=coordinator).json
    svg = client.get(f"/api/v1/dispatch/plans/{plans[0]['id']}/map.svg", headers=coordinator)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.text.count("<polyline") == 2
    assert "href" not in svg.text and "<script" not in svg.text and svg.text.count("http") == 1  # xmlns only
