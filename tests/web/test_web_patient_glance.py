"""The patient's schedule at a glance and booking ahead: a complete "This month" card, calendar files and
feed, progress, the whole program ahead and behind, a month known to be taken before the flow starts,
any upcoming month bookable, slots by morning and afternoon, provider visits that say "requested"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from booking.extensions import db
from booking.models import Booking
from booking.schedule import add_months, month_of
from booking.web.formatting import zone_name
from tests.web.test_web_patient import _first_slot


def _book_center(client, pid: int, cid: int, month: str | None = None) -> int:
    """Book the first free slot at ``cid`` (in ``month``) through the pages; the new booking's id."""
    query = f"&month={month}" if month else ""
    times = client.get(f"/patients/{pid}/book/service_center?center={cid}{query}").get_data(as_text=True)
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": _first_slot(times)},
        token_from=f"/patients/{pid}",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    return int(done.location.rsplit("/", 1)[1])


def _next_month() -> str:
    return f"{add_months(month_of(date.today()), 1):%Y-%m}"


def _this_month_visit(app, pid: int, cid: int) -> int:
    """A confirmed center visit in the current month, stored directly (any day of the month will do)."""
    from booking.models import ServiceCenter

    month = month_of(date.today())
    with app.app_context():
        center = db.session.get(ServiceCenter, cid)
        starts = datetime(month.year, month.month, 1, 15, 0, tzinfo=UTC)
        visit = Booking(
            patient_id=pid,
            kind="service_center",
            status="confirmed",
            monitoring_month=month,
            service_center_id=cid,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            time_zone=center.time_zone,
            address=center.address,
            latitude=center.latitude,
            longitude=center.longitude,
        )
        db.session.add(visit)
        db.session.commit()
        return visit.id


def test_this_month_card_has_address_directions_cost_preparation_and_calendar(app, world, patient_pages):
    """Once booked, the card shows the center's address, directions, no cost, how to prepare, and .ics."""
    pid, _, client = patient_pages
    cid = world.center(name="Midtown PSC")
    booking_id = _this_month_visit(app, pid, cid)
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    card = html[html.index('id="this-month"') : html.index("</section>", html.index('id="this-month"'))]
    assert "Midtown PSC address" in card
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=Midtown+PSC+address" in card
    assert "Cost</dt><dd>Nothing" in card and "No fasting is needed" in card
    assert f'href="/bookings/{booking_id}/visit.ics" download' in card


def test_booking_page_has_directions_cost_preparation_and_an_ics_file(world, patient_pages):
    """A booked center visit's page and its .ics: when, where (address), cost and preparation; no name."""
    pid, _, client = patient_pages
    cid = world.center(name="Midtown PSC")
    booking_id = _book_center(client, pid, cid, _next_month())
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert "Map and directions" in page and "Cost</dt><dd>Nothing" in page and "How to prepare" in page
    ics = client.get(f"/bookings/{booking_id}/visit.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    assert event["location"] == "Midtown PSC address" and "Midtown PSC" in event["summary"]
    assert "No fasting" in event["description"] and "Pat" not in ics.get_data(as_text=True)
    assert event.decoded("dtstart") > datetime.now(UTC)


def test_personal_calendar_feed_lists_open_visits_behind_an_unguessable_token(world, patient_pages, pages):
    """The schedule shows a feed address; it serves the open visits without sign-in; a forged token is 404."""
    pid, _, client = patient_pages
    cid = world.center()
    _book_center(client, pid, cid, _next_month())
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    feed = re.search(r'id="feed-url" value="http://localhost(/calendar/[^"]+\.ics)"', html).group(1)
    token = feed[len("/calendar/") : -len(".ics")]
    assert len(token) > 20
    response = pages.get(feed)  # a calendar app: no session
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert len(Calendar.from_ical(response.data).walk("VEVENT")) == 1
    assert response.headers["Cache-Control"] == "no-store"
    assert pages.get(feed.replace(token, token[:-2] + "xy")).status_code == 404
    assert pages.get("/calendar/2.ics").status_code == 404

    # Shared by mistake: the patient makes a new address, and the old one stops working at once.
    renewed = client.post(f"/patients/{pid}/calendar/new-link", {}, token_from=f"/patients/{pid}")
    assert renewed.status_code == 302
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    assert "The old calendar address no longer works" in html
    new_feed = re.search(r'id="feed-url" value="http://localhost(/calendar/[^"]+\.ics)"', html).group(1)
    assert new_feed != feed
    assert pages.get(feed).status_code == 404
    assert pages.get(new_feed).status_code == 200


def test_progress_and_the_months_ahead_run_to_the_end_of_the_program(world, signed_in):
    """'Month N of M', and every month to the program's last one, each bookable from its row."""
    today = month_of(date.today())
    pid = world.patient(first_infusion=add_months(today, -3), last_infusion=add_months(today, -3))
    _, client = signed_in("patient", patient_id=pid)
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    assert "Month 4 of 49" in html and '<progress max="49" value="4"' in html
    last = add_months(today, 45)
    assert f"{last:%B %Y}</th>" in html and f"All 45 months to {last:%B %Y}" in html
    assert f'/patients/{pid}/book?month={last:%Y-%m}"' in html


def test_the_whole_history_is_listed_not_only_six_visits(app, world, signed_in):
    """Every past visit is on the schedule page: the latest six at once, the rest one tap away."""
    today = month_of(date.today())
    pid = world.patient(first_infusion=add_months(today, -10), last_infusion=add_months(today, -10))
    _, client = signed_in("patient", patient_id=pid)
    with app.app_context():
        for n in range(1, 10):
            month = add_months(today, -n)
            starts = datetime(month.year, month.month, 10, 14, 0, tzinfo=UTC)
            db.session.add(
                Booking(
                    patient_id=pid,
                    kind="provider",
                    status="delivered",
                    monitoring_month=month,
                    starts_at=starts,
                    time_zone="America/New_York",
                )
            )
        db.session.commit()
    html = client.get(f"/patients/{pid}").get_data(as_text=True)
    history = html[html.index('id="past-heading"') :]
    assert history.count("Delivered to the lab") == 9 and "All 9 past visits" in history


def test_a_taken_month_is_said_before_the_flow_with_the_visit_and_the_next_month(app, world, patient_pages):
    """'Book a visit' with this month booked says so first, links the visit, and offers next month."""
    pid, _, client = patient_pages
    booking_id = _this_month_visit(app, pid, world.center())
    html = client.get(f"/patients/{pid}/book").get_data(as_text=True)
    assert "is already booked" in html and f'href="/bookings/{booking_id}/reschedule"' in html
    following = add_months(month_of(date.today()), 1)
    assert f"/book/service_center?month={following:%Y-%m}" in html
    assert f"lab visit for {following:%B %Y}?" in html


def test_any_upcoming_month_can_be_booked_from_the_picker(app, world, patient_pages):
    """A month three ahead offers its own days, and booking one covers that monitoring month."""
    pid, _, client = patient_pages
    cid = world.center()
    target = add_months(month_of(date.today()), 3)
    html = client.get(f"/patients/{pid}/book/service_center?center={cid}&month={target:%Y-%m}").get_data(
        as_text=True
    )
    assert "Months you can book" in html and f"in {target:%B %Y}" in html
    days = re.findall(r"day=(\d{4}-\d\d-\d\d)", html)
    assert days and all(d.startswith(f"{target:%Y-%m}") for d in days)
    booking_id = _book_center(client, pid, cid, f"{target:%Y-%m}")
    with app.app_context():
        assert db.session.get(Booking, booking_id).monitoring_month == target


def test_slots_are_grouped_by_morning_and_afternoon_with_continue_in_reach(world, patient_pages):
    """The slot picker splits the day at noon and keeps Continue in a bar that stays on screen."""
    pid, _, client = patient_pages
    cid = world.center()
    html = client.get(f"/patients/{pid}/book/service_center?center={cid}&month={_next_month()}").get_data(
        as_text=True
    )
    morning, afternoon = html.index(">Morning</h3>"), html.index(">Afternoon</h3>")
    assert morning < html.index("11:45 AM") < afternoon < html.index("12:00 PM")
    assert '<div class="picker-actions">\n          <button type="submit" class="button">Continue' in html


def test_a_provider_visit_says_requested_with_the_providers_name_phone_and_copay(app, patient_pages):
    """Recording a provider visit says 'requested' everywhere, names the provider with their phone."""
    pid, _, client = patient_pages
    day = add_months(month_of(date.today()), 1) + timedelta(days=9)
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "provider", "day": day.isoformat(), "time": "10:30"},
        token_from=f"/patients/{pid}",
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "provider visit is requested" in html and "booked" not in html.split("</p>")[0]
    assert "Dr. Rivera" in html and "555-0199" in html and "co-pay" in html
    assert ">Requested<" in html


def test_time_zones_have_the_names_people_use():
    """'America/New_York' reads 'Eastern Time'; a zone without a common name reads by its city."""
    assert zone_name("America/New_York") == "Eastern Time"
    assert zone_name("America/Los_Angeles") == "Pacific Time"
    assert zone_name("Europe/Berlin") == "Berlin time"


def _local(app, booking_id: int) -> tuple[date, str]:
    from booking.slots import zone_for

    with app.app_context():
        visit = db.session.get(Booking, booking_id)
        local = visit.starts_at.astimezone(zone_for(visit.time_zone))
        return visit.monitoring_month, f"{local:%A %H:%M}"


def test_same_time_every_month_books_ahead_through_the_booking_rules(app, world, patient_pages):
    """Three months ahead at the same weekday and time; a month already booked is reported, not doubled."""
    pid, _, client = patient_pages
    cid = world.center(capacity=3)
    first = _book_center(client, pid, cid, _next_month())
    taken_month = add_months(month_of(date.today()), 3)
    _book_center(client, pid, cid, f"{taken_month:%Y-%m}")
    done = client.post(
        f"/bookings/{first}/repeat", {"months": "3"}, token_from=f"/bookings/{first}", follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert "Same time every month" in html
    assert f"{taken_month:%B %Y} is not booked: " in html and "already has a lab visit" in html
    with app.app_context():
        visits = db.session.scalars(
            db.select(Booking).where(Booking.patient_id == pid).order_by(Booking.starts_at)
        ).all()
        ids = [v.id for v in visits]
    assert len(ids) == 4  # the first, two repeats, and the month booked before
    months = [_local(app, i)[0] for i in ids]
    assert months == [add_months(month_of(date.today()), n) for n in (1, 2, 3, 4)]
    repeated = [i for i in ids if i != first and _local(app, i)[0] != taken_month]
    assert {_local(app, i)[1] for i in repeated} == {_local(app, first)[1]}


def test_same_time_every_month_leaves_a_full_slot_unbooked(app, world, patient_pages):
    """When the same slot next month is full, that month is reported with the capacity rule's reason."""
    from booking.recurrence import same_time_in
    from booking.services.bookings import create_booking

    pid, _, client = patient_pages
    cid = world.center(capacity=1)
    first = _book_center(client, pid, cid, _next_month())
    other = world.patient()
    with app.app_context():
        visit = db.session.get(Booking, first)
        from booking.models import Patient, User

        coordinator = User(email="c@example.org", password_hash="x", role="coordinator")
        db.session.add(coordinator)
        db.session.flush()
        starts = same_time_in(visit.starts_at, visit.time_zone, 1)
        create_booking(
            coordinator,
            db.session.get(Patient, other),
            {"kind": "service_center", "service_center_id": cid, "starts_at": starts},
        )
        db.session.commit()
    done = client.post(
        f"/bookings/{first}/repeat", {"months": "2"}, token_from=f"/bookings/{first}", follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert "fully booked" in html and "Booked at the same time in" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id)).where(Booking.patient_id == pid)) == 2


def test_each_nearby_center_shows_its_hours_and_first_free_time(world, patient_pages):
    """Centers can be compared at a glance: opening hours by runs of days, and the first free time."""
    pid, _, client = patient_pages
    world.center(name="Weekday PSC", weekdays=range(5))
    html = client.get(f"/patients/{pid}/book/service_center?month={_next_month()}").get_data(as_text=True)
    assert "Open Mon–Fri 7:00 AM–3:00 PM" in html
    first = add_months(month_of(date.today()), 1)
    weekday = first + timedelta(days=(7 - first.weekday()) % 7 if first.weekday() >= 5 else 0)
    assert f"First free time: {weekday:%a} {weekday.day} {weekday:%b %Y}, 7:00 AM" in html
