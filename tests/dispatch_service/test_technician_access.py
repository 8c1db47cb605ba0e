"""A deactivated technician loses access at once, and route downloads are never cached."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.web.conftest import Pages


def test_deactivating_a_technician_ends_tokens_sessions_and_sign_in(app, client, world, field):
    """PATCH /technicians/{id} {"active": false}: the old token cannot read the route, the page session ends,
    and signing in fails; reactivated, the technician signs in again."""
    tech = field.technician()
    user = field.tech_users[tech]
    headers = field.tech_headers(tech)
    browser = Pages(app)
    browser.sign_in(user)
    day = {"date": field.day.isoformat()}
    assert client.get("/api/v1/technicians/me/route", headers=headers, query_string=day).status_code == 200
    admin = world.login("admin")
    response = client.patch(f"/api/v1/technicians/{tech}", headers=admin, json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False
    assert client.get("/api/v1/technicians/me/route", headers=headers, query_string=day).status_code == 401
    assert "/sign-in" in browser.get("/").headers["Location"]
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert token.status_code == 401
    assert (
        client.patch(f"/api/v1/technicians/{tech}", headers=admin, json={"active": True}).status_code == 200
    )
    assert (
        client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).status_code == 200
    )


def test_other_technician_changes_keep_the_session(client, world, field):
    """Changing a technician's daily maximum does not sign them out."""
    tech = field.technician()
    headers = field.tech_headers(tech)
    admin = world.login("admin")
    assert (
        client.patch(f"/api/v1/technicians/{tech}", headers=admin, json={"max_visits": 5}).status_code == 200
    )
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200


def test_route_calendar_and_sheet_are_no_store(client, field):
    """The route's .ics and printable sheet carry patient data: Cache-Control no-store; the sheet has a CSP."""
    tech = field.technician()
    headers = field.tech_headers(tech)
    for suffix in ("route.ics", "route/sheet"):
        response = client.get(
            f"/api/v1/technicians/me/{suffix}", headers=headers, query_string={"date": field.day.isoformat()}
        )
        assert response.status_code == 200, suffix
        assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
