"""What a password must be: long enough and not one of the passwords attackers try first.

The list of common passwords is Django's (``booking/data/common-passwords.txt.gz``,
BSD licence in ``common-passwords.LICENSE``): 19,640 leaked passwords, lowercased.
Checked wherever a password is set: the API's schemas, the CLI and ``hash_password``.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from marshmallow import ValidationError

MIN_PASSWORD_LENGTH = 8
_COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"


class WeakPassword(ValueError):
    """A password too short or too common to protect an account holding health data."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in _common_passwords()


def check_password(password: str) -> None:
    """:raise WeakPassword: shorter than MIN_PASSWORD_LENGTH, or on the common-passwords list."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if is_common(password):
        raise WeakPassword("password is one of the most common passwords; choose another")


def not_common(password: str) -> None:
    """A marshmallow validator, next to the schema's length check: refuse a common password (422)."""
    if is_common(password):
        raise ValidationError("This password is one of the most common passwords; choose another.")
