"""Solves off the request path: a background thread by default, an RQ queue on Redis when configured.

``DISPATCH_QUEUE=rq`` with ``REDIS_URL`` sends jobs to the ``dispatch`` queue;
workers run ``rq worker dispatch --url $REDIS_URL`` (with the app's
environment, e.g. ``DATABASE_URL``). Either way the job row says where the
solve is: queued, running, succeeded (with the new version) or failed (with
why). A job's result is stored only if the job is still ``running`` and the
plan has not changed since it was submitted, all in one transaction, so a
crash, a timeout or a concurrent edit leaves the previous plan intact.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import date, timedelta

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import update

from booking.db_types import utcnow
from booking.errors import DomainError
from booking.extensions import db
from booking.models import Region, User
from config import setting
from dispatch.models import DispatchJob
from dispatch.plans import get_or_create_plan
from dispatch.service import plan_day

log = logging.getLogger(__name__)

GRACE_SECONDS = 60  # beyond the time limit, for building the problem and storing the plan


def backend(config) -> str:
    return "rq" if setting(config, "DISPATCH_QUEUE") == "rq" and setting(config, "REDIS_URL") else "thread"


def submit(
    kind: str,
    region: Region,
    day: date,
    time_limit: float,
    actor: User | None,
    seed: int = 0,
    base_revision: int | None = None,
) -> DispatchJob:
    """Record a job and start it; committed, so a worker can see it."""
    plan = get_or_create_plan(region, day)
    job = DispatchJob(
        id=str(uuid.uuid4()),
        kind=kind,
        region_id=region.id,
        day=day,
        plan_id=plan.id,
        status="queued",
        backend=backend(current_app.config),
        time_limit=time_limit,
        base_revision=base_revision,
        created_by_id=actor.id if actor else None,
        summary={"seed": seed},
    )
    db.session.add(job)
    db.session.commit()
    if job.backend == "rq":
        _enqueue_rq(job)
    else:
        app = current_app._get_current_object()
        thread = threading.Thread(
            target=_run_in_app, args=(app, job.id), name=f"dispatch-{job.id[:8]}", daemon=True
        )
        threads[:] = [t for t in threads if t.is_alive()] + [thread]
        thread.start()
    return job


threads: list[threading.Thread] = []  # started solve threads; tests join them


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def _set_status(job_id: str, old: str, new: str, **values) -> bool:
    result = db.session.execute(
        update(DispatchJob)
        .where(DispatchJob.id == job_id, DispatchJob.status == old)
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def run_job(job_id: str) -> None:
    """Run one job to the end; never raises (the job row records the failure)."""
    if not _set_status(job_id, "queued", "running", started_at=utcnow()):
        db.session.rollback()
        return
    db.session.commit()
    job = db.session.get(DispatchJob, job_id)
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    seed = (job.summary or {}).get("seed", 0)
    try:
        v = plan_day(
            db.session.get(Region, job.region_id),
            job.day,
            time_limit=job.time_limit,
            seed=seed,
            actor=actor,
            expected_revision=job.base_revision,
            source=job.kind,
            progress=lambda figures: _record_progress(job_id, seed, figures),
        )
        if not _set_status(
            job_id, "running", "succeeded", finished_at=utcnow(), result_version=v.number, summary=v.stats
        ):
            raise _Abandoned()
        db.session.commit()
        log.info("dispatch job %s succeeded: version %s", job_id, v.number)
    except _Abandoned:
        db.session.rollback()
        log.warning("dispatch job %s finished after it was given up; its result is discarded", job_id)
    except Exception as exc:  # noqa: BLE001 - the job must record any failure
        db.session.rollback()
        fail(job_id, reason(exc))


def _record_progress(job_id: str, seed: int, figures: dict) -> None:
    """The plan so far, on the job's row for the board to show while the search goes on.

    Called from inside the solve, when no transaction is open (``plan_day`` ends its read first);
    its own short write is committed at once.
    """
    db.session.execute(
        update(DispatchJob)
        .where(DispatchJob.id == job_id, DispatchJob.status == "running")
        .values(summary={"seed": seed, "progress": figures})
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


class _Abandoned(Exception):
    pass


def reason(exc: BaseException) -> str:
    """Why a job failed, in words that carry no patient data (ids only)."""
    if isinstance(exc, DomainError):
        return exc.detail
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:500]


def fail(job_id: str, why: str, *, from_status: tuple[str, ...] = ("queued", "running")) -> None:
    for status in from_status:
        if _set_status(job_id, status, "failed", finished_at=utcnow(), error=why):
            break
    db.session.commit()
    log.warning("dispatch job %s failed: %s", job_id, why)


def current(job: DispatchJob) -> DispatchJob:
    """The job as it really stands, for whoever asks (the API, the board).

    A job whose worker died is never reported as in progress for ever: past its
    limit it is given up (:func:`check_overdue`), and on the RQ backend the queue's
    own record is consulted first (:func:`reconcile_with_queue`).
    """
    if job.backend == "rq" and job.status in ("queued", "running"):
        reconcile_with_queue(job)
    return check_overdue(job)


def check_overdue(job: DispatchJob) -> DispatchJob:
    """A running job past its limit (and grace) is given up: the previous plan stays as it was."""
    if job.status == "running" and job.started_at is not None:
        deadline = job.started_at + timedelta(seconds=job.time_limit + GRACE_SECONDS)
        if utcnow() > deadline:
            fail(
                job.id,
                f"timed out: no result within {job.time_limit:g} s (+{GRACE_SECONDS} s grace)",
                from_status=("running",),
            )
            db.session.refresh(job)
    return job


# --- RQ ---------------------------------------------------------------------------


def _queue() -> Queue:
    config = current_app.config
    return Queue(
        setting(config, "DISPATCH_QUEUE_NAME"), connection=Redis.from_url(setting(config, "REDIS_URL"))
    )


def reconcile_with_queue(job: DispatchJob) -> None:
    """Fail a queued or running job that RQ has failed, lost or abandoned.

    RQ learns of a dead worker in two ways, and tells us in neither: a work-horse
    that dies (OOM killer, SIGKILL) is marked failed by its parent worker without
    the ``on_failure`` callback; a worker that dies with its horse leaves the job
    in the StartedJobRegistry until its heartbeat lapses (RQ's job monitoring
    interval + 60 s), and only a registry cleanup then fails it (calling
    :func:`on_rq_failure`). So each look at the job runs that cleanup and reads
    RQ's status. Redis unreachable: nothing is decided here (the timeout still is).
    """
    try:
        queue = _queue()
        # A timer, not SIGALRM, bounds the failure callback: a web request may run off the main thread.
        StartedJobRegistry(queue=queue, death_penalty_class=TimerDeathPenalty).cleanup()
        db.session.refresh(job)
        if job.status not in ("queued", "running"):
            return  # the cleanup's failure callback has recorded it
        rq_job = Job.fetch(job.id, connection=queue.connection)
        status = rq_job.get_status()
    except NoSuchJobError:
        if utcnow() - job.created_at > timedelta(seconds=GRACE_SECONDS):  # not just being enqueued
            fail(job.id, "the queue no longer has the job (expired or deleted)")
            db.session.refresh(job)
        return
    except RedisError as exc:
        log.warning(
            "dispatch job %s: queue unreachable (%s); state left as recorded", job.id, type(exc).__name__
        )
        return
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        result = rq_job.latest_result()
        why = (result.exc_string or "").strip().splitlines()[-1:] if result else []
        fail(job.id, f"worker failure: {why[0] if why else status.value}"[:500])
        db.session.refresh(job)


def _enqueue_rq(job: DispatchJob) -> None:
    try:
        _queue().enqueue(
            run_rq_job,
            job.id,
            job_id=job.id,
            job_timeout=int(job.time_limit + GRACE_SECONDS),
            on_failure=Callback(on_rq_failure),
            result_ttl=3600,
            failure_ttl=86400,
        )
    except Exception as exc:  # noqa: BLE001 - Redis down: say so on the job, not as a 500
        fail(job.id, f"could not queue the job: {reason(exc)}")


_worker: list[Flask] = []  # the worker process's app, built by its first job


def _worker_app() -> Flask:
    if not _worker:
        from booking import create_app

        _worker.append(create_app())
    return _worker[0]


def run_rq_job(job_id: str) -> None:
    """The RQ entry point; uses the worker's app (or the current one in a same-process worker)."""
    if has_app_context():
        run_job(job_id)
        return
    with _worker_app().app_context():
        run_job(job_id)


def on_rq_failure(rq_job, connection, exc_type, exc_value, tb) -> None:
    """RQ killed or lost the job (timeout, crash): record why on our job row."""
    why = f"worker failure: {exc_type.__name__}: {exc_value}"[:500]
    if has_app_context():
        fail(rq_job.id, why)
        return
    with _worker_app().app_context():
        fail(rq_job.id, why)
