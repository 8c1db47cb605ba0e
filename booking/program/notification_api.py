"""The notification API: patients' preferences and messages, and the outbox's dead letters for admins."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors, paginate_query
from booking.auth import STAFF, current_user, roles_allowed
from booking.extensions import db
from booking.models import Role
from booking.program import dead_letters, inbox, preferences
from booking.program.models import NotificationAudit
from booking.program.schemas import (
    AuditEntrySchema,
    MarkedSchema,
    MarkReadSchema,
    OutboxArgsSchema,
    OutboxMessageSchema,
    PatientMessageArgsSchema,
    PatientMessageSchema,
    PreferencesSchema,
    PreferencesUpdateSchema,
)
from booking.services.patients import visible_patient

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    description="Notifications: patients' preferences and consent, what they were sent, the outbox.",
)

PATIENT_AND_STAFF = (Role.PATIENT, *STAFF)


@blp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"  # patient data and contact details
    return response


@blp.route("/patients/<int:patient_id>/notification-preferences")
class Preferences(MethodView):
    @roles_allowed(*PATIENT_AND_STAFF)
    @blp.response(200, PreferencesSchema)
    @documented_errors(blp, 401, 403, 404)
    def get(self, patient_id):
        """How the patient hears from the program, and their recorded consent (patients: their own)."""
        return preferences.view(visible_patient(current_user(), patient_id))

    @roles_allowed(*PATIENT_AND_STAFF)
    @blp.arguments(PreferencesUpdateSchema)
    @blp.response(200, PreferencesSchema)
    @documented_errors(blp, 401, 403, 404, 422)
    def put(self, data, patient_id):
        """Change channels, language, quiet hours, opt-outs; record or withdraw consent.

        Staff may act on a patient's behalf; the consent is then recorded with the staff user.

        :raise 422: e-mail or SMS switched on without consent; half a quiet-hours range.
        """
        patient = visible_patient(current_user(), patient_id)
        preferences.update(patient, data, current_user())
        db.session.commit()
        return preferences.view(patient)


@blp.route("/patients/<int:patient_id>/messages")
class Messages(MethodView):
    @roles_allowed(*PATIENT_AND_STAFF)
    @blp.arguments(PatientMessageArgsSchema, location="query")
    @blp.response(200, PatientMessageSchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 403, 404)
    def get(self, args, patient_id, pagination_parameters):
        """What was sent to the patient on every channel, newest first; page messages carry unread state."""
        patient = visible_patient(current_user(), patient_id)
        query = inbox.messages_query(patient, args.get("channel"))
        return [inbox.message_view(m) for m in paginate_query(db, query, pagination_parameters)]


@blp.route("/patients/<int:patient_id>/messages/read")
class MarkRead(MethodView):
    @roles_allowed(Role.PATIENT)
    @blp.arguments(MarkReadSchema)
    @blp.response(200, MarkedSchema)
    @documented_errors(blp, 401, 403, 404)
    def post(self, data, patient_id):
        """Mark page messages read (all, or ``ids``): only the patient themself, so staff reading changes nothing."""
        patient = visible_patient(current_user(), patient_id)
        marked = inbox.mark_read(patient, data.get("ids"))
        db.session.commit()
        return {"marked": marked, "unread": inbox.unread_count(patient)}


@blp.route("/outbox/messages")
class Outbox(MethodView):
    @roles_allowed(Role.ADMIN)
    @blp.arguments(OutboxArgsSchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 403)
    def get(self, args, pagination_parameters):
        """Outbox messages by status (default: the dead letters), newest first; no bodies (admin)."""
        query = dead_letters.messages_query(args["status"])
        return [dead_letters.message_view(m) for m in paginate_query(db, query, pagination_parameters)]


@blp.route("/outbox/messages/<int:message_id>/retry")
class Retry(MethodView):
    @roles_allowed(Role.ADMIN)
    @blp.response(200, OutboxMessageSchema)
    @documented_errors(blp, 401, 403, 404, 409)
    def post(self, message_id):
        """Put a dead letter back in the queue, due now; the retry is audited with who did it (admin).

        :raise 409: the message is not dead.
        """
        message = dead_letters.retry(message_id, current_user())
        db.session.commit()
        return dead_letters.message_view(message)


@blp.route("/outbox/audit")
class Audit(MethodView):
    @roles_allowed(Role.ADMIN)
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 403)
    def get(self, pagination_parameters):
        """Who retried dead letters and who gave or withdrew consent, newest first (admin)."""
        query = db.select(NotificationAudit).order_by(NotificationAudit.id.desc())
        return paginate_query(db, query, pagination_parameters)
