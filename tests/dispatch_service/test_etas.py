"""ETAs are service starts, recomputed from what technicians report; reports are for today and can be undone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, CapacityCounter
from booking.services import integrity
from booking.slots import zone_for
from tests.dispatch_service.conftest import TZ, get_plan, plan_now, publish

EAST = (40.7580, -73.9700)


@pytest.fixture
def day_route(client, coordinator, field):
    """One technician with a published route: an 8-10 visit, then a 12-14 visit a few minutes away."""
    tech = field.technician(first_name="Ana")
    first, second = field.booking(hour=8), field.booking(hour=12, at=EAST)
    plan = plan_now(client, coordinator, field)
    publish(client, coordinator, plan)
    return tech, first, second, plan["id"]


class Clock:
    """The app's clock, set to a local time on the field's day."""

    def __init__(self, monkeypatch, day):
        self.day, self.now = day, None
        monkeypatch.setattr("booking.services.availability.now_utc", lambda: self.now)

    def at(self, hour: int, minute: int = 0) -> None:
        self.now = datetime.combine(self.day, time(hour, minute), zone_for(TZ))


@pytest.fixture
def clock(monkeypatch, field):
    return Clock(monkeypatch, field.day)


def _report(client, field, tech, booking_id, status, **extra):
    return client.post(
        f"/api/v1/technicians/me/stops/{booking_id}",
        headers=field.tech_headers(tech),
        json={"status": status, **extra},
    )


def test_early_technician_is_shown_arriving_then_waiting_for_the_window(client, field, day_route, clock):
    """Collected early at the first stop: the next stop reads "arrive 8:3x, wait until 12:00"."""
    tech, first, second, _ = day_route
    clock.at(8, 30)
    body = _report(client, field, tech, first, "collected").json
    nxt = body["stops"][1]
    assert nxt["booking_id"] == second
    assert "08:30" < nxt["eta"][11:16] < "09:00"
    assert nxt["eta_service_start"][11:16] == "12:00" and nxt["wait_minutes"] > 180
    html = client.get(f"/technician?date={field.day}", headers=field.tech_headers(tech))
    assert html.status_code in (200, 302)  # the page itself needs a web sign-in; see tests/web


def test_etas_follow_the_latest_report_not_the_plan(client, field, day_route, clock):
    """Arrived at 9:10 then collected at 9:50: the lab ETA moves with each report, never back to the plan."""
    tech, first, second, _ = day_route
    clock.at(9, 10)
    arrived = _report(client, field, tech, first, "arrived").json
    assert arrived["stops"][0]["eta"][11:16] == "09:10"
    assert arrived["stops"][0]["reported"]["status"] == "arrived"
    clock.at(13, 50)
    late = _report(client, field, tech, first, "collected").json
    nxt = late["stops"][1]
    assert nxt["eta"][11:16] > "13:50" and nxt["eta_service_start"] == nxt["eta"] and nxt["wait_minutes"] == 0
    assert late["lab_drop"]["eta"] > nxt["eta"]


def test_leave_by_keeps_the_configured_slack(app, client, field, day_route):
    """The route's leave-by time reaches the first stop at least LEAVE_BY_SLACK_MINUTES before service."""
    tech, *_ = day_route
    body = client.get(
        "/api/v1/technicians/me/route",
        headers=field.tech_headers(tech),
        query_string={"date": field.day.isoformat()},
    ).json
    first = body["stops"][0]
    leave = datetime.fromisoformat(body["leave_by"])
    start = datetime.fromisoformat(first["eta_service_start"])
    shift_start = datetime.combine(field.day, time(8, 0), zone_for(TZ))
    slack = timedelta(minutes=app.config["LEAVE_BY_SLACK_MINUTES"])
    assert leave == shift_start or leave + timedelta(minutes=first["drive_minutes"]) + slack <= start


def test_reports_on_another_days_route_are_refused(client, field, day_route, clock):
    """Arrived on tomorrow's route is a 409 that says reports are for today; nothing changes."""
    tech, first, *_ = day_route
    clock.at(9)
    clock.now -= timedelta(days=1)
    refused = _report(client, field, tech, first, "arrived")
    assert refused.status_code == 409 and "Reports are for today's route" in refused.json["detail"]
    assert _report(client, field, tech, first, "no_show", reason="not home").status_code == 409


def test_the_last_report_can_be_undone_for_a_few_minutes(app, client, coordinator, field, day_route, clock):
    """Collected by mistake is undone within REPORT_UNDO_MINUTES (back to arrived); later undo is a 409."""
    tech, first, _, plan_id = day_route
    headers = field.tech_headers(tech)
    clock.at(8, 5)
    _report(client, field, tech, first, "arrived")
    clock.at(8, 20)
    _report(client, field, tech, first, "collected")
    clock.at(8, 22)
    undone = client.post("/api/v1/technicians/me/reports/undo", headers=headers)
    assert undone.status_code == 200, undone.json
    assert undone.json["stops"][0]["status"] == "arrived"
    assert undone.json["stops"][0]["reported"]["status"] == "arrived"
    with app.app_context():
        assert db.session.get(Booking, first).status == "arrived"
    board = get_plan(client, coordinator, plan_id, which="published")
    [stop] = [s for r in board["routes"] for s in r["stops"] if s["booking_id"] == first]
    assert stop["reported"] == {"status": "arrived", "local_time": stop["reported"]["local_time"]}
    assert stop["reported"]["local_time"][11:16] == "08:05"
    clock.at(8, 40)
    too_late = client.post("/api/v1/technicians/me/reports/undo", headers=headers)
    assert too_late.status_code == 409 and "within" in too_late.json["detail"]


def test_an_undone_no_show_holds_its_place_again(app, client, field, day_route, clock):
    """A no-show gives the visit's region-day place back; undoing it takes that place again."""
    tech, first, *_ = day_route
    key = f"region:{field.region_id}:{field.day:%Y%m%d}"
    with app.app_context():
        db.session.get(Booking, first).capacity_key = key
        db.session.add(CapacityCounter(key=key, capacity=3, booked=1))
        db.session.commit()
    clock.at(8, 5)
    assert _report(client, field, tech, first, "no_show", reason="not home").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(CapacityCounter.booked).where(CapacityCounter.key == key)) == 0
        assert integrity.differences() == []
    undone = client.post("/api/v1/technicians/me/reports/undo", headers=field.tech_headers(tech))
    assert undone.status_code == 200, undone.json
    with app.app_context():
        assert db.session.get(Booking, first).status == "assigned"
        assert db.session.scalar(db.select(CapacityCounter.booked).where(CapacityCounter.key == key)) == 1
        assert integrity.differences() == []


def test_undoing_a_no_show_after_the_month_was_booked_again_is_a_409(app, client, field, day_route, clock):
    """The month freed by a no-show was booked again: the undo is refused with the reason, not a 500."""
    tech, first, *_ = day_route
    clock.at(8, 5)
    assert _report(client, field, tech, first, "no_show", reason="not home").status_code == 200
    with app.app_context():
        missed = db.session.get(Booking, first)
        db.session.add(
            Booking(
                patient_id=missed.patient_id,
                kind="provider",
                status="requested",
                monitoring_month=missed.monitoring_month,
                starts_at=missed.starts_at + timedelta(days=3),
                time_zone=missed.time_zone,
            )
        )
        db.session.commit()
    undone = client.post("/api/v1/technicians/me/reports/undo", headers=field.tech_headers(tech))
    assert undone.status_code == 409, undone.json
    assert undone.json["current_status"] == "no_show"
    with app.app_context():
        assert db.session.get(Booking, first).status == "no_show"
