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

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from booking.errors import Conflict, DomainError, Unprocessable
from booking.extensions import db
from booking.models import Booking, Patient, Region, Role
from booking.web.access import login_required, web_user
from dispatch import jobs
from dispatch.adjust import apply_change
from dispatch.day import day_bookings, day_origin, technicians_on_shift
from dispatch.models import DispatchJob, PlanAudit, ShiftException, Technician
from dispatch.plans import PreconditionFailed, etag, expected_revision, plan_for, plan_or_404, version
from dispatch.plans import publish as publish_plan
from dispatch.routemap import plan_svg
from dispatch.shapes import version_view
from dispatch.web.violations import Explainer

bp = Blueprint("board", __name__, url_prefix="/coordinator")

STAFF = (Role.COORDINATOR, Role.ADMIN)
ACTIONS = ("move", "pin", "unpin", "unassign", "technician_unavailable", "add_booking")
DEFAULT_TIME_LIMIT = 5.0
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
    return jobs.check_overdue(job) if job else None


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
    # The board names each visit's patient: one query puts them all in the session's identity map,
    # where each booking's lazy ``patient`` finds its own (instead of a query per stop).
    db.session.scalars(
        db.select(Patient).where(Patient.id.in_({b.patient_id for b in bookings.values()}))
    ).all()
    audit = []
    if plan:
        audit = db.session.scalars(
            db.select(PlanAudit)
            .where(PlanAudit.plan_id == plan.id)
            .order_by(PlanAudit.id.desc())
            .limit(AUDIT_SHOWN)
        ).all()
    job = _latest_job(region, day)
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
    }


@bp.get("/board")
@login_required(*STAFF)
def board_redirect():
    """The day-board picker's target: a clean URL per region and day."""
    region_id = request.args.get("region", type=int)
    day = request.args.get("day", "")
    if region_id is None:
        return redirect(url_for("web.coordinator.home"))
    return redirect(url_for("web.board.board", region_id=region_id, day=day or date.today().isoformat()))


@bp.get("/regions/<int:region_id>/days/<day>")
@login_required(*STAFF)
def board(region_id: int, day: str):
    region, when = _region_day(region_id, day)
    return render_template("coordinator/board.html", **_board_context(region, when))


@bp.post("/regions/<int:region_id>/days/<day>/plan")
@login_required(*STAFF)
def plan(region_id: int, day: str):
    """Plan the day, or re-optimize it keeping pins and published windows (a background job)."""

    region, when = _region_day(region_id, day)
    existing = plan_for(region, when)
    try:
        time_limit = min(max(float(request.form.get("time_limit", DEFAULT_TIME_LIMIT)), 0.5), 120.0)
    except ValueError:
        time_limit = DEFAULT_TIME_LIMIT
    kind = "reoptimize" if existing is not None and existing.current_number is not None else "solve"
    try:
        expected = expected_revision(existing, request.form.get("etag")) if kind == "reoptimize" else None
    except DomainError as exc:
        flash(exc.detail, "error")
        return redirect(_board_url(region, when))
    jobs.submit(kind, region, when, time_limit, web_user(), base_revision=expected)
    flash("Planning the day…" if kind == "solve" else "Re-optimizing the day…", "info")
    return redirect(_board_url(region, when))


@bp.post("/plans/<int:plan_id>/publish")
@login_required(*STAFF)
def publish(plan_id: int):
    """Publish the current version: technicians and patients see it."""

    plan = plan_or_404(plan_id)
    region, when = plan.region, plan.day
    try:
        v = publish_plan(plan, web_user(), expected_revision(plan, request.form.get("etag")))
        db.session.commit()
        flash(
            f"Version {v.number} is published: technicians see their routes, patients their windows.",
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
    visits = {i: f"{b.patient.first_name} {b.patient.last_name[:1]}." for i, b in context["bookings"].items()}
    technicians = {t.id: t.user.first_name for t in context["technicians"]}
    return Explainer(region.time_zone, visits, technicians)


def _done_message(data: dict) -> str:
    what = {
        "move": "moved",
        "pin": "pinned",
        "unpin": "unpinned",
        "unassign": "taken off the routes",
        "add_booking": "added to a route",
    }
    if data["action"] == "technician_unavailable":
        return "The technician is marked unavailable; their visits are unassigned. Re-optimize to place them."
    suffix = " (applied although it breaks a rule)" if data.get("override") else ""
    return f"Visit {data['booking_id']} {what[data['action']]}{suffix}."


@bp.get("/plans/<int:plan_id>/map.svg")
@login_required(*STAFF)
def route_map(plan_id: int):
    """The current version's routes as a self-contained SVG."""

    plan = plan_or_404(plan_id)
    v = version(plan, plan.current_number)
    if v is None:
        abort(404, "The plan has no version yet.")
    return Response(plan_svg(plan, v), mimetype="image/svg+xml")
