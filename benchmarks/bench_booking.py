"""Benchmarks of the booking API end to end (HTTP handlers, database, rules).

Prints figures, asserts nothing:
- nearest-center search through GET /api/v1/service-centers among 5,000 centers;
- availability of one center over 31 days through GET /api/v1/availability;
- booking creation throughput through POST /api/v1/bookings, sequential and with
  concurrent clients over real HTTP, on SQLite and (when it answers) PostgreSQL.

Run from the repository root: python benchmarks/bench_booking.py [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import config  # noqa: E402
from booking import create_app  # noqa: E402
from booking.auth import hash_password, issue_token  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import OpeningHours, Patient, ServiceCenter, TreatmentCourse, User  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fresh_app(url: str):
    class Bench(config.Config):
        SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256"
        SQLALCHEMY_DATABASE_URI = url
        SESSION_COOKIE_SECURE = False

    app = create_app(Bench)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def seed(app, n_centers: int, n_patients: int, rng: random.Random):
    with app.app_context():
        hours = [(d, dtime(7, 0), dtime(19, 0)) for d in range(7)]
        for i in range(n_centers):
            db.session.add(
                ServiceCenter(
                    network=("Northstar Labs", "Keystone Diagnostics")[i % 2],
                    name=f"PSC {i}",
                    address=f"{i} Main St",
                    latitude=40.73 + rng.uniform(-0.6, 0.6),
                    longitude=-73.93 + rng.uniform(-0.8, 0.8),
                    time_zone="America/New_York",
                    slot_minutes=15,
                    capacity_per_slot=2,
                    hours=[OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in hours],
                )
            )
        staff = User(
            email="bench-staff@example.org", password_hash=hash_password("bench-password"), role="coordinator"
        )
        db.session.add(staff)
        for i in range(n_patients):
            db.session.add(
                Patient(
                    first_name="B",
                    last_name=f"P{i}",
                    time_zone="America/New_York",
                    home_address="x",
                    home_latitude=40.7,
                    home_longitude=-73.9,
                    home_geo_precision="client",
                    courses=[
                        TreatmentCourse(first_infusion=date(2025, 1, 1), last_infusion=date(2026, 1, 1))
                    ],
                )
            )
        db.session.commit()
        token, _ = issue_token(staff)
        return {"Authorization": f"Bearer {token}"}


def bench_nearest(app, headers, rng, queries=300):
    client = app.test_client()
    timings = []
    for _ in range(queries):
        near = f"{40.73 + rng.uniform(-0.5, 0.5):.5f},{-73.93 + rng.uniform(-0.7, 0.7):.5f}"
        started = time.perf_counter()
        response = client.get(
            "/api/v1/service-centers", query_string={"near": near, "limit": 10}, headers=headers
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


def bench_availability(app, headers, calls=60):
    client = app.test_client()
    first = date.today() + timedelta(days=1)
    params = {
        "patient_id": 1,
        "kind": "service_center",
        "service_center_id": 1,
        "from": first.isoformat(),
        "to": (first + timedelta(days=30)).isoformat(),
    }
    timings, slots = [], 0
    for _ in range(calls):
        started = time.perf_counter()
        response = client.get("/api/v1/availability", query_string=params, headers=headers)
        timings.append(time.perf_counter() - started)
        slots = len(response.json["openings"])
    return timings, slots


def bench_sequential_create(app, headers, n: int, center_ids: list[int]):
    """n bookings, each for another patient, spread over the centers' first free slots."""
    client = app.test_client()
    day = date.today() + timedelta(days=3)
    starts = []
    for cid in center_ids:
        body = client.get(
            "/api/v1/availability",
            headers=headers,
            query_string={
                "patient_id": 1,
                "kind": "service_center",
                "service_center_id": cid,
                "from": day.isoformat(),
                "to": day.isoformat(),
            },
        ).json
        starts.extend((cid, o["starts_at"]) for o in body["openings"] for _ in range(o["places_left"]))
    started = time.perf_counter()
    created = 0
    for patient_id, (cid, start) in zip(range(1, n + 1), starts, strict=False):
        response = client.post(
            "/api/v1/bookings",
            headers=headers,
            json={
                "patient_id": patient_id,
                "kind": "service_center",
                "service_center_id": cid,
                "starts_at": start,
            },
        )
        created += response.status_code == 201
    return created, time.perf_counter() - started


def bench_concurrent_create(app, headers, n: int, threads: int, center_id: int, first_patient: int):
    """n creates from `threads` concurrent HTTP clients racing over one center's slots of one day."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    runner = threading.Thread(target=server.serve_forever, daemon=True)
    runner.start()
    base = f"http://127.0.0.1:{server.server_port}"
    day = date.today() + timedelta(days=4)
    client = app.test_client()
    body = client.get(
        "/api/v1/availability",
        headers=headers,
        query_string={
            "patient_id": 1,
            "kind": "service_center",
            "service_center_id": center_id,
            "from": day.isoformat(),
            "to": day.isoformat(),
        },
    ).json
    starts = [o["starts_at"] for o in body["openings"]]
    jobs = [(first_patient + i, starts[i % len(starts)]) for i in range(n)]
    lock, statuses = threading.Lock(), []

    def work(chunk):
        for patient_id, start in chunk:
            data = json.dumps(
                {
                    "patient_id": patient_id,
                    "kind": "service_center",
                    "service_center_id": center_id,
                    "starts_at": start,
                }
            ).encode()
            request = urllib.request.Request(
                f"{base}/api/v1/bookings",
                data=data,
                method="POST",
                headers={**headers, "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses.append(status)

    workers = [threading.Thread(target=work, args=(jobs[i::threads],)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    server.shutdown()
    with app.app_context():
        overbooked = db.session.scalar(text("SELECT count(*) FROM capacity_counters WHERE booked > capacity"))
    return (
        statuses.count(201),
        statuses.count(409),
        len(statuses) - statuses.count(201) - statuses.count(409),
        elapsed,
        overbooked,
    )


def run(label: str, url: str) -> None:
    rng = random.Random(42)
    app = fresh_app(url)
    headers = seed(app, n_centers=5000, n_patients=700, rng=rng)
    print(f"\n== {label} ==")
    near = bench_nearest(app, headers, rng)
    print(
        f"nearest 10 of 5,000 centers, GET /service-centers?near=lat,lon ({len(near)} queries): "
        f"median {statistics.median(near) * 1e3:.2f} ms, p95 {percentile(near, 0.95) * 1e3:.2f} ms"
    )
    avail, slots = bench_availability(app, headers)
    print(
        f"availability of one center over 31 days ({slots} open slots), GET /availability: "
        f"median {statistics.median(avail) * 1e3:.2f} ms, p95 {percentile(avail, 0.95) * 1e3:.2f} ms"
    )
    created, elapsed = bench_sequential_create(app, headers, 300, center_ids=list(range(2, 12)))
    print(
        f"booking creation, sequential POST /bookings: {created} in {elapsed:.2f} s "
        f"= {created / elapsed:.0f} bookings/s"
    )
    ok, full, other, elapsed, overbooked = bench_concurrent_create(
        app, headers, 300, 8, center_id=20, first_patient=301
    )
    print(
        f"booking creation, 8 concurrent HTTP clients, 300 requests on one center-day: {ok} created, "
        f"{full} refused full (409), {other} other, {300 / elapsed:.0f} requests/s, "
        f"overbooked slots: {overbooked}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=PG_DEFAULT, help="PostgreSQL URL ('' to skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite (embedded default)", f"sqlite:///{tmp}/bench.db")
    if args.postgres:
        try:
            import psycopg

            psycopg.connect(args.postgres.replace("+psycopg", ""), connect_timeout=3).close()
        except Exception as exc:  # noqa: BLE001
            print(f"\nPostgreSQL not reachable ({exc.__class__.__name__}); skipped")
            return
        run("PostgreSQL", args.postgres)


if __name__ == "__main__":
    main()
