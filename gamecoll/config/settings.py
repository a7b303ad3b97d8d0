"""The settings the service runs with: one frozen dataclass, its defaults, and the errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = PROJECT_ROOT / "var"


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
