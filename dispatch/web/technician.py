"""Technician pages: the day's published route on a phone, and reporting each stop.

A technician only ever sees their own route; a stop of anyone else's route is
a 404 (``dispatch.progress.report_progress`` checks it), as in the API.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from booking import schedule
from booking.errors import DomainError
from booking.extensions import db
from booking.models import Booking, Role
from booking.services import availability as av
from booking.slots import zone_for
from booking.specimens import containers_for, order_number
from booking.states import PLANNED_STATUSES
from booking.web.access import login_required, web_user
from dispatch.models import DispatchPlan, PlanStop, PlanVersion, Technician
from dispatch.plans import plan_for, version
from dispatch.progress import report_progress, undo_last_report, undoable_report
from dispatch.routemap import plan_svg
from dispatch.shapes import route_view

bp = Blueprint("technician", __name__, url_prefix="/technician")

REPORTS = {"en_route": "On my way", "arrived": "Arrived", "collected": "Collected", "no_show": "No-show"}
OPEN_AT_STOP = PLANNED_STATUSES


def _me():
    """The signed-in technician's record, or None when the account has none yet."""

    return db.session.scalar(db.select(Technician).where(Technician.user_id == web_user().id))


def _route(tech, day: date) -> dict:

    plan = plan_for(tech.region, day)
    route = route_view(tech, plan, version(plan, plan.published_number) if plan else None, day)
    for stop in route["stops"]:
        stop.update(_labels(db.session.get(Booking, stop["booking_id"])))
    route["navigate_url"] = navigate_url(route)
    return route


def _month_tests(visit: Booking) -> tuple[str, ...]:
    courses = [schedule.TreatmentCourse(c.first_infusion, c.last_infusion) for c in visit.patient.courses]
    month = next((m for m in schedule.monitoring_months(courses) if m.month == visit.monitoring_month), None)
    return month.tests if month else schedule.MONTHLY_TESTS


def _labels(visit: Booking) -> dict:
    """What the specimen labels need: two identifiers (full name, date of birth), the order number, the tubes.

    Only on the technician's own published stops; the route API keeps the
    shorter identity.
    """
    patient = visit.patient
    return {
        "full_name": f"{patient.first_name} {patient.last_name}",
        "date_of_birth": patient.date_of_birth,
        "order_number": order_number(visit.id),
        "containers": containers_for(_month_tests(visit)),
    }


def navigate_url(route: dict) -> str | None:
    """One Google Maps directions link through the stops still to do, ending at the lab (nothing fetched).

    The origin is left out, so the maps app starts from where the phone is.
    Google takes at most nine waypoints in a link; a longer day ends at the ninth
    stop's neighbour and the rest follow from the stop links.
    """
    todo = [s for s in route["stops"] if s["status"] in OPEN_AT_STOP]
    if not todo:
        return None
    points = [f"{s['latitude']},{s['longitude']}" for s in todo]
    if route.get("lab_drop"):
        destination, waypoints = route["lab_drop"]["address"], points[:9]
    else:
        destination, waypoints = points[-1], points[:-1][:9]
    args = {"api": "1", "destination": destination, "travelmode": "driving"}
    if waypoints:
        args["waypoints"] = "|".join(waypoints)
    return "https://www.google.com/maps/dir/?" + urlencode(args)


def _today(tech) -> date:
    return av.today_in(tech.region.time_zone)


def _next_route_day(tech, after: date) -> date | None:
    """The next day after ``after`` on which the technician has stops in a published plan."""

    return db.session.scalar(
        db.select(db.func.min(DispatchPlan.day))
        .join(PlanVersion, PlanVersion.plan_id == DispatchPlan.id)
        .join(PlanStop, PlanStop.version_id == PlanVersion.id)
        .where(
            PlanVersion.number == DispatchPlan.published_number,
            PlanStop.technician_id == tech.id,
            DispatchPlan.day > after,
        )
    )


def _render(tech, day: date, errors: dict | None = None, status: int = 200):

    route = _route(tech, day) if tech else None
    upcoming = _next_route_day(tech, day) if tech and not (route and route["stops"]) else None
    undo = undoable_report(tech) if tech and route and route["stops"] else None
    positions = {s["booking_id"]: n for n, s in enumerate(route["stops"] if route else [], start=1)}
    if undo is not None and undo.booking_id not in positions:
        undo = None
    return render_template(
        "technician/route.html",
        tech=tech,
        route=route,
        day=day,
        errors=errors or {},
        reports=REPORTS,
        REPORT_LABELS=REPORTS,
        undo=undo,
        undo_position=positions.get(undo.booking_id) if undo else None,
        tz=tech.region.time_zone if tech else "UTC",
        upcoming=upcoming,
    ), status


@bp.get("")
@login_required(Role.TECHNICIAN)
def route():
    """Today's route (or ``?date=``): ordered stops, windows, ETAs, what to collect, the lab drop."""
    tech = _me()
    day = _parse_day(request.args.get("date")) or (_today(tech) if tech else av.now_utc().date())
    return _render(tech, day)


@bp.get("/map.svg")
@login_required(Role.TECHNICIAN)
def route_map():
    """The day's own stops in order on one drawing (``?date=``), as the coordinators' plan map draws them.

    :raise 404: no published route with stops for the technician on that day.
    """

    tech = _me()
    day = _parse_day(request.args.get("date")) or (_today(tech) if tech else None)
    plan = plan_for(tech.region, day) if tech and day else None
    published = version(plan, plan.published_number) if plan and plan.published_number else None
    mine = [s for s in published.stops if s.technician_id == tech.id] if published else []
    if not mine:
        abort(404)
    own = SimpleNamespace(
        number=published.number,
        stops=mine,
        routes=[r for r in published.routes if r.technician_id == tech.id],
        unassigned=[],
    )
    return Response(plan_svg(plan, own), mimetype="image/svg+xml")


def _visit_day(tech, booking_id: int) -> date:
    """The local day of the visit (where the form did not say), else today."""
    visit = db.session.get(Booking, booking_id)
    if visit is None:
        return _today(tech)
    return visit.starts_at.astimezone(zone_for(tech.region.time_zone)).date()


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.post("/stops/<int:booking_id>")
@login_required(Role.TECHNICIAN)
def report(booking_id: int):
    """Mark leaving for a stop ("on my way"), or a stop arrived, collected or no-show (a no-show needs a reason).

    :raise 404: not a stop of the technician's published route.
    """

    tech = _me()
    if tech is None:
        return _render(None, av.now_utc().date(), status=404)
    status = request.form.get("status", "")
    reason = request.form.get("reason", "").strip() or None
    day = _parse_day(request.form.get("date")) or _visit_day(tech, booking_id)
    if status not in REPORTS:
        return _render(
            tech, day, {booking_id: {"form": "Choose on my way, arrived, collected or no-show."}}, 422
        )
    if status == "no_show" and not reason:
        errors = {"form": "The no-show is not recorded.", "reason": "Say why the visit did not happen."}
        return _render(tech, day, {booking_id: errors}, 422)
    if reason and len(reason) > 300:
        return _render(tech, day, {booking_id: {"reason": "Keep it under 300 characters."}}, 422)
    try:
        report_progress(tech, booking_id, status, reason, web_user())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _render(tech, day, {booking_id: {"form": exc.detail}}, exc.status)
    if status == "en_route":
        flash("On your way: the patient has been told when to expect you.", "success")
    else:
        flash(f"Stop marked {REPORTS[status].lower()}.", "success")
    return redirect(url_for("web.technician.route", date=day.isoformat(), _anchor=f"stop-{booking_id}"))


@bp.post("/undo")
@login_required(Role.TECHNICIAN)
def undo():
    """Take back the technician's last report, within ``REPORT_UNDO_MINUTES``."""

    tech = _me()
    if tech is None:
        return _render(None, av.now_utc().date(), status=404)
    day = _parse_day(request.form.get("date")) or _today(tech)
    try:
        undo_last_report(tech, web_user())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.detail, "error")
        return redirect(url_for("web.technician.route", date=day.isoformat()))
    flash("The last report is undone.", "success")
    return redirect(url_for("web.technician.route", date=day.isoformat()))
