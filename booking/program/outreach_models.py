"""Database models of nurse outreach, symptom check-ins and yearly skin checks.

The worklist is one maintained row per patient (``OutreachItem``), written in
the same transactions as its causes: the overdue escalation job, a red-flag
check-in, a booking, a nurse's contact attempt. Reading the worklist is then
one indexed query over that table, however many patients there are.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booking.db_types import UTCDateTime, utcnow
from booking.extensions import db


class Outcome(StrEnum):
    """What came of one contact attempt."""

    REACHED = "reached"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    BOOKED = "booked"
    WRONG_NUMBER = "wrong_number"


# The patient was spoken to: a red-flag check-in has been acted on.
SPOKEN_TO = (Outcome.REACHED, Outcome.DECLINED, Outcome.BOOKED)
# The month needs no more chasing: booked, or the patient said no for now.
SETTLES_THE_MONTH = (Outcome.DECLINED, Outcome.BOOKED)


class Reason(StrEnum):
    """Why a patient is on the worklist (a row may have several)."""

    RED_FLAG = "red_flag"
    OVERDUE = "overdue"
    DUE_UNBOOKED = "due_unbooked"


class OutreachItem(db.Model):
    """A patient's place on the nurses' worklist; on it while any reason holds.

    ``overdue_escalated`` and ``due_escalated`` hold the month the escalation
    job last raised each reason, so a job run again in the same month (or after
    a nurse settled it) changes nothing.
    """

    __tablename__ = "outreach_items"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    red_flag_checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("symptom_checkins.id", ondelete="SET NULL")
    )
    red_flag_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_months: Mapped[int] = mapped_column(Integer, default=0)
    overdue_since: Mapped[date | None] = mapped_column(Date)
    overdue_escalated: Mapped[date | None] = mapped_column(Date)
    due_month: Mapped[date | None] = mapped_column(Date)
    due_escalated: Mapped[date | None] = mapped_column(Date)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))
    last_kind: Mapped[str | None] = mapped_column(String(20))
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    next_attempt_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("overdue_months >= 0", name="overdue_months_not_negative"),)


class ContactAttempt(db.Model):
    """One call (or message) a nurse made to a patient, and what came of it."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    next_attempt_on: Mapped[date | None] = mapped_column(Date)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    # The form's (or the client's Idempotency-Key) token: a double-clicked submit is recorded once.
    request_key: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(
            "outcome IN ('reached', 'voicemail', 'no_answer', 'declined', 'booked', 'wrong_number')",
            name="outcome_known",
        ),
        UniqueConstraint("user_id", "request_key", name="uq_contact_attempts_user_request_key"),
    )


class Severity(StrEnum):
    NONE = "none"
    CALL_PROVIDER = "call_provider"
    EMERGENCY = "emergency"


class SymptomCheckin(db.Model):
    """One answered symptom check-in; never changed after it is written (it is the audit record)."""

    __tablename__ = "symptom_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    question_set: Mapped[str] = mapped_column(String(40))
    # [{"id": question id, "answer": bool}] in the order asked.
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    red_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    severity: Mapped[str] = mapped_column(String(20))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    request_key: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_symptom_checkins_patient_month", "patient_id", "month"),
        CheckConstraint("severity IN ('none', 'call_provider', 'emergency')", name="severity_known"),
        UniqueConstraint("submitted_by_id", "request_key", name="uq_symptom_checkins_submitter_request_key"),
    )


class SkinCheck(db.Model):
    """A yearly skin examination the patient had, as reported by them or by staff."""

    __tablename__ = "skin_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    done_on: Mapped[date] = mapped_column(Date)
    provider_name: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_key: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("recorded_by_id", "request_key", name="uq_skin_checks_recorder_request_key"),
    )


class ProgramEvent(db.Model):
    """Audit trail of the program's clinical events: who did what, when, about which patient."""

    __tablename__ = "program_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
