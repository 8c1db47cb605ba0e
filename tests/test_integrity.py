"""``flask integrity check`` and ``repair``: capacity counters against the active bookings they count."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from booking.extensions import db
from booking.models import Booking, CapacityCounter
from booking.services import integrity
from tests.test_bookings import book, openings
from tests.test_demo import _load_small


def _two_bookings_one_cancelled(world, client):
    """A two-place slot with one active booking and one cancelled; returns the slot's key."""
    cid = world.center(capacity=2)
    _, first = world.patient_login()
    _, second = world.patient_login()
    slot = openings(client, first, kind="service_center", service_center_id=cid)[0]
    body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
    kept = book(client, first, **body).json
    gone = book(client, second, **body).json
    cancel = client.post(f"/api/v1/bookings/{gone['id']}/cancel", json={"reason": "x"}, headers=second)
    assert cancel.status_code == 200
    return kept


def _set_counter(app, key, **values):
    with app.app_context():
        db.session.execute(update(CapacityCounter).where(CapacityCounter.key == key).values(**values))
        db.session.commit()


def test_check_passes_when_every_counter_equals_its_bookings(app, world, client):
    """After booking and cancelling through the API the check exits 0 and says so."""
    _two_bookings_one_cancelled(world, client)
    result = app.test_cli_runner().invoke(args=["integrity", "check"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output


def test_check_lists_every_difference_with_keys_and_counts_only(app, world, client):
    """A counter off by one and a key with no counter row: exit 1, both listed, no patient data."""
    kept = _two_bookings_one_cancelled(world, client)
    with app.app_context():
        key = db.session.get(Booking, kept["id"]).capacity_key
        db.session.add(CapacityCounter(key="center:999:20990101T0000Z", capacity=2, booked=1))
        db.session.commit()
    _set_counter(app, key, booked=2)
    result = app.test_cli_runner().invoke(args=["integrity", "check"])
    assert result.exit_code == 1
    assert f"{key}: counter 2/2, active bookings 1" in result.output
    assert "center:999:20990101T0000Z: counter 1/2, active bookings 0" in result.output
    assert "2 capacity counter(s) differ" in result.output
    assert "@" not in result.output and "Ient" not in result.output


def test_repair_sets_counters_to_the_recount_and_records_an_overbooking(app, world, client):
    """Repair fixes the counts; a slot with more bookings than places keeps them and is flagged."""
    kept = _two_bookings_one_cancelled(world, client)
    with app.app_context():
        key = db.session.get(Booking, kept["id"]).capacity_key
        gone = db.session.scalars(db.select(Booking).where(Booking.status == "cancelled")).one()
        gone.status, gone.capacity_key = "confirmed", key  # as a double cancel used to leave it
        gone.monitoring_month = gone.monitoring_month.replace(year=gone.monitoring_month.year + 1)
        db.session.commit()
    _set_counter(app, key, booked=0, capacity=1)
    result = app.test_cli_runner().invoke(args=["integrity", "repair"])
    assert result.exit_code == 0, result.output
    assert "1 repaired, 1 overbooked" in result.output
    with app.app_context():
        assert integrity.differences() == []
        row = db.session.scalar(db.select(CapacityCounter).where(CapacityCounter.key == key))
        assert (row.booked, row.capacity) == (2, 2)
    assert app.test_cli_runner().invoke(args=["integrity", "check"]).exit_code == 0


def test_a_staff_no_show_gives_the_place_back(app, world, client):
    """No-show is inactive, so like a cancel it frees the slot's place (and the check stays at 0)."""
    kept = _two_bookings_one_cancelled(world, client)
    staff = world.login("coordinator")
    answer = client.post(
        f"/api/v1/bookings/{kept['id']}/status", json={"status": "no_show", "reason": "absent"}, headers=staff
    )
    assert answer.status_code == 200, answer.json
    with app.app_context():
        booking = db.session.get(Booking, kept["id"])
        assert (
            db.session.scalar(
                db.select(CapacityCounter.booked).where(CapacityCounter.key == booking.capacity_key)
            )
            == 0
        )
        assert integrity.differences() == []


@pytest.mark.slow
def test_the_demo_data_passes_the_check(app):
    """`flask demo load` builds counters that equal their bookings (its visits are booked by the rules)."""
    _load_small(app)
    result = app.test_cli_runner().invoke(args=["integrity", "check"])
    assert result.exit_code == 0, result.output
