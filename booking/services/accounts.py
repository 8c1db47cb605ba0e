"""Changes to an account that end its tokens and page sessions at once.

Disabling, a new password and a new role each raise the user's token version in
the same transaction as the change (``booking.auth.revoke_tokens``): a token or
session issued before is refused on its next request. The caller commits.
"""

from __future__ import annotations

from booking.auth import hash_password, revoke_tokens
from booking.extensions import db
from booking.models import Role, User

# Roles an account may be moved between; a patient's or technician's login belongs to its record.
STAFF_ROLES = (Role.COORDINATOR.value, Role.ADMIN.value)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def set_active(user: User, active: bool) -> None:
    """Enable or disable sign-in; disabling also ends every token and session of the user."""
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        revoke_tokens(user)


def set_password(user: User, password: str) -> None:
    """:raise WeakPassword: too short or too common."""
    user.password_hash = hash_password(password)
    revoke_tokens(user)


def set_role(user: User, role: str) -> None:
    """:raise ValueError: the account or the new role is not a staff role."""
    if user.role == role:
        return
    if user.role not in STAFF_ROLES or role not in STAFF_ROLES:
        raise ValueError("only staff accounts change role, between coordinator and admin")
    user.role = role
    revoke_tokens(user)
