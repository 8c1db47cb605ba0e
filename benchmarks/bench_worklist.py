"""Benchmark of the nurses' outreach worklist at 10,000 patients.

Seeds patients with treatment courses, visit histories (a fifth of them
overdue), language preferences, three home-visit regions, red-flag check-ins
and contact attempts; runs the overdue escalation job once (timed); then
times, through the app's own request handling (Flask test client, no network):
- the worklist page, GET /coordinator/outreach (first page of 50, rendered);
- the API, GET /api/v1/outreach/worklist (first page of 50, and a filtered page).

Prints median and 95th percentile; asserts nothing. SQLite (a temporary file)
unless a PostgreSQL URL is given:

    python benchmarks/bench_worklist.py [--postgres postgresql://postgres@127.0.0.1:5432/db]
        [--patients N] [--overdue-share 0.2] [--runs 30]

The PostgreSQL database given is emptied (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

import config  # noqa: E402
from booking import create_app, schedule  # noqa: E402
from booking.auth import hash_password, issue_token  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Booking, Patient, Region, TreatmentCourse, User  # noqa: E402
from booking.program import outreach  # noqa: E402
from booking.program.models import NotificationPreference  # noqa: E402
from booking.program.outreach_models import ContactAttempt, OutreachItem, SymptomCheckin  # noqa: E402

AS_OF = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
CENTERS = ((40.75, -73.99, "Manhattan"), (40.68, -73.94, "Brooklyn"), (40.73, -73.79, "Queens"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fresh_app(url: str):
    class Bench(config.Config):
        SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256"
        SQLALCHEMY_DATABASE_URI = url
        SESSION_COOKIE_SECURE = False

    app = create_app(Bench)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def seed(app, n: int, rng: random.Random, overdue_share: float = 0.2) -> int:
    """Patients, courses, visit histories, preferences, regions; returns the coordinator's user id."""
    with app.app_context():
        for lat, lon, name in CENTERS:
            db.session.add(
                Region(
                    name=name,
                    time_zone="America/New_York",
                    latitude=lat,
                    longitude=lon,
                    radius_km=8,
                    service_start=dtime(8, 0),
                    service_end=dtime(16, 0),
                )
            )
        nurse = User(
            email="nurse@bench.test",
            password_hash=hash_password("bench-password"),
            role="coordinator",
            first_name="Nurse",
        )
        db.session.add(nurse)
        db.session.commit()
        patients, courses, bookings, prefs = [], [], [], []
        for i in range(1, n + 1):
            lat, lon, _ = CENTERS[i % 3]
            patients.append(
                {
                    "id": i,
                    "first_name": rng.choice(["Ana", "Luis", "Mary", "John", "Wei", "Fatima"]),
                    "last_name": rng.choice(["Garcia", "Smith", "Chen", "Khan", "Brown", "Lopez"]),
                    "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(20000)),
                    "phone": f"555-{i:07d}",
                    "time_zone": "America/New_York",
                    "home_address": f"{i} Bench St",
                    "home_latitude": lat + rng.uniform(-0.1, 0.1),
                    "home_longitude": lon + rng.uniform(-0.1, 0.1),
                    "home_geo_precision": "client",
                    "created_at": AS_OF,
                    "updated_at": AS_OF,
                }
            )
            first = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
            courses.append(
                {"patient_id": i, "first_infusion": first, "last_infusion": first + timedelta(days=365)}
            )
            # ``overdue_share`` of them are overdue by 1-6 months; the rest were tested last month.
            behind = rng.randint(2, 7) if rng.random() < overdue_share else 1
            last_done = schedule.add_months(date(2026, 12, 1), -behind)
            for back in range(3):
                month = schedule.add_months(last_done, -back)
                if month >= schedule.month_of(first):
                    bookings.append(
                        {
                            "patient_id": i,
                            "kind": rng.choice(["service_center", "home", "office", "provider"]),
                            "status": "delivered",
                            "monitoring_month": month,
                            "starts_at": datetime(month.year, month.month, 10, 14, tzinfo=UTC),
                            "time_zone": "America/New_York",
                            "created_at": AS_OF,
                            "updated_at": AS_OF,
                        }
                    )
            if rng.random() < 0.2:
                prefs.append(
                    {
                        "patient_id": i,
                        "language": "es",
                        "email_enabled": False,
                        "sms_enabled": False,
                        "opted_out_types": [],
                        "updated_at": AS_OF,
                    }
                )
        for table, rows in ((Patient, patients), (TreatmentCourse, courses), (Booking, bookings)):
            for start in range(0, len(rows), 2000):
                db.session.execute(insert(table), rows[start : start + 2000])
        db.session.execute(insert(NotificationPreference), prefs)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('patients_id_seq', (SELECT max(id) FROM patients))"))
        db.session.commit()
        return nurse.id


def add_contacts_and_flags(app, nurse_id: int, rng: random.Random) -> None:
    """Red-flag check-ins for 1% of patients and contact attempts on a third of the worklist."""
    with app.app_context():
        listed = list(db.session.scalars(db.select(OutreachItem.patient_id)))
        patients = list(db.session.scalars(db.select(Patient.id)))
        for pid in rng.sample(patients, max(1, len(patients) // 100)):
            checkin = SymptomCheckin(
                patient_id=pid,
                month=date(2026, 12, 1),
                submitted_at=AS_OF,
                question_set="bench",
                answers=[{"id": "swelling", "answer": True}],
                red_flags=["swelling"],
                severity="call_provider",
            )
            db.session.add(checkin)
            db.session.flush()
            outreach.raise_red_flag(db.session.get(Patient, pid), checkin)
        for pid in rng.sample(listed, len(listed) // 3):
            at = AS_OF - timedelta(days=rng.randrange(30))
            next_on = (date.today() + timedelta(days=rng.randrange(-5, 6))) if rng.random() < 0.5 else None
            outcome = rng.choice(["voicemail", "no_answer", "wrong_number"])
            db.session.add(
                ContactAttempt(
                    patient_id=pid, user_id=nurse_id, at=at, outcome=outcome, next_attempt_on=next_on
                )
            )
            db.session.execute(
                db.update(OutreachItem)
                .where(OutreachItem.patient_id == pid)
                .values(last_contact_at=at, last_outcome=outcome, next_attempt_on=next_on)
            )
        db.session.commit()


def timed(call, runs: int) -> list[float]:
    call()  # warm-up: templates compiled, connections open
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        response = call()
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return out


def run(label: str, url: str, n: int, runs: int, overdue_share: float) -> None:
    rng = random.Random(7)
    app = fresh_app(url)
    started = time.perf_counter()
    nurse_id = seed(app, n, rng, overdue_share)
    print(f"{label}: seeded {n} patients in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        started = time.perf_counter()
        raised = outreach.escalate(AS_OF)
        db.session.commit()
        print(f"  escalation job: raised {raised} reasons in {(time.perf_counter() - started) * 1000:.0f} ms")
    add_contacts_and_flags(app, nurse_id, rng)
    with app.app_context():
        listed = db.session.scalar(
            db.select(db.func.count())
            .select_from(OutreachItem)
            .where(db.or_(OutreachItem.overdue_months > 0, OutreachItem.red_flag_checkin_id.is_not(None)))
        )
        nurse = db.session.get(User, nurse_id)
        token, _ = issue_token(nurse)
        token_version = nurse.token_version
        region_id = db.session.scalar(db.select(Region.id).order_by(Region.id))
    print(f"  on the worklist: {listed} patients")
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = nurse_id
        session["token_version"] = token_version  # what signing in keeps, so the page admits it
    headers = {"Authorization": f"Bearer {token}"}
    cases = {
        "page GET /coordinator/outreach": lambda: client.get("/coordinator/outreach"),
        "API GET /api/v1/outreach/worklist?page_size=50": lambda: client.get(
            "/api/v1/outreach/worklist?page_size=50", headers=headers
        ),
        "API filtered (region, language es, overdue)": lambda: client.get(
            f"/api/v1/outreach/worklist?page_size=50&region_id={region_id}&language=es&reason=overdue",
            headers=headers,
        ),
    }
    for name, call in cases.items():
        ms = timed(call, runs)
        print(
            f"  {name}: median {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms ({runs} runs)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default="", help="PostgreSQL URL (emptied!); SQLite when not given")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--overdue-share", type=float, default=0.2, help="share of patients overdue (1 = all)"
    )
    args = parser.parse_args()
    if args.postgres:
        url = args.postgres
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        run("PostgreSQL", url, args.patients, args.runs, args.overdue_share)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.db", args.patients, args.runs, args.overdue_share)


if __name__ == "__main__":
    main()
