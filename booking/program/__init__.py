"""The monitoring program around the visits: notifications, reminders, outreach, check-ins, skin checks.

``init_app`` registers the program's models, command-line tools and API; its pages hang
under the site blueprint (``booking.web.site``) with every other page.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from booking.extensions import api

    # models: registered with the metadata; the jobs' modules register with the scheduler
    from booking.program import (  # noqa: F401
        checkin_questions,
        checkins,
        cli,
        models,
        month_due,
        notification_api,
        outreach,
        outreach_api,
        outreach_models,
        reminders,
        runner,
        skin_checks,
    )

    # A broken question file stops the app here, before anything else is set up, not on a patient's screen.
    app.extensions["checkin_questions"] = checkin_questions.load(app.config.get("CHECKIN_QUESTIONS_FILE"))
    cli.init_app(app)
    runner.init_app(app)
    api.register_blueprint(notification_api.blp)
    api.register_blueprint(outreach_api.outreach_blp)
    api.register_blueprint(outreach_api.checkin_blp)
