"""On the day of a home visit the patient sees the published arrival window and the technician's first name."""

from __future__ import annotations

from datetime import datetime, time

from booking.extensions import db
from booking.models import Booking
from booking.slots import zone_for
from tests.web.field_day import TZ


def _patient_of(app, booking_id: int) -> int:
    with app.app_context():
        return db.session.get(Booking, booking_id).patient_id


def test_visit_day_shows_window_and_technician(app, world, field_day, signed_in, monkeypatch):
    """Once the day is published, the patient's pages name the technician and the narrower window."""
    field_day.technician("Tess")
    booking_id = field_day.visit(10)
    field_day.plan()
    patient_id = _patient_of(app, booking_id)
    _, pages = signed_in("patient", patient_id=patient_id)
    visit_day_noon = datetime.combine(field_day.day, time(7, 0), zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: visit_day_noon)

    before = pages.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Your lab visit is today" in before and "once today's route is published" in before
    field_day.publish()
    overview = pages.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Your technician today is <strong>Tess</strong>" in overview
    detail = pages.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert "Your technician today is <strong>Tess</strong>" in detail and "Arrival window:" in detail


def test_other_days_show_no_visit_day_panel(app, world, field_day, signed_in):
    """The day before, the patient sees the booked window, not the visit-day panel."""
    field_day.technician("Tess")
    booking_id = field_day.visit(10)
    field_day.plan()
    field_day.publish()
    patient_id = _patient_of(app, booking_id)
    _, pages = signed_in("patient", patient_id=patient_id)
    html = pages.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert "Your technician today" not in html and "10:00 AM – 12:00 PM" in html
