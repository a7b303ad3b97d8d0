"""Issue and spend one-time account tokens; each rule about them is here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from gamecoll.errors import TokenExpiredError, TokenInvalidError
from gamecoll.models import AccountToken, User
from gamecoll.security.link_tokens import (
    link_token_hash,
    new_link_token,
    password_marker,
    well_formed,
)
from gamecoll.services.clock import utcnow

RESET: Final = "reset"
VERIFY: Final = "verify"
EMAIL_CHANGE: Final = "email"
# Tokens that die when the password changes by any path (a reset, a change, an operator).
BOUND_TO_PASSWORD: Final = frozenset({RESET, EMAIL_CHANGE})
USED_KEPT_FOR: Final = timedelta(days=1)


@dataclass(frozen=True)
class ValidToken:
    """A token that may be spent, with its account."""

    token_hash: str
    user: User
    new_email: str | None


class AccountTokens:
    """One-time tokens stored as hashes: single use, limited life, bound to the password."""

    async def issue(
        self, *, user: User, purpose: str, lifetime: timedelta, new_email: str | None = None
    ) -> str:
        """Make a token for this account and purpose, voiding the account's earlier ones."""
        now = utcnow()
        await AccountToken.filter(user_id=user.id, purpose=purpose, used_at__isnull=True).update(
            used_at=now
        )
        token, digest = new_link_token()
        await AccountToken.create(
            token_hash=digest,
            user_id=user.id,
            purpose=purpose,
            new_email=new_email,
            password_marker=password_marker(user.password_hash),
            created_at=now,
            expires_at=now + lifetime,
        )
        return token

    async def check(self, token: str, *, purpose: str) -> ValidToken:
        """Return the token's account if it may be spent; 400 token_invalid/token_expired."""
        if not isinstance(token, str) or not well_formed(token):
            raise TokenInvalidError()
        digest = link_token_hash(token)
        row = await AccountToken.get_or_none(token_hash=digest, purpose=purpose)
        if row is None or row.used_at is not None:
            raise TokenInvalidError()
        if row.expires_at <= utcnow():
            raise TokenExpiredError()
        user = await User.get_or_none(id=row.user_id)
        if user is None or user.disabled_at is not None:
            raise TokenInvalidError()
        if purpose in BOUND_TO_PASSWORD and row.password_marker != password_marker(
            user.password_hash
        ):
            raise TokenInvalidError()
        return ValidToken(token_hash=digest, user=user, new_email=row.new_email)

    async def spend(self, valid: ValidToken) -> None:
        """Mark a checked token used; a token spent meanwhile by another request is invalid."""
        spent = await AccountToken.filter(token_hash=valid.token_hash, used_at__isnull=True).update(
            used_at=utcnow()
        )
        if not spent:
            raise TokenInvalidError()
