"""Accounts for admins: look one up, disable or re-enable it, set a new password or a staff role."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from booking.api.common import documented_errors
from booking.auth import current_user, roles_allowed
from booking.errors import Conflict, NotFound, Unprocessable
from booking.extensions import db
from booking.models import Role, User
from booking.schemas import UserSchema, UserUpdateSchema
from booking.services import accounts

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts (admin).")


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @roles_allowed(Role.ADMIN)
    @blp.response(200, UserSchema)
    @documented_errors(blp, 401, 403, 404)
    def get(self, user_id):
        """One account and whether it may sign in (admin)."""
        return _user_or_404(user_id)

    @roles_allowed(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @documented_errors(blp, 401, 403, 404, 409, 422)
    def patch(self, data, user_id):
        """Disable or re-enable an account, set its password or staff role (admin).

        Disabling, a new password and a new role end the account's tokens and page sessions at once.

        :raise 409: an admin disabling or changing the role of their own account (they would lock themselves out).
        :raise 422: a role change for a patient's or technician's login.
        """
        user = _user_or_404(user_id)
        if user.id == current_user().id and (data.get("active") is False or "role" in data):
            raise Conflict("You cannot disable your own account or change its role; ask another admin.")
        if "role" in data:
            try:
                accounts.set_role(user, data["role"])
            except ValueError as exc:
                raise Unprocessable(
                    str(exc).capitalize() + ".", errors={"json": {"role": [str(exc)]}}
                ) from exc
        if "password" in data:
            accounts.set_password(user, data["password"])
        if "active" in data:
            accounts.set_active(user, data["active"])
        db.session.commit()
        return user
