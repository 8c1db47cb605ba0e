"""Benchmark of outbox delivery: messages per second to a real local SMTP server (aiosmtpd).

Queues one "month due" reminder for each of N consenting patients (a page copy
and an e-mail each), then times ``deliver_due`` until the outbox is empty: with
one worker, and with several worker processes claiming side by side. Every
e-mail goes over SMTP to an aiosmtpd server in its own process, which counts what
arrived and checks each Message-ID arrived once. Prints figures, asserts
nothing but that count.

Run from the repository root:

    python benchmarks/bench_outbox.py [--patients 200] [--workers 2] [--postgres URL]

PostgreSQL is measured when --postgres is given or TEST_DATABASE_URL is set
(its schema is dropped and rebuilt: use a scratch database).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

import config  # noqa: E402
from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Patient, TreatmentCourse  # noqa: E402
from booking.program import delivery, outbox  # noqa: E402
from booking.program.models import MessageType, NotificationPreference, OutboxMessage  # noqa: E402

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
CONTEXT = {"month": "December 2026", "link": "https://labvisit.example/me"}


class Counting:
    """An SMTP handler that counts Message-IDs as they arrive."""

    def __init__(self):
        self.ids: Counter = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message_id = message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]
        with self.lock:
            self.ids[message_id] += 1
        return "250 OK"


def _smtp_server(port: int, pipe) -> None:
    """The SMTP server in its own process (as a real one would be): answers "count" and "stop" on ``pipe``."""
    counting = Counting()
    controller = Controller(counting, hostname="127.0.0.1", port=port)
    controller.start()
    pipe.send("ready")
    while (command := pipe.recv()) != "stop":
        with counting.lock:
            pipe.send(dict(counting.ids))
            if command == "reset":
                counting.ids.clear()
    controller.stop()


class SmtpServer:
    def __init__(self):
        self.port = _free_port()
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_smtp_server, args=(self.port, child), daemon=True)
        self._process.start()
        assert self._pipe.recv() == "ready"

    def counts(self, reset: bool = False) -> dict:
        self._pipe.send("reset" if reset else "count")
        return self._pipe.recv()

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(url: str, mail_url: str):
    class Bench(config.Config):
        SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256"
        SQLALCHEMY_DATABASE_URI = url
        MAIL_URL = mail_url
        MAIL_FROM = "reminders@labvisit.example"

    app = create_app(Bench)
    for name in ("alembic", "booking.program.delivery"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return app


def fresh_database(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()


def queue(app, patients: int) -> None:
    """N consenting patients with an e-mail address, and one reminder each (page + e-mail)."""
    with app.app_context():
        db.session.execute(text("DELETE FROM outbox_messages"))
        if not db.session.scalar(db.select(db.func.count()).select_from(Patient)):
            for n in range(patients):
                patient = Patient(
                    first_name="Bench",
                    last_name=f"Patient{n}",
                    email=f"patient{n}@example.org",
                    time_zone="America/New_York",
                    home_address=f"{n} Main St",
                    home_latitude=40.7,
                    home_longitude=-73.9,
                    home_geo_precision="client",
                    courses=[
                        TreatmentCourse(
                            first_infusion=datetime(2025, 1, 1).date(),
                            last_infusion=datetime(2026, 1, 1).date(),
                        )
                    ],
                )
                db.session.add(patient)
            db.session.flush()
            ids = db.session.scalars(db.select(Patient.id)).all()
            db.session.execute(
                insert(NotificationPreference),
                [
                    {
                        "patient_id": i,
                        "language": "en",
                        "email_enabled": True,
                        "sms_enabled": False,
                        "opted_out_types": [],
                        "consent_at": NOW,
                        "consent_text_version": "2026-12",
                    }
                    for i in ids
                ],
            )
        for patient in db.session.scalars(db.select(Patient)):
            outbox.notify(patient, MessageType.MONTH_DUE, CONTEXT, dedupe_key=f"due:{patient.id}", due_at=NOW)
        db.session.commit()


def _worker(url: str, mail_url: str, barrier, results) -> None:
    app = make_app(url, mail_url)
    with app.app_context():
        barrier.wait()
        report = delivery.deliver_due(NOW)
        results.put(report.sent)


def run(label: str, url: str, patients: int, workers: int) -> None:
    server = SmtpServer()
    mail_url = f"smtp://127.0.0.1:{server.port}"
    try:
        app = make_app(url, mail_url)
        fresh_database(app)
        for n_workers in sorted({1, workers}):
            queue(app, patients)
            server.counts(reset=True)
            started = time.perf_counter()
            if n_workers == 1:
                with app.app_context():
                    sent = delivery.deliver_due(NOW).sent
            else:
                context = multiprocessing.get_context("spawn")
                barrier, results = context.Barrier(n_workers + 1), context.Queue()
                procs = [
                    context.Process(target=_worker, args=(url, mail_url, barrier, results))
                    for _ in range(n_workers)
                ]
                for proc in procs:
                    proc.start()
                barrier.wait()
                started = time.perf_counter()
                for proc in procs:
                    proc.join()
                sent = sum(results.get() for _ in procs)
            elapsed = time.perf_counter() - started
            with app.app_context():
                left = db.session.scalar(
                    db.select(db.func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status != "sent")
                )
            arrived = server.counts()
            duplicates = sum(c - 1 for c in arrived.values())
            assert len(arrived) == patients and duplicates == 0 and left == 0, (
                len(arrived),
                duplicates,
                left,
            )
            print(
                f"{label:10} {n_workers} worker{'s' if n_workers > 1 else ' '}: {sent:5} messages "
                f"({patients} e-mails over SMTP + {patients} page) in {elapsed:6.2f} s = "
                f"{sent / elapsed:7.1f} messages/s, {patients / elapsed:6.1f} e-mails/s; "
                f"each Message-ID arrived once"
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="also measure this many worker processes")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.patients, args.workers)
    if args.postgres:
        url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        run("PostgreSQL", url, args.patients, args.workers)


if __name__ == "__main__":
    main()
