"""Visit reminders: queued with their cause, replaced or withdrawn with their visit, worded in the visit's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Booking, Patient
from booking.program import delivery, scheduler
from booking.program.models import NotificationPreference, OutboxMessage

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # "now" for these tests: before both 2026 DST days


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    """Bookings and reminders see one fixed "now", so the dates below stay bookable whenever tests run."""
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: NOW)


def book(client, headers, **body):
    response = client.post("/api/v1/bookings", headers=headers, json=body)
    assert response.status_code == 201, response.json
    return response.json


def messages(app, patient_id: int, **filters) -> list[OutboxMessage]:
    with app.app_context():
        query = db.select(OutboxMessage).where(OutboxMessage.patient_id == patient_id)
        for name, value in filters.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        rows = db.session.scalars(query.order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def tick(app, at: datetime) -> SimpleNamespace:
    """What ``flask program tick --at`` does: the periodic jobs, a commit, then delivery.

    Counts what it sent about visits only: the program's other jobs (check-in
    invitations, skin-check reminders) send their own messages on the same tick.
    """
    with app.app_context():
        before = _sent_about_visits()
        scheduler.run_due(at)
        db.session.commit()
        delivery.deliver_due(at)
        return SimpleNamespace(sent=_sent_about_visits() - before)


def _sent_about_visits() -> int:
    return db.session.scalar(
        db.select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.status == "sent", OutboxMessage.booking_id.is_not(None)
        )
    )


def local(day: str, hour: int) -> datetime:
    """A New York wall-clock time as a UTC instant (so "- 24 hours" is 24 real hours, also across DST)."""
    wall = datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=ZoneInfo("America/New_York"))
    return wall.astimezone(UTC)


def test_booking_queues_its_confirmation_and_a_day_before_reminder(app, world, client):
    """A booking confirms at once and queues a day-before reminder due exactly 24 hours before the start."""
    pid, headers = world.patient_login()
    center = world.center(name="Midtown PSC")
    starts = local("2026-03-10", 9)
    booking = book(
        client, headers, kind="service_center", service_center_id=center, starts_at=starts.isoformat()
    )
    confirmed, reminder = messages(app, pid)
    assert (confirmed.type, confirmed.booking_id) == ("booking_confirmed", booking["id"])
    assert "booked for Tuesday, March 10, 9 AM at Midtown PSC, Midtown PSC address" in confirmed.body
    assert reminder.type == "day_before" and reminder.due_at == starts - timedelta(hours=24)
    assert reminder.body.startswith("Reminder: your lab visit is tomorrow, 9 AM at Midtown PSC")
    assert "Bring a photo ID" in reminder.body and "Cost: none." in reminder.body
    assert tick(app, reminder.due_at - timedelta(seconds=1)).sent == 1  # the confirmation only
    assert tick(app, reminder.due_at).sent == 1
    assert tick(app, reminder.due_at).sent == 0


def test_a_cancelled_visits_day_before_reminder_is_never_delivered(app, world, client):
    """Cancelling withdraws the pending reminder in the same commit: a tick at its due time sends none."""
    pid, headers = world.patient_login()
    starts = local("2026-03-10", 9)
    booking = book(
        client, headers, kind="service_center", service_center_id=world.center(), starts_at=starts.isoformat()
    )
    response = client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", headers=headers, json={"reason": "travel"}
    )
    assert response.status_code == 200
    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=1))
    sent = [m.type for m in messages(app, pid, status="sent") if m.booking_id]
    assert sent == ["booking_confirmed", "booking_cancelled"]
    assert [m.status for m in messages(app, pid, type="day_before")] == ["withdrawn"]
    cancelled = messages(app, pid, type="booking_cancelled")[0]
    assert "Tuesday, March 10, 9 AM was cancelled" in cancelled.body


def test_a_moved_visit_gets_exactly_one_day_before_reminder_at_the_new_time(app, world, client):
    """After a move, ticks at the old and the new due times deliver one reminder, naming the new time."""
    pid, headers = world.patient_login()
    center = world.center()
    old, new = local("2026-03-10", 9), local("2026-03-12", 11)
    booking = book(
        client, headers, kind="service_center", service_center_id=center, starts_at=old.isoformat()
    )
    moved = client.patch(
        f"/api/v1/bookings/{booking['id']}", headers=headers, json={"starts_at": new.isoformat()}
    )
    assert moved.status_code == 200, moved.json
    for at in (old - timedelta(hours=24), old, new - timedelta(hours=24), new - timedelta(hours=1)):
        tick(app, at)
        tick(app, at)
    sent = messages(app, pid, type="day_before", status="sent")
    assert len(sent) == 1 and "tomorrow, 11 AM" in sent[0].body
    assert sent[0].sent_at == new - timedelta(hours=24)
    assert "now Thursday, March 12, 11 AM" in messages(app, pid, type="booking_moved")[0].body


def test_a_visit_moved_away_and_back_is_reminded_at_its_first_time(app, world, client):
    """A withdrawn reminder releases its key: moving back to the first time queues the reminder afresh."""
    pid, headers = world.patient_login()
    center = world.center()
    first, other = local("2026-03-10", 9), local("2026-03-11", 9)
    booking = book(
        client, headers, kind="service_center", service_center_id=center, starts_at=first.isoformat()
    )
    for starts in (other, first):
        assert (
            client.patch(
                f"/api/v1/bookings/{booking['id']}", headers=headers, json={"starts_at": starts.isoformat()}
            ).status_code
            == 200
        )
    pending = messages(app, pid, type="day_before", status="pending")
    assert len(pending) == 1 and pending[0].due_at == first - timedelta(hours=24)
    assert len(messages(app, pid, type="booking_moved")) == 2


@pytest.mark.parametrize(
    "day,hour,language,expected",
    [
        ("2026-03-08", 8, "en", "tomorrow, 8-10 AM"),  # spring forward, morning
        ("2026-03-08", 14, "es", "mañana, 2-4 p. m."),  # spring forward, afternoon
        ("2026-11-01", 14, "en", "tomorrow, 2-4 PM"),  # fall back, afternoon
        ("2026-11-01", 8, "es", "mañana, 8-10 a. m."),  # fall back, morning
    ],
)
def test_day_before_reminder_on_dst_days_says_the_local_window(
    app, world, client, day, hour, language, expected
):
    """On both US DST change days the reminder names the window's wall-clock hours, due 24 hours before."""
    world.region()
    pid, headers = world.patient_login()
    with app.app_context():
        db.session.add(NotificationPreference(patient_id=pid, language=language))
        db.session.commit()
    starts = local(day, hour)
    book(client, headers, kind="home", starts_at=starts.astimezone(UTC).isoformat())
    (reminder,) = messages(app, pid, type="day_before")
    assert reminder.due_at == starts - timedelta(hours=24)
    assert expected in reminder.body and expected in reminder.subject
    tick(app, reminder.due_at)
    assert messages(app, pid, type="day_before")[0].status == "sent"


def test_provider_visit_reminds_to_confirm_with_the_office_until_confirmed(app, world, client):
    """A provider visit queues "confirm the time with the office" with the co-pay notice; confirming withdraws it."""
    pid, headers = world.patient_login()
    starts = local("2026-03-20", 10)
    booking = book(client, headers, kind="provider", starts_at=starts.isoformat())
    (confirm,) = messages(app, pid, type="provider_confirm")
    assert confirm.due_at == starts - timedelta(hours=72)
    assert "call the office to confirm the time" in confirm.body and "co-pay" in confirm.body
    (reminder,) = messages(app, pid, type="day_before")
    assert "Cost: none for the lab work; your provider's office may charge a co-pay" in reminder.body
    staff = world.login("coordinator")
    response = client.post(
        f"/api/v1/bookings/{booking['id']}/status", headers=staff, json={"status": "confirmed"}
    )
    assert response.status_code == 200
    assert messages(app, pid, type="provider_confirm")[0].status == "withdrawn"
    assert messages(app, pid, type="day_before")[0].status == "pending"


def test_a_no_show_tells_the_patient_and_withdraws_what_is_pending(app, world, client):
    """A visit marked no-show sends "we missed you" once and none of its pending reminders."""
    pid, headers = world.patient_login()
    starts = local("2026-03-10", 9)
    booking = book(
        client, headers, kind="service_center", service_center_id=world.center(), starts_at=starts.isoformat()
    )
    staff = world.login("coordinator")
    response = client.post(
        f"/api/v1/bookings/{booking['id']}/status",
        headers=staff,
        json={"status": "no_show", "reason": "absent"},
    )
    assert response.status_code == 200, response.json
    (missed,) = messages(app, pid, type="missed_visit")
    assert "Tuesday, March 10, 9 AM did not take place" in missed.body
    assert messages(app, pid, type="day_before")[0].status == "withdrawn"


def test_sweep_queues_the_day_before_reminder_of_visits_booked_before_reminders(app, world):
    """A visit with no reminder gets one from the periodic sweep within 24 hours of its start, once."""
    pid = world.patient()
    starts = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    with app.app_context():
        booking = Booking(
            patient_id=pid,
            kind="home",
            status="confirmed",
            monitoring_month=date(2026, 3, 1),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            time_zone="America/New_York",
        )
        db.session.add(booking)
        db.session.commit()
    tick(app, starts - timedelta(hours=25))
    assert messages(app, pid, type="day_before") == []
    at = starts - timedelta(hours=20)
    assert tick(app, at).sent == 1
    assert tick(app, at).sent == 0
    (reminder,) = messages(app, pid, type="day_before")
    assert reminder.status == "sent" and "tomorrow, 10 AM-12 PM" in reminder.body


def test_a_copy_held_by_quiet_hours_is_worded_for_when_it_goes_out(app, world, client, monkeypatch):
    """Booked at 23:30 for a visit two days later: the page says the weekday now, the e-mail held until
    08:00 says "tomorrow" (true when it is sent), never a "tomorrow" that has become "today"."""
    monkeypatch.setattr(
        "booking.services.availability.now_utc", lambda: local("2026-03-09", 23) + timedelta(minutes=30)
    )
    pid, headers = world.patient_login()
    with app.app_context():
        db.session.get(Patient, pid).email = "pat@example.org"
        db.session.add(
            NotificationPreference(
                patient_id=pid,
                email_enabled=True,
                consent_at=datetime(2026, 1, 1, tzinfo=UTC),
                consent_text_version="v1",
                quiet_start=time(21, 0),
                quiet_end=time(8, 0),
            )
        )
        db.session.commit()
    center = world.center(name="Midtown PSC")
    book(
        client,
        headers,
        kind="service_center",
        service_center_id=center,
        starts_at=local("2026-03-11", 9).isoformat(),
    )
    by_channel = {m.channel: m for m in messages(app, pid, type="booking_confirmed")}
    assert by_channel["email"].due_at == local("2026-03-10", 8)
    assert "booked for tomorrow, 9 AM" in by_channel["email"].body
    assert "booked for Wednesday, March 11, 9 AM" in by_channel["page"].body
