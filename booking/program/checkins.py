"""Monthly symptom check-ins: answering one, what a warning sign means now, and the monthly invitation.

A "yes" to a red-flag question is answered at once with what to do (call the
provider now, or emergency services for severe bleeding or coughing up blood),
puts the patient at the top of the nurses' worklist and is written to the
audit trail (who, when, which answers), all in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from booking import schedule
from booking.errors import NotFound, Unprocessable
from booking.extensions import db
from booking.models import Patient, User
from booking.program import once, outbox, outreach, preferences, roster
from booking.program.checkin_questions import QuestionSet
from booking.program.links import page_link
from booking.program.models import Channel, MessageType, OutboxMessage
from booking.program.outreach_models import ProgramEvent, Severity, SymptomCheckin
from booking.program.scheduler import periodic
from booking.services.monitoring import today_for

ADVICE = {
    Severity.EMERGENCY: {
        "en": "Call 911 (emergency services) now, or go to the nearest emergency room. "
        "Severe bleeding or coughing up blood needs care right away. Then tell your provider.",
        "es": "Llame al 911 (servicios de emergencia) ahora o vaya a la sala de emergencias más cercana. "
        "Un sangrado fuerte o toser sangre necesita atención inmediata. Luego avise a su proveedor.",
    },
    Severity.CALL_PROVIDER: {
        "en": "Call your healthcare provider now about what you reported; do not wait for your next "
        "lab visit. If you have severe bleeding or cough up blood, call 911. A nurse will also call you.",
        "es": "Llame ahora a su proveedor de salud por lo que reportó; no espere a su próxima visita de "
        "laboratorio. Si tiene un sangrado fuerte o tose sangre, llame al 911. Una enfermera también "
        "le llamará.",
    },
    Severity.NONE: {
        "en": "Thank you. Nothing you reported needs action now. If anything changes before next "
        "month, call your provider.",
        "es": "Gracias. Nada de lo que reportó requiere acción ahora. Si algo cambia antes del próximo "
        "mes, llame a su proveedor.",
    },
}


def question_set() -> QuestionSet:
    """The question set loaded and validated at start-up (``CHECKIN_QUESTIONS_FILE``)."""
    return current_app.extensions["checkin_questions"]


def language_of(patient: Patient) -> str:
    return preferences.effective(patient).language


def _answers_in_order(questions: QuestionSet, answers: list[dict]) -> list[dict]:
    """The answers in the set's order; :raise Unprocessable: an unknown, repeated or missing question."""
    given: dict[str, bool] = {}
    errors: dict[str, list[str]] = {}
    known = questions.by_id()
    for answer in answers:
        qid = answer["question_id"]
        if qid not in known:
            errors[qid] = ["Not a question of this check-in."]
        elif qid in given:
            errors[qid] = ["Answered twice."]
        given[qid] = answer["answer"]
    for question in questions.questions:
        if question.id not in given:
            errors[question.id] = ["Answer yes or no."]
    if errors:
        raise Unprocessable(
            "Answer every question of the check-in once, yes or no.", errors={"answers": errors}
        )
    return [{"id": q.id, "answer": given[q.id]} for q in questions.questions]


def submit(
    actor: User, patient: Patient, answers: list[dict], now: datetime, request_key: str | None = None
) -> SymptomCheckin:
    """Record a check-in; a red-flag answer raises an urgent worklist item and an audit event.

    A repeat of the same ``request_key`` by the same user returns the first check-in.

    :raise Unprocessable: (422) answers do not match the question set.
    """
    questions = question_set()
    ordered = _answers_in_order(questions, answers)
    by_id = questions.by_id()
    flagged = [a["id"] for a in ordered if a["answer"] and by_id[a["id"]].red_flag]
    severity = Severity.NONE
    if flagged:
        emergency = any(by_id[q].severity == Severity.EMERGENCY for q in flagged)
        severity = Severity.EMERGENCY if emergency else Severity.CALL_PROVIDER
    checkin = SymptomCheckin(
        patient_id=patient.id,
        month=schedule.month_of(today_for(patient, now)),
        submitted_at=now,
        submitted_by_id=actor.id,
        question_set=questions.version,
        answers=ordered,
        red_flags=flagged,
        severity=str(severity),
    )
    checkin, is_new = once.add_once(checkin, SymptomCheckin.submitted_by_id, actor.id, request_key)
    if flagged and is_new:
        db.session.add(
            ProgramEvent(
                patient_id=patient.id,
                actor_id=actor.id,
                at=now,
                action="red_flag",
                detail={
                    "checkin_id": checkin.id,
                    "severity": str(severity),
                    "question_set": questions.version,
                    "answers": ordered,
                },
            )
        )
        outreach.raise_red_flag(patient, checkin)
        db.session.flush()
    return checkin


def advice_for(checkin: SymptomCheckin, language: str) -> str:
    texts = ADVICE[Severity(checkin.severity)]
    return texts.get(language) or texts["en"]


def checkin_view(checkin: SymptomCheckin, patient: Patient, language: str) -> dict:
    """The API shape of a check-in, with the advice in the patient's language."""
    by_id = question_set().by_id()
    return {
        "id": checkin.id,
        "patient_id": checkin.patient_id,
        "month": checkin.month.strftime("%Y-%m"),
        "submitted_at": checkin.submitted_at,
        "question_set": checkin.question_set,
        "answers": [
            {
                "question_id": a["id"],
                "question": by_id[a["id"]].text_in(language) if a["id"] in by_id else None,
                "answer": a["answer"],
            }
            for a in checkin.answers
        ],
        "red_flag": bool(checkin.red_flags),
        "red_flags": list(checkin.red_flags),
        "severity": checkin.severity,
        "advice": advice_for(checkin, language),
        "provider_phone": patient.provider_phone if checkin.red_flags else None,
        "acknowledged_at": checkin.acknowledged_at,
    }


def checkins_query(patient_id: int):
    return (
        select(SymptomCheckin)
        .where(SymptomCheckin.patient_id == patient_id)
        .order_by(SymptomCheckin.submitted_at.desc(), SymptomCheckin.id.desc())
    )


def visible_checkin(patient: Patient, checkin_id: int) -> SymptomCheckin:
    """:raise NotFound: (404) unknown, or not this patient's."""
    checkin = db.session.get(SymptomCheckin, checkin_id)
    if checkin is None or checkin.patient_id != patient.id:
        raise NotFound(f"Check-in {checkin_id} not found.")
    return checkin


def checked_in_this_month(patient: Patient, now: datetime) -> SymptomCheckin | None:
    month = schedule.month_of(today_for(patient, now))
    return db.session.scalars(
        checkins_query(patient.id).where(SymptomCheckin.month == month).limit(1)
    ).first()


# --- the monthly invitation -----------------------------------------------------------


def invite_key(patient_id: int, month) -> str:
    return f"checkin-invite:{patient_id}:{month:%Y-%m}"


@periodic("checkin_invites")
def invite(at: datetime) -> int:
    """Invite every patient in their monitoring window who has not checked in this month, once a month."""
    positions = [p for p in roster.positions(at) if p.in_window()]
    if not positions:
        return 0
    months = {p.current_month for p in positions}
    answered = set(
        db.session.execute(
            select(SymptomCheckin.patient_id, SymptomCheckin.month).where(SymptomCheckin.month.in_(months))
        ).all()
    )
    # Keys already queued this month, read once so a re-run costs one query, not one per patient.
    queued = set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.type == str(MessageType.CHECKIN_INVITE),
                OutboxMessage.channel == str(Channel.PAGE),
                OutboxMessage.created_at >= at - timedelta(days=62),
            )
        )
    )
    count = 0
    for pos in positions:
        key = invite_key(pos.patient_id, pos.current_month)
        if (pos.patient_id, pos.current_month) in answered or f"{key}:{Channel.PAGE}" in queued:
            continue
        patient = db.session.get(Patient, pos.patient_id)
        link = page_link(f"/patients/{pos.patient_id}/check-in")
        count += outbox.notify(patient, MessageType.CHECKIN_INVITE, {"link": link}, dedupe_key=key, due_at=at)
    return count
