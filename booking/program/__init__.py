"""The monitoring program around the visits: notifications, reminders, outreach, check-ins, skin checks.

``init_app`` registers the program's models, command-line tools and API; its pages hang
under the site blueprint (``booking.web.site``) with every other page.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from booking.extensions import api

    # models: registered with the metadata; month_due, reminders: their periodic jobs register
    from booking.program import cli, models, month_due, notification_api, reminders, runner  # noqa: F401

    cli.init_app(app)
    runner.init_app(app)
    api.register_blueprint(notification_api.blp)
