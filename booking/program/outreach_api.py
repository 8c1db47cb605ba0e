"""API of nurse outreach (the worklist, contact attempts), symptom check-ins and skin checks.

Staff see the worklist and anyone's check-ins and skin checks; a patient sees
only their own (anyone else's answers 404); technicians none of it. Every
answer carries patient data, so none may be cached.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors, paginate_query
from booking.auth import STAFF, current_user, roles_allowed
from booking.extensions import db
from booking.models import Role
from booking.program import checkins, once, outreach, skin_checks
from booking.program.outreach_schemas import (
    AttemptCreateSchema,
    AttemptSchema,
    CheckinCreateSchema,
    CheckinSchema,
    QuestionArgsSchema,
    QuestionSetSchema,
    SkinCheckCreateSchema,
    SkinCheckSchema,
    WorklistArgsSchema,
    WorklistRowSchema,
)
from booking.services.availability import now_utc
from booking.services.patients import visible_patient

PEOPLE = (Role.PATIENT, Role.COORDINATOR, Role.ADMIN)

outreach_blp = Blueprint(
    "outreach",
    __name__,
    url_prefix="/api/v1/outreach",
    description="The nurses' outreach worklist and contact attempts (staff).",
)
checkin_blp = Blueprint(
    "checkins",
    __name__,
    url_prefix="/api/v1",
    description="Monthly symptom check-ins and yearly skin checks (patients: their own).",
)


IDEMPOTENCY = {
    "in": "header",
    "name": "Idempotency-Key",
    "description": "Makes the request safe to retry: a repeat with the same key returns the first record.",
    "schema": {"type": "string", "maxLength": once.MAX_KEY_LENGTH},
    "required": False,
}


def _request_key() -> str | None:
    return once.check_key(request.headers.get("Idempotency-Key"))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


outreach_blp.after_request(_no_store)
checkin_blp.after_request(_no_store)


@outreach_blp.route("/worklist")
class Worklist(MethodView):
    @roles_allowed(*STAFF)
    @outreach_blp.arguments(WorklistArgsSchema, location="query")
    @outreach_blp.response(200, WorklistRowSchema(many=True))
    @outreach_blp.paginate()
    @documented_errors(outreach_blp, 401, 403)
    def get(self, args, pagination_parameters):
        """Patients who need a contact, most urgent first (red flags at the top), with filters."""
        rows, total = outreach.worklist(
            outreach.Filters(**args),
            now_utc().date(),
            pagination_parameters.page,
            pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows


@outreach_blp.route("/patients/<int:patient_id>/attempts")
class Attempts(MethodView):
    @roles_allowed(*STAFF)
    @outreach_blp.response(200, AttemptSchema(many=True))
    @outreach_blp.paginate()
    @documented_errors(outreach_blp, 401, 403, 404)
    def get(self, patient_id, pagination_parameters):
        """A patient's contact attempts, newest first."""
        patient = visible_patient(current_user(), patient_id)
        return paginate_query(db, outreach.attempts_query(patient.id), pagination_parameters)

    @roles_allowed(*STAFF)
    @outreach_blp.arguments(AttemptCreateSchema)
    @outreach_blp.response(201, AttemptSchema)
    @outreach_blp.doc(parameters=[IDEMPOTENCY])
    @documented_errors(outreach_blp, 401, 403, 404, 422)
    def post(self, data, patient_id):
        """Log a contact attempt: reached, voicemail, no answer, declined, booked or wrong number.

        Reached, declined or booked acknowledges an open red flag; declined or
        booked settles the month. ``next_attempt_on`` moves the patient down
        the worklist until that day.
        """
        patient = visible_patient(current_user(), patient_id)
        attempt = outreach.log_attempt(current_user(), patient, data, _request_key())
        db.session.commit()
        return attempt


@checkin_blp.route("/checkins/questions")
class Questions(MethodView):
    @roles_allowed(*PEOPLE)
    @checkin_blp.arguments(QuestionArgsSchema, location="query")
    @checkin_blp.response(200, QuestionSetSchema)
    @documented_errors(checkin_blp, 401, 403)
    def get(self, args):
        """The current check-in questions, each answered yes or no."""
        questions = checkins.question_set()
        language = args["language"]
        return {
            "version": questions.version,
            "language": language,
            "questions": [
                {"id": q.id, "text": q.text_in(language), "red_flag": q.red_flag, "severity": q.severity}
                for q in questions.questions
            ],
        }


@checkin_blp.route("/patients/<int:patient_id>/checkins")
class Checkins(MethodView):
    @roles_allowed(*PEOPLE)
    @checkin_blp.response(200, CheckinSchema(many=True))
    @checkin_blp.paginate()
    @documented_errors(checkin_blp, 401, 403, 404)
    def get(self, patient_id, pagination_parameters):
        """A patient's check-ins, newest first."""
        patient = visible_patient(current_user(), patient_id)
        language = checkins.language_of(patient)
        page = paginate_query(db, checkins.checkins_query(patient.id), pagination_parameters)
        return [checkins.checkin_view(c, patient, language) for c in page]

    @roles_allowed(*PEOPLE)
    @checkin_blp.arguments(CheckinCreateSchema)
    @checkin_blp.response(201, CheckinSchema)
    @checkin_blp.doc(parameters=[IDEMPOTENCY])
    @documented_errors(checkin_blp, 401, 403, 404, 422)
    def post(self, data, patient_id):
        """Answer the monthly check-in; a warning sign is answered with what to do now (``advice``).

        :raise 422: an answer is missing, repeated, or not a question of the set.
        """
        patient = visible_patient(current_user(), patient_id)
        checkin = checkins.submit(current_user(), patient, data["answers"], now_utc(), _request_key())
        db.session.commit()
        return checkins.checkin_view(checkin, patient, checkins.language_of(patient))


@checkin_blp.route("/patients/<int:patient_id>/checkins/<int:checkin_id>")
class CheckinById(MethodView):
    @roles_allowed(*PEOPLE)
    @checkin_blp.response(200, CheckinSchema)
    @documented_errors(checkin_blp, 401, 403, 404)
    def get(self, patient_id, checkin_id):
        """One check-in with its answers and advice."""
        patient = visible_patient(current_user(), patient_id)
        checkin = checkins.visible_checkin(patient, checkin_id)
        return checkins.checkin_view(checkin, patient, checkins.language_of(patient))


@checkin_blp.route("/patients/<int:patient_id>/skin-checks")
class SkinChecks(MethodView):
    @roles_allowed(*PEOPLE)
    @checkin_blp.response(200, SkinCheckSchema(many=True))
    @checkin_blp.paginate()
    @documented_errors(checkin_blp, 401, 403, 404)
    def get(self, patient_id, pagination_parameters):
        """A patient's recorded skin checks, latest first."""
        patient = visible_patient(current_user(), patient_id)
        page = paginate_query(db, skin_checks.checks_query(patient.id), pagination_parameters)
        return [skin_checks.check_view(c) for c in page]

    @roles_allowed(*PEOPLE)
    @checkin_blp.arguments(SkinCheckCreateSchema)
    @checkin_blp.response(201, SkinCheckSchema)
    @checkin_blp.doc(parameters=[IDEMPOTENCY])
    @documented_errors(checkin_blp, 401, 403, 404, 422)
    def post(self, data, patient_id):
        """Record a yearly skin check as done: when, and by which provider.

        :raise 422: dated in the future.
        """
        patient = visible_patient(current_user(), patient_id)
        check = skin_checks.record(current_user(), patient, data, now_utc(), _request_key())
        db.session.commit()
        return skin_checks.check_view(check)
