"""A technician on a 390-pixel phone works through a day's route: arrive, collect, no-show, lab drop."""

from __future__ import annotations

import re
from datetime import datetime, time

from playwright.sync_api import expect

from booking.slots import zone_for
from tests.browser.conftest import PHONE
from tests.web.field_day import TZ


def test_technician_works_through_the_route_on_a_phone(field_day, visit, monkeypatch):
    _, tess = field_day.technician("Tess", email="tess@example.org")
    first, second, third = (
        field_day.visit(hour, place=i, first_name=name)
        for i, (hour, name) in enumerate([(9, "Ann"), (11, "Ben"), (13, "Cleo")])
    )
    field_day.plan()
    field_day.publish()
    # Reports are for today's route: the clock reads 8:00 on the field day in the region.
    morning = datetime.combine(field_day.day, time(8, 0), zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: morning)

    me = visit(viewport=PHONE)
    page = me.sign_in(tess.email)
    expect(page.get_by_role("heading", name="Route for")).to_be_visible()
    stops = page.locator("ol.stops > li")
    expect(stops).to_have_count(3)
    expect(stops.nth(0)).to_contain_text("Ann Visitor")
    expect(stops.nth(0)).to_contain_text("Ring twice")
    expect(stops.nth(0)).to_contain_text("urinalysis with cell counts")
    expect(stops.nth(0).get_by_role("link", name="Open in maps app for stop 1")).to_have_attribute(
        "href", re.compile(r"^geo:")
    )
    expect(page.get_by_role("heading", name="Lab drop-off")).to_be_visible()
    me.no_horizontal_scroll()
    me.shot("route")

    page.get_by_role("button", name="Arrived at stop 1").click()
    expect(page.get_by_role("status")).to_contain_text("Stop marked arrived.")
    expect(stops.nth(0)).to_contain_text("Technician arrived")
    page.get_by_role("button", name="Collected at stop 1").click()
    expect(stops.nth(0)).to_contain_text("Samples collected")
    assert field_day.status(first) == "collected"

    # A no-show needs a reason, asked for right by the field.
    stops.nth(1).get_by_text("No-show…").click()
    page.get_by_role("button", name="Record no-show at stop 2").click()
    expect(page.locator(f"#reason-{second}-error")).to_have_text("Say why the visit did not happen.")
    expect(page.get_by_label("Why did the visit not happen? (stop 2)")).to_have_attribute(
        "aria-invalid", "true"
    )
    me.no_horizontal_scroll()
    me.shot("no-show-error")
    page.get_by_label("Why did the visit not happen? (stop 2)").fill("Nobody home")
    page.get_by_role("button", name="Record no-show at stop 2").click()
    expect(stops.nth(1)).to_contain_text("Missed (no-show)")
    assert field_day.status(second) == "no_show"

    page.get_by_role("button", name="Collected at stop 3").click()
    expect(stops.nth(2)).to_contain_text("Samples collected")
    assert field_day.status(third) == "collected"
    expect(page.locator(".lab-drop")).to_contain_text("Central Lab")
    me.no_horizontal_scroll()
    me.shot("route-done")
