"""Field data: technicians, their shifts and exceptions, and labs (staff only)."""

from __future__ import annotations

from flask.views import MethodView

from booking.auth import STAFF, hash_password, roles_allowed
from booking.errors import Conflict, NotFound
from booking.extensions import db
from booking.models import Role, User
from booking.schemas import MAX_ID
from booking.services import accounts
from booking.services.places import resolve_address
from dispatch.api.blueprints import (
    documented_errors,
    lab_blp,
    region_or_422,
    tech_blp,
    technician_or_404,
)
from dispatch.models import Lab, Shift, ShiftException, Technician
from dispatch.schemas import (
    LabCreateSchema,
    LabSchema,
    LabUpdateSchema,
    ShiftExceptionSchema,
    ShiftsSchema,
    TechnicianCreateSchema,
    TechnicianSchema,
    TechnicianUpdateSchema,
)
from dispatch.shapes import technician_view

# --- technicians --------------------------------------------------------------------


@tech_blp.route("")
class Technicians(MethodView):
    @roles_allowed(*STAFF)
    @tech_blp.response(200, TechnicianSchema(many=True))
    @documented_errors(tech_blp, 401, 403)
    def get(self):
        """All technicians with their shifts and exceptions (staff)."""
        return [technician_view(t) for t in db.session.scalars(db.select(Technician).order_by(Technician.id))]

    @roles_allowed(Role.ADMIN)
    @tech_blp.arguments(TechnicianCreateSchema)
    @tech_blp.response(201, TechnicianSchema)
    @documented_errors(tech_blp, 401, 403, 409, 422)
    def post(self, data):
        """Add a technician with a login, a home base, skills, region and weekly shifts (admin).

        :raise 409: the e-mail has an account already.
        """
        email = data["email"].strip().lower()
        if db.session.scalar(db.select(User.id).where(User.email == email)):
            raise Conflict(f"An account with e-mail {email} exists already.")
        region = region_or_422(data["region_id"])
        point = resolve_address(data["home_base"], field="home_base")
        user = User(
            email=email,
            password_hash=hash_password(data["password"]),
            role=Role.TECHNICIAN,
            first_name=data["first_name"],
            last_name=data["last_name"],
        )
        tech = Technician(
            user=user,
            region_id=region.id,
            phone=data.get("phone"),
            home_address=data["home_base"]["line"],
            home_latitude=point.latitude,
            home_longitude=point.longitude,
            skills=data["skills"],
            max_visits=data["max_visits"],
            shifts=[Shift(**s) for s in data["shifts"]],
        )
        db.session.add(tech)
        db.session.commit()
        return technician_view(tech)


@tech_blp.route("/<int:technician_id>")
class TechnicianById(MethodView):
    @roles_allowed(*STAFF)
    @tech_blp.response(200, TechnicianSchema)
    @documented_errors(tech_blp, 401, 403, 404)
    def get(self, technician_id):
        """One technician (staff)."""
        return technician_view(technician_or_404(technician_id))

    @roles_allowed(Role.ADMIN)
    @tech_blp.arguments(TechnicianUpdateSchema)
    @tech_blp.response(200, TechnicianSchema)
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def patch(self, data, technician_id):
        """Change a technician's region, home base, skills, daily maximum or status (admin).

        Deactivating also disables the technician's login and ends its tokens and page sessions
        at once; reactivating enables the login again.
        """
        tech = technician_or_404(technician_id)
        if "active" in data:
            accounts.set_active(tech.user, data["active"])
        if "region_id" in data:
            tech.region_id = region_or_422(data.pop("region_id")).id
        if "home_base" in data:
            base = data.pop("home_base")
            point = resolve_address(base, field="home_base")
            tech.home_address, tech.home_latitude, tech.home_longitude = (
                base["line"],
                point.latitude,
                point.longitude,
            )
        for name, value in data.items():
            setattr(tech, name, value)
        db.session.commit()
        return technician_view(tech)


@tech_blp.route("/<int:technician_id>/shifts")
class Shifts(MethodView):
    @roles_allowed(Role.ADMIN)
    @tech_blp.arguments(ShiftsSchema)
    @tech_blp.response(200, TechnicianSchema)
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def put(self, data, technician_id):
        """Replace the technician's weekly shifts (admin)."""
        tech = technician_or_404(technician_id)
        tech.shifts = []
        db.session.flush()
        tech.shifts = [Shift(**s) for s in data["shifts"]]
        db.session.commit()
        return technician_view(tech)


@tech_blp.route("/<int:technician_id>/exceptions")
class Exceptions(MethodView):
    @roles_allowed(*STAFF)
    @tech_blp.arguments(ShiftExceptionSchema)
    @tech_blp.response(201, ShiftExceptionSchema)
    @documented_errors(tech_blp, 401, 403, 404, 409, 422)
    def post(self, data, technician_id):
        """Record a day off, sick day or unavailability (staff); plans made later leave the technician out.

        :raise 409: the technician already has an exception that day.
        """
        tech = technician_or_404(technician_id)
        if any(e.day == data["day"] for e in tech.exceptions):
            raise Conflict(f"Technician {tech.id} already has an exception on {data['day']}.")
        exception = ShiftException(technician_id=tech.id, **data)
        db.session.add(exception)
        db.session.commit()
        return exception


# --- labs -----------------------------------------------------------------------------


@lab_blp.route("")
class Labs(MethodView):
    @roles_allowed(*STAFF)
    @lab_blp.response(200, LabSchema(many=True))
    @documented_errors(lab_blp, 401, 403)
    def get(self):
        """All labs (staff)."""
        return db.session.scalars(db.select(Lab).order_by(Lab.id)).all()

    @roles_allowed(Role.ADMIN)
    @lab_blp.arguments(LabCreateSchema)
    @lab_blp.response(201, LabSchema)
    @documented_errors(lab_blp, 401, 403, 422)
    def post(self, data):
        """Add a lab with its daily drop-off cutoff (admin)."""
        region = region_or_422(data["region_id"])
        point = resolve_address(data["address"], field="address")
        lab = Lab(
            region_id=region.id,
            name=data["name"],
            address=data["address"]["line"],
            latitude=point.latitude,
            longitude=point.longitude,
            cutoff=data["cutoff"],
        )
        db.session.add(lab)
        db.session.commit()
        return lab


@lab_blp.route("/<int:lab_id>")
class LabById(MethodView):
    @roles_allowed(Role.ADMIN)
    @lab_blp.arguments(LabUpdateSchema)
    @lab_blp.response(200, LabSchema)
    @documented_errors(lab_blp, 401, 403, 404, 422)
    def patch(self, data, lab_id):
        """Change a lab's name, cutoff or status (admin)."""
        lab = db.session.get(Lab, lab_id) if 0 < lab_id <= MAX_ID else None
        if lab is None:
            raise NotFound(f"Lab {lab_id} not found.")
        for name, value in data.items():
            setattr(lab, name, value)
        db.session.commit()
        return lab
