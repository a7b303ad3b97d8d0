"""What an S3 server's failures mean for the app: not found, full, or unavailable.

The S3 error code goes to the log for the operator; the services see only StorageError
subclasses, which they map to HTTP without knowing about S3.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

from gamecoll.storage.base import StorageError, StorageFull, StorageNotFound, StorageUnavailable

log = logging.getLogger("gamecoll.storage")

_NOT_FOUND: Final = frozenset({"NoSuchKey", "404", "NotFound"})
_FULL: Final = frozenset(
    {
        "QuotaExceeded",  # Ceph RGW (bucket or user quota), SeaweedFS
        "EntityTooLarge",  # a size limit set on the server
        "InsufficientStorage",
        "XMinioStorageFull",  # MinIO
        "StorageFull",
    }
)
TRANSIENT: Final = (BotoCoreError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def storage_error(exc: BaseException, action: str, key: str) -> StorageError:
    """Map a client failure to StorageNotFound, StorageFull or StorageUnavailable (and log it)."""
    if isinstance(exc, ClientError):
        code = _code(exc)
        if code in _NOT_FOUND:
            return StorageNotFound()
        if code in _FULL or _status(exc) == 507:
            log.error("object storage is full: %s %s answered %s", action, key, code)
            return StorageFull()
        log.error("object storage refused %s %s: %s (HTTP %s)", action, key, code, _status(exc))
        return StorageUnavailable()
    log.error("object storage unreachable during %s %s: %s", action, key, exc)
    return StorageUnavailable()
