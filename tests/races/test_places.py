"""Races for places against the served app: the last place, one booking a month, replays.

Every trial ends with the integrity check (0 differences) and exact counts of
bookings and events.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.races.conftest import (
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


def _book(server, person, body):
    return lambda: call("POST", f"{server.url}/api/v1/bookings", person.headers, body)


@pytest.mark.parametrize(
    ("racers", "places", "taken", "trials"),
    [(2, 1, 0, 4), (10, 2, 1, 3), (50, 3, 1, 2)],
    ids=["2-for-1", "10-for-last-of-2", "50-for-last-2-of-3"],
)
def test_racers_for_the_last_places_get_exactly_those_places(
    server, people, world, app, racers, places, taken, trials
):
    """N patients racing for the last places of a slot: exactly that many 201, the rest 409, no overbooking."""
    for _ in range(trials):
        cid = world.center(capacity=places)
        crowd = people.patients(racers + taken)
        slot = openings(server, crowd[0].headers, kind="service_center", service_center_id=cid)[0]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
        for early in crowd[racers:]:
            assert call("POST", f"{server.url}/api/v1/bookings", early.headers, body).status == 201
        answers = race([_book(server, p, body) for p in crowd[:racers]])
        assert_conflicts_say_why(answers)
        left = places - taken
        assert statuses(answers) == [201] * left + [409] * (racers - left)
        won = [a.body["id"] for a in answers if a.status == 201]
        key = booking_of(app, won[0]).capacity_key
        assert counter(app, key) == active_at(app, key) == places
        for booking_id in won:
            assert [e.action for e in events_of(app, booking_id)] == ["created"]
        assert_counters_match(app)


def test_one_patient_racing_for_several_slots_of_a_month_books_once(server, people, world, app):
    """One patient firing at five slots of one month at once ends with one booking and one place taken."""
    for _ in range(3):
        cid = world.center(capacity=2)
        (patient,) = people.patients(1)
        slots = openings(server, patient.headers, kind="service_center", service_center_id=cid)[:5]
        answers = race(
            [
                _book(
                    server,
                    patient,
                    {"kind": "service_center", "service_center_id": cid, "starts_at": s["starts_at"]},
                )
                for s in slots
            ]
        )
        assert_conflicts_say_why(answers)
        assert statuses(answers) == [201] + [409] * 4
        (won,) = [a.body["id"] for a in answers if a.status == 201]
        key = booking_of(app, won).capacity_key
        assert counter(app, key) == 1
        assert_counters_match(app)


def test_replays_of_one_idempotency_key_create_one_booking(server, people, world, app):
    """Five simultaneous sends of one request with one Idempotency-Key: one booking, five identical 201s."""
    for trial in range(3):
        cid = world.center(capacity=1)
        (patient,) = people.patients(1)
        slot = openings(server, patient.headers, kind="service_center", service_center_id=cid)[0]
        body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
        keyed = {**patient.headers, "Idempotency-Key": f"retry-{trial}"}
        answers = race(
            [partial(call, "POST", f"{server.url}/api/v1/bookings", keyed, body) for _ in range(5)]
        )
        assert_conflicts_say_why(answers)
        assert statuses(answers) == [201] * 5
        assert len({a.body["id"] for a in answers}) == 1
        booking = booking_of(app, answers[0].body["id"])
        assert counter(app, booking.capacity_key) == 1
        assert [e.action for e in events_of(app, booking.id)] == ["created"]
        assert_counters_match(app)


def test_a_reschedule_and_a_new_booking_racing_for_one_place_get_it_once(server, people, world, app):
    """A visit moving into a one-place slot while another patient books it: one of them gets it."""
    outcomes = set()
    for _ in range(5):
        cid = world.center(capacity=1)
        mover, newcomer = people.patients(2)
        source, target = openings(server, mover.headers, kind="service_center", service_center_id=cid)[:2]
        made = call(
            "POST",
            f"{server.url}/api/v1/bookings",
            mover.headers,
            {"kind": "service_center", "service_center_id": cid, "starts_at": source["starts_at"]},
        )
        assert made.status == 201
        moving = made.body["id"]
        answers = race(
            [
                partial(
                    call,
                    "PATCH",
                    f"{server.url}/api/v1/bookings/{moving}",
                    mover.headers,
                    {"starts_at": target["starts_at"]},
                ),
                _book(
                    server,
                    newcomer,
                    {"kind": "service_center", "service_center_id": cid, "starts_at": target["starts_at"]},
                ),
            ]
        )
        assert_conflicts_say_why(answers)
        moved, booked = answers
        assert sorted((moved.status, booked.status)) in ([200, 409], [201, 409]), answers
        outcomes.add("moved" if moved.status == 200 else "booked")
        after = booking_of(app, moving)
        target_key = (
            after.capacity_key if moved.status == 200 else booking_of(app, booked.body["id"]).capacity_key
        )
        assert counter(app, target_key) == active_at(app, target_key) == 1
        assert [e.action for e in events_of(app, moving)] == ["created"] + ["rescheduled"] * (
            moved.status == 200
        )
        assert_counters_match(app)


def test_the_integrity_command_agrees_after_a_race(server, people, world, app):
    """The `flask integrity check` command, on the served database after a race, finds 0 differences."""
    cid = world.center(capacity=1)
    crowd = people.patients(6)
    slot = openings(server, crowd[0].headers, kind="service_center", service_center_id=cid)[0]
    body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
    answers = race([_book(server, p, body) for p in crowd])
    assert statuses(answers) == [201] + [409] * 5
    (won,) = [a.body["id"] for a in answers if a.status == 201]
    owner = crowd[[a.status for a in answers].index(201)]
    race(
        [
            partial(call, "POST", f"{server.url}/api/v1/bookings/{won}/cancel", owner.headers, {})
            for _ in range(4)
        ]
    )
    result = app.test_cli_runner().invoke(args=["integrity", "check"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output
