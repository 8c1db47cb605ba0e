"""Pages of the program: the outreach worklist and contact log, the symptom check-in, skin checks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Patient
from booking.program import outreach
from booking.program.outreach_models import ContactAttempt, OutreachItem, SkinCheck, SymptomCheckin
from tests.program.test_outreach import completed_visit
from tests.web.test_web_accessibility import unlabelled

DEC_15 = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
QUESTIONS = (
    "bruising_bleeding",
    "severe_bleeding",
    "heavy_periods",
    "blood_in_urine",
    "swelling",
    "coughing_blood",
    "heartbeat_sweating",
    "weight_nervousness",
    "skin_changes",
)


def overdue_patient(app, world, **names) -> int:
    pid = world.patient()
    with app.app_context():
        patient = db.session.get(Patient, pid)
        patient.date_of_birth = date(1984, 5, 17)
        patient.phone = "(555) 010-0123"
        for key, value in names.items():
            setattr(patient, key, value)
        db.session.commit()
    completed_visit(app, pid, date(2026, 10, 1))
    with app.app_context():
        outreach.escalate(DEC_15)
        db.session.commit()
    return pid


@pytest.mark.parametrize(
    "path",
    [
        "/coordinator/outreach",
        "/coordinator/outreach/patients/{pid}",
        "/patients/{pid}/check-in",
        "/patients/{pid}/skin-checks",
    ],
)
def test_program_pages_ask_a_stranger_to_sign_in(world, pages, path):
    """Nobody signed in is sent to sign-in."""
    response = pages.get(path.format(pid=world.patient()))
    assert response.status_code == 302 and "/sign-in" in response.location


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("patient", "/coordinator/outreach", 403),
        ("technician", "/coordinator/outreach", 403),
        ("patient", "/coordinator/outreach/patients/{pid}", 403),
        ("technician", "/patients/{pid}/check-in", 403),
        ("technician", "/patients/{pid}/skin-checks", 403),
        ("patient", "/patients/{pid}/check-in", 404),
        ("patient", "/patients/{pid}/skin-checks", 404),
        ("coordinator", "/patients/{pid}/check-in", 200),
        ("admin", "/patients/{pid}/skin-checks", 200),
        ("admin", "/coordinator/outreach", 200),
    ],
)
def test_roles_reach_only_their_program_pages(world, signed_in, role, path, status):
    """Staff open everything; a patient gets 404 for another patient's pages; technicians 403."""
    pid = world.patient()
    kwargs = {"patient_id": world.patient()} if role == "patient" else {}
    _, client = signed_in(role, **kwargs)
    assert client.get(path.format(pid=pid)).status_code == status


def test_the_worklist_page_tells_namesakes_apart_and_links_calls_and_booking(app, world, signed_in):
    """Each row shows the patient number, date of birth, a tel: link, and links to log a call and book."""
    pid = overdue_patient(app, world, first_name="Ana", last_name="Garcia")
    _, client = signed_in("coordinator")
    response = client.get("/coordinator/outreach")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert f"P-{pid:06d}" in html and "born 17 May 1984" in html
    assert 'href="tel:5550100123"' in html
    assert f'href="/patients/{pid}/book"' in html and f'href="/coordinator/outreach/patients/{pid}"' in html
    assert "1 month overdue" in html
    assert unlabelled(html) == []


def test_the_worklist_page_filters_and_pages(app, world, signed_in):
    """A reason filter narrows the rows; an unknown filter value is ignored with a message."""
    overdue_patient(app, world)
    _, client = signed_in("coordinator")
    assert "Nobody needs a call with these filters" in client.get(
        "/coordinator/outreach?reason=red_flag"
    ).get_data(as_text=True)
    bad = client.get("/coordinator/outreach?kind=teleport")
    assert bad.status_code == 422 and "not understood" in bad.get_data(as_text=True)


def test_a_nurse_logs_a_call_from_the_contact_page(app, world, signed_in):
    """The form records the outcome, note and next attempt and returns to the worklist."""
    pid = overdue_patient(app, world)
    _, client = signed_in("coordinator")
    page = client.get(f"/coordinator/outreach/patients/{pid}")
    assert page.status_code == 200 and unlabelled(page.get_data(as_text=True)) == []
    later = (date.today() + timedelta(days=2)).isoformat()
    done = client.post(
        f"/coordinator/outreach/patients/{pid}/attempts",
        {"outcome": "no_answer", "note": "rang twice", "next_attempt_on": later},
        token_from=f"/coordinator/outreach/patients/{pid}",
    )
    assert done.status_code == 302 and done.location.endswith("/coordinator/outreach")
    with app.app_context():
        attempt = db.session.scalars(db.select(ContactAttempt)).one()
        assert (attempt.outcome, attempt.note, attempt.next_attempt_on.isoformat()) == (
            "no_answer",
            "rang twice",
            later,
        )
        assert db.session.get(OutreachItem, pid).last_outcome == "no_answer"
    assert "rang twice" in client.get(f"/coordinator/outreach/patients/{pid}").get_data(as_text=True)


def test_a_call_without_an_outcome_is_refused_on_the_page(app, world, signed_in):
    """No outcome chosen: the form comes back with the error, nothing is logged."""
    pid = overdue_patient(app, world)
    _, client = signed_in("coordinator")
    response = client.post(f"/coordinator/outreach/patients/{pid}/attempts", {"note": "hello"})
    assert response.status_code == 422 and "There is a problem" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ContactAttempt.id))) == 0


def test_a_form_without_the_csrf_token_is_refused(app, world, signed_in):
    """Posting a call without the form's token does nothing."""
    pid = overdue_patient(app, world)
    _, client = signed_in("coordinator")
    response = client.client.post(
        f"/coordinator/outreach/patients/{pid}/attempts", data={"outcome": "reached"}
    )
    assert response.status_code == 400


def answers(**yes) -> dict:
    return {q: ("yes" if q in yes else "no") for q in QUESTIONS}


def test_a_red_flag_check_in_tells_the_patient_to_call_911_at_once(app, patient_pages):
    """Coughing up blood: the answer page says call 911, and the patient is urgent on the worklist."""
    pid, _, client = patient_pages
    form = client.get(f"/patients/{pid}/check-in")
    assert form.status_code == 200 and unlabelled(form.get_data(as_text=True)) == []
    done = client.post(
        f"/patients/{pid}/check-in", answers(coughing_blood=1), token_from=f"/patients/{pid}/check-in"
    )
    assert done.status_code == 302
    result = client.get(done.location)
    html = result.get_data(as_text=True)
    assert "Call 911 now" in html and 'href="tel:911"' in html
    assert result.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.get(OutreachItem, pid).red_flag_checkin_id is not None


def test_a_warning_sign_tells_the_patient_to_call_their_provider(patient_pages):
    """Swelling: the answer page says call your provider now, with the provider's number."""
    pid, _, client = patient_pages
    done = client.post(f"/patients/{pid}/check-in", answers(swelling=1))
    html = client.get(done.location).get_data(as_text=True)
    assert "Call your provider now" in html and 'href="tel:5550199"' in html


def test_an_unanswered_question_brings_the_form_back(app, patient_pages):
    """Every question needs a yes or a no; nothing is stored until then."""
    pid, _, client = patient_pages
    form = answers()
    del form["swelling"]
    response = client.post(f"/patients/{pid}/check-in", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="swelling-error"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SymptomCheckin.id))) == 0


def test_another_patients_check_in_result_is_not_found(world, signed_in, patient_pages):
    """A check-in of someone else answers 404, as if it did not exist."""
    pid, _, client = patient_pages
    done = client.post(f"/patients/{pid}/check-in", answers(swelling=1))
    checkin_id = int(re.search(r"/check-ins/(\d+)", done.location).group(1))
    other = world.patient()
    _, stranger = signed_in("patient", patient_id=other)
    assert stranger.get(done.location).status_code == 404
    assert stranger.get(f"/patients/{other}/check-ins/{checkin_id}").status_code == 404


def test_a_patient_records_a_skin_check_on_the_page(app, patient_pages):
    """The form stores the check with who recorded it; the schedule page shows it done."""
    pid, user, client = patient_pages
    page = client.get(f"/patients/{pid}/skin-checks")
    assert page.status_code == 200 and unlabelled(page.get_data(as_text=True)) == []
    day = date.today().replace(day=1)
    done = client.post(
        f"/patients/{pid}/skin-checks", {"done_on": day.isoformat(), "provider_name": "Dr. Derm"}
    )
    assert done.status_code == 302
    assert "Dr. Derm" in client.get(f"/patients/{pid}/skin-checks").get_data(as_text=True)
    with app.app_context():
        check = db.session.scalars(db.select(SkinCheck)).one()
        assert check.recorded_by_id == user.id


def test_a_future_skin_check_is_refused_on_the_page(app, patient_pages):
    """A date ahead of today comes back with the error next to the date; nothing is stored."""
    pid, _, client = patient_pages
    later = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(f"/patients/{pid}/skin-checks", {"done_on": later, "provider_name": "Dr. Derm"})
    assert response.status_code == 422 and 'id="done_on-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SkinCheck.id))) == 0


def test_a_double_clicked_check_in_is_recorded_once(app, patient_pages):
    """Two posts of the same form (same one-time token) store one check-in and show the same result."""
    pid, _, client = patient_pages
    form = {**answers(swelling=1), "request_key": "form-token-1"}
    first = client.post(f"/patients/{pid}/check-in", form)
    second = client.post(f"/patients/{pid}/check-in", form)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SymptomCheckin.id))) == 1
