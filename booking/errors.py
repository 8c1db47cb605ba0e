"""Errors as RFC 9457 problem details (``application/problem+json``).

Domain code raises :class:`DomainError` subclasses with a status and a reason;
one handler here turns them, and every HTTP error, into a problem document.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from booking.extensions import db
from booking.structured_logs import exception_chain, request_id, safe_traceback

log = logging.getLogger(__name__)

PROBLEM_MIME = "application/problem+json"


class DomainError(Exception):
    """A request the rules refuse; ``status`` is the HTTP status it maps to."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Unprocessable(DomainError):
    status = 422
    title = "Unprocessable content"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    return response


def _from_http_exception(exc: HTTPException):
    if not request.path.startswith("/api"):
        # Outside the API a person is reading: an HTML page, not problem+json.
        return render_template(
            "error.html", status=exc.code, title=exc.name, detail=exc.description
        ), exc.code
    extra: dict[str, Any] = {}
    detail = exc.description
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs/marshmallow validation errors: {location: {field: [msgs]}}
        extra["errors"] = messages
        detail = "The request is not valid: " + _summarise(messages)
    elif data.get("message"):
        detail = data["message"]
    response = problem(exc.code or 500, exc.name, detail, **extra)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _summarise(messages: dict) -> str:
    parts = []
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, msgs in fields.items():
                text = msgs if isinstance(msgs, str) else "; ".join(map(str, _flatten(msgs)))
                parts.append(f"{field}: {text}")
        else:
            parts.append(f"{location}: {fields}")
    return ", ".join(parts)


def _flatten(value) -> list:
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            out.extend(f"{key}: {m}" for m in _flatten(inner))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for inner in value:
            out.extend(_flatten(inner))
        return out
    return [value]


def log_unexpected(exc: BaseException) -> None:
    """Log an unexpected error by its class, route rule and request id, with its frames.

    Never its message nor the request: a database error's message quotes the statement's
    values and the row it refused (names, addresses, password hashes).
    """
    log.error(
        "unhandled %s on %s %s",
        exception_chain(exc),
        request.method,
        request.url_rule,
        extra={"stack": safe_traceback(exc)},
    )


def init_app(app: Flask) -> None:
    """Route every error through problem+json; unexpected ones are logged without request data."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        return problem(exc.status, exc.title, exc.detail, errors=exc.errors, **exc.extra)

    for code in default_exceptions:
        app.register_error_handler(code, _from_http_exception)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _from_http_exception(exc)
        db.session.rollback()
        log_unexpected(exc)
        return problem(500, "Internal server error", "An unexpected error occurred.", request_id=request_id())
