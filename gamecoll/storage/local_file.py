"""One file on the local disk: read in chunks off the event loop, and the OS calls that write
files safely (a folder's fsync, a quiet unlink) with their errors mapped to StorageError."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gamecoll.storage.base import (
    DEFAULT_CHUNK_SIZE,
    StorageError,
    StorageFull,
    StorageNotFound,
    StorageUnavailable,
)

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def os_failure(exc: OSError) -> StorageError:
    """Map an OS error to StorageFull (no space or quota) or StorageUnavailable."""
    if exc.errno in _FULL_ERRNOS:
        return StorageFull()
    return StorageUnavailable()


def unlink_quietly(path: str | Path) -> None:
    """Remove a file, ignoring any failure (a temporary file left behind is cleaned later)."""
    with contextlib.suppress(OSError):
        os.unlink(path)


def fsync_directory(directory: Path) -> None:
    """Flush a folder's entries, so that a rename into it survives a crash."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file on the local disk, opened for streaming (see `StoredFile`)."""

    key: str
    path: Path
    size: int

    async def chunks(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the content in chunks, each read in a worker thread."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        opening = asyncio.ensure_future(asyncio.to_thread(self.path.open, "rb"))
        try:
            handle = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # The client went away while the thread was opening: close what it opens.
            opening.add_done_callback(_close_opened)
            raise
        except FileNotFoundError as exc:
            raise StorageNotFound() from exc
        except OSError as exc:
            raise os_failure(exc) from exc
        try:
            while True:
                try:
                    chunk = await asyncio.to_thread(handle.read, chunk_size)
                except OSError as exc:
                    raise os_failure(exc) from exc
                if not chunk:
                    return
                yield chunk
        finally:
            handle.close()


def _close_opened(opening: asyncio.Future[Any]) -> None:
    """Close a file whose opening outlived the request that asked for it."""
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()
