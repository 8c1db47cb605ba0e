"""Technician pages: the day's published route on a phone, and reporting each stop.

A technician only ever sees their own route; a stop of anyone else's route is
a 404 (``dispatch.progress.report_progress`` checks it), as in the API.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for

from booking.errors import DomainError
from booking.extensions import db
from booking.models import Booking, Role
from booking.services import availability as av
from booking.slots import zone_for
from booking.web.access import login_required, web_user

bp = Blueprint("technician", __name__, url_prefix="/technician")

REPORTS = {"en_route": "On my way", "arrived": "Arrived", "collected": "Collected", "no_show": "No-show"}


def _me():
    """The signed-in technician's record, or None when the account has none yet."""
    from dispatch.models import Technician

    return db.session.scalar(db.select(Technician).where(Technician.user_id == web_user().id))


def _route(tech, day: date) -> dict:
    from dispatch.plans import plan_for, version
    from dispatch.views import route_view

    plan = plan_for(tech.region, day)
    return route_view(tech, plan, version(plan, plan.published_number) if plan else None, day)


def _today(tech) -> date:
    return av.now_utc().astimezone(zone_for(tech.region.time_zone)).date()


def _next_route_day(tech, after: date) -> date | None:
    """The next day after ``after`` on which the technician has stops in a published plan."""
    from dispatch.models import DispatchPlan, PlanStop, PlanVersion

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
    from dispatch.progress import undoable_report

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
    from dispatch.progress import report_progress

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
    from dispatch.progress import undo_last_report

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
