"""Periodic work of the program (month-due reminders, day-before sweeps, overdue escalation).

A job is a function of the instant it runs "as of"; it queues messages or
tasks whose dedupe keys make a second run for the same instant (or hour, or
day) change nothing. So the scheduler needs no lock: the embedded default
calls ``run_due`` from a thread inside the app, production from an RQ cron
worker, tests and outside checks from ``flask program tick --at``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from booking.extensions import db

Job = Callable[[datetime], int]
_JOBS: dict[str, Job] = {}


def periodic(name: str) -> Callable[[Job], Job]:
    """Register ``job`` under ``name`` to run on every tick."""

    def decorator(job: Job) -> Job:
        _JOBS[name] = job
        return job

    return decorator


def job_names() -> list[str]:
    return sorted(_JOBS)


def run_due(at: datetime) -> dict[str, int]:
    """Run every registered job as of ``at``; returns what each queued. Flushes; the caller commits."""
    counts = {}
    for name in job_names():
        counts[name] = _JOBS[name](at)
        db.session.flush()
    return counts
