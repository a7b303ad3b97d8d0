"""Build every service once per app, with its dependencies."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from functools import partial

from gamecoll.config import Settings
from gamecoll.security.tokens import TokenCodec
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.account_tokens import AccountTokens
from gamecoll.services.activity import ActivityLog, account_mail_batches
from gamecoll.services.auth import AuthService
from gamecoll.services.cleanup import CleanupService
from gamecoll.services.duplicates import Duplicates
from gamecoll.services.email_change import EmailChangeService
from gamecoll.services.exports import ExportService
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.image_checks import ImageLimits
from gamecoll.services.image_workers import ImageWorkers
from gamecoll.services.imports import ImportService
from gamecoll.services.items import ItemService
from gamecoll.services.mail import MailTemplates, build_transport
from gamecoll.services.mfa import CHALLENGE_LIFETIME, MfaService
from gamecoll.services.outbox import BATCH, Outbox
from gamecoll.services.passkey_factor import PasskeyFactor
from gamecoll.services.passkeys import PasskeyService
from gamecoll.services.password_checks import PasswordChecks
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.reauth import Reauth
from gamecoll.services.recovery import RecoveryService
from gamecoll.services.sessions import SessionService
from gamecoll.services.totp import TotpService
from gamecoll.services.users import UserService
from gamecoll.services.verification import VerificationService
from gamecoll.storage import Storage
from gamecoll.storage.factory import build_storage


@dataclass
class Services:
    """Every service, built once per app from the settings."""

    hasher: PasswordHasher
    limiter: RateLimiter
    sessions: SessionService
    auth: AuthService
    users: UserService
    storage: Storage
    images: ImageWorkers
    items: ItemService
    cleanup: CleanupService
    outbox: Outbox
    recovery: RecoveryService
    verification: VerificationService
    email_change: EmailChangeService
    activity: ActivityLog
    duplicates: Duplicates
    exports: ExportService
    imports: ImportService
    passkeys: PasskeyService
    mfa: MfaService
    totp: TotpService
    reauth: Reauth
    access_tokens: AccessTokenService

    def all(self) -> list[object]:
        """Return every service, for dependency injection by type."""
        return [getattr(self, f.name) for f in fields(self)]


def build_services(settings: Settings) -> Services:
    """Construct the services with their dependencies."""
    hasher = PasswordHasher(
        rounds=settings.bcrypt_rounds,
        workers=settings.hash_workers,
        queue_limit=settings.hash_queue_limit,
        niceness=settings.hash_niceness,
    )
    limiter = RateLimiter(
        login_per_minute=settings.rate_limit_login_per_minute,
        register_per_hour=settings.rate_limit_register_per_hour,
        refresh_per_minute=settings.rate_limit_refresh_per_minute,
        failures_before_lockout=settings.login_failures_before_lockout,
        lockout_base_seconds=settings.login_lockout_base_seconds,
        lockout_max_seconds=settings.login_lockout_max_seconds,
    )
    sessions = SessionService(
        codec=TokenCodec(
            secret=settings.jwt_secret_key,
            algorithm=settings.jwt_algorithm,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        ),
        limiter=limiter,
        access_lifetime=timedelta(minutes=settings.access_token_expire_minutes),
        refresh_lifetime=timedelta(minutes=settings.refresh_token_expire_minutes),
        reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )
    checks = PasswordChecks(hasher=hasher, limiter=limiter)
    mfa = MfaService(checks=checks, sessions=sessions, lifetime=CHALLENGE_LIFETIME)
    totp = TotpService()
    mfa.factors.append(totp)
    reauth = Reauth(checks=checks, mfa=mfa)
    access_tokens = AccessTokenService()
    auth = AuthService(hasher=hasher, limiter=limiter, checks=checks, sessions=sessions, mfa=mfa)
    users = UserService(hasher=hasher, checks=checks, sessions=sessions, reauth=reauth)
    storage = build_storage(settings)
    images = build_image_workers(settings)
    items = ItemService(storage=storage, images=images)
    users.cleanups.append(items.delete_user_files)  # the account's files go with it
    outbox = Outbox(
        templates=MailTemplates(),
        transport=build_transport(
            smtp_url=settings.smtp_url,
            sender=settings.mail_from,
            timeout=settings.mail_timeout_seconds,
            production=settings.production,
        ),
        retry_seconds=settings.mail_retry_seconds,
        lease_seconds=settings.mail_timeout_seconds * BATCH + 60,
    )
    limiter.limits["forgot"] = (settings.rate_limit_forgot_per_hour, 3600)
    limiter.limits["mail_address"] = (settings.rate_limit_mail_per_address_per_hour, 3600)
    tokens = AccountTokens()
    recovery = RecoveryService(
        tokens=tokens,
        outbox=outbox,
        hasher=hasher,
        checks=checks,
        sessions=sessions,
        limiter=limiter,
        reset_lifetime=timedelta(minutes=settings.password_reset_token_minutes),
        access_tokens=access_tokens,
    )
    verification = VerificationService(
        tokens=tokens,
        outbox=outbox,
        limiter=limiter,
        lifetime=timedelta(hours=settings.email_token_hours),
        required=settings.require_email_verification,
    )
    email_change = EmailChangeService(
        tokens=tokens,
        outbox=outbox,
        reauth=reauth,
        limiter=limiter,
        lifetime=timedelta(hours=settings.email_token_hours),
    )
    activity = ActivityLog(
        retention=timedelta(days=settings.activity_retention_days),
        outbox=outbox,
        public_base_url=settings.public_base_url,
    )
    passkeys = PasskeyService(
        public_base_url=settings.public_base_url,
        production=settings.production,
        sessions=sessions,
        reauth=reauth,
        limiter=limiter,
        outbox=outbox,
    )
    mfa.factors.append(PasskeyFactor(passkeys))
    services_with_events = (auth, sessions, users, recovery, email_change, mfa, totp, access_tokens)
    for service in (*services_with_events, passkeys):
        service.listeners.append(activity.listen)
    cleanup = CleanupService(
        refresh_lifetime=timedelta(minutes=settings.refresh_token_expire_minutes),
        longest_rate_window=max(window for _, window in limiter.limits.values()),
        account_mail=partial(account_mail_batches, activity),
    )
    return Services(
        hasher=hasher,
        limiter=limiter,
        sessions=sessions,
        auth=auth,
        users=users,
        storage=storage,
        images=images,
        items=items,
        cleanup=cleanup,
        outbox=outbox,
        recovery=recovery,
        verification=verification,
        email_change=email_change,
        activity=activity,
        duplicates=items.duplicates,
        exports=ExportService(storage=storage),
        imports=ImportService(files=items.files, images=images),
        passkeys=passkeys,
        mfa=mfa,
        totp=totp,
        reauth=reauth,
        access_tokens=access_tokens,
    )


def build_image_workers(settings: Settings) -> ImageWorkers:
    """The image worker pool of one server process: its share of IMAGE_WORKERS and the queue."""
    share = settings.workers
    return ImageWorkers(
        limits=ImageLimits(
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            max_decoded_bytes=settings.max_image_decoded_bytes,
        ),
        workers=max(1, settings.image_workers // share),
        queue_limit=-(-settings.image_queue_limit // share),
        tasks_per_worker=settings.image_worker_tasks,
    )
