"""Email verification: mail a one-time link, and mark the address verified when it is used."""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from gamecoll.errors import Conflict, MailUnavailable, TokenInvalidError
from gamecoll.models import User
from gamecoll.services.account_tokens import VERIFY, AccountTokens
from gamecoll.services.outbox import Outbox
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.recovery import limit_mail_to


class VerificationService:
    """Prove that the account's email address reaches its owner."""

    def __init__(
        self,
        *,
        tokens: AccountTokens,
        outbox: Outbox,
        limiter: RateLimiter,
        lifetime: timedelta,
        required: bool,
    ) -> None:
        self.tokens = tokens
        self.outbox = outbox
        self.limiter = limiter
        self.lifetime = lifetime
        self.required = required

    @property
    def hours(self) -> int:
        """How long a verification link works, in hours."""
        return int(self.lifetime.total_seconds() // 3600)

    async def registered(self, *, user: User, base_url: str) -> None:
        """Send the first link after registration (nothing when this server has no mail)."""
        if self.outbox.enabled and not user.email_verified:
            await self._send(user=user, base_url=base_url)

    async def resend(self, *, user: User, base_url: str) -> None:
        """Send a new link to the signed-in user; 409 when already verified."""
        if user.email_verified:
            raise Conflict("Your email address is already verified.")
        if not self.outbox.enabled:
            raise MailUnavailable()
        await limit_mail_to(self.limiter, user.email)
        await self._send(user=user, base_url=base_url)

    async def _send(self, *, user: User, base_url: str) -> None:
        token = await self.tokens.issue(
            user=user, purpose=VERIFY, lifetime=self.lifetime, new_email=user.email
        )
        await self.outbox.enqueue(
            "verify_email", to=user.email, link=f"{base_url}/verify?token={token}", hours=self.hours
        )

    async def verify(self, *, token: str) -> User:
        """Mark the address verified with the token from its link (400 when it is not valid)."""
        valid = await self.tokens.check(token, purpose=VERIFY)
        user = valid.user
        if valid.new_email != user.email:  # the address changed since the link was sent
            raise TokenInvalidError()
        async with in_transaction():
            await self.tokens.spend(valid)
            await User.filter(id=user.id).update(email_verified=True)
        user.email_verified = True
        return user

    def blocks(self, user: User) -> bool:
        """Tell whether this user must verify the email before using the collection."""
        return self.required and not user.email_verified
