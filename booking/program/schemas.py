"""Marshmallow schemas of the notification API: preferences with consent, a patient's messages, the outbox."""

from __future__ import annotations

from marshmallow import fields, validate

from booking.program.message_texts import LANGUAGES
from booking.program.models import Channel, MessageStatus, MessageType
from booking.schemas import Id, StrictSchema

TYPES = [t.value for t in MessageType]
CHANNELS = [c.value for c in Channel]
STATUSES = [s.value for s in MessageStatus]


class ConsentSchema(StrictSchema):
    given_at = fields.DateTime(required=True)
    text_version = fields.String(required=True)
    recorded_by_user_id = fields.Integer(allow_none=True, metadata={"description": "Who recorded it."})
    recorded_by_role = fields.String(
        allow_none=True, metadata={"description": "patient, or staff on their behalf."}
    )


class PreferencesSchema(StrictSchema):
    patient_id = fields.Integer(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    email_enabled = fields.Boolean(required=True)
    sms_enabled = fields.Boolean(required=True)
    quiet_start = fields.Time(
        allow_none=True, format="%H:%M", metadata={"description": "Patient's local time."}
    )
    quiet_end = fields.Time(allow_none=True, format="%H:%M")
    default_quiet_hours = fields.String(
        metadata={"description": "Used when quiet_start/quiet_end are unset."}
    )
    time_zone = fields.String(required=True)
    opted_out_types = fields.List(fields.String(validate=validate.OneOf(TYPES)), required=True)
    email_on_file = fields.Boolean(required=True)
    phone_on_file = fields.Boolean(required=True)
    consent = fields.Nested(ConsentSchema, allow_none=True, required=True)
    consent_text_version = fields.String(
        required=True, metadata={"description": "The wording consent is given to."}
    )
    consent_text = fields.String(required=True)


class PreferencesUpdateSchema(StrictSchema):
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    email_enabled = fields.Boolean()
    sms_enabled = fields.Boolean()
    quiet_start = fields.Time(allow_none=True, format="%H:%M")
    quiet_end = fields.Time(allow_none=True, format="%H:%M")
    opted_out_types = fields.List(
        fields.String(validate=validate.OneOf(TYPES)), validate=validate.Length(max=len(TYPES))
    )
    consent = fields.Boolean(
        metadata={
            "description": "true: consent to the current wording now (recorded with who and when); false: withdraw."
        }
    )


class PatientMessageSchema(StrictSchema):
    id = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    subject = fields.String(required=True)
    body = fields.String(required=True)
    language = fields.String(required=True)
    sent_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    unread = fields.Boolean(required=True, metadata={"description": "Page messages not yet marked read."})
    transport = fields.String(allow_none=True)
    not_really_sent = fields.Boolean(
        required=True,
        metadata={"description": "Kept in the demo mailbox: no mail server or SMS provider is set."},
    )


class PatientMessageArgsSchema(StrictSchema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class MarkReadSchema(StrictSchema):
    ids = fields.List(
        Id(), validate=validate.Length(min=1, max=500), metadata={"description": "Default: all."}
    )


class MarkedSchema(StrictSchema):
    marked = fields.Integer(required=True)
    unread = fields.Integer(required=True)


class OutboxArgsSchema(StrictSchema):
    status = fields.String(load_default="dead", validate=validate.OneOf(STATUSES))


class OutboxMessageSchema(StrictSchema):
    id = fields.Integer(required=True)
    patient_id = fields.Integer(required=True)
    booking_id = fields.Integer(allow_none=True)
    type = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)
    due_at = fields.DateTime(required=True)
    next_attempt_at = fields.DateTime(required=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)
    transport = fields.String(allow_none=True)


class AuditEntrySchema(StrictSchema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    action = fields.String(required=True)
    patient_id = fields.Integer(allow_none=True)
    message_id = fields.Integer(allow_none=True)
    detail = fields.String(allow_none=True)
