"""Files in an S3 bucket (AWS S3, Google Cloud Storage, Ceph RGW, SeaweedFS, MinIO).

One aiobotocore client per process, opened by `start()` at server start and closed by `close()`.
Keys are the same `<user id>/<name>` as on the local disk, under an optional prefix. A PUT is
atomic on every S3 server: a reader sees the whole object or none. Errors become StorageError
subclasses (s3_errors.py), so that the services map them to HTTP without knowing about S3.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError

from gamecoll.storage.base import (
    DEFAULT_CHUNK_SIZE,
    FileInfo,
    StorageNotFound,
    StorageUnavailable,
)
from gamecoll.storage.keys import check_prefix, validate_key
from gamecoll.storage.s3_errors import TRANSIENT, storage_error

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

log = logging.getLogger("gamecoll.storage")

CONNECT_TIMEOUT: Final = 3.0
"""Seconds to open a connection: an unreachable store answers 503 quickly."""
READ_TIMEOUT: Final = 15.0
"""Seconds without a byte from the store before a request fails."""
MAX_ATTEMPTS: Final = 2
"""Tries per request (one retry): enough for a dropped keep-alive connection, short for users."""
POOL_CONNECTIONS: Final = 64
DELETE_BATCH: Final = 1000
"""DeleteObjects takes at most 1000 keys a call."""


@dataclass(slots=True)
class S3File:
    """An object opened for streaming: the GET is already answered, its body not yet read."""

    key: str
    size: int
    storage: S3Storage
    body: Any = field(default=None, repr=False)

    @property
    def path(self) -> Path | None:
        """Objects have no local path."""
        return None

    async def chunks(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the body as it arrives; a failure half-way raises StorageUnavailable."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        body, self.body = self.body, None
        if body is None:  # read a second time: ask again
            body = (await self.storage.get(self.key))[1]
        try:
            while True:
                try:
                    chunk = await body.read(chunk_size)
                except TRANSIENT as exc:
                    raise storage_error(exc, "reading", self.key) from exc
                if not chunk:
                    return
                yield chunk
        finally:
            body.close()

    def close(self) -> None:
        """Release the connection of a body that is not going to be read."""
        body, self.body = self.body, None
        if body is not None:
            body.close()


class S3Storage:
    """Storage in one bucket, with an optional key prefix (such as `gamecoll/`)."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url or None
        self.region = region
        self.prefix = prefix
        self._credentials = (access_key_id, secret_access_key)
        self._client: S3Client | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._starting = asyncio.Lock()

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint={self.endpoint_url!r})"

    @property
    def location(self) -> str:
        """Where the files are, for messages: `s3://bucket/prefix` at the endpoint."""
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the client (no request is sent: a store that is down now may come back)."""
        async with self._starting:
            if self._client is not None:
                return
            config = Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                max_pool_connections=POOL_CONNECTIONS,
                # Most servers other than AWS want path-style URLs (bucket in the path).
                s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                # The newer default checksums are not understood by every S3 server.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            stack = contextlib.AsyncExitStack()
            key_id, secret = self._credentials
            self._client = await stack.enter_async_context(
                get_session().create_client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id=key_id or None,
                    aws_secret_access_key=secret or None,
                    config=config,
                )
            )
            self._stack = stack

    async def close(self) -> None:
        """Close the client and its connections."""
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def _s3(self) -> S3Client:
        if self._client is None:
            await self.start()  # commands and tests that did not call start()
        assert self._client is not None
        return self._client

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    # -- operations --------------------------------------------------------------------------

    async def save(self, key: str, data: bytes) -> None:
        """PUT the object: S3 makes it visible only once it is whole (Content-MD5 checked)."""
        name = self._name(key)
        client = await self._s3()
        digest = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            await client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentMD5=digest)
        except (ClientError, *TRANSIENT) as exc:
            raise storage_error(exc, "writing", key) from exc

    async def get(self, key: str) -> tuple[int, Any]:
        """GET an object: its size and its unread body."""
        name = self._name(key)
        client = await self._s3()
        try:
            answer = await client.get_object(Bucket=self.bucket, Key=name)
        except (ClientError, *TRANSIENT) as exc:
            raise storage_error(exc, "opening", key) from exc
        return int(answer["ContentLength"]), answer["Body"]

    async def open(self, key: str) -> S3File:
        """GET the object and return it for streaming; StorageNotFound when there is none."""
        size, body = await self.get(key)
        return S3File(key=key, size=size, storage=self, body=body)

    async def stat(self, key: str) -> FileInfo:
        """HEAD the object: its size and time of writing."""
        name = self._name(key)
        client = await self._s3()
        try:
            answer = await client.head_object(Bucket=self.bucket, Key=name)
        except (ClientError, *TRANSIENT) as exc:
            raise storage_error(exc, "checking", key) from exc
        return FileInfo(
            size=int(answer["ContentLength"]), modified=answer["LastModified"].timestamp()
        )

    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error (S3 answers 204 either way)."""
        name = self._name(key)
        client = await self._s3()
        try:
            await client.delete_object(Bucket=self.bucket, Key=name)
        except (ClientError, *TRANSIENT) as exc:
            error = storage_error(exc, "deleting", key)
            if not isinstance(error, StorageNotFound):
                raise error from exc

    async def delete_prefix(self, prefix: str) -> None:
        """Remove every object under a folder prefix such as `<user id>/`, 1000 per request."""
        if not prefix.endswith("/"):
            raise ValueError(f"a prefix to delete must name a folder and end with '/': {prefix!r}")
        validate_key(prefix[:-1])
        client = await self._s3()
        batch: builtins.list[str] = []
        async for key in self.list(prefix):
            batch.append(key)
            if len(batch) == DELETE_BATCH:
                await self._delete_batch(client, batch)
                batch = []
        if batch:
            await self._delete_batch(client, batch)

    async def _delete_batch(self, client: S3Client, keys: builtins.list[str]) -> None:
        objects: Any = [{"Key": self.prefix + key} for key in keys]
        try:
            answer = await client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )
        except (ClientError, *TRANSIENT) as exc:
            raise storage_error(exc, "deleting", keys[0]) from exc
        errors = answer.get("Errors", [])
        if errors:
            log.error("object storage kept %d object(s): %s", len(errors), errors[0])
            raise StorageUnavailable()

    async def list(self, prefix: str = "") -> AsyncIterator[str]:
        """Yield the keys under `prefix` in the store's (byte-wise sorted) order."""
        check_prefix(prefix)
        client = await self._s3()
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        try:
            async for page in pages:
                for entry in page.get("Contents", []):
                    key = entry.get("Key", "")[len(self.prefix) :]
                    try:
                        validate_key(key)
                    except ValueError:
                        continue  # not one of ours
                    yield key
        except (ClientError, *TRANSIENT) as exc:
            raise storage_error(exc, "listing", prefix or "/") from exc
