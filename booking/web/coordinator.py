"""Coordinator pages: patients due or overdue, with booking on their behalf, and a patient search."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from booking.extensions import db
from booking.models import Patient, Region, Role
from booking.schedule import month_of
from booking.services import availability as av
from booking.services.monitoring_lists import due_page, overdue_page
from booking.web.access import login_required

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

STAFF = (Role.COORDINATOR, Role.ADMIN)
ROWS_SHOWN = 25


def _offset(name: str) -> int:
    """Where a list's page starts (``?due_from=25``); anything but a small whole number is the start."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 9 else 0


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
        due=due_page(month, limit=ROWS_SHOWN, offset=_offset("due_from")),
        overdue=overdue_page(limit=ROWS_SHOWN, offset=_offset("overdue_from")),
        query=query,
        found=found,
        regions=db.session.scalars(db.select(Region).order_by(Region.name)).all(),
        today=date.today(),
        limit=ROWS_SHOWN,
    )
