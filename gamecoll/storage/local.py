"""Files on the local disk under one root folder: atomic writes, blocking I/O in threads."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from gamecoll.storage.base import FileInfo, StorageNotFound
from gamecoll.storage.keys import NAME, validate_key
from gamecoll.storage.local_file import LocalFile, fsync_directory, os_failure, unlink_quietly

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"
_SAVE_ATTEMPTS = 3  # a concurrent delete may remove an emptied folder between mkdir and create


class LocalStorage:
    """Storage in a folder: key `<user id>/<name>.jpg` is the file `root/<user id>/<name>.jpg`.

    Writes go to a temporary file in the target folder (named `.tmp-*.part`, never a valid
    key), are flushed and fsynced, renamed over the target and the folder is fsynced.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    async def start(self) -> None:
        """Nothing to open: files are opened per request."""

    async def close(self) -> None:
        """Nothing to release."""

    # -- paths -------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        """Check the key's syntax and return its path (not yet resolved)."""
        return self.root / validate_key(key)

    def _check_inside(self, path: Path, *, follow_last: bool = True) -> None:
        """Raise ValueError unless `path` resolves under the root (symlinks included)."""
        target = path.resolve() if follow_last else path.parent.resolve() / path.name
        if target == self.root or not target.is_relative_to(self.root):
            raise ValueError(f"storage path escapes the root: {path}")

    # -- save --------------------------------------------------------------------------------

    async def save(self, key: str, data: bytes) -> None:
        """Write `data` under `key` atomically (temp file, fsync, rename, fsync the folder).

        On failure nothing is left: StorageFull when the disk or quota is full,
        StorageUnavailable for any other OS error. An existing file is replaced.
        """
        path = self._path(key)
        await asyncio.to_thread(self._save_sync, path, data)

    def _save_sync(self, path: Path, data: bytes) -> None:
        self._check_inside(path)
        directory = path.parent
        fd, temp_name, synced_dirs = self._create_temp(directory)
        try:
            with open(fd, "wb", closefd=True) as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
        except BaseException as exc:
            unlink_quietly(temp_name)
            if isinstance(exc, OSError):
                raise os_failure(exc) from exc
            raise
        try:
            for folder in synced_dirs:
                fsync_directory(folder)
        except OSError as exc:
            # The rename may not survive a crash: report the failure and leave nothing behind.
            unlink_quietly(path)
            raise os_failure(exc) from exc

    def _create_temp(self, directory: Path) -> tuple[int, str, builtins.list[Path]]:
        """Create the folders and a temporary file; return it and the folders to fsync."""
        for attempt in range(_SAVE_ATTEMPTS):
            missing = [
                folder
                for folder in (directory, *directory.parents)
                if folder.is_relative_to(self.root) and not folder.exists()
            ]
            try:
                directory.mkdir(parents=True, exist_ok=True)
                fd, temp_name = tempfile.mkstemp(
                    prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory
                )
            except FileNotFoundError as exc:
                if attempt + 1 < _SAVE_ATTEMPTS:
                    continue  # the folder was pruned by a concurrent delete: make it again
                raise os_failure(exc) from exc
            except OSError as exc:
                raise os_failure(exc) from exc
            # The file's folder, plus the parent of every folder this save created.
            synced = [directory] + [folder.parent for folder in missing]
            return fd, temp_name, list(dict.fromkeys(synced))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- read --------------------------------------------------------------------------------

    async def open(self, key: str) -> LocalFile:
        """Return the file for streaming; StorageNotFound when it is missing."""
        path = self._path(key)
        size = await asyncio.to_thread(self._size_sync, path)
        return LocalFile(key=key, path=path, size=size)

    def _size_sync(self, path: Path) -> int:
        self._check_inside(path)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise StorageNotFound() from exc
        except OSError as exc:
            raise os_failure(exc) from exc
        if not stat.S_ISREG(info.st_mode):
            raise StorageNotFound()
        return info.st_size

    async def stat(self, key: str) -> FileInfo:
        """Return the file's size and modification time; StorageNotFound when it is missing."""
        path = self._path(key)
        return await asyncio.to_thread(self._stat_sync, path)

    def _stat_sync(self, path: Path) -> FileInfo:
        size = self._size_sync(path)
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError as exc:
            raise StorageNotFound() from exc
        except OSError as exc:
            raise os_failure(exc) from exc
        return FileInfo(size=size, modified=modified)

    # -- delete ------------------------------------------------------------------------------

    async def delete(self, key: str) -> None:
        """Remove a file (missing is fine), then the folders it leaves empty."""
        path = self._path(key)
        await asyncio.to_thread(self._delete_sync, path)

    def _delete_sync(self, path: Path) -> None:
        self._check_inside(path, follow_last=False)  # unlinking a symlink only removes the link
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            raise os_failure(exc) from exc
        self._prune(path.parent)

    def _prune(self, directory: Path) -> None:
        """Remove empty folders from `directory` up to (not including) the root.

        rmdir refuses a folder that is not empty, so a concurrent save (whose temporary file
        is already in the folder) is never disturbed; a save that finds its folder gone
        makes it again.
        """
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    async def delete_prefix(self, prefix: str) -> None:
        """Remove a whole folder such as `<user id>/` (account deletion); missing is fine."""
        if not prefix.endswith("/"):
            raise ValueError(f"a prefix to delete must name a folder and end with '/': {prefix!r}")
        path = self._path(prefix[:-1])
        await asyncio.to_thread(self._delete_prefix_sync, path)

    def _delete_prefix_sync(self, path: Path) -> None:
        self._check_inside(path, follow_last=False)
        if path.is_symlink():
            raise ValueError(f"refusing to delete through a symlink: {path}")
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                self._remove_tree(path)
                break
            except OSError as exc:
                # ENOTEMPTY: a file appeared while deleting; go round again.
                if exc.errno == errno.ENOTEMPTY and attempt + 1 < _SAVE_ATTEMPTS:
                    continue
                raise os_failure(exc) from exc
        self._prune(path.parent)

    def _remove_tree(self, directory: Path) -> None:
        """Delete a folder bottom-up without following symlinks; vanished entries are fine."""
        try:
            with os.scandir(directory) as scan:
                entries = builtins.list(scan)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                self._remove_tree(Path(entry.path))
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
        with contextlib.suppress(FileNotFoundError):
            directory.rmdir()

    # -- list --------------------------------------------------------------------------------

    async def list(self, prefix: str = "") -> AsyncIterator[str]:
        """Yield stored keys starting with `prefix`, sorted, one top-level folder at a time.

        Only regular files with valid key names are listed: temporary files and symlinks are
        not keys (see `clean_temp_files`).
        """
        base_rel, partial = self._split_prefix(prefix)
        names = await asyncio.to_thread(self._names_sync, self.root / base_rel)
        for name in names:
            if name.startswith(partial):
                for key in await asyncio.to_thread(self._walk_sync, base_rel + name):
                    yield key

    def _split_prefix(self, prefix: str) -> tuple[str, str]:
        """Split a prefix into its folder part ("" or ending in "/") and a name start."""
        if prefix == "":
            return "", ""
        if prefix.endswith("/"):
            validate_key(prefix[:-1])
            return prefix, ""
        validate_key(prefix)
        folder, _, partial = prefix.rpartition("/")
        return (folder + "/" if folder else ""), partial

    def _names_sync(self, directory: Path) -> builtins.list[str]:
        if directory != self.root:
            self._check_inside(directory)
        try:
            with os.scandir(directory) as entries:
                return sorted(
                    entry.name for entry in entries if NAME.fullmatch(entry.name) is not None
                )
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise os_failure(exc) from exc

    def _walk_sync(self, rel: str) -> builtins.list[str]:
        path = self.root / rel
        try:
            if path.is_symlink():
                return []
            if path.is_file():
                return [rel]
            if not path.is_dir():
                return []
            keys: builtins.list[str] = []
            for name in self._names_sync(path):
                keys.extend(self._walk_sync(f"{rel}/{name}"))
            return keys
        except OSError as exc:
            raise os_failure(exc) from exc

    # -- maintenance -------------------------------------------------------------------------

    async def clean_temp_files(self, older_than: float = 3600.0) -> builtins.list[str]:
        """Remove temporary files left by crashed writes, older than `older_than` seconds.

        Returns their paths relative to the root. Younger ones may belong to a write in
        progress and are kept.
        """
        return await asyncio.to_thread(self._clean_temp_sync, time.time() - older_than)

    def _clean_temp_sync(self, cutoff: float) -> builtins.list[str]:
        removed: builtins.list[str] = []
        for folder, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
                    continue
                path = Path(folder) / name
                try:
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed.append(path.relative_to(self.root).as_posix())
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise os_failure(exc) from exc
        return removed
