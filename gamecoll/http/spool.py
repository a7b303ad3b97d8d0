"""Write request bodies to temporary files, in a directory of this process's own.

An import's file waits on disk until its job is over. A process that dies (a crash, a killed
pod) cannot remove its files, and a disk-backed /tmp outlives it (a container's volume, a pod's
emptyDir), so each process keeps its files in `<tmp>/gamecoll-spool-<random>/`, holding a lock
on it (flock) while it lives. At start, every such directory whose lock is free, and which is
older than START_GRACE_SECONDS (its owner may not have locked it yet), was left by a process
that is gone: it is removed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Final

from sanic import Request
from sanic.exceptions import PayloadTooLarge as SanicPayloadTooLarge

from gamecoll.errors import InsufficientStorage
from gamecoll.http.limits import too_large

log = logging.getLogger("gamecoll.spool")

DIRECTORY_PREFIX: Final = "gamecoll-spool-"
LOCK_NAME: Final = ".lock"
START_GRACE_SECONDS: Final = 60.0
"""A directory this young may belong to a process that has not locked it yet: left alone."""
NO_ROOM: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Write failures that mean the disk, a quota or the process's file-size limit is full."""


class Spool:
    """This process's directory of request bodies on their way to a job."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.gettempdir())
        self._directory: Path | None = None
        self._lock: int | None = None

    @property
    def directory(self) -> Path:
        """Where this process's files are (made, and locked, on first use)."""
        if self._directory is None:
            directory = Path(tempfile.mkdtemp(prefix=DIRECTORY_PREFIX, dir=self.root))
            lock = os.open(directory / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._directory, self._lock = directory, lock
        return self._directory

    def open(self) -> None:
        """Remove what stopped processes left, then make this process's directory."""
        self.sweep()
        _ = self.directory

    def sweep(self) -> int:
        """Remove the directories of processes that are gone; return how many."""
        removed = 0
        for directory in self.root.glob(f"{DIRECTORY_PREFIX}*"):
            if directory == self._directory or not _abandoned(directory):
                continue
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
        if removed:
            log.info("removed %d temporary upload folder(s) left by stopped processes", removed)
        return removed

    def write(self, data: bytes = b"") -> tuple[Path, int]:
        """A new private file holding `data` (for bodies already read); 507 when full."""
        handle, name = tempfile.mkstemp(dir=self.directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
        except BaseException as exc:
            _unwritten(Path(name), exc)
            raise
        return Path(name), len(data)

    async def receive(self, request: Request, limit: int) -> tuple[Path, int]:
        """Write the body of a `stream=True` route to a new file; 413 over `limit` bytes.

        The caller owns the file (and removes it); on any failure here it is removed.
        """
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large(int(declared), limit)
        stream = request.stream
        assert stream is not None
        stream.request_max_size = limit  # chunked bodies stop at the limit too
        handle, name = tempfile.mkstemp(dir=self.directory)
        path, size = Path(name), 0
        try:
            with os.fdopen(handle, "wb") as out:
                while True:
                    try:
                        chunk = await stream.read()  # type: ignore[attr-defined]
                    except SanicPayloadTooLarge:
                        raise too_large(None, limit) from None
                    if chunk is None:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise too_large(None, limit)
                    out.write(chunk)
                    out.flush()  # on disk as it arrives: no copy of it kept in memory
        except BaseException as exc:
            _unwritten(path, exc)
            raise
        return path, size

    def close(self) -> None:
        """Remove this process's directory (a job still reading its open file keeps it)."""
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _unwritten(path: Path, exc: BaseException) -> None:
    """Remove a file that could not be written whole; raise 507 if the disk is full."""
    with contextlib.suppress(OSError):
        os.unlink(path)
    if isinstance(exc, OSError) and exc.errno in NO_ROOM:
        raise InsufficientStorage("The server has no room to receive this file now.") from exc


def _abandoned(directory: Path) -> bool:
    """Whether no process holds the directory's lock, and it is past its start grace."""
    try:
        if time.time() - directory.stat().st_mtime < START_GRACE_SECONDS:
            return False
        lock = os.open(directory / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return directory.is_dir()  # its owner stopped before it could make the lock
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its process lives
    finally:
        os.close(lock)
    return True
