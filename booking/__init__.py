"""labvisit: lab-visit booking for a drug-safety monitoring program.

``create_app`` is the application factory; each feature registers itself with
``init_app``.
"""

from __future__ import annotations

import logging
import os

from flask import Flask

from booking.signing_key import InsecureConfiguration, configure_signing_key

__all__ = ["InsecureConfiguration", "create_app"]


def create_app(config_object: object | str | None = None) -> Flask:
    """Build the app from a config class: ``LABVISIT_CONFIG`` when none is given, else production.

    Safe by default: the development configuration only when asked for by name.

    :raise InsecureConfiguration: the signing key is missing or too short.
    """
    app = Flask(__name__, instance_relative_config=True)
    if config_object is None:
        config_object = os.environ.get("LABVISIT_CONFIG", "config.Config")
    app.config.from_object(config_object)
    os.makedirs(app.instance_path, exist_ok=True)
    configure_signing_key(app)
    # Alembic announces each of its plugins at INFO whenever it is imported, which
    # is every ``flask`` command; its migration lines ("Running upgrade ...") stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from booking import (
        cli,
        errors,
        log_privacy,
        observability,
        program,
        request_guard,
        security_headers,
        structured_logs,
        web,
    )
    from booking.api import register_api
    from booking.extensions import check_view_limits_only, db, limiter, migrate

    structured_logs.init_app(app)
    log_privacy.install()
    observability.init_app(app)  # first, so its timer starts before any other hook
    request_guard.init_app(app)
    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    errors.init_app(app)
    security_headers.init_app(app)
    register_api(app)
    cli.init_app(app)
    program.init_app(app)
    web.init_app(app)  # the pages, with the sign-in page at /
    check_view_limits_only(app)  # once every view and its limits are known

    return app
