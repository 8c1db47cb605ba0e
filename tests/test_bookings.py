"""Bookings through the API: create, capacity, one per month, idempotency, reschedule, cancel, states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, CapacityCounter
from tests.conftest import future_day


def openings(client, headers, **params):
    params.setdefault("from", future_day().isoformat())
    params.setdefault("to", params["from"])
    response = client.get("/api/v1/availability", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["openings"]


def book(client, headers, **body):
    return client.post("/api/v1/bookings", json=body, headers=headers)


@pytest.fixture
def center_setup(world, client):
    pid, headers = world.patient_login()
    cid = world.center(capacity=1)
    slot = openings(client, headers, kind="service_center", service_center_id=cid)[0]
    return pid, headers, cid, slot


def test_patient_books_a_service_center_slot(client, center_setup):
    """A free slot books as confirmed, in the slot's month, and the slot is then full."""
    pid, headers, cid, slot = center_setup
    response = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "confirmed" and body["patient_id"] == pid
    assert body["starts_at"] == slot["starts_at"] and body["local_start"] == slot["local_start"]
    assert body["monitoring_month"] == slot["local_start"][:7]
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{body['id']}")
    left = openings(client, headers, kind="service_center", service_center_id=cid)
    assert slot["starts_at"] not in [o["starts_at"] for o in left]


def test_full_slot_is_409_and_writes_nothing(world, client, center_setup):
    """The last place goes once; the next patient gets 409 and no booking row."""
    _, headers, cid, slot = center_setup
    assert (
        book(
            client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
        ).status_code
        == 201
    )
    _, other = world.patient_login()
    response = book(client, other, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"])
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert "fully booked" in response.json["detail"]
    with world.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1


def test_one_active_booking_per_month(world, client):
    """A second booking in the same monitoring month is refused with 409."""
    _, headers = world.patient_login()
    cid = world.center(capacity=5)
    first, second = openings(client, headers, kind="service_center", service_center_id=cid)[:2]
    assert (
        book(
            client, headers, kind="service_center", service_center_id=cid, starts_at=first["starts_at"]
        ).status_code
        == 201
    )
    again = book(client, headers, kind="service_center", service_center_id=cid, starts_at=second["starts_at"])
    assert again.status_code == 409 and "already has a lab visit" in again.json["detail"]
    with world.app.app_context():
        counter = db.session.scalars(db.select(CapacityCounter)).all()
        assert sum(c.booked for c in counter) == 1  # the refused request gave its place back


def test_database_enforces_one_active_booking_per_month(world, app, client, center_setup):
    """The partial unique index itself refuses a second active booking, whatever Python checks."""
    from sqlalchemy.exc import IntegrityError

    pid, headers, cid, slot = center_setup
    created = book(client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"])
    with app.app_context():
        original = db.session.get(Booking, created.json["id"])
        clone = Booking(
            patient_id=pid,
            kind="provider",
            status="requested",
            monitoring_month=original.monitoring_month,
            starts_at=original.starts_at,
            time_zone="UTC",
        )
        db.session.add(clone)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        clone = Booking(
            patient_id=pid,
            kind="provider",
            status="cancelled",
            monitoring_month=original.monitoring_month,
            starts_at=original.starts_at,
            time_zone="UTC",
        )
        db.session.add(clone)
        db.session.commit()  # a cancelled one does not count


def test_idempotent_replay_returns_first_response(world, client, center_setup):
    """The same key and body replays the stored 201; a different body with that key is 422."""
    _, headers, cid, slot = center_setup
    body = {"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]}
    keyed = {**headers, "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/bookings", json=body, headers=keyed)
    replay = client.post("/api/v1/bookings", json=body, headers=keyed)
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json and replay.headers["Idempotent-Replayed"] == "true"
    changed = client.post("/api/v1/bookings", json={**body, "notes": "other"}, headers=keyed)
    assert changed.status_code == 422 and "different request" in changed.json["detail"]
    with world.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1


def test_idempotency_keys_are_per_caller(world, client):
    """Another caller using the same key gets their own booking, not the first caller's."""
    cid = world.center(capacity=3)
    results = []
    for _ in range(2):
        _, headers = world.patient_login()
        slot = openings(client, headers, kind="service_center", service_center_id=cid)[0]
        response = client.post(
            "/api/v1/bookings",
            headers={**headers, "Idempotency-Key": "same"},
            json={"kind": "service_center", "service_center_id": cid, "starts_at": slot["starts_at"]},
        )
        assert response.status_code == 201
        results.append(response.json)
    assert results[0]["id"] != results[1]["id"]
    assert results[0]["patient_id"] != results[1]["patient_id"]


@pytest.mark.parametrize(
    "body,status,field",
    [
        ({"kind": "service_center"}, 422, "starts_at"),
        ({"kind": "spa", "starts_at": "2030-01-01T10:00:00+00:00"}, 422, "kind"),
        ({"kind": "provider", "starts_at": "2030-01-01T10:00:00"}, 422, "starts_at"),  # naive time
        ({"kind": "provider", "starts_at": "not a date"}, 422, "starts_at"),
        (
            {"kind": "provider", "starts_at": "2030-01-01T10:00:00+00:00", "status": "delivered"},
            422,
            "status",
        ),
        ({"kind": "provider", "starts_at": "2030-01-01T10:00:00+00:00", "id": 7}, 422, "id"),
        ({"kind": "provider", "starts_at": "2030-01-01T10:00:00+00:00", "owner": 1}, 422, "owner"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(world, client, body, status, field):
    """Malformed, unknown and server-owned fields are refused, naming the field."""
    _, headers = world.patient_login()
    response = book(client, headers, **body)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]["json"]


def test_slot_not_on_grid_and_past_times_are_422(client, center_setup):
    """A time that is not an offered slot, or in the past, is refused."""
    _, headers, cid, slot = center_setup
    off_grid = (datetime.fromisoformat(slot["starts_at"]) + timedelta(minutes=7)).isoformat()
    response = book(client, headers, kind="service_center", service_center_id=cid, starts_at=off_grid)
    assert response.status_code == 422 and "starts_at" in response.json["errors"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert (
        book(client, headers, kind="service_center", service_center_id=cid, starts_at=past).status_code == 422
    )


def test_unknown_center_is_404_and_missing_center_422(client, center_setup):
    """A center id that does not exist is 404; none at all for a center visit is 422."""
    _, headers, _, slot = center_setup
    assert (
        book(
            client, headers, kind="service_center", service_center_id=999999, starts_at=slot["starts_at"]
        ).status_code
        == 404
    )
    assert book(client, headers, kind="service_center", starts_at=slot["starts_at"]).status_code == 422


def test_kind_that_does_not_fit_the_site_is_422(world, client):
    """No office address on file → an office visit is 422; a center id on a home visit is 422."""
    _, headers = world.patient_login()
    world.region()
    starts = openings(client, headers, kind="home")[0]["starts_at"]
    office = book(client, headers, kind="office", starts_at=starts)
    assert office.status_code == 422 and "office address" in office.json["detail"]
    mixed = book(client, headers, kind="home", starts_at=starts, service_center_id=world.center())
    assert mixed.status_code == 422


def test_booking_outside_monitoring_schedule_is_422(world, client):
    """A visit in a month after the 48-month window is refused."""
    from datetime import date

    _, headers = world.patient_login(first_infusion=date(2020, 1, 1), last_infusion=date(2020, 6, 1))
    cid = world.center()
    slot = openings(client, headers, kind="service_center", service_center_id=cid)[0]
    response = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    )
    assert response.status_code == 422 and "not a monitoring month" in response.json["detail"]


def test_reschedule_moves_the_place(world, client):
    """Rescheduling frees the old slot and takes the new one, keeping the booking id."""
    _, headers = world.patient_login()
    cid = world.center(capacity=1)
    first, second = openings(client, headers, kind="service_center", service_center_id=cid)[:2]
    created = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=first["starts_at"]
    )
    moved = client.patch(
        f"/api/v1/bookings/{created.json['id']}", json={"starts_at": second["starts_at"]}, headers=headers
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["id"] == created.json["id"] and moved.json["starts_at"] == second["starts_at"]
    free = [o["starts_at"] for o in openings(client, headers, kind="service_center", service_center_id=cid)]
    assert first["starts_at"] in free and second["starts_at"] not in free
    events = client.get(f"/api/v1/bookings/{created.json['id']}/events", headers=headers).json
    assert [e["action"] for e in events] == ["created", "rescheduled"]
    assert (
        events[1]["detail"]["before"]["starts_at"] == datetime.fromisoformat(first["starts_at"]).isoformat()
    )


def test_reschedule_into_full_slot_keeps_the_original(world, client):
    """A reschedule that cannot get the new place changes nothing."""
    cid = world.center(capacity=1)
    _, a = world.patient_login()
    _, b = world.patient_login()
    first, second = openings(client, a, kind="service_center", service_center_id=cid)[:2]
    mine = book(client, a, kind="service_center", service_center_id=cid, starts_at=first["starts_at"]).json
    assert (
        book(
            client, b, kind="service_center", service_center_id=cid, starts_at=second["starts_at"]
        ).status_code
        == 201
    )
    response = client.patch(
        f"/api/v1/bookings/{mine['id']}", json={"starts_at": second["starts_at"]}, headers=a
    )
    assert response.status_code == 409
    assert client.get(f"/api/v1/bookings/{mine['id']}", headers=a).json["starts_at"] == first["starts_at"]
    free = [o["starts_at"] for o in openings(client, a, kind="service_center", service_center_id=cid)]
    assert first["starts_at"] not in free  # still held by the original booking


def test_cancel_frees_the_place_and_the_month(world, client, center_setup):
    """After a cancel the slot is free again and the month can be booked again."""
    _, headers, cid, slot = center_setup
    created = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    ).json
    cancelled = client.post(
        f"/api/v1/bookings/{created['id']}/cancel", json={"reason": "travel"}, headers=headers
    )
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = book(client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"])
    assert again.status_code == 201
    twice = client.post(f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=headers)
    assert twice.status_code == 409 and "cannot go from 'cancelled'" in twice.json["detail"]


def test_patient_cutoff_applies_but_staff_may_override(world, app, client, center_setup):
    """Inside the cutoff a patient gets 409 with the deadline; a coordinator may still cancel."""
    _, headers, cid, slot = center_setup
    created = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    ).json
    app.config["CANCEL_CUTOFF_HOURS"] = 24 * 400
    try:
        refused = client.post(f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=headers)
        assert refused.status_code == 409 and "deadline" in refused.json
        staff = client.post(
            f"/api/v1/bookings/{created['id']}/cancel", json={}, headers=world.login("coordinator")
        )
        assert staff.status_code == 200
    finally:
        app.config["CANCEL_CUTOFF_HOURS"] = 2


def test_state_machine_refuses_invalid_transitions(world, client, center_setup):
    """Staff move a booking along its states; a jump the machine forbids is 409 with a reason."""
    _, headers, cid, slot = center_setup
    created = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    ).json
    staff = world.login("coordinator")
    url = f"/api/v1/bookings/{created['id']}/status"
    assert client.post(url, json={"status": "delivered"}, headers=staff).status_code == 409
    assert client.post(url, json={"status": "en_route"}, headers=staff).status_code == 409  # not for a center
    assert client.post(url, json={"status": "arrived"}, headers=staff).json["status"] == "arrived"
    assert client.post(url, json={"status": "collected"}, headers=staff).json["status"] == "collected"
    refused = client.post(url, json={"status": "cancelled"}, headers=staff)
    assert refused.status_code == 409 and refused.json["current_status"] == "collected"


def test_home_visit_books_a_window_within_daily_capacity(world, client):
    """Home windows come from the region; once the day's capacity is used the day is not offered."""
    world.region(daily_capacity=1)
    _, a = world.patient_login()
    _, b = world.patient_login()
    windows = openings(client, a, kind="home")
    assert windows and all(w["places_left"] == 1 for w in windows)
    first = windows[0]
    assert (
        datetime.fromisoformat(first["ends_at"]) - datetime.fromisoformat(first["starts_at"])
    ) == timedelta(hours=2)
    created = book(client, a, kind="home", starts_at=first["starts_at"])
    assert created.status_code == 201 and created.json["region"] is not None
    assert openings(client, b, kind="home") == []
    assert book(client, b, kind="home", starts_at=windows[-1]["starts_at"]).status_code == 409


def test_provider_visit_carries_the_copay_notice(world, client):
    """A provider visit is 'requested' with the co-pay notice; no provider on file is 422."""
    _, headers = world.patient_login()
    when = datetime.combine(future_day(), datetime.min.time(), UTC) + timedelta(hours=15)
    created = book(client, headers, kind="provider", starts_at=when.isoformat())
    assert created.status_code == 201
    assert created.json["status"] == "requested" and "co-pay" in created.json["notice"]
    _, without = world.patient_login(provider=False)
    assert book(client, without, kind="provider", starts_at=when.isoformat()).status_code == 422


def test_staff_book_on_behalf_and_list_per_center_and_day(world, client):
    """A coordinator books for a patient and sees the center's bookings of that day."""
    pid = world.patient()
    staff = world.login("coordinator")
    cid = world.center()
    slot = openings(client, staff, kind="service_center", service_center_id=cid, patient_id=pid)[0]
    created = book(
        client,
        staff,
        patient_id=pid,
        kind="service_center",
        service_center_id=cid,
        starts_at=slot["starts_at"],
    )
    assert created.status_code == 201 and created.json["patient_id"] == pid
    listed = client.get(
        "/api/v1/bookings",
        headers=staff,
        query_string={"service_center_id": cid, "date": slot["local_start"][:10]},
    )
    assert [b["id"] for b in listed.json] == [created.json["id"]]
    other_day = client.get(
        "/api/v1/bookings", headers=staff, query_string={"service_center_id": cid, "date": "2031-01-01"}
    )
    assert other_day.json == []
    assert (
        book(client, staff, kind="provider", starts_at=slot["starts_at"]).status_code == 404
    )  # no patient_id


def test_patient_cannot_touch_another_patients_booking(world, client, center_setup):
    """Another patient's booking is 404 for read, reschedule and cancel."""
    _, headers, cid, slot = center_setup
    created = book(
        client, headers, kind="service_center", service_center_id=cid, starts_at=slot["starts_at"]
    ).json
    _, other = world.patient_login()
    url = f"/api/v1/bookings/{created['id']}"
    assert client.get(url, headers=other).status_code == 404
    assert client.patch(url, json={"starts_at": slot["starts_at"]}, headers=other).status_code == 404
    assert client.post(url + "/cancel", json={}, headers=other).status_code == 404
    assert client.get("/api/v1/bookings", headers=other).json == []
