"""Benchmark of the program's scheduler: queueing a month's due reminders for many patients.

Prints figures, asserts nothing. Seeds N patients (default 50,000) in four US
time zones, a fifth of them already booked for the month and a tenth with
stored preferences (Spanish, SMS with consent), then times:
- the first tick of the month (every periodic job; the month-due job queues a
  reminder per unbooked patient, page and SMS copies);
- a second tick for the same instant (must queue nothing: dedupe keys).
Delivery is left out (see the outbox delivery benchmark).

Run from the repository root:
    python benchmarks/bench_scheduler.py [--patients 50000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

import config  # noqa: E402
from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Booking, Patient, TreatmentCourse  # noqa: E402
from booking.program import scheduler  # noqa: E402
from booking.program.models import NotificationPreference, OutboxMessage  # noqa: E402
from booking.schedule import add_months  # noqa: E402

ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
MONTH = date(2027, 1, 1)
AT = datetime(2027, 1, 1, 18, 0, tzinfo=UTC)  # the 1st in every US zone


def fresh_app(url: str):
    class Bench(config.Config):
        SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256"
        SQLALCHEMY_DATABASE_URI = url
        PROGRAM_SCHEDULER = "off"

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(Bench)
    logging.getLogger("booking").setLevel(logging.WARNING)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def seed(n: int, rng: random.Random) -> None:
    """N patients in monitoring in MONTH; every fifth booked for it; every tenth with preferences."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    patients, courses, bookings, prefs = [], [], [], []
    for i in range(1, n + 1):
        patients.append(
            {
                "id": i,
                "first_name": "P",
                "last_name": f"{i}",
                "time_zone": ZONES[i % len(ZONES)],
                "phone": f"555-{i:07d}",
                "home_address": f"{i} Main St",
                "home_latitude": 40.7 + rng.uniform(-0.2, 0.2),
                "home_longitude": -73.9 + rng.uniform(-0.2, 0.2),
                "home_geo_precision": "client",
                "created_at": now,
                "updated_at": now,
            }
        )
        first = date(2024 + rng.randint(0, 1), rng.randint(1, 12), rng.randint(1, 28))
        last = add_months(first, rng.randint(0, 12))
        courses.append({"patient_id": i, "first_infusion": first, "last_infusion": last})
        if i % 5 == 0:
            bookings.append(
                {
                    "patient_id": i,
                    "kind": "service_center",
                    "status": "confirmed",
                    "monitoring_month": MONTH,
                    "starts_at": datetime(2027, 1, 20, 15, 0, tzinfo=UTC),
                    "time_zone": ZONES[i % len(ZONES)],
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if i % 10 == 1:
            prefs.append(
                {
                    "patient_id": i,
                    "language": "es",
                    "email_enabled": False,
                    "sms_enabled": True,
                    "opted_out_types": [],
                    "consent_at": now,
                    "consent_text_version": "v1",
                    "updated_at": now,
                }
            )
    for model, rows in (
        (Patient, patients),
        (TreatmentCourse, courses),
        (Booking, bookings),
        (NotificationPreference, prefs),
    ):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start : start + 5000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('patients_id_seq', (SELECT max(id) FROM patients))"))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(url: str, n: int) -> None:
    app = fresh_app(url)
    with app.app_context():
        dialect = db.engine.dialect.name
        _, seconds = timed(lambda: seed(n, random.Random(7)))
        print(f"[{dialect}] seeded {n:,} patients in {seconds:.1f} s")

        def tick():
            counts = scheduler.run_due(AT)
            db.session.commit()
            return counts

        counts, first = timed(tick)
        rows = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        print(
            f"[{dialect}] first tick of the month: {first:.2f} s, queued {counts} "
            f"({rows:,} messages, {rows / first:,.0f} per second)"
        )
        again, second = timed(tick)
        print(f"[{dialect}] same tick again:          {second:.2f} s, queued {again}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="also run on this PostgreSQL database (its schema is dropped)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.patients)
    if args.postgres:
        url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        run(url, args.patients)


if __name__ == "__main__":
    main()
