"""Accounts: password hashing, bearer tokens and the role check every endpoint declares.

Passwords are hashed with Argon2id (argon2-cffi), the current OWASP recommendation.
Tokens are short-lived HS256 JWTs signed with ``SECRET_KEY``. Each carries the
user's ``token_version`` (claim ``ver``) and is accepted only while it matches, so
:func:`revoke_tokens` ends every token and page session of a user at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.models import Role, User
from booking.passwords import check_password

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("labvisit-dummy-password")


def hash_password(password: str) -> str:
    """The Argon2id hash of an acceptable password.

    :raise WeakPassword: (a ValueError) too short or too common.
    """
    check_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    return user


def issue_token(user: User) -> tuple[str, int]:
    """A signed access token for ``user`` and its lifetime in seconds."""
    ttl = int(current_app.config["TOKEN_TTL_SECONDS"])
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "ver": user.token_version,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm="HS256"), ttl


def _user_from_token() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = jwt.decode(
            token.strip(),
            current_app.config["SECRET_KEY"],
            algorithms=["HS256"],
            options={"require": ["exp", "sub", "ver"]},
        )
        user_id, version = int(claims["sub"]), claims["ver"]
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return current_account(user_id, version)


def current_account(user_id: int, version: int | None) -> User | None:
    """The user behind a token or page session, if still active and not revoked since it was issued.

    The account's patient record comes in the same query: nearly every patient request
    reads it next (``visible_patient``), which then finds it in the session.
    """
    user = db.session.scalar(db.select(User).options(joinedload(User.patient)).where(User.id == user_id))
    if user is None or not user.is_active or user.token_version != version:
        return None
    return user


def revoke_tokens(user: User) -> None:
    """End every token and page session of ``user`` (in the caller's transaction).

    One UPDATE that adds one, so two revocations at once both count and none is lost.
    """
    db.session.execute(db.update(User).where(User.id == user.id).values(token_version=User.token_version + 1))
    db.session.refresh(user, ["token_version"])


def current_user() -> User:
    """The authenticated caller of this request (set by :func:`roles_allowed`)."""
    return g.current_user


def roles_allowed(*roles: Role) -> Callable:
    """Require a valid bearer token (or a browser session) of one of ``roles``.

    :raise 401: no or an invalid token.
    :raise 403: the caller's role may not use this endpoint.
    """
    allowed = {str(role) for role in roles}

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = getattr(g, "current_user", None) or _user_from_token()
            if user is None:
                abort(401, message="A valid bearer token is required.")
            if user.role not in allowed:
                abort(403, message="Your role may not use this endpoint.")
            g.current_user = user
            return view(*args, **kwargs)

        wrapper._roles_allowed = sorted(allowed)  # read by the permission tests
        return wrapper

    return decorator


STAFF = (Role.COORDINATOR, Role.ADMIN)
EVERYONE = (Role.PATIENT, Role.TECHNICIAN, Role.COORDINATOR, Role.ADMIN)


def is_staff(user: User) -> bool:
    return user.role in {str(r) for r in STAFF}
