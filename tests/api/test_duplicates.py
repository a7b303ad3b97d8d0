"""Duplicate photos: refused on every upload path unless allowed; the checksum check."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests import images as make
from tests.api.items_support import (
    ITEMS,
    b64,
    create,
    create_with_image,
    new_user,
    send_multipart,
)
from tests.conftest import DB_KINDS_WITH_S3
from tests.helpers import error_of

CHECK = f"{ITEMS}/check"


@pytest.fixture(params=DB_KINDS_WITH_S3)
def db_kind(request: pytest.FixtureRequest) -> str:
    """SQLite, PostgreSQL, and PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def count(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await client.get(ITEMS, headers=headers)
    return len(response.json()["items"])


async def test_every_upload_path_refuses_a_photo_the_user_has(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    photo = make.phone_jpeg()
    first = await create_with_image(client, headers, photo, name="Zelda")

    as_json = await client.post(ITEMS, json={"name": "Again", "image": b64(photo)}, headers=headers)
    as_form = await send_multipart(client, headers, photo, name="Again")
    other = await create(client, headers, name="No photo yet")
    as_put = await client.put(
        f"{ITEMS}/{other['id']}/image", json={"image": b64(photo)}, headers=headers
    )
    as_put_form = await send_multipart(
        client, headers, photo, method="PUT", url=f"{ITEMS}/{other['id']}/image"
    )

    for response in (as_json, as_form, as_put, as_put_form):
        assert response.status_code == 409, response.text
        error = error_of(response)
        assert error["code"] == "duplicate_photo"
        assert error["item_id"] == first["id"]
        assert "allow_duplicate=true" in error["message"]
    assert await count(client, headers) == 2  # Zelda and the item without a photo
    assert (await client.get(f"{ITEMS}/{other['id']}", headers=headers)).json()["image"] is None


async def test_allow_duplicate_stores_it_again_on_each_path(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    photo = make.png_with_alpha()
    await create_with_image(client, headers, photo)

    as_json = await client.post(
        ITEMS,
        params={"allow_duplicate": "true"},
        json={"name": "B", "image": b64(photo)},
        headers=headers,
    )
    as_form = await send_multipart(
        client, headers, photo, url=f"{ITEMS}?allow_duplicate=true", name="C"
    )
    as_put = await client.put(
        f"{ITEMS}/{as_json.json()['id']}/image?allow_duplicate=true",
        json={"image": b64(photo)},
        headers=headers,
    )
    bad_flag = await client.post(
        ITEMS,
        params={"allow_duplicate": "maybe"},
        json={"name": "D", "image": b64(photo)},
        headers=headers,
    )

    assert as_json.status_code == 201 and as_form.status_code == 201, (as_json, as_form)
    assert as_put.status_code == 200, as_put.text
    assert bad_flag.status_code == 422 and "allow_duplicate" in error_of(bad_flag)["fields"]
    assert await count(client, headers) == 3


async def test_the_same_photo_is_no_duplicate_for_another_user_or_its_own_item(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await new_user(client), await new_user(client)
    photo = make.webp_image()
    item = await create_with_image(client, alice, photo)

    again_on_same = await client.put(
        f"{ITEMS}/{item['id']}/image", json={"image": b64(photo)}, headers=alice
    )
    for_bob = await client.post(ITEMS, json={"name": "B", "image": b64(photo)}, headers=bob)

    assert again_on_same.status_code == 200, again_on_same.text
    assert for_bob.status_code == 201, for_bob.text


async def test_the_stored_file_counts_as_the_photo_too(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.phone_jpeg())  # cleaned when stored
    stored = (await client.get(f"{ITEMS}/{item['id']}/image/raw", headers=headers)).content
    assert sha(stored) == item["image"]["sha256"] != sha(make.phone_jpeg())

    response = await client.post(ITEMS, json={"name": "X", "image": b64(stored)}, headers=headers)

    assert response.status_code == 409 and error_of(response)["item_id"] == item["id"]


async def test_check_says_which_checksums_the_user_has(client: httpx.AsyncClient) -> None:
    headers, other = await new_user(client), await new_user(client)
    photo, stranger = make.phone_jpeg(), make.palette_png()
    item = await create_with_image(client, headers, photo)
    await create_with_image(client, other, stranger)
    unknown = "ab" * 32

    response = await client.post(
        CHECK, json={"sha256": [sha(photo).upper(), unknown, sha(stranger)]}, headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "known": [{"sha256": sha(photo), "item_id": item["id"]}],
        "unknown": [unknown, sha(stranger)],
    }
    by_stored = await client.post(
        CHECK, json={"sha256": [item["image"]["sha256"]]}, headers=headers
    )
    assert by_stored.json()["known"][0]["item_id"] == item["id"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "list"),
        ({"sha256": "ab" * 32}, "list"),
        ({"sha256": []}, "1 to 1,000"),
        ({"sha256": ["ab" * 32] * 1001}, "1 to 1,000"),
        ({"sha256": ["ab" * 32, "xyz"]}, "Entry 1 ('xyz')"),
        ({"sha256": ["ab" * 31]}, "64 hexadecimal digits"),
        ({"sha256": [12]}, "Entry 0 (12)"),
    ],
)
async def test_check_refuses_what_is_not_a_list_of_checksums(
    client: httpx.AsyncClient, body: dict[str, object], says: str
) -> None:
    headers = await new_user(client)

    response = await client.post(CHECK, json=body, headers=headers)

    assert response.status_code == 422, response.text
    assert says in error_of(response)["message"]
    assert error_of(response)["fields"].keys() == {"sha256"}


async def test_check_takes_a_thousand_and_needs_a_login(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    many = [f"{index:064x}" for index in range(1000)]

    response = await client.post(CHECK, json={"sha256": many}, headers=headers)
    anonymous = await client.post(CHECK, json={"sha256": many})

    assert response.status_code == 200 and len(response.json()["unknown"]) == 1000
    assert anonymous.status_code in (401, 403), anonymous.text  # no token: refused
