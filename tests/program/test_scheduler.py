"""The scheduler: `flask program tick` as a real process, the tick lease, the embedded thread, and RQ on Redis."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time as clock
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from booking.extensions import db
from booking.program import runner
from booking.program.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/2"


def app_env(app, **extra) -> dict:
    """The environment of a separate labvisit process on the test database."""
    return {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secrets.token_urlsafe(48),  # production refuses short keys
        "LABVISIT_CONFIG": "config.Config",
        "PROGRAM_SCHEDULER": "off",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def month_due_patient(world, month: date) -> int:
    """A patient whose monitoring starts in ``month``: that month is due, nothing earlier."""
    return world.patient(first_infusion=month.replace(day=3), last_infusion=month.replace(day=3))


def month_due_messages(app) -> list[tuple[str, str, str]]:
    """(type, channel, status) of every month-due message (other jobs may queue other types)."""
    with app.app_context():
        query = db.select(OutboxMessage).where(OutboxMessage.type == "month_due").order_by(OutboxMessage.id)
        return [(m.type, m.channel, m.status) for m in db.session.scalars(query)]


def flask_tick(app, at: str) -> str:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "program", "tick", "--at", at],
        cwd=ROOT,
        env=app_env(app),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_tick_twice_for_the_same_instant_sends_nothing_twice(app, world):
    """`flask program tick --at` run twice as its own process: the second run queues and sends nothing new."""
    month_due_patient(world, date(2027, 1, 1))
    first = flask_tick(app, "2027-01-01T12:00:00Z")
    assert "month_due 1" in first and "sent 0," not in first
    second = flask_tick(app, "2027-01-01T12:00:00+00:00")
    assert "month_due 0" in second and "sent 0," in second
    assert month_due_messages(app) == [("month_due", "page", "sent")]


def test_tick_refuses_an_instant_without_a_zone(app):
    """--at needs an offset: a naive time would be read in nobody's zone."""
    result = app.test_cli_runner().invoke(args=["program", "tick", "--at", "2027-01-01T12:00:00"])
    assert result.exit_code == 2 and "time zone offset" in result.output


def test_one_process_takes_the_tick_lease_until_it_runs_out(app):
    """A second holder is refused while the lease runs; after it ends, either may take it."""
    now = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        assert runner.take_lease("t", "a", now, 30)
        assert not runner.take_lease("t", "b", now + timedelta(seconds=29), 30)
        assert not runner.take_lease("t", "a", now + timedelta(seconds=29), 30)
        assert runner.take_lease("t", "b", now + timedelta(seconds=30), 30)


def test_of_two_processes_ticking_together_one_works(app, world, monkeypatch):
    """Two app processes ticking in the same interval: the first works, the second skips (and nothing is lost)."""
    month_due_patient(world, date(2027, 1, 1))
    at = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        first = runner.tick_if_first("worker-1", at)
        second = runner.tick_if_first("worker-2", at + timedelta(seconds=1))
    assert first.queued["month_due"] == 1 and first.delivery.sent >= 1
    assert second is None
    assert month_due_messages(app) == [("month_due", "page", "sent")]


def _wait_until(predicate, timeout: float = 60) -> bool:
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if predicate():
            return True
        clock.sleep(0.2)
    return False


def test_embedded_scheduler_starts_with_the_first_request_and_delivers(app, world, monkeypatch):
    """With PROGRAM_SCHEDULER=embedded, serving a request starts the thread, which queues and delivers by itself."""
    from booking import create_app

    this_month = datetime.now(UTC).date().replace(day=1)
    month_due_patient(world, this_month)

    config = type(
        "EmbeddedConfig",
        (__import__("config").TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PROGRAM_SCHEDULER": "embedded",
            "PROGRAM_TICK_SECONDS": 1,
        },
    )
    served = create_app(config)
    embedded = served.extensions["program_scheduler"]
    assert embedded.thread is None
    served.test_client().get("/")
    try:
        assert embedded.thread.is_alive()
        assert _wait_until(lambda: month_due_messages(app) == [("month_due", "page", "sent")])
    finally:
        embedded.stop()
        with served.app_context():
            db.session.remove()
            db.engine.dispose()
    assert not embedded.thread.is_alive()


# --- RQ on the local Redis (db 2) ------------------------------------------------------------


@pytest.fixture
def redis_queue():
    """The program queue on Redis db 2, emptied before and after."""
    redis = pytest.importorskip("redis")
    from rq import Queue

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"program-test-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, connection=connection)
    yield connection, queue
    queue.delete(delete_jobs=True)


def test_documented_rq_cron_and_worker_commands_tick_and_deliver(app, world, redis_queue):
    """`rq cron booking.program.rq_cron` enqueues the tick; `rq worker <queue> --burst` runs it: reminders go out, once."""
    connection, queue = redis_queue
    month_due_patient(world, datetime.now(UTC).date().replace(day=1))
    env = app_env(app, PROGRAM_QUEUE_NAME=queue.name)
    rq = str(Path(sys.executable).with_name("rq"))
    cron = subprocess.Popen(
        [rq, "cron", "booking.program.rq_cron", "--url", REDIS_URL],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_until(lambda: queue.count >= 1, timeout=60), "rq cron enqueued no tick"
    finally:
        cron.terminate()
        cron.wait(timeout=30)
    assert queue.jobs[0].func_name == "booking.program.runner.rq_tick"
    queue.enqueue(runner.rq_tick)  # a second scheduler's tick in the same interval
    worker = subprocess.run(
        [rq, "worker", queue.name, "--burst", "--url", REDIS_URL],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert queue.count == 0
    assert month_due_messages(app) == [("month_due", "page", "sent")]
