"""The configuration of the app the race suite serves with gunicorn.

Production's own ``config.Config`` (every value from the environment the suite
sets: DATABASE_URL, SECRET_KEY, SIGN_IN_RATE_LIMIT), minus what a test server
must not do: fire the program's periodic work, or insist on HTTPS cookies.
"""

from __future__ import annotations

from config import Config


class RaceServerConfig(Config):
    PROGRAM_SCHEDULER = "off"
    SESSION_COOKIE_SECURE = False
