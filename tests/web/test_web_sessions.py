"""Page sessions end with the account's tokens: sign-out everywhere, disabling, and the sign-in limits."""

from __future__ import annotations

from booking.extensions import db
from booking.models import User
from tests.conftest import PASSWORD
from tests.web.conftest import Pages


def opens_home(pages: Pages) -> bool:
    """True while the page session is signed in (the home page does not send to the sign-in page)."""
    response = pages.get("/")
    return response.status_code == 302 and "/sign-in" not in response.headers["Location"]


def test_page_sign_out_ends_the_users_api_tokens_and_other_sessions(app, world, signed_in):
    """Signing out on one browser ends that user's sessions on other browsers and their API tokens."""
    user, laptop = signed_in("coordinator")
    phone = Pages(app)
    phone.sign_in(user)
    headers = world.headers(user)
    assert opens_home(laptop) and opens_home(phone)
    response = laptop.post("/sign-out", token_from="/")
    assert response.status_code == 302
    assert not opens_home(laptop) and not opens_home(phone)
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_api_sign_out_ends_page_sessions(app, world, signed_in):
    """POST /api/v1/auth/sign-out ends the user's page sessions too."""
    user, browser = signed_in("coordinator")
    headers = world.headers(user)
    assert world.client.post("/api/v1/auth/sign-out", headers=headers).status_code == 204
    assert not opens_home(browser)


def test_disabled_account_loses_its_page_session(app, world, signed_in):
    """Disabling an account through the API ends its open page session at once."""
    user, browser = signed_in("patient", patient_id=world.patient())
    assert opens_home(browser)
    admin = world.login("admin")
    assert (
        world.client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"active": False}).status_code
        == 200
    )
    assert not opens_home(browser)
    refused = Pages(app).post("/sign-in", {"email": user.email, "password": PASSWORD}, token_from="/sign-in")
    assert refused.status_code == 401


def test_revoked_version_is_checked_even_if_the_account_is_active(app, world, signed_in):
    """A session whose version is behind the account's is signed out, though the account is active."""
    user, browser = signed_in("coordinator")
    with app.app_context():
        db.session.get(User, user.id).token_version += 1
        db.session.commit()
    assert not opens_home(browser)


def test_failed_sign_ins_are_limited_per_address_whatever_the_email(app, world):
    """Many e-mails tried from one address are slowed: after the per-address limit, even a right password is 429.

    Counted over the API and the sign-in page together; another address is not affected.
    """
    user = world.user("coordinator")
    app.config["SIGN_IN_ADDRESS_RATE_LIMIT"] = "4 per minute"
    try:
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = "203.0.113.7"
        pages = Pages(app)
        pages.client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
        statuses = [
            attacker.post(
                "/api/v1/auth/token", json={"email": f"guess{i}@example.org", "password": "wrong guess"}
            ).status_code
            for i in range(3)
        ]
        statuses.append(
            pages.post(
                "/sign-in", {"email": "guess9@example.org", "password": "wrong"}, token_from="/sign-in"
            ).status_code
        )
        assert statuses == [401, 401, 401, 401]
        blocked = attacker.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        assert blocked.status_code == 429 and blocked.content_type == "application/problem+json"
        assert (
            pages.post(
                "/sign-in", {"email": user.email, "password": PASSWORD}, token_from="/sign-in"
            ).status_code
            == 429
        )
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.9"
        assert (
            other.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).status_code
            == 200
        )
    finally:
        app.config["SIGN_IN_ADDRESS_RATE_LIMIT"] = "10000 per minute"


def test_successful_sign_ins_do_not_count_against_the_address(app, world):
    """Colleagues behind one address signing in correctly are never held up by the per-address limit."""
    app.config["SIGN_IN_ADDRESS_RATE_LIMIT"] = "2 per minute"
    try:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
        users = [world.user("coordinator") for _ in range(4)]
        statuses = [
            client.post("/api/v1/auth/token", json={"email": u.email, "password": PASSWORD}).status_code
            for u in users
        ]
        assert statuses == [200] * 4
    finally:
        app.config["SIGN_IN_ADDRESS_RATE_LIMIT"] = "10000 per minute"
