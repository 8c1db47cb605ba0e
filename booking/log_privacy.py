"""Keep health information out of logs.

Query strings carry what patients type (``near=<home address>``), so request
lines are logged with their path only. Production: run gunicorn with an access
log format that uses ``%(U)s`` (path without query), as the README shows.
"""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"(\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^ ?]*)\?[^ ]*")


class DropQueryStrings(logging.Filter):
    """Remove ``?query`` from request lines in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_QUERY.sub(r"\1", a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _QUERY.sub(r"\1", record.msg)
        return True


def install() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
