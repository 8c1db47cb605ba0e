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
