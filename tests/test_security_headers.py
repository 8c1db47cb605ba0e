"""Security headers from the one app-wide hook: no-store on anything private, a CSP on every HTML page."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


def test_token_response_is_no_store(world, client):
    """The token endpoint's answer (a bearer token) is never cached."""
    user = world.user("coordinator")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"


def test_authenticated_api_responses_are_no_store(world, client):
    """A patient's own records through the API are never cached."""
    patient_id, headers = world.patient_login()
    for path in (
        "/api/v1/auth/me",
        f"/api/v1/patients/{patient_id}",
        f"/api/v1/patients/{patient_id}/schedule",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_api_errors_are_no_store_and_json_has_no_csp(client):
    """An API 401 is no-store; problem+json gets nosniff, not a page policy."""
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/no-such-page", "/sign-in", "/coordinator/no-such-thing"])
def test_every_html_page_has_the_csp(client, path):
    """The sign-in page and the HTML 404 for an unknown path both carry the CSP and no-store."""
    response = client.get(path)
    assert response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_html_403_has_the_csp(world, app):
    """A page the role may not open answers an HTML 403 with the CSP."""
    from tests.web.conftest import Pages

    patient_id = world.patient()
    browser = Pages(app)
    browser.sign_in(world.user("patient", patient_id=patient_id))
    response = browser.get("/coordinator")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_html_500_has_the_csp(app, monkeypatch):
    """A page that fails unexpectedly answers the HTML 500 page, with the CSP and no-store."""

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "web.access.home", broken)
    response = app.test_client().get("/")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    """The stylesheet is public and is not marked no-store."""
    response = client.get("/static/labvisit.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
