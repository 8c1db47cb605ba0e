"""WSGI entry point: ``gunicorn wsgi:app`` (the production configuration unless LABVISIT_CONFIG says otherwise).

A refused configuration ends the process with its one-line reason instead of a
traceback. Under gunicorn the error is both an ``AppImportError`` (what a worker
reports before the master halts, rather than respawning it forever) and a
``RuntimeError`` (what the master reports when it loads the app itself, with
``preload_app``); elsewhere (``flask``, ``python -c``) it is a ``SystemExit``.
"""

import sys

from booking import InsecureConfiguration, create_app
from booking.geocoding import prepare

try:
    app = create_app()
except InsecureConfiguration as refused:
    if "gunicorn" in sys.modules:
        from gunicorn.errors import AppImportError

        class RefusedToStart(AppImportError, RuntimeError):
            """Reported by gunicorn as one line, in a worker or in the master."""

        raise RefusedToStart(str(refused)) from None
    raise SystemExit(str(refused)) from None

# Each worker builds the offline ZIP table before its first request, not during it.
prepare(app.config)
