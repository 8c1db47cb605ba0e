"""The OpenAPI document matches what the endpoints do, for every role (schemathesis)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from booking.schemas import KINDS


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def role_headers(world):
    """A small world to act on, and a token for each role."""
    pid, patient = world.patient_login()
    world.center()
    world.region()
    return {
        "patient": patient,
        "technician": world.login("technician"),
        "coordinator": world.login("coordinator"),
        "admin": world.login("admin"),
    }


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


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_errors_and_responses_match_schema(case, role_headers):
    """For every role: no 5xx, every response fits its documented schema and content type."""
    for headers in role_headers.values():
        case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )


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
