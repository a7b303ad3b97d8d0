"""Bounded image work: decoded-size bombs refused, and uploads beyond the queue told to retry."""

from __future__ import annotations

import asyncio
import multiprocessing

import httpx
import pytest

from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    assert_storage_matches_database,
    b64,
    create_with_image,
    files_on_disk,
    item_count,
    new_user,
    send_multipart,
)
from tests.conftest import Database, LiveApp, start_app, stop_app
from tests.helpers import error_of

DECODED_LIMIT = 200_000  # MAX_IMAGE_DECODED_BYTES in this module: about 0.19 MiB


@pytest.fixture
def app_env() -> dict[str, str]:
    # One image at a time and nobody waiting: a second upload at once gets 503.
    return {
        "MAX_IMAGE_DECODED_BYTES": str(DECODED_LIMIT),
        "IMAGE_WORKERS": "1",
        "IMAGE_QUEUE_LIMIT": "0",
    }


async def test_an_image_too_big_once_decoded_is_422_though_its_pixels_are_allowed(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    bombs = {
        "a tiny PNG of 600x600 pixels": make.pixel_bomb_png(600, 600),
        "an RGBA PNG": make.png_with_alpha(300, 200),  # 240,000 bytes once decoded
    }
    for what, data in bombs.items():
        response = await client.post(ITEMS, json={"name": "x", "image": b64(data)}, headers=headers)
        assert response.status_code == 422, (what, response.text)
        error = error_of(response)
        assert error["code"] == "validation_error"
        assert "once decoded" in error["message"] and "0.19 MiB" in error["message"], what
        assert error["fields"]["image"] == error["message"]
    assert await item_count(live.settings) == 0
    assert files_on_disk(live.settings.image_dir) == []


async def test_an_animation_with_many_frames_is_422_before_any_frame_is_decoded(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    gif = make.animated_gif_frames(100)  # 100 frames of 32x24: 307,200 bytes as RGBA

    response = await send_multipart(client, headers, gif, filename="many.gif")

    assert response.status_code == 422, response.text
    message = error_of(response)["message"]
    assert "100 frames of 32x24" in message and "the limit is 0.19 MiB" in message
    assert await item_count(live.settings) == 0
    # A short one of the same size is fine.
    fine = await send_multipart(client, headers, make.animated_gif_frames(3), filename="ok.gif")
    assert fine.status_code == 201, fine.text


async def test_uploads_beyond_the_queue_get_503_with_retry_after(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    photo = make.noisy_jpeg(220, 220)  # 193,600 decoded bytes: just under the limit
    await create_with_image(client, headers, photo)  # warm: the worker is running

    responses = await asyncio.gather(
        *(
            client.post(
                ITEMS,
                json={"name": f"n{i}", "image": b64(photo)},
                params={"allow_duplicate": "true"},  # one photo, eight times at once
                headers=headers,
            )
            for i in range(8)
        )
    )

    statuses = sorted(response.status_code for response in responses)
    assert 201 in statuses and 503 in statuses, statuses
    assert set(statuses) == {201, 503}
    for response in responses:
        if response.status_code == 503:
            assert response.headers["retry-after"] == "1"
            error = error_of(response)
            assert error["code"] == "busy" and "try again" in error["message"]
    created = 1 + statuses.count(201)
    assert await item_count(live.settings) == created
    assert len(files_on_disk(live.settings.image_dir)) == created * FILES_PER_IMAGE
    await assert_storage_matches_database(live)
    # Once the burst is over, uploads are taken again.
    await create_with_image(client, headers, photo)


async def test_the_image_workers_start_with_the_first_image_and_stop_with_the_app(
    database: Database,
) -> None:
    running, server = await start_app(database.settings())
    try:
        before = set(multiprocessing.active_children())
        async with running.client() as http:
            headers = await new_user(http)
            assert set(multiprocessing.active_children()) == before  # nothing started yet
            await create_with_image(http, headers, make.plain_jpeg())
        workers = set(multiprocessing.active_children()) - before
        assert workers  # (with IMAGE_WORKER_TASKS=1 each is replaced after its image)
    finally:
        await stop_app(server)
    assert not any(worker.is_alive() for worker in workers)
    assert not set(multiprocessing.active_children()) - before
