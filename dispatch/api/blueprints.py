"""The dispatch API's three blueprints and what their views share.

Documented problem+json errors, the If-Match parameter of plan edits, and who
may see which technician: staff any, a technician only themselves (anyone
else is a 404).
"""

from __future__ import annotations

import http

from flask_smorest import Blueprint

from booking.auth import current_user, is_staff
from booking.errors import NotFound, Unprocessable
from booking.extensions import db
from booking.models import Region
from booking.schemas import MAX_ID
from dispatch.models import Technician

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


def region_or_422(region_id: int) -> Region:
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
