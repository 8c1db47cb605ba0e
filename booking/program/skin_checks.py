"""Yearly skin checks: recording one as done, which year it covers, and the reminder when one is due.

Program year k runs twelve months from the schedule's month 12k (the months
marked ``skin_check_due``); any check dated inside that year is that year's
check. A reminder goes out once per patient and program year, from the first
day of the year on, unless a check is already recorded for it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from booking import schedule
from booking.errors import Unprocessable
from booking.extensions import db
from booking.models import Patient, User
from booking.program import once, outbox, roster
from booking.program.links import page_link
from booking.program.models import Channel, MessageType, OutboxMessage
from booking.program.outreach_models import ProgramEvent, SkinCheck
from booking.program.scheduler import periodic
from booking.services.monitoring import today_for


def year_start(first_month: date, month: date) -> date:
    """The first month of the program year containing ``month``."""
    index = schedule.months_between(first_month, month)
    every = schedule.SKIN_CHECK_EVERY_MONTHS
    return schedule.add_months(first_month, (index // every) * every)


def record(
    actor: User, patient: Patient, data: dict, now: datetime, request_key: str | None = None
) -> SkinCheck:
    """Record a skin check as done; flushed, not committed (a repeated ``request_key`` returns the first).

    :raise Unprocessable: (422) dated in the future (the patient's today).
    """
    if data["done_on"] > today_for(patient, now):
        raise Unprocessable(
            "A skin check can be recorded only once it is done.",
            errors={"done_on": ["Must not be in the future."]},
        )
    check = SkinCheck(
        patient_id=patient.id,
        done_on=data["done_on"],
        provider_name=data["provider_name"],
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    check, is_new = once.add_once(check, SkinCheck.recorded_by_id, actor.id, request_key)
    if not is_new:
        return check
    db.session.add(
        ProgramEvent(
            patient_id=patient.id,
            actor_id=actor.id,
            at=now,
            action="skin_check_recorded",
            detail={"skin_check_id": check.id, "done_on": check.done_on.isoformat()},
        )
    )
    db.session.flush()
    return check


def checks_query(patient_id: int):
    return (
        select(SkinCheck)
        .where(SkinCheck.patient_id == patient_id)
        .order_by(SkinCheck.done_on.desc(), SkinCheck.id.desc())
    )


def check_view(check: SkinCheck) -> dict:
    return {
        "id": check.id,
        "patient_id": check.patient_id,
        "done_on": check.done_on,
        "provider_name": check.provider_name,
        "recorded_by_id": check.recorded_by_id,
        "recorded_at": check.recorded_at,
    }


def reminder_key(patient_id: int, start: date) -> str:
    return f"skin-check-due:{patient_id}:{start:%Y-%m}"


@periodic("skin_check_reminders")
def remind(at: datetime) -> int:
    """Remind each patient in monitoring whose program year has no recorded skin check, once a year."""
    positions = [p for p in roster.positions(at) if p.in_window()]
    if not positions:
        return 0
    latest = dict(
        db.session.execute(
            select(SkinCheck.patient_id, func.max(SkinCheck.done_on)).group_by(SkinCheck.patient_id)
        ).all()
    )
    queued = set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.type == str(MessageType.SKIN_CHECK_DUE),
                OutboxMessage.channel == str(Channel.PAGE),
            )
        )
    )
    count = 0
    for pos in positions:
        start = year_start(pos.first_month, pos.current_month)
        done = latest.get(pos.patient_id)
        key = reminder_key(pos.patient_id, start)
        if (done is not None and done >= start) or f"{key}:{Channel.PAGE}" in queued:
            continue
        patient = db.session.get(Patient, pos.patient_id)
        link = page_link(f"/patients/{pos.patient_id}/skin-checks")
        count += outbox.notify(patient, MessageType.SKIN_CHECK_DUE, {"link": link}, dedupe_key=key, due_at=at)
    return count
