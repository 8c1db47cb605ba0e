"""No patient data in any log a real ``gunicorn wsgi:app`` writes, on the main flows and the error paths.

gunicorn is started the way production starts it: from the repository root, so it reads the
shipped ``gunicorn.conf.py``, with the production config (``config.Config``: JSON logs). A
unique marker is planted in every text field of a patient and a booking and in the query
strings, the flows and failures are driven over HTTP, and every line gunicorn and the app
wrote (access log, error log, the app's stderr) is searched for it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from booking.extensions import db
from tests.conftest import PASSWORD, future_day

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PROBLEM = "application/problem+json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(app, tmp_path):
    """``gunicorn wsgi:app`` on the test database, its logs in files; yields (base URL, log paths)."""
    port = _free_port()
    logs = {name: tmp_path / f"{name}.log" for name in ("access", "error", "stdout", "stderr")}
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LABVISIT_CONFIG": "config.Config",
        "SECRET_KEY": "log-privacy-test-" + uuid.uuid4().hex,
        "PROGRAM_SCHEDULER": "off",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    env.pop("LOG_FORMAT", None)
    with open(logs["stdout"], "wb") as out, open(logs["stderr"], "wb") as err:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "wsgi:app",
                "--access-logfile",
                str(logs["access"]),
                "--error-logfile",
                str(logs["error"]),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/api/openapi.json", timeout=10)
                break
            except requests.RequestException:
                if process.poll() is not None:
                    pytest.fail("gunicorn exited: " + logs["error"].read_text() + logs["stderr"].read_text())
                time.sleep(0.2)
        yield base, logs
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Api:
    def __init__(self, base: str):
        self.base, self.session = base + "/api/v1", requests.Session()

    def call(
        self, method: str, path: str, token: str | None = None, headers: dict | None = None, **kwargs
    ) -> requests.Response:
        headers = dict(headers or {}) | ({"Authorization": f"Bearer {token}"} if token else {})
        return self.session.request(method, self.base + path, headers=headers, timeout=60, **kwargs)

    def token(self, email: str, password: str) -> str:
        response = self.call("POST", "/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


def _patient_body(m: str, email_user: str) -> dict:
    return {
        "first_name": f"First{m}",
        "last_name": f"Last{m}",
        "date_of_birth": "1980-04-05",
        "email": f"{m}@example.org",
        "phone": f"555 {m} {email_user[:6]}",
        "time_zone": "America/New_York",
        "home_address": {"line": f"1 {m} Street, New York, NY 10001", "latitude": 40.75, "longitude": -73.99},
        "office_address": {
            "line": f"2 {m} Plaza, New York, NY 10004",
            "latitude": 40.70,
            "longitude": -74.01,
        },
        "access_notes": f"Gate code {m}\nring twice",
        "provider": {"name": f"Dr {m}", "address": f"3 {m} Ave", "phone": f"555 {m}"},
        "courses": [{"first_infusion": "2025-01-10", "last_infusion": "2026-02-20"}],
        "login": {"email": f"{email_user}.{m}@example.org", "password": f"password {m}"},
    }


def _drive(api: Api, world, app, m: str) -> list[str]:
    """The main flows and the error paths, each with the marker in every text it sends."""
    staff = world.user("coordinator")
    coordinator = api.token(staff.email, PASSWORD)
    center_id = world.center()

    created = api.call("POST", "/patients", coordinator, json=_patient_body(m, "login"))
    assert created.status_code == 201, created.text
    patient_id = created.json()["id"]
    patient = api.token(f"login.{m}@example.org", f"password {m}")
    api.call("PATCH", f"/patients/{patient_id}", coordinator, json={"access_notes": f"Dog {m}"})
    api.call("GET", "/patients", coordinator, params={"q": f"First{m}"})
    api.call("GET", "/service-centers", patient, params={"near": f"1 {m} Street, New York, NY 10001"})
    assert api.call("GET", f"/patients/{patient_id}/schedule", patient).status_code == 200
    day = future_day().isoformat()
    slots = api.call(
        "GET",
        "/availability",
        patient,
        params={"kind": "service_center", "service_center_id": center_id, "from": day, "to": day},
    ).json()["openings"]
    booking = api.call(
        "POST",
        "/bookings",
        patient,
        json={
            "kind": "service_center",
            "service_center_id": center_id,
            "starts_at": slots[0]["starts_at"],
            "notes": f"Notes {m}\nsecond line",
        },
        headers={"Idempotency-Key": f"key-{m}"},
    )
    assert booking.status_code == 201, booking.text
    booking_id = booking.json()["id"]
    moved = api.call("PATCH", f"/bookings/{booking_id}", patient, json={"starts_at": slots[-1]["starts_at"]})
    assert moved.status_code == 200, moved.text

    # Error paths: validation, NUL characters, an over-long e-mail, a taken login, 404s.
    # Statuses are collected and asserted after the logs, so a leak is reported first.
    site = api.base.rsplit("/api", 1)[0]
    invalid = _patient_body(m, "invalid") | {"date_of_birth": f"not a date {m}"}
    nul = _patient_body(m, "nul") | {"last_name": f"Last{m}\u0000"}
    long_email = _patient_body(m, "long") | {"email": m + "a" * 300 + "@example.org"}
    nul_reason = {"reason": f"{m}\u0000"}
    expected = [
        ("validation", api.call("POST", "/patients", coordinator, json=invalid), 422),
        ("nul", api.call("POST", "/patients", coordinator, json=nul), 422),
        ("long e-mail", api.call("POST", "/patients", coordinator, json=long_email), 422),
        ("taken login", api.call("POST", "/patients", coordinator, json=_patient_body(m, "login")), 409),
        ("nul reason", api.call("POST", f"/bookings/{booking_id}/cancel", patient, json=nul_reason), 422),
        ("404 api", api.call("GET", "/patients/2147483647", coordinator, params={"q": m}), 404),
        ("404 page", requests.get(site + "/no-such-page", params={"near": m}, timeout=30), 404),
        ("sign-in", api.call("POST", "/auth/token", json={"email": f"{m}@example.org", "password": m}), 401),
    ]

    # An unexpected database error whose message quotes the row: a unique index the service does
    # not know about, so the UPDATE fails with "Key (phone)=(...) already exists".
    other = api.call("POST", "/patients", coordinator, json=_patient_body(m, "other"))
    assert other.status_code == 201, other.text
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE UNIQUE INDEX log_privacy_phone ON patients (phone)"))
    try:
        same_phone = {"phone": _patient_body(m, "login")["phone"], "access_notes": f"Moved {m}"}
        failed = api.call("PATCH", f"/patients/{other.json()['id']}", coordinator, json=same_phone)
        expected.append(("unexpected", failed, 500))
        if failed.status_code == 500:
            assert failed.json()["request_id"] == failed.headers["X-Request-ID"]
    finally:
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP INDEX log_privacy_phone"))

    cancelled = api.call("POST", f"/bookings/{booking_id}/cancel", patient, json={"reason": f"Away {m}"})
    expected.append(("cancel", cancelled, 200))
    return [
        f"{label}: {response.status_code} {response.headers.get('Content-Type')}, expected {status}"
        for label, response, status in expected
        if response.status_code != status
        or (status >= 400 and "/api/" in response.url and response.headers["Content-Type"] != PROBLEM)
    ]


def test_no_patient_data_in_any_log_of_gunicorn(served, world, app):
    """A marker in every text field and query string never appears in the access, error or app logs."""
    base, logs = served
    marker = "Mk" + uuid.uuid4().hex[:12]
    wrong_statuses = _drive(Api(base), world, app, marker)
    time.sleep(0.5)  # let the workers flush their last lines
    written = {name: path.read_text(errors="replace") for name, path in logs.items() if path.exists()}
    leaks = {
        name: [line for line in content.splitlines() if marker in line] for name, content in written.items()
    }
    assert {name: lines for name, lines in leaks.items() if lines} == {}
    # The test can fail: the logs are really there, with the lines this run caused.
    assert written["access"].count("POST /api/v1/patients HTTP/1.1") >= 6
    assert '"GET /api/v1/service-centers HTTP/1.1" 200' in written["access"]
    assert "Booting worker" in written["error"]
    assert "unhandled IntegrityError" in written["stderr"] and '"request_id"' in written["stderr"]
    assert wrong_statuses == []
