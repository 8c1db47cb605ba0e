"""Planning a day through the API and the CLI: jobs, stored versions, publishing, what patients see."""

from __future__ import annotations

from booking.extensions import db
from booking.models import Booking
from dispatch.models import DispatchPlan, PlanVersion
from tests.dispatch_service.conftest import get_plan, plan_now, publish, stops_of, wait_for

EAST = (40.7580, -73.9700)
WEST = (40.7590, -74.0000)


def test_plan_job_stores_a_draft_that_serves_every_feasible_visit(client, coordinator, field):
    """A job plans the day: each booking is routed once, inside its window, ending at the lab before cutoff."""
    tech = field.technician()
    ids = [field.booking(hour=h, at=p) for h, p in ((8, EAST), (10, WEST), (12, EAST), (14, WEST))]
    plan = plan_now(client, coordinator, field)
    assert plan["version"]["status"] == "draft" and plan["published_version"] is None
    assert sorted(stops_of(plan)) == sorted(ids) and plan["unassigned"] == []
    route = plan["routes"][0]
    assert route["technician"]["id"] == tech
    for stop in route["stops"]:
        assert (
            stop["booked_window"]["local_start"]
            <= stop["service_start"]
            <= stop["booked_window"]["local_end"]
        )
        assert stop["booked_window"]["local_start"] <= stop["arrival_window"]["local_start"]
        assert stop["arrival_window"]["local_end"] <= stop["booked_window"]["local_end"]
    assert route["lab_drop"]["planned_arrival"][11:16] <= "17:00"
    assert plan["version"]["stats"]["served"] == 4 and plan["version"]["stats"]["drive_seconds"] > 0


def test_unservable_visit_is_listed_with_its_reason(client, coordinator, field):
    """A visit no technician has the skills for is unassigned with reason no_skill, not dropped silently."""
    field.technician(skills=("urine_only",))
    booking = field.booking(hour=10)
    plan = plan_now(client, coordinator, field)
    assert plan["routes"] == []
    assert plan["unassigned"][0]["booking_id"] == booking and plan["unassigned"][0]["reason"] == "no_skill"


def test_publishing_assigns_bookings_and_shows_patients_the_technician(client, coordinator, field, world):
    """After publishing, the booking is assigned and shows the technician's first name and an arrival window."""
    field.technician(first_name="Rosa")
    booking_id = field.booking(hour=10)
    booking = client.get(f"/api/v1/bookings/{booking_id}", headers=coordinator).json
    assert booking["technician_first_name"] is None and booking["arrival_window"] is None
    plan = plan_now(client, coordinator, field)
    draft = client.get(f"/api/v1/bookings/{booking_id}", headers=coordinator).json
    assert draft["technician_first_name"] is None  # a draft is not shown to patients
    publish(client, coordinator, plan)
    shown = client.get(f"/api/v1/bookings/{booking_id}", headers=coordinator).json
    assert shown["status"] == "assigned" and shown["technician_first_name"] == "Rosa"
    window = shown["arrival_window"]
    assert shown["local_start"] <= window["local_start"] < window["local_end"] <= shown["local_end"]


def test_publish_needs_the_current_etag(client, coordinator, field):
    """Publishing without If-Match is 428, with a stale ETag 412, and nothing is published."""
    field.technician()
    field.booking()
    plan = plan_now(client, coordinator, field)
    url = f"/api/v1/dispatch/plans/{plan['id']}/publish"
    assert client.post(url, headers=coordinator).status_code == 428
    stale = client.post(url, headers={**coordinator, "If-Match": '"plan-1-r0"'})
    assert stale.status_code == 412 and stale.content_type == "application/problem+json"
    assert get_plan(client, coordinator, plan["id"])["published_version"] is None


def test_failed_job_keeps_the_previous_plan_and_says_why(client, coordinator, field, app, monkeypatch):
    """A solve that crashes marks the job failed with the reason; the current version is unchanged."""
    import dispatch.service

    field.technician()
    field.booking()
    plan = plan_now(client, coordinator, field)

    def crash(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(dispatch.service, "solve_day", crash)
    response = client.post(
        "/api/v1/dispatch/plans",
        headers=coordinator,
        json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": 1},
    )
    job = wait_for(client, coordinator, response.json)
    assert job["status"] == "failed" and "solver exploded" in job["error"]
    after = get_plan(client, coordinator, plan["id"])
    assert after["current_version"] == plan["current_version"] and after["routes"] == plan["routes"]


def test_overdue_job_is_failed_as_timed_out(client, coordinator, field, app):
    """A running job past its limit and grace is reported failed (timed out), and a late result is discarded."""
    from datetime import timedelta

    from booking.db_types import utcnow
    from dispatch import jobs
    from dispatch.models import DispatchJob

    with app.app_context():
        region = field.region()
        job_id = "00000000-0000-0000-0000-000000000001"
        job = DispatchJob(
            id=job_id,
            kind="solve",
            region_id=region.id,
            day=field.day,
            status="running",
            backend="thread",
            time_limit=1.0,
            started_at=utcnow() - timedelta(seconds=120),
        )
        db.session.add(job)
        db.session.commit()
    body = client.get(f"/api/v1/dispatch/jobs/{job_id}", headers=coordinator).json
    assert body["status"] == "failed" and body["error"].startswith("timed out")
    with app.app_context():
        jobs.run_job(job_id)  # a late start of the same job does nothing
        assert db.session.get(DispatchJob, job_id).status == "failed"
        assert db.session.scalar(db.select(db.func.count(PlanVersion.id))) == 0


def test_cli_plans_and_publishes_a_day(app, field):
    """`flask dispatch plan --date D --region R --publish` stores and publishes a version."""
    field.technician()
    booking_id = field.booking(hour=12)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "dispatch",
            "plan",
            "--date",
            field.day.isoformat(),
            "--region",
            str(field.region_id),
            "--time-limit",
            "1",
            "--publish",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "1/1 visits served" in result.output and "published version 1" in result.output
    with app.app_context():
        plan = db.session.scalar(db.select(DispatchPlan))
        assert plan.published_number == 1
        assert db.session.get(Booking, booking_id).status == "assigned"


def test_planning_input_is_validated(client, coordinator, world, field):
    """Unknown fields, bad dates and unknown regions are 422 problems; patients and technicians get 403."""
    bad = [
        {"date": "2030-13-01", "region_id": field.region_id},
        {"date": field.day.isoformat(), "region_id": field.region_id, "colour": "red"},
        {"date": field.day.isoformat(), "region_id": 999999},
        {"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": 0},
    ]
    for body in bad:
        response = client.post("/api/v1/dispatch/plans", headers=coordinator, json=body)
        assert response.status_code == 422, body
        assert response.content_type == "application/problem+json"
    for role in ("patient", "technician"):
        response = client.post("/api/v1/dispatch/plans", headers=world.login(role), json=bad[0])
        assert response.status_code == 403


def test_plan_times_are_right_on_both_dst_days(client, coordinator, field):
    """On the US spring-forward and fall-back Sundays, stops start inside the booked local window and shift."""
    from datetime import date, time

    field.technician(starts=time(8, 0), ends=time(17, 0), weekdays=range(7))
    for day, offset in ((date(2027, 3, 14), "-04:00"), (date(2027, 11, 7), "-05:00")):
        field.day = day
        booking = field.booking(hour=8, minutes=60)
        plan = plan_now(client, coordinator, field)
        stop = next(s for r in plan["routes"] for s in r["stops"] if s["booking_id"] == booking)
        assert stop["service_start"].endswith(offset)
        assert "08:00" <= stop["service_start"][11:16] <= "09:00"
        assert plan["routes"][0]["local_start"][11:16] >= "08:00"  # not an hour early or late
