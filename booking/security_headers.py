"""Security headers on every response of the app, in one ``after_request`` hook.

App-wide rather than per blueprint, so error pages (a 404 for an unknown path, a
403, a 500) get them as well as the pages and the API:

- every HTML response carries the Content-Security-Policy: scripts and styles from
  this origin only (there is no inline script), no plugins, no framing;
- every response but the static files is ``Cache-Control: no-store`` (and
  ``Pragma: no-cache`` for HTTP/1.0 caches): patient data, tokens, calendar feeds
  and CSRF-bearing forms must never be kept by a browser or proxy;
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` everywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy() -> str:
    """The policy above, with map tiles allowed from MAP_TILE_URL's origin when one is configured."""
    tiles = urlsplit(current_app.config.get("MAP_TILE_URL") or "")
    if tiles.scheme not in ("http", "https") or not tiles.netloc:
        return CONTENT_SECURITY_POLICY
    origin = f"{tiles.scheme}://{tiles.netloc.replace('{s}', '*')}"
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


def init_app(app: Flask) -> None:
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not _is_static_file():
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def _is_static_file() -> bool:
    """The app's and blueprints' static endpoints (``static``, ``web.static``, …): public, cacheable."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")
