"""Patients and technicians in a real browser, at phone and desktop sizes, with axe-core checking each page.

A patient with this month booked sees the whole card, is told up front that the
month is taken, books next month on the phone-first slot picker and downloads
the visit's .ics; a technician sees both identifiers, the tubes, the day's map
and the navigate link. Screenshots go to test-output/screenshots/, page heights
to test-output/page-heights.jsonl, axe results to test-output/accessibility.jsonl.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from booking.extensions import db
from booking.models import Booking, ServiceCenter
from booking.schedule import add_months, month_of
from tests.browser.accessibility import RESULTS, axe_violations, serious
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS

HEIGHTS = SCREENSHOTS.parent / "page-heights.jsonl"
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])


@pytest.fixture(autouse=True, scope="module")
def _fresh_records():
    """Each run writes its own page heights and axe results."""
    for path in (HEIGHTS, RESULTS):
        path.unlink(missing_ok=True)


def _check(me, name: str, size: dict) -> None:
    """No sideways scrolling, no serious axe violation; the screenshot and the page height recorded."""
    page = me.page
    me.no_horizontal_scroll()
    assert serious(axe_violations(page, f"{me.test_name}-{name}")) == []
    me.shot(name)
    HEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    with HEIGHTS.open("a") as out:
        height = page.evaluate("document.documentElement.scrollHeight")
        out.write(json.dumps({"page": name, "width": size["width"], "height": height}) + "\n")


def _visit(app, pid: int, cid: int, month: date, status: str, day: int = 1) -> None:
    with app.app_context():
        center = db.session.get(ServiceCenter, cid)
        starts = datetime(month.year, month.month, day, 15, 0, tzinfo=UTC)
        db.session.add(
            Booking(
                patient_id=pid,
                kind="service_center",
                status=status,
                monitoring_month=month,
                service_center_id=cid,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=15),
                time_zone=center.time_zone,
                address=center.address,
                latitude=center.latitude,
                longitude=center.longitude,
            )
        )
        db.session.commit()


@SIZES
def test_patient_sees_the_month_and_books_the_next_one(app, world, visit, size):
    today = month_of(date.today())
    pid = world.patient(first_infusion=add_months(today, -9), last_infusion=add_months(today, -9))
    user = world.user("patient", patient_id=pid, first_name="Pat", email="pat@example.org")
    cid = world.center(name="Midtown PSC")
    world.center(name="Chelsea PSC", lat=40.7465, lon=-74.0014)
    _visit(app, pid, cid, today, "confirmed")
    for n in range(1, 10):
        _visit(app, pid, cid, add_months(today, -n), "delivered", day=12)

    me = visit(viewport=size)
    page = me.sign_in(user.email)
    expect(page.get_by_text("Month 10 of 49")).to_be_visible()
    card = page.locator("section[aria-labelledby=this-month]")
    expect(card).to_contain_text("Midtown PSC address")
    expect(card.get_by_role("link", name=re.compile("Map and directions"))).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/dir/\?api=1&destination=")
    )
    expect(card).to_contain_text("Nothing: the lab work")
    expect(card).to_contain_text("No fasting is needed")
    expect(page.get_by_label("Personal calendar feed address")).to_have_value(
        re.compile(r"/calendar/.+\.ics$")
    )
    # Month names in the table stay whole words on one line ("February", never "Februar y").
    lines = page.locator("table.months th[scope=row]").evaluate_all(
        """cells => cells.map(c => {
            const r = document.createRange(); r.selectNodeContents(c); return r.getClientRects().length; })"""
    )
    assert lines and set(lines) == {1}, lines
    page.get_by_text("All 9 past visits").click()
    expect(page.locator("section[aria-labelledby=past-heading] li")).to_have_count(9)
    _check(me, "schedule", size)

    with page.expect_download() as download:
        card.get_by_role("link", name="Add to my calendar (.ics)").click()
    assert "BEGIN:VEVENT" in open(download.value.path()).read()

    # "Book a visit": this month is taken, said first, with the visit and next month offered.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Book a visit").click()
    following = add_months(today, 1)
    expect(page.get_by_role("heading", name=f"{today:%B %Y} is already booked")).to_be_visible()
    expect(page.get_by_role("link", name="Move that visit")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{following:%B %Y}")
    _check(me, "choose-kind-month-taken", size)

    page.get_by_role("link", name=re.compile("At a service center")).click()
    page.get_by_role("link", name="See free times at Midtown PSC").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"in {following:%B %Y}")
    expect(page.get_by_role("heading", name="Morning")).to_be_visible()
    expect(page.get_by_role("heading", name="Afternoon")).to_be_visible()
    page.locator('input[name="starts_at"]').nth(3).check()
    continue_button = page.get_by_role("button", name="Continue")
    box = continue_button.bounding_box()
    assert box["y"] + box["height"] <= size["height"], "Continue is out of reach: scrolled off the screen"
    _check(me, "slots-next-month", size)

    continue_button.click()
    expect(page.get_by_role("heading", name="Confirm the visit")).to_be_visible()
    page.get_by_role("button", name="Book this visit").click()
    expect(page.get_by_role("status")).to_contain_text("Your visit is booked.")
    expect(page.get_by_role("link", name="Add to my calendar (.ics)")).to_be_visible()
    _check(me, "booked-next-month", size)
    with app.app_context():
        months = {
            b.monitoring_month
            for b in db.session.scalars(db.select(Booking).where(Booking.patient_id == pid))
        }
        assert following in months


@SIZES
def test_technician_sees_identifiers_tubes_map_and_the_route_link(field_day, visit, size):
    _, tess = field_day.technician("Tess", email="tess@example.org")
    for i, (hour, name) in enumerate([(9, "Ann"), (11, "Ben"), (13, "Cleo")]):
        field_day.visit(hour, place=i, first_name=name)
    field_day.plan()
    field_day.publish()

    me = visit(viewport=size)
    page = me.sign_in(tess.email)
    page.get_by_role("link", name="Next day").click()  # the plan is tomorrow's, so the test runs at any hour
    stops = page.locator("ol.stops > li")
    expect(stops).to_have_count(3)
    expect(stops.nth(0)).to_contain_text("Ann Visitor")
    expect(stops.nth(0)).to_contain_text("17 May 1980")
    expect(stops.nth(0).locator(".order-number")).to_have_text(re.compile(r"^LV-\d{7}$"))
    expect(stops.nth(0)).to_contain_text("Lavender-top EDTA tube")
    expect(stops.nth(0)).to_contain_text("Urine specimen cup")
    overview = page.get_by_role("img", name=re.compile("Map of your 3 stops"))
    expect(overview).to_be_visible()
    assert overview.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_role("link", name=re.compile("Navigate the route"))).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/dir/\?api=1&destination=.+&waypoints=")
    )
    _check(me, "route", size)


def test_sign_in_page_has_no_serious_accessibility_violation(visit):
    me = visit(viewport=PHONE)
    me.open("/sign-in")
    _check(me, "sign-in", PHONE)


@SIZES
def test_coordinator_board_is_compact_and_its_controls_are_reachable(world, field_day, visit, size):
    """A planned day: one line per stop, controls on demand and 44 px on a phone; the publish review."""
    coordinator = world.user("coordinator", first_name="Nora", email="nora@example.org")
    field_day.technician("Tess")
    field_day.technician("Omar")
    names = ["Ann", "Ben", "Cleo", "Dev", "Eve", "Finn"]
    for i, name in enumerate(names):
        field_day.visit(9 + i, place=i, first_name=name)
    field_day.plan()

    me = visit(viewport=size)
    page = me.sign_in(coordinator.email)
    me.open(f"/coordinator/regions/{field_day.region_id}/days/{field_day.day.isoformat()}")
    stops = page.locator("li.board-stop")
    expect(stops).to_have_count(len(names))
    expect(page.get_by_role("button", name=re.compile("^Pin"))).to_have_count(0)  # hidden until asked for
    tallest = max(stops.nth(i).bounding_box()["height"] for i in range(len(names)))
    assert tallest < (130 if size is PHONE else 70), f"a stop is {tallest:.0f} px tall"
    _check(me, "board", size)

    stops.first.locator("summary").click()
    expect(stops.first.get_by_role("button", name=re.compile("^Pin"))).to_be_visible()
    if size is PHONE:
        targets = page.locator(".board button:visible, .board summary:visible, .board select:visible")
        small = [
            box
            for box in (targets.nth(i).bounding_box() for i in range(targets.count()))
            if box["height"] < 44
        ]
        assert small == [], f"{len(small)} board controls are under 44 px tall on a phone"

    page.get_by_role("link", name=re.compile("Review and publish version 1")).click()
    expect(page.get_by_role("heading", name=re.compile("6 get a technician"))).to_be_visible()
    _check(me, "publish-review", size)
