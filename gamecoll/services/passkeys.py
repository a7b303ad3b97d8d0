"""Passkeys: register them, log in with one (no password), list, rename and remove them.

Every ceremony starts with options holding a fresh single-use challenge
(`services/passkey_challenges.py`) and ends with the browser's answer to it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Final

from tortoise.exceptions import IntegrityError
from webauthn import generate_authentication_options, generate_registration_options
from webauthn.helpers import options_to_json
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gamecoll.errors import (
    AccountDisabled,
    Conflict,
    NotFound,
    PasskeyCounterRegressed,
    PasskeyNeedsDomain,
    PasskeyRejected,
    PasskeysUnavailable,
    PasskeyUnknown,
    ValidationFailed,
)
from gamecoll.models import Passkey, User
from gamecoll.security.identities import has_invisible
from gamecoll.security.passkeys import (
    RelyingParty,
    check_site,
    counter_went_back,
    from_b64url,
    read_answer,
    verify_assertion,
    verify_new,
)
from gamecoll.services import passkey_challenges as challenges
from gamecoll.services.activity import SecurityListener, current_client, emit
from gamecoll.services.clock import utcnow
from gamecoll.services.outbox import Outbox
from gamecoll.services.passkey_challenges import LOGIN, REGISTER, SECOND_FACTOR
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.reauth import Reauth
from gamecoll.services.sessions import IssuedTokens, Principal, SessionService

BROWSER_TIMEOUT_MS: Final = 180_000  # what the browser gives the person; the challenge outlives it
MAX_PER_ACCOUNT: Final = 20
NAME_MAX: Final = 64
NOT_USABLE: Final = (
    "Passkeys need PUBLIC_BASE_URL to name the site by a domain name (browsers refuse them "
    "on an IP address), for example http://localhost:8080 or https://games.example."
)


def clean_name(value: str | None, *, default: str) -> str:
    """Check a passkey's name: 1 to 64 visible characters; empty gives the default."""
    name = (value or "").strip()
    if not name:
        return default
    if has_invisible(name) or any(ord(c) < 0x20 or c == "\x7f" for c in name):
        raise ValidationFailed(fields={"name": "Remove the invisible or control characters."})
    if len(name) > NAME_MAX:
        raise ValidationFailed(fields={"name": f"Use at most {NAME_MAX} characters."})
    return name


def _descriptor(credential_id: str) -> PublicKeyCredentialDescriptor:
    """Name a stored passkey in options (allow or exclude lists)."""
    return PublicKeyCredentialDescriptor(id=from_b64url(credential_id, "credential_id"))


class PasskeyService:
    """Own every rule about passkeys and their ceremonies."""

    def __init__(
        self,
        *,
        public_base_url: str,
        production: bool,
        sessions: SessionService,
        reauth: Reauth,
        limiter: RateLimiter,
        outbox: Outbox,
    ) -> None:
        self.public_base_url = public_base_url
        self.production = production
        self.sessions = sessions
        self.reauth = reauth
        self.limiter = limiter
        self.outbox = outbox
        self.listeners: list[SecurityListener] = []  # passkey_added, passkey_removed, logins

    def relying_party(self, request_origin: str) -> RelyingParty:
        """Return who passkeys are for: PUBLIC_BASE_URL, or this request's origin in development.

        Production never trusts the Host header for this: a proxy in front of a phishing site
        could name any host, and the passkey's origin check would then pass for it.
        """
        if self.public_base_url:
            rp = RelyingParty.from_origin(self.public_base_url)
            if not rp.usable:
                raise PasskeysUnavailable(NOT_USABLE)
            return rp
        if self.production:
            raise PasskeysUnavailable()
        rp = RelyingParty.from_origin(request_origin)
        if not rp.usable:  # development, reached by its address: say how to reach it instead
            raise PasskeyNeedsDomain()
        return rp

    # -- registration ---------------------------------------------------------------------

    async def registration_options(
        self, *, principal: Principal, rp: RelyingParty, current_password: str | None
    ) -> dict[str, Any]:
        """Start adding a passkey (a factor: needs the password or a recent proof of the user)."""
        user = principal.user
        await self.reauth.require(principal, current_password)
        keys = await Passkey.filter(user_id=user.id).values_list("credential_id", flat=True)
        if len(keys) >= MAX_PER_ACCOUNT:
            raise Conflict(f"An account can have {MAX_PER_ACCOUNT} passkeys; remove one first.")
        options = generate_registration_options(
            rp_id=rp.id,
            rp_name=rp.name,
            user_id=user.id.bytes,
            user_name=user.email,
            user_display_name=user.username or user.email,
            challenge=await challenges.issue(REGISTER, user.id),
            timeout=BROWSER_TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[_descriptor(str(k)) for k in keys],
        )
        return dict(json.loads(options_to_json(options)))

    async def register(
        self, *, user: User, credential: object, name: str | None, rp: RelyingParty
    ) -> Passkey:
        """Finish registering: check the answer, store the public key, tell the owner."""
        answer = read_answer(credential, "create")
        label = clean_name(name, default=f"Passkey of {utcnow():%Y-%m-%d}")
        challenge = await challenges.spend(answer, REGISTER, user.id)
        check_site(answer, rp)
        new = verify_new(answer, challenge=challenge, rp=rp)
        try:
            passkey = await Passkey.create(
                user_id=user.id,
                credential_id=new.credential_id,
                public_key=new.public_key,
                sign_count=new.sign_count,
                name=label,
                aaguid=new.aaguid,
                transports=",".join(new.transports),
                backed_up=new.backed_up,
                created_at=utcnow(),
            )
        except IntegrityError:
            raise Conflict("This passkey is registered already.") from None
        await emit(self.listeners, "passkey_added", user.id)
        await self._notice("passkey_added", user, label)
        return passkey

    # -- logging in and second factor ------------------------------------------------------

    async def login_options(
        self, *, rp: RelyingParty, ip: str, user: User | None = None
    ) -> dict[str, Any]:
        """Options for `navigator.credentials.get()`: any passkey of this site, or the user's."""
        await self.limiter.hit(action="login", ip=ip)  # each one stores a challenge
        allow: list[PublicKeyCredentialDescriptor] = []
        purpose, owner = LOGIN, None
        if user is not None:
            keys = await Passkey.filter(user_id=user.id).values_list("credential_id", flat=True)
            if not keys:
                raise PasskeyUnknown("This account has no passkey.")
            allow = [_descriptor(str(k)) for k in keys]
            purpose, owner = SECOND_FACTOR, user.id
        options = generate_authentication_options(
            rp_id=rp.id,
            challenge=await challenges.issue(purpose, owner),
            timeout=BROWSER_TIMEOUT_MS,
            allow_credentials=allow,
            # Alone, a passkey must prove the person (PIN, fingerprint); as a second factor
            # after the password, presence is enough.
            user_verification=UserVerificationRequirement.PREFERRED
            if user
            else UserVerificationRequirement.REQUIRED,
        )
        return dict(json.loads(options_to_json(options)))

    async def assert_passkey(
        self, *, credential: object, rp: RelyingParty, user: User | None = None
    ) -> tuple[User, Passkey]:
        """Check a login answer (of `user`'s passkeys when given); count its use."""
        answer = read_answer(credential, "get")
        purpose, owner = (SECOND_FACTOR, user.id) if user else (LOGIN, None)
        challenge = await challenges.spend(answer, purpose, owner)
        check_site(answer, rp)
        passkey = (
            await Passkey.filter(credential_id=answer.credential_id).select_related("user").first()
        )
        if passkey is None or (user is not None and passkey.user_id != user.id):
            raise PasskeyUnknown()
        if answer.user_handle is not None and answer.user_handle != passkey.user_id.bytes:
            raise PasskeyRejected("The passkey answer names another account.")
        if counter_went_back(passkey.sign_count, answer.sign_count):
            raise PasskeyCounterRegressed()
        verify_assertion(
            answer,
            challenge=challenge,
            rp=rp,
            public_key=bytes(passkey.public_key),
            sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
        # Conditional, so that two answers racing with one counter value cannot both pass.
        moved = Passkey.filter(id=passkey.id)
        moved = (
            moved.filter(sign_count__lt=answer.sign_count)
            if answer.sign_count
            else moved.filter(sign_count=0)
        )
        if not await moved.update(sign_count=answer.sign_count, last_used_at=utcnow()):
            raise PasskeyCounterRegressed()
        return passkey.user, passkey

    async def login(
        self, *, credential: object, rp: RelyingParty, ip: str, user_agent: str
    ) -> IssuedTokens:
        """Log in with a passkey alone (usernameless): a new session for its account."""
        await self.limiter.hit(action="login", ip=ip)
        user, _ = await self.assert_passkey(credential=credential, rp=rp)
        if user.disabled_at is not None:
            await emit(self.listeners, "login_failed", user.id)
            raise AccountDisabled()
        await emit(self.listeners, "login_succeeded", user.id)
        return await self.sessions.start(user=user, ip=ip, user_agent=user_agent)

    # -- managing -------------------------------------------------------------------------

    @staticmethod
    async def list(*, user: User) -> list[Passkey]:
        """Return the account's passkeys, oldest first."""
        return await Passkey.filter(user_id=user.id).order_by("created_at", "id")

    @staticmethod
    async def _own(user: User, passkey_id: uuid.UUID) -> Passkey:
        passkey = await Passkey.get_or_none(id=passkey_id, user_id=user.id)
        if passkey is None:
            raise NotFound("You have no passkey with this id.")
        return passkey

    async def rename(self, *, user: User, passkey_id: uuid.UUID, name: str) -> Passkey:
        """Give one of the account's passkeys a new name."""
        passkey = await self._own(user, passkey_id)
        passkey.name = clean_name(name, default=passkey.name)
        await passkey.save(update_fields=["name"])
        return passkey

    async def remove(
        self, *, principal: Principal, passkey_id: uuid.UUID, current_password: str | None
    ) -> None:
        """Remove a passkey: needs the password, or a password or factor in the last 5 min."""
        user = principal.user
        passkey = await self._own(user, passkey_id)
        await self.reauth.require(principal, current_password)
        if not await Passkey.filter(id=passkey.id).delete():
            raise NotFound("You have no passkey with this id.")
        await emit(self.listeners, "passkey_removed", user.id)
        await self._notice("passkey_removed", user, passkey.name)

    async def _notice(self, mail: str, user: User, name: str) -> None:
        """Mail the owner that a passkey was added or removed (where mail is set up)."""
        if self.outbox.enabled:
            base = self.public_base_url or current_client.get().origin
            await self.outbox.enqueue(
                mail,
                to=user.email,
                passkey_name=name,
                when=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                settings_link=f"{base}/settings",
                forgot_link=f"{base}/forgot",
            )
