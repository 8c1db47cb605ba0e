"""Keep query strings, where patients type addresses and names, out of request logs.

The first line of defence ships in ``gunicorn.conf.py``: its access-log format prints the path
only (``%(U)s``), with no referrer (a page's address carries its query too). This filter is the
second, kept on purpose: it also covers the development server's request lines, gunicorn's own
error lines (``Error handling request /path?query``) and anyone who runs gunicorn with another
``--access-logformat``. It strips ``?query`` from every URL-like text in a record, including
gunicorn's access-log atoms, which arrive as a dict rather than a tuple.
"""

from __future__ import annotations

import logging
import re

# "/path?query" up to the next space or quote: request lines, bare URIs, full URLs.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def strip_queries(text: str) -> str:
    # Every access-log line passes here, most of them several times (one per atom); only a
    # text with a "?" can hold a query, and looking for one costs a fraction of the regex.
    return _QUERY.sub(r"\1", text) if "?" in text else text


class DropQueryStrings(logging.Filter):
    """Remove ``?query`` from the message and arguments of log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = strip_queries(record.msg)
        if isinstance(record.args, dict):
            record.args = {
                k: ("" if k == "q" else strip_queries(v) if isinstance(v, str) else v)
                for k, v in record.args.items()
            }
        elif isinstance(record.args, tuple):
            record.args = tuple(strip_queries(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
