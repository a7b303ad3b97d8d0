"""Size and pixel limits, with small limits for this module: 413 early, 422 for bombs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    b64,
    create,
    item_count,
    multipart,
    new_user,
    send_multipart,
    stored_keys,
)
from tests.conftest import DB_KINDS_WITH_S3, LiveApp
from tests.helpers import error_of

LIMIT = 64 * 1024  # MAX_IMAGE_BYTES in this module
PIXELS = 100 * 100  # MAX_IMAGE_PIXELS in this module


@pytest.fixture(params=DB_KINDS_WITH_S3)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Run each test on SQLite, PostgreSQL, and PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"MAX_IMAGE_BYTES": str(LIMIT), "MAX_IMAGE_PIXELS": str(PIXELS)}


def jpeg_of_exactly(size: int) -> bytes:
    """A valid JPEG of exactly `size` bytes (bytes after the end marker are ignored)."""
    data = make.noisy_jpeg(90, 90)
    assert len(data) < size
    return data + b"\0" * (size - len(data))


async def test_an_image_at_the_limit_is_taken_one_byte_more_is_413(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    at_limit = jpeg_of_exactly(LIMIT)
    over = jpeg_of_exactly(LIMIT + 1)

    assert (await send_multipart(client, headers, at_limit)).status_code == 201
    ok = await client.post(
        ITEMS,
        json={"name": "x", "image": b64(at_limit)},
        params={"allow_duplicate": "true"},  # the same photo as the form's
        headers=headers,
    )
    assert ok.status_code == 201

    as_json = await client.post(ITEMS, json={"name": "x", "image": b64(over)}, headers=headers)
    as_file = await send_multipart(client, headers, over)
    for response in (as_json, as_file):
        assert response.status_code == 413, response.text
        error = error_of(response)
        assert error["code"] == "payload_too_large"
        assert "0.06 MiB" in error["message"]  # says what the limit is
    assert await item_count(live.settings) == 2
    assert len(await stored_keys(live)) == 2 * FILES_PER_IMAGE


async def test_content_length_over_the_limit_is_refused_before_the_body_is_sent(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create(client, headers)
    address = urlsplit(live.url)
    cases = [
        ("POST", ITEMS, "application/json", 4 * LIMIT, "base64-encoded"),
        ("POST", ITEMS, "multipart/form-data; boundary=x", 3 * LIMIT, "plus the other fields"),
        ("PUT", f"{ITEMS}/{item['id']}/image", "application/json", 1_000_000_000, "MiB"),
        ("PATCH", f"{ITEMS}/{item['id']}", "application/json", 5_000_000, "1 MiB of JSON"),
    ]
    for method, path, kind, length, words in cases:
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        try:
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Authorization: {headers['Authorization']}\r\n"
                f"Content-Type: {kind}\r\nContent-Length: {length}\r\n\r\n"
            )
            writer.write(head.encode())  # the headers only: no byte of the body follows
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(65536), timeout=5)
        finally:
            writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 413 "), (method, answer[:300])
        body = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert words in body["error"]["message"], body
        assert "this endpoint takes" in body["error"]["message"]


async def test_a_chunked_body_over_the_limit_is_cut_off(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    payload = json.dumps({"name": "x", "image": "A" * (4 * LIMIT)}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 16 * 1024):
            yield payload[start : start + 16 * 1024]

    try:
        response = await client.post(
            ITEMS, content=chunks(), headers={**headers, "Content-Type": "application/json"}
        )
    except httpx.TransportError:
        return  # the server may close the connection before reading the rest: also refused
    assert response.status_code == 413
    assert "this endpoint takes" in error_of(response)["message"]


async def test_a_body_within_the_route_limit_but_an_image_too_large_is_413(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    # The form limit leaves room for the other fields: the image itself is what is too large.
    body, media = multipart({"name": "x"}, ("a.jpg", jpeg_of_exactly(LIMIT + 1000), "image/jpeg"))
    response = await client.post(ITEMS, content=body, headers={**headers, "Content-Type": media})
    assert response.status_code == 413
    assert "The image is" in error_of(response)["message"]


async def test_more_pixels_than_the_limit_is_422(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)
    fits: dict[str, Any] = await create(
        client, headers, image=b64(make.image_with_pixels(100, 100))
    )
    assert (fits["image"]["width"], fits["image"]["height"]) == (100, 100)

    response = await client.post(
        ITEMS, json={"name": "x", "image": b64(make.image_with_pixels(101, 100))}, headers=headers
    )

    assert response.status_code == 422
    assert "10,100" in error_of(response)["message"] and "10,000" in error_of(response)["message"]
    assert await item_count(live.settings) == 1
    assert len(await stored_keys(live)) == FILES_PER_IMAGE
