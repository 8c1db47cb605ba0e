"""Drive the production server with the mixed workload and print what it did.

    python -m benchmarks.load.run --workers 2 --users 10 50 100 --duration 30
    python -m benchmarks.load.run --workers 2 --single          # median per endpoint, one at a time

Starts ``gunicorn wsgi:app`` (see ``server.py``) on a database seeded by
``benchmarks.load.seed``, signs in the virtual users (one patient account
each, plus coordinators), runs each concurrency level for ``--duration``
seconds after a short warm-up, and prints per endpoint p50/p95/p99, requests
per second and errors (5xx, connection failures; 409s are counted apart: a
slot taken by another user is an answer, not an error). After the run every
capacity counter is compared with the bookings holding its places.

The client runs on the same machine as the server and takes CPU from it: compare
figures from one run with each other, not with another machine's.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests

from benchmarks.load import settings
from benchmarks.load.server import Server
from benchmarks.load.workload import Client, Recorder, VirtualUser, World, percentile, sign_in_page


def sign_in_all(base: str, users: int, recorder: Recorder) -> tuple[list[Client], list[Client]]:
    with ThreadPoolExecutor(4) as pool:
        patients = list(pool.map(lambda i: Client(base, settings.patient_email(i), recorder), range(users)))
        staff = list(
            pool.map(
                lambda i: Client(base, settings.coordinator_email(i), recorder),
                range(settings.COORDINATOR_ACCOUNTS),
            )
        )
    return patients, staff


def run_level(base: str, users: int, duration: float, warmup: float) -> Recorder:
    recorder = Recorder(recording=False)
    patients, staff = sign_in_all(base, users, recorder)
    world = World(patients[0])
    virtual = [VirtualUser(p, staff[i % len(staff)], world, seed=i) for i, p in enumerate(patients)]
    stop = threading.Event()

    def loop(user: VirtualUser) -> None:
        while not stop.is_set():
            try:
                user.step()
            except Exception:  # noqa: BLE001 - recorded as 599 by the client; keep the user going
                time.sleep(0.05)

    threads = [threading.Thread(target=loop, args=(u,), daemon=True) for u in virtual]
    for t in threads:
        t.start()
    time.sleep(warmup)
    recorder.recording = True
    started = time.perf_counter()
    time.sleep(duration)
    recorder.recording = False
    recorder.elapsed = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return recorder


def report_level(users: int, recorder: Recorder) -> None:
    total = sum(len(v) for v in recorder.samples.values())
    errors = sum(n for codes in recorder.statuses.values() for code, n in codes.items() if code >= 500)
    print(
        f"\n{users} users: {total / recorder.elapsed:.1f} req/s over {recorder.elapsed:.0f} s, {errors} errors (5xx, or 599: connection failed or timed out)"
    )
    print(f"{'endpoint':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for name in sorted(recorder.samples):
        values = recorder.samples[name]
        codes = " ".join(f"{c}:{n}" for c, n in sorted(recorder.statuses[name].items()))
        print(
            f"{name:<14}{len(values):>7}{percentile(values, 0.5):>9.1f}{percentile(values, 0.95):>9.1f}"
            f"{percentile(values, 0.99):>9.1f}  {codes}"
        )


def single(base: str, database_url: str, runs: int) -> None:
    """Each endpoint alone, one request at a time: the first nearest search, then medians."""
    recorder = Recorder()
    patient = Client(base, settings.patient_email(0), recorder)
    staff = Client(base, settings.coordinator_email(0), recorder)
    started = time.perf_counter()
    patient.call("nearest_first", "GET", "/api/v1/service-centers", params={"near": "10001", "limit": 10})
    print(f"first nearest search after start: {(time.perf_counter() - started) * 1000:.0f} ms", flush=True)
    world = World(patient)
    user = VirtualUser(patient, staff, world, seed=1)
    # Books and cancels as another patient: cancelled bookings piling up on the
    # patient whose schedule is timed would make every later run slower.
    booker = VirtualUser(Client(base, settings.patient_email(1), recorder), staff, world, seed=2)
    page = sign_in_page(base, settings.coordinator_email(1))
    region_id, day = _board_day(database_url)
    steps = {
        "schedule": user.schedule,
        "nearest": user.nearest,
        "center_14d": user.center_14d,
        "home_7d": user.home_7d,
        "book_cancel": booker.book_cancel,
        "due": lambda: staff.call("due", "GET", "/api/v1/monitoring/due"),
        "overdue": lambda: staff.call("overdue", "GET", "/api/v1/monitoring/overdue"),
        "worklist": lambda: staff.call("worklist", "GET", "/api/v1/outreach/worklist"),
        "coord_page": lambda: _timed_page(recorder, page, "coord_page", f"{base}/coordinator"),
        "day_board": lambda: _timed_page(
            recorder, page, "day_board", f"{base}/coordinator/regions/{region_id}/days/{day}"
        ),
    }
    print(f"{'endpoint':<14}{'runs':>6}{'median ms':>11}{'p95 ms':>9}  statuses", flush=True)
    for name, step in steps.items():
        recorder.recording = False
        _attempt(step)  # warm-up
        recorder.recording = True
        for _ in range(runs):
            _attempt(step)
        for label in sorted(
            k for k in recorder.samples if k == name or (name == "book_cancel" and k in BOOKING)
        ):
            values = recorder.samples[label]
            codes = " ".join(f"{c}:{n}" for c, n in sorted(recorder.statuses[label].items()))
            print(
                f"{label:<14}{len(values):>6}{statistics.median(values):>11.1f}{percentile(values, 0.95):>9.1f}  {codes}",
                flush=True,
            )


BOOKING = ("book", "cancel")


def _attempt(step) -> None:
    """Run one step; a timed-out or refused request is already recorded (as 599) by the client."""
    try:
        step()
    except Exception:  # noqa: BLE001
        pass


def _timed_page(recorder: Recorder, http, name: str, url: str) -> None:
    started = time.perf_counter()
    try:
        status = http.get(url, timeout=120).status_code
    except requests.RequestException:
        status = 599
    recorder.add(name, (time.perf_counter() - started) * 1000, status)


def _board_day(database_url: str) -> tuple[int, date]:
    """The demo region and its next field day with visits (a day board worth drawing)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT region_id, (starts_at AT TIME ZONE time_zone)::date AS day FROM bookings "
            "WHERE region_id IS NOT NULL AND starts_at > now() GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    return (row[0], row[1]) if row else (1, date.today() + timedelta(days=1))


def check_counters(database_url: str) -> None:
    """Every capacity counter holds exactly as many places as bookings that hold one of its keys."""
    with psycopg.connect(database_url) as conn:
        wrong = conn.execute(
            "SELECT c.key, c.booked, coalesce(b.n, 0) FROM capacity_counters c LEFT JOIN "
            "(SELECT capacity_key, count(*) AS n FROM bookings WHERE capacity_key IS NOT NULL GROUP BY 1) b "
            "ON b.capacity_key = c.key WHERE c.booked <> coalesce(b.n, 0) OR c.booked > c.capacity"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM bookings b WHERE capacity_key IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM capacity_counters c WHERE c.key = b.capacity_key)"
        ).fetchone()[0]
        counters = conn.execute("SELECT count(*), coalesce(sum(booked), 0) FROM capacity_counters").fetchone()
    verdict = "OK" if not wrong and not orphans else "MISMATCH"
    print(
        f"\ncounters vs bookings: {verdict} ({counters[0]} counters, {counters[1]} places held; "
        f"{len(wrong)} counters differ, {orphans} bookings without a counter)"
    )
    for key, booked, held in wrong[:10]:
        print(f"  {key}: counter {booked}, bookings {held}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=settings.DATABASE_URL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gthread threads per worker (1, as shipped)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--single", action="store_true", help="sequential requests, median per endpoint")
    parser.add_argument("--runs", type=int, default=20, help="requests per endpoint in --single mode")
    parser.add_argument(
        "--code-dir", default=None, help="serve another checkout (e.g. to measure a baseline)"
    )
    args = parser.parse_args()
    extra = {"code_dir": Path(args.code_dir)} if args.code_dir else {}
    url = settings.sqlalchemy_url(args.database_url)
    with Server(url, args.workers, args.port, args.threads, **extra) as server:
        print(f"gunicorn wsgi:app, {args.workers} workers x {args.threads} threads (gthread), {server.url}")
        if args.single:
            single(server.url, args.database_url, args.runs)
        else:
            for users in args.users:
                report_level(users, run_level(server.url, users, args.duration, args.warmup))
    check_counters(args.database_url)


if __name__ == "__main__":
    main()
