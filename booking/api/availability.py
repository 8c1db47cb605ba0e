"""What a patient can book between two dates."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors
from booking.auth import EVERYONE, current_user, roles_allowed
from booking.schemas import AvailabilityArgsSchema, AvailabilitySchema
from booking.services.availability import availability
from booking.services.patients import visible_patient

blp = Blueprint(
    "availability",
    __name__,
    url_prefix="/api/v1/availability",
    description="Open slots, arrival windows and provider visits.",
)


@blp.route("")
class Availability(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.arguments(AvailabilityArgsSchema, location="query")
    @blp.response(200, AvailabilitySchema)
    @documented_errors(blp, 401, 404, 422)
    def get(self, args):
        """Open slots at a center (``kind=service_center``), arrival windows at home or office,
        or the provider-visit notice, between ``from`` and ``to`` (inclusive, local days).

        Times are given in UTC and in the place's local time with its offset.
        :raise 422: reversed, past or too long a range; no office address; outside every region.
        :raise 404: unknown patient or center.
        """
        patient = visible_patient(current_user(), args.get("patient_id"))
        return availability(patient, args["kind"], args["start"], args["end"], args.get("service_center_id"))
