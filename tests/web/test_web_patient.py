"""Patient pages through the test client: the schedule, booking, moving and cancelling, errors by the field."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services.availability import PROVIDER_NOTICE
from booking.slots import zone_for
from tests.conftest import future_day


def _first_slot(html: str) -> str:
    match = re.search(r'name="starts_at" id="slot-1" value="([^"]+)"', html)
    assert match, "no free time offered"
    return match.group(1)


def _bookings(app, patient_id):
    with app.app_context():
        return db.session.scalars(db.select(Booking).where(Booking.patient_id == patient_id)).all()


def test_overview_shows_this_month_the_months_ahead_and_the_skin_check(patient_pages):
    """The schedule page says what is due this month, the months ahead and the next skin check."""
    pid, _, client = patient_pages
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    assert "This month:" in html and "Due, not booked" in html
    assert "Book this month&#39;s visit" in html or "Book this month's visit" in html
    assert "The months ahead" in html and "Yearly skin check" in html
    assert "Eastern Time" in html and "America/New" not in html


def test_overdue_months_are_listed_in_words(world, signed_in):
    """A past month with no visit shows under 'Overdue', named in words, not only in colour."""
    from datetime import date

    pid = world.patient(first_infusion=date(2026, 1, 5), last_infusion=date(2026, 3, 1))
    _, client = signed_in("patient", patient_id=pid)
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    assert "Overdue" in html and "January 2026" in html


def test_patient_books_a_center_slot_in_a_few_steps(app, world, patient_pages):
    """Choose center → free slot → confirm: the booking is made and its page shows the policy."""
    pid, _, client = patient_pages
    cid = world.center()
    listing = client.get(f"/patients/{pid}/book/service_center").get_data(as_text=True)
    assert "Midtown PSC" in listing and "mi (" in listing  # distance shown
    times = client.get(f"/patients/{pid}/book/service_center?center={cid}").get_data(as_text=True)
    starts_at = _first_slot(times)
    confirm = client.get(
        f"/patients/{pid}/book/confirm?kind=service_center&center={cid}&starts_at={quote(starts_at)}"
    )
    assert confirm.status_code == 200 and "Book this visit" in confirm.get_data(as_text=True)
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": starts_at},
        token_from=f"/patients/{pid}",
    )
    assert done.status_code == 302
    page = client.get(done.location).get_data(as_text=True)
    assert "Your visit is booked." in page and "Confirmed" in page and "hours before" in page
    assert [b.status for b in _bookings(app, pid)] == ["confirmed"]


def test_a_second_booking_in_the_month_is_refused_with_the_reason(app, world, patient_pages):
    """The month rule comes back as a message on the page, and nothing more is booked."""
    pid, _, client = patient_pages
    cid = world.center(capacity=5)
    times = client.get(f"/patients/{pid}/book/service_center?center={cid}").get_data(as_text=True)
    starts_at = _first_slot(times)
    form = {"kind": "service_center", "center": cid, "starts_at": starts_at}
    client.post(f"/patients/{pid}/bookings", form, token_from=f"/patients/{pid}")
    again = client.post(
        f"/patients/{pid}/bookings", form, token_from=f"/patients/{pid}", follow_redirects=True
    )
    assert "already has a lab visit" in again.get_data(as_text=True)
    assert len(_bookings(app, pid)) == 1


def test_booking_without_a_csrf_token_is_refused(app, world, patient_pages):
    """A cross-site post cannot book on the patient's behalf."""
    pid, _, client = patient_pages
    cid = world.center()
    response = client.client.post(
        f"/patients/{pid}/bookings", data={"kind": "service_center", "center": cid, "starts_at": "x"}
    )
    assert response.status_code == 400 and not _bookings(app, pid)


def test_home_visit_offers_arrival_windows(app, world, patient_pages):
    """Home visits offer two-hour windows in the patient's time zone and book as confirmed."""
    pid, _, client = patient_pages
    world.region()
    html = client.get(f"/patients/{pid}/book/home").get_data(as_text=True)
    assert "Arrival windows" in html and " – " in html
    starts_at = _first_slot(html)
    done = client.post(
        f"/patients/{pid}/bookings", {"kind": "home", "starts_at": starts_at}, token_from=f"/patients/{pid}"
    )
    assert done.status_code == 302
    assert [(b.kind, b.status) for b in _bookings(app, pid)] == [("home", "confirmed")]


def test_home_visit_outside_every_region_says_why(patient_pages):
    """No region covers the address: the page explains instead of offering nothing."""
    pid, _, client = patient_pages
    response = client.get(f"/patients/{pid}/book/home")
    assert response.status_code == 422
    assert "not offered at this home address" in response.get_data(as_text=True)


def test_provider_option_shows_the_copay_notice_and_field_errors(app, patient_pages):
    """The co-pay notice is shown; a missing time is reported next to the time field."""
    pid, _, client = patient_pages
    page = client.get(f"/patients/{pid}/book/provider").get_data(as_text=True)
    assert "Co-pay notice" in page and PROVIDER_NOTICE.split(",")[0] in page
    response = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "provider", "day": future_day().isoformat(), "time": ""},
        token_from=f"/patients/{pid}",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="time-error"' in html and "Enter the time agreed with your provider" in html
    assert 'id="day-error"' not in html and not _bookings(app, pid)
    ok = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "provider", "day": future_day().isoformat(), "time": "10:30"},
        token_from=f"/patients/{pid}",
    )
    assert ok.status_code == 302
    [visit] = _bookings(app, pid)
    assert visit.kind == "provider" and visit.status == "requested"


def test_reschedule_and_cancel_from_the_booking_page(app, world, patient_pages):
    """Move to another slot, then cancel with a reason; the month is free again."""
    pid, _, client = patient_pages
    cid = world.center(capacity=3)
    day = future_day(3).isoformat()
    picker = client.get(f"/patients/{pid}/book/service_center?center={cid}&day={day}").get_data(as_text=True)
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": _first_slot(picker)},
        token_from=f"/patients/{pid}",
    )
    booking_id = int(done.location.rsplit("/", 1)[1])
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert "You can move this visit online until" in page and "24 hours before" in page
    picker = client.get(f"/bookings/{booking_id}/reschedule?day={day}").get_data(as_text=True)
    later = re.findall(r'name="starts_at" id="slot-\d+" value="([^"]+)"', picker)[2]
    moved = client.post(
        f"/bookings/{booking_id}/reschedule",
        {"center": cid, "starts_at": later},
        token_from=f"/bookings/{booking_id}",
    )
    assert moved.status_code == 302
    [visit] = _bookings(app, pid)
    assert visit.starts_at.isoformat() == later
    too_long = client.post(
        f"/bookings/{booking_id}/cancel", {"reason": "x" * 301}, token_from=f"/bookings/{booking_id}"
    )
    assert too_long.status_code == 422 and 'id="reason-error"' in too_long.get_data(as_text=True)
    cancelled = client.post(
        f"/bookings/{booking_id}/cancel",
        {"reason": "Travelling"},
        token_from=f"/bookings/{booking_id}",
        follow_redirects=True,
    )
    assert "The visit is cancelled." in cancelled.get_data(as_text=True)
    [visit] = _bookings(app, pid)
    assert visit.status == "cancelled" and visit.status_reason == "Travelling"


def test_moving_a_visit_inside_the_cutoff_explains_the_policy(app, world, patient_pages):
    """A patient cannot move a visit that starts within the reschedule cutoff; the page says why."""
    from datetime import timedelta

    from booking.services.availability import now_utc

    pid, _, client = patient_pages
    cid = world.center(capacity=3)
    picker = client.get(f"/patients/{pid}/book/service_center?center={cid}").get_data(as_text=True)
    slots = re.findall(r'name="starts_at" id="slot-\d+" value="([^"]+)"', picker)
    soon = next((s for s in slots if datetime.fromisoformat(s) < now_utc() + timedelta(hours=20)), None)
    if soon is None:
        pytest.skip("no slot within the next 20 hours at this time of day")
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": soon},
        token_from="/",
    )
    booking_id = int(done.location.rsplit("/", 1)[1])
    moved = client.post(
        f"/bookings/{booking_id}/reschedule",
        {"center": cid, "starts_at": slots[-1]},
        token_from="/",
        follow_redirects=True,
    )
    assert "only until 24 hours before it starts" in moved.get_data(as_text=True)
    [visit] = _bookings(app, pid)
    assert visit.starts_at.isoformat() == soon


def test_coordinator_books_on_a_patients_behalf_from_the_due_list(app, world, signed_in):
    """The due list links to booking for that patient; the pages say whom they act for."""
    pid = world.patient()
    cid = world.center()
    _, client = signed_in("coordinator")
    home = client.get("/coordinator").get_data(as_text=True)
    assert f"/patients/{pid}/book" in home
    picker = client.get(f"/patients/{pid}/book/service_center?center={cid}").get_data(as_text=True)
    assert "Acting for" in picker
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": _first_slot(picker)},
        token_from="/coordinator",
    )
    assert done.status_code == 302
    assert len(_bookings(app, pid)) == 1
    assert (
        f"/patients/{pid}/book"
        not in client.get("/coordinator")
        .get_data(as_text=True)
        .split("due-table")[1]
        .split("overdue-table")[0]
    )


def test_confirm_without_a_time_or_center_goes_back_with_a_message(world, patient_pages):
    """A confirm link with no time, or a center visit with no center, returns to the picker and says why."""
    pid, _, client = patient_pages
    no_time = client.get(f"/patients/{pid}/book/confirm?kind=service_center", follow_redirects=True)
    assert "Choose one of the free times first." in no_time.get_data(as_text=True)
    no_center = client.get(
        f"/patients/{pid}/book/confirm?kind=service_center&starts_at=2030-01-01T15:00:00%2B00:00",
        follow_redirects=True,
    )
    assert "Choose a service center first." in no_center.get_data(as_text=True)


def test_moving_a_provider_visit_reports_a_missing_time_by_the_field(app, patient_pages):
    """The provider form comes back with the error next to the time; a full date and time moves it."""
    pid, _, client = patient_pages
    day = future_day(4).isoformat()
    done = client.post(f"/patients/{pid}/bookings", {"kind": "provider", "day": day, "time": "09:00"})
    booking_id = int(done.location.rsplit("/", 1)[1])
    page = client.get(f"/bookings/{booking_id}/reschedule").get_data(as_text=True)
    assert "Co-pay notice" in page and 'name="time"' in page
    bad = client.post(f"/bookings/{booking_id}/reschedule", {"day": day, "time": "nine"})
    assert bad.status_code == 422 and 'id="time-error"' in bad.get_data(as_text=True)
    moved = client.post(f"/bookings/{booking_id}/reschedule", {"day": day, "time": "14:30"})
    assert moved.status_code == 302
    [visit] = _bookings(app, pid)
    assert visit.starts_at.astimezone(zone_for("America/New_York")).strftime("%H:%M") == "14:30"


def test_pages_never_say_my_provider_to_staff_acting_for_a_patient(world, signed_in):
    """A coordinator booking for a patient reads 'their' provider, never 'my'; the patient reads 'my'."""
    pid = world.patient()
    _, staff = signed_in("coordinator")
    for path in (f"/patients/{pid}/book", f"/patients/{pid}/book/provider"):
        html = staff.get(path).get_data(as_text=True)
        assert "Acting for" in html
        assert "my healthcare provider" not in html.lower() and "At my " not in html
    assert "At their healthcare provider" in staff.get(f"/patients/{pid}/book").get_data(as_text=True)
    _, own = signed_in("patient", patient_id=pid)
    assert "At my healthcare provider" in own.get(f"/patients/{pid}/book").get_data(as_text=True)


def test_nearest_centers_come_with_a_map_numbered_as_the_list(world, patient_pages):
    """An inline map (no outside service): a star where the search is from, one numbered mark per center."""
    pid, _, client = patient_pages
    first = world.center(name="Midtown PSC")
    world.center(name="Chelsea PSC", lat=40.7465, lon=-74.0014)
    html = client.get(f"/patients/{pid}/book/service_center").get_data(as_text=True)
    svg = re.search(r'<svg class="centers-map".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "nearest service centers, numbered as in the list" in svg
    assert "<title>1. Midtown PSC" in svg and "<title>2. Chelsea PSC" in svg
    assert "Searched from here" in svg and " mi</text>" in svg  # the star and the scale bar
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    chosen = client.get(f"/patients/{pid}/book/service_center?center={first}").get_data(as_text=True)
    assert 'fill="#0b5cad" stroke="#0b5cad"' in chosen  # the selected center is drawn filled


def test_the_providers_co_pay_is_kept_and_shown_in_words(app, world, signed_in):
    """A range in cents through the API; the choice page and the visit say it in dollars; bad ranges are 422."""
    staff = world.login("coordinator")
    client = app.test_client()
    pid = world.patient()
    provider = {"name": "Dr. Rivera", "phone": "555-0199", "copay_min_cents": 1000, "copay_max_cents": 4000}
    changed = client.patch(f"/api/v1/patients/{pid}", json={"provider": provider}, headers=staff)
    assert changed.status_code == 200, changed.json
    assert (
        changed.json["provider"]["copay_min_cents"] == 1000
        and changed.json["provider"]["copay_max_cents"] == 4000
    )
    _, pages = signed_in("patient", patient_id=pid)
    assert "Co-pay: $10–$40, depending on the health plan." in pages.get(f"/patients/{pid}/book").get_data(
        as_text=True
    )
    one = client.patch(
        f"/api/v1/patients/{pid}",
        json={"provider": {"name": "Dr. Rivera", "copay_min_cents": 2050}},
        headers=staff,
    )
    assert one.json["provider"]["copay_max_cents"] == 2050
    assert "Co-pay: $20.50." in pages.get(f"/patients/{pid}/book").get_data(as_text=True)
    for bad in (
        {"copay_min_cents": 4000, "copay_max_cents": 1000},
        {"copay_max_cents": 1000},
        {"copay_min_cents": -1},
    ):
        refused = client.patch(
            f"/api/v1/patients/{pid}", json={"provider": {"name": "Dr. Rivera", **bad}}, headers=staff
        )
        assert refused.status_code == 422, bad
        assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "Co-pay: $20.50." in pages.get(f"/patients/{pid}/book").get_data(as_text=True)  # nothing changed
