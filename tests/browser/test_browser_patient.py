"""A patient in a real browser: books, moves and cancels a service-center visit, then books a home visit."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from booking.extensions import db
from booking.models import Booking


def _bookings(app, patient_id):
    with app.app_context():
        return db.session.scalars(
            db.select(Booking).where(Booking.patient_id == patient_id).order_by(Booking.id)
        ).all()


def _pick_day_and_time(page, day_index: int, slot_index: int):
    """A day of the week strip (the last one when the week has fewer), then a slot, then Continue."""
    days = page.locator('nav[aria-label="Days with free times"] a:not(.week-step)')
    days.nth(min(day_index, days.count() - 1)).click()
    expect(page.locator('nav[aria-label="Days with free times"] a[aria-current="date"]')).to_be_visible()
    page.locator('input[name="starts_at"]').nth(slot_index).check()
    page.get_by_role("button", name="Continue").click()


def test_patient_books_moves_and_cancels_then_books_a_home_visit(app, world, visit):
    patient_id = world.patient()
    user = world.user("patient", patient_id=patient_id, first_name="Pat", email="pat@example.org")
    world.center(name="Midtown PSC")
    world.center(name="Chelsea PSC", lat=40.7465, lon=-74.0014)
    world.region()

    me = visit()
    me.open("/")
    me.shot("sign-in")
    page = me.sign_in(user.email)
    expect(page.get_by_role("heading", name="Your monitoring schedule")).to_be_visible()
    this_month = page.locator("section[aria-labelledby=this-month]")
    expect(this_month).to_contain_text("Due, not booked")
    me.shot("schedule")

    # Book: kind → nearest centers with distance → a free slot three days ahead → confirm.
    page.get_by_role("link", name="Book this month's visit").click()
    me.shot("choose-kind")
    page.get_by_role("link", name=re.compile("At a service center")).click()
    centers = page.locator("ol.centers > li")
    expect(centers).to_have_count(2)
    expect(centers.first).to_contain_text("Midtown PSC")
    expect(centers.first.locator(".distance")).to_contain_text("mi")
    page.get_by_role("link", name="See free times at Midtown PSC").click()
    # Next month, so the month has every day left whatever the date the test runs on.
    page.get_by_role("navigation", name="Months you can book").get_by_role("link").nth(1).click()
    _pick_day_and_time(page, day_index=3, slot_index=2)
    expect(page.get_by_role("heading", name="Confirm the visit")).to_be_visible()
    expect(page.get_by_text("hours before it starts")).to_be_visible()
    me.shot("confirm")
    page.get_by_role("button", name="Book this visit").click()
    expect(page.get_by_role("status")).to_contain_text("Your visit is booked.")
    me.shot("booked")
    [booked] = _bookings(app, patient_id)
    assert booked.status == "confirmed" and booked.kind == "service_center"

    # Move it to another day; the policy is on the page.
    expect(page.locator(".policy")).to_contain_text("24 hours before")
    page.get_by_role("link", name="Move to another time").click()
    page.get_by_role("link", name=re.compile("Later week")).click()
    _pick_day_and_time(page, day_index=4, slot_index=5)
    me.shot("reschedule-confirm")
    page.get_by_role("button", name="Move the visit").click()
    expect(page.get_by_role("status")).to_contain_text("The visit is moved.")
    [moved] = _bookings(app, patient_id)
    assert moved.id == booked.id and moved.starts_at > booked.starts_at

    # Cancel with a reason; the month can be booked again.
    page.get_by_label("Reason for cancelling (optional)").fill("Travelling that week")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Cancel this visit").click()
    expect(page.get_by_role("status")).to_contain_text("The visit is cancelled.")
    assert dialogs == ["Cancel this lab visit? The time is given to someone else."]
    me.shot("cancelled")
    [cancelled] = _bookings(app, patient_id)
    assert cancelled.status == "cancelled" and cancelled.status_reason == "Travelling that week"

    # A home visit, chosen with the keyboard: arrow keys move between windows, the form submits.
    page.get_by_role("link", name="Book this month's visit").click()
    page.get_by_role("link", name=re.compile("At home")).click()
    page.get_by_role("navigation", name="Months you can book").get_by_role("link").nth(1).click()
    page.locator('nav[aria-label="Days with free times"] a:not(.week-step)').first.click()
    page.locator('input[name="starts_at"]').first.focus()
    page.keyboard.press("ArrowRight")
    me.shot("home-windows")
    expect(page.locator('input[name="starts_at"]').nth(1)).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Arrival window")).to_be_visible()
    page.get_by_role("button", name="Book this visit").click()
    expect(page.get_by_role("status")).to_contain_text("Your visit is booked.")
    expect(page.locator(".summary")).to_contain_text(" – ")
    me.shot("home-booked")
    home = _bookings(app, patient_id)[-1]
    assert home.kind == "home" and home.status == "confirmed"

    # The schedule on a phone: no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="My schedule").click()
    expect(page.locator("section[aria-labelledby=visits-heading]")).to_contain_text("At home")
    me.no_horizontal_scroll()
    me.shot("schedule-phone")
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_role("link", name=re.compile("At a service center")).click()
    page.get_by_role("link", name="See free times at Midtown PSC").click()
    expect(page.locator('input[name="starts_at"]').first).to_be_attached()
    me.no_horizontal_scroll()
    me.shot("center-times-phone")
