"""The storage interface the services use, and its errors (local disk or an object store)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

DEFAULT_CHUNK_SIZE = 64 * 1024


class StorageError(Exception):
    """A storage operation failed; the message is safe to show to a user.

    These errors reach the client through the one error handler (gamecoll/http/errors.py):
    StorageFull as 507, StorageNotFound as 404, any other as 503.
    """

    message = "The file storage failed."

    def __init__(self, message: str | None = None) -> None:
        self.detail = message or self.message
        super().__init__(self.detail)


class StorageFull(StorageError):
    """No room left (disk full or quota reached): maps to 507."""

    message = "The server has no room left to store files; ask the administrator to free space."


class StorageUnavailable(StorageError):
    """The storage cannot be read or written right now: maps to 503."""

    message = "The file storage is unavailable; try again shortly."


class StorageNotFound(StorageError):
    """No file is stored under the key: maps to 404."""

    message = "The file is missing from the storage."


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What a store knows about a file without reading it."""

    size: int
    modified: float
    """When it was written, in seconds since the epoch."""


class StoredFile(Protocol):
    """A stored file opened for streaming."""

    @property
    def key(self) -> str:
        """The storage key."""
        ...

    @property
    def size(self) -> int:
        """Size in bytes."""
        ...

    @property
    def path(self) -> Path | None:
        """Its path on the local disk, for sendfile-style streaming; None for remote stores."""
        ...

    def chunks(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the content in chunks of at most `chunk_size` bytes, without blocking the loop."""
        ...


class Storage(Protocol):
    """Files addressed by keys such as `<user id>/<random hex>.jpg` (relative POSIX paths).

    Invalid keys raise ValueError; failures raise StorageFull or StorageUnavailable.
    """

    async def start(self) -> None:
        """Open what the store needs (a connection pool): once per process, at server start."""
        ...

    async def close(self) -> None:
        """Release what `start` opened; the store is not used afterwards."""
        ...

    async def save(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically: afterwards the whole file is there, or nothing."""
        ...

    async def open(self, key: str) -> StoredFile:
        """Open a stored file for streaming; StorageNotFound when there is none."""
        ...

    async def stat(self, key: str) -> FileInfo:
        """Return a file's size and time of writing; StorageNotFound when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove a file; a missing file is not an error."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Remove every file under a folder prefix ending in "/" (such as a user's folder)."""
        ...

    def list(self, prefix: str = "") -> AsyncIterator[str]:
        """Yield the keys starting with `prefix`, in sorted order within each folder."""
        ...
