"""The nurses' outreach worklist: who is on it, in which order, and what settles each reason."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Patient
from booking.program import outreach
from booking.program.models import NotificationPreference
from booking.program.outreach_models import ContactAttempt, OutreachItem, SymptomCheckin
from tests.conftest import future_day

DEC_15 = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
DEC_28 = datetime(2026, 12, 28, 15, 0, tzinfo=UTC)
JAN_10 = datetime(2027, 1, 10, 15, 0, tzinfo=UTC)


def completed_visit(app, patient_id: int, month: date, status: str = "collected") -> None:
    """A visit of ``month`` that already happened (written directly: it is history, not a booking)."""
    with app.app_context():
        db.session.add(
            Booking(
                patient_id=patient_id,
                kind="service_center",
                status=status,
                monitoring_month=month,
                starts_at=datetime(month.year, month.month, 5, 14, 0, tzinfo=UTC),
                time_zone="America/New_York",
            )
        )
        db.session.commit()


def escalate(app, at: datetime) -> int:
    with app.app_context():
        raised = outreach.escalate(at)
        db.session.commit()
        return raised


def worklist(client, headers, **query):
    response = client.get("/api/v1/outreach/worklist", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response


def ids(response) -> list[int]:
    return [row["patient_id"] for row in response.json]


def all_answers_no(client, headers, pid: int, **yes) -> dict:
    questions = client.get("/api/v1/checkins/questions", headers=headers).json["questions"]
    answers = [{"question_id": q["id"], "answer": q["id"] in yes} for q in questions]
    return client.post(f"/api/v1/patients/{pid}/checkins", json={"answers": answers}, headers=headers)


@pytest.fixture
def nurse(world):
    return world.login("coordinator")


def test_an_overdue_patient_is_put_on_the_worklist_once_per_month(app, world, client, nurse):
    """Escalation lists a patient with their overdue months; a second run in the month raises nothing."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 9, 1))
    assert escalate(app, DEC_15) == 1
    assert escalate(app, DEC_15 + timedelta(hours=1)) == 0
    row = worklist(client, nurse).json[0]
    assert row["patient_id"] == pid and row["reasons"] == ["overdue"]
    assert row["overdue_months"] == 2 and row["overdue_since"] == "2026-10"
    assert row["patient_number"] == f"P-{pid:06d}"
    assert escalate(app, JAN_10) == 1  # a new month: December is overdue too now
    assert worklist(client, nurse).json[0]["overdue_months"] == 3


def test_a_patient_who_is_tested_or_booked_is_not_escalated(app, world, client, nurse):
    """Nobody is listed whose last month is done, or who has a visit booked ahead."""
    tested = world.patient()
    completed_visit(app, tested, date(2026, 11, 1))
    booked = world.patient()
    completed_visit(app, booked, date(2026, 9, 1), status="confirmed")  # a past visit that never happened
    completed_visit(app, booked, date(2026, 12, 1), status="confirmed")
    escalate(app, DEC_15)
    assert ids(worklist(client, nurse)) == []


def test_a_reason_that_no_longer_holds_is_cleared_by_the_next_run(app, world, client, nurse):
    """A patient tested since the last run leaves the worklist at the next run."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 9, 1))
    escalate(app, DEC_15)
    completed_visit(app, pid, date(2026, 11, 1))
    escalate(app, DEC_15 + timedelta(hours=1))
    assert ids(worklist(client, nurse)) == []


def test_nothing_booked_near_the_end_of_a_due_month_lists_the_patient(app, world, client, nurse):
    """In the last days of a month with nothing booked, the patient is listed as due."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 11, 1))
    escalate(app, DEC_15)
    assert ids(worklist(client, nurse)) == []  # mid-month: still time
    escalate(app, DEC_28)
    row = worklist(client, nurse).json[0]
    assert row["reasons"] == ["due_unbooked"] and row["due_month"] == "2026-12"


def test_ranking_puts_red_flags_first_then_months_overdue_then_due(app, world, client, nurse):
    """Red flag above everyone; more months overdue above fewer; a due month below any overdue."""
    due = world.patient()
    completed_visit(app, due, date(2026, 11, 1))
    one = world.patient()
    completed_visit(app, one, date(2026, 10, 1))
    many = world.patient()
    completed_visit(app, many, date(2026, 5, 1))
    flagged, patient_headers = world.patient_login()
    completed_visit(app, flagged, date(2026, 11, 1))
    escalate(app, DEC_28)
    assert all_answers_no(client, patient_headers, flagged, coughing_blood=True).status_code == 201
    response = worklist(client, nurse)
    assert ids(response) == [flagged, many, one, due]
    assert response.json[0]["urgent"] is True and response.json[0]["reasons"][0] == "red_flag"


def test_a_next_attempt_date_not_reached_moves_the_patient_down(app, world, client, nurse):
    """Left a voicemail with a next attempt later: listed below patients with fewer overdue months."""
    waiting = world.patient()
    completed_visit(app, waiting, date(2026, 5, 1))
    other = world.patient()
    completed_visit(app, other, date(2026, 10, 1))
    escalate(app, DEC_15)
    assert ids(worklist(client, nurse)) == [waiting, other]
    later = (date.today() + timedelta(days=3)).isoformat()
    logged = client.post(
        f"/api/v1/outreach/patients/{waiting}/attempts",
        json={"outcome": "voicemail", "note": "left a message", "next_attempt_on": later},
        headers=nurse,
    )
    assert logged.status_code == 201 and logged.json["outcome"] == "voicemail"
    response = worklist(client, nurse)
    assert ids(response) == [other, waiting]
    assert response.json[1]["waiting"] is True and response.json[1]["last_outcome"] == "voicemail"


def test_never_contacted_comes_before_recently_contacted(app, world, client, nurse):
    """Between equally overdue patients, the one nobody has called yet comes first."""
    called = world.patient()
    uncalled = world.patient()
    for pid in (called, uncalled):
        completed_visit(app, pid, date(2026, 10, 1))
    escalate(app, DEC_15)
    client.post(f"/api/v1/outreach/patients/{called}/attempts", json={"outcome": "no_answer"}, headers=nurse)
    assert ids(worklist(client, nurse)) == [uncalled, called]


def test_declined_settles_the_month_until_the_next_one(app, world, client, nurse):
    """A patient who declines leaves the list; the job does not raise the same month again."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 10, 1))
    escalate(app, DEC_15)
    client.post(f"/api/v1/outreach/patients/{pid}/attempts", json={"outcome": "declined"}, headers=nurse)
    assert ids(worklist(client, nurse)) == []
    assert escalate(app, DEC_15 + timedelta(days=1)) == 0
    assert ids(worklist(client, nurse)) == []
    escalate(app, JAN_10)
    assert ids(worklist(client, nurse)) == [pid]


def test_booking_for_the_patient_closes_the_item_and_logs_the_call(app, world, client, nurse):
    """A coordinator's booking settles the overdue reason and is logged as a 'booked' attempt."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 10, 1))
    escalate(app, DEC_15)
    when = datetime.combine(future_day(), datetime.min.time(), UTC) + timedelta(hours=15)
    created = client.post(
        "/api/v1/bookings",
        json={"kind": "provider", "patient_id": pid, "starts_at": when.isoformat()},
        headers=nurse,
    )
    assert created.status_code == 201
    assert ids(worklist(client, nurse)) == []
    with app.app_context():
        attempt = db.session.scalars(db.select(ContactAttempt)).one()
        assert attempt.outcome == "booked" and attempt.booking_id == created.json["id"]
        assert db.session.get(OutreachItem, pid).last_kind == "provider"


def test_booking_keeps_a_red_flag_until_a_nurse_reaches_the_patient(app, world, client, nurse):
    """A lab visit does not answer a warning sign: the red flag stays until someone speaks to them."""
    pid, patient_headers = world.patient_login()
    all_answers_no(client, patient_headers, pid, swelling=True)
    when = datetime.combine(future_day(), datetime.min.time(), UTC) + timedelta(hours=15)
    client.post(
        "/api/v1/bookings", json={"kind": "provider", "starts_at": when.isoformat()}, headers=patient_headers
    )
    assert ids(worklist(client, nurse)) == [pid]
    reached = client.post(
        f"/api/v1/outreach/patients/{pid}/attempts",
        json={"outcome": "reached", "note": "advised to see provider today"},
        headers=nurse,
    )
    assert reached.status_code == 201
    assert ids(worklist(client, nurse)) == []
    with app.app_context():
        checkin = db.session.scalars(db.select(SymptomCheckin)).one()
        assert checkin.acknowledged_at is not None and checkin.acknowledged_by_id is not None


def test_a_voicemail_does_not_acknowledge_a_red_flag(app, world, client, nurse):
    """Only speaking to the patient acknowledges a red flag; a voicemail leaves it at the top."""
    pid, patient_headers = world.patient_login()
    all_answers_no(client, patient_headers, pid, blood_in_urine=True)
    client.post(f"/api/v1/outreach/patients/{pid}/attempts", json={"outcome": "voicemail"}, headers=nurse)
    row = worklist(client, nurse).json[0]
    assert row["patient_id"] == pid and row["urgent"] is True


def test_filters_by_reason_language_region_and_kind(app, world, client, nurse):
    """Each filter narrows the list to the patients it names."""
    region = world.region()
    near = world.patient()
    far = world.patient(home=(34.05, -118.24), tz="America/Los_Angeles")
    completed_visit(app, near, date(2026, 10, 1))
    completed_visit(app, far, date(2026, 10, 1))
    with app.app_context():
        db.session.add(NotificationPreference(patient_id=far, language="es"))
        db.session.commit()
    escalate(app, DEC_15)
    assert ids(worklist(client, nurse, region_id=region)) == [near]
    assert ids(worklist(client, nurse, language="es")) == [far]
    assert ids(worklist(client, nurse, kind="service_center")) == sorted([near, far])
    assert ids(worklist(client, nurse, kind="home")) == []
    assert ids(worklist(client, nurse, reason="red_flag")) == []
    assert sorted(ids(worklist(client, nurse, reason="overdue"))) == sorted([near, far])


def test_the_worklist_is_paginated(app, world, client, nurse):
    """Pages of the requested size, with the total in the X-Pagination header."""
    for _ in range(3):
        completed_visit(app, world.patient(), date(2026, 10, 1))
    escalate(app, DEC_15)
    first = worklist(client, nurse, page=1, page_size=2)
    second = worklist(client, nurse, page=2, page_size=2)
    assert len(first.json) == 2 and len(second.json) == 1
    assert '"total": 3' in first.headers["X-Pagination"]
    assert not set(ids(first)) & set(ids(second))


def test_namesakes_are_told_apart_by_number_and_date_of_birth(app, world, client, nurse):
    """Two patients with the same name show different patient numbers and dates of birth."""
    twins = [world.patient(), world.patient()]
    with app.app_context():
        for pid, born in zip(twins, (date(1980, 3, 1), date(1991, 7, 9)), strict=True):
            patient = db.session.get(Patient, pid)
            patient.first_name, patient.last_name, patient.date_of_birth = "Ana", "Garcia", born
        db.session.commit()
    for pid in twins:
        completed_visit(app, pid, date(2026, 10, 1))
    escalate(app, DEC_15)
    rows = worklist(client, nurse).json
    assert {r["name"] for r in rows} == {"Ana Garcia"}
    assert {r["patient_number"] for r in rows} == {f"P-{twins[0]:06d}", f"P-{twins[1]:06d}"}
    assert {r["date_of_birth"] for r in rows} == {"1980-03-01", "1991-07-09"}


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "shouted"},
        {"note": "no outcome"},
        {"outcome": "reached", "next_attempt_on": "tomorrow"},
        {"outcome": "reached", "note": "x" * 2001},
        {"outcome": "reached", "patient_id": 3},
    ],
)
def test_a_bad_attempt_is_a_problem_and_writes_nothing(app, world, client, nurse, body):
    """Invalid attempts are 422 problem+json and leave no row behind."""
    pid = world.patient()
    response = client.post(f"/api/v1/outreach/patients/{pid}/attempts", json=body, headers=nurse)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ContactAttempt.id))) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/outreach/worklist"),
        ("get", "/api/v1/outreach/patients/{pid}/attempts"),
        ("post", "/api/v1/outreach/patients/{pid}/attempts"),
    ],
)
@pytest.mark.parametrize("role", ["patient", "technician"])
def test_only_staff_use_the_worklist(world, client, method, path, role):
    """Patients and technicians are refused the worklist and the contact log (403)."""
    pid = world.patient()
    kwargs = {"patient_id": pid} if role == "patient" else {}
    headers = world.login(role, **kwargs)
    response = getattr(client, method)(path.format(pid=pid), json={"outcome": "reached"}, headers=headers)
    assert response.status_code == 403


def test_worklist_answers_are_not_cached(world, client, nurse):
    """The worklist carries patient data: Cache-Control is no-store."""
    assert worklist(client, nurse).headers["Cache-Control"] == "no-store"


def test_the_escalation_runs_from_the_scheduler_tick(app, world):
    """`flask program tick --at` runs the escalation with the other periodic jobs."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 10, 1))
    result = app.test_cli_runner().invoke(args=["program", "tick", "--at", "2026-12-15T15:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "overdue_escalation 1" in result.output
    with app.app_context():
        assert db.session.get(OutreachItem, pid).overdue_months == 1


def test_no_patient_names_reach_the_logs(app, world, client, nurse, caplog):
    """Escalating and logging a call writes no patient name to the logs."""
    pid = world.patient()
    completed_visit(app, pid, date(2026, 10, 1))
    escalate(app, DEC_15)
    client.post(f"/api/v1/outreach/patients/{pid}/attempts", json={"outcome": "reached"}, headers=nurse)
    with app.app_context():
        name = db.session.get(Patient, pid).last_name
    assert name not in caplog.text


def test_two_escalation_runs_at_once_raise_each_reason_once(app, world, client, nurse):
    """Two job runs racing (separate connections) raise each patient's month once between them."""
    pids = [world.patient() for _ in range(4)]
    for pid in pids:
        completed_visit(app, pid, date(2026, 9, 1))
    start = threading.Barrier(2, timeout=30)
    counts: list[int] = []

    def run() -> None:
        with app.app_context():
            start.wait()
            counts.append(outreach.escalate(DEC_15))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == 4 and len(counts) == 2
    rows = worklist(client, nurse).json
    assert sorted(ids_ := [r["patient_id"] for r in rows]) == sorted(pids) and len(ids_) == 4
    assert {r["overdue_months"] for r in rows} == {2}


def test_a_retried_contact_attempt_is_logged_once(app, world, client, nurse):
    """The same Idempotency-Key twice logs one attempt and returns it both times."""
    pid = world.patient()
    keyed = {**nurse, "Idempotency-Key": "call-1"}
    first = client.post(
        f"/api/v1/outreach/patients/{pid}/attempts", json={"outcome": "reached"}, headers=keyed
    )
    again = client.post(
        f"/api/v1/outreach/patients/{pid}/attempts", json={"outcome": "reached"}, headers=keyed
    )
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ContactAttempt.id))) == 1
