"""The outbox as an admin sees it: messages by status, and retrying a dead letter (audited).

A retry is one conditional UPDATE from ``dead`` to ``pending``: two admins
pressing Retry at once put the message back once, and only the one whose
update changed the row is recorded in the audit.
"""

from __future__ import annotations

from sqlalchemy import Select, select, update

from booking.db_types import utcnow
from booking.errors import Conflict, NotFound
from booking.extensions import db
from booking.models import User
from booking.program.models import MessageStatus, NotificationAudit, OutboxMessage


def messages_query(status: str) -> Select:
    return select(OutboxMessage).where(OutboxMessage.status == status).order_by(OutboxMessage.id.desc())


def retry(message_id: int, actor: User) -> OutboxMessage:
    """Put a dead message back in the queue, due now, with a fresh count of attempts; flushes.

    :raise NotFound: (404) no such message.
    :raise Conflict: (409) the message is not dead (never was, or already retried).
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.DEAD)
        .values(status=MessageStatus.PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        raise NotFound(f"Message {message_id} not found.")
    if not result.rowcount:
        raise Conflict(f"Message {message_id} is {message.status}, not dead.", current_status=message.status)
    db.session.add(
        NotificationAudit(
            actor_id=actor.id,
            patient_id=message.patient_id,
            message_id=message.id,
            action="dead_letter_retried",
            detail=(message.last_error or "")[:200],
        )
    )
    db.session.flush()
    return message


def recent_audit(limit: int = 50) -> list[NotificationAudit]:
    return list(
        db.session.scalars(select(NotificationAudit).order_by(NotificationAudit.id.desc()).limit(limit))
    )


def message_view(message: OutboxMessage) -> dict:
    """Staff's view of a message: its delivery state, without the body."""
    return {
        "id": message.id,
        "patient_id": message.patient_id,
        "booking_id": message.booking_id,
        "type": message.type,
        "channel": message.channel,
        "status": message.status,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "due_at": message.due_at,
        "next_attempt_at": message.next_attempt_at,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "transport": message.transport,
    }
