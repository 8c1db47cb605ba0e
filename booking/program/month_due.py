"""The month is due: remind patients whose monitoring month has begun with nothing booked.

On the first day of a monitoring month (midnight in the patient's own zone)
a patient with no active or completed visit for it gets "your monthly lab
visit is due"; ``MONTH_DUE_REPEAT_DAYS`` later, still with nothing booked,
they get it once more (then the nurses' outreach takes over). Never once the
month is booked or completed, and booking withdraws a reminder still pending.

Set-based, so a tick over tens of thousands of patients stays one query per
time zone: the database picks the patients (monitoring window from their
treatment courses, no booking in the month, this reminder not yet queued),
preferences are read in chunks, and the messages go in multi-row INSERTs.
Dedupe keys ``month_due:<patient>:<YYYY-MM>:<1|2>`` make a repeated tick
queue nothing new.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import String, cast, exists, func, literal, select, update

from booking.extensions import db
from booking.models import INACTIVE_STATUSES, Booking, Patient, TreatmentCourse
from booking.program import outbox, preferences
from booking.program import visit_phrases as say
from booking.program.links import page_link
from booking.program.models import MessageStatus, MessageType, OutboxMessage
from booking.program.scheduler import periodic
from booking.schedule import MONTHS_AFTER_LAST_INFUSION, add_months, month_of


def stage_of(local_day: date, repeat_days: int) -> tuple[int, date]:
    """Which reminder of the month applies on ``local_day``: (1, the 1st) or, from the repeat day, (2, that day)."""
    month = month_of(local_day)
    if repeat_days > 0 and (local_day - month).days >= repeat_days:
        return 2, month + timedelta(days=repeat_days)
    return 1, month


def _label(month: date) -> str:
    return month.strftime("%Y-%m")


def _due_patients(zone: str, month: date, stage: int):
    """Patients of ``zone`` in monitoring in ``month``, with nothing booked for it and this reminder not queued."""
    in_window = (
        select(TreatmentCourse.patient_id)
        .group_by(TreatmentCourse.patient_id)
        .having(
            func.min(TreatmentCourse.first_infusion) < add_months(month, 1),
            func.max(TreatmentCourse.last_infusion) >= add_months(month, -MONTHS_AFTER_LAST_INFUSION),
        )
    )
    booked = exists().where(
        Booking.patient_id == Patient.id,
        Booking.monitoring_month == month,
        Booking.status.not_in(INACTIVE_STATUSES),
    )
    # The page copy is always queued, so its key says whether this reminder was.
    page_key = literal("month_due:") + cast(Patient.id, String) + literal(f":{_label(month)}:{stage}:page")
    queued = exists().where(OutboxMessage.dedupe_key == page_key)
    return db.session.execute(
        select(Patient.id, Patient.email, Patient.phone, Patient.time_zone).where(
            Patient.time_zone == zone, Patient.id.in_(in_window), ~booked, ~queued
        )
    ).all()


def _queue_in_zone(zone: str, at: datetime, repeat_days: int) -> int:
    local_day = at.astimezone(ZoneInfo(zone)).date()
    stage, stage_day = stage_of(local_day, repeat_days)
    month = month_of(local_day)
    due = datetime.combine(stage_day, time(0), ZoneInfo(zone)).astimezone(UTC)
    patients = _due_patients(zone, month, stage)
    if not patients:
        return 0
    prefs = preferences.effective_many([p.id for p in patients])
    base = page_link("")
    notices = [
        outbox.Notice(
            patient=p,
            context={
                "month": say.month_name(month, prefs[p.id].language),
                "link": f"{base}/patients/{p.id}/book",
            },
            dedupe_key=f"month_due:{p.id}:{_label(month)}:{stage}",
            due_at=due,
        )
        for p in patients
    ]
    return outbox.notify_many(MessageType.MONTH_DUE, notices, prefs)


@periodic("month_due")
def queue_month_due(at: datetime) -> int:
    """Queue the month-due reminders that apply as of ``at``; returns how many messages were new."""
    repeat_days = current_app.config["MONTH_DUE_REPEAT_DAYS"]
    zones = db.session.scalars(select(Patient.time_zone).distinct()).all()
    return sum(_queue_in_zone(zone, at, repeat_days) for zone in zones)


def withdraw_for_booked_month(patient_id: int, month: date) -> int:
    """A booking for ``month`` withdraws its month-due reminders still pending (e.g. an SMS held by quiet hours).

    Their keys are kept, so cancelling the booking later does not send the same reminder again.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.patient_id == patient_id,
            OutboxMessage.type == str(MessageType.MONTH_DUE),
            OutboxMessage.status == str(MessageStatus.PENDING),
            OutboxMessage.dedupe_key.like(f"month_due:{patient_id}:{_label(month)}:%"),
        )
        .values(status=MessageStatus.WITHDRAWN)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
