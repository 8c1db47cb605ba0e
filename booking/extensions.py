"""Flask extensions, created once and bound to an app in ``create_app``."""

from __future__ import annotations

import http
import sqlite3

import marshmallow as ma
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Named constraints make Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
# Storage from RATELIMIT_STORAGE_URI: memory:// counts per worker process, so use
# redis://… whenever more than one worker serves.
limiter = Limiter(key_func=get_remote_address)


def _failed_sign_in(response) -> bool:
    return response.status_code == 401


# Failed sign-ins per client address, whatever the e-mail, counted across the API's token
# endpoint and the sign-in page together: trying many e-mails from one address is slowed.
# Only failures count, so colleagues signing in behind one NAT address are not held up.
sign_in_address_limit = limiter.shared_limit(
    lambda: current_app.config["SIGN_IN_ADDRESS_RATE_LIMIT"],
    scope="sign-in-address",
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)


def check_view_limits_only(app) -> None:
    """Drop Flask-Limiter's check before every request when only views carry limits.

    The limits here are declared on the views that take them (the sign-in endpoints), and
    each of those views checks its own. The extension's ``before_request`` hook is there for
    default, application, meta and blueprint limits; with none configured it resolves an
    empty set of limits on every request of every endpoint. It stays as soon as one is.
    Call after every blueprint is registered.
    """
    manager = limiter.limit_manager
    if manager._default_limits or manager._application_limits or manager._blueprint_limits:
        return
    if limiter._meta_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error of this API is answered.

    Besides the standard members, the API sends these extension members (RFC 9457
    section 3.2), each only where it applies; a client reads them instead of the
    wording of ``detail``. Every new extension member belongs here, or the
    published schema (which allows no others) stops matching the answers.
    """

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String(allow_none=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={
            "description": "Why the input was refused: field-level messages (by location, then field, "
            "for malformed requests); for a refused plan change, ``violations``."
        },
    )
    current_status = ma.fields.String(
        metadata={
            "description": "A 409 refusing a change of status: the status the booking (or message) "
            "has now, e.g. ``cancelled``."
        }
    )
    deadline = ma.fields.DateTime(
        metadata={
            "description": "A 409 past the online cutoff: the moment (UTC) until which a patient "
            "could have cancelled or moved the visit."
        }
    )


class ProblemApi(Api):
    """flask-smorest's Api with errors documented as application/problem+json.

    The errors themselves are rendered by ``booking.errors``.
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are handled by booking.errors for the whole app."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


api = ProblemApi()


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    """Let SQLAlchemy's BEGIN below decide locking, and wait rather than fail on a busy file."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """Take SQLite's write lock at BEGIN.

    A deferred transaction that reads and then writes can fail with "database is
    locked" when two writers race; BEGIN IMMEDIATE makes them queue instead, so the
    capacity checks below stay atomic on the embedded database too.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
