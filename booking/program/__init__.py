"""The monitoring program around the visits: notifications, reminders, outreach, check-ins, skin checks.

``init_app`` registers the program's models, command-line tools, API and pages.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # models: registered with the metadata; month_due, reminders: their periodic jobs register
    from booking.program import cli, models, month_due, reminders, runner  # noqa: F401

    cli.init_app(app)
    runner.init_app(app)
