"""Leaving for a stop: the technician's "On my way" (page and API) tells the patient a fresh arrival window."""

from __future__ import annotations

from datetime import datetime, time

from booking.extensions import db
from booking.program.models import OutboxMessage
from booking.slots import zone_for
from tests.web.field_day import TZ


def _published(field_day):
    tess_id, tess = field_day.technician("Tess")
    first = field_day.visit(9, place=0, first_name="P0")
    second = field_day.visit(13, place=1, first_name="P1")
    field_day.plan(time_limit=3)  # room for building the day on a busy machine
    field_day.publish()
    return tess, first, second


def _clock(monkeypatch, field_day, local: time) -> None:
    """The clock reads ``local`` on the field day in the region (reports are for today's route)."""
    at = datetime.combine(field_day.day, local, zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: at)


def _on_the_way(app, booking_id: int) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(OutboxMessage).where(
                OutboxMessage.booking_id == booking_id, OutboxMessage.type == "on_the_way"
            )
        ).all()
        db.session.expunge_all()
        return rows


def test_leaving_early_for_a_stop_promises_the_start_of_its_window(
    app, world, client, field_day, monkeypatch
):
    """Leaving at 8:30 for a 9-11 AM visit a few minutes away: "arriving 9-9:30 AM", once, and the stop is en route."""
    tess, first, _ = _published(field_day)
    _clock(monkeypatch, field_day, time(8, 30))
    headers = world.headers(tess)
    response = client.post(
        f"/api/v1/technicians/me/stops/{first}", headers=headers, json={"status": "en_route"}
    )
    assert response.status_code == 200, response.json
    stop = next(s for s in response.json["stops"] if s["booking_id"] == first)
    leaving = datetime.combine(field_day.day, time(8, 30), zone_for(TZ))
    assert stop["status"] == "en_route" and datetime.fromisoformat(stop["eta"]) > leaving  # plus the drive
    (message,) = _on_the_way(app, first)
    assert "should arrive 9-9:30 AM" in message.body
    again = client.post(f"/api/v1/technicians/me/stops/{first}", headers=headers, json={"status": "en_route"})
    assert again.status_code == 409 and len(_on_the_way(app, first)) == 1


def test_leaving_late_refreshes_the_window_from_the_drive(app, world, client, field_day, monkeypatch):
    """Leaving the first stop at 2:50 PM for the 1-3 PM visit: the window starts at the ETA, not at 1 PM."""
    tess, first, second = _published(field_day)
    _clock(monkeypatch, field_day, time(14, 50))
    headers = world.headers(tess)
    client.post(f"/api/v1/technicians/me/stops/{first}", headers=headers, json={"status": "collected"})
    response = client.post(
        f"/api/v1/technicians/me/stops/{second}", headers=headers, json={"status": "en_route"}
    )
    assert response.status_code == 200, response.json
    eta = next(s for s in response.json["stops"] if s["booking_id"] == second)["eta"]
    local_eta = datetime.fromisoformat(eta).astimezone(zone_for(TZ))
    start = local_eta.replace(minute=local_eta.minute - local_eta.minute % 5)
    (message,) = _on_the_way(app, second)
    assert f"should arrive {start.hour % 12 or 12}:{start.minute:02d}-" in message.body
    assert not message.body.count("should arrive 1-")


def test_on_my_way_button_on_the_route_page(app, field_day, pages, monkeypatch):
    """An assigned stop offers "On my way"; tapping it moves the stop en route and queues the patient's message."""
    tess, first, _ = _published(field_day)
    _clock(monkeypatch, field_day, time(8, 30))
    pages.sign_in(tess)
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert 'value="en_route"' in html and "On my way" in html
    response = pages.post(
        f"/technician/stops/{first}",
        {"status": "en_route", "date": str(field_day.day)},
        token_from=f"/technician?date={field_day.day}",
    )
    assert response.status_code == 302
    assert field_day.status(first) == "en_route"
    assert len(_on_the_way(app, first)) == 1
