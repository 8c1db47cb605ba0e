"""Revoking access: sign-out, disabling an account, a new password or role end tokens at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from booking.extensions import db
from booking.models import User
from tests.conftest import PASSWORD

ME = "/api/v1/auth/me"


def me(client, headers) -> int:
    return client.get(ME, headers=headers).status_code


def sign_in(client, user, password: str = PASSWORD) -> int:
    return client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).status_code


def test_sign_out_revokes_every_token_of_the_caller(world, client):
    """POST /auth/sign-out answers 204; that token and the caller's other tokens are refused next; signing in works."""
    user = world.user("patient", patient_id=world.patient())
    first, second = world.headers(user), world.headers(user)
    assert me(client, first) == me(client, second) == 200
    response = client.post("/api/v1/auth/sign-out", headers=first)
    assert response.status_code == 204
    assert me(client, first) == me(client, second) == 401
    assert me(client, world.headers(user)) == 200


def test_sign_out_leaves_other_users_signed_in(world, client):
    """One user's sign-out touches no one else's tokens."""
    mine, theirs = world.login("coordinator"), world.login("coordinator")
    client.post("/api/v1/auth/sign-out", headers=mine)
    assert me(client, theirs) == 200


def test_sign_out_needs_a_token(client, app):
    """Signing out without a token is a 401 problem."""
    response = client.post("/api/v1/auth/sign-out")
    assert response.status_code == 401 and response.content_type == "application/problem+json"


def test_token_without_a_version_is_refused(world, client, app):
    """A token signed with the right key but issued without a version claim is refused."""
    user = world.user("coordinator")
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": str(user.id), "role": "coordinator", "iat": now, "exp": now + timedelta(hours=1)},
        app.config["SECRET_KEY"],
        algorithm="HS256",
    )
    assert me(client, {"Authorization": f"Bearer {token}"}) == 401


def test_admin_disables_and_reenables_an_account(world, client):
    """PATCH /users/{id} {"active": false}: the token is refused and sign-in fails; re-enabled, sign-in works."""
    admin = world.login("admin")
    user = world.user("coordinator")
    headers = world.headers(user)
    response = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False
    assert me(client, headers) == 401
    assert sign_in(client, user) == 401
    response = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"active": True})
    assert response.status_code == 200 and response.json["active"] is True
    assert me(client, headers) == 401  # old tokens stay revoked
    assert sign_in(client, user) == 200
    assert client.get(f"/api/v1/users/{user.id}", headers=admin).json["active"] is True


@pytest.mark.parametrize("role", ["coordinator", "technician", "patient"])
def test_only_admins_manage_accounts(world, client, role):
    """Non-admins get 403 on the users API."""
    target = world.user("coordinator")
    kwargs = {"patient_id": world.patient()} if role == "patient" else {}
    headers = world.login(role, **kwargs)
    assert (
        client.patch(f"/api/v1/users/{target.id}", headers=headers, json={"active": False}).status_code == 403
    )
    assert client.get(f"/api/v1/users/{target.id}", headers=headers).status_code == 403
    assert me(client, world.headers(target)) == 200


def test_admin_cannot_disable_own_account(world, client):
    """An admin disabling themselves is a 409: they would lock themselves out."""
    admin = world.user("admin")
    headers = world.headers(admin)
    response = client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"active": False})
    assert response.status_code == 409 and response.content_type == "application/problem+json"
    assert me(client, headers) == 200


def test_unknown_user_is_404(world, client):
    """Patching an account that does not exist is a 404 problem."""
    response = client.patch("/api/v1/users/999999", headers=world.login("admin"), json={"active": False})
    assert response.status_code == 404 and response.content_type == "application/problem+json"


def test_new_password_revokes_tokens(world, client):
    """An admin-set password ends the old tokens; the old password stops working, the new one works."""
    admin = world.login("admin")
    user = world.user("coordinator")
    headers = world.headers(user)
    response = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"password": "a fresh long pass"})
    assert response.status_code == 200 and "password" not in response.json
    assert me(client, headers) == 401
    assert sign_in(client, user) == 401
    assert sign_in(client, user, "a fresh long pass") == 200


def test_role_change_revokes_tokens(world, client):
    """Making a coordinator an admin ends their tokens, so no token claims a role the account no longer has."""
    admin = world.login("admin")
    user = world.user("coordinator")
    headers = world.headers(user)
    response = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"role": "admin"})
    assert response.status_code == 200 and response.json["role"] == "admin"
    assert me(client, headers) == 401


def test_role_change_of_a_patient_login_is_422(world, client):
    """A patient's login belongs to its record: a role change is a 422 naming the field."""
    admin = world.login("admin")
    user = world.user("patient", patient_id=world.patient())
    response = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"role": "admin"})
    assert response.status_code == 422 and "role" in response.json["errors"]["json"]


def test_common_password_is_refused_by_the_users_api(world, client):
    """An admin may not set a common password: 422 naming the password field."""
    admin = world.login("admin")
    user = world.user("coordinator")
    response = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"password": "12345678"})
    assert response.status_code == 422 and "password" in response.json["errors"]["json"]


def test_cli_disables_and_enables_an_account(app, world, client):
    """`flask users disable EMAIL` ends the tokens and sign-in; `enable` lets the account sign in again."""
    user = world.user("coordinator")
    headers = world.headers(user)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "disable", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert me(client, headers) == 401 and sign_in(client, user) == 401
    result = runner.invoke(args=["users", "enable", user.email])
    assert result.exit_code == 0, result.output
    assert sign_in(client, user) == 200
    with app.app_context():
        assert db.session.get(User, user.id).is_active is True


def test_cli_disable_of_unknown_email_is_a_clear_error(app):
    """An unknown e-mail is a one-line error and a non-zero exit."""
    result = app.test_cli_runner().invoke(args=["users", "disable", "nobody@example.org"])
    assert result.exit_code != 0 and "no user with e-mail nobody@example.org" in result.output
