"""Typed settings, read once from the environment (and a `.env` file when present)."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from gamecoll.security.secret_strength import secret_problem

log = logging.getLogger("gamecoll.config")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
DEV_SECRET_FILE = VAR_DIR / "dev-jwt-secret"
ALLOWED_ALGORITHMS = ("HS256", "HS384", "HS512")
MIN_SECRET_BYTES = 32


def usable_cpus() -> int:
    """Count the CPUs this process may run on (taskset and cpusets included)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class ConfigError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    database_url: str = f"sqlite://{VAR_DIR / 'gamecoll.sqlite3'}"
    jwt_secret_key: str = ""
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "gamecoll"
    jwt_audience: str = "gamecoll"
    access_token_expire_minutes: int = 15
    refresh_token_expire_minutes: int = 10080
    refresh_reuse_grace_seconds: int = 10
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    allowed_origins: tuple[str, ...] = ()
    image_dir: Path = VAR_DIR / "images"
    storage_backend: str = "local"
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_prefix: str = ""
    app_env: str = "development"
    bcrypt_rounds: int = 12
    hash_workers: int = field(default_factory=usable_cpus)
    hash_niceness: int = 10
    hash_queue_limit: int = 64
    proxies_count: int = 0
    real_ip_header: str = ""
    rate_limit_login_per_minute: int = 30
    rate_limit_register_per_hour: int = 20
    rate_limit_refresh_per_minute: int = 120
    login_failures_before_lockout: int = 5
    login_lockout_base_seconds: int = 2
    login_lockout_max_seconds: int = 900
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    max_image_decoded_bytes: int = 200_000_000
    image_workers: int = field(default_factory=usable_cpus)
    image_queue_limit: int = 16
    image_worker_tasks: int = 1
    request_max_json_bytes: int = 1024 * 1024
    graceful_shutdown_seconds: float = 15.0
    hsts_seconds: int = 0
    run_migrations: bool = True
    cleanup_interval_seconds: int = 3600
    log_level: str = "INFO"
    log_format: str = "text"
    # Account mail (issue 13): the outbox, links, tokens and the activity log.
    smtp_url: str = ""
    mail_from: str = "gamecoll <noreply@localhost>"
    public_base_url: str = ""
    mail_timeout_seconds: float = 10.0
    mail_retry_seconds: int = 30
    password_reset_token_minutes: int = 30
    email_token_hours: int = 48
    require_email_verification: bool = False
    activity_retention_days: int = 90
    rate_limit_forgot_per_hour: int = 10
    rate_limit_mail_per_address_per_hour: int = 3
    generated_secret: bool = field(default=False, compare=False)

    @property
    def production(self) -> bool:
        """Tell whether the service runs in production mode."""
        return self.app_env == "production"

    @property
    def is_postgres(self) -> bool:
        """Tell whether the database is PostgreSQL."""
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def request_max_size(self) -> int:
        """Largest body accepted: one image as base64 JSON, with room for the other fields."""
        return max(self.request_max_json_bytes, (self.max_image_bytes * 4) // 3 + 64 * 1024)


T = TypeVar("T")


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a simple `.env` file: KEY=VALUE lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


class _Reader:
    """Read typed values from one mapping and name the variable in every error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, *names: str) -> tuple[str, str] | None:
        for name in names:
            value = self.env.get(name)
            if value is not None and value.strip() != "":
                return name, value.strip()
        return None

    def get(self, names: tuple[str, ...], parse: Callable[[str, str], T], default: T) -> T:
        found = self.raw(*names)
        if found is None:
            return default
        return parse(*found)


def _int(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not a whole number") from None
        if not low <= number <= high:
            raise ConfigError(f"{name}={number} is out of range ({low} to {high})")
        return number

    return parse


def _float(low: float, high: float) -> Callable[[str, str], float]:
    def parse(name: str, value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not a number") from None
        if not low <= number <= high:
            raise ConfigError(f"{name}={number} is out of range ({low} to {high})")
        return number

    return parse


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value not in options:
            raise ConfigError(f"{name}={value!r} must be one of: {', '.join(options)}")
        return value

    return parse


def _log_level(name: str, value: str) -> str:
    return _choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")(name, value.upper())


def _bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r} must be true or false")


def _database_url(name: str, value: str) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme == "sqlite":
        path = value[len("sqlite://") :]
        if not path:
            raise ConfigError(f"{name} needs a file path after sqlite://")
        if path != ":memory:" and not path.startswith("/"):
            path = str(PROJECT_ROOT / path)
        return f"sqlite://{path}"
    if scheme in ("postgres", "postgresql"):
        parts = urlsplit(value)
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError(f"{name} must name a host and a database: postgresql://user@host/db")
        return value
    raise ConfigError(f"{name} must start with sqlite://, postgresql:// or postgres://")


def _origins(name: str, value: str) -> tuple[str, ...]:
    origins: list[str] = []
    for item in value.split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ConfigError(f"{name}: {origin!r} is not an origin like https://app.example")
        origins.append(origin)
    return tuple(origins)


def _path(name: str, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _header(name: str, value: str) -> str:
    if not all(c.isalnum() or c == "-" for c in value):
        raise ConfigError(f"{name}={value!r} is not an HTTP header name")
    return value.lower()


def _text(name: str, value: str) -> str:
    return value


def _endpoint(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise ConfigError(f"{name}={value!r} is not a URL like https://s3.example.com")
    return value.rstrip("/")


def _bucket(name: str, value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        raise ConfigError(f"{name}={value!r} is not a bucket name (3-63 of a-z 0-9 . -)")
    return value


def _key_prefix(name: str, value: str) -> str:
    prefix = value.strip("/")
    if prefix and not re.fullmatch(
        r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*", prefix
    ):
        raise ConfigError(f"{name}={value!r} must be folder names of A-Z a-z 0-9 . _ - joined by /")
    return prefix + "/" if prefix else ""


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


def _smtp_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{name} must look like smtp://user:pass@host:587 or smtps://host:465")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number from 1 to 65535") from None
    return value


def _base_url(name: str, value: str) -> str:
    origin = value.rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(f"{name}: {value!r} is not a URL like https://games.example")
    return origin


def _mail_from(name: str, value: str) -> str:
    if "@" not in value or any(c in value for c in "\r\n"):
        raise ConfigError(f"{name}={value!r} is not a mail address like App <noreply@host>")
    return value


def _mail_settings(r: _Reader, d: Settings, app_env: str) -> dict[str, object]:
    """Read the account-mail settings; production with SMTP needs the public URL for links."""
    values: dict[str, object] = {
        "smtp_url": r.get(("SMTP_URL",), _smtp_url, d.smtp_url),
        "mail_from": r.get(("MAIL_FROM",), _mail_from, d.mail_from),
        "public_base_url": r.get(("PUBLIC_BASE_URL",), _base_url, d.public_base_url),
        "mail_timeout_seconds": r.get(
            ("MAIL_TIMEOUT_SECONDS",), _float(0.1, 300), d.mail_timeout_seconds
        ),
        "mail_retry_seconds": r.get(("MAIL_RETRY_SECONDS",), _int(1, 3600), d.mail_retry_seconds),
        "password_reset_token_minutes": r.get(
            ("PASSWORD_RESET_TOKEN_MINUTES",), _int(1, 1440), d.password_reset_token_minutes
        ),
        "email_token_hours": r.get(("EMAIL_TOKEN_HOURS",), _int(1, 720), d.email_token_hours),
        "require_email_verification": r.get(
            ("REQUIRE_EMAIL_VERIFICATION",), _bool, d.require_email_verification
        ),
        "activity_retention_days": r.get(
            ("ACTIVITY_RETENTION_DAYS",), _int(1, 3650), d.activity_retention_days
        ),
        "rate_limit_forgot_per_hour": r.get(
            ("RATE_LIMIT_FORGOT_PER_HOUR",), _int(1, 100000), d.rate_limit_forgot_per_hour
        ),
        "rate_limit_mail_per_address_per_hour": r.get(
            ("RATE_LIMIT_MAIL_PER_ADDRESS_PER_HOUR",),
            _int(1, 1000),
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
        merged = read_dotenv(dotenv or PROJECT_ROOT / ".env")
        merged.update(os.environ)
        env = merged
    r = _Reader(env)
    d = Settings()
    app_env = r.get(("APP_ENV",), _choice("development", "production"), d.app_env)

    refresh_minutes = r.get(("REFRESH_TOKEN_EXPIRE_MINUTES",), _int(1, 525600), -1)
    if refresh_minutes < 0:
        days = r.get(("REFRESH_TOKEN_EXPIRE_DAYS",), _int(1, 365), 0)
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

    algorithm = r.get(("JWT_ALGORITHM",), _choice(*ALLOWED_ALGORITHMS), d.jwt_algorithm)
    needed = max(MIN_SECRET_BYTES, int(algorithm[2:]) // 8)
    if len(secret.encode()) < needed:
        name = secret_found[0] if secret_found else "JWT_SECRET_KEY"
        raise ConfigError(f"{name} must be at least {needed} bytes long for {algorithm}")

    settings = Settings(
        database_url=r.get(("DATABASE_URL",), _database_url, d.database_url),
        jwt_secret_key=secret,
        jwt_algorithm=algorithm,
        jwt_issuer=r.get(("JWT_ISSUER",), _text, d.jwt_issuer),
        jwt_audience=r.get(("JWT_AUDIENCE",), _text, d.jwt_audience),
        access_token_expire_minutes=r.get(
            ("ACCESS_TOKEN_EXPIRE_MINUTES",), _int(1, 1440), d.access_token_expire_minutes
        ),
        refresh_token_expire_minutes=refresh_minutes,
        refresh_reuse_grace_seconds=r.get(
            ("REFRESH_REUSE_GRACE_SECONDS",), _int(0, 300), d.refresh_reuse_grace_seconds
        ),
        host=r.get(("HOST",), _text, d.host),
        port=r.get(("PORT",), _int(1, 65535), d.port),
        workers=r.get(("WORKERS",), _int(1, 64), d.workers),
        allowed_origins=r.get(("ALLOWED_ORIGINS",), _origins, d.allowed_origins),
        image_dir=r.get(("IMAGE_DIR",), _path, d.image_dir),
        storage_backend=r.get(("STORAGE_BACKEND",), _choice("local", "s3"), d.storage_backend),
        s3_endpoint_url=r.get(("S3_ENDPOINT_URL",), _endpoint, d.s3_endpoint_url),
        s3_bucket=r.get(("S3_BUCKET",), _bucket, d.s3_bucket),
        s3_region=r.get(("S3_REGION",), _text, d.s3_region),
        s3_access_key_id=r.get(("S3_ACCESS_KEY_ID",), _text, d.s3_access_key_id),
        s3_secret_access_key=r.get(("S3_SECRET_ACCESS_KEY",), _text, d.s3_secret_access_key),
        s3_prefix=r.get(("S3_PREFIX",), _key_prefix, d.s3_prefix),
        app_env=app_env,
        bcrypt_rounds=r.get(("BCRYPT_ROUNDS",), _int(4, 16), d.bcrypt_rounds),
        hash_workers=r.get(("HASH_WORKERS",), _int(1, 64), d.hash_workers),
        hash_niceness=r.get(("HASH_NICENESS",), _int(0, 19), d.hash_niceness),
        hash_queue_limit=r.get(("HASH_QUEUE_LIMIT",), _int(1, 10000), d.hash_queue_limit),
        proxies_count=r.get(("PROXIES_COUNT",), _int(0, 10), d.proxies_count),
        real_ip_header=r.get(("REAL_IP_HEADER",), _header, d.real_ip_header),
        rate_limit_login_per_minute=r.get(
            ("RATE_LIMIT_LOGIN_PER_MINUTE",), _int(1, 100000), d.rate_limit_login_per_minute
        ),
        rate_limit_register_per_hour=r.get(
            ("RATE_LIMIT_REGISTER_PER_HOUR",), _int(1, 100000), d.rate_limit_register_per_hour
        ),
        rate_limit_refresh_per_minute=r.get(
            ("RATE_LIMIT_REFRESH_PER_MINUTE",), _int(1, 100000), d.rate_limit_refresh_per_minute
        ),
        login_failures_before_lockout=r.get(
            ("LOGIN_FAILURES_BEFORE_LOCKOUT",), _int(1, 1000), d.login_failures_before_lockout
        ),
        login_lockout_base_seconds=r.get(
            ("LOGIN_LOCKOUT_BASE_SECONDS",), _int(1, 3600), d.login_lockout_base_seconds
        ),
        login_lockout_max_seconds=r.get(
            ("LOGIN_LOCKOUT_MAX_SECONDS",), _int(1, 86400), d.login_lockout_max_seconds
        ),
        max_image_bytes=r.get(("MAX_IMAGE_BYTES",), _int(1024, 1 << 30), d.max_image_bytes),
        max_image_pixels=r.get(("MAX_IMAGE_PIXELS",), _int(1, 1_000_000_000), d.max_image_pixels),
        max_image_decoded_bytes=r.get(
            ("MAX_IMAGE_DECODED_BYTES",), _int(1024, 1 << 40), d.max_image_decoded_bytes
        ),
        image_workers=r.get(("IMAGE_WORKERS",), _int(1, 64), d.image_workers),
        image_queue_limit=r.get(("IMAGE_QUEUE_LIMIT",), _int(0, 10000), d.image_queue_limit),
        image_worker_tasks=r.get(("IMAGE_WORKER_TASKS",), _int(1, 100000), d.image_worker_tasks),
        graceful_shutdown_seconds=r.get(
            ("GRACEFUL_SHUTDOWN_SECONDS",), _float(0, 600), d.graceful_shutdown_seconds
        ),
        hsts_seconds=r.get(("HSTS_SECONDS",), _int(0, 63_072_000), d.hsts_seconds),
        run_migrations=r.get(("RUN_MIGRATIONS",), _bool, d.run_migrations),
        cleanup_interval_seconds=r.get(
            ("CLEANUP_INTERVAL_SECONDS",), _int(0, 7 * 86400), d.cleanup_interval_seconds
        ),
        log_level=r.get(("LOG_LEVEL",), _log_level, d.log_level),
        log_format=r.get(("LOG_FORMAT",), _choice("text", "json"), d.log_format),
        generated_secret=generated,
        **_mail_settings(r, d, app_env),  # type: ignore[arg-type]
    )
    if settings.proxies_count and settings.real_ip_header:
        raise ConfigError("set only one of PROXIES_COUNT and REAL_IP_HEADER")
    if settings.storage_backend == "s3":
        check_s3_settings(settings)
    return settings
