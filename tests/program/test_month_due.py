"""The month is due: on the first day of a monitoring month in the patient's zone, once more later, never once booked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.program import delivery, month_due, scheduler
from booking.program.models import NotificationPreference, OutboxMessage

DECEMBER = date(2026, 12, 1)


def december_patient(world, tz="America/New_York") -> int:
    """A patient whose monitoring starts in December 2026 (so no earlier month is due)."""
    return world.patient(first_infusion=date(2026, 12, 3), last_infusion=date(2026, 12, 3), tz=tz)


def run(app, at: datetime) -> int:
    with app.app_context():
        queued = scheduler.run_due(at)["month_due"]
        db.session.commit()
        return queued


def month_messages(app, patient_id: int) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id, OutboxMessage.type == "month_due")
            .order_by(OutboxMessage.id)
        ).all()
        db.session.expunge_all()
        return rows


def add_booking(app, patient_id: int, status: str) -> None:
    with app.app_context():
        starts = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
        db.session.add(
            Booking(
                patient_id=patient_id,
                kind="service_center",
                status=status,
                monitoring_month=DECEMBER,
                starts_at=starts,
                time_zone="America/New_York",
            )
        )
        db.session.commit()


def test_due_from_midnight_of_the_first_day_in_the_patients_zone(app, world):
    """New York's reminder is queued from 00:00 EST on the 1st; Los Angeles' three hours later."""
    ny, la = december_patient(world), december_patient(world, tz="America/Los_Angeles")
    assert run(app, datetime(2026, 12, 1, 4, 59, tzinfo=UTC)) == 0
    assert run(app, datetime(2026, 12, 1, 5, 0, tzinfo=UTC)) == 1
    (message,) = month_messages(app, ny)
    assert message.due_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert message.subject == "Your monthly lab visit for December 2026 is due"
    assert f"/patients/{ny}/book" in message.body
    assert month_messages(app, la) == []
    assert run(app, datetime(2026, 12, 1, 8, 0, tzinfo=UTC)) == 1
    assert len(month_messages(app, la)) == 1


def test_once_more_after_the_configured_days_and_no_more(app, world, monkeypatch):
    """With MONTH_DUE_REPEAT_DAYS=7 the second reminder is due on the 8th; later ticks add nothing."""
    patient = december_patient(world)
    monkeypatch.setitem(app.config, "MONTH_DUE_REPEAT_DAYS", 7)
    for day in (1, 2, 7):
        run(app, datetime(2026, 12, day, 12, 0, tzinfo=UTC))
    assert len(month_messages(app, patient)) == 1
    assert run(app, datetime(2026, 12, 8, 12, 0, tzinfo=UTC)) == 1
    second = month_messages(app, patient)[1]
    assert second.due_at == datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
    for day in (8, 15, 31):
        assert run(app, datetime(2026, 12, day, 12, 0, tzinfo=UTC)) == 0
    assert len(month_messages(app, patient)) == 2


@pytest.mark.parametrize("status,reminded", [("confirmed", False), ("collected", False), ("cancelled", True)])
def test_never_once_the_month_is_booked_or_completed(app, world, status, reminded):
    """An active or completed visit for the month stops the reminder; a cancelled one does not."""
    patient = december_patient(world)
    add_booking(app, patient, status)
    run(app, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert bool(month_messages(app, patient)) is reminded


def test_outside_the_monitoring_window_nothing_is_due(app, world):
    """A month before the first infusion, or after the 48 months, is never reminded."""
    patient = world.patient(first_infusion=date(2020, 1, 5), last_infusion=date(2021, 6, 5))
    run(app, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # window ended in June 2025
    assert month_messages(app, patient) == []


def test_spanish_speakers_get_the_month_in_spanish(app, world):
    """The month is named in the patient's language."""
    patient = december_patient(world)
    with app.app_context():
        db.session.add(NotificationPreference(patient_id=patient, language="es"))
        db.session.commit()
    run(app, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert (
        month_messages(app, patient)[0].subject
        == "Le corresponde su visita de laboratorio de diciembre de 2026"
    )


def test_booking_withdraws_a_month_due_sms_still_held_by_quiet_hours(app, world, client, monkeypatch):
    """The SMS queued at midnight waits for 08:00; booking at 06:00 withdraws it; the page copy stays sent."""
    patient = december_patient(world)
    with app.app_context():
        db.session.add(
            NotificationPreference(
                patient_id=patient,
                sms_enabled=True,
                consent_at=datetime(2026, 11, 1, tzinfo=UTC),
                consent_text_version="v1",
                quiet_start=time(21, 0),
                quiet_end=time(8, 0),
            )
        )
        db.session.commit()
    run(app, datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    with app.app_context():
        delivery.deliver_due(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    sent = [m for m in month_messages(app, patient) if m.status == "sent"]
    assert [m.channel for m in sent] == ["page"]  # the page copy; the SMS waits for the quiet hours to end
    sms = next(m for m in month_messages(app, patient) if m.channel == "sms")
    assert sms.due_at == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    monkeypatch.setattr(
        "booking.services.availability.now_utc", lambda: datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    )
    headers = world.login("patient", patient_id=patient)
    starts = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    response = client.post(
        "/api/v1/bookings",
        headers=headers,
        json={"kind": "service_center", "service_center_id": world.center(), "starts_at": starts.isoformat()},
    )
    assert response.status_code == 201, response.json
    assert {m.channel: m.status for m in month_messages(app, patient)} == {
        "page": "sent",
        "sms": "withdrawn",
    }
    with app.app_context():
        assert month_due.withdraw_for_booked_month(patient, DECEMBER) == 0


def test_stage_of_the_month():
    """The first reminder applies until the repeat day, the second from then on; 0 turns the repeat off."""
    assert month_due.stage_of(date(2026, 12, 1), 7) == (1, DECEMBER)
    assert month_due.stage_of(date(2026, 12, 7), 7) == (1, DECEMBER)
    assert month_due.stage_of(date(2026, 12, 8), 7) == (2, date(2026, 12, 8))
    assert month_due.stage_of(date(2026, 12, 31), 0) == (1, DECEMBER)
    assert month_due.stage_of(date(2026, 12, 31), 7) == (2, DECEMBER + timedelta(days=7))
