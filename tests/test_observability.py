"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import pytest

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"


def test_healthz_answers_while_the_process_serves(client):
    """/healthz needs nothing but the process."""
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_is_ready_when_the_database_answers(app, client, monkeypatch):
    """With no Redis configured, the database alone decides readiness."""
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "memory://")
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.json["checks"] == {"database": "ok"}


def test_readyz_checks_a_configured_redis(app, client, monkeypatch):
    """A reachable Redis is ready; a Redis nobody listens on is a 503 problem naming it."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_TEST_URL)
    assert client.get("/readyz").json["checks"] == {"database": "ok", "redis": "ok"}
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.content_type == "application/problem+json"
    assert answer.json["checks"] == {"database": "ok", "redis": "unreachable"}


def test_metrics_label_requests_by_url_rule_never_by_raw_path(world, client):
    """A patient's schedule is counted under its URL rule; the patient's id appears nowhere."""
    pid, headers = world.patient_login()
    assert client.get(f"/api/v1/patients/{pid}/schedule", headers=headers).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="/api/v1/patients/<int:patient_id>/schedule",method="GET",status="2xx"' in text
    assert f"/patients/{pid}/" not in text
    assert "labvisit_dispatch_jobs" in text


def test_metrics_are_for_localhost_or_the_token_holder(app, client, monkeypatch):
    """From another address /metrics is a 404; with METRICS_TOKEN set, only its bearer may read."""
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-token-0123456789")
    assert client.get("/metrics").status_code == 404  # localhost needs the token too once one is set
    good = {"Authorization": "Bearer scrape-token-0123456789"}
    assert client.get("/metrics", headers=good, environ_base=remote).status_code == 200
