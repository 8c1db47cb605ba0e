"""The OpenAPI document matches what the endpoints do, for every role (schemathesis)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from booking.extensions import db
from booking.models import Patient
from booking.program import outbox
from booking.program.models import MessageType, OutboxMessage
from booking.schemas import KINDS
from tests.conftest import future_day
from tests.dispatch_service.conftest import Field, plan_now, publish

ROLES = ("patient", "technician", "coordinator", "admin")
NOTICE = {"month": "December 2026", "link": "https://labvisit.example/me"}
# Fuzzed cases per operation and role; the examples and coverage phases add their
# own (deterministic) cases on top. Tuned so the whole module stays near two minutes.
FUZZ_EXAMPLES = 8

# Explicit phases, derandomized generation and no example database: every run
# sends the same cases, so a failure here is reproducible and never a flake.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "phases": {
            "examples": {"enabled": True, "fill-missing": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": FUZZ_EXAMPLES, "deterministic": True, "database": "none"},
    }
)
CASES: Counter = Counter()  # cases sent per (role, phase), reported at the end of the module


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request):
    """Print and record (``.pytest_cache``) how many cases each role was sent."""
    yield
    if not CASES:
        return
    counts = {}
    for role in ROLES:
        phases = {phase: n for (who, phase), n in sorted(CASES.items()) if who == role}
        if phases:
            counts[role] = {**phases, "total": sum(phases.values())}
    if getattr(request.config, "cache", None) is not None:  # absent under -p no:cacheprovider
        request.config.cache.set("labvisit/openapi_cases", counts)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nschemathesis cases per role: {counts}")


@pytest.fixture
def tokens(app, world, client, monkeypatch):
    """A small world to act on, and a token for each role.

    Ids start at 1 on both databases, and the cases reach small ids first. The
    patient (1) has booking 1 cancelled and booking 2 inside their cutoff, so
    those cases meet the 409s with extension members (``current_status``,
    ``deadline``); technician 1 (the technician's own) serves the field day of
    region 1, planned and published as plan 1. Plans requested while fuzzing go
    to a queue no worker serves, so no solve runs behind the cases' backs.
    """
    _pid, patient = world.patient_login()
    center = world.center()
    book_and_cancel(client, patient, center)
    field = Field(app, world)
    technician = field.technician()
    field.booking(hour=9)
    field.booking(hour=13)
    coordinator = world.login("coordinator")
    publish(client, coordinator, plan_now(client, coordinator, field))
    monkeypatch.setitem(app.config, "CANCEL_CUTOFF_HOURS", 24 * 400)
    monkeypatch.setitem(app.config, "RESCHEDULE_CUTOFF_HOURS", 24 * 400)
    queue = f"openapi-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "DISPATCH_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(app.config, "DISPATCH_QUEUE_NAME", queue)
    yield {
        "patient": patient,
        "technician": field.tech_headers(technician),
        "coordinator": coordinator,
        "admin": world.login("admin"),
    }
    _drop_queue(queue)


def book_and_cancel(client, headers, center: int) -> list[int]:
    """Book a slot and cancel it, then book another (bookings 1 and 2 in a fresh database)."""
    day = future_day().isoformat()
    query = {"kind": "service_center", "service_center_id": center, "from": day, "to": day}
    slots = client.get("/api/v1/availability", query_string=query, headers=headers).json["openings"]
    created = []
    for slot in slots[:2]:
        if created:
            cancel = client.post(f"/api/v1/bookings/{created[0]}/cancel", json={}, headers=headers)
            assert cancel.status_code == 200, cancel.json
        body = {"kind": "service_center", "service_center_id": center, "starts_at": slot["starts_at"]}
        response = client.post("/api/v1/bookings", json=body, headers=headers)
        assert response.status_code == 201, response.json
        created.append(response.json["id"])
    return created


def _drop_queue(name: str) -> None:
    try:
        Queue(name, connection=Redis.from_url("redis://127.0.0.1:6379/0")).delete(delete_jobs=True)
    except RedisError:
        pass  # no Redis: the jobs failed at once ("could not queue the job") and nothing was queued


def test_openapi_document_describes_the_api(client):
    """The document is served, names every booking endpoint and the bearer scheme."""
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token",
        "/api/v1/patients/{patient_id}/schedule",
        "/api/v1/service-centers",
        "/api/v1/availability",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}/cancel",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/bookings"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert create["responses"]["409"]["$ref"] == "#/components/responses/CONFLICT"
    assert "application/problem+json" in spec["components"]["responses"]["CONFLICT"]["content"]
    kind = spec["components"]["schemas"]["BookingCreate"]["properties"]["kind"]
    assert kind["enum"] == KINDS


def test_conflicts_with_extension_members_fit_the_published_schema(app, client, world, monkeypatch):
    """409s that carry ``current_status`` or ``deadline`` (RFC 9457 extension members)
    are answered exactly as the published Problem schema says."""
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    problem = api.raw_schema["components"]["schemas"]["Problem"]["properties"]
    assert {"current_status", "deadline", "errors"} <= set(problem)
    pid, patient = world.patient_login()
    cancelled, booked = book_and_cancel(client, patient, world.center())
    coordinator = world.login("coordinator")
    with app.app_context():
        outbox.notify(db.session.get(Patient, pid), MessageType.MONTH_DUE, NOTICE, dedupe_key="openapi")
        db.session.commit()
        pending = db.session.scalars(db.select(OutboxMessage.id)).first()
    monkeypatch.setitem(app.config, "CANCEL_CUTOFF_HOURS", 24 * 400)
    admin = world.login("admin")
    answers = [
        ("/api/v1/bookings/{booking_id}/cancel", cancelled, {}, patient, "current_status"),
        (
            "/api/v1/bookings/{booking_id}/status",
            cancelled,
            {"status": "arrived"},
            coordinator,
            "current_status",
        ),
        ("/api/v1/bookings/{booking_id}/cancel", booked, {}, patient, "deadline"),
        ("/api/v1/outbox/messages/{message_id}/retry", pending, None, admin, "current_status"),
    ]
    for template, id_, body, headers, member in answers:
        path = template.format(booking_id=id_, message_id=id_)
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 409 and member in response.json, response.json
        api[template]["POST"].validate_response(response)


def _conformance_test(role: str):
    """One schemathesis test per role, so each role's cases are generated, run and reported apart."""

    @schema.parametrize()
    @settings(
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )
    def test(case, tokens):
        CASES[role, case.meta.phase.name.value if case.meta else "explicit"] += 1
        case.call_and_validate(
            headers=tokens[role],
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )

    test.__doc__ = f"As a {role}: no 5xx, and every response fits its documented schema and content type."
    return test


test_patient_gets_documented_responses = _conformance_test("patient")
test_technician_gets_documented_responses = _conformance_test("technician")
test_coordinator_gets_documented_responses = _conformance_test("coordinator")
test_admin_gets_documented_responses = _conformance_test("admin")


def _free_form_objects(schemas: dict, name: str, seen: set | None = None) -> list[str]:
    """Objects reachable from schema ``name`` that say nothing of their properties."""
    seen = set() if seen is None else seen
    if name in seen:
        return []
    seen.add(name)
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            # apispec spells "or null" of a nested schema as {"type": "object", "nullable": true}.
            null_alternative = node == {"type": "object", "nullable": True}
            if node.get("type") == "object" and not ({"properties", "$ref", "allOf"} & set(node)):
                if not null_alternative:
                    found.append(path)
            if "$ref" in node:
                found.extend(_free_form_objects(schemas, node["$ref"].rsplit("/", 1)[-1], seen))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for number, value in enumerate(node):
                walk(value, f"{path}/{number}")

    walk(schemas[name], name)
    return found


DISPATCH_RESPONSES = ("Plan", "Route", "Audit", "Job", "ChangeRefused")


def test_dispatch_responses_are_typed_down_to_every_field(client):
    """Plans, routes, stops with their ETAs, unassigned visits with reasons,
    violations (also in a refused change's 409), plan figures and audits are
    typed schemas: no free-form object anywhere in them."""
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    for name in DISPATCH_RESPONSES:
        assert _free_form_objects(schemas, name) == [], name
    assert {"eta", "planned_arrival", "service_start", "departure"} <= set(schemas["PlanStop"]["properties"])
    violation = schemas["Violation"]["properties"]
    assert {"kind", "booking_id", "technician_id", "lab_id", "time", "limit", "windows"} <= set(violation)
    assert schemas["Plan"]["properties"]["unassigned"]["items"]["$ref"].endswith("/Unassigned")
    refused = spec["paths"]["/api/v1/dispatch/plans/{plan_id}/changes"]["post"]["responses"]["409"]
    assert refused["content"]["application/problem+json"]["schema"]["$ref"].endswith("/ChangeRefused")
