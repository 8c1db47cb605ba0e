"""Sign-in for the API: e-mail and password for a bearer token."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors
from booking.auth import EVERYONE, authenticate, current_user, issue_token, roles_allowed
from booking.errors import DomainError
from booking.schemas import MeSchema, TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Access tokens.")


class BadCredentials(DomainError):
    status = 401
    title = "Unauthorized"


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[])
    @documented_errors(blp, 401)
    def post(self, data):
        """Exchange e-mail and password for a bearer token.

        :raise 401: unknown e-mail, wrong password or inactive account (one message for all).
        """
        user = authenticate(data["email"], data["password"])
        if user is None:
            raise BadCredentials("E-mail or password is wrong.")
        token, ttl = issue_token(user)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl,
                "role": user.role, "user_id": user.id, "patient_id": user.patient_id}


@blp.route("/me")
class Me(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, MeSchema)
    @documented_errors(blp, 401)
    def get(self):
        """Who the token belongs to."""
        return current_user()
