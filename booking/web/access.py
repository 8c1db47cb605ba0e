"""Signing in and out of the pages, and the ``login_required`` check every page declares.

The session holds the user's id and token version. Signing in starts a fresh
session (so a session fixed before sign-in is worth nothing); signing out clears
it and raises the version, which ends the user's other sessions and API tokens
too (as disabling the account or changing its password or role does). Accounts
are the API's: the same e-mail and password, checked by ``booking.auth``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from booking.auth import authenticate, current_account, revoke_tokens
from booking.extensions import db, limiter, sign_in_address_limit
from booking.models import Role, User

bp = Blueprint("access", __name__)

STAFF_ROLES = {Role.COORDINATOR.value, Role.ADMIN.value}


def signed_in_user() -> User | None:
    """The active user of this browser session, or None (the session is cleared if revoked)."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = current_account(user_id, session.get("token_version"))
    if user is None:
        session.clear()
    return user


def web_user() -> User:
    """The signed-in user of this page (set by :func:`login_required`)."""
    return g.web_user


def login_required(*roles: Role) -> Callable:
    """Require a signed-in user of one of ``roles`` (any role when none is given).

    :raise 302: to the sign-in page when nobody is signed in.
    :raise 403: the user's role may not open this page.
    """
    allowed = {str(role) for role in roles}

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = signed_in_user()
            if user is None:
                return redirect(url_for("web.access.sign_in", next=request.full_path.rstrip("?")))
            if allowed and user.role not in allowed:
                abort(403, "Your account may not open this page.")
            g.web_user = user
            return view(*args, **kwargs)

        wrapper._roles_allowed = sorted(allowed)
        return wrapper

    return decorator


def home_for(user: User) -> str:
    if user.role == Role.PATIENT:
        return url_for("web.patient.overview", patient_id=user.patient_id)
    if user.role == Role.TECHNICIAN:
        return url_for("web.technician.route")
    return url_for("web.coordinator.home")


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in; anything pointing elsewhere is dropped."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def demo_logins() -> list[tuple[str, str, str]]:
    """One demo account per role, from ``flask demo load``, shown on the sign-in page.

    Their password is public in the source anyway; set SHOW_DEMO_LOGINS=False
    to hide them.
    """
    if not current_app.config.get("SHOW_DEMO_LOGINS", True):
        return []
    try:
        from booking.demo import DEMO_DOMAIN, DEMO_PASSWORD
    except ImportError:
        return []
    users = db.session.scalars(
        db.select(User).where(User.email.like(f"%@{DEMO_DOMAIN}"), User.is_active.is_(True)).order_by(User.id)
    ).all()
    first_of_role: dict[str, User] = {}
    for user in users:
        first_of_role.setdefault(user.role, user)
    order = ("patient", "technician", "coordinator", "admin")
    return [(role, first_of_role[role].email, DEMO_PASSWORD) for role in order if role in first_of_role]


@bp.get("/")
def home():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("web.access.sign_in"))
    return redirect(home_for(user))


def _sign_in_key() -> str:
    """Count attempts per client address and e-mail, like the API's token endpoint."""
    return f"{request.remote_addr}|{request.form.get('email', '').strip().lower()}"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], key_func=_sign_in_key, methods=["POST"])
@sign_in_address_limit
def sign_in():
    errors: dict[str, str] = {}
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not email:
            errors["email"] = "Enter your e-mail address."
        if not password:
            errors["password"] = "Enter your password."
        user = authenticate(email, password) if not errors else None
        if user is not None:
            session.clear()
            session["user_id"] = user.id
            session["token_version"] = user.token_version
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        if not errors:
            errors["form"] = "E-mail or password is wrong."
        status = 401 if "form" in errors else 422
        return render_template("sign_in.html", errors=errors, email=email, demo=demo_logins()), status
    if signed_in_user() is not None:
        return redirect(home_for(signed_in_user()))
    return render_template("sign_in.html", errors=errors, email=email, demo=demo_logins())


@bp.post("/sign-out")
def sign_out():
    """Sign out here and everywhere: the user's other sessions and API tokens end as well."""
    user = signed_in_user()
    if user is not None:
        revoke_tokens(user)
        db.session.commit()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("web.access.sign_in"))
