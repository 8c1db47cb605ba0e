"""Seed a PostgreSQL database for the load benchmark: the demo world grown to 10,000 patients.

The demo (``booking.demo.load_demo_data``: 36 service centers, the NYC home-visit
region, technicians, labs, 380 patients, planned field days) is loaded through
the app, then the remaining patients are added with bulk inserts, reusing the
demo's generators (names, NYC addresses, treatment courses):

- a year of completed service-center visits at one of the three nearest
  centers (about one month in twelve missed; one patient in ten has stopped
  coming 1-4 months ago, so the overdue list is realistic);
- for 40 % of them, this month's visit booked ahead at a nearby center, with
  its place counted in ``capacity_counters`` exactly as the booking service
  does (so the counters-vs-bookings check holds before the run);
- sign-in accounts (one shared password, hashed once) for a pool of patients
  with nothing booked this month (they book and cancel during the run) and
  for a few coordinators.

    python -m benchmarks.load.seed --database-url postgresql://postgres@127.0.0.1:5432/perfload

The database is emptied first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, make_url, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from benchmarks.load import settings
from booking import create_app, demo, schedule
from booking.auth import hash_password
from booking.extensions import db
from booking.models import Booking, CapacityCounter, Patient, ServiceCenter, TreatmentCourse, User
from booking.services import capacity
from booking.services.availability import center_grid

CHUNK = 5000


def ensure_database(database_url: str) -> None:
    """Create the benchmark's database when it does not exist yet (next to the server's ``postgres``)."""
    url = make_url(settings.sqlalchemy_url(database_url))
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}):
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


def fresh_app(database_url: str):
    ensure_database(database_url)
    app = create_app(settings.app_config(database_url))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


class Places:
    """Free places in the centers' slot grids, counted as bookings are generated."""

    def __init__(self, centers: list[ServiceCenter]):
        self.centers = centers
        self.taken: Counter[tuple[int, datetime]] = Counter(
            {
                (cid, start): n
                for cid, start, n in db.session.execute(
                    select(Booking.service_center_id, Booking.starts_at, func.count())
                    .where(Booking.service_center_id.is_not(None))
                    .group_by(Booking.service_center_id, Booking.starts_at)
                )
            }
        )
        self._grids: dict = {}

    def take(self, rng: random.Random, nearby: list[ServiceCenter], first: date, last: date):
        for _ in range(12):
            center = rng.choice(nearby)
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            key = (center.id, day)
            if key not in self._grids:
                self._grids[key] = center_grid(center, day, day)
            free = [
                s for s in self._grids[key] if self.taken[(center.id, s.start)] < center.capacity_per_slot
            ]
            if free:
                slot = rng.choice(free)
                self.taken[(center.id, slot.start)] += 1
                return center, slot
        return None


def _visit(patient_id: int, center: ServiceCenter, slot, month: date, status: str, now: datetime) -> dict:
    return {
        "patient_id": patient_id,
        "kind": "service_center",
        "status": status,
        "monitoring_month": month,
        "service_center_id": center.id,
        "starts_at": slot.start,
        "ends_at": slot.end,
        "time_zone": center.time_zone,
        "address": center.address,
        "latitude": center.latitude,
        "longitude": center.longitude,
        "capacity_key": capacity.center_slot_key(center.id, slot.start) if status == "confirmed" else None,
        "created_at": now,
        "updated_at": now,
    }


def _people(rng: random.Random, count: int, first_id: int, today: date, now: datetime):
    """Patient and course rows made by the demo's own generators."""
    zips = demo._nyc_zips()
    patients, courses = [], []
    for made in demo._patients(rng, zips, count, today):
        pid = first_id + len(patients)
        row = {c.key: getattr(made, c.key) for c in Patient.__table__.columns if c.key not in ("id",)}
        row.update(
            id=pid, created_at=now, updated_at=now, email=f"load{pid}@example.org", phone=f"917-{pid:07d}"
        )
        patients.append(row)
        courses.extend(
            {"patient_id": pid, "first_infusion": c.first_infusion, "last_infusion": c.last_infusion}
            for c in made.courses
        )
    return patients, courses


def _history(rng, patients, courses, centers, places, today, now) -> tuple[list[dict], set[int]]:
    """A year of past visits, and this month's for 40 %; returns the rows and who has nothing this month."""
    this_month = schedule.month_of(today)
    year_ago = schedule.add_months(this_month, -12)
    by_patient: dict[int, list] = {}
    for c in courses:
        by_patient.setdefault(c["patient_id"], []).append(
            schedule.TreatmentCourse(c["first_infusion"], c["last_infusion"])
        )
    bookings, unbooked = [], set()
    month_end = schedule.add_months(this_month, 1) - timedelta(days=1)
    for p in patients:
        nearby = sorted(
            centers,
            key=lambda c: (c.latitude - p["home_latitude"]) ** 2 + (c.longitude - p["home_longitude"]) ** 2,
        )[:3]
        stopped = schedule.add_months(this_month, -rng.randint(1, 4)) if rng.random() < 0.1 else None
        months = [m.month for m in schedule.monitoring_months(by_patient[p["id"]])]
        for month in months:
            if not year_ago <= month < this_month or rng.random() < 0.08 or (stopped and month >= stopped):
                continue
            taken = places.take(rng, nearby, month, month + timedelta(days=27))
            if taken:
                bookings.append(_visit(p["id"], *taken, month, "delivered", now))
        if this_month not in months:
            continue
        first = today + timedelta(days=1)
        taken = places.take(rng, nearby, first, max(first, month_end)) if rng.random() < 0.4 else None
        if taken:
            bookings.append(_visit(p["id"], *taken, this_month, "confirmed", now))
        else:
            unbooked.add(p["id"])
    return bookings, unbooked


def _bulk(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def _counters(bookings: list[dict], centers: dict[int, ServiceCenter]) -> None:
    """Count the new bookings' places the way ``capacity.take_place`` does (adding to the demo's)."""
    counts = Counter(b["capacity_key"] for b in bookings if b["capacity_key"])
    capacity_of = {b["capacity_key"]: centers[b["service_center_id"]].capacity_per_slot for b in bookings}
    rows = [{"key": k, "capacity": capacity_of[k], "booked": n} for k, n in counts.items()]
    stmt = pg_insert(CapacityCounter)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"], set_={"booked": CapacityCounter.booked + stmt.excluded.booked}
    )
    for start in range(0, len(rows), CHUNK):
        db.session.execute(stmt, rows[start : start + CHUNK])


def _accounts(unbooked: set[int], rng: random.Random, now: datetime) -> None:
    password_hash = hash_password(settings.PASSWORD)
    pool = sorted(rng.sample(sorted(unbooked), min(settings.PATIENT_ACCOUNTS, len(unbooked))))
    rows = [
        {
            "email": settings.patient_email(i),
            "password_hash": password_hash,
            "role": "patient",
            "patient_id": pid,
            "is_active": True,
            "created_at": now,
        }
        for i, pid in enumerate(pool)
    ]
    rows += [
        {
            "email": settings.coordinator_email(i),
            "password_hash": password_hash,
            "role": "coordinator",
            "is_active": True,
            "created_at": now,
        }
        for i in range(settings.COORDINATOR_ACCOUNTS)
    ]
    db.session.execute(insert(User), rows)


def seed(database_url: str, patients: int, seed_value: int = 11) -> None:
    started = time.perf_counter()
    app = fresh_app(database_url)
    rng = random.Random(seed_value)
    with app.app_context():
        print(demo.load_demo_data(seed=7).splitlines()[0])
        print(f"demo loaded in {time.perf_counter() - started:.0f} s")
        now = datetime.now(UTC)
        today = demo.demo_today()
        existing = db.session.scalar(select(func.count(Patient.id)))
        first_id = db.session.scalar(select(func.max(Patient.id))) + 1
        people, courses = _people(rng, max(0, patients - existing), first_id, today, now)
        centers = db.session.scalars(select(ServiceCenter)).all()
        bookings, unbooked = _history(rng, people, courses, centers, Places(centers), today, now)
        _bulk(Patient, people)
        _bulk(TreatmentCourse, courses)
        _bulk(Booking, bookings)
        _counters(bookings, {c.id: c for c in centers})
        _accounts(unbooked, rng, now)
        for table in ("patients", "treatment_courses", "bookings", "users"):
            db.session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum would have done by now
        total = db.session.scalar(select(func.count(Patient.id)))
        count = db.session.scalar(select(func.count(Booking.id)))
    print(
        f"seeded {total} patients, {count} bookings, {len(unbooked)} with nothing booked this month "
        f"in {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=settings.DATABASE_URL)
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    seed(args.database_url, args.patients)


if __name__ == "__main__":
    main()
