"""Hostile input against every write endpoint: always a 4xx problem+json, never a 5xx, no row written.

The endpoints come from the app's url_map and their bodies from the OpenAPI document
(``tests/hostile.py``), so an endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import config
from booking import create_app
from booking.extensions import db
from tests import hostile
from tests.conftest import future_day

PROBLEM = "application/problem+json"


def _spec_and_endpoints(methods):
    app = create_app(config.TestConfig)
    spec = app.test_client().get("/api/openapi.json").json
    return hostile.endpoints(app, spec, methods)


def pytest_generate_tests(metafunc):
    if "write_endpoint" in metafunc.fixturenames:
        found = _spec_and_endpoints(hostile.WRITE_METHODS)
        metafunc.parametrize("write_endpoint", found, ids=[str(e) for e in found])
    if "query_endpoint" in metafunc.fixturenames:
        found = [e for e in _spec_and_endpoints(("GET",)) if e.query]
        metafunc.parametrize("query_endpoint", found, ids=[str(e) for e in found])


@pytest.fixture
def site(world, client):
    """Real objects for the path's ids, and one signed-in user of each role."""
    patient_id, patient_headers = world.patient_login()
    center_id = world.center()
    region_id = world.region()
    staff = world.login("coordinator")
    slot = client.get(
        "/api/v1/availability",
        query_string={
            "kind": "service_center",
            "service_center_id": center_id,
            "from": future_day().isoformat(),
            "to": future_day().isoformat(),
        },
        headers=staff | {},
        json=None,
    )
    booked = client.post(
        "/api/v1/bookings",
        json={
            "patient_id": patient_id,
            "kind": "service_center",
            "service_center_id": center_id,
            "starts_at": client.get(
                "/api/v1/availability",
                query_string={
                    "patient_id": patient_id,
                    "kind": "service_center",
                    "service_center_id": center_id,
                    "from": future_day().isoformat(),
                    "to": future_day().isoformat(),
                },
                headers=staff,
            ).json["openings"][0]["starts_at"],
        },
        headers=staff,
    )
    assert booked.status_code == 201, (slot.json, booked.json)
    ids = {
        "patient_id": patient_id,
        "center_id": center_id,
        "service_center_id": center_id,
        "region_id": region_id,
        "booking_id": booked.json["id"],
    }
    headers = {
        None: {},
        "patient": patient_headers,
        "coordinator": staff,
        "admin": world.login("admin"),
        "technician": world.login("technician"),
    }
    return ids, headers


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def _url(endpoint: hostile.Endpoint, ids: dict) -> str:
    url = endpoint.path
    for name in hostile.re.findall(r"{([^}]+)}", url):
        url = url.replace("{" + name + "}", str(ids.get(name, 1)))
    return url


def _refusals(client, app, method, url, headers, cases) -> list[str]:
    """Send each case; return what was not a 4xx problem+json, or wrote rows."""
    with app.app_context():
        before = _row_counts()
    wrong = []
    for label, kwargs in cases:
        response = client.open(url, method=method, headers=headers, **kwargs)
        if not (400 <= response.status_code < 500 and response.mimetype == PROBLEM):
            wrong.append(f"{method} {url} [{label}] -> {response.status_code} {response.mimetype}")
    with app.app_context():
        after = _row_counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if changed:
        wrong.append(f"{method} {url}: rows changed {changed}")
    return wrong


def test_write_endpoint_refuses_hostile_bodies(app, client, site, write_endpoint):
    """Deep JSON, NUL and control characters, overflowing numbers and dates, wrong types and content
    types, over-long strings: each a 4xx problem+json from the role allowed to call it, nothing written."""
    ids, headers = site
    cases = list(hostile.body_cases(write_endpoint, ids))
    wrong = _refusals(
        client, app, write_endpoint.method, _url(write_endpoint, ids), headers[write_endpoint.role], cases
    )
    assert wrong == [], f"{len(wrong)} of {len(cases)} cases:\n" + "\n".join(wrong)


def test_write_endpoint_refuses_hostile_bodies_anonymously(app, client, site, write_endpoint):
    """Without a token the same corpus is refused too (deep JSON must not crash before auth)."""
    ids, _ = site
    cases = [c for c in hostile.body_cases(write_endpoint, ids) if "=" not in c[0]]
    wrong = _refusals(client, app, write_endpoint.method, _url(write_endpoint, ids), {}, cases)
    assert wrong == [], "\n".join(wrong)


def test_query_parameters_refuse_hostile_values(app, client, site, query_endpoint):
    """NUL, control characters, year 9999, huge numbers in a query string: 4xx problem+json."""
    ids, headers = site
    base = {p["name"]: hostile.plausible(p.get("schema"), p["name"], ids) for p in query_endpoint.query}
    base = {k: v for k, v in base.items() if v is not None}
    wrong = []
    for label, params in hostile.query_cases(query_endpoint):
        response = client.get(
            _url(query_endpoint, ids), query_string=base | params, headers=headers[query_endpoint.role]
        )
        if not (400 <= response.status_code < 500 and response.mimetype == PROBLEM):
            wrong.append(f"GET {query_endpoint.rule} [{label}] -> {response.status_code}")
    assert wrong == [], "\n".join(wrong)
