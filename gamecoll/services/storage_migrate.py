"""Copy every stored file from one backend to another, verified by size and SHA-256.

Resumable and idempotent: a file already in the target with the same size and digest is
skipped, so a run that was interrupted (or a second run after new uploads) copies only what is
missing. Nothing is switched: the app keeps using STORAGE_BACKEND until the operator changes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from gamecoll.storage import Storage, StorageError, StorageNotFound


@dataclass
class MigrationReport:
    """What a run did."""

    copied: int = 0
    skipped: int = 0
    copied_bytes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)

    @property
    def seen(self) -> int:
        """Files looked at so far."""
        return self.copied + self.skipped + len(self.failed)


async def _digest(storage: Storage, key: str) -> tuple[int, str]:
    """Stream a file and return its size and SHA-256 (never the whole file in memory)."""
    stored = await storage.open(key)
    sha = hashlib.sha256()
    size = 0
    async for chunk in stored.chunks():
        sha.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest()


async def _read(storage: Storage, key: str) -> bytes:
    """Read one file whole: `Storage.save` takes bytes (images are at most MAX_IMAGE_BYTES)."""
    stored = await storage.open(key)
    return b"".join([chunk async for chunk in stored.chunks()])


async def _same_in_target(target: Storage, key: str, size: int, sha256: str) -> bool:
    try:
        info = await target.stat(key)
    except StorageNotFound:
        return False
    if info.size != size:
        return False
    return await _digest(target, key) == (size, sha256)


async def copy_file(source: Storage, target: Storage, key: str) -> tuple[bool, int]:
    """Copy one file unless the target has it already; return (copied, bytes).

    Raises StorageError (either side failed) or ValueError (the copy does not verify).
    """
    data = await _read(source, key)
    size, sha256 = len(data), hashlib.sha256(data).hexdigest()
    if await _same_in_target(target, key, size, sha256):
        return False, 0
    await target.save(key, data)
    if await _digest(target, key) != (size, sha256):
        raise ValueError("the copy read back differs from the original")
    return True, size


async def migrate(
    source: Storage,
    target: Storage,
    *,
    progress: Callable[[MigrationReport, str], None] | None = None,
) -> MigrationReport:
    """Copy every file of `source` to `target`; a failed file is reported, the rest go on.

    StorageError from listing the source stops the run (nothing can be copied without it).
    """
    report = MigrationReport()
    async for key in source.list(""):
        try:
            copied, size = await copy_file(source, target, key)
        except StorageNotFound:
            continue  # removed since it was listed
        except (StorageError, ValueError) as exc:
            report.failed.append((key, str(exc)))
        else:
            if copied:
                report.copied += 1
                report.copied_bytes += size
            else:
                report.skipped += 1
        if progress is not None:
            progress(report, key)
    return report
