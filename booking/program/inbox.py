"""What a patient was sent: every delivered message on every channel, and the page inbox's unread state.

The page channel is the patient's inbox: its messages are unread until the
patient marks them read. E-mail and SMS copies are listed too, so a patient
can see what went where; those kept in the demo mailbox say they were not
really sent.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select, update

from booking.db_types import utcnow
from booking.extensions import db
from booking.models import Patient
from booking.program.models import Channel, MessageStatus, OutboxMessage, Transport


def messages_query(patient: Patient, channel: str | None = None) -> Select:
    """The patient's delivered messages, newest first."""
    query = select(OutboxMessage).where(
        OutboxMessage.patient_id == patient.id, OutboxMessage.status == MessageStatus.SENT
    )
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return query.order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())


def unread_count(patient: Patient) -> int:
    return db.session.scalar(
        select(func.count()).where(
            OutboxMessage.patient_id == patient.id,
            OutboxMessage.channel == Channel.PAGE,
            OutboxMessage.status == MessageStatus.SENT,
            OutboxMessage.read_at.is_(None),
        )
    )


def mark_read(patient: Patient, ids: list[int] | None = None) -> int:
    """Mark the patient's unread inbox messages read (only ``ids`` when given); returns how many. Flushes."""
    statement = update(OutboxMessage).where(
        OutboxMessage.patient_id == patient.id,
        OutboxMessage.channel == Channel.PAGE,
        OutboxMessage.status == MessageStatus.SENT,
        OutboxMessage.read_at.is_(None),
    )
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    result = db.session.execute(
        statement.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def message_view(message: OutboxMessage) -> dict:
    return {
        "id": message.id,
        "type": message.type,
        "channel": message.channel,
        "subject": message.subject,
        "body": message.body,
        "language": message.language,
        "sent_at": message.sent_at,
        "read_at": message.read_at,
        "unread": message.channel == Channel.PAGE and message.read_at is None,
        "transport": message.transport,
        "not_really_sent": message.transport == Transport.LOCAL_MAILBOX,
    }
