"""Passwords: common ones refused wherever a password is set; the CLI's account checks."""

from __future__ import annotations

import pytest

from booking.auth import hash_password

COMMON = ["12345678", "password1", "Qwertyuiop", "iloveyou"]


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_recognised(password):
    """Passwords on the shipped list are common whatever their case."""
    from booking.passwords import is_common

    assert is_common(password)


@pytest.mark.parametrize("password", ["correct horse battery", "a fresh long pass"])
def test_uncommon_passwords_are_accepted(password):
    """A long passphrase is not on the list, and hashes."""
    from booking.passwords import is_common

    assert not is_common(password) and hash_password(password).startswith("$argon2id$")


def test_hash_password_refuses_a_common_password():
    """The last line of defence, for callers without a schema: hash_password raises WeakPassword."""
    from booking.passwords import WeakPassword

    with pytest.raises(WeakPassword):
        hash_password("12345678")


def _patient_body(password: str) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "time_zone": "America/New_York",
        "home_address": {
            "line": "350 5th Ave, New York, NY 10118",
            "latitude": 40.7484,
            "longitude": -73.9857,
        },
        "login": {"email": "ada@example.org", "password": password},
    }


def test_patient_login_with_a_common_password_is_422(world, client):
    """Creating a patient login with `12345678` is a 422 naming login.password."""
    response = client.post(
        "/api/v1/patients", headers=world.login("coordinator"), json=_patient_body("12345678")
    )
    assert response.status_code == 422, response.json
    assert "password" in response.json["errors"]["json"]["login"]


def test_cli_refuses_a_common_password(app):
    """`flask users create --password 12345678` exits non-zero with a clear message."""
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "n@example.org",
            "--password",
            "12345678",
            "--role",
            "coordinator",
        ]
    )
    assert result.exit_code != 0 and "common password" in result.output


def test_cli_refuses_a_second_login_for_a_patient(app, world):
    """`flask users create --patient-id N` for a patient with a login: one clear line, non-zero exit, no traceback."""
    patient_id = world.patient()
    world.user("patient", patient_id=patient_id)
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "second@example.org",
            "--password",
            "long enough pw",
            "--role",
            "patient",
            "--patient-id",
            str(patient_id),
        ]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == f"Error: patient {patient_id} has a login already"
