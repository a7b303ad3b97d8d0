"""Logins with a second factor: the pending login behind an `mfa_token`, and the factors.

A factor is anything that can check a `Proof` for an account (`SecondFactor`): the
authenticator app with its recovery codes (services/totp.py) answers proofs of kind "code";
another kind (a passkey) plugs in by appending an object with its own `kinds` to
`MfaService.factors`. Every check runs through `PasswordChecks.check_factor`, so wrong codes
count towards the account's lockout like wrong passwords.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Final, Protocol

from gamecoll.errors import (
    AccountDisabled,
    CodeInvalid,
    CodeReused,
    Conflict,
    MfaRequired,
    MfaTokenExpired,
    MfaTokenInvalid,
)
from gamecoll.models import MfaChallenge, User
from gamecoll.security.link_tokens import link_token_hash, new_link_token, well_formed
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.clock import utcnow
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.sessions import IssuedTokens, SessionService

CHALLENGE_LIFETIME: Final = timedelta(minutes=5)
# Wrong answers one mfa_token takes before it dies (each also counts to the lockout).
CHALLENGE_FAILURES: Final = 5


@dataclass(frozen=True, slots=True)
class Proof:
    """What a user offers as a second factor: its kind ("code", ...) and its value."""

    kind: str
    value: str | Mapping[str, Any]


class SecondFactor(Protocol):
    """One kind of second factor."""

    kinds: tuple[str, ...]  # the proof kinds it checks
    methods: tuple[str, ...]  # what a client may offer, as named in `mfa_required`
    switches_on: bool  # whether having it turns the second step on (a passkey alone does not)

    async def enabled(self, user_id: uuid.UUID) -> bool:
        """Tell whether the account has this factor turned on."""
        ...

    async def verify(self, user: User, proof: Proof) -> str:
        """Check a proof; return the method used, or raise CodeInvalid or CodeReused."""
        ...


class MfaService:
    """Ask for a second factor after the password, and check the answer."""

    def __init__(
        self, *, checks: PasswordChecks, sessions: SessionService, lifetime: timedelta
    ) -> None:
        self.checks = checks
        self.sessions = sessions
        self.lifetime = lifetime
        self.factors: list[SecondFactor] = []
        self.listeners: list[SecurityListener] = []

    async def methods(self, user_id: uuid.UUID) -> list[str]:
        """List what the account can offer as its second factor (empty: none is on)."""
        found: list[str] = []
        required = False
        for factor in self.factors:
            if await factor.enabled(user_id):
                found.extend(factor.methods)
                required = required or factor.switches_on
        return found if required else []

    async def challenge(self, user: User) -> None:
        """Raise mfa_required with a fresh mfa_token when the account has a second factor."""
        methods = await self.methods(user.id)
        if not methods:
            return
        token, digest = new_link_token()
        now = utcnow()
        await MfaChallenge.create(
            token_hash=digest, user_id=user.id, created_at=now, expires_at=now + self.lifetime
        )
        raise MfaRequired(
            extra={
                "mfa_token": token,
                "expires_in": int(self.lifetime.total_seconds()),
                "methods": methods,
            }
        )

    async def verify(self, user: User, proof: Proof) -> str:
        """Check a proof against the account's factors (counted); return the method used."""
        for factor in self.factors:
            if proof.kind in factor.kinds and await factor.enabled(user.id):
                return await self.checks.check_factor(
                    user=user, attempt=partial(factor.verify, user, proof)
                )
        raise Conflict(f"This account has no second factor that takes a {proof.kind}.")

    async def complete(
        self, *, mfa_token: str, proof: Proof, ip: str, user_agent: str
    ) -> IssuedTokens:
        """Finish a login with its second factor: the mfa_token is spent on success.

        Counted against the client's login rate (RATE_LIMIT_LOGIN_PER_MINUTE) like a login.
        """
        await self.checks.limiter.hit(action="login", ip=ip)
        if not well_formed(mfa_token):
            raise MfaTokenInvalid()
        digest = link_token_hash(mfa_token)
        row = await MfaChallenge.get_or_none(token_hash=digest)
        if row is None or row.used_at is not None:
            raise MfaTokenInvalid()
        if row.expires_at <= utcnow():
            raise MfaTokenExpired()
        user = await User.get_or_none(id=row.user_id)
        if user is None:
            raise MfaTokenInvalid()
        try:
            method = await self.verify(user, proof)
        except (CodeInvalid, CodeReused):
            await emit(self.listeners, "login_failed", user.id)
            await self._count_failure(row)
            raise
        spent = await MfaChallenge.filter(token_hash=digest, used_at__isnull=True).update(
            used_at=utcnow()
        )
        if not spent:  # another request finished this login first
            raise MfaTokenInvalid()
        if user.disabled_at is not None:
            raise AccountDisabled()
        if method == "recovery_code":
            await emit(self.listeners, "recovery_code_used", user.id)
        await emit(self.listeners, "login_succeeded", user.id)
        return await self.sessions.start(user=user, ip=ip, user_agent=user_agent)

    async def pending_user(self, mfa_token: str) -> User:
        """Return the account of a login waiting for its second factor (nothing is spent)."""
        if not well_formed(mfa_token):
            raise MfaTokenInvalid()
        row = await MfaChallenge.get_or_none(token_hash=link_token_hash(mfa_token))
        if row is None or row.used_at is not None:
            raise MfaTokenInvalid()
        if row.expires_at <= utcnow():
            raise MfaTokenExpired()
        user = await User.get_or_none(id=row.user_id)
        if user is None:
            raise MfaTokenInvalid()
        return user

    @staticmethod
    async def _count_failure(row: MfaChallenge) -> None:
        """Count a wrong answer on this mfa_token; the last one allowed spends it."""
        failures = row.failures + 1
        update: dict[str, Any] = {"failures": failures}
        if failures >= CHALLENGE_FAILURES:
            update["used_at"] = utcnow()
        await MfaChallenge.filter(token_hash=row.token_hash).update(**update)
