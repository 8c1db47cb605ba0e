"""Races for changes of one booking against the served app: each change happens exactly once.

Double cancels (API and the page's Cancel button), reschedules racing each
other, a cancel racing a reschedule, staff status changes racing, for center
slots and home region-days. Every trial ends with the integrity check (0
differences) and exact status and event counts.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from functools import partial

from tests.conftest import PASSWORD, future_day
from tests.races.conftest import (
    Answer,
    active_at,
    assert_conflicts_say_why,
    assert_counters_match,
    booking_of,
    call,
    counter,
    events_of,
    openings,
    race,
    statuses,
)


def _book(server, person, body) -> int:
    answer = call("POST", f"{server.url}/api/v1/bookings", person.headers, body)
    assert answer.status == 201, answer
    return answer.body["id"]


def _cancel(server, person, booking_id):
    return lambda: call(
        "POST", f"{server.url}/api/v1/bookings/{booking_id}/cancel", person.headers, {"reason": "race"}
    )


def _move(server, person, booking_id, starts_at):
    return lambda: call(
        "PATCH", f"{server.url}/api/v1/bookings/{booking_id}", person.headers, {"starts_at": starts_at}
    )


def _status(server, person, booking_id, status):
    return lambda: call(
        "POST",
        f"{server.url}/api/v1/bookings/{booking_id}/status",
        person.headers,
        {"status": status, "reason": "r"},
    )


def _status_events(app, booking_id, to_status):
    return [e for e in events_of(app, booking_id) if e.action == "status" and e.to_status == to_status]


def _assert_chain(app, booking_id, moves: int) -> None:
    """``moves`` reschedule events, each starting where the one before it ended."""
    events = [e for e in events_of(app, booking_id) if e.action == "rescheduled"]
    assert len(events) == moves
    for before, after in zip(events, events[1:], strict=False):
        assert after.detail["before"]["starts_at"] == before.detail["after"]["starts_at"]


# --- center slots ---------------------------------------------------------------------------


def test_five_simultaneous_cancels_cancel_once_and_free_one_place(server, people, world, app):
    """Five cancels of one booking: one 200, four 409 saying 'cancelled'; one event; one place freed."""
    for _ in range(5):
        cid = world.center(capacity=2)
        owner, neighbour, late1, late2 = people.patients(4)
        slot = openings(server, owner.headers, kind="service_center", service_center_id=cid)[0]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
        booking_id = _book(server, owner, body)
        _book(server, neighbour, body)
        answers = race([_cancel(server, owner, booking_id) for _ in range(5)])
        assert_conflicts_say_why(answers, current_status="cancelled")
        assert statuses(answers) == [200] + [409] * 4
        assert len(_status_events(app, booking_id, "cancelled")) == 1
        key = _key_of(app, body, cid)
        assert counter(app, key) == 1
        refill = race(
            [partial(call, "POST", f"{server.url}/api/v1/bookings", p.headers, body) for p in (late1, late2)]
        )
        assert statuses(refill) == [201, 409]
        assert counter(app, key) == active_at(app, key) == 2
        assert_counters_match(app)


def _key_of(app, body, cid):
    from datetime import datetime

    from booking.services.capacity import center_slot_key

    return center_slot_key(cid, datetime.fromisoformat(body["starts_at"]))


def test_the_pages_cancel_button_and_the_api_cancel_once(server, people, world, app):
    """Two Cancel-button posts and three API cancels at once: one succeeds, one event, one place freed."""
    for _ in range(3):
        cid = world.center(capacity=2)
        (owner,) = people.patients(1)
        slot = openings(server, owner.headers, kind="service_center", service_center_id=cid)[0]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
        booking_id = _book(server, owner, body)
        page = _signed_in_page(server, owner.email)
        token = _csrf(page.open(f"{server.url}/bookings/{booking_id}").read().decode())
        form = urllib.parse.urlencode({"csrf_token": token, "reason": "race"}).encode()

        def click(page=page, form=form, booking_id=booking_id):
            try:
                with page.open(
                    f"{server.url}/bookings/{booking_id}/cancel", data=form, timeout=120
                ) as response:
                    return Answer(response.status, None, response.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as exc:
                return Answer(exc.code, None, exc.headers.get("Content-Type", ""))

        answers = race([click, click] + [_cancel(server, owner, booking_id) for _ in range(3)])
        assert all(isinstance(a, Answer) and a.status in (200, 409) for a in answers), answers
        assert [a.status for a in answers].count(200) == 1, answers
        assert_conflicts_say_why([a for a in answers[2:]], current_status="cancelled")
        assert len(_status_events(app, booking_id, "cancelled")) == 1
        assert counter(app, _key_of(app, body, cid)) == 0
        assert_counters_match(app)


def _signed_in_page(server, email):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = _csrf(opener.open(f"{server.url}/sign-in").read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    with opener.open(f"{server.url}/sign-in", data=form) as response:
        assert response.status == 200
    return opener


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_four_simultaneous_reschedules_move_the_booking_and_its_place_together(server, people, world, app):
    """Four moves of one booking to four free slots: it ends in one of them, holding exactly that place."""
    for _ in range(4):
        cid = world.center(capacity=1)
        (owner,) = people.patients(1)
        source, *targets = openings(server, owner.headers, kind="service_center", service_center_id=cid)[:5]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": source["starts_at"]}
        booking_id = _book(server, owner, body)
        answers = race([_move(server, owner, booking_id, t["starts_at"]) for t in targets])
        assert_conflicts_say_why(answers)
        moved = [a for a in answers if a.status == 200]
        assert moved and all(a.status in (200, 409) for a in answers), answers
        _assert_chain(app, booking_id, len(moved))
        final = booking_of(app, booking_id)
        assert final.status == "confirmed"
        for slot in [source, *targets]:
            key = _key_of(app, {"starts_at": slot["starts_at"]}, cid)
            assert counter(app, key) == (1 if key == final.capacity_key else 0), slot
        assert_counters_match(app)


def test_a_cancel_racing_a_reschedule_leaves_it_cancelled_with_no_place(server, people, world, app):
    """Cancel and reschedule at once, twice each: cancelled once, and neither slot keeps a place."""
    for _ in range(5):
        cid = world.center(capacity=1)
        (owner,) = people.patients(1)
        source, target = openings(server, owner.headers, kind="service_center", service_center_id=cid)[:2]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": source["starts_at"]}
        booking_id = _book(server, owner, body)
        answers = race(
            [_cancel(server, owner, booking_id), _move(server, owner, booking_id, target["starts_at"])] * 2
        )
        assert_conflicts_say_why(answers)
        assert [a.status for a in answers[0::2]].count(200) == 1, answers
        assert booking_of(app, booking_id).status == "cancelled"
        assert len(_status_events(app, booking_id, "cancelled")) == 1
        _assert_chain(app, booking_id, [a.status for a in answers[1::2]].count(200))
        for slot in (source, target):
            assert counter(app, _key_of(app, {"starts_at": slot["starts_at"]}, cid)) == 0
        assert_counters_match(app)


def test_racing_staff_status_changes_apply_once(server, people, world, app):
    """Two no-shows and two cancels by staff at once: one of them applies; a no-show frees the place too."""
    for _ in range(4):
        cid = world.center(capacity=2)
        owner, neighbour = people.patients(2)
        staff = people.staff()
        slot = openings(server, owner.headers, kind="service_center", service_center_id=cid)[0]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
        booking_id = _book(server, owner, body)
        _book(server, neighbour, body)
        answers = race([_status(server, staff, booking_id, s) for s in ("no_show", "cancelled") * 2])
        assert_conflicts_say_why(answers)
        assert statuses(answers) == [200, 409, 409, 409]
        final = booking_of(app, booking_id).status
        assert final in ("no_show", "cancelled")
        for answer in answers:
            if answer.status == 409:
                assert answer.body["current_status"] == final
        changes = [e for e in events_of(app, booking_id) if e.action == "status"]
        assert [e.to_status for e in changes] == [final]
        assert counter(app, _key_of(app, body, cid)) == 1
        assert_counters_match(app)


# --- home visits: region-day places -----------------------------------------------------------


def test_five_simultaneous_cancels_of_a_home_visit_free_one_place_of_its_day(server, people, world, app):
    """A home visit cancelled five times at once: once; its region-day counter drops by one."""
    for _ in range(3):
        world.region(daily_capacity=2)
        owner, neighbour, late1, late2 = people.patients(4)
        window = openings(server, owner.headers, kind="home")[0]
        body = {"kind": "home", "starts_at": window["starts_at"]}
        booking_id = _book(server, owner, body)
        _book(server, neighbour, body)
        key = booking_of(app, booking_id).capacity_key
        answers = race([_cancel(server, owner, booking_id) for _ in range(5)])
        assert_conflicts_say_why(answers, current_status="cancelled")
        assert statuses(answers) == [200] + [409] * 4
        assert len(_status_events(app, booking_id, "cancelled")) == 1
        assert counter(app, key) == 1
        refill = race(
            [partial(call, "POST", f"{server.url}/api/v1/bookings", p.headers, body) for p in (late1, late2)]
        )
        assert statuses(refill) == [201, 409]
        assert counter(app, key) == active_at(app, key) == 2
        assert_counters_match(app)
        _drop_region(app)


def test_four_simultaneous_reschedules_of_a_home_visit_hold_one_day(server, people, world, app):
    """A home visit moved to four other days at once ends on one day, holding only that day's place."""
    for _ in range(3):
        world.region(daily_capacity=1)
        (owner,) = people.patients(1)
        days = [future_day(10 + i) for i in range(5)]
        windows = [openings(server, owner.headers, day=d, kind="home")[0] for d in days]
        booking_id = _book(server, owner, {"kind": "home", "starts_at": windows[0]["starts_at"]})
        answers = race([_move(server, owner, booking_id, w["starts_at"]) for w in windows[1:]])
        assert_conflicts_say_why(answers)
        moved = [a for a in answers if a.status == 200]
        assert moved and all(a.status in (200, 409) for a in answers), answers
        _assert_chain(app, booking_id, len(moved))
        final = booking_of(app, booking_id)
        region_id = final.region_id
        for day in days:
            key = f"region:{region_id}:{day:%Y%m%d}"
            assert counter(app, key) == (1 if key == final.capacity_key else 0), day
        assert_counters_match(app)
        _drop_region(app)


def _drop_region(app):
    """Only one region may cover the patients' homes, so the next trial's region replaces this one."""
    from booking.extensions import db
    from booking.models import Region

    with app.app_context():
        for region in db.session.scalars(db.select(Region)):
            region.radius_km = 0.001
            region.latitude = 0.0
        db.session.commit()
