"""Symptom check-ins: the question set, what a warning sign triggers, who may see what, the invitation."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from booking import program
from booking.extensions import db
from booking.models import Patient, User
from booking.program import checkin_questions, checkins
from booking.program.models import NotificationPreference, OutboxMessage
from booking.program.outreach_models import OutreachItem, ProgramEvent, SymptomCheckin

DEC_15 = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)


def answer(client, headers, pid: int, *yes: str, skip: tuple[str, ...] = ()):
    """Answer the default set: ``yes`` to the named questions, no to the rest."""
    questions = client.get("/api/v1/checkins/questions", headers=headers).json["questions"]
    answers = [{"question_id": q["id"], "answer": q["id"] in yes} for q in questions if q["id"] not in skip]
    return client.post(f"/api/v1/patients/{pid}/checkins", json={"answers": answers}, headers=headers)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_the_default_questions_cover_the_medication_guides_warning_signs(world, client):
    """Bleeding and bruising, periods, urine, swelling, coughing blood, thyroid signs and skin changes."""
    _, headers = world.patient_login()
    body = client.get("/api/v1/checkins/questions", headers=headers).json
    text = " ".join(q["text"].lower() for q in body["questions"])
    for sign in (
        "bruising",
        "bleeding gums",
        "nosebleeds",
        "periods",
        "urine",
        "pink",
        "brown",
        "swollen",
        "coughed up blood",
        "heartbeat",
        "sweating",
        "weight",
        "nervous",
        "mole",
    ):
        assert sign in text, sign
    assert all(q["red_flag"] for q in body["questions"])


def test_an_all_clear_check_in_needs_no_action(app, world, client):
    """No warning sign: thanked, no red flag, nothing on the worklist, nothing audited."""
    pid, headers = world.patient_login()
    response = answer(client, headers, pid)
    assert response.status_code == 201
    assert response.json["red_flag"] is False and response.json["severity"] == "none"
    assert "Thank you" in response.json["advice"]
    assert count(app, OutreachItem) == 0 and count(app, ProgramEvent) == 0


def test_a_warning_sign_says_call_the_provider_now_and_raises_an_urgent_task(app, world, client):
    """Yes to bruising: told to call the provider now, urgent worklist item, audit event with the answers."""
    pid, headers = world.patient_login()
    response = answer(client, headers, pid, "bruising_bleeding")
    assert response.status_code == 201
    body = response.json
    assert body["red_flag"] is True and body["severity"] == "call_provider"
    assert body["red_flags"] == ["bruising_bleeding"]
    assert "Call your healthcare provider now" in body["advice"] and body["provider_phone"] == "555-0199"
    with app.app_context():
        item = db.session.get(OutreachItem, pid)
        assert item.red_flag_checkin_id == body["id"]
        event = db.session.scalars(db.select(ProgramEvent)).one()
        checkin = db.session.get(SymptomCheckin, body["id"])
        assert event.action == "red_flag" and event.actor_id == checkin.submitted_by_id is not None
        assert {"id": "bruising_bleeding", "answer": True} in event.detail["answers"]
        assert event.at is not None


@pytest.mark.parametrize("sign", ["coughing_blood", "severe_bleeding"])
def test_coughing_blood_or_severe_bleeding_says_call_911(world, client, sign):
    """The emergency signs send the patient to emergency services, not just their provider."""
    pid, headers = world.patient_login()
    body = answer(client, headers, pid, sign, "swelling").json
    assert body["severity"] == "emergency" and "Call 911" in body["advice"]


def test_a_spanish_speaking_patient_reads_questions_and_advice_in_spanish(app, world, client):
    """The advice follows the patient's language preference."""
    pid, headers = world.patient_login()
    with app.app_context():
        db.session.add(NotificationPreference(patient_id=pid, language="es"))
        db.session.commit()
    body = answer(client, headers, pid, "swelling").json
    assert "Llame ahora a su proveedor" in body["advice"]
    assert body["answers"][0]["question"].startswith("Desde su último control")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"skip": ("swelling",)}, "swelling"),
        ({"extra": {"question_id": "made_up", "answer": True}}, "made_up"),
        ({"extra": {"question_id": "swelling", "answer": False}}, "swelling"),
    ],
)
def test_incomplete_or_unknown_answers_are_refused_and_nothing_is_written(app, world, client, change, field):
    """A missing, unknown or repeated answer is a 422 naming the question; no check-in is stored."""
    pid, headers = world.patient_login()
    questions = client.get("/api/v1/checkins/questions", headers=headers).json["questions"]
    answers = [
        {"question_id": q["id"], "answer": True} for q in questions if q["id"] not in change.get("skip", ())
    ]
    if "extra" in change:
        answers.append(change["extra"])
    response = client.post(f"/api/v1/patients/{pid}/checkins", json={"answers": answers}, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.json["errors"]["answers"]
    assert count(app, SymptomCheckin) == 0 and count(app, OutreachItem) == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"answers": []}, {"answers": [{"question_id": "swelling", "answer": "maybe"}]}, {"answers": "yes"}],
)
def test_malformed_check_ins_are_problems(world, client, body):
    """Schema-invalid bodies are 422 problem+json, never a 500."""
    pid, headers = world.patient_login()
    response = client.post(f"/api/v1/patients/{pid}/checkins", json=body, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_patients_see_only_their_own_check_ins_and_staff_see_anyones(world, client):
    """Another patient's check-ins are 404 to read or write; staff may read and answer for anyone."""
    pid, headers = world.patient_login()
    created = answer(client, headers, pid, "swelling").json
    other, other_headers = world.patient_login()
    assert client.get(f"/api/v1/patients/{pid}/checkins", headers=other_headers).status_code == 404
    assert (
        client.get(f"/api/v1/patients/{pid}/checkins/{created['id']}", headers=other_headers).status_code
        == 404
    )
    assert answer(client, other_headers, pid).status_code == 404
    assert (
        client.get(f"/api/v1/patients/{other}/checkins/{created['id']}", headers=other_headers).status_code
        == 404
    )
    nurse = world.login("coordinator")
    listed = client.get(f"/api/v1/patients/{pid}/checkins", headers=nurse)
    assert listed.status_code == 200 and [c["id"] for c in listed.json] == [created["id"]]
    assert answer(client, nurse, other).status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/checkins/questions"),
        ("get", "/api/v1/patients/{pid}/checkins"),
        ("post", "/api/v1/patients/{pid}/checkins"),
        ("get", "/api/v1/patients/{pid}/skin-checks"),
        ("post", "/api/v1/patients/{pid}/skin-checks"),
    ],
)
def test_technicians_have_no_access_to_check_ins_or_skin_checks(world, client, method, path):
    """Technicians are refused (403) before any input is read."""
    pid = world.patient()
    headers = world.login("technician")
    assert getattr(client, method)(path.format(pid=pid), json={}, headers=headers).status_code == 403


def test_check_in_answers_are_not_cached(world, client):
    """Check-ins carry health data: Cache-Control is no-store."""
    pid, headers = world.patient_login()
    assert answer(client, headers, pid).headers["Cache-Control"] == "no-store"
    assert (
        client.get(f"/api/v1/patients/{pid}/checkins", headers=headers).headers["Cache-Control"] == "no-store"
    )


# --- the question set -----------------------------------------------------------------


def test_a_configured_question_file_replaces_the_default(tmp_path, app):
    """CHECKIN_QUESTIONS_FILE points to a JSON set that is loaded and used."""
    path = tmp_path / "questions.json"
    path.write_text(
        json.dumps(
            {
                "version": "clinic-1",
                "questions": [
                    {"id": "fever", "text": {"en": "Have you had a fever?"}, "red_flag": True},
                    {"id": "tired", "text": {"en": "Have you felt tired?"}, "red_flag": False},
                ],
            }
        )
    )
    questions = checkin_questions.load(str(path))
    assert questions.version == "clinic-1" and [q.id for q in questions.questions] == ["fever", "tired"]
    assert questions.questions[0].severity == "call_provider"


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        json.dumps({"version": "x", "questions": []}),
        json.dumps(
            {"version": "x", "questions": [{"id": "a b", "text": {"en": "Bleeding?"}, "red_flag": True}]}
        ),
        json.dumps(
            {
                "version": "x",
                "questions": [
                    {"id": "same", "text": {"en": "Bleeding?"}, "red_flag": True},
                    {"id": "same", "text": {"en": "Bruising?"}, "red_flag": True},
                ],
            }
        ),
        json.dumps(
            {
                "version": "x",
                "questions": [{"id": "a", "text": {"en": "Bleeding?"}, "red_flag": True, "severity": "low"}],
            }
        ),
    ],
)
def test_a_broken_question_file_stops_the_app_at_start_up(tmp_path, document):
    """Invalid JSON, no questions, a bad id, duplicate ids or an unknown severity: the app refuses to start."""
    path = tmp_path / "questions.json"
    path.write_text(document)
    app = Flask("broken")
    app.config["CHECKIN_QUESTIONS_FILE"] = str(path)
    with pytest.raises(ValueError, match="check-in question set"):
        program.init_app(app)


# --- the monthly invitation -----------------------------------------------------------


def invites(app, patient_id: int) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(OutboxMessage).where(
                    OutboxMessage.patient_id == patient_id, OutboxMessage.type == "checkin_invite"
                )
            )
        )


def run_invites(app, at: datetime) -> int:
    with app.app_context():
        queued = checkins.invite(at)
        db.session.commit()
        return queued


def test_patients_in_monitoring_are_invited_once_a_month(app, world):
    """One invitation per patient and month, whatever the number of runs; again next month."""
    pid = world.patient()
    assert run_invites(app, DEC_15) == 1
    assert run_invites(app, DEC_15 + timedelta(hours=1)) == 0
    [message] = invites(app, pid)
    assert message.channel == "page" and f"/patients/{pid}/check-in" in message.body
    assert run_invites(app, datetime(2027, 1, 2, 15, 0, tzinfo=UTC)) == 1


def test_a_patient_who_checked_in_this_month_or_is_out_of_monitoring_is_not_invited(app, world, client):
    """Checked in already, or the monitoring window is over: no invitation."""
    pid, headers = world.patient_login()
    assert answer(client, headers, pid).status_code == 201
    done = world.patient(first_infusion=date(2018, 1, 1), last_infusion=date(2018, 2, 1))
    today = datetime.now(UTC)
    assert run_invites(app, today) == 0
    assert invites(app, pid) == [] and invites(app, done) == []


def test_a_retried_check_in_is_recorded_once(app, world, client):
    """The same Idempotency-Key twice: one check-in, one audit event, the first answer returned."""
    pid, headers = world.patient_login()
    keyed = {**headers, "Idempotency-Key": "tap-1"}
    first = answer(client, keyed, pid, "swelling")
    again = answer(client, keyed, pid, "swelling")
    assert first.status_code == again.status_code == 201 and again.json["id"] == first.json["id"]
    assert count(app, SymptomCheckin) == 1 and count(app, ProgramEvent) == 1
    assert answer(client, {**headers, "Idempotency-Key": ""}, pid).status_code == 422


def test_two_racing_submits_with_one_key_record_one_check_in(app, world):
    """Two requests with the same key at the same time (separate connections): the database keeps one."""
    pid, _ = world.patient_login()
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.patient_id == pid))
    start = threading.Barrier(2, timeout=30)
    ids: list[int] = []

    def submit() -> None:
        with app.app_context():
            questions = checkins.question_set().questions
            answers = [{"question_id": q.id, "answer": q.id == "swelling"} for q in questions]
            start.wait()  # before any query: on SQLite the first query takes the write lock
            user, patient = db.session.get(User, user_id), db.session.get(Patient, pid)
            ids.append(checkins.submit(user, patient, answers, datetime.now(UTC), "double-click").id)
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ids) == 2 and ids[0] == ids[1]
    assert count(app, SymptomCheckin) == 1 and count(app, ProgramEvent) == 1
