"""Item images through the API: real uploads, cleaning, thumbnails, serving, caching, failures."""

from __future__ import annotations

import asyncio
import base64
import errno
import hashlib
import io
import os
import re
import stat
from dataclasses import replace
from typing import Any

import httpx
import pytest
from PIL import Image, ImageSequence
from tortoise.exceptions import DBConnectionError

from gamecoll.models import Item
from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    assert_storage_matches_database,
    b64,
    create,
    create_with_image,
    item_count,
    keys_in_database,
    keys_in_store,
    new_user,
    on_local_disk,
    open_image,
    remove_stored,
    send_multipart,
    stored_bytes,
    stored_keys,
    user_id,
)
from tests.conftest import DB_KINDS, DB_KINDS_WITH_S3, LiveApp
from tests.helpers import error_of

IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"
KEY = re.compile(r"[0-9a-f-]{36}/[0-9a-f]{32}\.(jpg|png|gif|webp)")
THUMB_KEY = re.compile(r"[0-9a-f-]{36}/[0-9a-f]{32}\.thumb\.webp")


@pytest.fixture(params=DB_KINDS_WITH_S3)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Run each test on SQLite, PostgreSQL, and PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


async def image_file(live: LiveApp, item: dict[str, Any]) -> tuple[str, bytes]:
    """The stored image of an item (found by its SHA-256) and its key."""
    for key in await stored_keys(live):
        if not KEY.fullmatch(key):
            continue
        data = await stored_bytes(live, key)
        if hashlib.sha256(data).hexdigest() == item["image"]["sha256"]:
            return key, data
    raise AssertionError("no stored file has the item's SHA-256")


async def get_bytes(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bytes:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


# -- what is stored ------------------------------------------------------------------------------


async def test_phone_jpeg_is_stored_upright_without_gps(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    owner = await user_id(client, headers)
    upload = make.phone_jpeg(120, 80)
    assert b"PhoneMaker" in upload and b"GPSLatitude" in upload  # the upload carries both

    item = await create_with_image(client, headers, upload)

    image = item["image"]
    assert (image["content_type"], image["width"], image["height"]) == ("image/jpeg", 80, 120)
    key, data = await image_file(live, item)
    assert KEY.fullmatch(key) and key.startswith(f"{owner}/") and key.endswith(".jpg")
    assert image["size"] == len(data)
    assert image["sha256"] == hashlib.sha256(data).hexdigest()
    for secret in (b"PhoneMaker", b"GPSLatitude", b"48,51", b"shot at home", b"Exif"):
        assert secret not in data
    im = open_image(data)
    assert im.size == (80, 120)
    assert not im.getexif()
    quadrants = {
        (10, 10): make.SEEN_TOP_LEFT,
        (70, 10): make.SEEN_TOP_RIGHT,
        (10, 110): make.SEEN_BOTTOM_LEFT,
        (70, 110): make.SEEN_BOTTOM_RIGHT,
    }
    for xy, colour in quadrants.items():
        pixel = im.convert("RGB").getpixel(xy)
        assert isinstance(pixel, tuple)
        assert all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True)), (xy, pixel)
    # What the API serves is exactly what is stored.
    assert await get_bytes(client, image["raw_url"], headers) == data


async def test_png_with_alpha_keeps_its_transparency(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)

    response = await send_multipart(
        client, headers, make.png_with_alpha(40, 30), filename="x.jpg", content_type="image/jpeg"
    )

    assert response.status_code == 201, response.text
    item = response.json()
    assert item["image"]["content_type"] == "image/png"  # decided by decoding, not the name
    key, data = await image_file(live, item)
    assert key.endswith(".png")
    assert b"taken at" not in data and b"eXIf" not in data
    im = open_image(data)
    assert im.mode == "RGBA"
    assert im.getpixel((5, 5)) == (255, 0, 0, 255)
    pixel = im.getpixel((30, 5))
    assert isinstance(pixel, tuple) and pixel[3] == 0
    thumb = open_image(await get_bytes(client, item["image"]["thumbnail_url"], headers))
    assert thumb.format == "WEBP" and thumb.mode == "RGBA"
    thumb_pixel = thumb.getpixel((35, 5))
    assert isinstance(thumb_pixel, tuple) and thumb_pixel[3] == 0


async def test_animated_gif_keeps_its_frames_and_thumbnails_the_first(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)

    item = await create_with_image(client, headers, make.animated_gif(32, 24))

    assert item["image"]["content_type"] == "image/gif"
    _, data = await image_file(live, item)
    im = Image.open(io.BytesIO(data))
    frames = [frame.convert("RGB").getpixel((5, 5)) for frame in ImageSequence.Iterator(im)]
    assert frames == list(make.FRAME_COLOURS)
    assert b"made at" not in data
    thumb = open_image(await get_bytes(client, item["image"]["thumbnail_url"], headers))
    assert thumb.format == "WEBP"
    assert getattr(thumb, "n_frames", 1) == 1
    red = thumb.convert("RGB").getpixel((5, 5))
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 50


async def test_thumbnail_is_webp_with_the_longest_side_at_most_400(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.noisy_jpeg(1000, 600))

    response = await client.get(item["image"]["thumbnail_url"], headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert open_image(response.content).size == (400, 240)
    assert (item["image"]["width"], item["image"]["height"]) == (1000, 600)


# -- what is refused -----------------------------------------------------------------------------


async def test_broken_and_hostile_uploads_are_refused_and_leave_nothing(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    cases: list[tuple[str, bytes, int, str]] = [
        ("truncated JPEG", make.truncated_jpeg(), 422, "damaged or truncated"),
        ("random bytes named .jpg", make.random_bytes(), 415, "not an image"),
        ("SVG", make.svg(), 415, "SVG"),
        ("pixel bomb", make.pixel_bomb_png(), 422, "pixels"),
        ("empty file", b"", 422, "image"),
    ]
    for label, data, status, words in cases:
        as_json = await client.post(
            ITEMS, json={"name": label, "image": b64(data)}, headers=headers
        )
        as_file = await send_multipart(client, headers, data or None, filename="photo.jpg")
        if not data:  # an empty file part means "no image" on create
            assert as_file.status_code == 201
            await client.delete(f"{ITEMS}/{as_file.json()['id']}", headers=headers)
            as_file = as_json
        for response in (as_json, as_file):
            assert response.status_code == status, (label, response.text)
            error = error_of(response)
            assert words.lower() in error["message"].lower(), (label, error)
    assert await item_count(live.settings) == 0
    assert await stored_keys(live) == []


async def test_base64_with_or_without_a_data_prefix(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    data = make.plain_jpeg()
    text = b64(data)
    variants = {
        "plain": text,
        "data URL": f"data:image/jpeg;base64,{text}",
        "data URL with another declared type": f"data:image/png;base64,{text}",
        "URL-safe, unpadded": base64.urlsafe_b64encode(data).decode().rstrip("="),
        "with line breaks": "\n".join(text[i : i + 76] for i in range(0, len(text), 76)),
    }
    shas = set()
    for label, value in variants.items():
        item = await create(client, headers, name=label, image=value)
        assert item["image"]["content_type"] == "image/jpeg", label
        shas.add(item["image"]["sha256"])
    assert len(shas) == 1

    for bad, words in [
        ("not base64 at all!", "base64"),
        ("QUJD=X", "base64"),
        ("data:image/jpeg,rawtext", "base64"),
        ("", "empty"),
    ]:
        response = await client.post(ITEMS, json={"name": "x", "image": bad}, headers=headers)
        assert response.status_code == 422, (bad, response.text)
        assert words in error_of(response)["message"]
        assert "image" in error_of(response)["fields"]
    wrong_type = await client.post(ITEMS, json={"name": "x", "image": 12}, headers=headers)
    assert wrong_type.status_code == 422


async def test_multipart_without_a_file(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)

    created = await send_multipart(
        client, headers, None, name=" Form game ", platform="GBA", metadata='{"a": [1]}'
    )

    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["name"], item["platform"], item["metadata"]) == ("Form game", "GBA", {"a": [1]})
    assert item["image"] is None
    put = await send_multipart(
        client, headers, None, method="PUT", url=f"{ITEMS}/{item['id']}/image"
    )
    assert put.status_code == 422
    assert "file part named `image`" in error_of(put)["message"]
    put_json = await client.put(f"{ITEMS}/{item['id']}/image", json={}, headers=headers)
    assert put_json.status_code == 422
    assert "image" in error_of(put_json)["fields"]
    bad_metadata = await send_multipart(client, headers, None, metadata="[1, 2]")
    assert bad_metadata.status_code == 422
    not_json = await send_multipart(client, headers, None, metadata="{oops")
    assert not_json.status_code == 422
    text_image = await send_multipart(client, headers, None, image=b64(make.plain_jpeg()))
    assert text_image.status_code == 422
    assert "file part" in error_of(text_image)["message"]
    assert await item_count(live.settings) == 1
    assert await stored_keys(live) == []


@pytest.mark.parametrize("db_kind", ["postgres+s3"])
async def test_on_s3_the_files_are_objects_under_the_key_prefix(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    owner = await user_id(client, headers)
    await create_with_image(client, headers, make.noisy_jpeg(700, 500))

    prefix = live.settings.s3_prefix
    assert live.settings.storage_backend == "s3" and prefix
    whole_bucket = await keys_in_store(replace(live.settings, s3_prefix=""))
    ours = [key.removeprefix(prefix) for key in whole_bucket if key.startswith(prefix)]
    assert ours == await keys_in_database(live.settings)
    assert len(ours) == FILES_PER_IMAGE and all(key.startswith(f"{owner}/") for key in ours)
    assert not live.settings.image_dir.exists()  # nothing on the local disk


# -- serving and caching -------------------------------------------------------------------------


async def test_get_image_answers_base64_json(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.png_with_alpha())

    response = await client.get(item["image"]["url"], headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"item_id", "content_type", "width", "height", "size", "image"}
    assert body["item_id"] == item["id"]
    assert (body["content_type"], body["width"], body["height"]) == ("image/png", 40, 30)
    assert base64.b64decode(body["image"]) == (await image_file(live, item))[1]
    assert body["size"] == item["image"]["size"]
    assert response.headers["cache-control"] == IMMUTABLE

    bare = await create(client, headers, name="no image")
    for suffix in ("/image", "/image/raw", "/thumbnail"):
        missing = await client.get(f"{ITEMS}/{bare['id']}{suffix}", headers=headers)
        assert missing.status_code == 404
        assert error_of(missing)["message"] == "This item has no image."


async def test_raw_image_caching_and_etags(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    image = item["image"]
    versioned = image["raw_url"]
    assert versioned.endswith(f"?v={image['sha256'][:16]}")
    bare = versioned.split("?")[0]

    response = await client.get(versioned, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-length"] == str(image["size"])
    etag = response.headers["etag"]
    assert etag == f'"{image["sha256"]}"'

    unversioned = await client.get(bare, headers=headers)
    assert unversioned.headers["cache-control"] == REVALIDATE
    assert unversioned.headers["etag"] == etag
    stale = await client.get(f"{bare}?v=0000000000000000", headers=headers)
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == REVALIDATE  # never cache old-version URLs forever

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get(bare, headers={**headers, "If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == REVALIDATE
    other = await client.get(bare, headers={**headers, "If-None-Match": '"other"'})
    assert other.status_code == 200


async def test_thumbnail_and_base64_follow_the_same_rules(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    for url in (item["image"]["thumbnail_url"], item["image"]["url"]):
        first = await client.get(url, headers=headers)
        assert first.status_code == 200
        assert first.headers["cache-control"] == IMMUTABLE
        assert first.headers["x-content-type-options"] == "nosniff"
        etag = first.headers["etag"]
        assert etag != f'"{item["image"]["sha256"]}"'  # not the raw image's ETag
        again = await client.get(url, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304
        unversioned = await client.get(url.split("?")[0], headers=headers)
        assert unversioned.headers["cache-control"] == REVALIDATE
    thumb = await client.get(item["image"]["thumbnail_url"], headers=headers)
    assert thumb.headers["content-type"] == "image/webp"


async def test_a_304_never_opens_the_file(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    raw = await client.get(item["image"]["raw_url"], headers=headers)
    thumb = await client.get(item["image"]["thumbnail_url"], headers=headers)
    for key in await stored_keys(live):  # the files vanish behind our back
        await remove_stored(live, key)

    for url, etag in (
        (item["image"]["raw_url"], raw.headers["etag"]),
        (item["image"]["thumbnail_url"], thumb.headers["etag"]),
    ):
        cached = await client.get(url, headers={**headers, "If-None-Match": etag})
        assert cached.status_code == 304
        gone = await client.get(url, headers=headers)
        assert gone.status_code == 404
        assert "missing" in error_of(gone)["message"]


async def test_a_304_needs_a_live_session_and_the_owners_token(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    other = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    url = item["image"]["thumbnail_url"]
    etag = (await client.get(url, headers=headers)).headers["etag"]

    assert (await client.get(url, headers={**headers, "If-None-Match": etag})).status_code == 304
    stranger = await client.get(url, headers={**other, "If-None-Match": etag})
    assert stranger.status_code == 404
    assert (await client.post("/auth/logout", headers=headers)).status_code == 204
    ended = await client.get(url, headers={**headers, "If-None-Match": etag})
    assert ended.status_code == 401
    assert "session has ended" in error_of(ended)["message"]


async def test_large_images_are_streamed_in_chunks(
    client: httpx.AsyncClient, live: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.noisy_jpeg(700, 500))
    assert item["image"]["size"] > 3 * 64 * 1024
    reads: list[int] = []
    from gamecoll.storage.local import LocalFile
    from gamecoll.storage.s3 import S3File

    file_class = LocalFile if on_local_disk(live) else S3File
    original = file_class.chunks

    async def counting(self: Any, chunk_size: int = 64 * 1024) -> Any:
        async for chunk in original(self, chunk_size):
            reads.append(len(chunk))
            yield chunk

    monkeypatch.setattr(file_class, "chunks", counting)

    async with client.stream("GET", item["image"]["raw_url"], headers=headers) as response:
        body = b"".join([part async for part in response.aiter_raw()])

    assert body == (await image_file(live, item))[1]
    assert len(reads) > 3 and max(reads) <= 64 * 1024
    assert "transfer-encoding" not in response.headers  # the size is sent up front


# -- replacing and removing ----------------------------------------------------------------------


async def test_replacing_the_image_swaps_the_files(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    old_files = set(await stored_keys(live))
    old_etag = (await client.get(item["image"]["raw_url"], headers=headers)).headers["etag"]
    url = f"{ITEMS}/{item['id']}/image"

    replaced = await client.put(url, json={"image": b64(make.png_with_alpha())}, headers=headers)

    assert replaced.status_code == 200, replaced.text
    new = replaced.json()
    assert new["id"] == item["id"] and new["name"] == item["name"]
    assert new["image"]["content_type"] == "image/png"
    assert new["image"]["sha256"] != item["image"]["sha256"]
    assert new["image"]["raw_url"] != item["image"]["raw_url"]
    assert new["updated_at"] > item["updated_at"]
    files = set(await stored_keys(live))
    assert len(files) == FILES_PER_IMAGE and not files & old_files
    assert any(THUMB_KEY.fullmatch(key) for key in files)
    after = await client.get(
        item["image"]["raw_url"].split("?")[0], headers={**headers, "If-None-Match": old_etag}
    )
    assert after.status_code == 200  # the old ETag no longer matches
    assert after.headers["content-type"] == "image/png"

    by_form = await send_multipart(
        client, headers, make.animated_gif(), method="PUT", url=url, filename="a.gif"
    )
    assert by_form.status_code == 200, by_form.text
    assert by_form.json()["image"]["content_type"] == "image/gif"
    assert len(await stored_keys(live)) == FILES_PER_IMAGE
    await assert_storage_matches_database(live)

    refused = await client.put(url, json={"image": b64(make.svg())}, headers=headers)
    assert refused.status_code == 415
    shown = await client.get(f"{ITEMS}/{item['id']}", headers=headers)
    assert shown.json()["image"] == by_form.json()["image"]  # a failed replace changes nothing


async def test_removing_the_image(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    url = f"{ITEMS}/{item['id']}/image"

    removed = await client.delete(url, headers=headers)

    assert removed.status_code == 204
    shown = (await client.get(f"{ITEMS}/{item['id']}", headers=headers)).json()
    assert shown["image"] is None
    assert shown["name"] == item["name"]
    assert await stored_keys(live) == []
    assert (await client.get(url, headers=headers)).status_code == 404
    assert (await client.delete(url, headers=headers)).status_code == 204  # nothing left to do


# -- failures and races --------------------------------------------------------------------------


@pytest.mark.parametrize("db_kind", DB_KINDS)  # S3 quota answers: tests/storage/test_s3.py
async def test_a_full_disk_in_the_middle_of_an_upload_leaves_nothing(
    client: httpx.AsyncClient, live: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await new_user(client)
    real_fsync = os.fsync
    file_syncs = 0

    def fsync(fd: int) -> None:
        # The image is written and synced; the disk fills up while the thumbnail is written.
        nonlocal file_syncs
        if stat.S_ISREG(os.fstat(fd).st_mode):
            file_syncs += 1
            if file_syncs == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)

    response = await create_response(client, headers, make.phone_jpeg())

    assert response.status_code == 507, response.text
    error = error_of(response)
    assert error["code"] == "insufficient_storage"
    assert "nothing was saved" in error["message"]
    assert file_syncs == 2  # the image file had really been written
    assert await item_count(live.settings) == 0
    assert await stored_keys(live) == []  # no image, thumbnail or temporary file

    monkeypatch.setattr(os, "fsync", real_fsync)
    assert (await create_response(client, headers, make.phone_jpeg())).status_code == 201


ALLOW_DUPLICATE = {"allow_duplicate": "true"}


async def create_response(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes
) -> httpx.Response:
    return await client.post(
        ITEMS, json={"name": "x", "image": b64(data)}, params=ALLOW_DUPLICATE, headers=headers
    )


@pytest.mark.parametrize("db_kind", DB_KINDS)  # a store that is down: test_storage_faults.py
async def test_an_unusable_storage_is_503_and_changes_nothing(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="kept as it is")
    owner = await user_id(client, headers)
    live.settings.image_dir.mkdir(parents=True, exist_ok=True)
    blocker = live.settings.image_dir / owner
    blocker.write_bytes(b"not a folder")  # the user's folder cannot be made

    created = await create_response(client, headers, make.plain_jpeg())
    replaced = await client.put(
        f"{ITEMS}/{item['id']}/image", json={"image": b64(make.plain_jpeg())}, headers=headers
    )

    for response in (created, replaced):
        assert response.status_code == 503, response.text
        assert error_of(response)["code"] == "storage_unavailable"
        assert response.headers["retry-after"]
    assert await item_count(live.settings) == 1
    shown = await client.get(f"{ITEMS}/{item['id']}", headers=headers)
    assert shown.json() == item
    assert blocker.read_bytes() == b"not a folder"
    assert await stored_keys(live) == [owner]


async def test_a_failed_insert_removes_the_written_files(
    client: httpx.AsyncClient, live: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await new_user(client)
    written: list[str] = []
    storage = live.app.ctx.services.storage
    original_save = storage.save

    async def save(key: str, data: bytes) -> None:
        await original_save(key, data)
        written.append(key)

    async def insert_fails(*args: Any, **kwargs: Any) -> Any:
        raise DBConnectionError("connection to the database was lost")

    monkeypatch.setattr(storage, "save", save)
    monkeypatch.setattr(Item, "create", insert_fails)

    response = await create_response(client, headers, make.plain_jpeg())

    assert response.status_code == 503
    assert len(written) == FILES_PER_IMAGE  # every file was on disk when the insert failed
    assert await stored_keys(live) == []
    monkeypatch.undo()
    assert await item_count(live.settings) == 0


async def test_concurrent_uploads_replaces_and_deletes_leave_no_stray_files(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    items = [await create_with_image(client, headers, make.plain_jpeg()) for _ in range(6)]
    jpeg, png = b64(make.plain_jpeg(colour=(1, 2, 3))), b64(make.png_with_alpha())

    def put(item: dict[str, Any], image: str) -> Any:
        return client.put(
            f"{ITEMS}/{item['id']}/image",
            json={"image": image},
            params=ALLOW_DUPLICATE,
            headers=headers,
        )

    work = [create_response(client, headers, make.plain_jpeg()) for _ in range(6)]
    work += [client.delete(f"{ITEMS}/{item['id']}", headers=headers) for item in items[:2]]
    # The same item replaced twice and deleted at once; another replaced twice at once.
    work += [put(items[2], jpeg), put(items[2], png)]
    work += [client.delete(f"{ITEMS}/{items[2]['id']}", headers=headers)]
    work += [put(items[3], jpeg), put(items[3], png), put(items[3], jpeg)]
    work += [client.delete(f"{ITEMS}/{items[4]['id']}/image", headers=headers), put(items[4], png)]

    responses = await asyncio.gather(*work)

    statuses = [response.status_code for response in responses]
    assert all(status in (200, 201, 204, 404, 409) for status in statuses), statuses
    assert statuses[:8] == [201] * 6 + [204] * 2
    on_disk = await assert_storage_matches_database(live)
    listed = (await client.get(ITEMS, headers=headers)).json()["items"]
    with_images = [item for item in listed if item["image"]]
    assert len(on_disk) == FILES_PER_IMAGE * len(with_images)
    for item in with_images:  # every row's files are there and serve
        assert (await client.get(item["image"]["raw_url"], headers=headers)).status_code == 200


async def test_a_client_hanging_up_mid_upload_leaves_a_consistent_state(
    client: httpx.AsyncClient, live: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await new_user(client)
    storage = live.app.ctx.services.storage
    original_save = storage.save
    saving = asyncio.Event()

    async def slow_save(key: str, data: bytes) -> None:
        saving.set()
        await asyncio.sleep(0.3)
        await original_save(key, data)

    monkeypatch.setattr(storage, "save", slow_save)
    body = {"name": "impatient", "image": b64(make.plain_jpeg())}

    upload = asyncio.create_task(client.post(ITEMS, json=body, headers=headers))
    await saving.wait()
    upload.cancel()  # the client gives up and closes its connection while files are written
    with pytest.raises(asyncio.CancelledError):
        await upload

    for _ in range(50):  # the write finishes on its own: files and row, or neither
        await asyncio.sleep(0.1)
        if await item_count(live.settings) and len(await stored_keys(live)) == FILES_PER_IMAGE:
            break
    assert await item_count(live.settings) == 1
    await assert_storage_matches_database(live)
