"""The authenticator app (TOTP) and its recovery codes: set up, confirm, check, turn off."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gamecoll.errors import CodeInvalid, CodeReused, Conflict
from gamecoll.models import RecoveryCode, TotpFactor, User
from gamecoll.security import recovery_codes, totp
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.clock import utcnow
from gamecoll.services.mfa import Proof

ISSUER: Final = "gamecoll"


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """A pending secret, as the user's app reads it."""

    secret: str
    otpauth_uri: str
    qr_svg: str
    qr_data_uri: str


def _setup(secret: str, uri: str) -> TotpSetup:
    return TotpSetup(
        secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri), qr_data_uri=totp.qr_data_uri(uri)
    )


class TotpService:
    """One authenticator app per account, with ten one-time recovery codes.

    Checks here are not counted; callers go through MfaService.verify (or
    PasswordChecks.check_factor), which counts wrong codes towards the lockout.
    """

    kinds: tuple[str, ...] = ("code",)
    methods: tuple[str, ...] = ("totp", "recovery_code")
    switches_on = True  # an account with the app on is asked for a second factor

    def __init__(self) -> None:
        self.listeners: list[SecurityListener] = []

    async def enabled(self, user_id: uuid.UUID) -> bool:
        """Tell whether the account has a confirmed authenticator app."""
        return await TotpFactor.filter(user_id=user_id, confirmed_at__isnull=False).exists()

    async def recovery_codes_left(self, user_id: uuid.UUID) -> int:
        """Count the account's unused recovery codes."""
        return await RecoveryCode.filter(user_id=user_id, used_at__isnull=True).count()

    async def pending(self, user: User) -> TotpSetup | None:
        """Return the set-up waiting for its first code, or None."""
        row = await TotpFactor.get_or_none(user_id=user.id, confirmed_at__isnull=True)
        if row is None:
            return None
        uri = totp.otpauth_uri(row.secret, account=user.email, issuer=ISSUER)
        return _setup(row.secret, uri)

    async def setup(self, user: User) -> TotpSetup:
        """Make a new pending secret (replacing a pending one); 409 when one is already on."""
        if await self.enabled(user.id):
            raise Conflict(
                "An authenticator app is already set up; turn it off first to replace it."
            )
        secret = totp.new_secret()
        try:
            async with in_transaction():
                await TotpFactor.filter(user_id=user.id, confirmed_at__isnull=True).delete()
                await TotpFactor.create(user_id=user.id, secret=secret, created_at=utcnow())
        except IntegrityError:  # another set-up (or a confirmation) of this account won the race
            raise Conflict(
                "Another set-up of the authenticator app is under way; reload and try again."
            ) from None
        uri = totp.otpauth_uri(secret, account=user.email, issuer=ISSUER)
        return _setup(secret, uri)

    async def confirm(self, user: User, code: str) -> list[str]:
        """Turn the pending secret on with a first code; return the new recovery codes."""
        row = await TotpFactor.get_or_none(user_id=user.id)
        if row is None or row.confirmed_at is not None:
            raise Conflict(
                "There is no authenticator app waiting to be confirmed; start the set-up first."
                if row is None
                else "The authenticator app is already on."
            )
        found = totp.check_code(row.secret, code, at=utcnow(), after=None)
        if found.step is None:
            raise CodeInvalid("This code is not right; check the time on your phone.")
        async with in_transaction():
            confirmed = await TotpFactor.filter(user_id=user.id, confirmed_at__isnull=True).update(
                confirmed_at=utcnow(), last_step=found.step
            )
            if not confirmed:
                raise Conflict("The authenticator app is already on.")
            codes = await self._new_codes(user.id)
        await emit(self.listeners, "totp_enabled", user.id)
        return codes

    async def renew_codes(self, user: User) -> list[str]:
        """Replace the recovery codes with a new set; 409 without an authenticator app."""
        if not await self.enabled(user.id):
            raise Conflict("Recovery codes come with an authenticator app; set one up first.")
        async with in_transaction():
            codes = await self._new_codes(user.id)
        await emit(self.listeners, "recovery_codes_renewed", user.id)
        return codes

    async def disable(self, user: User) -> None:
        """Turn the authenticator app off and forget its recovery codes."""
        async with in_transaction():
            removed = await TotpFactor.filter(user_id=user.id).delete()
            await RecoveryCode.filter(user_id=user.id).delete()
        if removed:
            await emit(self.listeners, "totp_disabled", user.id)

    async def verify(self, user: User, proof: Proof) -> str:
        """Check a TOTP code (once per time step) or a recovery code (once); name which."""
        value = proof.value if isinstance(proof.value, str) else ""
        if totp.clean_code(value) is not None:
            await self._use_totp(user.id, value)
            return "totp"
        typed = recovery_codes.normalise(value)
        if typed is None:
            raise CodeInvalid("Enter the 6 digits from your authenticator app, or a recovery code.")
        digest = recovery_codes.code_hash(str(user.id), typed)
        used = await RecoveryCode.filter(
            code_hash=digest, user_id=user.id, used_at__isnull=True
        ).update(used_at=utcnow())
        if used:
            return "recovery_code"
        if await RecoveryCode.filter(code_hash=digest, user_id=user.id).exists():
            raise CodeReused("This recovery code was already used; each works once.")
        raise CodeInvalid("This recovery code is not right.")

    async def _use_totp(self, user_id: uuid.UUID, code: str) -> None:
        row = await TotpFactor.get_or_none(user_id=user_id, confirmed_at__isnull=False)
        if row is None:
            raise CodeInvalid()
        found = totp.check_code(row.secret, code, at=utcnow(), after=row.last_step)
        if found.step is None:
            raise CodeInvalid("This code is not right; check the time on your phone.")
        # One conditional UPDATE: of two requests with the same code, only one moves the step.
        moved = await TotpFactor.filter(
            Q(last_step__isnull=True) | Q(last_step__lt=found.step), user_id=user_id
        ).update(last_step=found.step)
        if found.replayed or not moved:
            raise CodeReused()

    @staticmethod
    async def _new_codes(user_id: uuid.UUID) -> list[str]:
        """Replace the account's recovery codes (inside the caller's transaction)."""
        codes = recovery_codes.new_codes()
        now = utcnow()
        await RecoveryCode.filter(user_id=user_id).delete()
        await RecoveryCode.bulk_create(
            [
                RecoveryCode(
                    code_hash=recovery_codes.code_hash(
                        str(user_id), str(recovery_codes.normalise(c))
                    ),
                    user_id=user_id,
                    created_at=now,
                )
                for c in codes
            ]
        )
        return codes
