"""Technicians' routes: the published route of the day (JSON, iCalendar, printable sheet) and stop reports.

A technician reaches only their own route: another technician's id is a 404.
"""

from __future__ import annotations

from datetime import date

from flask import Response, render_template
from flask.views import MethodView

from booking.auth import STAFF, current_user, roles_allowed
from booking.extensions import db
from booking.models import Role
from dispatch.api.blueprints import (
    documented_errors,
    tech_blp,
    visible_technician,
)
from dispatch.ical import route_calendar
from dispatch.plans import plan_for, version
from dispatch.progress import report_progress, undo_last_report
from dispatch.schemas import (
    ProgressSchema,
    RouteArgsSchema,
    RouteSchema,
)
from dispatch.shapes import route_view

# --- routes ---------------------------------------------------------------------------


def _route_of(technician_id: int | None, day: date) -> dict:

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

    tech = visible_technician(technician_id)
    body = route_calendar(_route_of(tech.id if technician_id is not None else None, day))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="route-{day.isoformat()}.ics"'},
    )


def _sheet(technician_id: int | None, day: date) -> Response:

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

        tech = visible_technician(None)
        body = undo_last_report(tech, current_user())
        db.session.commit()
        return body
