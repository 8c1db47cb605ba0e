"""WSGI entry point: ``gunicorn wsgi:app`` (the production configuration unless LABVISIT_CONFIG says otherwise).

A refused configuration ends the process with its one-line reason instead of a
traceback: under gunicorn as an ``AppImportError`` (the master then stops rather
than respawning workers), elsewhere (``flask``, ``python -c``) as ``SystemExit``.
"""

import sys

from booking import InsecureConfiguration, create_app

try:
    app = create_app()
except InsecureConfiguration as refused:
    if "gunicorn" in sys.modules:
        from gunicorn.errors import AppImportError

        raise AppImportError(str(refused)) from None
    raise SystemExit(str(refused)) from None
