"""Web pages for patients, technicians and coordinators, served by the same app as the API.

Browser sessions (a signed Flask session cookie) carry the signed-in user; every
form posts a CSRF token (Flask-WTF). The JSON API keeps its bearer tokens: the
session is never read for /api routes and the CSRF check runs only on pages.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, the CSRF extension and the template helpers."""
    from booking.web import formatting, site

    # The API authenticates with bearer tokens, not cookies, so only the pages
    # (the site blueprint's before_request) check CSRF tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    site.csrf.init_app(app)
    app.register_blueprint(site.web)
    formatting.init_app(app)
