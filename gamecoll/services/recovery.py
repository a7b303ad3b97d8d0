"""Forgotten passwords: mail a one-time link, and set a new password with it."""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from gamecoll.errors import MailUnavailable, RateLimited, TokenInvalidError, wait_text
from gamecoll.models import User
from gamecoll.services import account_rules
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.account_tokens import RESET, AccountTokens
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.auth import AuthService
from gamecoll.services.clock import utcnow
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.outbox import Outbox
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.sessions import SessionService


def when_text() -> str:
    """Say when something happened, for a notice mail."""
    return utcnow().strftime("%Y-%m-%d %H:%M UTC")


async def limit_mail_to(limiter: RateLimiter, address: str) -> None:
    """Count one mail to this address; 429 past RATE_LIMIT_MAIL_PER_ADDRESS_PER_HOUR."""
    try:
        await limiter.hit(action="mail_address", ip=address)
    except RateLimited as exc:
        raise RateLimited(
            exc.retry_after,
            f"Too many mails to this address; try again in {wait_text(exc.retry_after)}.",
        ) from None


class RecoveryService:
    """Reset a forgotten password through a link sent by mail."""

    def __init__(
        self,
        *,
        tokens: AccountTokens,
        outbox: Outbox,
        hasher: PasswordHasher,
        checks: PasswordChecks,
        sessions: SessionService,
        limiter: RateLimiter,
        reset_lifetime: timedelta,
        access_tokens: AccessTokenService | None = None,
    ) -> None:
        self.tokens = tokens
        self.outbox = outbox
        self.hasher = hasher
        self.checks = checks
        self.sessions = sessions
        self.limiter = limiter
        self.reset_lifetime = reset_lifetime
        self.access_tokens = access_tokens
        self.listeners: list[SecurityListener] = []

    @property
    def minutes(self) -> int:
        """How long a reset link works, in minutes."""
        return int(self.reset_lifetime.total_seconds() // 60)

    async def forgot(self, *, email: str, ip: str, base_url: str) -> None:
        """Mail a reset link when the account exists; answer the same way when it does not."""
        address = account_rules.clean_email(email)
        if not self.outbox.enabled:
            raise MailUnavailable()
        await self.limiter.hit(action="forgot", ip=ip)
        await limit_mail_to(self.limiter, address)
        user = await AuthService.find_account(address)
        if user is None or user.disabled_at is not None:
            return
        link = await self.reset_link(user=user, base_url=base_url)
        await self.outbox.enqueue("password_reset", to=user.email, link=link, minutes=self.minutes)

    async def reset_link(self, *, user: User, base_url: str) -> str:
        """Issue a reset token for this account and return its link (also for operators)."""
        token = await self.tokens.issue(user=user, purpose=RESET, lifetime=self.reset_lifetime)
        return f"{base_url}/reset?token={token}"

    async def check(self, token: str) -> None:
        """Raise 400 token_invalid or token_expired unless the reset link may still be used."""
        await self.tokens.check(token, purpose=RESET)

    async def reset(
        self, *, token: str, new_password: str, base_url: str, revoke_tokens: bool = False
    ) -> User:
        """Set a new password with a reset token; every session of the account ends, and
        with `revoke_tokens` every personal access token too."""
        valid = await self.tokens.check(token, purpose=RESET)
        account_rules.check_new_password(new_password, field="new_password")
        new_hash = await self.hasher.hash(new_password)
        user = valid.user
        async with in_transaction():
            await self.tokens.spend(valid)
            changed = await User.filter(id=user.id, password_hash=user.password_hash).update(
                password_hash=new_hash, updated_at=utcnow()
            )
            if not changed:  # the password changed since the check: the token is void
                raise TokenInvalidError()
            await self.sessions.end_all(user_id=user.id, reason="password_reset")
            if self.outbox.enabled:
                await self.outbox.enqueue(
                    "password_reset_done",
                    to=user.email,
                    when=when_text(),
                    forgot_link=f"{base_url}/forgot",
                )
        self.outbox.wake()
        await self.checks.forgive(user)  # the owner proved it by mail: no lockout left
        await emit(self.listeners, "password_reset", user.id)
        if revoke_tokens and self.access_tokens is not None:
            await self.access_tokens.revoke_all(user.id)
        user.password_hash = new_hash
        return user
