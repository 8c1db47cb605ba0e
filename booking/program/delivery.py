"""Delivering the outbox: claim due messages, send each through its channel, record the outcome.

A worker claims a batch with one conditional UPDATE (pending and due, or a
lease that expired because its worker died) and a fresh lease token, then
sends and records each message in its own short transaction. A killed worker
loses nothing: its lease runs out and another worker claims the message.
Failures are retried with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``,
then the message is dead-lettered for an admin to see and retry.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from booking.extensions import db
from booking.program.channels import ChannelError, adapter_for
from booking.program.models import MessageStatus, OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def _claim(now: datetime, batch: int) -> str | None:
    """Lease up to ``batch`` due messages to this worker; returns the lease token (None: nothing due)."""
    config = current_app.config
    token = secrets.token_hex(16)
    due = (
        select(OutboxMessage.id)
        .where(
            or_(
                (OutboxMessage.status == MessageStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == MessageStatus.SENDING) & (OutboxMessage.lease_until < now),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
    )
    ids = list(db.session.scalars(due))
    if not ids:
        db.session.rollback()
        return None
    # The WHERE repeats the state we read: a message another worker claimed meanwhile is not taken.
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            or_(
                (OutboxMessage.status == MessageStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == MessageStatus.SENDING) & (OutboxMessage.lease_until < now),
            ),
        )
        .values(
            status=MessageStatus.SENDING,
            lease_token=token,
            lease_until=now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"]),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token


def _backoff(attempts: int) -> timedelta:
    base = current_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def _finish(message_id: int, token: str, **values) -> bool:
    """Record an outcome only if this worker still holds the lease."""
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
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    batches = 0
    while max_batches is None or batches < max_batches:
        token = _claim(now, batch)
        if token is None:
            break
        batches += 1
        messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.lease_token == token)))
        for message in messages:
            _deliver_one(message, token, now, max_attempts, report)
    return report


def _deliver_one(message: OutboxMessage, token: str, now: datetime, max_attempts: int, report) -> None:
    message_id, channel = message.id, message.channel
    try:
        recipient, provider_id = adapter_for(channel).send(message)
    except ChannelError as exc:
        attempts = message.attempts + 1
        if exc.permanent or attempts >= max_attempts:
            _finish(
                message_id, token, status=MessageStatus.DEAD, attempts=attempts, last_error=str(exc)[:500]
            )
            report.dead += 1
        else:
            _finish(
                message_id,
                token,
                status=MessageStatus.PENDING,
                attempts=attempts,
                next_attempt_at=now + _backoff(attempts),
                last_error=str(exc)[:500],
            )
            report.retried += 1
        log.warning(
            "outbox message %s on %s failed (attempt %s): %s", message_id, channel, attempts, exc.kind
        )
        return
    if recipient is None:
        _finish(message_id, token, status=MessageStatus.SKIPPED, last_error="no address to send to")
        report.skipped += 1
        return
    if _finish(
        message_id,
        token,
        status=MessageStatus.SENT,
        attempts=message.attempts + 1,
        sent_at=now,
        recipient=recipient,
        provider_message_id=provider_id,
    ):
        report.sent += 1
        report.by_channel[channel] = report.by_channel.get(channel, 0) + 1
