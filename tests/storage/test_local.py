"""LocalStorage on real files in tmp_path: atomic writes, failures, key safety, symlinks.

The contract both backends share is tested in test_backends.py.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from gamecoll.storage import (
    LocalStorage,
    Storage,
    StorageFull,
    StorageNotFound,
    StorageUnavailable,
    validate_key,
)
from gamecoll.storage.local import TEMP_PREFIX

USER = "0b7e8f2c-5d4a-4c1e-9f3b-2a6d8e1c4b70"
OTHER = "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "images"


@pytest.fixture
def storage(root: Path) -> LocalStorage:
    return LocalStorage(root)


def all_files(path: Path) -> list[str]:
    """Every file and folder under `path`, temporary ones included."""
    if not path.exists():
        return []
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))


async def collect(storage: Storage, prefix: str = "") -> list[str]:
    return [key async for key in storage.list(prefix)]


# -- save and open ----------------------------------------------------------------------------


async def test_save_writes_the_file_under_the_root(storage: LocalStorage, root: Path) -> None:
    key = f"{USER}/a1b2c3.jpg"

    await storage.save(key, b"jpeg bytes")

    assert (root / USER / "a1b2c3.jpg").read_bytes() == b"jpeg bytes"
    assert all_files(root) == [USER, key]  # no temporary file left
    assert (await storage.stat(key)).size == len(b"jpeg bytes")


async def test_save_replaces_an_existing_file(storage: LocalStorage, root: Path) -> None:
    key = f"{USER}/same.png"
    await storage.save(key, b"first version")
    await storage.save(key, b"second")

    assert (root / key).read_bytes() == b"second"
    assert all_files(root) == [USER, key]


async def test_open_streams_the_content_in_chunks(storage: LocalStorage, root: Path) -> None:
    key = f"{USER}/big.webp"
    data = os.urandom(200_000)
    await storage.save(key, data)

    stored = await storage.open(key)
    chunks = [chunk async for chunk in stored.chunks(65_536)]

    assert stored.key == key
    assert stored.size == len(data)
    assert stored.path == root.resolve() / key
    assert [len(chunk) for chunk in chunks] == [65_536, 65_536, 65_536, 3_392]
    assert b"".join(chunks) == data


async def test_open_of_a_folder_is_not_found(storage: LocalStorage) -> None:
    await storage.save(f"{USER}/x.jpg", b"x")
    with pytest.raises(StorageNotFound):
        await storage.open(USER)


async def test_blocking_io_runs_in_worker_threads(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_to_thread = asyncio.to_thread

    async def spying_to_thread(func, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(getattr(func, "__name__", repr(func)))
        return await real_to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", spying_to_thread)
    key = f"{USER}/t.jpg"
    await storage.save(key, b"data")
    await storage.stat(key)
    stored = await storage.open(key)
    _ = [chunk async for chunk in stored.chunks()]
    await collect(storage)
    await storage.delete(key)

    assert {"_save_sync", "_stat_sync", "_size_sync", "open", "read", "_delete_sync"} <= set(calls)


# -- failures leave nothing behind ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [(errno.ENOSPC, StorageFull), (errno.EDQUOT, StorageFull), (errno.EIO, StorageUnavailable)],
)
async def test_disk_error_during_write_leaves_no_file(
    storage: LocalStorage,
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    error: type[Exception],
) -> None:
    """The disk refusing to flush (as a full disk does) is simulated at the os.fsync call."""

    def failing_fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    await storage.save(f"{USER}/kept.jpg", b"earlier upload")
    monkeypatch.setattr(os, "fsync", failing_fsync)

    with pytest.raises(error):
        await storage.save(f"{USER}/new.jpg", b"x" * 100_000)

    assert all_files(root) == [USER, f"{USER}/kept.jpg"]


async def test_failed_folder_fsync_removes_the_renamed_file(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync_failing_on_folders(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "I/O error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_failing_on_folders)

    with pytest.raises(StorageUnavailable):
        await storage.save(f"{USER}/new.jpg", b"data")

    assert not (root / USER / "new.jpg").exists()
    assert [name for name in all_files(root) if TEMP_PREFIX in name] == []


async def test_folder_that_is_a_file_is_unavailable(storage: LocalStorage, root: Path) -> None:
    root.mkdir()
    (root / USER).write_bytes(b"a file where the user's folder should be")

    with pytest.raises(StorageUnavailable):
        await storage.save(f"{USER}/photo.jpg", b"data")

    assert all_files(root) == [USER]


async def test_failed_rename_leaves_no_temporary_file(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)

    with pytest.raises(StorageFull):
        await storage.save(f"{USER}/photo.jpg", b"data")

    assert [name for name in all_files(root) if name.endswith((".jpg", ".part"))] == []


async def test_new_folders_and_root_are_fsynced(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    await storage.save(f"{USER}/photo.jpg", b"data")

    resolved = root.resolve()
    assert str(resolved / USER) in synced  # the rename is durable
    assert str(resolved) in synced  # and so is the new user folder
    assert any(TEMP_PREFIX in path for path in synced)  # the data itself, before the rename


# -- key safety -------------------------------------------------------------------------------

BAD_KEYS = [
    "",
    "../escape.jpg",
    f"{USER}/../../escape.jpg",
    f"{USER}/./photo.jpg",
    "/etc/passwd",
    "//server/share.jpg",
    f"{USER}\\photo.jpg",
    f"{USER}//photo.jpg",
    f"{USER}/",
    f"{USER}/.hidden",
    f"{USER}/.tmp-abc.part",
    "..",
    ".",
    f"{USER}/photo one.jpg",
    f"{USER}/phöto.jpg",
    f"{USER}/photo.jpg\x00.png",
    f"{USER}/photo.jpg\n",
    "a/" * 600 + "x.jpg",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_refused_everywhere(
    storage: LocalStorage, root: Path, key: str
) -> None:
    with pytest.raises(ValueError):
        validate_key(key)
    with pytest.raises(ValueError):
        await storage.save(key, b"data")
    with pytest.raises(ValueError):
        await storage.open(key)
    with pytest.raises(ValueError):
        await storage.stat(key)
    with pytest.raises(ValueError):
        await storage.delete(key)
    assert all_files(root) == []


async def test_symlink_out_of_the_root_is_refused(
    storage: LocalStorage, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    root.mkdir()
    (root / "evil").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ValueError):
        await storage.save("evil/photo.jpg", b"data")
    with pytest.raises(ValueError):
        await storage.open("evil/secret.txt")
    with pytest.raises(ValueError):
        await storage.delete("evil/secret.txt")
    with pytest.raises(ValueError):
        await storage.delete_prefix("evil/")

    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert await collect(storage) == []  # symlinks are not listed as keys


def test_good_keys_pass() -> None:
    for key in (f"{USER}/0123456789abcdef.jpg", "a", "a-b_c.d/e", f"{USER}/x.thumb.webp"):
        assert validate_key(key) == key


# -- delete -----------------------------------------------------------------------------------


async def test_delete_removes_the_file_and_its_empty_folder(
    storage: LocalStorage, root: Path
) -> None:
    await storage.save(f"{USER}/a.jpg", b"a")
    await storage.save(f"{USER}/b.jpg", b"b")

    await storage.delete(f"{USER}/a.jpg")
    assert all_files(root) == [USER, f"{USER}/b.jpg"]

    await storage.delete(f"{USER}/b.jpg")
    assert all_files(root) == []
    assert root.is_dir()  # the root itself stays


async def test_concurrent_saves_survive_folder_pruning(storage: LocalStorage, root: Path) -> None:
    """Deletes empty the user folder while other uploads to it are in flight."""

    async def save_then_delete(index: int) -> None:
        await storage.save(f"{USER}/gone{index}.jpg", b"x")
        await storage.delete(f"{USER}/gone{index}.jpg")

    keep = [f"{USER}/keep{index}.jpg" for index in range(40)]
    await asyncio.gather(
        *(save_then_delete(index) for index in range(40)),
        *(storage.save(key, key.encode()) for key in keep),
    )

    assert await collect(storage) == sorted(keep)
    assert all((root / key).read_bytes() == key.encode() for key in keep)
    assert [name for name in all_files(root) if TEMP_PREFIX in name] == []


async def test_save_makes_the_folder_again_when_a_delete_pruned_it(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact interleaving: a delete removes the emptied folder between mkdir and create."""
    real_mkstemp = tempfile.mkstemp
    pruned: list[str] = []

    def mkstemp_after_a_concurrent_prune(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if not pruned:
            pruned.append(str(kwargs["dir"]))
            os.rmdir(kwargs["dir"])  # what storage.delete does to an emptied folder
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_after_a_concurrent_prune)

    await storage.save(f"{USER}/photo.jpg", b"data")

    assert pruned == [str(root.resolve() / USER)]
    assert (root / USER / "photo.jpg").read_bytes() == b"data"


async def test_delete_prefix_removes_one_users_folder(storage: LocalStorage, root: Path) -> None:
    for name in ("a.jpg", "a.thumb.webp", "nested/b.png"):
        await storage.save(f"{USER}/{name}", b"data")
    await storage.save(f"{OTHER}/c.gif", b"data")
    (root / USER / f"{TEMP_PREFIX}crashed.part").write_bytes(b"half a file")

    await storage.delete_prefix(f"{USER}/")

    assert all_files(root) == [OTHER, f"{OTHER}/c.gif"]
    await storage.delete_prefix(f"{USER}/")  # already gone: fine


async def test_delete_prefix_needs_a_folder(storage: LocalStorage, root: Path) -> None:
    await storage.save(f"{USER}/a.jpg", b"data")
    for prefix in ("", "/", USER[:8], f"{USER}", "../", f"{USER}/../"):
        with pytest.raises(ValueError):
            await storage.delete_prefix(prefix)
    assert all_files(root) == [USER, f"{USER}/a.jpg"]


# -- list and maintenance ---------------------------------------------------------------------


async def test_list_walks_the_tree_sorted(storage: LocalStorage, root: Path) -> None:
    keys = [f"{OTHER}/z.jpg", f"{USER}/b.jpg", f"{USER}/a.jpg", f"{USER}/sub/c.png", "loose.gif"]
    for key in keys:
        await storage.save(key, b"data")
    (root / USER / f"{TEMP_PREFIX}crashed.part").write_bytes(b"temp")
    (root / USER / "bad name.jpg").write_bytes(b"not a key")

    assert await collect(storage) == sorted(keys)
    assert await collect(storage, f"{USER}/") == sorted(k for k in keys if k.startswith(USER))
    assert await collect(storage, USER[:4]) == sorted(k for k in keys if k.startswith(USER))
    assert await collect(storage, f"{USER}/s") == [f"{USER}/sub/c.png"]
    assert await collect(storage, "nobody/") == []


async def test_clean_temp_files_removes_only_old_leftovers(
    storage: LocalStorage, root: Path
) -> None:
    await storage.save(f"{USER}/a.jpg", b"data")
    old = root / USER / f"{TEMP_PREFIX}old.part"
    young = root / USER / f"{TEMP_PREFIX}young.part"
    old.write_bytes(b"crashed write")
    young.write_bytes(b"write in progress")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))

    removed = await storage.clean_temp_files(older_than=3600)

    assert removed == [f"{USER}/{TEMP_PREFIX}old.part"]
    assert not old.exists() and young.exists()
    assert (root / USER / "a.jpg").exists()
