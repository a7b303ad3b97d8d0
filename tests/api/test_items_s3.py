"""The collection's images on object storage (SeaweedFS), with PostgreSQL.

The same requests as on the local disk: uploads land as objects under `<prefix><user id>/`,
raw and thumbnail answers stream from the bucket, deletes remove the objects.
"""

from __future__ import annotations

import httpx
import pytest

from gamecoll.config import Settings
from gamecoll.storage.factory import build_storage
from tests import images as make
from tests.api.test_items_support import (
    ITEMS,
    create,
    create_with_image,
    item_count,
    keys_in_database,
    new_user,
    send_multipart,
    user_id,
)
from tests.conftest import LiveApp
from tests.helpers import PASSWORD


@pytest.fixture(params=["postgres+s3"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """These tests run on PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


async def stored_keys(settings: Settings) -> list[str]:
    """Every key in the app's storage (for S3: under its prefix), sorted."""
    storage = build_storage(settings)
    await storage.start()
    try:
        return sorted([key async for key in storage.list("")])
    finally:
        await storage.close()


async def test_uploads_are_objects_and_stream_back(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    assert live.settings.storage_backend == "s3"
    headers = await new_user(client)
    owner = await user_id(client, headers)
    photo = make.noisy_jpeg(700, 500)
    item = await create_with_image(client, headers, photo)
    sent = await send_multipart(client, headers, make.png_with_alpha(), filename="a.png")
    assert sent.status_code == 201, sent.text

    keys = await stored_keys(live.settings)
    assert keys == await keys_in_database(live.settings)
    assert len(keys) >= 4 and all(key.startswith(f"{owner}/") for key in keys)
    assert not live.settings.image_dir.exists()  # nothing on the local disk

    async with client.stream("GET", item["image"]["raw_url"], headers=headers) as response:
        body = b"".join([part async for part in response.aiter_raw()])
    assert response.status_code == 200
    assert response.headers["content-length"] == str(item["image"]["size"])
    assert body[:3] == b"\xff\xd8\xff" and len(body) == item["image"]["size"]
    thumb = await client.get(item["image"]["thumbnail_url"], headers=headers)
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/webp"
    assert thumb.content[:4] == b"RIFF"
    encoded = await client.get(item["image"]["url"], headers=headers)
    assert encoded.status_code == 200

    etag = thumb.headers["etag"]
    cached = await client.get(
        item["image"]["thumbnail_url"], headers={**headers, "If-None-Match": etag}
    )
    assert cached.status_code == 304


async def test_replacing_and_deleting_remove_the_objects(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    before = set(await stored_keys(live.settings))

    replaced = await send_multipart(
        client, headers, make.png_with_alpha(), method="PUT", url=f"{ITEMS}/{item['id']}/image"
    )
    assert replaced.status_code == 200, replaced.text
    after = set(await stored_keys(live.settings))
    assert after.isdisjoint(before)
    assert sorted(after) == await keys_in_database(live.settings)

    deleted = await client.delete(f"{ITEMS}/{item['id']}", headers=headers)
    assert deleted.status_code == 204
    assert await stored_keys(live.settings) == []


async def test_deleting_the_account_removes_its_objects(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    alice = await new_user(client)
    bob = await new_user(client)
    bob_id = await user_id(client, bob)
    for _ in range(3):
        await create_with_image(client, alice, make.plain_jpeg())
    await create(client, alice, name="no image")
    await create_with_image(client, bob, make.png_with_alpha())

    response = await client.request(
        "DELETE", "/auth/user/me", json={"password": PASSWORD}, headers=alice
    )

    assert response.status_code == 204, response.text
    keys = await stored_keys(live.settings)
    assert keys and {key.split("/")[0] for key in keys} == {bob_id}
    assert await item_count(live.settings) == 1
