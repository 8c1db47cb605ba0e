"""Coordinators adjust a plan: checked changes, overrides, pins kept by the engine, ETags, audit, re-optimization."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from booking.extensions import db
from dispatch.models import ShiftException
from tests.dispatch_service.conftest import get_plan, plan_now, publish, stops_of, wait_for

MIDTOWN = (40.7484, -73.9857)
BROOKLYN = (40.6782, -73.9442)


def change(client, headers, plan, **body):
    return client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/changes",
        json=body,
        headers={**headers, "If-Match": plan["etag"]},
    )


def reoptimize(client, headers, plan, time_limit=0.5):
    response = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/reoptimize",
        json={"time_limit": time_limit},
        headers={**headers, "If-Match": plan["etag"]},
    )
    assert response.status_code == 202, response.json
    job = wait_for(client, headers, response.json)
    assert job["status"] == "succeeded", job
    return get_plan(client, headers, plan["id"]), job


@pytest.fixture
def two_techs(client, coordinator, field):
    """A midtown and a Brooklyn technician, with visits near each."""
    mid = field.technician(home=MIDTOWN, first_name="Mia")
    bk = field.technician(home=BROOKLYN, first_name="Bo")
    visits = {
        "mid8": field.booking(hour=8),
        "mid12": field.booking(hour=12, at=(40.7527, -73.9772)),
        "bk10": field.booking(hour=10, at=(40.6800, -73.9450)),
    }
    plan = plan_now(client, coordinator, field)
    return mid, bk, visits, plan


def test_move_that_breaks_a_window_is_refused_with_violations(client, coordinator, field):
    """Putting a 10:00 visit after a 14:00 one on the same route is 409 with a time_window violation."""
    tech = field.technician()
    early, late = field.booking(hour=10, minutes=60), field.booking(hour=14, minutes=60)
    plan = plan_now(client, coordinator, field)
    response = change(
        client, coordinator, plan, action="move", booking_id=early, technician_id=tech, position=1
    )
    assert response.status_code == 409
    assert {v["kind"] for v in response.json["errors"]["violations"]} == {"time_window"}
    after = get_plan(client, coordinator, plan["id"])
    assert after["revision"] == plan["revision"] and stops_of(after) == stops_of(plan)
    forced = change(
        client,
        coordinator,
        plan,
        action="move",
        booking_id=early,
        technician_id=tech,
        position=1,
        override=True,
        reason="patient asked for later",
    )
    assert forced.status_code == 200
    assert [s["booking_id"] for s in forced.json["routes"][0]["stops"]] == [late, early]
    audit = client.get(f"/api/v1/dispatch/plans/{plan['id']}/audit", headers=coordinator).json[-1]
    assert audit["action"] == "move" and audit["detail"]["override"] is True
    assert audit["detail"]["before"]["position"] == 0 and audit["detail"]["after"]["position"] == 1
    assert audit["detail"]["violations"][0]["kind"] == "time_window" and audit["actor_id"] is not None


def test_a_refused_move_names_the_visit_the_technician_and_the_times_as_fields(client, coordinator, field):
    """The 409's violation carries the booking, the technician, the start it
    would have and the window it misses as fields, not only in its message;
    the plan's version and audit keep the same fields after an override."""
    tech = field.technician()
    early, late = field.booking(hour=10, minutes=60), field.booking(hour=14, minutes=60)
    plan = plan_now(client, coordinator, field)
    response = change(
        client, coordinator, plan, action="move", booking_id=early, technician_id=tech, position=1
    )
    assert response.status_code == 409
    (violation,) = response.json["errors"]["violations"]
    assert violation["kind"] == "time_window"
    assert violation["booking_id"] == early and violation["technician_id"] == tech
    (window,) = violation["windows"]
    starts_at = datetime.fromisoformat(violation["time"])
    assert starts_at > datetime.fromisoformat(window["local_end"])
    assert datetime.fromisoformat(violation["limit"]) == datetime.fromisoformat(window["local_end"])
    assert starts_at.utcoffset() is not None  # a local date-time, not seconds
    forced = change(
        client,
        coordinator,
        plan,
        action="move",
        booking_id=early,
        technician_id=tech,
        position=1,
        override=True,
    )
    assert forced.json["version"]["stats"]["violations"] == [violation]
    audit = client.get(f"/api/v1/dispatch/plans/{plan['id']}/audit", headers=coordinator).json[-1]
    assert audit["detail"]["violations"] == [violation] and late in stops_of(forced.json)


def test_stale_etag_cannot_overwrite_a_concurrent_edit(client, coordinator, world, two_techs):
    """Two coordinators edit from the same ETag: the first wins, the second gets 412 and changes nothing."""
    mid, bk, visits, plan = two_techs
    other = world.login("coordinator")
    first = change(client, coordinator, plan, action="pin", booking_id=visits["mid8"])
    assert first.status_code == 200
    second = change(client, other, plan, action="unassign", booking_id=visits["mid12"])
    assert second.status_code == 412 and second.content_type == "application/problem+json"
    now = get_plan(client, coordinator, plan["id"])
    assert visits["mid12"] in stops_of(now) and now["revision"] == plan["revision"] + 1
    assert (
        change(client, coordinator, {**plan, "etag": ""}, action="pin", booking_id=visits["mid8"]).status_code
        == 428
    )


def test_pinned_visit_stays_with_its_technician_when_reoptimizing(client, coordinator, two_techs):
    """A Brooklyn visit moved to the midtown technician and pinned stays there after re-optimization."""
    mid, bk, visits, plan = two_techs
    assert stops_of(plan)[visits["bk10"]][0] == bk
    moved = change(
        client, coordinator, plan, action="move", booking_id=visits["bk10"], technician_id=mid, position=1
    )
    assert moved.status_code == 200, moved.json
    pinned = change(client, coordinator, moved.json, action="pin", booking_id=visits["bk10"])
    assert pinned.status_code == 200, pinned.json
    plan = pinned.json
    assert stops_of(plan)[visits["bk10"]][0] == mid
    after, _ = reoptimize(client, coordinator, plan)
    assert stops_of(after)[visits["bk10"]][0] == mid
    pinned = [s for r in after["routes"] for s in r["stops"] if s["booking_id"] == visits["bk10"]]
    assert pinned[0]["pinned"] is True
    unpinned = change(client, coordinator, after, action="unpin", booking_id=visits["bk10"])
    assert unpinned.status_code == 200
    freed, _ = reoptimize(client, coordinator, get_plan(client, coordinator, plan["id"]))
    assert stops_of(freed)[visits["bk10"]][0] == bk  # without the pin the engine takes it back to Brooklyn


def test_unavailable_technician_loses_the_day_and_reoptimize_reassigns(app, client, coordinator, two_techs):
    """Marking a technician unavailable unassigns their visits with that reason; re-optimizing serves them."""
    mid, bk, visits, plan = two_techs
    response = change(
        client, coordinator, plan, action="technician_unavailable", technician_id=bk, reason="car broke down"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert all(r["technician"]["id"] != bk for r in body["routes"])
    assert {u["booking_id"]: u["reason"] for u in body["unassigned"]} == {
        visits["bk10"]: "technician_unavailable"
    }
    with app.app_context():
        assert (
            db.session.scalar(db.select(ShiftException.kind).where(ShiftException.technician_id == bk))
            == "unavailable"
        )
    after, _ = reoptimize(client, coordinator, get_plan(client, coordinator, plan["id"]))
    assert stops_of(after)[visits["bk10"]][0] == mid and after["unassigned"] == []


def test_late_booking_is_added_where_it_fits(client, coordinator, field, two_techs):
    """A booking made after planning is listed as not yet planned, then added to a route by add_booking."""
    mid, bk, visits, plan = two_techs
    late = field.booking(hour=14, at=(40.7500, -73.9800))
    edited = change(client, coordinator, plan, action="pin", booking_id=visits["mid8"]).json
    assert {u["booking_id"]: u["reason"] for u in edited["unassigned"]}[late] == "not_yet_planned"
    added = change(client, coordinator, edited, action="add_booking", booking_id=late)
    assert added.status_code == 200, added.json
    assert late in stops_of(added.json) and added.json["unassigned"] == []


def test_reoptimizing_a_published_plan_keeps_windows_and_reports_changes(
    client, coordinator, field, two_techs
):
    """Re-optimizing an unchanged published plan changes no published arrival window, and says so."""
    mid, bk, visits, plan = two_techs
    published = publish(client, coordinator, plan)
    windows = {s["booking_id"]: s["arrival_window"] for r in published["routes"] for s in r["stops"]}
    after, job = reoptimize(client, coordinator, get_plan(client, coordinator, plan["id"]))
    assert job["summary"]["changed_windows"] == 0
    assert {s["booking_id"]: s["arrival_window"] for r in after["routes"] for s in r["stops"]} == windows
    assert (
        after["version"]["status"] == "draft" and after["published_version"] == published["version"]["number"]
    )


def test_moving_to_a_technician_off_shift_is_422(client, coordinator, field, two_techs, app):
    """A technician with no shift that day cannot receive a visit."""
    mid, bk, visits, plan = two_techs
    off = field.technician(starts=time(8, 0), ends=time(9, 0))
    with app.app_context():
        db.session.add(ShiftException(technician_id=off, day=field.day, kind="sick"))
        db.session.commit()
    response = change(client, coordinator, plan, action="move", booking_id=visits["mid8"], technician_id=off)
    assert response.status_code == 422 and "not on shift" in response.json["detail"]


def test_simultaneous_edits_over_http_one_wins_one_gets_412(live_server, coordinator, two_techs):
    """Two edits sent at the same moment with the same ETag: exactly one applies, the other is 412."""
    import threading

    import requests

    mid, bk, visits, plan = two_techs
    url = f"{live_server}/api/v1/dispatch/plans/{plan['id']}/changes"
    barrier, answers = threading.Barrier(2), []

    def send(body):
        barrier.wait()
        answers.append(
            requests.post(url, json=body, headers={**coordinator, "If-Match": plan["etag"]}, timeout=60)
        )

    bodies = [
        {"action": "pin", "booking_id": visits["mid8"]},
        {"action": "unassign", "booking_id": visits["mid12"]},
    ]
    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 412]
    audit = requests.get(
        f"{live_server}/api/v1/dispatch/plans/{plan['id']}/audit", headers=coordinator
    ).json()
    assert len([a for a in audit if a["action"] in ("pin", "unassign")]) == 1
