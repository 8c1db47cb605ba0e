"""Bookings: create (idempotent), read, list, reschedule, cancel, move through statuses."""

from __future__ import annotations

from flask import Response, json, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from booking.api.common import documented_errors, paginate_query
from booking.auth import EVERYONE, STAFF, current_user, is_staff, roles_allowed
from booking.errors import Conflict
from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.schemas import (
    BookingCreateSchema,
    BookingEventSchema,
    BookingListArgsSchema,
    BookingSchema,
    CancelSchema,
    RescheduleSchema,
    TransitionSchema,
)
from booking.services import idempotency
from booking.services.availability import active_center
from booking.services.bookings import (
    booking_view,
    change_status,
    create_booking,
    reschedule_booking,
    visible_booking,
)
from booking.services.patients import visible_patient
from booking.slots import zone_for

blp = Blueprint("bookings", __name__, url_prefix="/api/v1/bookings", description="Lab-visit bookings.")

IDEMPOTENCY_HEADER = {
    "Idempotency-Key": {
        "description": "Makes the request safe to retry: a replay returns the first response.",
        "schema": {"type": "string", "maxLength": 200},
        "required": False,
    }
}


def _json_response(status: int, body: str, booking_id: int | None = None, replayed: bool = False) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if booking_id is not None:
        response.headers["Location"] = url_for("bookings.BookingById", booking_id=booking_id)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@blp.route("")
class Bookings(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.arguments(BookingListArgsSchema, location="query")
    @blp.response(200, BookingSchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 404)
    def get(self, args, pagination_parameters):
        """Bookings by patient, or by service center and local day (staff); patients see their own."""
        user = current_user()
        query = db.select(Booking)
        if not is_staff(user) or args.get("patient_id") is not None:
            patient = visible_patient(user, args.get("patient_id"))
            query = query.where(Booking.patient_id == patient.id)
        if args.get("service_center_id") is not None:
            query = query.where(Booking.service_center_id == args["service_center_id"])
        if args.get("day") is not None:
            query = _on_local_day(query, args)
        if args.get("status"):
            query = query.where(Booking.status == args["status"])
        query = query.order_by(Booking.starts_at, Booking.id)
        return [booking_view(b) for b in paginate_query(db, query, pagination_parameters)]

    @roles_allowed(*EVERYONE)
    @blp.arguments(BookingCreateSchema)
    @blp.response(201, BookingSchema)
    @blp.doc(parameters=[{"in": "header", "name": name, **spec} for name, spec in IDEMPOTENCY_HEADER.items()])
    @documented_errors(blp, 401, 404, 409, 422)
    def post(self, data):
        """Book a visit of any kind. Patients book for themselves; staff give ``patient_id``.

        :raise 409: the slot or day is full, or the month already has a booking.
        :raise 422: not an offered time, outside the schedule, reused Idempotency-Key.
        """
        user = current_user()
        key = request.headers.get("Idempotency-Key")
        fingerprint = idempotency.request_fingerprint(request.path, request.get_json(silent=True))
        if key is not None:
            key = idempotency.check_key(key)
            stored = idempotency.stored_response(user.id, key, fingerprint)
            if stored:
                return _json_response(stored.status_code, stored.body, replayed=True)
        patient = visible_patient(user, data.get("patient_id"))
        try:
            booking = create_booking(user, patient, data)
        except Conflict:
            # A concurrent request with the same key may have just taken the place or the
            # month: then this is a retry of it, and gets its response.
            db.session.rollback()
            stored = idempotency.stored_response(user.id, key, fingerprint) if key else None
            if stored is None:
                raise
            return _json_response(stored.status_code, stored.body, replayed=True)
        body = json.dumps(BookingSchema().dump(booking_view(booking)))
        if key is not None:
            idempotency.remember(user.id, key, fingerprint, 201, body)
        try:
            db.session.commit()
        except IntegrityError:
            # A concurrent request with the same key won the race: replay its response.
            db.session.rollback()
            stored = idempotency.stored_response(user.id, key, fingerprint) if key else None
            if stored is None:
                raise
            return _json_response(stored.status_code, stored.body, replayed=True)
        return _json_response(201, body, booking_id=booking.id)


def _on_local_day(query, args):
    """Bookings starting on a local day at their place (a center's zone when one is given)."""
    from datetime import datetime, time, timedelta

    tz = "UTC"
    if args.get("service_center_id") is not None:
        tz = active_center(args["service_center_id"]).time_zone
    zone = zone_for(tz)
    start = datetime.combine(args["day"], time(0), zone)
    end = datetime.combine(args["day"] + timedelta(days=1), time(0), zone)
    return query.where(Booking.starts_at >= start, Booking.starts_at < end)


@blp.route("/<int:booking_id>")
class BookingById(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, BookingSchema)
    @documented_errors(blp, 401, 404)
    def get(self, booking_id):
        """One booking (patients: only their own)."""
        return booking_view(visible_booking(current_user(), booking_id))

    @roles_allowed(*EVERYONE)
    @blp.arguments(RescheduleSchema)
    @blp.response(200, BookingSchema)
    @documented_errors(blp, 401, 404, 409, 422)
    def patch(self, data, booking_id):
        """Reschedule: move the visit to another offered time (and center), up to the cutoff.

        :raise 409: past the cutoff, not reschedulable in its status, or the new time is full.
        """
        user = current_user()
        booking = reschedule_booking(user, visible_booking(user, booking_id), data)
        db.session.commit()
        return booking_view(booking)


@blp.route("/<int:booking_id>/cancel")
class Cancel(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.arguments(CancelSchema)
    @blp.response(200, BookingSchema)
    @documented_errors(blp, 401, 404, 409)
    def post(self, data, booking_id):
        """Cancel a visit (up to the cutoff for patients); its place is freed at once.

        :raise 409: already final, or past the cutoff.
        """
        user = current_user()
        booking = change_status(user, visible_booking(user, booking_id), "cancelled", data["reason"])
        db.session.commit()
        return booking_view(booking)


@blp.route("/<int:booking_id>/status")
class Status(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(TransitionSchema)
    @blp.response(200, BookingSchema)
    @documented_errors(blp, 401, 403, 404, 409)
    def post(self, data, booking_id):
        """Move a booking along its state machine (staff).

        :raise 409: the transition is not allowed from the current status.
        """
        user = current_user()
        booking = change_status(user, visible_booking(user, booking_id), data["status"], data.get("reason"))
        db.session.commit()
        return booking_view(booking)


@blp.route("/<int:booking_id>/events")
class Events(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, BookingEventSchema(many=True))
    @documented_errors(blp, 401, 404)
    def get(self, booking_id):
        """The booking's history: who changed what, when."""
        booking = visible_booking(current_user(), booking_id)
        return db.session.scalars(
            db.select(BookingEvent).where(BookingEvent.booking_id == booking.id).order_by(BookingEvent.id)
        ).all()
