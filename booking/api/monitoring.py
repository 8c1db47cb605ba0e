"""Coordinators' lists: who is due with no booking, who is overdue (paginated, filterable)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors
from booking.auth import STAFF, roles_allowed
from booking.schedule import month_of
from booking.schemas import DueArgsSchema, DuePatientSchema, MonitoringFilterArgsSchema, Rendered
from booking.services.monitoring_lists import ListFilters, due_page, overdue_page

blp = Blueprint(
    "monitoring", __name__, url_prefix="/api/v1/monitoring", description="Who is due or overdue (staff)."
)

PAGE_SIZE, MAX_PAGE_SIZE = 50, 500


def _page_of(page, pagination_parameters) -> Rendered:
    """The page's rows, already in ``DuePatientSchema``'s shape, sent as they are."""
    pagination_parameters.item_count = page.total
    return Rendered(page.rows)


def _window(pagination_parameters) -> dict:
    size = pagination_parameters.page_size
    return {"limit": size, "offset": (pagination_parameters.page - 1) * size}


@blp.route("/due")
class Due(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(DueArgsSchema, location="query")
    @blp.response(200, DuePatientSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    @documented_errors(blp, 401, 403)
    def get(self, args, pagination_parameters):
        """Patients with a monitoring month ``month`` (default: this month) and no booking for it.

        Ordered by last name; the total is in the ``X-Pagination`` header.
        """
        month = args.pop("month", None) or month_of(datetime.now(UTC).date())
        page = due_page(month, ListFilters(**args), **_window(pagination_parameters))
        return _page_of(page, pagination_parameters)


@blp.route("/overdue")
class Overdue(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(MonitoringFilterArgsSchema, location="query")
    @blp.response(200, DuePatientSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    @documented_errors(blp, 401, 403)
    def get(self, args, pagination_parameters):
        """Patients with an overdue month: past, untested, and not tested since.

        Ordered by last name; the total is in the ``X-Pagination`` header.
        """
        page = overdue_page(ListFilters(**args), **_window(pagination_parameters))
        return _page_of(page, pagination_parameters)
