"""Database models of the monitoring program: the notification outbox and patients' preferences.

The outbox is the only way a message leaves labvisit. A row is written in the
same transaction as the change that causes it (a booking made, moved or
cancelled; a month becoming due), so a message exists exactly when its cause
committed. A worker delivers rows whose time has come; ``dedupe_key`` (unique)
makes every producer safe to run twice.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db_types import UTCDateTime, utcnow
from booking.extensions import db
from booking.models import Patient, User


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PAGE = "page"  # the patient's own message list, always on


class MessageType(StrEnum):
    """Why a message is sent; patients opt out per type (except where safety needs it)."""

    MONTH_DUE = "month_due"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_MOVED = "booking_moved"
    BOOKING_CANCELLED = "booking_cancelled"
    DAY_BEFORE = "day_before"
    ON_THE_WAY = "on_the_way"
    MISSED_VISIT = "missed_visit"
    PROVIDER_CONFIRM = "provider_confirm"
    CHECKIN_INVITE = "checkin_invite"
    SKIN_CHECK_DUE = "skin_check_due"


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time or its next attempt
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    DEAD = "dead"  # gave up after the last retry; an admin may retry it
    WITHDRAWN = "withdrawn"  # its cause went away (visit moved or cancelled) before it was sent
    SKIPPED = "skipped"  # nothing to send it to (no address, consent withdrawn since)


# Messages about a visit that a move or a cancel makes obsolete.
VISIT_REMINDER_TYPES = (
    MessageType.DAY_BEFORE,
    MessageType.ON_THE_WAY,
    MessageType.PROVIDER_CONFIRM,
)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.PENDING)
    # One cause, one message per channel: producers may run any number of times.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(40))
    recipient: Mapped[str | None] = mapped_column(String(254))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How a sent message left: "smtp", "sms_provider", "page", or "local_mailbox" (kept for the
    # demo when no mail server or SMS provider is configured: shown, never really sent).
    transport: Mapped[str | None] = mapped_column(String(20))

    patient: Mapped[Patient] = relationship()

    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
        CheckConstraint("channel IN ('email', 'sms', 'page')", name="channel_known"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'dead', 'withdrawn', 'skipped')", name="status_known"
        ),
    )


class Transport(StrEnum):
    SMTP = "smtp"
    SMS_PROVIDER = "sms_provider"
    PAGE = "page"
    LOCAL_MAILBOX = "local_mailbox"


class NotificationAudit(db.Model):
    """Who did what to the program's notifications: consent given or withdrawn, a dead letter retried."""

    __tablename__ = "notification_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    detail: Mapped[str | None] = mapped_column(String(200))

    actor: Mapped[User | None] = relationship()


class NotificationPreference(db.Model):
    """How a patient wants to hear from the program; one row per patient, defaults when absent.

    E-mail and SMS need a recorded consent (when, by whom, to which wording);
    the patient's own page needs none and is always on.
    """

    __tablename__ = "notification_preferences"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    email_enabled: Mapped[bool] = mapped_column(default=False)
    sms_enabled: Mapped[bool] = mapped_column(default=False)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    opted_out_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_text_version: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("language IN ('en', 'es')", name="language_known"),)


class SchedulerLease(db.Model):
    """Who may run a periodic task until when: one conditional UPDATE takes it.

    Correctness never depends on it (every job is idempotent and delivery leases
    each message); it saves the work of several app processes or cron
    schedulers all ticking in the same minute.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
