"""Coordinators' lists: who is due with no booking, who is overdue."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors
from booking.auth import STAFF, roles_allowed
from booking.schedule import month_of
from booking.schemas import DuePatientSchema, MonthArgsSchema
from booking.services.monitoring import due_without_booking, overdue_patients

blp = Blueprint(
    "monitoring", __name__, url_prefix="/api/v1/monitoring", description="Who is due or overdue (staff)."
)


@blp.route("/due")
class Due(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(MonthArgsSchema, location="query")
    @blp.response(200, DuePatientSchema(many=True))
    @documented_errors(blp, 401, 403)
    def get(self, args):
        """Patients with a monitoring month ``month`` (default: this month) and no booking for it."""
        return due_without_booking(args.get("month") or month_of(datetime.now(UTC).date()))


@blp.route("/overdue")
class Overdue(MethodView):
    @roles_allowed(*STAFF)
    @blp.response(200, DuePatientSchema(many=True))
    @documented_errors(blp, 401, 403)
    def get(self):
        """Patients with an overdue month: past, untested, and not tested since."""
        return overdue_patients()
