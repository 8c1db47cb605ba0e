"""Shared pieces of the API blueprints: documented error responses and pagination."""

from __future__ import annotations

from flask_smorest import Blueprint


def documented_errors(blp: Blueprint, *codes: int):
    """Declare the problem+json responses an endpoint may give, for the OpenAPI document."""
    names = {
        400: "BAD_REQUEST",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CONFLICT",
        412: "PRECONDITION_FAILED",
        422: "UNPROCESSABLE_ENTITY",
        428: "PRECONDITION_REQUIRED",
        429: "TOO_MANY_REQUESTS",
    }

    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, response=names[code])(view)
        return view

    return decorator


def paginate_query(db, query, pagination):
    """Run ``query`` for one page and tell flask-smorest the total for its X-Pagination header."""
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
    pagination.item_count = total
    offset = (pagination.page - 1) * pagination.page_size
    if offset >= total:
        return []  # also keeps absurd page numbers away from the database
    return db.session.scalars(query.limit(pagination.page_size).offset(offset)).all()
