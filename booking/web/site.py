"""The blueprint every page hangs under: CSRF check and HTML error pages (headers: booking.security_headers)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from booking.errors import DomainError, log_unexpected
from booking.extensions import db
from booking.program import notification_pages, outreach_pages
from booking.web import access, coordinator, patient
from dispatch.web import board, technician

csrf = CSRFProtect()

web = Blueprint("web", __name__)

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@web.before_request
def _check_csrf() -> None:
    if request.method not in _SAFE_METHODS:
        csrf.protect()


@web.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return render_template(
        "error.html",
        status=400,
        title="This form has expired",
        detail="The form was open too long or did not come from this site. Reload the page and try again.",
    ), 400


@web.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    return render_template("error.html", status=exc.status, title=exc.title, detail=exc.detail), exc.status


@web.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    db.session.rollback()
    log_unexpected(exc)
    return render_template(
        "error.html",
        status=500,
        title="Something went wrong",
        detail="The page could not be shown. Try again in a moment; if it keeps happening, tell your coordinator.",
    ), 500


def _http_error(exc: HTTPException):
    return render_template("error.html", status=exc.code, title=exc.name, detail=exc.description), exc.code


# Code-specific handlers, because the app's problem+json handlers are code-specific too.
for _code in (400, 403, 404, 405, 409, 422, 429):
    web.register_error_handler(_code, _http_error)

for _child in (
    access.bp,
    patient.bp,
    technician.bp,
    coordinator.bp,
    board.bp,
    notification_pages.bp,
    outreach_pages.bp,
):
    web.register_blueprint(_child)
