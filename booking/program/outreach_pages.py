"""Pages of the program: the nurses' worklist and contact log, symptom check-ins, skin checks.

Registered under the site blueprint (``booking.web.site``), so they get its
CSRF check, security headers (including ``Cache-Control: no-store``) and HTML
error pages. Patients reach only their own check-ins and skin checks
(``visible_patient`` answers 404 for anyone else's); technicians none.
"""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from booking.errors import Unprocessable
from booking.extensions import db
from booking.models import Region, Role
from booking.program import checkins, outreach, skin_checks
from booking.program.outreach_models import Outcome, SymptomCheckin
from booking.program.outreach_schemas import (
    AttemptCreateSchema,
    SkinCheckCreateSchema,
    WorklistArgsSchema,
)
from booking.schemas import KINDS
from booking.services.availability import now_utc
from booking.services.patients import visible_patient
from booking.web.access import login_required, web_user

bp = Blueprint("program", __name__)

STAFF = (Role.COORDINATOR, Role.ADMIN)
PEOPLE = (Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
ROWS_PER_PAGE = 50

OUTCOME_LABELS = {
    "reached": "Reached",
    "voicemail": "Left a voicemail",
    "no_answer": "No answer",
    "declined": "Declined",
    "booked": "Booked a visit",
    "wrong_number": "Wrong number",
}
REASON_LABELS = {
    "red_flag": "Red-flag check-in",
    "overdue": "Overdue",
    "due_unbooked": "Due, nothing booked",
}


@bp.app_template_filter("tel_href")
def tel_href(phone: str) -> str:
    """A phone number as a tel: link target: digits and a leading +, nothing else."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    return digits[:1] + digits[1:].replace("+", "")


def _form_key() -> str | None:
    """The form's one-time token (see ``booking.program.once``): a double-clicked submit counts once."""
    key = request.form.get("request_key", "").strip()
    return key[:200] or None


@bp.app_context_processor
def _new_form_key() -> dict:
    return {"new_request_key": lambda: secrets.token_urlsafe(16)}


def _form_errors(exc: ValidationError) -> dict[str, str]:
    return {field: " ".join(map(str, msgs)) for field, msgs in exc.normalized_messages().items()}


# --- the worklist ---------------------------------------------------------------------


@bp.get("/coordinator/outreach")
@login_required(*STAFF)
def worklist():
    """Patients who need a contact, most urgent first, with filters and pages."""
    raw = {k: v for k, v in request.args.items() if k in ("region_id", "kind", "language", "reason") and v}
    try:
        filters = WorklistArgsSchema().load(raw)
        errors = {}
    except ValidationError as exc:
        filters, errors = {}, _form_errors(exc)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = outreach.worklist(outreach.Filters(**filters), now_utc().date(), page, ROWS_PER_PAGE)
    pages = max((total + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE, 1)

    def page_url(number: int) -> str:
        return url_for("web.program.worklist", **raw, page=number)

    return render_template(
        "program/worklist.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        page_url=page_url,
        filters=raw,
        errors=errors,
        regions=db.session.execute(db.select(Region.id, Region.name).order_by(Region.name)).all(),
        kinds=KINDS,
        reason_labels=REASON_LABELS,
        outcome_labels=OUTCOME_LABELS,
    ), (422 if errors else 200)


def _contact_page(patient, errors=None, form=None, status=200):
    open_flags = db.session.scalars(
        checkins.checkins_query(patient.id).where(
            SymptomCheckin.severity != "none", SymptomCheckin.acknowledged_at.is_(None)
        )
    ).all()
    language = checkins.language_of(patient)
    return render_template(
        "program/contact.html",
        patient=patient,
        number=outreach.patient_number(patient.id),
        item=outreach.item_of(patient.id),
        red_flags=[checkins.checkin_view(c, patient, language) for c in open_flags],
        attempts=db.session.scalars(outreach.attempts_query(patient.id).limit(50)).all(),
        outcomes=[o.value for o in Outcome],
        outcome_labels=OUTCOME_LABELS,
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/coordinator/outreach/patients/<int:patient_id>")
@login_required(*STAFF)
def contact(patient_id: int):
    """One patient's reasons, open red flags and contact log, with the form to log a call."""
    return _contact_page(visible_patient(web_user(), patient_id))


@bp.post("/coordinator/outreach/patients/<int:patient_id>/attempts")
@login_required(*STAFF)
def log_attempt(patient_id: int):
    user = web_user()
    patient = visible_patient(user, patient_id)
    raw = {k: request.form.get(k, "") for k in ("outcome", "note", "next_attempt_on")}
    data = {k: v for k, v in raw.items() if v.strip()}
    try:
        loaded = AttemptCreateSchema().load(data)
    except ValidationError as exc:
        errors = _form_errors(exc)
        errors["form"] = "The call is not logged yet: check the fields below."
        return _contact_page(patient, errors, raw, 422)
    outreach.log_attempt(user, patient, loaded, _form_key())
    db.session.commit()
    flash(f"Logged: {OUTCOME_LABELS[loaded['outcome']].lower()}.", "success")
    return redirect(url_for("web.program.worklist"))


# --- symptom check-ins ----------------------------------------------------------------


def _checkin_form(patient, errors=None, answers=None, status=200):
    language = checkins.language_of(patient)
    return render_template(
        "program/checkin.html",
        patient=patient,
        questions=[(q.id, q.text_in(language)) for q in checkins.question_set().questions],
        language=language,
        answered=checkins.checked_in_this_month(patient, now_utc()),
        errors=errors or {},
        answers=answers or {},
    ), status


@bp.get("/patients/<int:patient_id>/check-in")
@login_required(*PEOPLE)
def checkin(patient_id: int):
    """This month's symptom check-in: a few yes/no questions."""
    return _checkin_form(visible_patient(web_user(), patient_id))


@bp.post("/patients/<int:patient_id>/check-in")
@login_required(*PEOPLE)
def checkin_submit(patient_id: int):
    """Record the answers and show at once what to do about any warning sign."""
    user = web_user()
    patient = visible_patient(user, patient_id)
    questions = checkins.question_set().questions
    given = {q.id: request.form.get(q.id, "") for q in questions}
    errors = {qid: "Answer yes or no." for qid, value in given.items() if value not in ("yes", "no")}
    if errors:
        errors["form"] = "Please answer every question, yes or no."
        return _checkin_form(patient, errors, given, 422)
    answers = [{"question_id": qid, "answer": value == "yes"} for qid, value in given.items()]
    entry = checkins.submit(user, patient, answers, now_utc(), _form_key())
    db.session.commit()
    return redirect(url_for("web.program.checkin_result", patient_id=patient.id, checkin_id=entry.id))


@bp.get("/patients/<int:patient_id>/check-ins/<int:checkin_id>")
@login_required(*PEOPLE)
def checkin_result(patient_id: int, checkin_id: int):
    """One check-in: the advice first (call now, or 911), then the answers."""
    patient = visible_patient(web_user(), patient_id)
    entry = checkins.visible_checkin(patient, checkin_id)
    language = checkins.language_of(patient)
    return render_template(
        "program/checkin_result.html",
        patient=patient,
        checkin=checkins.checkin_view(entry, patient, language),
        language=language,
    )


# --- skin checks ----------------------------------------------------------------------


def _skin_page(patient, errors=None, form=None, status=200):
    return render_template(
        "program/skin_checks.html",
        patient=patient,
        checks=db.session.scalars(skin_checks.checks_query(patient.id).limit(20)).all(),
        errors=errors or {},
        form=form or {"provider_name": patient.provider_name or ""},
    ), status


@bp.get("/patients/<int:patient_id>/skin-checks")
@login_required(*PEOPLE)
def skin(patient_id: int):
    """Yearly skin checks done so far, and the form to record one."""
    return _skin_page(visible_patient(web_user(), patient_id))


@bp.post("/patients/<int:patient_id>/skin-checks")
@login_required(*PEOPLE)
def skin_record(patient_id: int):
    user = web_user()
    patient = visible_patient(user, patient_id)
    raw = {k: request.form.get(k, "").strip() for k in ("done_on", "provider_name")}
    try:
        data = SkinCheckCreateSchema().load({k: v for k, v in raw.items() if v})
        skin_checks.record(user, patient, data, now_utc(), _form_key())
    except ValidationError as exc:
        errors = _form_errors(exc)
        errors["form"] = "The skin check is not recorded yet: check the fields below."
        return _skin_page(patient, errors, raw, 422)
    except Unprocessable as exc:
        db.session.rollback()
        errors = {f: " ".join(m) for f, m in (exc.errors or {}).items()}
        errors["form"] = exc.detail
        return _skin_page(patient, errors, raw, 422)
    db.session.commit()
    flash("The skin check is recorded.", "success")
    return redirect(url_for("web.program.skin", patient_id=patient.id))
