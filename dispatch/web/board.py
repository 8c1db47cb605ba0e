"""The coordinator's day board for one region: routes, unassigned visits, map, and every change.

Handlers call the dispatch service the API uses: ``jobs.submit`` to plan or
re-optimize off the request path, ``publish``, and ``apply_change``, which
answers a change that would break a rule with its violations and changes
nothing; the board then shows them and offers to apply the change anyway.
Each form carries the plan's ETag, so a coordinator acting on a stale board is
told to look again instead of overwriting someone else's change.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm.attributes import set_committed_value

from booking.db_types import utcnow
from booking.errors import Conflict, DomainError, Unprocessable
from booking.extensions import db
from booking.models import Booking, Patient, Region, Role, User
from booking.services.availability import today_in
from booking.web.access import login_required, web_user
from config import setting
from dispatch import jobs
from dispatch.adjust import apply_change
from dispatch.day import day_bookings, day_origin, technicians_on_shift
from dispatch.models import DispatchJob, PlanAudit, ShiftException, Technician
from dispatch.plans import PreconditionFailed, etag, expected_revision, plan_for, plan_or_404, version
from dispatch.plans import publish as publish_plan
from dispatch.publish_summary import publish_summary
from dispatch.routemap import plan_layers, plan_svg, route_colours
from dispatch.shapes import version_view
from dispatch.web.timeline import day_axis, route_timeline
from dispatch.web.violations import Explainer

bp = Blueprint("board", __name__, url_prefix="/coordinator")

STAFF = (Role.COORDINATOR, Role.ADMIN)
ACTIONS = ("move", "pin", "unpin", "unassign", "technician_unavailable", "add_booking")
AUDIT_SHOWN = 8


def _region_day(region_id: int, day: str) -> tuple[Region, date]:
    """:raise 404: unknown region or a malformed day."""
    region = db.get_or_404(Region, region_id, description="No such region.")
    try:
        return region, date.fromisoformat(day)
    except ValueError:
        abort(404, "No such day.")


def _board_url(region: Region, day: date, **kwargs) -> str:
    return url_for("web.board.board", region_id=region.id, day=day.isoformat(), **kwargs)


def _latest_job(region: Region, day: date):

    job = db.session.scalar(
        db.select(DispatchJob)
        .where(DispatchJob.region_id == region.id, DispatchJob.day == day)
        .order_by(DispatchJob.created_at.desc())
        .limit(1)
    )
    return jobs.current(job) if job else None


def _board_context(region: Region, day: date) -> dict:

    plan = plan_for(region, day)
    current = version(plan, plan.current_number) if plan else None
    view = version_view(plan, current) if plan else None
    on_shift = [t for t, _ in technicians_on_shift(region, day)]
    away = db.session.execute(
        db.select(Technician, ShiftException)
        .join(ShiftException, ShiftException.technician_id == Technician.id)
        .where(Technician.region_id == region.id, ShiftException.day == day)
    ).all()
    routes = {r["technician"]["id"]: r for r in (view["routes"] if view else [])}
    booking_ids = [s["booking_id"] for r in routes.values() for s in r["stops"]]
    booking_ids += [u["booking_id"] for u in (view["unassigned"] if view else [])]
    bookings = {b.id: b for b in db.session.scalars(db.select(Booking).where(Booking.id.in_(booking_ids)))}
    # Booked for the day but on no version yet (no plan, or booked since): waiting to be planned.
    planned = set(booking_ids)
    waiting = [b for b in day_bookings(region, day, day_origin(region, day)) if b.id not in planned]
    bookings.update({b.id: b for b in waiting})
    # The board names each visit's patient and each technician: one query for the patients and one
    # for the technicians' accounts, set on the bookings and technicians (instead of a lazy load per
    # stop and per technician; the session's identity map holds objects weakly, so loading them
    # without keeping them did not spare those queries).
    patients = {
        p.id: p
        for p in db.session.scalars(
            db.select(Patient).where(Patient.id.in_({b.patient_id for b in bookings.values()}))
        )
    }
    for b in bookings.values():
        set_committed_value(b, "patient", patients[b.patient_id])
    technicians = on_shift + [t for t, _ in away]
    accounts = {
        u.id: u
        for u in db.session.scalars(db.select(User).where(User.id.in_({t.user_id for t in technicians})))
    }
    for t in technicians:
        set_committed_value(t, "user", accounts[t.user_id])
    audit = []
    if plan:
        audit = db.session.scalars(
            db.select(PlanAudit)
            .where(PlanAudit.plan_id == plan.id)
            .order_by(PlanAudit.id.desc())
            .limit(AUDIT_SHOWN)
        ).all()
    job = _latest_job(region, day)
    names = {i: visit_name(b) for i, b in bookings.items()}
    axis = day_axis(list(routes.values()))
    timelines = {t: route_timeline(r, axis, names) for t, r in routes.items()} if axis else {}
    return {
        "region": region,
        "day": day,
        "plan": plan,
        "view": view,
        "version": current,
        "etag": etag(plan) if plan else "",
        "technicians": on_shift,
        "routes": routes,
        "away": away,
        "bookings": bookings,
        "waiting": waiting,
        "audit": audit,
        "job": job,
        "planning": job is not None and job.status in ("queued", "running"),
        "preview": None,
        "errors": {},
        "tz": region.time_zone,
        "colours": route_colours(current) if current else {},
        "axis": axis,
        "timelines": timelines,
    }


@bp.get("/board")
@login_required(*STAFF)
def board_redirect():
    """The day-board picker's target: a clean URL per region and day."""
    region_id = request.args.get("region", type=int)
    day = request.args.get("day", "")
    if region_id is None:
        return redirect(url_for("web.coordinator.home"))
    region = db.get_or_404(Region, region_id, description="No such region.")
    return redirect(
        url_for("web.board.board", region_id=region.id, day=day or today_in(region.time_zone).isoformat())
    )


@bp.get("/regions/<int:region_id>/days/<day>")
@login_required(*STAFF)
def board(region_id: int, day: str):
    region, when = _region_day(region_id, day)
    return render_template("coordinator/board.html", **_board_context(region, when))


@bp.get("/regions/<int:region_id>/days/<day>/planning")
@login_required(*STAFF)
def planning(region_id: int, day: str):
    """The day's latest planning job as JSON, polled by the board while it runs (no page reloads)."""
    region, when = _region_day(region_id, day)
    job = _latest_job(region, when)
    if job is None:
        return {"status": "none"}
    elapsed = None
    if job.started_at is not None:
        elapsed = round(((job.finished_at or utcnow()) - job.started_at).total_seconds(), 1)
    return {
        "status": job.status,
        "kind": job.kind,
        "elapsed_seconds": elapsed,
        "remaining_seconds": max(0.0, round(job.time_limit - elapsed, 1)) if elapsed is not None else None,
        "time_limit": job.time_limit,
        "so_far": (job.summary or {}).get("progress") if job.status == "running" else None,
        "version": job.result_version,
        "error": job.error if job.status == "failed" else None,
    }


@bp.post("/regions/<int:region_id>/days/<day>/plan")
@login_required(*STAFF)
def plan(region_id: int, day: str):
    """Plan the day, or re-optimize it keeping pins and published windows (a background job).

    The time the engine may take is the product's setting (``DISPATCH_TIME_LIMIT``), not a
    choice put to coordinators; the API still takes one per request.
    """

    region, when = _region_day(region_id, day)
    existing = plan_for(region, when)
    time_limit = float(setting(current_app.config, "DISPATCH_TIME_LIMIT"))
    kind = "reoptimize" if existing is not None and existing.current_number is not None else "solve"
    try:
        expected = expected_revision(existing, request.form.get("etag")) if kind == "reoptimize" else None
    except DomainError as exc:
        flash(exc.detail, "error")
        return redirect(_board_url(region, when))
    jobs.submit(kind, region, when, time_limit, web_user(), base_revision=expected)
    flash("Planning the day…" if kind == "solve" else "Re-optimizing the day…", "info")
    return redirect(_board_url(region, when))


@bp.get("/plans/<int:plan_id>/publish")
@login_required(*STAFF)
def publish_review(plan_id: int):
    """Before publishing: which technicians get which route, and what each patient's page will say."""

    plan = plan_or_404(plan_id)
    current = version(plan, plan.current_number)
    if current is None or plan.published_number == current.number:
        flash("There is no new version to publish.", "info")
        return redirect(_board_url(plan.region, plan.day))
    summary = publish_summary(current, version(plan, plan.published_number))
    return render_template(
        "coordinator/publish.html",
        plan=plan,
        region=plan.region,
        day=plan.day,
        summary=summary,
        etag=etag(plan),
        tz=plan.region.time_zone,
        name=visit_name,
    )


@bp.post("/plans/<int:plan_id>/publish")
@login_required(*STAFF)
def publish(plan_id: int):
    """Publish the current version: technicians and patients see it."""

    plan = plan_or_404(plan_id)
    region, when = plan.region, plan.day
    try:
        current = version(plan, plan.current_number)
        summary = publish_summary(current, version(plan, plan.published_number)) if current else None
        v = publish_plan(plan, web_user(), expected_revision(plan, request.form.get("etag")))
        db.session.commit()
        techs, told = sum(1 for t in summary.technicians if t.stops), summary.told
        flash(
            f"Version {v.number} is published: {techs} technician{' sees their' if techs == 1 else 's see their'} "
            f"route{'s' if techs != 1 else ''}; {told} patient{' sees' if told == 1 else 's see'} a new "
            "technician or arrival window on their visit page.",
            "success",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.detail, "error")
    return redirect(_board_url(region, when))


def _change_from(form) -> dict:
    """The change a board form asks for, in the shape ``apply_change`` takes.

    :raise Unprocessable: (422) an unknown action or a malformed number.
    """

    action = form.get("action", "")
    if action not in ACTIONS:
        raise Unprocessable("Choose what to change.", errors={"action": ["Unknown change."]})
    data: dict = {
        "action": action,
        "override": form.get("override") == "1",
        "reason": form.get("reason", "").strip()[:300],
    }
    for name in ("booking_id", "technician_id", "position"):
        text = form.get(name, "").strip()
        if text in ("", "best"):
            continue
        try:
            data[name] = int(text) - (1 if name == "position" else 0)  # positions are shown from 1
        except ValueError:
            raise Unprocessable(
                f"{name.replace('_', ' ')} must be a number.", errors={name: ["Must be a number."]}
            ) from None
        if name == "position" and data[name] < 0:
            raise Unprocessable("Positions start at 1.", errors={"position": ["Positions start at 1."]})
    return data


@bp.post("/plans/<int:plan_id>/changes")
@login_required(*STAFF)
def change(plan_id: int):
    """Apply one change; if it would break a rule, show the violations and apply nothing."""

    plan = plan_or_404(plan_id)
    region, when = plan.region, plan.day
    data = {}
    try:
        data = _change_from(request.form)
        apply_change(plan, web_user(), data, expected_revision(plan, request.form.get("etag")))
        db.session.commit()
    except PreconditionFailed as exc:
        db.session.rollback()
        flash(exc.detail + " The board below is the latest.", "error")
        return redirect(_board_url(region, when))
    except DomainError as exc:
        db.session.rollback()
        context = _board_context(region, when)
        violations = _violations_of(exc)
        if violations:
            context["preview"] = {
                "change": data,
                "form": request.form,
                "message": exc.detail,
                "violations": [_explainer(context).explain(v) for v in violations],
            }
        else:
            context["errors"] = {
                "form": exc.detail,
                "booking_id": request.form.get("booking_id", type=int),
                **{k: " ".join(map(str, v)) for k, v in (exc.errors or {}).items() if isinstance(v, list)},
            }
        return render_template("coordinator/board.html", **context), exc.status
    flash(_done_message(data), "success")
    return redirect(
        _board_url(region, when, _anchor=f"booking-{data['booking_id']}" if data.get("booking_id") else None)
    )


def _violations_of(exc: DomainError) -> list[dict]:
    """The rules a refused change would break (``apply_change`` lists them in the error)."""
    if not isinstance(exc, Conflict):
        return []
    return (exc.errors or {}).get("violations") or exc.extra.get("violations") or []


def _explainer(context: dict) -> Explainer:
    region = context["region"]
    visits = {i: visit_name(b) for i, b in context["bookings"].items()}
    technicians = {t.id: t.user.first_name for t in context["technicians"]}
    return Explainer(region.time_zone, visits, technicians)


def visit_name(booking: Booking) -> str:
    """How the board names a visit: the patient's first name and initial, as on its stop cards."""
    return f"{booking.patient.first_name} {booking.patient.last_name[:1]}."


def _done_message(data: dict) -> str:
    """What was done, naming the patient and the technician as the board shows them (never ids)."""
    if data["action"] == "technician_unavailable":
        tech = db.session.get(Technician, data.get("technician_id"))
        who = tech.user.first_name if tech is not None else "The technician"
        return f"{who} is marked unavailable; their visits are unassigned. Re-optimize to place them."
    booking = db.session.get(Booking, data.get("booking_id"))
    visit = f"{visit_name(booking)}'s visit" if booking is not None else "The visit"
    tech = db.session.get(Technician, data["technician_id"]) if data.get("technician_id") else None
    to = f" to {tech.user.first_name}" if tech is not None else ""
    what = {
        "move": f"moved{to}",
        "pin": f"pinned{to}",
        "unpin": "unpinned",
        "unassign": "taken off the routes",
        "add_booking": f"added to {tech.user.first_name}'s route" if tech is not None else "added to a route",
    }[data["action"]]
    suffix = " (applied although it breaks a rule)" if data.get("override") else ""
    return f"{visit} {what}{suffix}."


@bp.get("/plans/<int:plan_id>/map.svg")
@login_required(*STAFF)
def route_map(plan_id: int):
    """The current version's routes as a self-contained SVG."""
    plan, v = _current_version(plan_id)
    return Response(plan_svg(plan, v), mimetype="image/svg+xml")


def _current_version(plan_id: int):
    """The plan and its current version; :raise 404: unknown plan, or no version yet."""
    plan = plan_or_404(plan_id)
    v = version(plan, plan.current_number)
    if v is None:
        abort(404, "The plan has no version yet.")
    return plan, v


@bp.get("/plans/<int:plan_id>/map.json")
@login_required(*STAFF)
def route_map_layers(plan_id: int):
    """The current version's routes as data for the map over a base layer (when MAP_TILE_URL is set)."""
    _, v = _current_version(plan_id)
    names = {s.booking_id: visit_name(s.booking) for s in v.stops}
    names.update({u.booking_id: visit_name(u.booking) for u in v.unassigned})
    return plan_layers(v, names)
