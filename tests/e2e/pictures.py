"""Pictures for the browser tests: made-up photos to upload, and a wait for a shown one."""

from __future__ import annotations

import base64
import colorsys
import io
import random

from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import Locator

from tests.e2e.conftest import TIMEOUT_MS


async def loaded_source(image: Locator) -> str:
    """Wait until an image has loaded, fail if it is broken, and return its currentSrc.

    An `<img>` with a width and height is visible before its bytes arrive, so a check of
    `complete` right after `to_be_visible` races the download.
    """
    handle = await image.element_handle()
    await image.page.wait_for_function("img => img.complete", arg=handle, timeout=TIMEOUT_MS)
    width, source = await image.evaluate("img => [img.naturalWidth, img.currentSrc]")
    assert width > 0, f"the image {source} did not load"
    return str(source)


def png_base64(width: int, height: int, seed: int) -> str:
    """A PNG of noise (so it does not compress away), base64-encoded."""
    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for _ in range(width * height * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), data).save(out, format="PNG", compress_level=1)
    return base64.b64encode(out.getvalue()).decode()


def box_art_base64(title: str, index: int) -> str:
    """A made-up game box (gradient, stripe and title), as a PNG in base64."""
    width, height = 360, 450
    hue = (index * 0.137) % 1.0
    top = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.85))
    bottom = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.8, 0.35))
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / (height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    draw.rectangle((0, 45, width, 120), fill=(250, 250, 250))
    draw.text((20, 57), title.upper(), fill=(20, 20, 30), font=ImageFont.load_default(size=46))
    draw.ellipse((105, 210, 255, 360), outline=(255, 255, 255), width=9)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()
