"""Refuse hostile requests before any view, parser or sign-in check reads them.

- A body over ``MAX_CONTENT_LENGTH`` is answered 413 from its Content-Length, unread (a
  chunked body is cut at the same size by Werkzeug as it is read).
- An API write with a body must be JSON (415 otherwise), and that JSON must parse, without
  NaN/Infinity, nested at most ``MAX_JSON_DEPTH`` deep (400 otherwise). The depth is counted
  on the raw bytes first, because Python's parser recurses and a 1,000-deep array crashes it.
- Pages (forms, query strings) refuse NUL characters, which PostgreSQL cannot store.

The API's fields are checked one by one by the schemas (``booking.input_guard``); this is
what must be decided before a schema ever sees the body.
"""

from __future__ import annotations

import json
import re

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

MAX_JSON_DEPTH = 32
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def _too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b'""', raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_json(raw: bytes) -> None:
    """:raise 400: the body is not JSON, or is nested too deeply."""
    if _too_deep(raw):
        raise BadRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON.") from None


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _page_input_has_nul() -> bool:
    if b"%00" in request.query_string or b"\x00" in request.query_string:
        return True
    if request.method in WRITE_METHODS and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True))
    return False


def _check_request() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        raise RequestEntityTooLarge(f"The body may have at most {limit} bytes.")
    if not request.path.startswith("/api/"):
        if _page_input_has_nul():
            raise BadRequest("The request contains a NUL character.")
        return
    if request.method not in WRITE_METHODS or not _has_body():
        return
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    _check_json(request.get_data(cache=True))


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
