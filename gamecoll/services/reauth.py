"""Re-authentication: sensitive changes need the password, or a proof of the user in the
last five minutes (the password, or a second factor) recorded on the session.

The password, the email, the factors, deleting the account and ending every session all
ask `Reauth.require`. A login counts as a proof (the session starts re-authenticated).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from gamecoll.errors import ReauthRequired, ValidationFailed
from gamecoll.models import Session
from gamecoll.services.clock import utcnow
from gamecoll.services.mfa import MfaService, Proof
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.sessions import Principal

WINDOW: Final = timedelta(minutes=5)


class Reauth:
    """Record and check a session's recent proof of its user."""

    def __init__(self, *, checks: PasswordChecks, mfa: MfaService, window: timedelta = WINDOW):
        self.checks = checks
        self.mfa = mfa
        self.window = window

    async def confirm(
        self, principal: Principal, *, password: str | None = None, proof: Proof | None = None
    ) -> str:
        """Check a password or a second factor (counted) and record it; name which was used."""
        if password:
            await self._password(principal, password, field="password")
            return "password"
        if proof is not None:
            method = await self.mfa.verify(principal.user, proof)
            await self._mark(principal)
            return method
        raise ValidationFailed(
            "Send password, or a code from your second factor.",
            fields={"password": "Send your password or a code."},
        )

    async def require(
        self, principal: Principal, password: str | None, *, field: str = "current_password"
    ) -> None:
        """Pass with the right password or a proof within the window; else 403/422."""
        if password:
            await self._password(principal, password, field=field)
            return
        if not await self.recent(principal):
            raise ReauthRequired(fields={field: "Enter your password to confirm it is you."})

    async def recent(self, principal: Principal) -> bool:
        """Tell whether this session proved its user within the window."""
        row = await Session.get_or_none(id=principal.session.id).only("reauthenticated_at")
        moment = row.reauthenticated_at if row is not None else None
        return moment is not None and utcnow() - moment <= self.window

    async def _password(self, principal: Principal, password: str, *, field: str) -> None:
        if not await self.checks.check(user=principal.user, password=password):
            message = (
                "The current password is not right."
                if field == "current_password"
                else "The password is not right."
            )
            raise ValidationFailed(message, fields={field: message})
        await self._mark(principal)

    @staticmethod
    async def _mark(principal: Principal) -> None:
        await Session.filter(id=principal.session.id).update(reauthenticated_at=utcnow())
