"""Renditions of every upload: a 1600 px display picture and 400/800 px thumbnails, all WebP."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    assert_storage_matches_database,
    b64,
    create_with_image,
    files_on_disk,
    new_user,
    send_multipart,
)
from tests.conftest import LiveApp
from tests.helpers import PASSWORD

IMMUTABLE = "private, max-age=31536000, immutable"
URLS = {"display_url": 1600, "thumbnail_2x_url": 800, "thumbnail_url": 400}


async def fetch(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Image.Image:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == IMMUTABLE
    im = Image.open(io.BytesIO(response.content))
    im.load()
    assert im.format == "WEBP"
    return im


async def sizes(
    client: httpx.AsyncClient, headers: dict[str, str], item: dict[str, Any]
) -> dict[str, tuple[int, int]]:
    image = item["image"]
    return {key: (await fetch(client, image[key], headers)).size for key in URLS}


async def test_a_photo_gets_a_display_picture_and_two_thumbnails(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.noisy_jpeg(2000, 1500))

    assert await sizes(client, headers, item) == {
        "display_url": (1600, 1200),
        "thumbnail_2x_url": (800, 600),
        "thumbnail_url": (400, 300),
    }
    assert len(files_on_disk(live.settings.image_dir)) == FILES_PER_IMAGE
    await assert_storage_matches_database(live)
    raw = await client.get(item["image"]["raw_url"], headers=headers)
    assert raw.headers["content-type"] == "image/jpeg"  # the original stays available
    assert Image.open(io.BytesIO(raw.content)).size == (2000, 1500)


async def test_a_sideways_phone_photo_has_upright_renditions(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.phone_jpeg(3000, 2000))

    assert (item["image"]["width"], item["image"]["height"]) == (2000, 3000)
    assert await sizes(client, headers, item) == {
        "display_url": (1067, 1600),
        "thumbnail_2x_url": (533, 800),
        "thumbnail_url": (267, 400),
    }


async def test_png_renditions_keep_transparency_and_small_images_are_not_enlarged(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    big = await create_with_image(client, headers, make.png_with_alpha(2400, 1800))
    display = await fetch(client, big["image"]["display_url"], headers)
    assert display.size == (1600, 1200) and display.mode == "RGBA"
    assert display.getpixel((1500, 600))[3] == 0  # the right half stays transparent

    small = await create_with_image(client, headers, make.png_with_alpha(40, 30))
    assert await sizes(client, headers, small) == {key: (40, 30) for key in URLS}


async def test_an_animation_gets_still_renditions_of_its_first_frame(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    response = await send_multipart(client, headers, make.animated_gif(), filename="a.gif")
    assert response.status_code == 201, response.text
    display = await fetch(client, response.json()["image"]["display_url"], headers)
    assert getattr(display, "n_frames", 1) == 1 and display.size == (32, 24)


@pytest.mark.parametrize("key", ["display_url", "thumbnail_2x_url"])
async def test_rendition_urls_answer_304_and_follow_the_image(
    client: httpx.AsyncClient, live: LiveApp, key: str
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    url = item["image"][key]
    first = await client.get(url, headers=headers)
    etag = first.headers["etag"]
    assert etag.startswith('"') and item["image"]["sha256"] in etag
    assert (
        etag != (await client.get(item["image"]["thumbnail_url"], headers=headers)).headers["etag"]
    )

    again = await client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    unversioned = await client.get(url.split("?")[0], headers=headers)
    assert unversioned.headers["cache-control"] == "private, no-cache"
    async with live.client() as other:  # no cookies of the owner's
        assert (await other.get(url)).status_code == 401
        stranger = await new_user(other)
        assert (await other.get(url, headers=stranger)).status_code == 404

    replaced = await client.put(
        f"{ITEMS}/{item['id']}/image",
        json={"image": b64(make.png_with_alpha())},
        headers=headers,
    )
    new_url = replaced.json()["image"][key]
    assert new_url != url
    changed = await client.get(new_url.split("?")[0], headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200  # the old ETag no longer matches


async def test_deleting_an_item_or_an_account_removes_the_renditions(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    await create_with_image(client, headers, make.plain_jpeg())
    assert len(files_on_disk(live.settings.image_dir)) == 2 * FILES_PER_IMAGE

    assert (await client.delete(f"{ITEMS}/{item['id']}", headers=headers)).status_code == 204
    assert len(files_on_disk(live.settings.image_dir)) == FILES_PER_IMAGE
    gone = await client.get(item["image"]["display_url"], headers=headers)
    assert gone.status_code == 404

    deleted = await client.request(
        "DELETE", "/auth/user/me", json={"password": PASSWORD}, headers=headers
    )
    assert deleted.status_code == 204, deleted.text
    assert files_on_disk(live.settings.image_dir) == []
