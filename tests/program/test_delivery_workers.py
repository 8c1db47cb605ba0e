"""Delivery workers side by side and a worker killed mid-batch: every e-mail arrives exactly once."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from booking.db_types import utcnow
from booking.extensions import db
from booking.models import Patient
from booking.program import delivery, outbox
from booking.program.models import MessageType, NotificationPreference, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
MESSAGES = 20
LEASE_SECONDS = 2


def _worker(app, mail_url: str) -> subprocess.Popen:
    """``flask program deliver`` in its own process, on the test database, e-mailing the test server."""
    env = {
        **os.environ,
        "LABVISIT_CONFIG": "config.Config",
        "SECRET_KEY": secrets.token_urlsafe(48),  # production refuses short keys
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_URL": mail_url,
        "MAIL_FROM": "reminders@labvisit.example",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "program", "deliver", "--at", NOW.isoformat()]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _queue(world) -> None:
    patient_ids = [world.patient() for _ in range(MESSAGES)]  # each commits on its own session
    for n, patient_id in enumerate(patient_ids):
        patient = db.session.get(Patient, patient_id)
        patient.email = f"patient{n}@example.org"
        db.session.add(
            NotificationPreference(
                patient_id=patient_id, email_enabled=True, consent_at=NOW, consent_text_version="2026-12"
            )
        )
        context = {"month": "December 2026", "link": "https://labvisit.example/me"}
        outbox.notify(patient, MessageType.MONTH_DUE, context, dedupe_key=f"due:{n}", due_at=NOW)
    db.session.commit()


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(app, world, ctx, mail_server):
    """SIGKILL while the 6th e-mail is in flight; a second worker sends the rest; each Message-ID arrives once."""
    _queue(world)
    mail_server.hold_at = 6
    first = _worker(app, mail_server.url)
    assert mail_server.holding.wait(timeout=120), first.communicate()[0]
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert len(mail_server.messages) == 5

    in_flight = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.status == "sending")).all()
    assert in_flight, "the killed worker held claimed messages"
    lease_end = max(m.lease_until for m in in_flight)
    db.session.rollback()
    time.sleep(max(0.0, (lease_end - utcnow()).total_seconds()) + 0.2)  # the dead worker's lease runs out

    second = _worker(app, mail_server.url)
    output = second.communicate(timeout=120)[0].decode()
    assert second.returncode == 0, output

    emails = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert {m.status for m in emails} == {"sent"}
    assert mail_server.message_ids() == {m.provider_message_id: 1 for m in emails}
    assert len(emails) == MESSAGES


def test_workers_delivering_side_by_side_send_each_message_once(app, world, ctx, mail_server, monkeypatch):
    """Three workers claiming small batches at once never send one message twice, and leave none behind."""
    monkeypatch.setitem(app.config, "MAIL_URL", mail_server.url)
    _queue(world)
    start = threading.Barrier(3)
    failures = []

    def work():
        try:
            with app.app_context():
                start.wait()
                delivery.deliver_due(NOW, batch=3)
        except Exception as exc:  # surfaced below: a thread's exception would otherwise be lost
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    emails = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert {m.status for m in emails} == {"sent"}
    assert mail_server.message_ids() == {m.provider_message_id: 1 for m in emails}
