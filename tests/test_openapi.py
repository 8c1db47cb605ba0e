"""The OpenAPI document matches what the endpoints do, for every role (schemathesis)."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from booking.schemas import KINDS
from tests.conftest import future_day

ROLES = ("patient", "technician", "coordinator", "admin")
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
CASES: Counter = Counter()  # cases sent per role, reported at the end of the module


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
    counts = {role: CASES[role] for role in ROLES}
    request.config.cache.set("labvisit/openapi_cases", counts)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nschemathesis cases per role: {counts}")


@pytest.fixture
def tokens(world, client, monkeypatch):
    """A small world to act on, and a token for each role.

    Booking 1 is cancelled and booking 2 is inside the patient's cutoff, so the
    cases that reach them (ids start at 1 on both databases) meet the 409s that
    carry extension members (``current_status``, ``deadline``).
    """
    _pid, patient = world.patient_login()
    center = world.center()
    world.region()
    day = future_day()
    query = {
        "kind": "service_center",
        "service_center_id": center,
        "from": day.isoformat(),
        "to": day.isoformat(),
    }
    slots = client.get("/api/v1/availability", query_string=query, headers=patient).json["openings"]
    for slot in slots[:2]:
        body = {"kind": "service_center", "service_center_id": center, "starts_at": slot["starts_at"]}
        created = client.post("/api/v1/bookings", json=body, headers=patient)
        assert created.status_code == 201, created.json
        if slot is slots[0]:
            cancel = client.post(f"/api/v1/bookings/{created.json['id']}/cancel", json={}, headers=patient)
            assert cancel.status_code == 200, cancel.json
    monkeypatch.setitem(world.app.config, "CANCEL_CUTOFF_HOURS", 24 * 400)
    monkeypatch.setitem(world.app.config, "RESCHEDULE_CUTOFF_HOURS", 24 * 400)
    return {"patient": patient, **{role: world.login(role) for role in ROLES[1:]}}


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
        CASES[role] += 1
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
