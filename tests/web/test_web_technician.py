"""The technician's route page: own route only, stops in order, reports that move the booking along."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from booking.slots import zone_for
from tests.web.field_day import TZ


@pytest.fixture
def on_the_day(field_day, monkeypatch):
    """The clock reads 9:00 on the field day in the region, when reports on its route are accepted."""
    morning = datetime.combine(field_day.day, time(9, 0), zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: morning)
    return morning


def _published_day(field_day, visits=((9, 0), (11, 1), (13, 2))):
    tess_id, tess = field_day.technician("Tess")
    bookings = [
        field_day.visit(hour, place=place, first_name=f"P{i}") for i, (hour, place) in enumerate(visits)
    ]
    field_day.plan()
    field_day.publish()
    return tess_id, tess, bookings


def test_route_lists_stops_with_windows_collect_and_lab_drop(field_day, pages):
    """Today's published route: each stop's window, ETA, maps link, access notes, tests, then the lab."""
    _, tess, bookings = _published_day(field_day)
    pages.sign_in(tess)
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert html.count('class="stop stop-assigned"') == 3
    assert html.index("P0 Visitor") < html.index("P1 Visitor") < html.index("P2 Visitor")
    assert "Ring twice" in html and "urinalysis with cell counts" in html
    assert 'href="geo:' in html and "Lab drop-off" in html and "Central Lab" in html
    assert "Arrive by <strong>5:30 PM</strong>" in html


def test_arrived_then_collected_moves_the_booking_along(field_day, pages, on_the_day):
    """Arrived, then collected: the booking's status follows each tap."""
    _, tess, bookings = _published_day(field_day)
    pages.sign_in(tess)
    first = bookings[0]
    response = pages.post(
        f"/technician/stops/{first}",
        {"status": "arrived", "date": str(field_day.day)},
        token_from=f"/technician?date={field_day.day}",
    )
    assert response.status_code == 302 and response.location.endswith(f"#stop-{first}")
    assert field_day.status(first) == "arrived"
    pages.post(
        f"/technician/stops/{first}", {"status": "collected"}, token_from=f"/technician?date={field_day.day}"
    )
    assert field_day.status(first) == "collected"


def test_a_no_show_needs_a_reason_next_to_the_field(field_day, pages, on_the_day):
    """A no-show without a reason is refused with the message beside the reason field."""
    _, tess, bookings = _published_day(field_day)
    pages.sign_in(tess)
    response = pages.post(
        f"/technician/stops/{bookings[1]}",
        {"status": "no_show"},
        token_from=f"/technician?date={field_day.day}",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="reason-{bookings[1]}-error"' in html and "Say why the visit did not happen." in html
    assert field_day.status(bookings[1]) == "assigned"
    pages.post(
        f"/technician/stops/{bookings[1]}",
        {"status": "no_show", "reason": "Nobody home"},
        token_from=f"/technician?date={field_day.day}",
    )
    assert field_day.status(bookings[1]) == "no_show"


def test_a_technician_cannot_see_or_report_another_technicians_stops(field_day, pages):
    """Another technician's route is not shown, and reporting its stop is a 404 that changes nothing."""
    _, _, bookings = _published_day(field_day)
    _, other = field_day.technician("Omar")
    pages.sign_in(other)
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert "P0 V." not in html
    response = pages.post(
        f"/technician/stops/{bookings[0]}",
        {"status": "arrived", "date": str(field_day.day)},
        token_from=f"/technician?date={field_day.day}",
    )
    assert response.status_code == 404
    assert field_day.status(bookings[0]) == "assigned"


def test_no_route_yet_says_so(field_day, pages):
    """Before a plan is published, the page says there is no route yet."""
    _, tess = field_day.technician("Tess")
    field_day.visit(9)
    pages.sign_in(tess)
    assert "No published route for you on this day yet" in pages.get(
        f"/technician?date={field_day.day}"
    ).get_data(as_text=True)


def test_the_route_page_opens_on_today_in_the_region(field_day, pages):
    """Without a date the page shows today's route (in the region's time zone)."""
    from datetime import datetime

    from booking.slots import zone_for
    from booking.web.formatting import day_label

    _, tess = field_day.technician("Tess")
    pages.sign_in(tess)
    today = datetime.now(zone_for("America/New_York")).date()
    assert f"Route for {day_label(today)}" in pages.get("/technician").get_data(as_text=True)


def test_an_empty_day_links_to_the_next_published_route(field_day, pages):
    """With nothing today, the page offers the next day that has a published route."""
    from booking.web.formatting import day_label

    _, tess, _ = _published_day(field_day)
    pages.sign_in(tess)
    html = pages.get("/technician").get_data(as_text=True)
    assert f"Your next route: {day_label(field_day.day)}" in html


def test_an_early_technician_reads_arrive_then_wait_until_the_window(field_day, pages, on_the_day):
    """Collected at 9:00 at the first stop: the next stop says when they arrive and that they wait for 11:00."""
    _, tess, bookings = _published_day(field_day)
    pages.sign_in(tess)
    pages.post(
        f"/technician/stops/{bookings[0]}",
        {"status": "collected", "date": str(field_day.day)},
        token_from=f"/technician?date={field_day.day}",
    )
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert "wait until 11:00 AM" in html
    assert "Reported</dt><dd>Collected at 9:00 AM" in html
    assert "Undo “Collected” for stop 1" in html


def test_each_stop_shows_two_identifiers_and_an_order_number(field_day, pages):
    """Each stop names the patient in full with their date of birth, and the visit's order number for labels."""
    _, tess, bookings = _published_day(field_day)
    pages.sign_in(tess)
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert "P0 Visitor" in html and "17 May 1980" in html
    for booking_id in bookings:
        assert f"LV-{booking_id:07d}" in html


def test_each_stop_lists_the_tubes_to_draw_for_the_month(field_day, pages):
    """'Draw' lists containers, not tests: lavender EDTA for the blood count, gold SST for serum, a urine cup."""
    _, tess, _ = _published_day(field_day)
    pages.sign_in(tess)
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert html.count("<strong>Lavender-top EDTA tube</strong>: complete blood count with differential") == 3
    assert "<strong>Gold-top SST (serum separator) tube</strong>: serum creatinine" in html
    assert "<strong>Urine specimen cup (clean-catch midstream)</strong>: urinalysis with cell counts" in html


def test_the_route_has_an_overview_map_and_one_navigate_link(field_day, pages):
    """An SVG map of the technician's own stops, and a Google Maps link through every open stop to the lab."""
    from urllib.parse import parse_qs, urlsplit

    _, tess, _ = _published_day(field_day)
    field_day.technician("Otto")
    pages.sign_in(tess)
    html = pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)
    assert f'src="/technician/map.svg?date={field_day.day}"' in html and "Map of your 3 stops" in html
    svg = pages.get(f"/technician/map.svg?date={field_day.day}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).count('class="route"') == 1
    href = html[html.index('href="https://www.google.com/maps/dir/') :].split('"')[1].replace("&amp;", "&")
    args = parse_qs(urlsplit(href).query)
    assert args["api"] == ["1"] and args["destination"] and "origin" not in args
    assert len(args["waypoints"][0].split("|")) == 3
    next_day = field_day.day + timedelta(days=1)
    assert pages.get(f"/technician/map.svg?date={next_day}").status_code == 404


def test_containers_group_tests_that_share_a_tube():
    """Creatinine and thyroid function share one gold-top tube, drawn before the EDTA tube; urine last."""
    from booking.schedule import MONTHLY_TESTS, THYROID_TEST
    from booking.specimens import containers_for

    containers = containers_for(MONTHLY_TESTS + (THYROID_TEST,))
    assert [c.name.split()[0] for c in containers] == ["Gold-top", "Lavender-top", "Urine"]
    assert containers[0].tests == ("serum_creatinine", "thyroid_function")
