"""The monitoring program around the visits: notifications, reminders, outreach, check-ins, skin checks.

``init_app`` registers the program's models, command-line tools, API and pages.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from booking.extensions import api
    from booking.program import cli, models, notification_api  # noqa: F401  (models: registered with the metadata)

    cli.init_app(app)
    api.register_blueprint(notification_api.blp)
