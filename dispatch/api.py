"""The dispatch API: field data (technicians, shifts, labs), plans, jobs, and technicians' routes.

Every view declares who may call it (``roles_allowed``, outermost). A
technician reaches only their own route: another technician's id is a 404.
Plan edits need the plan's ETag in If-Match (428 without, 412 when stale).
"""

from __future__ import annotations

import http
from datetime import date

from flask import Flask, Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from booking.auth import STAFF, current_user, hash_password, is_staff, roles_allowed
from booking.errors import Conflict, NotFound, Unprocessable
from booking.extensions import api, db
from booking.models import Region, Role, User
from booking.schemas import MAX_ID
from booking.services.places import resolve_address
from dispatch import jobs
from dispatch.models import DispatchJob, Lab, PlanAudit, Shift, ShiftException, Technician
from dispatch.plans import etag, expected_revision, plan_for, plan_or_404, publish, version
from dispatch.schemas import (
    AuditSchema,
    ChangeRefusedSchema,
    ChangeSchema,
    JobSchema,
    LabCreateSchema,
    LabSchema,
    LabUpdateSchema,
    PlanArgsSchema,
    PlanListArgsSchema,
    PlanRequestSchema,
    PlanSchema,
    ProgressSchema,
    ReoptimizeSchema,
    RouteArgsSchema,
    RouteSchema,
    ShiftExceptionSchema,
    ShiftsSchema,
    TechnicianCreateSchema,
    TechnicianSchema,
    TechnicianUpdateSchema,
)
from dispatch.views import technician_view, version_view

tech_blp = Blueprint(
    "technicians",
    __name__,
    url_prefix="/api/v1/technicians",
    description="Technicians, their shifts and their routes.",
)
lab_blp = Blueprint(
    "labs", __name__, url_prefix="/api/v1/labs", description="Labs where specimens are dropped."
)
blp = Blueprint("dispatch", __name__, url_prefix="/api/v1/dispatch", description="Daily dispatch plans.")


def documented_errors(bp: Blueprint, *codes: int):
    """Declare the problem+json responses an endpoint may give (any HTTP status, 412 and 428 included)."""

    def decorator(view):
        for code in codes:
            view = bp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorator


IF_MATCH = [
    {
        "in": "header",
        "name": "If-Match",
        "required": True,
        "schema": {"type": "string"},
        "description": "The plan's ETag, from GET /dispatch/plans/{id}.",
    }
]


def _region_or_422(region_id: int) -> Region:
    region = db.session.get(Region, region_id)
    if region is None:
        raise Unprocessable(f"Region {region_id} not found.", errors={"region_id": ["Unknown region."]})
    return region


def technician_or_404(technician_id: int) -> Technician:
    tech = db.session.get(Technician, technician_id) if 0 < technician_id <= MAX_ID else None
    if tech is None:
        raise NotFound(f"Technician {technician_id} not found.")
    return tech


def visible_technician(technician_id: int | None) -> Technician:
    """Staff see any technician; a technician only themselves (anyone else is 404).

    :raise NotFound: (404) unknown, or another technician's.
    """
    user = current_user()
    if is_staff(user):
        if technician_id is None:
            raise NotFound("Staff have no route of their own; use /technicians/{id}/route.")
        return technician_or_404(technician_id)
    tech = db.session.scalar(db.select(Technician).where(Technician.user_id == user.id))
    if tech is None or (technician_id is not None and tech.id != technician_id):
        raise NotFound(f"Technician {technician_id if technician_id is not None else 'me'} not found.")
    return tech


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
        region = _region_or_422(data["region_id"])
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
        """Change a technician's region, home base, skills, daily maximum or status (admin)."""
        tech = technician_or_404(technician_id)
        if "region_id" in data:
            tech.region_id = _region_or_422(data.pop("region_id")).id
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
        region = _region_or_422(data["region_id"])
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


# --- plans and jobs -------------------------------------------------------------------


def _job_response(job: DispatchJob) -> tuple:
    return job, 202, {"Location": f"/api/v1/dispatch/jobs/{job.id}"}


@blp.route("/plans")
class Plans(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PlanRequestSchema)
    @blp.response(202, JobSchema)
    @documented_errors(blp, 401, 403, 422)
    def post(self, data):
        """Plan a region's day in the background; answers the job to poll (staff)."""
        region = _region_or_422(data["region_id"])
        plan = plan_for(region, data["date"])
        job = jobs.submit(
            "solve",
            region,
            data["date"],
            data["time_limit"],
            current_user(),
            seed=data["seed"],
            base_revision=plan.revision if plan else None,
        )
        return _job_response(job)

    @roles_allowed(*STAFF)
    @blp.arguments(PlanListArgsSchema, location="query")
    @blp.response(200, PlanSchema(many=True))
    @documented_errors(blp, 401, 403, 422)
    def get(self, args):
        """Plans, by day and region (staff)."""
        from dispatch.models import DispatchPlan

        query = db.select(DispatchPlan).order_by(DispatchPlan.day, DispatchPlan.region_id)
        if args.get("date"):
            query = query.where(DispatchPlan.day == args["date"])
        if args.get("region_id"):
            query = query.where(DispatchPlan.region_id == args["region_id"])
        return [version_view(p, None) for p in db.session.scalars(query.limit(200))]


def _chosen_version(plan, which: str):
    number = {"current": plan.current_number, "published": plan.published_number}.get(which)
    if number is None and which.isdigit():
        number = int(which)
    v = version(plan, number)
    if v is None and which != "current":
        raise NotFound(f"Plan {plan.id} has no {which} version.")
    return v


@blp.route("/plans/<int:plan_id>")
class PlanById(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, PlanSchema)
    @documented_errors(blp, 401, 403, 404, 422)
    def get(self, args, plan_id):
        """A plan version with routes, stops and unassigned visits; its ETag guards edits (staff)."""
        plan = plan_or_404(plan_id)
        return version_view(plan, _chosen_version(plan, args["version"])), 200, {"ETag": etag(plan)}


@blp.route("/plans/<int:plan_id>/publish")
class Publish(MethodView):
    @roles_allowed(*STAFF)
    @blp.doc(parameters=IF_MATCH)
    @blp.response(200, PlanSchema)
    @documented_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, plan_id):
        """Publish the current version: technicians and patients see it; bookings become assigned.

        :raise 412: the plan changed since the ETag was read. :raise 428: no If-Match.
        """
        plan = plan_or_404(plan_id)
        expected = expected_revision(plan, request.headers.get("If-Match"))
        v = publish(plan, current_user(), expected)
        db.session.commit()
        return version_view(plan, v), 200, {"ETag": etag(plan)}


@blp.route("/plans/<int:plan_id>/changes")
class Changes(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(ChangeSchema)
    @blp.doc(parameters=IF_MATCH)
    @blp.response(200, PlanSchema)
    @blp.alt_response(
        409,
        schema=ChangeRefusedSchema,
        content_type="application/problem+json",
        description="The change would break rules (errors.violations), or the plan has no version.",
    )
    @documented_errors(blp, 401, 403, 404, 412, 422, 428)
    def post(self, data, plan_id):
        """Move, pin, unpin or unassign a visit, take a technician off the day, add a late booking.

        The change is checked against windows, shifts and cutoffs; if it would
        break any, the answer is 409 with the violations and nothing changes,
        unless ``override`` is true. :raise 412/428: stale or missing If-Match.
        """
        from dispatch.adjust import apply_change

        plan = plan_or_404(plan_id)
        expected = expected_revision(plan, request.headers.get("If-Match"))
        v = apply_change(plan, current_user(), data, expected)
        db.session.commit()
        return version_view(plan, v), 200, {"ETag": etag(plan)}


@blp.route("/plans/<int:plan_id>/reoptimize")
class Reoptimize(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(ReoptimizeSchema)
    @blp.doc(parameters=IF_MATCH)
    @blp.response(202, JobSchema)
    @documented_errors(blp, 401, 403, 404, 412, 422, 428)
    def post(self, data, plan_id):
        """Re-solve keeping pins and as many published arrival windows as possible (background job).

        :raise 412/428: stale or missing If-Match.
        """
        plan = plan_or_404(plan_id)
        expected = expected_revision(plan, request.headers.get("If-Match"))
        job = jobs.submit(
            "reoptimize",
            plan.region,
            plan.day,
            data["time_limit"],
            current_user(),
            seed=data["seed"],
            base_revision=expected,
        )
        return _job_response(job)


@blp.route("/plans/<int:plan_id>/audit")
class Audit(MethodView):
    @roles_allowed(*STAFF)
    @blp.response(200, AuditSchema(many=True))
    @documented_errors(blp, 401, 403, 404)
    def get(self, plan_id):
        """Every change to the plan: who, what, when, before and after (staff)."""
        plan = plan_or_404(plan_id)
        rows = db.session.scalars(
            db.select(PlanAudit).where(PlanAudit.plan_id == plan.id).order_by(PlanAudit.id)
        )
        return [
            {
                "id": a.id,
                "at": a.at.isoformat(),
                "actor_id": a.actor_id,
                "action": a.action,
                "from_version": a.from_version,
                "to_version": a.to_version,
                "detail": a.detail,
            }
            for a in rows
        ]


@blp.route("/plans/<int:plan_id>/map.svg")
class Map(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, content_type="image/svg+xml", description="The route map (SVG).")
    @documented_errors(blp, 401, 403, 404, 422)
    def get(self, args, plan_id):
        """The plan's routes drawn as a self-contained SVG (no tiles, no scripts) (staff)."""
        from dispatch.routemap import plan_svg

        plan = plan_or_404(plan_id)
        v = _chosen_version(plan, args["version"])
        if v is None:
            raise NotFound(f"Plan {plan.id} has no version yet.")
        return Response(plan_svg(plan, v), mimetype="image/svg+xml")


@blp.route("/jobs/<string:job_id>")
class JobById(MethodView):
    @roles_allowed(*STAFF)
    @blp.response(200, JobSchema)
    @documented_errors(blp, 401, 403, 404)
    def get(self, job_id):
        """A planning job: queued, running, succeeded (with the version) or failed (with why) (staff)."""
        job = db.session.get(DispatchJob, job_id)
        if job is None:
            raise NotFound(f"Job {job_id} not found.")
        return jobs.check_overdue(job)


# --- routes ---------------------------------------------------------------------------


def _route_of(technician_id: int | None, day: date) -> dict:
    from dispatch.views import route_view

    tech = visible_technician(technician_id)
    plan = plan_for(tech.region, day)
    v = version(plan, plan.published_number) if plan else None
    return route_view(tech, plan, v, day)


@tech_blp.route("/<int:technician_id>/route")
class RouteById(MethodView):
    @roles_allowed(Role.TECHNICIAN, *STAFF)
    @tech_blp.arguments(RouteArgsSchema, location="query")
    @tech_blp.response(200, RouteSchema)
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def get(self, args, technician_id):
        """A technician's published route of the day (staff; a technician only their own)."""
        return _route_of(technician_id, args["date"])


@tech_blp.route("/me/route")
class MyRoute(MethodView):
    @roles_allowed(Role.TECHNICIAN)
    @tech_blp.arguments(RouteArgsSchema, location="query")
    @tech_blp.response(200, RouteSchema)
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def get(self, args):
        """The caller's own published route of the day."""
        return _route_of(None, args["date"])


def _ics(technician_id: int | None, day: date) -> Response:
    from dispatch.ical import route_calendar

    tech = visible_technician(technician_id)
    body = route_calendar(_route_of(tech.id if technician_id is not None else None, day))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="route-{day.isoformat()}.ics"'},
    )


def _sheet(technician_id: int | None, day: date) -> Response:
    from flask import render_template

    return Response(
        render_template("dispatch/route_sheet.html", route=_route_of(technician_id, day)),
        mimetype="text/html",
    )


@tech_blp.route("/<int:technician_id>/route.ics")
class RouteIcsById(MethodView):
    @roles_allowed(Role.TECHNICIAN, *STAFF)
    @tech_blp.arguments(RouteArgsSchema, location="query")
    @tech_blp.response(200, content_type="text/calendar", description="The route (text/calendar).")
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def get(self, args, technician_id):
        """The route as an iCalendar file, one event per stop and one for the lab drop."""
        return _ics(technician_id, args["date"])


@tech_blp.route("/me/route.ics")
class MyRouteIcs(MethodView):
    @roles_allowed(Role.TECHNICIAN)
    @tech_blp.arguments(RouteArgsSchema, location="query")
    @tech_blp.response(200, content_type="text/calendar", description="The route (text/calendar).")
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def get(self, args):
        """The caller's route as an iCalendar file."""
        return _ics(None, args["date"])


@tech_blp.route("/<int:technician_id>/route/sheet")
class RouteSheetById(MethodView):
    @roles_allowed(Role.TECHNICIAN, *STAFF)
    @tech_blp.arguments(RouteArgsSchema, location="query")
    @tech_blp.response(200, content_type="text/html", description="The route (text/html).")
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def get(self, args, technician_id):
        """A printable route sheet (HTML)."""
        return _sheet(technician_id, args["date"])


@tech_blp.route("/me/route/sheet")
class MyRouteSheet(MethodView):
    @roles_allowed(Role.TECHNICIAN)
    @tech_blp.arguments(RouteArgsSchema, location="query")
    @tech_blp.response(200, content_type="text/html", description="The route (text/html).")
    @documented_errors(tech_blp, 401, 403, 404, 422)
    def get(self, args):
        """The caller's printable route sheet (HTML)."""
        return _sheet(None, args["date"])


@tech_blp.route("/me/stops/<int:booking_id>")
class MyStop(MethodView):
    @roles_allowed(Role.TECHNICIAN)
    @tech_blp.arguments(ProgressSchema)
    @tech_blp.response(200, RouteSchema)
    @documented_errors(tech_blp, 401, 403, 404, 409, 422)
    def post(self, data, booking_id):
        """Mark a stop of the caller's published route arrived, collected or no-show; ETAs follow.

        :raise 404: not a stop of the caller's route. :raise 409: not allowed from its status.
        """
        from dispatch.progress import report_progress

        tech = visible_technician(None)
        body = report_progress(tech, booking_id, data["status"], data.get("reason"), current_user())
        db.session.commit()
        return body


@tech_blp.route("/me/reports/undo")
class MyLastReport(MethodView):
    @roles_allowed(Role.TECHNICIAN)
    @tech_blp.response(200, RouteSchema)
    @documented_errors(tech_blp, 401, 403, 404, 409)
    def post(self):
        """Undo the caller's last stop report, within REPORT_UNDO_MINUTES; ETAs follow.

        :raise 409: nothing to undo any more.
        """
        from dispatch.progress import undo_last_report

        tech = visible_technician(None)
        body = undo_last_report(tech, current_user())
        db.session.commit()
        return body


def init_app(app: Flask) -> None:
    """Register the dispatch blueprints, templates and the ``flask dispatch`` commands."""
    from dispatch import cli, models  # noqa: F401  (tables known to the metadata and to Alembic)

    for blueprint in (tech_blp, lab_blp, blp):
        api.register_blueprint(blueprint)
    cli.init_app(app)
    # Templates only (the route sheet); a plain blueprint adds dispatch/templates to the search path.
    from flask import Blueprint as FlaskBlueprint

    app.register_blueprint(FlaskBlueprint("dispatch_templates", __name__, template_folder="templates"))
