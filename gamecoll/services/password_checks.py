"""The one rule for checking a password or a second factor: failures count per account,
with back-off."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from gamecoll.errors import CodeInvalid, CodeReused
from gamecoll.models import User
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.rate_limits import RateLimiter

T = TypeVar("T")


def failure_key(user: User | None, typed: str) -> str:
    """Name the failure counter: the account's id, or the typed name when none matches.

    Keyed on the account, its email and its username share one count. A name that matches
    no account still gets a count of its own, so the answers reveal nothing.
    """
    return f"user:{user.id}" if user is not None else f"name:{typed}"


class PasswordChecks:
    """Check passwords and second-factor codes at login and at every re-check."""

    def __init__(self, *, hasher: PasswordHasher, limiter: RateLimiter) -> None:
        self.hasher = hasher
        self.limiter = limiter

    async def check(
        self, *, user: User | None, password: str, typed: str = "", clear: bool = True
    ) -> bool:
        """Tell whether the password is the user's; 429 while the account is locked.

        A locked account is refused even with the right password, until the wait ends.
        With no user the check costs the same bcrypt time and answers False. `clear=False`
        keeps the count after a right password (a login that still needs its second factor:
        else the password would wipe the count of wrong codes).
        """
        key = failure_key(user, typed)
        await self.limiter.check_account(account=key)
        valid = await self.hasher.verify(password, user.password_hash if user else None)
        if user is None or not valid:
            await self.limiter.record_failure(account=key)
            return False
        if clear:
            await self.limiter.clear_failures(account=key)
        return True

    async def check_factor(self, *, user: User, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run a second-factor check; a wrong or reused code counts as a wrong password.

        429 while the account is locked, before the code is even looked at.
        """
        key = failure_key(user, "")
        await self.limiter.check_account(account=key)
        try:
            result = await attempt()
        except (CodeInvalid, CodeReused):
            await self.limiter.record_failure(account=key)
            raise
        await self.limiter.clear_failures(account=key)
        return result

    async def forgive(self, user: User) -> None:
        """Forget the account's failed checks (a reset by mail, or an operator's enable)."""
        await self.limiter.clear_failures(account=failure_key(user, ""))
