"""Marshmallow schemas of the outreach worklist, contact attempts, symptom check-ins and skin checks."""

from __future__ import annotations

from marshmallow import fields, validate

from booking.program.outreach_models import Outcome, Reason, Severity
from booking.schemas import KINDS, Id, StrictSchema

OUTCOMES = [o.value for o in Outcome]
REASONS = [r.value for r in Reason]
LANGUAGES = ["en", "es"]


# --- worklist and contact attempts ----------------------------------------------------


class WorklistArgsSchema(StrictSchema):
    region_id = Id(strict=False, metadata={"description": "Home-visit region of the patient's home."})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"description": "Visit kind last used."})
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    reason = fields.String(validate=validate.OneOf(REASONS))


class WorklistRowSchema(StrictSchema):
    patient_id = fields.Integer()
    patient_number = fields.String(metadata={"description": "P-000123: tells namesakes apart."})
    name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True)
    language = fields.String()
    region_id = fields.Integer(allow_none=True)
    region_name = fields.String(allow_none=True)
    last_kind = fields.String(allow_none=True, metadata={"description": "Kind of the latest visit booked."})
    reasons = fields.List(fields.String(validate=validate.OneOf(REASONS)))
    urgent = fields.Boolean(metadata={"description": "An unacknowledged red-flag check-in."})
    red_flag_checkin_id = fields.Integer(allow_none=True)
    red_flag_at = fields.DateTime(allow_none=True)
    overdue_months = fields.Integer()
    overdue_since = fields.String(allow_none=True, metadata={"description": "YYYY-MM"})
    due_month = fields.String(allow_none=True, metadata={"description": "YYYY-MM: due, nothing booked"})
    last_contact_at = fields.DateTime(allow_none=True)
    last_outcome = fields.String(allow_none=True, validate=validate.OneOf(OUTCOMES))
    days_since_contact = fields.Integer(allow_none=True)
    next_attempt_on = fields.Date(allow_none=True)
    waiting = fields.Boolean(metadata={"description": "The next-attempt date has not come yet."})


class AttemptCreateSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"multiline": True})
    next_attempt_on = fields.Date(load_default=None, allow_none=True)


class AttemptSchema(StrictSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    at = fields.DateTime()
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    note = fields.String()
    next_attempt_on = fields.Date(allow_none=True)
    booking_id = fields.Integer(allow_none=True)


# --- symptom check-ins ----------------------------------------------------------------


class QuestionArgsSchema(StrictSchema):
    language = fields.String(validate=validate.OneOf(LANGUAGES), load_default="en")


class QuestionSchema(StrictSchema):
    id = fields.String()
    text = fields.String()
    red_flag = fields.Boolean()
    severity = fields.String(validate=validate.OneOf(["call_provider", "emergency"]))


class QuestionSetSchema(StrictSchema):
    version = fields.String()
    language = fields.String()
    questions = fields.List(fields.Nested(QuestionSchema))


class AnswerInSchema(StrictSchema):
    question_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    answer = fields.Boolean(required=True)


class CheckinCreateSchema(StrictSchema):
    answers = fields.List(
        fields.Nested(AnswerInSchema), required=True, validate=validate.Length(min=1, max=30)
    )


class AnswerSchema(StrictSchema):
    question_id = fields.String()
    question = fields.String(allow_none=True)
    answer = fields.Boolean()


class CheckinSchema(StrictSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    month = fields.String(metadata={"description": "YYYY-MM"})
    submitted_at = fields.DateTime()
    question_set = fields.String()
    answers = fields.List(fields.Nested(AnswerSchema))
    red_flag = fields.Boolean(metadata={"description": "A warning sign was reported: act on `advice` now."})
    red_flags = fields.List(fields.String(), metadata={"description": "Ids of the questions answered yes."})
    severity = fields.String(validate=validate.OneOf([s.value for s in Severity]))
    advice = fields.String(metadata={"description": "What to do now, in the patient's language."})
    provider_phone = fields.String(allow_none=True)
    acknowledged_at = fields.DateTime(
        allow_none=True, metadata={"description": "When a nurse spoke to them."}
    )


# --- skin checks ----------------------------------------------------------------------


class SkinCheckCreateSchema(StrictSchema):
    done_on = fields.Date(required=True)
    provider_name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SkinCheckSchema(StrictSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    done_on = fields.Date()
    provider_name = fields.String()
    recorded_by_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()
