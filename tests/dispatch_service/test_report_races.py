"""Technicians' reports and plan publishing racing other changes: each change happens once.

Real concurrent HTTP requests to the in-process ``live_server`` (the clock of
the technician's day is this process's, so it can be set); on PostgreSQL each
request has its own connection and transaction, as under gunicorn.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from booking.extensions import db
from booking.models import BookingEvent
from booking.services import integrity
from tests.dispatch_service.conftest import plan_now
from tests.dispatch_service.test_etas import Clock


@pytest.fixture
def day_clock(monkeypatch, field):
    return Clock(monkeypatch, field.day)


def _post(url: str, headers: dict, body: dict | None = None) -> int:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _race(calls) -> list[int]:
    barrier = threading.Barrier(len(calls))
    answers: list[int] = [0] * len(calls)

    def run(i, fn):
        barrier.wait()
        answers[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return answers


def _to_statuses(app, booking_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(BookingEvent.to_status)
                .where(BookingEvent.booking_id == booking_id, BookingEvent.action == "status")
                .order_by(BookingEvent.id)
            )
        )


def test_four_simultaneous_arrived_reports_move_the_stop_once(
    app, client, coordinator, field, day_clock, live_server
):
    """Four taps on "Arrived" at once: one 200, three 409; en route and arrived are each recorded once."""
    tech = field.technician()
    first = field.booking(hour=8)
    plan = plan_now(client, coordinator, field)
    assert (
        client.post(
            f"/api/v1/dispatch/plans/{plan['id']}/publish", headers={**coordinator, "If-Match": plan["etag"]}
        ).status_code
        == 200
    )
    day_clock.at(8, 5)
    headers = field.tech_headers(tech)
    url = f"{live_server}/api/v1/technicians/me/stops/{first}"
    answers = _race([lambda: _post(url, headers, {"status": "arrived"}) for _ in range(4)])
    assert sorted(answers) == [200, 409, 409, 409]
    assert _to_statuses(app, first) == ["assigned", "en_route", "arrived"]


def test_publishing_racing_a_cancel_never_brings_the_visit_back(app, client, coordinator, field, live_server):
    """Publish and cancel at once: the visit ends cancelled, cancelled once, never assigned after it."""
    field.technician()
    for _ in range(3):
        booking_id = field.booking(hour=10)
        plan = plan_now(client, coordinator, field)
        answers = _race(
            [
                lambda plan=plan: _post(
                    f"{live_server}/api/v1/dispatch/plans/{plan['id']}/publish",
                    {**coordinator, "If-Match": plan["etag"]},
                ),
                lambda booking_id=booking_id: _post(
                    f"{live_server}/api/v1/bookings/{booking_id}/cancel", coordinator, {"reason": "race"}
                ),
            ]
        )
        assert answers == [200, 200]
        changes = _to_statuses(app, booking_id)
        assert changes[-1] == "cancelled" and changes.count("cancelled") == 1, changes
        with app.app_context():
            assert integrity.differences() == []
