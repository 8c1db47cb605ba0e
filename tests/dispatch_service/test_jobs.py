"""Solves on the RQ queue: a real local Redis and an in-process burst worker."""

from __future__ import annotations

import uuid

import pytest

from booking.extensions import db
from dispatch.models import DispatchJob

redis = pytest.importorskip("redis")
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def rq_app(app):
    """The app configured for the RQ backend on a queue of its own (removed afterwards)."""
    try:
        connection = redis.Redis.from_url(REDIS_URL)
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"dispatch-test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.config.get(k) for k in ("DISPATCH_QUEUE", "REDIS_URL", "DISPATCH_QUEUE_NAME")}
    app.config.update(DISPATCH_QUEUE="rq", REDIS_URL=REDIS_URL, DISPATCH_QUEUE_NAME=name)
    yield connection, name
    app.config.update(saved)
    from rq import Queue

    Queue(name, connection=connection).delete(delete_jobs=True)


def _work(app, connection, name):
    from rq import Queue, SimpleWorker

    with app.app_context():
        SimpleWorker([Queue(name, connection=connection)], connection=connection).work(burst=True)


def test_rq_job_is_queued_then_solved_by_a_worker(app, client, coordinator, field, rq_app):
    """With DISPATCH_QUEUE=rq the API only queues the job; a worker solves it and stores the version."""
    connection, name = rq_app
    field.technician()
    field.booking(hour=10)
    response = client.post(
        "/api/v1/dispatch/plans",
        headers=coordinator,
        json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": 1},
    )
    assert response.status_code == 202 and response.json["backend"] == "rq"
    job_id = response.json["id"]
    assert client.get(f"/api/v1/dispatch/jobs/{job_id}", headers=coordinator).json["status"] == "queued"
    _work(app, connection, name)
    body = client.get(f"/api/v1/dispatch/jobs/{job_id}", headers=coordinator).json
    assert body["status"] == "succeeded" and body["result_version"] == 1 and body["summary"]["served"] == 1


def test_rq_worker_failure_is_recorded_and_keeps_the_plan(
    app, client, coordinator, field, rq_app, monkeypatch
):
    """A job that crashes in the worker is marked failed with the reason; no version is written."""
    import dispatch.service

    connection, name = rq_app
    field.technician()
    field.booking(hour=10)

    def crash(*args, **kwargs):
        raise MemoryError("out of memory in the solver")

    monkeypatch.setattr(dispatch.service, "solve_day", crash)
    response = client.post(
        "/api/v1/dispatch/plans",
        headers=coordinator,
        json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": 1},
    )
    _work(app, connection, name)
    body = client.get(f"/api/v1/dispatch/jobs/{response.json['id']}", headers=coordinator).json
    assert body["status"] == "failed" and "out of memory" in body["error"]
    assert (
        client.get(f"/api/v1/dispatch/plans/{body['plan_id']}", headers=coordinator).json["version"] is None
    )


def test_unreachable_redis_fails_the_job_with_a_reason(app, client, coordinator, field):
    """If the queue cannot be reached the job is failed at once with why, not a 500."""
    app.config.update(DISPATCH_QUEUE="rq", REDIS_URL="redis://127.0.0.1:9/0")
    try:
        response = client.post(
            "/api/v1/dispatch/plans",
            headers=coordinator,
            json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": 1},
        )
    finally:
        app.config.update(DISPATCH_QUEUE=None, REDIS_URL=None)
    assert response.status_code == 202
    with app.app_context():
        job = db.session.get(DispatchJob, response.json["id"])
        assert job.status == "failed" and job.error.startswith("could not queue the job")


def test_documented_worker_command_solves_the_job(app, client, coordinator, field, rq_app):
    """`rq worker <queue> --burst --url $REDIS_URL`, a separate process with the app's environment, solves it."""
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    connection, name = rq_app
    field.technician()
    field.booking(hour=12)
    response = client.post(
        "/api/v1/dispatch/plans",
        headers=coordinator,
        json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": 1},
    )
    job_id = response.json["id"]
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secrets.token_urlsafe(48),  # production refuses short keys
        "LABVISIT_CONFIG": "config.Config",
        "PYTHONPATH": str(root),
    }
    worker = Path(sys.executable).with_name("rq")
    result = subprocess.run(
        [str(worker), "worker", name, "--burst", "--url", REDIS_URL],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    body = client.get(f"/api/v1/dispatch/jobs/{job_id}", headers=coordinator).json
    assert body["status"] == "succeeded" and body["summary"]["served"] == 1, body
