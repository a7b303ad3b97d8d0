"""Build the storage the settings choose (STORAGE_BACKEND=local|s3), or the other one."""

from __future__ import annotations

from gamecoll.config import Settings, check_s3_settings
from gamecoll.storage.base import Storage
from gamecoll.storage.local import LocalStorage
from gamecoll.storage.s3 import S3Storage

BACKENDS = ("local", "s3")


def build_storage(settings: Settings, backend: str | None = None) -> Storage:
    """Return the storage of `backend` (default: STORAGE_BACKEND), not yet started.

    Both are configured by the same settings (IMAGE_DIR, S3_*), so that `storage migrate`
    can copy from the one in use to the other. ConfigError when S3 settings are missing.
    """
    chosen = backend or settings.storage_backend
    if chosen == "local":
        return LocalStorage(settings.image_dir)
    if chosen == "s3":
        check_s3_settings(settings)
        return S3Storage(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
        )
    raise ValueError(f"unknown storage backend {chosen!r}")


def describe(settings: Settings, backend: str | None = None) -> str:
    """Say where a backend keeps its files, for command output (no secrets)."""
    chosen = backend or settings.storage_backend
    if chosen == "s3":
        where = f" at {settings.s3_endpoint_url}" if settings.s3_endpoint_url else ""
        return f"s3://{settings.s3_bucket}/{settings.s3_prefix}{where}"
    return str(settings.image_dir)
