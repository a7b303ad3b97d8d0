"""Changing the account's email: a link to the new address, a notice to the old one."""

from __future__ import annotations

from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gamecoll.errors import Conflict, MailUnavailable, ValidationFailed
from gamecoll.models import User
from gamecoll.services import rules
from gamecoll.services.account_tokens import EMAIL_CHANGE, AccountTokens
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.outbox import Outbox
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.reauth import Reauth
from gamecoll.services.recovery import limit_mail_to
from gamecoll.services.sessions import Principal


class EmailChangeService:
    """Move an account to a new address once the new address proves it is reachable."""

    def __init__(
        self,
        *,
        tokens: AccountTokens,
        outbox: Outbox,
        reauth: Reauth,
        limiter: RateLimiter,
        lifetime: timedelta,
    ) -> None:
        self.tokens = tokens
        self.outbox = outbox
        self.reauth = reauth
        self.limiter = limiter
        self.lifetime = lifetime
        self.listeners: list[SecurityListener] = []

    async def request(
        self, *, principal: Principal, new_email: str, current_password: str | None, base_url: str
    ) -> str:
        """Ask to change the address; the answer does not say whether the new one is taken.

        Needs the password (counted toward the account's lockout like every other check) or
        a re-authentication in the last 5 minutes. Return
        the new address as it will be stored (normalised).
        """
        user = principal.user
        await self.reauth.require(principal, current_password)
        address = rules.clean_email(new_email, field="new_email")
        if address == user.email:
            raise ValidationFailed(fields={"new_email": "This is already your email address."})
        if not self.outbox.enabled:
            raise MailUnavailable()
        await limit_mail_to(self.limiter, address)
        if not await User.filter(email=address).exists():
            token = await self.tokens.issue(
                user=user, purpose=EMAIL_CHANGE, lifetime=self.lifetime, new_email=address
            )
            await self.outbox.enqueue(
                "email_change",
                to=address,
                link=f"{base_url}/email/confirm?token={token}",
                hours=int(self.lifetime.total_seconds() // 3600),
            )
        await emit(self.listeners, "email_change_requested", user.id)
        # The old address hears of it either way, so the two cases look alike to the asker.
        await self.outbox.enqueue(
            "email_change_notice",
            to=user.email,
            new_email=address,
            forgot_link=f"{base_url}/forgot",
        )
        return address

    async def confirm(self, *, token: str) -> tuple[User, str]:
        """Apply the change with the token from the new address; return the user and old one."""
        valid = await self.tokens.check(token, purpose=EMAIL_CHANGE)
        user, new_email = valid.user, str(valid.new_email)
        old_email = user.email
        try:
            async with in_transaction():
                await self.tokens.spend(valid)
                await User.filter(id=user.id).update(email=new_email, email_verified=True)
                await self.outbox.enqueue("email_changed", to=old_email, new_email=new_email)
        except IntegrityError:
            raise Conflict("Another account took this address meanwhile.") from None
        self.outbox.wake()
        await emit(self.listeners, "email_changed", user.id)
        user.email, user.email_verified = new_email, True
        return user, old_email
