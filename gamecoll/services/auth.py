"""Registration and login."""

from __future__ import annotations

from collections.abc import Callable

from tortoise.exceptions import IntegrityError

from gamecoll.errors import AccountDisabled, Conflict, InvalidCredentials, ValidationFailed
from gamecoll.models import User
from gamecoll.services import rules
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.mfa import MfaService
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.sessions import IssuedTokens, SessionService


class AuthService:
    """Create accounts and check credentials."""

    def __init__(
        self,
        *,
        hasher: PasswordHasher,
        limiter: RateLimiter,
        checks: PasswordChecks,
        sessions: SessionService,
        mfa: MfaService | None = None,
    ) -> None:
        self.hasher = hasher
        self.limiter = limiter
        self.checks = checks
        self.sessions = sessions
        self.mfa = mfa
        self.listeners: list[SecurityListener] = []  # security events (the activity log)

    async def register(
        self,
        *,
        email: str,
        password: str,
        username: str | None,
        gpu_endpoint: str | None,
        ip: str,
        user_agent: str,
    ) -> IssuedTokens:
        """Create an account and log it in; 409 when the email or username is taken."""
        errors: dict[str, str] = {}
        clean: dict[str, str | None] = {}
        checks: tuple[tuple[str, Callable[[], str | None]], ...] = (
            ("email", lambda: rules.clean_email(email)),
            ("username", lambda: rules.clean_username(username)),
            ("password", lambda: rules.check_new_password(password)),
            ("gpu_endpoint", lambda: rules.clean_gpu_endpoint(gpu_endpoint)),
        )
        for field, check in checks:
            try:
                clean[field] = check()
            except ValidationFailed as exc:
                errors.update(exc.fields)
        if errors:
            raise ValidationFailed(fields=errors)
        await self.limiter.hit(action="register", ip=ip)
        email_clean = str(clean["email"])
        username_clean = clean["username"]
        await self._ensure_free(email=email_clean, username=username_clean)
        password_hash = await self.hasher.hash(password)
        try:
            user = await User.create(
                email=email_clean,
                username=username_clean,
                username_key=rules.username_key(username_clean),
                password_hash=password_hash,
                gpu_endpoint=clean["gpu_endpoint"],
            )
        except IntegrityError:
            # Lost a race with another registration of the same name.
            await self._ensure_free(email=email_clean, username=username_clean)
            raise Conflict("That email or username is already registered.") from None
        return await self.sessions.start(user=user, ip=ip, user_agent=user_agent)

    async def _ensure_free(self, *, email: str, username: str | None) -> None:
        if await User.filter(email=email).exists():
            raise Conflict(
                "An account with this email already exists.",
                fields={"email": "An account with this email already exists."},
            )
        key = rules.username_key(username)
        if key and await User.filter(username_key=key).exists():
            raise Conflict(
                "This username is taken.", fields={"username": "This username is taken."}
            )

    async def login(
        self, *, identifier: str, password: str, ip: str, user_agent: str
    ) -> IssuedTokens:
        """Check credentials; unknown account and wrong password answer alike.

        With a second factor on, the right password raises MfaRequired (401 with an
        mfa_token) instead: the login goes on at MfaService.complete.
        """
        account = rules.account_key(identifier)
        if not account or not password:
            raise ValidationFailed(
                fields={
                    k: "This field is required."
                    for k, v in (("username", account), ("password", password))
                    if not v
                }
            )
        await self.limiter.hit(action="login", ip=ip)
        user = await self.find_account(account)
        # Counted per account (its id), or per typed name when no account matches.
        # The count is cleared only once the whole login (second factor included) succeeds.
        valid = await self.checks.check(user=user, password=password, typed=account, clear=False)
        if user is None or not valid:
            if user is not None:
                await emit(self.listeners, "login_failed", user.id)
            raise InvalidCredentials()
        if user.disabled_at is not None:  # told only to someone who knows the password
            await emit(self.listeners, "login_failed", user.id)
            raise AccountDisabled()
        if self.hasher.needs_rehash(user.password_hash):
            user.password_hash = await self.hasher.hash(password)
            await user.save(update_fields=["password_hash", "updated_at"])
        if self.mfa is not None:
            await self.mfa.challenge(user)
        await self.checks.forgive(user)
        await emit(self.listeners, "login_succeeded", user.id)
        return await self.sessions.start(user=user, ip=ip, user_agent=user_agent)

    @staticmethod
    async def find_account(account: str) -> User | None:
        """Find a user by email (with an @) or username, without regard to case."""
        if len(account) > 320:
            return None
        if "@" in account:
            return await User.get_or_none(email=account)
        return await User.get_or_none(username_key=account)
