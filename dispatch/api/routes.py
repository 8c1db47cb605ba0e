"""Technicians' routes: the published route of the day (JSON, iCalendar, printable sheet) and stop reports.

A technician reaches only their own route: another technician's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
#
# The route comes in three formats, each at two addresses: ``/{id}/...`` for staff and the
# technician themselves, ``/me/...`` for the signed-in technician. One view class per format
# and address is generated from the table below, so the six endpoints cannot drift apart.


def _route_of(technician_id: int | None, day: date) -> dict:
    tech = visible_technician(technician_id)
    plan = plan_for(tech.region, day)
    v = version(plan, plan.published_number) if plan else None
    return route_view(tech, plan, v, day)


def _ics(technician_id: int | None, day: date) -> Response:
    body = route_calendar(_route_of(technician_id, day))
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


@dataclass(frozen=True)
class _Format:
    suffix: str  # after /{id} or /me
    render: Callable[[int | None, date], object]
    response: dict  # flask-smorest's response(200, ...) arguments
    doc: str


_FORMATS = (
    _Format("route", _route_of, {"schema": RouteSchema}, "The published route of the day."),
    _Format(
        "route.ics",
        _ics,
        {"content_type": "text/calendar", "description": "The route (text/calendar)."},
        "The route as an iCalendar file, one event per stop and one for the lab drop.",
    ),
    _Format(
        "route/sheet",
        _sheet,
        {"content_type": "text/html", "description": "The route (text/html)."},
        "A printable route sheet (HTML).",
    ),
)


def _register(fmt: _Format) -> None:
    """One view at ``/{id}/<suffix>`` (a technician: only their own; staff: anyone's) and one at ``/me``."""

    def by_id(self, args, technician_id):
        return fmt.render(technician_id, args["date"])

    def mine(self, args):
        return fmt.render(None, args["date"])

    for path, roles, get, who in (
        (
            f"/<int:technician_id>/{fmt.suffix}",
            (Role.TECHNICIAN, *STAFF),
            by_id,
            "staff; a technician only their own",
        ),
        (f"/me/{fmt.suffix}", (Role.TECHNICIAN,), mine, "the caller's own"),
    ):
        get.__doc__ = f"{fmt.doc} ({who})"
        get = roles_allowed(*roles)(get)
        get = tech_blp.arguments(RouteArgsSchema, location="query")(get)
        get = tech_blp.response(200, **fmt.response)(get)
        get = documented_errors(tech_blp, 401, 403, 404, 422)(get)
        name = ("My" if path.startswith("/me") else "") + "".join(
            part.capitalize() for part in fmt.suffix.replace(".", "/").split("/")
        )
        tech_blp.route(path, endpoint=name + ("" if path.startswith("/me") else "ById"))(
            type(name, (MethodView,), {"get": get})
        )


for _fmt in _FORMATS:
    _register(_fmt)


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
