"""What an operator may do to any account (the `python -m gamecoll users ...` commands)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from gamecoll.errors import Conflict, NotFound
from gamecoll.models import Item, Session, User
from gamecoll.services import rules
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.auth import AuthService
from gamecoll.services.clock import utcnow
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.sessions import SessionService
from gamecoll.services.users import UserService


@dataclass(frozen=True)
class AccountFacts:
    """What `users show` prints: never a password hash or a token hash."""

    user: User
    live_sessions: int
    items: int


class AccountAdmin:
    """Operator actions on accounts, by email address (or id)."""

    def __init__(
        self,
        *,
        hasher: PasswordHasher,
        checks: PasswordChecks,
        sessions: SessionService,
        users: UserService,
        access_tokens: AccessTokenService | None = None,
    ) -> None:
        self.hasher = hasher
        self.checks = checks
        self.sessions = sessions
        self.users = users
        self.access_tokens = access_tokens
        self.listeners: list[SecurityListener] = []

    async def find(self, account: str) -> User:
        """Find an account by email, username or id; 404 with a clear line when there is none."""
        key = account.strip()
        user: User | None = None
        try:
            user = await User.get_or_none(id=uuid.UUID(key))
        except ValueError:
            user = await AuthService.find_account(rules.account_key(key))
        if user is None:
            raise NotFound(f"No account matches {account!r}.")
        return user

    async def list(self, *, limit: int = 1000) -> list[User]:
        """List accounts, oldest first."""
        return await User.all().order_by("created_at").limit(limit)

    async def facts(self, user: User) -> AccountFacts:
        """Count the account's live sessions and items."""
        live = await Session.filter(
            user_id=user.id, revoked_at__isnull=True, expires_at__gt=utcnow()
        ).count()
        items = await Item.filter(user_id=user.id).count()
        return AccountFacts(user=user, live_sessions=live, items=items)

    async def create(self, *, email: str, username: str | None, password: str | None) -> User:
        """Create an account; without a password it gets an unusable one (send a reset link)."""
        address = rules.clean_email(email)
        name = rules.clean_username(username)
        if password is not None:
            rules.check_new_password(password)
        secret = password if password is not None else secrets.token_urlsafe(48)
        if await User.filter(email=address).exists():
            raise Conflict(f"An account with the email {address} already exists.")
        try:
            return await User.create(
                email=address,
                username=name,
                username_key=rules.username_key(name),
                password_hash=await self.hasher.hash(secret),
                email_verified=True,  # an operator vouches for the address
            )
        except IntegrityError:
            raise Conflict("That email or username is already registered.") from None

    async def verify(self, user: User) -> None:
        """Mark the account's email address verified."""
        await User.filter(id=user.id).update(email_verified=True)

    async def disable(self, user: User) -> int:
        """Disable the account and end every session at once; return how many ended."""
        await User.filter(id=user.id).update(disabled_at=utcnow())
        await emit(self.listeners, "account_disabled", user.id)
        if self.access_tokens is not None:  # its tokens die with the disabling
            await self.access_tokens.revoke_all(user.id)
        return await self.sessions.end_all(user_id=user.id, reason="disabled")

    async def enable(self, user: User) -> None:
        """Let a disabled account log in again, with no lockout left from failed checks."""
        await User.filter(id=user.id).update(disabled_at=None)
        await self.checks.forgive(user)
        await emit(self.listeners, "account_enabled", user.id)

    async def delete(self, user: User) -> None:
        """Delete the account with its sessions, items and image files."""
        await user.delete()
        for cleanup in self.users.cleanups:
            await cleanup(user)
