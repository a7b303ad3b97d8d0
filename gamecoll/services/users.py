"""The user's own account: profile, GPU endpoint, password, deletion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gamecoll.errors import ValidationFailed
from gamecoll.models import User
from gamecoll.services import account_rules
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.reauth import Reauth
from gamecoll.services.sessions import Principal, SessionService

# Called with the user after its row (and by cascade every row it owns) is gone,
# to remove what it owns outside the database (image files).
AccountCleanup = Callable[[User], Awaitable[None]]
UNCHANGED_MESSAGE = "The new password is the same as the current one. Choose a different one."


class UserService:
    """Change and delete the signed-in user's account."""

    def __init__(
        self,
        *,
        hasher: PasswordHasher,
        checks: PasswordChecks,
        sessions: SessionService,
        reauth: Reauth,
    ) -> None:
        self.hasher = hasher
        self.checks = checks
        self.sessions = sessions
        self.reauth = reauth
        self.cleanups: list[AccountCleanup] = []
        self.listeners: list[SecurityListener] = []  # security events (the activity log)

    async def set_gpu_endpoint(self, *, user: User, gpu_endpoint: str | None) -> User:
        """Store (or clear) the URL of the user's GPU server; the server never calls it."""
        user.gpu_endpoint = account_rules.clean_gpu_endpoint(gpu_endpoint)
        await user.save(update_fields=["gpu_endpoint", "updated_at"])
        return user

    async def change_password(
        self, *, principal: Principal, current_password: str | None, new_password: str
    ) -> None:
        """Change the password and end every other session of the user.

        Needs the current password, or a re-authentication in the last 5 minutes (see
        services/reauth.py). Wrong current passwords count towards the account's lockout,
        as failed logins do.
        """
        user = principal.user
        await self.reauth.require(principal, current_password)
        if new_password == current_password:
            # Nothing would change, yet every other session would end: say so instead.
            raise ValidationFailed(UNCHANGED_MESSAGE, fields={"new_password": UNCHANGED_MESSAGE})
        account_rules.check_new_password(new_password, field="new_password")
        user.password_hash = await self.hasher.hash(new_password)
        await user.save(update_fields=["password_hash", "updated_at"])
        await self.sessions.end_all(
            user_id=user.id, reason="password_changed", keep=principal.session.id
        )
        await emit(self.listeners, "password_changed", user.id)

    async def delete_account(self, *, principal: Principal, password: str | None) -> None:
        """Delete the user and all they own, after checking the password (counted, as above)
        or a re-authentication in the last 5 minutes."""
        user = principal.user
        await self.reauth.require(principal, password, field="password")
        await user.delete()
        for cleanup in self.cleanups:
            await cleanup(user)
