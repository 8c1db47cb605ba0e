"""Coordinator pages: who is due or overdue (with booking on their behalf) and the dispatch day board."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for

from booking.extensions import db
from booking.models import Patient, Region, Role
from booking.schedule import month_of
from booking.services import availability as av
from booking.services.monitoring import due_without_booking, overdue_patients
from booking.web.access import login_required

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

STAFF = (Role.COORDINATOR, Role.ADMIN)


@bp.get("")
@login_required(*STAFF)
def home():
    """Patients due this month with no booking, overdue patients, a patient search and the regions."""
    month = month_of(av.now_utc().date())
    query = request.args.get("q", "").strip()
    found = []
    if query:
        like = f"%{query.lower()}%"
        found = db.session.scalars(
            db.select(Patient)
            .where(
                db.or_(
                    db.func.lower(Patient.first_name).like(like), db.func.lower(Patient.last_name).like(like)
                )
            )
            .order_by(Patient.last_name, Patient.first_name)
            .limit(20)
        ).all()
    return render_template(
        "coordinator/home.html",
        month=month,
        due=due_without_booking(month),
        overdue=overdue_patients(),
        query=query,
        found=found,
        regions=db.session.scalars(db.select(Region).order_by(Region.name)).all(),
        today=date.today(),
    )


@bp.get("/board")
@login_required(*STAFF)
def board_redirect():
    """The day-board form's target: a clean URL per region and day."""
    region_id = request.args.get("region", type=int)
    day = request.args.get("day", "")
    if region_id is None:
        return redirect(url_for("web.coordinator.home"))
    return redirect(
        url_for("web.coordinator.board", region_id=region_id, day=day or date.today().isoformat())
    )


@bp.get("/regions/<int:region_id>/days/<day>")
@login_required(*STAFF)
def board(region_id: int, day: str):
    region = db.get_or_404(Region, region_id, description="No such region.")
    return render_template("coordinator/board.html", region=region, day=day, plan=None)
