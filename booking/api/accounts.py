"""Sign-in and sign-out for the API: e-mail and password for a bearer token, and revoking them all."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors
from booking.auth import EVERYONE, authenticate, current_user, issue_token, revoke_tokens, roles_allowed
from booking.errors import DomainError
from booking.extensions import db, limiter, sign_in_address_limit
from booking.schemas import MeSchema, TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Access tokens.")


class BadCredentials(DomainError):
    status = 401
    title = "Unauthorized"


def _sign_in_key() -> str:
    """Count attempts per client address and e-mail, so one attacker cannot lock others out."""
    body = request.get_json(silent=True)
    email = body.get("email", "") if isinstance(body, dict) else ""
    return f"{request.remote_addr}|{str(email).strip().lower()}"


@blp.route("/token")
class Token(MethodView):
    decorators = [
        limiter.limit(
            lambda: current_app.config["SIGN_IN_RATE_LIMIT"], key_func=_sign_in_key, methods=["POST"]
        ),
        sign_in_address_limit,
    ]

    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[])
    @documented_errors(blp, 401, 429)
    def post(self, data):
        """Exchange e-mail and password for a bearer token.

        :raise 401: unknown e-mail, wrong password or inactive account (one message for all).
        :raise 429: too many attempts for this e-mail from this address, or failed ones from this address.
        """
        user = authenticate(data["email"], data["password"])
        if user is None:
            raise BadCredentials("E-mail or password is wrong.")
        token, ttl = issue_token(user)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "role": user.role,
            "user_id": user.id,
            "patient_id": user.patient_id,
        }


@blp.route("/me")
class Me(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, MeSchema)
    @documented_errors(blp, 401)
    def get(self):
        """Who the token belongs to."""
        return current_user()


@blp.route("/sign-out")
class SignOut(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(204)
    @documented_errors(blp, 401)
    def post(self):
        """Sign out everywhere: every token of the caller, and their page sessions, stop working at once."""
        revoke_tokens(current_user())
        db.session.commit()
