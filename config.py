"""Configuration classes, read from the environment.

The default is an embedded SQLite file under ``instance/``; set ``DATABASE_URL``
to use PostgreSQL (``postgresql+psycopg://user@host/db``).

``Config`` is production and the default (``LABVISIT_CONFIG`` picks another class).
No signing key lives in code: production takes ``SECRET_KEY`` from the environment
and refuses to start without one of ``MIN_SECRET_KEY_LENGTH`` characters;
development generates a random key once and keeps it under ``instance/``; the
tests draw a fresh one per run.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs name the dialect only; SQLAlchemy needs the driver too.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Production-safe defaults; every value can be overridden by the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Shorter keys are refused at start-up: an HS256 key should carry at least 256 bits.
    MIN_SECRET_KEY_LENGTH = 32
    # Development only: where a generated key is kept when SECRET_KEY is unset (None: never generate).
    SECRET_KEY_FILE: str | None = None
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{BASE_DIR / 'instance' / 'labvisit.db'}")
    # hide_parameters: a database error's message (and so any log of it) must never carry the
    # statement's values, which are names, addresses, notes and password hashes.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}

    # Logs: one JSON object per line (python-json-logger), or "text" for a terminal.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Bodies over this many bytes are refused with 413 before they are read.
    MAX_CONTENT_LENGTH = _int_env("MAX_CONTENT_LENGTH", 1024 * 1024)

    # Access tokens for the API.
    TOKEN_TTL_SECONDS = _int_env("TOKEN_TTL_SECONDS", 3600)

    # Sign-in attempts per client address and e-mail (Flask-Limiter syntax), and failed
    # sign-ins per client address whatever the e-mail (API and pages together), so trying
    # many e-mails from one address is slowed too.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute")
    SIGN_IN_ADDRESS_RATE_LIMIT = os.environ.get("SIGN_IN_ADDRESS_RATE_LIMIT", "30 per minute;300 per hour")
    RATELIMIT_HEADERS_ENABLED = True

    # Booking policy: how close to the start a patient may still move or cancel.
    RESCHEDULE_CUTOFF_HOURS = _int_env("RESCHEDULE_CUTOFF_HOURS", 24)
    CANCEL_CUTOFF_HOURS = _int_env("CANCEL_CUTOFF_HOURS", 2)
    # How far ahead availability may be asked for, in days.
    MAX_AVAILABILITY_DAYS = _int_env("MAX_AVAILABILITY_DAYS", 62)
    # How long before its window a home or office visit may still be booked: the day's routes
    # are planned and published ahead, and a technician needs notice.
    HOME_VISIT_LEAD_HOURS = _int_env("HOME_VISIT_LEAD_HOURS", 12)
    # A technician's route: the minutes of slack in the "leave by" time (arriving that much before
    # service must start), and how long the last report on a stop may be undone.
    LEAVE_BY_SLACK_MINUTES = _int_env("LEAVE_BY_SLACK_MINUTES", 10)
    REPORT_UNDO_MINUTES = _int_env("REPORT_UNDO_MINUTES", 5)

    # The coordinators' route map over a street map: a tile URL template such as
    # "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (mind the tile service's usage policy) and
    # the attribution it requires. Unset: the server-drawn map with its legend, nothing fetched.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

    # Geocoding: "offline" (client coordinates or a ZIP-code centroid) or any
    # geopy service name, e.g. "nominatim" with GEOCODER_OPTIONS
    # '{"domain": "nominatim.example.org", "user_agent": "labvisit"}'.
    GEOCODER = os.environ.get("GEOCODER", "offline")
    GEOCODER_OPTIONS = json.loads(os.environ.get("GEOCODER_OPTIONS", "{}"))

    # The program's notifications. Quiet hours are the patient's local time ("" for none);
    # e-mail and SMS due inside them wait until they end.
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "21:00-08:00")
    OUTBOX_MAX_ATTEMPTS = _int_env("OUTBOX_MAX_ATTEMPTS", 6)
    OUTBOX_RETRY_BASE_SECONDS = _int_env("OUTBOX_RETRY_BASE_SECONDS", 60)
    # How long a worker holds a claimed message before another may take it over.
    OUTBOX_LEASE_SECONDS = _int_env("OUTBOX_LEASE_SECONDS", 120)
    # Reminders. The month-due reminder goes out on the first day of a monitoring month with
    # nothing booked, and once more this many days later (0: never again); a provider visit's
    # "confirm the time with the office" reminder this many hours before it.
    MONTH_DUE_REPEAT_DAYS = _int_env("MONTH_DUE_REPEAT_DAYS", 7)
    PROVIDER_CONFIRM_HOURS = _int_env("PROVIDER_CONFIRM_HOURS", 72)
    # Where the site is served, for links in messages (e.g. https://labvisit.example.org);
    # unset, messages carry bare paths.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
    # Who fires the periodic work: "embedded" (a thread in each served app process; one of
    # them works per tick, by a lease in the database), "rq" (`rq cron` enqueues a tick on
    # PROGRAM_QUEUE_NAME for the RQ workers), or "off".
    PROGRAM_SCHEDULER = os.environ.get("PROGRAM_SCHEDULER", "embedded")
    PROGRAM_TICK_SECONDS = _int_env("PROGRAM_TICK_SECONDS", 60)
    PROGRAM_QUEUE_NAME = os.environ.get("PROGRAM_QUEUE_NAME", "program")

    # E-mail: smtp://host:port, smtps://host:port (TLS from the start), credentials as
    # smtp://user:password@host:587?starttls=1. Unset: e-mail is kept in the local demo
    # mailbox (a page for staff), never sent.
    MAIL_URL = os.environ.get("MAIL_URL", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "labvisit <no-reply@labvisit.localhost>")
    MAIL_TIMEOUT = _int_env("MAIL_TIMEOUT", 20)
    # SMS through a Twilio-style Messages API (POST {url}/2010-04-01/Accounts/{sid}/Messages.json).
    # Unset: SMS is kept in the local demo mailbox too.
    SMS_PROVIDER_URL = os.environ.get("SMS_PROVIDER_URL", "")
    SMS_ACCOUNT_SID = os.environ.get("SMS_ACCOUNT_SID", "")
    SMS_AUTH_TOKEN = os.environ.get("SMS_AUTH_TOKEN", "")
    SMS_FROM = os.environ.get("SMS_FROM", "")
    SMS_TIMEOUT = _int_env("SMS_TIMEOUT", 15)

    # Dispatch. Travel times: an OSRM-style table service (OSRM_URL), else the straight-line
    # distance × DISPATCH_CIRCUITY at DISPATCH_SPEED_KMH. Planning runs on a thread of the app
    # ("thread") or on RQ workers ("rq", with REDIS_URL); DISPATCH_WORKERS caps the cores one
    # solve may use (search threads or worker processes; unset: every core); DISPATCH_TIME_LIMIT is the engine's time when a
    # coordinator plans from the board.
    OSRM_URL = os.environ.get("OSRM_URL", "")
    OSRM_TIMEOUT = float(os.environ.get("OSRM_TIMEOUT", "10"))
    DISPATCH_CIRCUITY = float(os.environ.get("DISPATCH_CIRCUITY", "1.35"))
    DISPATCH_SPEED_KMH = float(os.environ.get("DISPATCH_SPEED_KMH", "28"))
    DISPATCH_QUEUE = os.environ.get("DISPATCH_QUEUE", "thread")
    DISPATCH_QUEUE_NAME = os.environ.get("DISPATCH_QUEUE_NAME", "dispatch")
    DISPATCH_WORKERS = int(os.environ["DISPATCH_WORKERS"]) if os.environ.get("DISPATCH_WORKERS") else None
    DISPATCH_TIME_LIMIT = float(os.environ.get("DISPATCH_TIME_LIMIT", "10"))
    # Redis for the job queues and the readiness probe (/readyz checks it when set).
    REDIS_URL = os.environ.get("REDIS_URL", "")

    # Outreach: a due month with nothing booked goes on the nurses' worklist this many days before
    # it ends. The symptom check-in's questions: a JSON file (see
    # booking/program/data/checkin_questions.json), validated at start-up; empty for the default.
    OUTREACH_DUE_SOON_DAYS = _int_env("OUTREACH_DUE_SOON_DAYS", 7)
    CHECKIN_QUESTIONS_FILE = os.environ.get("CHECKIN_QUESTIONS_FILE", "")

    # Who may read /metrics: holders of this bearer token; unset, only requests from localhost.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

    # OpenAPI (flask-smorest).
    API_TITLE = "labvisit"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        },
        "security": [{"bearerAuth": []}],
    }

    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"


class DevelopmentConfig(Config):
    """Local `make run`: a random key generated on first start and kept in instance/, unless one is given."""

    SECRET_KEY_FILE = "secret_key"  # relative to the app's instance folder
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"


class TestConfig(Config):
    """The test suite: its own database, given by TEST_DATABASE_URL or a temp SQLite file."""

    TESTING = True
    # A fresh key per test run: no token signed with a key from the repository is ever valid.
    SECRET_KEY = secrets.token_urlsafe(48)
    # Every test signs in from 127.0.0.1; the per-address limit has its own test with a lower value.
    SIGN_IN_ADDRESS_RATE_LIMIT = "10000 per minute"
    LOG_FORMAT = "text"
    SESSION_COOKIE_SECURE = False
    # Tests tick the scheduler themselves (``flask program tick`` or ``runner.tick``).
    PROGRAM_SCHEDULER = "off"


def setting(config, name: str):
    """``config[name]``, or this module's default when a config mapping leaves it out or None.

    For code that is handed a plain mapping rather than the app's config (the dispatch engine's
    travel source, a worker process): the defaults still come from one place, ``Config``.
    """
    value = config.get(name)
    return getattr(Config, name) if value is None else value
