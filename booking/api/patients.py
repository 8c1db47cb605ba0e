"""Patients: records, treatment courses, the monitoring schedule and their bookings."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors, paginate_query
from booking.auth import EVERYONE, STAFF, current_user, roles_allowed
from booking.extensions import db
from booking.models import Booking, Patient
from booking.schemas import (
    BookingSchema,
    CourseSchema,
    PatientCreateSchema,
    PatientListArgsSchema,
    PatientSchema,
    PatientUpdateSchema,
    ScheduleSchema,
)
from booking.services import patients as svc
from booking.services.bookings import booking_view
from booking.services.monitoring import patient_schedule

blp = Blueprint(
    "patients", __name__, url_prefix="/api/v1/patients", description="Patients in the monitoring program."
)


@blp.route("")
class Patients(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PatientListArgsSchema, location="query")
    @blp.response(200, PatientSchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 403)
    def get(self, args, pagination_parameters):
        """List patients (staff), optionally by part of the name."""
        query = db.select(Patient).order_by(Patient.last_name, Patient.first_name, Patient.id)
        if args.get("q"):
            like = f"%{args['q'].lower()}%"
            query = query.where(
                db.or_(
                    db.func.lower(Patient.last_name).like(like), db.func.lower(Patient.first_name).like(like)
                )
            )
        return [svc.patient_view(p) for p in paginate_query(db, query, pagination_parameters)]

    @roles_allowed(*STAFF)
    @blp.arguments(PatientCreateSchema)
    @blp.response(201, PatientSchema)
    @documented_errors(blp, 401, 403, 409)
    def post(self, data):
        """Register a patient with their courses, addresses, provider and optional login.

        :raise 422: an address cannot be geocoded.
        :raise 409: the login e-mail is taken.
        """
        patient = svc.create_patient(data)
        db.session.commit()
        return svc.patient_view(patient)


@blp.route("/<int:patient_id>")
class PatientById(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, PatientSchema)
    @documented_errors(blp, 401, 404)
    def get(self, patient_id):
        """A patient record (patients: only their own)."""
        return svc.patient_view(svc.visible_patient(current_user(), patient_id))

    @roles_allowed(*STAFF)
    @blp.arguments(PatientUpdateSchema)
    @blp.response(200, PatientSchema)
    @documented_errors(blp, 401, 403, 404)
    def patch(self, data, patient_id):
        """Change a patient's details (staff)."""
        patient = svc.visible_patient(current_user(), patient_id)
        svc.update_patient(patient, data)
        db.session.commit()
        return svc.patient_view(patient)


@blp.route("/<int:patient_id>/courses")
class Courses(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(CourseSchema)
    @blp.response(201, CourseSchema)
    @documented_errors(blp, 401, 403, 404)
    def post(self, data, patient_id):
        """Record a treatment course; the schedule extends to 48 months after its last infusion."""
        course = svc.add_course(svc.visible_patient(current_user(), patient_id), data)
        db.session.commit()
        return course


@blp.route("/<int:patient_id>/schedule")
class Schedule(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, ScheduleSchema)
    @documented_errors(blp, 401, 404)
    def get(self, patient_id):
        """The monitoring schedule: one entry per month, what is due and its status."""
        return patient_schedule(svc.visible_patient(current_user(), patient_id))


@blp.route("/<int:patient_id>/bookings")
class PatientBookings(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, BookingSchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 404)
    def get(self, patient_id, pagination_parameters):
        """A patient's bookings, latest first."""
        patient = svc.visible_patient(current_user(), patient_id)
        query = (
            db.select(Booking)
            .where(Booking.patient_id == patient.id)
            .order_by(Booking.starts_at.desc(), Booking.id.desc())
        )
        return [booking_view(b) for b in paginate_query(db, query, pagination_parameters)]
