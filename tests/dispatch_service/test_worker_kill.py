"""A dispatch worker killed mid-solve loses nothing: real `rq worker` processes on the real Redis.

The worker (and its work-horse, and any solver processes under it) is sent
SIGKILL while it solves. The job must then be reported failed, not "running"
for ever; the published plan must be unchanged; and asking again, a new worker
completes the plan.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import rq
import rq.exceptions
import rq.job

from booking.extensions import db
from dispatch.models import DispatchJob
from tests.dispatch_service.conftest import get_plan, plan_now, publish, stops_of

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
SOLVE_SECONDS = 60  # far longer than the test waits before the kill: the kill lands mid-solve


@pytest.fixture
def rq_queue(app):
    """The app on the RQ backend with a queue of its own, removed (with its registries) afterwards."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis answers at 127.0.0.1:6379")
    name = f"dispatch-kill-test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.config.get(k) for k in ("DISPATCH_QUEUE", "REDIS_URL", "DISPATCH_QUEUE_NAME")}
    app.config.update(DISPATCH_QUEUE="rq", REDIS_URL=REDIS_URL, DISPATCH_QUEUE_NAME=name)
    queue = rq.Queue(name, connection=connection)
    yield queue
    app.config.update(saved)
    for registry in (queue.started_job_registry, queue.failed_job_registry, queue.finished_job_registry):
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                rq.job.Job.fetch(job_id, connection=connection).delete(remove_from_queue=False)
            except rq.exceptions.NoSuchJobError:
                pass
        connection.delete(registry.key)
    queue.delete(delete_jobs=True)


def start_worker(app, queue_name: str, log: Path, *, burst: bool) -> subprocess.Popen:
    """The documented worker command, as a separate process with the app's environment, logging to ``log``.

    A file, not a pipe: a solver process that outlived its parent would hold a pipe open.
    """
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secrets.token_urlsafe(48),  # production refuses short keys
        "LABVISIT_CONFIG": "config.Config",
        "PYTHONPATH": str(ROOT),
    }
    command = [str(Path(sys.executable).with_name("rq")), "worker", queue_name, "--url", REDIS_URL]
    return subprocess.Popen(
        [*command, "--burst"] if burst else command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (the work-horse calls setpgrp, so a process group would miss it)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def request_plan(client, headers, field, time_limit: float) -> dict:
    response = client.post(
        "/api/v1/dispatch/plans",
        headers=headers,
        json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": time_limit},
    )
    assert response.status_code == 202 and response.json["backend"] == "rq", response.json
    return response.json


def job_state(client, headers, job_id: str) -> dict:
    return client.get(f"/api/v1/dispatch/jobs/{job_id}", headers=headers).json


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def published(app, client, coordinator, field):
    """A day with two visits, planned and published on the in-process backend before the queue is used."""
    field.technician()
    field.booking(hour=9)
    field.booking(hour=13)
    plan = plan_now(client, coordinator, field)
    publish(client, coordinator, plan)
    return get_plan(client, coordinator, plan["id"], "published")


def solving(client, headers, job_id: str, worker: subprocess.Popen) -> None:
    """Wait until the job runs in a work-horse, well inside the solve."""
    wait_until(lambda: job_state(client, headers, job_id)["status"] == "running", 60, "the job starts")
    wait_until(lambda: descendants(worker.pid), 10, "the work-horse is forked")
    time.sleep(1.5)  # building the day and the first solution are done
    assert job_state(client, headers, job_id)["status"] == "running"


def kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not any(_alive(pid) for pid in pids), 10, "the killed processes are gone")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def lapse_heartbeats(queue) -> None:
    """Make the started jobs' heartbeats lapse now rather than in RQ's monitoring interval + 60 s.

    The StartedJobRegistry scores each execution with the moment its heartbeat
    expires; a dead worker stops renewing it, and this only brings that moment forward.
    """
    registry = queue.started_job_registry
    members = queue.connection.zrange(registry.key, 0, -1)
    assert members, "the killed job is still registered as started"
    queue.connection.zadd(registry.key, {member: time.time() - 1 for member in members})


def assert_published_unchanged(client, headers, before: dict) -> None:
    after = get_plan(client, headers, before["id"], "published")
    assert after["published_version"] == before["published_version"]
    assert stops_of(after) == stops_of(before)


def rerun_succeeds(app, client, headers, field, queue, log: Path) -> None:
    """Asked again, a new worker completes the plan."""
    job = request_plan(client, headers, field, time_limit=1)
    worker = start_worker(app, queue.name, log, burst=True)
    assert worker.wait(timeout=120) == 0, log.read_text()[-2000:]
    body = job_state(client, headers, job["id"])
    assert body["status"] == "succeeded" and body["summary"]["served"] == 2, body


def test_worker_and_horse_killed_mid_solve_fail_the_job_and_lose_nothing(
    app, client, coordinator, field, published, rq_queue, tmp_path
):
    """SIGKILL to the worker and its work-horse mid-solve: once RQ's heartbeat for
    the job lapses, the API (without waiting for a worker's maintenance) reports
    the job failed as abandoned, the published plan is unchanged, and a new worker
    completes the re-run."""
    job = request_plan(client, coordinator, field, time_limit=SOLVE_SECONDS)
    worker = start_worker(app, rq_queue.name, tmp_path / "worker.log", burst=False)
    try:
        solving(client, coordinator, job["id"], worker)
    finally:
        kill([worker.pid, *descendants(worker.pid)])
        worker.wait(timeout=10)
    # Until the heartbeat lapses nobody can tell a dead worker from a slow one.
    assert job_state(client, coordinator, job["id"])["status"] == "running"
    lapse_heartbeats(rq_queue)
    body = job_state(client, coordinator, job["id"])
    assert body["status"] == "failed" and "AbandonedJobError" in body["error"], body
    assert body["result_version"] is None
    assert_published_unchanged(client, coordinator, published)
    with app.app_context():
        assert db.session.get(DispatchJob, job["id"]).finished_at is not None
    rerun_succeeds(app, client, coordinator, field, rq_queue, tmp_path / "rerun.log")
    assert_published_unchanged(client, coordinator, published)


def test_horse_killed_mid_solve_is_reported_failed_at_once(
    app, client, coordinator, field, published, rq_queue, tmp_path
):
    """SIGKILL to the work-horse alone (what the OOM killer does): its worker records
    the failure in RQ, and the API reports the job failed with that reason at
    once, not "running" until the time limit runs out."""
    job = request_plan(client, coordinator, field, time_limit=SOLVE_SECONDS)
    log = tmp_path / "worker.log"
    worker = start_worker(app, rq_queue.name, log, burst=True)
    try:
        solving(client, coordinator, job["id"], worker)
        kill(descendants(worker.pid))  # the horse and any solver processes under it
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            kill([worker.pid, *descendants(worker.pid)])
    assert "Work-horse terminated unexpectedly" in log.read_text(), log.read_text()[-2000:]
    body = job_state(client, coordinator, job["id"])
    assert body["status"] == "failed" and "Work-horse terminated unexpectedly" in body["error"], body
    assert_published_unchanged(client, coordinator, published)
    rerun_succeeds(app, client, coordinator, field, rq_queue, tmp_path / "rerun.log")


def test_a_job_the_queue_lost_is_reported_failed(app, client, coordinator, field, rq_queue):
    """A queued job that RQ no longer has (Redis flushed, job expired) is failed once it is
    past the moment it could still be being enqueued, not reported queued for ever."""
    field.technician()
    field.booking(hour=9)
    job = request_plan(client, coordinator, field, time_limit=1)
    assert job_state(client, coordinator, job["id"])["status"] == "queued"
    rq.job.Job.fetch(job["id"], connection=rq_queue.connection).delete()
    assert job_state(client, coordinator, job["id"])["status"] == "queued"  # just submitted: maybe in flight
    with app.app_context():
        row = db.session.get(DispatchJob, job["id"])
        row.created_at -= timedelta(minutes=5)
        db.session.commit()
    body = job_state(client, coordinator, job["id"])
    assert body["status"] == "failed" and "no longer has the job" in body["error"], body
