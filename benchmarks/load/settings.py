"""What the seeder, the server and the client of the load benchmark agree on."""

from __future__ import annotations

import os

import config

DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/perfload")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9")
# A benchmark-only key (never a real one); the production config requires 32 characters or more.
SECRET_KEY = os.environ.get("LOAD_SECRET_KEY", "load-benchmark-secret-key-0123456789abcdef")
PASSWORD = "load-password"
PATIENT_ACCOUNTS = 300
COORDINATOR_ACCOUNTS = 5


def patient_email(i: int) -> str:
    return f"patient{i}@load.labvisit.test"


def coordinator_email(i: int) -> str:
    return f"coordinator{i}@load.labvisit.test"


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


def app_config(database_url: str):
    """The production config class with the benchmark's database and key (for the seeder only)."""

    class Load(config.Config):
        SECRET_KEY = globals()["SECRET_KEY"]
        SQLALCHEMY_DATABASE_URI = sqlalchemy_url(database_url)
        PROGRAM_SCHEDULER = "off"

    return Load
