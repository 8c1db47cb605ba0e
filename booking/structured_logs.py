"""Application logs: one JSON object per line in production, each with the request's id, no PHI.

Why it is shaped this way:

- Exception messages are where patient data leaks (a database error quotes the row it refused,
  psycopg adds ``DETAIL: Key (email)=(...)``), so no handler here ever prints one: tracebacks are
  rendered as their frames and exception class names only (:func:`safe_traceback`).
- Every line made while serving a request carries ``request_id``, also sent back in the
  ``X-Request-ID`` header and in a 500's problem document, so a report from a user finds its log
  lines without anyone logging what they typed. A well-formed id from a proxy is kept.
- ``LOG_FORMAT`` is ``json`` in the production config (python-json-logger), ``text`` for people
  reading a terminal; ``LOG_LEVEL`` sets the level.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_GOOD_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_HANDLER_NAME = "labvisit"


def safe_traceback(exc: BaseException) -> str:
    """The frames of ``exc`` and of its causes, with class names but never the messages."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
        parts.append("\n".join([*lines, f"{type(current).__module__}.{type(current).__qualname__}"]))
        current = current.__cause__ or current.__context__
    return "\n-- caused by --\n".join(parts)


def exception_chain(exc: BaseException) -> str:
    """``ProgrammingError <- UndefinedTable``: what went wrong, by class only."""
    names, current, seen = [], exc, set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    return " <- ".join(names)


class _SafeExceptions:
    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return safe_traceback(ei[1]) if ei and ei[1] is not None else ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return stack_info


class SafeJsonFormatter(_SafeExceptions, JsonFormatter):
    """python-json-logger's formatter, with tracebacks stripped of exception messages."""


class SafeTextFormatter(_SafeExceptions, logging.Formatter):
    """A line of text for a terminal, with the same tracebacks (and an unexpected error's frames)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        stack = getattr(record, "stack", None)
        return f"{line}\n{stack}" if stack else line


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return SafeJsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return SafeTextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(app: Flask) -> None:
    """Send the root logger to stderr in the configured format (once per process).

    Left alone when something else (a test runner, an embedding program) already configured it.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == _HANDLER_NAME]
    if root.handlers and not ours:
        return
    handler = ours[0] if ours else logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_formatter(app.config.get("LOG_FORMAT", "text")))
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())
    if not ours:
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def _assign_request_id() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex


def _echo_request_id(response):
    response.headers.setdefault(REQUEST_ID_HEADER, request_id())
    return response


def init_app(app: Flask) -> None:
    configure(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    app.after_request(_echo_request_id)
