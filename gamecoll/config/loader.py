"""Read every setting from the environment once, and check the ones that go together."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from gamecoll.config import values as v
from gamecoll.config.settings import PROJECT_ROOT, VAR_DIR, ConfigError, Settings
from gamecoll.security.secret_strength import secret_problem

DEV_SECRET_FILE = VAR_DIR / "dev-jwt-secret"
ALLOWED_ALGORITHMS = ("HS256", "HS384", "HS512")
MIN_SECRET_BYTES = 32


_S3_REQUIRED = {
    "S3_BUCKET": "s3_bucket",
    "S3_ACCESS_KEY_ID": "s3_access_key_id",
    "S3_SECRET_ACCESS_KEY": "s3_secret_access_key",
}


def check_s3_settings(settings: Settings) -> None:
    """Raise ConfigError naming what object storage lacks (for STORAGE_BACKEND=s3 or a copy)."""
    missing = [name for name, attr in _S3_REQUIRED.items() if not getattr(settings, attr)]
    if missing:
        raise ConfigError(f"object storage needs {', '.join(missing)} (STORAGE_BACKEND=s3)")


def _mail_settings(r: v.Reader, d: Settings, app_env: str) -> dict[str, object]:
    """Read the account-mail settings; production with SMTP needs the public URL for links."""
    values: dict[str, object] = {
        "smtp_url": r.get(("SMTP_URL",), v.smtp_url, d.smtp_url),
        "mail_from": r.get(("MAIL_FROM",), v.mail_from, d.mail_from),
        "public_base_url": r.get(("PUBLIC_BASE_URL",), v.base_url, d.public_base_url),
        "mail_timeout_seconds": r.get(
            ("MAIL_TIMEOUT_SECONDS",), v.number(0.1, 300), d.mail_timeout_seconds
        ),
        "mail_retry_seconds": r.get(
            ("MAIL_RETRY_SECONDS",), v.whole(1, 3600), d.mail_retry_seconds
        ),
        "password_reset_token_minutes": r.get(
            ("PASSWORD_RESET_TOKEN_MINUTES",), v.whole(1, 1440), d.password_reset_token_minutes
        ),
        "email_token_hours": r.get(("EMAIL_TOKEN_HOURS",), v.whole(1, 720), d.email_token_hours),
        "require_email_verification": r.get(
            ("REQUIRE_EMAIL_VERIFICATION",), v.boolean, d.require_email_verification
        ),
        "activity_retention_days": r.get(
            ("ACTIVITY_RETENTION_DAYS",), v.whole(1, 3650), d.activity_retention_days
        ),
        "rate_limit_forgot_per_hour": r.get(
            ("RATE_LIMIT_FORGOT_PER_HOUR",), v.whole(1, 100000), d.rate_limit_forgot_per_hour
        ),
        "rate_limit_mail_per_address_per_hour": r.get(
            ("RATE_LIMIT_MAIL_PER_ADDRESS_PER_HOUR",),
            v.whole(1, 1000),
            d.rate_limit_mail_per_address_per_hour,
        ),
    }
    if app_env == "production" and values["smtp_url"] and not values["public_base_url"]:
        raise ConfigError("PUBLIC_BASE_URL is required in production when SMTP_URL is set")
    return values


def _dev_secret() -> str:
    """Return the development secret kept in var/, making it on first use."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if DEV_SECRET_FILE.is_file():
        secret = DEV_SECRET_FILE.read_text(encoding="utf-8").strip()
        if len(secret.encode()) >= MIN_SECRET_BYTES:
            return secret
    secret = secrets.token_urlsafe(48)
    fd = os.open(DEV_SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def load_settings(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build the settings from the environment; raise ConfigError on the first bad value."""
    if env is None:
        merged = v.read_dotenv(dotenv or PROJECT_ROOT / ".env")
        merged.update(os.environ)
        env = merged
    r = v.Reader(env)
    d = Settings()
    app_env = r.get(("APP_ENV",), v.choice("development", "production"), d.app_env)

    refresh_minutes = r.get(("REFRESH_TOKEN_EXPIRE_MINUTES",), v.whole(1, 525600), -1)
    if refresh_minutes < 0:
        days = r.get(("REFRESH_TOKEN_EXPIRE_DAYS",), v.whole(1, 365), 0)
        refresh_minutes = days * 1440 if days else d.refresh_token_expire_minutes

    secret_found = r.raw("JWT_SECRET_KEY", "SECRET_KEY")
    generated = False
    if secret_found is None:
        if app_env == "production":
            raise ConfigError(
                "JWT_SECRET_KEY is required in production; make one with `openssl rand -base64 48`"
            )
        secret = _dev_secret()
        generated = True
    else:
        name, secret = secret_found
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(f"{name} must be at least {MIN_SECRET_BYTES} bytes long")
        if app_env == "production":
            problem = secret_problem(secret)
            if problem is not None:
                raise ConfigError(f"{name} {problem}")

    algorithm = r.get(("JWT_ALGORITHM",), v.choice(*ALLOWED_ALGORITHMS), d.jwt_algorithm)
    needed = max(MIN_SECRET_BYTES, int(algorithm[2:]) // 8)
    if len(secret.encode()) < needed:
        name = secret_found[0] if secret_found else "JWT_SECRET_KEY"
        raise ConfigError(f"{name} must be at least {needed} bytes long for {algorithm}")

    settings = Settings(
        database_url=r.get(("DATABASE_URL",), v.database_url, d.database_url),
        jwt_secret_key=secret,
        jwt_algorithm=algorithm,
        jwt_issuer=r.get(("JWT_ISSUER",), v.text, d.jwt_issuer),
        jwt_audience=r.get(("JWT_AUDIENCE",), v.text, d.jwt_audience),
        access_token_expire_minutes=r.get(
            ("ACCESS_TOKEN_EXPIRE_MINUTES",), v.whole(1, 1440), d.access_token_expire_minutes
        ),
        refresh_token_expire_minutes=refresh_minutes,
        refresh_reuse_grace_seconds=r.get(
            ("REFRESH_REUSE_GRACE_SECONDS",), v.whole(0, 300), d.refresh_reuse_grace_seconds
        ),
        host=r.get(("HOST",), v.text, d.host),
        port=r.get(("PORT",), v.whole(1, 65535), d.port),
        workers=r.get(("WORKERS",), v.whole(1, 64), d.workers),
        allowed_origins=r.get(("ALLOWED_ORIGINS",), v.origins, d.allowed_origins),
        image_dir=r.get(("IMAGE_DIR",), v.path, d.image_dir),
        storage_backend=r.get(("STORAGE_BACKEND",), v.choice("local", "s3"), d.storage_backend),
        s3_endpoint_url=r.get(("S3_ENDPOINT_URL",), v.endpoint, d.s3_endpoint_url),
        s3_bucket=r.get(("S3_BUCKET",), v.bucket, d.s3_bucket),
        s3_region=r.get(("S3_REGION",), v.text, d.s3_region),
        s3_access_key_id=r.get(("S3_ACCESS_KEY_ID",), v.text, d.s3_access_key_id),
        s3_secret_access_key=r.get(("S3_SECRET_ACCESS_KEY",), v.text, d.s3_secret_access_key),
        s3_prefix=r.get(("S3_PREFIX",), v.key_prefix, d.s3_prefix),
        app_env=app_env,
        bcrypt_rounds=r.get(("BCRYPT_ROUNDS",), v.whole(4, 16), d.bcrypt_rounds),
        hash_workers=r.get(("HASH_WORKERS",), v.whole(1, 64), d.hash_workers),
        hash_niceness=r.get(("HASH_NICENESS",), v.whole(0, 19), d.hash_niceness),
        hash_queue_limit=r.get(("HASH_QUEUE_LIMIT",), v.whole(1, 10000), d.hash_queue_limit),
        proxies_count=r.get(("PROXIES_COUNT",), v.whole(0, 10), d.proxies_count),
        real_ip_header=r.get(("REAL_IP_HEADER",), v.header_name, d.real_ip_header),
        rate_limit_login_per_minute=r.get(
            ("RATE_LIMIT_LOGIN_PER_MINUTE",), v.whole(1, 100000), d.rate_limit_login_per_minute
        ),
        rate_limit_register_per_hour=r.get(
            ("RATE_LIMIT_REGISTER_PER_HOUR",), v.whole(1, 100000), d.rate_limit_register_per_hour
        ),
        rate_limit_refresh_per_minute=r.get(
            ("RATE_LIMIT_REFRESH_PER_MINUTE",), v.whole(1, 100000), d.rate_limit_refresh_per_minute
        ),
        login_failures_before_lockout=r.get(
            ("LOGIN_FAILURES_BEFORE_LOCKOUT",), v.whole(1, 1000), d.login_failures_before_lockout
        ),
        login_lockout_base_seconds=r.get(
            ("LOGIN_LOCKOUT_BASE_SECONDS",), v.whole(1, 3600), d.login_lockout_base_seconds
        ),
        login_lockout_max_seconds=r.get(
            ("LOGIN_LOCKOUT_MAX_SECONDS",), v.whole(1, 86400), d.login_lockout_max_seconds
        ),
        max_image_bytes=r.get(("MAX_IMAGE_BYTES",), v.whole(1024, 1 << 30), d.max_image_bytes),
        max_image_pixels=r.get(
            ("MAX_IMAGE_PIXELS",), v.whole(1, 1_000_000_000), d.max_image_pixels
        ),
        max_image_decoded_bytes=r.get(
            ("MAX_IMAGE_DECODED_BYTES",), v.whole(1024, 1 << 40), d.max_image_decoded_bytes
        ),
        image_workers=r.get(("IMAGE_WORKERS",), v.whole(1, 64), d.image_workers),
        image_queue_limit=r.get(("IMAGE_QUEUE_LIMIT",), v.whole(0, 10000), d.image_queue_limit),
        image_worker_tasks=r.get(("IMAGE_WORKER_TASKS",), v.whole(1, 100000), d.image_worker_tasks),
        graceful_shutdown_seconds=r.get(
            ("GRACEFUL_SHUTDOWN_SECONDS",), v.number(0, 600), d.graceful_shutdown_seconds
        ),
        hsts_seconds=r.get(("HSTS_SECONDS",), v.whole(0, 63_072_000), d.hsts_seconds),
        run_migrations=r.get(("RUN_MIGRATIONS",), v.boolean, d.run_migrations),
        cleanup_interval_seconds=r.get(
            ("CLEANUP_INTERVAL_SECONDS",), v.whole(0, 7 * 86400), d.cleanup_interval_seconds
        ),
        log_level=r.get(("LOG_LEVEL",), v.log_level, d.log_level),
        log_format=r.get(("LOG_FORMAT",), v.choice("text", "json"), d.log_format),
        generated_secret=generated,
        **_mail_settings(r, d, app_env),  # type: ignore[arg-type]
    )
    if settings.proxies_count and settings.real_ip_header:
        raise ConfigError("set only one of PROXIES_COUNT and REAL_IP_HEADER")
    if settings.storage_backend == "s3":
        check_s3_settings(settings)
    return settings
