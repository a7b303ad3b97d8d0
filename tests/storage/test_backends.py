"""The Storage contract, run on both backends: a local folder and a real S3 server (SeaweedFS).

Local-disk details (temporary files, fsync, symlinks) are in test_local.py, S3 failures in
test_s3.py.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gamecoll.storage import LocalStorage, Storage, StorageNotFound
from gamecoll.storage.s3 import S3Storage
from tests.s3server import ACCESS_KEY, SECRET_KEY, SeaweedFS

USER = "0b7e8f2c-5d4a-4c1e-9f3b-2a6d8e1c4b70"
OTHER = "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b"
BAD_KEYS = ["../escape.jpg", f"{USER}/../x.jpg", "/etc/passwd", f"{USER}//a.jpg", f"{USER}/.tmp"]


def s3_storage(server: SeaweedFS, prefix: str, **overrides: str) -> S3Storage:
    """An S3Storage on the test server under its own key prefix."""
    options = {
        "bucket": server.bucket,
        "endpoint_url": server.endpoint,
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "prefix": prefix,
        **overrides,
    }
    return S3Storage(**options)


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A started, empty storage of each kind."""
    made: Storage
    if request.param == "local":
        made = LocalStorage(tmp_path / "images")
    else:
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        made = s3_storage(server, f"t-{uuid.uuid4().hex[:12]}/")
    await made.start()
    try:
        yield made
    finally:
        await made.close()


async def collect(storage: Storage, prefix: str = "") -> list[str]:
    return [key async for key in storage.list(prefix)]


async def read(storage: Storage, key: str, chunk_size: int = 65_536) -> list[bytes]:
    stored = await storage.open(key)
    return [chunk async for chunk in stored.chunks(chunk_size)]


async def test_saved_files_stream_back_in_chunks(storage: Storage) -> None:
    key = f"{USER}/big.webp"
    data = os.urandom(200_000)
    before = time.time()
    await storage.save(key, data)

    stored = await storage.open(key)
    assert (stored.key, stored.size) == (key, len(data))
    chunks = [chunk async for chunk in stored.chunks(65_536)]
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 65_536
    assert len(chunks) >= 4  # streamed, not read whole
    info = await storage.stat(key)
    assert info.size == len(data)
    assert before - 5 <= info.modified <= time.time() + 5


async def test_save_replaces_an_existing_file(storage: Storage) -> None:
    key = f"{USER}/same.png"
    await storage.save(key, b"first version")
    await storage.save(key, b"second")

    assert await read(storage, key) == [b"second"]
    assert await collect(storage) == [key]


async def test_an_empty_file_is_a_file(storage: Storage) -> None:
    await storage.save(f"{USER}/empty.gif", b"")
    assert (await storage.stat(f"{USER}/empty.gif")).size == 0
    assert await read(storage, f"{USER}/empty.gif") == []


async def test_missing_files_are_not_found(storage: Storage) -> None:
    with pytest.raises(StorageNotFound):
        await storage.open(f"{USER}/missing.jpg")
    with pytest.raises(StorageNotFound):
        await storage.stat(f"{USER}/missing.jpg")
    assert f"{USER}/missing.jpg" not in await collect(storage)


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_refused(storage: Storage, key: str) -> None:
    for operation in (
        storage.save(key, b"data"),
        storage.open(key),
        storage.stat(key),
        storage.delete(key),
    ):
        with pytest.raises(ValueError):
            await operation
    assert await collect(storage) == []


async def test_delete_removes_one_file_and_missing_is_fine(storage: Storage) -> None:
    await storage.save(f"{USER}/a.jpg", b"a")
    await storage.save(f"{USER}/b.jpg", b"b")

    await storage.delete(f"{USER}/a.jpg")
    await storage.delete(f"{USER}/a.jpg")
    await storage.delete(f"{USER}/never-saved.jpg")

    assert await collect(storage) == [f"{USER}/b.jpg"]


async def test_delete_prefix_removes_one_users_files(storage: Storage) -> None:
    mine = [f"{USER}/a.jpg", f"{USER}/a.thumb.webp", f"{USER}/nested/b.png"]
    for key in [*mine, f"{OTHER}/c.gif"]:
        await storage.save(key, b"data")

    await storage.delete_prefix(f"{USER}/")

    assert await collect(storage) == [f"{OTHER}/c.gif"]
    await storage.delete_prefix(f"{USER}/")  # already gone: fine
    for prefix in ("", "/", USER[:8], USER, "../"):
        with pytest.raises(ValueError):
            await storage.delete_prefix(prefix)
    assert await collect(storage) == [f"{OTHER}/c.gif"]


async def test_delete_prefix_takes_more_than_one_batch(storage: Storage) -> None:
    """S3 deletes at most 1000 keys per request; 1001 files need two."""
    keys = [f"{USER}/{index:04d}.jpg" for index in range(1001)]
    for start in range(0, len(keys), 100):
        await asyncio.gather(*(storage.save(key, b"x") for key in keys[start : start + 100]))
    await storage.save(f"{OTHER}/kept.jpg", b"x")

    await storage.delete_prefix(f"{USER}/")

    assert await collect(storage) == [f"{OTHER}/kept.jpg"]


async def test_list_is_sorted_and_filtered_by_prefix(storage: Storage) -> None:
    keys = [f"{OTHER}/z.jpg", f"{USER}/b.jpg", f"{USER}/a.jpg", f"{USER}/sub/c.png", "loose.gif"]
    for key in keys:
        await storage.save(key, b"data")

    assert await collect(storage) == sorted(keys)
    assert await collect(storage, f"{USER}/") == sorted(k for k in keys if k.startswith(USER))
    assert await collect(storage, USER[:4]) == sorted(k for k in keys if k.startswith(USER))
    assert await collect(storage, f"{USER}/s") == [f"{USER}/sub/c.png"]
    assert await collect(storage, "nobody/") == []


@pytest.mark.parametrize("prefix", ["../", "/", f"{USER}//", "a\\b"])
async def test_list_refuses_unsafe_prefixes(storage: Storage, prefix: str) -> None:
    with pytest.raises(ValueError):
        await collect(storage, prefix)


async def test_concurrent_saves_and_deletes_keep_the_right_files(storage: Storage) -> None:
    async def save_then_delete(index: int) -> None:
        await storage.save(f"{USER}/gone{index}.jpg", b"x")
        await storage.delete(f"{USER}/gone{index}.jpg")

    keep = [f"{USER}/keep{index}.jpg" for index in range(20)]
    await asyncio.gather(
        *(save_then_delete(index) for index in range(20)),
        *(storage.save(key, key.encode()) for key in keep),
    )

    assert await collect(storage) == sorted(keep)
    for key in keep:
        assert await read(storage, key) == [key.encode()]
