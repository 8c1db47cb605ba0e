"""Real concurrent HTTP requests against a real database: no double booking, ever."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from booking.extensions import db
from booking.models import Booking, CapacityCounter
from tests.test_bookings import openings


def _post(url: str, headers: dict, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={**headers, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _race(calls) -> list[int]:
    """Start all calls at the same instant and collect their statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(call):
        barrier.wait()
        status = call()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(statuses)


def test_racing_for_the_last_place_books_it_once(world, client, live_server, app):
    """Eight patients race for a one-place slot: exactly one 201, seven 409, the counter at 1."""
    cid = world.center(capacity=1)
    logins = [world.patient_login()[1] for _ in range(8)]
    slot = openings(client, logins[0], kind="service_center", service_center_id=cid)[0]
    body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
    statuses = _race([lambda h=h: _post(f"{live_server}/api/v1/bookings", h, body) for h in logins])
    assert statuses == [201] + [409] * 7
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1
        assert db.session.scalars(db.select(CapacityCounter.booked)).all() == [1]


def test_racing_for_a_two_place_slot_books_exactly_two(world, client, live_server, app):
    """Six patients race for a two-place slot: exactly two succeed."""
    cid = world.center(capacity=2)
    logins = [world.patient_login()[1] for _ in range(6)]
    slot = openings(client, logins[0], kind="service_center", service_center_id=cid)[0]
    body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
    statuses = _race([lambda h=h: _post(f"{live_server}/api/v1/bookings", h, body) for h in logins])
    assert statuses == [201, 201] + [409] * 4
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 2


def test_same_patient_racing_two_slots_gets_one_month_booking(world, client, live_server, app):
    """One patient firing at five different slots of one month ends with one booking."""
    cid = world.center(capacity=5)
    _, headers = world.patient_login()
    slots = openings(client, headers, kind="service_center", service_center_id=cid)[:5]
    calls = [
        lambda s=s: _post(
            f"{live_server}/api/v1/bookings",
            headers,
            {"kind": "service_center", "service_center_id": cid, "starts_at": s["starts_at"]},
        )
        for s in slots
    ]
    statuses = _race(calls)
    assert statuses == [201] + [409] * 4
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1
        assert sum(db.session.scalars(db.select(CapacityCounter.booked)).all()) == 1


def test_replayed_key_racing_creates_one_booking(world, client, live_server, app):
    """The same Idempotency-Key sent five times at once creates one booking; all get 201."""
    cid = world.center(capacity=5)
    _, headers = world.patient_login()
    slot = openings(client, headers, kind="service_center", service_center_id=cid)[0]
    body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
    keyed = {**headers, "Idempotency-Key": "retry-1"}
    statuses = _race([lambda: _post(f"{live_server}/api/v1/bookings", keyed, body) for _ in range(5)])
    assert statuses == [201] * 5
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1
