"""The pieces of bounded image work: header probe, renditions, and the decode budget."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from gamecoll.errors import ValidationFailed
from gamecoll.services.image_checks import ImageLimits, probe_image
from gamecoll.services.image_workers import DecodeBudget
from gamecoll.services.images import process_image, renditions_of_stored
from tests import images as make

LIMITS = ImageLimits(max_bytes=10 * 1024 * 1024, max_pixels=50_000_000)


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "WEBP"
        return im.size


def test_the_probe_counts_bytes_as_pillow_holds_them() -> None:
    assert probe_image(make.noisy_jpeg(40, 30), LIMITS).decoded_bytes == 40 * 30 * 4  # RGB: 4 bytes
    assert probe_image(make.palette_png(30, 20), LIMITS).decoded_bytes == 30 * 20
    gif = probe_image(make.animated_gif_frames(7, 32, 24), LIMITS)
    assert (gif.frames, gif.decoded_bytes) == (7, 7 * 32 * 24 * 4)


def test_the_probe_refuses_before_decoding() -> None:
    small = ImageLimits(max_bytes=LIMITS.max_bytes, max_pixels=10**9, max_decoded_bytes=10**6)
    with pytest.raises(ValidationFailed, match="once decoded"):
        probe_image(make.pixel_bomb_png(2000, 1000), small)  # 2 MB as 1-bit grey
    with pytest.raises(ValidationFailed, match="more than 3 frames"):
        probe_image(make.animated_gif_frames(5), ImageLimits(10**7, 10**9, 10**9, max_frames=3))


def test_a_jpeg_decoded_in_draft_mode_gives_exact_upright_sizes() -> None:
    result = process_image(make.phone_jpeg(3000, 2000), max_bytes=10**8, max_pixels=10**8)
    assert (result.width, result.height) == (2000, 3000)
    assert size_of(result.display) == (1067, 1600)
    assert size_of(result.thumbnail_2x) == (533, 800)
    assert size_of(result.thumbnail) == (267, 400)
    assert (result.thumb_width, result.thumb_height) == (267, 400)


def test_renditions_of_a_stored_image_match_those_made_at_upload() -> None:
    result = process_image(make.noisy_jpeg(1700, 900), max_bytes=10**8, max_pixels=10**8)
    again = renditions_of_stored(result.content, LIMITS)
    assert size_of(again.display) == size_of(result.display) == (1600, 847)
    assert size_of(again.thumbnail_2x) == size_of(result.thumbnail_2x) == (800, 424)


async def test_the_budget_runs_big_images_alone_and_in_arrival_order() -> None:
    budget = DecodeBudget(total=100, slots=2)
    order: list[str] = []
    release = {name: asyncio.Event() for name in ("big", "small-1", "huge", "small-2")}

    async def job(name: str, amount: int) -> None:
        async with budget.hold(amount):
            order.append(name)
            await release[name].wait()

    tasks = [
        asyncio.create_task(job("big", 80)),
        asyncio.create_task(job("small-1", 20)),
        asyncio.create_task(job("huge", 500)),  # over the total: runs alone
        asyncio.create_task(job("small-2", 10)),  # waits behind "huge", first come first served
    ]
    await asyncio.sleep(0.01)
    assert order == ["big", "small-1"] and (budget.used, budget.running) == (100, 2)
    release["big"].set()
    await asyncio.sleep(0.01)
    assert order == ["big", "small-1"]  # "huge" needs everything
    release["small-1"].set()
    await asyncio.sleep(0.01)
    assert order == ["big", "small-1", "huge"] and budget.used == 100
    release["huge"].set()
    release["small-2"].set()
    await asyncio.gather(*tasks)
    assert order[-1] == "small-2" and (budget.used, budget.running) == (0, 0)


async def test_a_cancelled_wait_gives_its_place_away() -> None:
    budget = DecodeBudget(total=10, slots=1)
    entered = asyncio.Event()
    done = asyncio.Event()

    async def holder() -> None:
        async with budget.hold(5):
            entered.set()
            await done.wait()

    first = asyncio.create_task(holder())
    await entered.wait()
    waiting = asyncio.create_task(budget.hold(5).__aenter__())
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    done.set()
    await first
    assert (budget.used, budget.running) == (0, 0)
    async with budget.hold(5):
        assert budget.running == 1
