"""Personal access tokens: create, list, revoke, and authenticate a request by one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from gamecoll.errors import Conflict, InvalidToken, NotFound, ValidationFailed
from gamecoll.models import AccessToken, User
from gamecoll.security.access_tokens import (
    SCOPES,
    access_token_hash,
    new_access_token,
    well_formed,
)
from gamecoll.security.identities import has_invisible
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.clock import utcnow

MAX_TOKENS: Final = 50
MAX_DAYS: Final = 3650
NAME_LENGTH: Final = 100
# last_used_at is written at most this often per token.
TOUCH_INTERVAL: Final = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What an access token lets a request do: whose it is and its scopes."""

    id: uuid.UUID
    user: User
    scopes: frozenset[str]


def clean_scopes(scopes: list[str]) -> list[str]:
    """Return the scopes in their canonical order; 422 for an unknown, repeated or empty list."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes or len(set(scopes)) != len(scopes):
        message = (
            f"Unknown scope {unknown[0]!r}; choose from {', '.join(SCOPES)}."
            if unknown
            else f"Choose one or more different scopes of {', '.join(SCOPES)}."
        )
        raise ValidationFailed(message, fields={"scopes": message})
    return [s for s in SCOPES if s in scopes]


def clean_name(name: str) -> str:
    """Return the token's name, trimmed; 422 when empty, too long or with hidden characters."""
    text = name.strip()
    problem = None
    if not text:
        problem = "Give the token a name, such as the script or device that will use it."
    elif len(text) > NAME_LENGTH:
        problem = f"The name may be at most {NAME_LENGTH} characters."
    elif has_invisible(text):
        problem = "Remove the invisible or control characters from the name."
    if problem:
        raise ValidationFailed(problem, fields={"name": problem})
    return text


class AccessTokenService:
    """Tokens for scripts and devices: shown once, stored as a hash, revocable one by one."""

    def __init__(self) -> None:
        self.listeners: list[SecurityListener] = []

    async def create(
        self, *, user: User, name: str, scopes: list[str], expires_in_days: int | None
    ) -> tuple[AccessToken, str]:
        """Make a token; return its row and the token itself (never shown again)."""
        clean = clean_name(name)
        chosen = clean_scopes(scopes)
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
            message = f"expires_in_days must be 1 to {MAX_DAYS}, or left out for no expiry."
            raise ValidationFailed(message, fields={"expires_in_days": message})
        if await AccessToken.filter(user_id=user.id).count() >= MAX_TOKENS:
            raise Conflict(f"An account may have at most {MAX_TOKENS} tokens; revoke one first.")
        token, digest = new_access_token()
        now = utcnow()
        row = await AccessToken.create(
            user_id=user.id,
            name=clean,
            token_hash=digest,
            scopes=" ".join(chosen),
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        await emit(self.listeners, "access_token_created", user.id)
        return row, token

    async def list(self, user_id: uuid.UUID) -> list[AccessToken]:
        """List the account's tokens, newest first (expired ones too, until revoked)."""
        return await AccessToken.filter(user_id=user_id).order_by("-created_at", "-id")

    async def revoke(self, *, user_id: uuid.UUID, token_id: uuid.UUID) -> None:
        """Revoke one of the account's tokens at once; another account's token is 404."""
        if not await AccessToken.filter(id=token_id, user_id=user_id).delete():
            raise NotFound("No token of yours with this id.")
        await emit(self.listeners, "access_token_revoked", user_id)

    async def revoke_all(self, user_id: uuid.UUID) -> int:
        """Revoke every token of the account (disabled by an operator, or a reset that asks)."""
        count: int = await AccessToken.filter(user_id=user_id).delete()
        if count:
            await emit(self.listeners, "access_token_revoked", user_id)
        return count

    async def authenticate(self, token: str) -> TokenGrant:
        """Return what a token grants; 401 when it is unknown, revoked or expired."""
        if not well_formed(token):
            raise InvalidToken("This access token is not valid.")
        row = await AccessToken.filter(token_hash=access_token_hash(token)).select_related("user")
        found = row[0] if row else None
        now = utcnow()
        if found is None or found.user.disabled_at is not None:
            raise InvalidToken("This access token is not valid or was revoked.")
        if found.expires_at is not None and found.expires_at <= now:
            raise InvalidToken("This access token has expired; make a new one in the settings.")
        if found.last_used_at is None:
            first = await AccessToken.filter(id=found.id, last_used_at__isnull=True).update(
                last_used_at=now
            )
            if first:
                await emit(self.listeners, "access_token_first_used", found.user_id)
        elif now - found.last_used_at > TOUCH_INTERVAL:
            await AccessToken.filter(id=found.id).update(last_used_at=now)
        return TokenGrant(id=found.id, user=found.user, scopes=frozenset(found.scopes.split()))
