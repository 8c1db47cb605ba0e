"""Health, readiness and Prometheus metrics: ``/healthz``, ``/readyz``, ``/metrics``.

- ``/healthz`` answers 200 while the process serves requests (no I/O: a
  liveness probe must not fail because the database is slow).
- ``/readyz`` answers 200 when the database and every configured Redis
  (``REDIS_URL``, a ``redis://`` rate-limit storage) answer within a second,
  503 ``application/problem+json`` naming what is down otherwise.
- ``/metrics`` is Prometheus' text format: request latency per endpoint
  (the URL rule, e.g. ``/api/v1/patients/<int:patient_id>/schedule``, never
  the raw path, so ids neither leak nor explode the label set), dispatch
  solve times, and the job queues' depth read at scrape time. Under gunicorn,
  set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so every worker's
  samples are summed (prometheus_client's multiprocess mode).

Who may read ``/metrics``: with ``METRICS_TOKEN`` set, only requests bearing
``Authorization: Bearer <METRICS_TOKEN>``; without it, only requests from the
loopback address. Anyone else gets 404, as if there were nothing there.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

import redis
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from booking.errors import problem
from booking.extensions import db

bp = Blueprint("observability", __name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
REQUEST_SECONDS = Histogram(
    "labvisit_http_request_duration_seconds",
    "Time to answer a request, by URL rule, method and status class.",
    ("endpoint", "method", "status"),
    buckets=LATENCY_BUCKETS,
)
SOLVE_SECONDS = Histogram(
    "labvisit_dispatch_solve_seconds",
    "Wall time of one region-day solve (search and validation).",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)
_UNMATCHED = "<unmatched>"  # 404s and the like: one label, whatever the path was
PROBE_TIMEOUT_SECONDS = 1.0


@bp.get("/healthz")
def healthz():
    """The process is up and serving."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and Redis answer: the instance may take traffic.

    :raise 503: (problem+json) with ``checks`` naming each dependency and its state.
    """
    checks = {"database": _database_ok()}
    for name, url in _redis_urls().items():
        checks[name] = _redis_ok(url)
    if all(checks.values()):
        return jsonify(status="ready", checks={k: "ok" for k in checks})
    down = ", ".join(k for k, ok in checks.items() if not ok)
    states = {k: "ok" if ok else "unreachable" for k, ok in checks.items()}
    return problem(503, "Service unavailable", f"Not reachable: {down}.", checks=states)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the reason is logged by SQLAlchemy
        db.session.rollback()
        return False
    finally:
        db.session.remove()


def _redis_urls() -> dict[str, str]:
    urls = {}
    if current_app.config.get("REDIS_URL"):
        urls["redis"] = current_app.config["REDIS_URL"]
    storage = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith(("redis://", "rediss://")) and storage not in urls.values():
        urls["rate_limit_storage"] = storage
    return urls


def _redis_ok(url: str) -> bool:
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS
        )
        with client:
            return bool(client.ping())
    except redis.RedisError:
        return False


@bp.get("/metrics")
def metrics():
    """Prometheus metrics, for the token holder or the local machine only (404 to anyone else)."""
    if not _may_read_metrics():
        return problem(404, "Not found")
    registry = REGISTRY  # this process's own samples
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every gunicorn worker's, summed
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    body = generate_latest(registry) + generate_latest(_queue_registry())
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _may_read_metrics() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class QueueDepth:
    """Dispatch jobs waiting or running (the database's job table), and RQ queue lengths when used."""

    def collect(self):
        jobs = GaugeMetricFamily(
            "labvisit_dispatch_jobs",
            "Dispatch planning jobs by status (queued, running).",
            labels=("status",),
        )
        from dispatch.models import DispatchJob  # dispatch's model: the app imports both packages already

        counts = dict(
            db.session.execute(
                select(DispatchJob.status, func.count())
                .where(DispatchJob.status.in_(("queued", "running")))
                .group_by(DispatchJob.status)
            ).all()
        )
        for status in ("queued", "running"):
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        url = current_app.config.get("REDIS_URL")
        if url:
            depth = GaugeMetricFamily(
                "labvisit_rq_queue_length", "Jobs waiting on an RQ queue.", labels=("queue",)
            )
            try:
                client = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT_SECONDS)
                with client:
                    for queue in _rq_queue_names():
                        depth.add_metric([queue], client.llen(f"rq:queue:{queue}"))
                yield depth
            except redis.RedisError:
                pass  # /readyz reports Redis; the scrape still gives the rest


def _rq_queue_names() -> list[str]:
    config = current_app.config
    return [
        config.get("DISPATCH_QUEUE_NAME") or os.environ.get("DISPATCH_QUEUE_NAME", "dispatch"),
        config.get("PROGRAM_QUEUE_NAME", "program"),
    ]


def _queue_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(QueueDepth())
    return registry


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is not None and request.endpoint != "observability.metrics":
        rule = request.url_rule.rule if request.url_rule is not None else _UNMATCHED
        REQUEST_SECONDS.labels(rule, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_observe)
