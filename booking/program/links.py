"""Links in messages: a page of this site, absolute when ``PUBLIC_URL`` says where it is served."""

from __future__ import annotations

from flask import current_app


def page_link(path: str) -> str:
    """``path`` under ``PUBLIC_URL`` (e.g. https://labvisit.example.org), or the bare path without one."""
    return current_app.config.get("PUBLIC_URL", "").rstrip("/") + path
