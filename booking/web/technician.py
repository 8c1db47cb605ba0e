"""Technician pages: today's route on a phone, stop by stop."""

from __future__ import annotations

from flask import Blueprint, render_template

from booking.models import Role
from booking.web.access import login_required, web_user

bp = Blueprint("technician", __name__, url_prefix="/technician")


@bp.get("")
@login_required(Role.TECHNICIAN)
def route():
    return render_template("technician/route.html", user=web_user(), route=None)
