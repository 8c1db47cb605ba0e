"""Running the program's periodic work: a tick is the due jobs, a commit, then delivering the outbox.

Three ways to tick, one ``tick``:

- ``flask program tick --at <instant>``: on demand (outside checks, a system cron);
- ``PROGRAM_SCHEDULER=embedded`` (the default): each served app process starts a
  daemon thread on its first request that ticks every ``PROGRAM_TICK_SECONDS``;
- ``PROGRAM_SCHEDULER=rq``: ``rq cron booking.program.rq_cron --url $REDIS_URL``
  enqueues ``rq_tick`` on the ``PROGRAM_QUEUE_NAME`` queue every
  ``PROGRAM_TICK_SECONDS``, and the RQ workers run it (``rq worker dispatch program``).

Several gunicorn workers each run a thread, and more than one ``rq cron`` may
be running; all of them ticking at once would still be correct, because every
job is idempotent (dedupe keys) and delivery claims each message under a lease.
What would be wasted is the work: each process re-running the set-based
month-due query every minute. So the automatic ticks first take a lease row
(``scheduler_leases``, one conditional UPDATE, held for half a tick interval):
the first process to take it works, the others skip until it runs out. A
process that dies mid-tick only delays the next one. ``flask program tick``
takes no lease: it is an explicit request to run as of an instant.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from booking.db_types import utcnow
from booking.extensions import db
from booking.program import delivery, scheduler
from booking.program.models import SchedulerLease

log = logging.getLogger(__name__)

TICK_LEASE = "program-tick"


@dataclass
class TickReport:
    queued: dict[str, int]
    delivery: delivery.DeliveryReport


def tick(at: datetime) -> TickReport:
    """Run every periodic job as of ``at``, commit, then deliver what is due at ``at`` (a job boundary)."""
    try:
        queued = scheduler.run_due(at)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return TickReport(queued, delivery.deliver_due(at))


def take_lease(name: str, holder: str, now: datetime, seconds: float) -> bool:
    """Take the lease ``name`` until ``now + seconds`` unless someone else holds it; commits."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(SchedulerLease).values(name=name).on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.lease_until.is_(None), SchedulerLease.lease_until <= now),
        )
        .values(holder=holder, lease_until=now + timedelta(seconds=seconds), last_run_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return taken.rowcount == 1


def tick_if_first(holder: str, now: datetime | None = None) -> TickReport | None:
    """Tick as of now if this process takes the tick's lease; None when another process has it."""
    now = now or utcnow()
    seconds = current_app.config["PROGRAM_TICK_SECONDS"] / 2
    if not take_lease(TICK_LEASE, holder, now, seconds):
        return None
    return tick(now)


def _holder(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


def _tick_safely(holder: str) -> None:
    """One automatic tick; a failure is logged by its type only (SQL errors carry patient data)."""
    try:
        report = tick_if_first(holder)
        if report is not None:
            d = report.delivery
            log.info(
                "program tick: queued %s; sent %s, retried %s, dead %s",
                report.queued,
                d.sent,
                d.retried,
                d.dead,
            )
    except Exception as exc:  # noqa: BLE001 - the scheduler must outlive a failed tick
        db.session.rollback()
        log.error("program tick failed: %s", type(exc).__name__)
    finally:
        db.session.remove()


class EmbeddedScheduler:
    """The in-app scheduler: a daemon thread per served process, started by its first request.

    Started lazily (not in ``create_app``) so command-line tools and a
    gunicorn master that preloads the app start none; after a fork, the
    child's first request starts its own.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def ensure_started(self) -> None:
        if self.thread is not None and self.thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self.thread is not None and self.thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.stopping.clear()
            self.thread = threading.Thread(target=self._run, name="program-scheduler", daemon=True)
            self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        interval = self.app.config["PROGRAM_TICK_SECONDS"]
        holder = _holder("embedded")
        wait = min(5, interval)  # first tick soon after start, not at once (the request that started us)
        while not self.stopping.wait(wait):
            with self.app.app_context():
                _tick_safely(holder)
            wait = interval


def init_app(app: Flask) -> None:
    """With ``PROGRAM_SCHEDULER=embedded``, start the scheduler thread on the first request served."""
    if app.config.get("PROGRAM_SCHEDULER") != "embedded":
        return
    embedded = EmbeddedScheduler(app)
    app.extensions["program_scheduler"] = embedded
    app.before_request(embedded.ensure_started)


# --- RQ ---------------------------------------------------------------------------

_worker: list[Flask] = []  # the RQ worker process's app, built by its first tick


def _worker_app() -> Flask:
    if not _worker:
        from booking import create_app  # the worker process has no app until its first job

        _worker.append(create_app())
    return _worker[0]


def rq_tick() -> None:
    """The job ``rq cron`` enqueues: tick as of now if no other process ticked this interval."""
    if has_app_context():
        _tick_safely(_holder("rq"))
        return
    with _worker_app().app_context():
        _tick_safely(_holder("rq"))
