"""Accounts: tokens, password hashing, the CLI, and who may call what."""

from __future__ import annotations

from datetime import UTC

import pytest

from booking.extensions import db
from booking.models import User
from tests.conftest import PASSWORD


def test_token_is_issued_for_right_password(world, client):
    """A correct e-mail and password give a bearer token that opens /me."""
    user = world.user("coordinator")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json["email"] == user.email and me.json["role"] == "coordinator"


@pytest.mark.parametrize("email,password", [("nobody@example.org", PASSWORD), (None, "wrong password")])
def test_bad_credentials_are_401_problem(world, client, email, password):
    """Unknown e-mail and wrong password both answer the same 401 problem."""
    user = world.user("patient")
    response = client.post("/api/v1/auth/token", json={"email": email or user.email, "password": password})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == "E-mail or password is wrong."


def test_passwords_are_stored_as_argon2_hashes(world, app):
    """The stored password is an Argon2id hash, never the password."""
    user = world.user("admin")
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_bad_token_is_401(client, app, header):
    """Without a valid bearer token, protected endpoints answer 401 problem+json."""
    response = client.get("/api/v1/auth/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_rejected(world, client, app):
    """A token past its lifetime no longer works."""
    from datetime import datetime, timedelta

    import jwt

    user = world.user("coordinator")
    past = datetime.now(UTC) - timedelta(hours=2)
    token = jwt.encode(
        {"sub": str(user.id), "iat": past, "exp": past + timedelta(hours=1)},
        app.config["SECRET_KEY"],
        algorithm="HS256",
    )
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cli_creates_user_with_hashed_password(app, world):
    """`flask users create` makes a working login."""
    patient_id = world.patient()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Nurse@Example.org",
            "--password",
            "long enough pw",
            "--role",
            "coordinator",
        ]
    )
    assert result.exit_code == 0, result.output
    token = world.client.post(
        "/api/v1/auth/token", json={"email": "nurse@example.org", "password": "long enough pw"}
    )
    assert token.status_code == 200
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "nurse@example.org",
            "--password",
            "long enough pw",
            "--role",
            "admin",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "p@example.org",
            "--password",
            "short",
            "--role",
            "patient",
            "--patient-id",
            str(patient_id),
        ]
    )
    assert short.exit_code != 0 and "at least 8" in short.output


# Every guarded route, and which roles may call it (others get 403, or 404 for a patient's
# foreign object). Patients act only on their own records.
STAFF_ONLY = [
    ("get", "/api/v1/patients"),
    ("post", "/api/v1/patients"),
    ("patch", "/api/v1/patients/{pid}"),
    ("post", "/api/v1/patients/{pid}/courses"),
    ("get", "/api/v1/monitoring/due"),
    ("get", "/api/v1/monitoring/overdue"),
    ("get", "/api/v1/regions"),
    ("post", "/api/v1/bookings/{bid}/status"),
]
ADMIN_ONLY = [
    ("post", "/api/v1/service-centers"),
    ("patch", "/api/v1/service-centers/{cid}"),
    ("post", "/api/v1/service-centers/{cid}/closures"),
    ("post", "/api/v1/regions"),
]


@pytest.mark.parametrize("method,path", STAFF_ONLY + ADMIN_ONLY)
@pytest.mark.parametrize("role", ["patient", "technician"])
def test_non_staff_are_refused(world, client, method, path, role):
    """Patients and technicians get 403 on staff and admin endpoints."""
    pid, headers = world.patient_login() if role == "patient" else (world.patient(), world.login(role))
    url = path.format(pid=pid, bid=1, cid=world.center())
    response = getattr(client, method)(url, headers=headers, json={})
    assert response.status_code == 403, (url, response.json)


@pytest.mark.parametrize("method,path", ADMIN_ONLY)
def test_coordinators_are_refused_admin_endpoints(world, client, method, path):
    """Managing centers and regions is for admins only."""
    response = getattr(client, method)(
        path.format(cid=world.center()), headers=world.login("coordinator"), json={}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/{other}",
        "/api/v1/patients/{other}/schedule",
        "/api/v1/patients/{other}/bookings",
        "/api/v1/availability?patient_id={other}&kind=provider&from={day}&to={day}",
        "/api/v1/bookings?patient_id={other}",
    ],
)
def test_patient_sees_only_own_records(world, client, path):
    """Another patient's records answer 404, exactly like a missing one."""
    from tests.conftest import future_day

    _, headers = world.patient_login()
    other = world.patient()
    response = client.get(path.format(other=other, day=future_day()), headers=headers)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_sign_in_attempts_are_rate_limited(world, client, app):
    """After the configured number of attempts for one e-mail, sign-in answers 429 problem+json."""
    user = world.user("patient")
    statuses = [
        client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong guess"}).status_code
        for _ in range(10)
    ]
    assert statuses == [401] * 10
    blocked = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.content_type == "application/problem+json" and "Retry-After" in blocked.headers
    other = world.user("coordinator")  # another account from the same address is not locked out
    assert (
        client.post("/api/v1/auth/token", json={"email": other.email, "password": PASSWORD}).status_code
        == 200
    )


def test_no_limit_is_checked_before_requests_while_only_views_carry_limits(app):
    """The sign-in views check their own limits; no app-wide limiter hook runs before every request."""
    from booking.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def test_query_strings_are_not_logged(world, client, caplog):
    """Request logs keep the path and drop the query, where addresses are typed."""
    import logging

    from booking.log_privacy import DropQueryStrings

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - [%s] "%s" %s -',
        ("127.0.0.1", "now", "GET /api/v1/service-centers?near=350+5th+Ave HTTP/1.1", "200"),
        None,
    )
    DropQueryStrings().filter(record)
    assert "5th" not in record.getMessage() and "GET /api/v1/service-centers HTTP/1.1" in record.getMessage()


PUBLIC_ENDPOINTS = {("/api/v1/auth/token", "POST")}


def test_every_api_endpoint_declares_its_roles(app):
    """Each /api/v1 route and method is wrapped by roles_allowed, except sign-in itself."""
    unguarded = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), None) if view_class else view
            if (rule.rule, method) not in PUBLIC_ENDPOINTS and not hasattr(handler, "_roles_allowed"):
                unguarded.append(f"{method} {rule.rule}")
    assert unguarded == []
