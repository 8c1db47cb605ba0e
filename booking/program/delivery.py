"""Delivering the outbox: claim due messages, send each through its channel, record the outcome.

A worker claims a batch with one UPDATE that leases the rows to a fresh token
(pending and due as of ``now``, or a lease that ran out because its worker
died). On PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so
concurrent workers take disjoint batches without waiting on each other; on
SQLite every transaction starts with ``BEGIN IMMEDIATE``, so claims queue.

Each message then goes through three short steps, none of which holds a
transaction while talking to a mail server or an SMS provider:

1. *check*: confirm this worker still holds the row's lease (extending it
   when half of it has run out, so it outlasts the send), and re-read what
   could have changed since it was queued -- the visit is still open (a
   cancel racing a send), the patient still consents to the channel, their
   current address;
2. *send* through the channel's adapter;
3. *finish*: record the outcome only if the lease is still ours.

Page and demo-mailbox deliveries touch nothing outside the database, so their
check and finish share one transaction.

Leases run on the wall clock (they are about live processes), while "due"
is decided as of ``now`` (so ``flask program tick --at`` can replay an
instant). A killed worker loses nothing: its lease runs out and another
worker claims the message. It duplicates nothing either, except in the one
window no client can close -- the server accepted the message and the worker
died before recording it; the retry then carries the same Message-ID.

Failures are retried with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``,
then the message is dead-lettered for an admin to see and retry. Logs carry
message ids, channels and error kinds, never addresses or bodies.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from booking.db_types import utcnow
from booking.extensions import db
from booking.models import Booking, Patient
from booking.program import preferences
from booking.program.channels import Adapters, ChannelError, Outgoing, open_adapters
from booking.program.models import VISIT_REMINDER_TYPES, Channel, MessageStatus, OutboxMessage
from booking.states import is_open

log = logging.getLogger(__name__)

_VISIT_REMINDERS = frozenset(str(t) for t in VISIT_REMINDER_TYPES)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    withdrawn: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _due(now: datetime):
    return or_(
        (OutboxMessage.status == MessageStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == MessageStatus.SENDING) & (OutboxMessage.lease_until < utcnow()),
    )


def _claim(now: datetime, batch: int) -> tuple[str, list[tuple[int, str]]]:
    """Lease up to ``batch`` due messages to a fresh token; returns it and their (id, channel), in due order."""
    token = secrets.token_hex(16)
    due = (
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises claims
    )
    # The WHERE repeats the state we read: a message another worker claimed meanwhile is not taken.
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), _due(now))
        .values(status=MessageStatus.SENDING, lease_token=token, lease_until=utcnow() + _lease())
        .returning(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.next_attempt_at)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return token, [(row.id, row.channel) for row in sorted(claimed, key=lambda r: (r.next_attempt_at, r.id))]


def _backoff(attempts: int) -> timedelta:
    base = current_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def _finish(message_id: int, token: str, **values) -> bool:
    """Record an outcome only if this worker still holds the lease; commits."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.lease_token == token)
        .values(lease_token=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)


def deliver_due(now: datetime, batch: int = 100, max_batches: int | None = None) -> DeliveryReport:
    """Deliver every message due at ``now``, batch by batch; commits as it goes (a job boundary)."""
    report = DeliveryReport()
    batches = 0
    with open_adapters(current_app.config) as adapters:
        while max_batches is None or batches < max_batches:
            token, claimed = _claim(now, batch)
            if not claimed:
                break
            batches += 1
            for message_id, channel in claimed:
                _deliver_one(message_id, channel, token, now, adapters, report)
    return report


def _deliver_one(
    message_id: int, channel: str, token: str, now: datetime, adapters: Adapters, report: DeliveryReport
) -> None:
    try:
        adapter = adapters[channel]
    except ChannelError as exc:
        _record_failure(message_id, token, now, _attempts_of(message_id) + 1, exc, report)
        return
    # Page and demo-mailbox deliveries are a row update: check and record in one transaction.
    checked = _check(message_id, token, renew=not adapter.in_database)
    if checked is None:
        db.session.commit()
        return  # another worker took the row over after our lease ran out
    outgoing, attempts, verdict = checked
    if verdict is not None:
        status, reason = verdict
        if _finish(message_id, token, status=status, last_error=reason):
            setattr(report, status, getattr(report, status) + 1)
        return
    if not adapter.in_database:
        db.session.commit()  # no transaction stays open while a server is talked to
    try:
        provider_id = adapter.send(outgoing)
    except ChannelError as exc:
        db.session.commit()
        _record_failure(message_id, token, now, attempts + 1, exc, report)
        return
    except Exception as exc:  # a bug in an adapter must not stop the worker or loop on one message
        db.session.commit()
        failure = ChannelError("unexpected", type(exc).__name__)  # the type only: messages may hold addresses
        _record_failure(message_id, token, now, attempts + 1, failure, report)
        return
    if _finish(
        message_id,
        token,
        status=MessageStatus.SENT,
        attempts=attempts + 1,
        sent_at=now,  # the instant this run is as of (the real one, except in `tick --at` checks)
        recipient=outgoing.to,
        provider_message_id=provider_id,
        transport=str(adapter.transport),
        last_error=None,
    ):
        report.sent += 1
        report.by_channel[outgoing.channel] = report.by_channel.get(outgoing.channel, 0) + 1
    else:
        log.warning("outbox message %s was sent after its lease ran out", message_id)


def _attempts_of(message_id: int) -> int:
    return db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)) or 0


def _check(message_id: int, token: str, *, renew: bool):
    """Confirm this worker's lease and re-read the message's cause; leaves the transaction open.

    With ``renew`` (a send that talks to a server follows) a lease with less than
    half its length left is extended first, so it cannot run out during the send.

    :return: None when the lease is lost; else (outgoing, attempts, verdict) where
        verdict is None to send, or (status, reason) to record without sending.
    """
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.lease_token != token or message.status != MessageStatus.SENDING:
        return None
    if renew and message.lease_until - utcnow() < _lease() / 2:
        renewed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.lease_token == token)
            .values(lease_until=utcnow() + _lease())
            .execution_options(synchronize_session=False)
        )
        if not renewed.rowcount:
            return None
    patient = db.session.get(Patient, message.patient_id)
    verdict = _verdict(message, patient)
    to = {Channel.EMAIL: patient.email, Channel.SMS: patient.phone}.get(message.channel, "page") or ""
    if verdict is None and not to:
        verdict = (MessageStatus.SKIPPED, "no address to send to")
    outgoing = Outgoing(
        id=message.id,
        channel=message.channel,
        type=message.type,
        language=message.language,
        subject=message.subject,
        body=message.body,
        dedupe_key=message.dedupe_key,
        to=to,
    )
    return outgoing, message.attempts, verdict


def _verdict(message: OutboxMessage, patient: Patient) -> tuple[str, str] | None:
    """Why ``message`` must not be sent any more, or None."""
    if message.booking_id is not None and message.type in _VISIT_REMINDERS:
        status = db.session.scalar(select(Booking.status).where(Booking.id == message.booking_id))
        if status is None or not is_open(status):
            return MessageStatus.WITHDRAWN, "the visit is no longer open"
    if message.channel != Channel.PAGE:
        pref = preferences.effective(patient)
        if message.channel not in preferences.channels_for(patient, pref, message.type):
            return MessageStatus.SKIPPED, "no consent or opted out since it was queued"
    return None


def _record_failure(
    message_id: int, token: str, now: datetime, attempts: int, exc: ChannelError, report: DeliveryReport
) -> None:
    error = str(exc)[:500]
    log.warning("outbox message %s failed (attempt %s): %s", message_id, attempts, exc.kind)
    if exc.permanent or attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        if _finish(message_id, token, status=MessageStatus.DEAD, attempts=attempts, last_error=error):
            report.dead += 1
        return
    if _finish(
        message_id,
        token,
        status=MessageStatus.PENDING,
        attempts=attempts,
        next_attempt_at=now + _backoff(attempts),
        last_error=error,
    ):
        report.retried += 1
