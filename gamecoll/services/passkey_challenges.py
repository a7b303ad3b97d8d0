"""The challenges of passkey ceremonies: stored (as SHA-256) with a purpose, an account and a
short expiry, in the database so that any instance can finish a ceremony another started.

The answer names its challenge in its signed client data; the first answer spends it,
whatever the outcome, so a challenge serves one attempt only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Final

from gamecoll.errors import PasskeyChallengeExpired, PasskeyChallengeInvalid
from gamecoll.models import PasskeyChallenge
from gamecoll.security.passkeys import ClientAnswer, challenge_key, new_challenge
from gamecoll.services.clock import utcnow

LIFETIME: Final = timedelta(minutes=5)
REGISTER, LOGIN, SECOND_FACTOR = "register", "login", "mfa"
"""Purposes: adding a passkey; logging in with one alone; one as the second factor of a
login, or to re-authenticate (both bound to the account)."""


async def issue(purpose: str, user_id: uuid.UUID | None) -> bytes:
    """Store a fresh challenge for one ceremony; drop the expired ones on the way."""
    now = utcnow()
    await PasskeyChallenge.filter(expires_at__lt=now).delete()
    challenge = new_challenge()
    await PasskeyChallenge.create(
        challenge_hash=challenge_key(challenge),
        purpose=purpose,
        user_id=user_id,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    return challenge


async def spend(answer: ClientAnswer, purpose: str, user_id: uuid.UUID | None) -> bytes:
    """Spend the challenge an answer signed; refuse unknown, used, foreign or expired ones."""
    key = challenge_key(answer.challenge)
    row = await PasskeyChallenge.get_or_none(challenge_hash=key)
    if row is None or row.purpose != purpose or (user_id and row.user_id != user_id):
        raise PasskeyChallengeInvalid()
    if not await PasskeyChallenge.filter(challenge_hash=key).delete():
        raise PasskeyChallengeInvalid()  # another request spent it a moment ago
    if row.expires_at <= utcnow():
        raise PasskeyChallengeExpired()
    return answer.challenge
