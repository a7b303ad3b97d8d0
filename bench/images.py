"""Photo-like JPEGs of a chosen size, made with Pillow (a gamecoll dependency), deterministic,
and the multipart body that uploads one."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw


def _picture(width: int, height: int, seed: int) -> Image.Image:
    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = [Image.effect_noise((width, height), 24 + 8 * i) for i in range(3)]
    channels = [
        ImageChops.add(gradient, noise[0], scale=2.0),
        ImageChops.add(gradient.rotate(90, expand=False), noise[1], scale=2.0),
        ImageChops.add(gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise[2], scale=2.0),
    ]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(width // 3 + 1), y0 + rng.randrange(height // 3 + 1)
        draw.ellipse((x0, y0, x1, y1), fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


def jpeg(width: int, height: int, *, seed: int = 0, quality: int = 92) -> bytes:
    """A JPEG of this size."""
    out = io.BytesIO()
    _picture(width, height, seed).save(out, "JPEG", quality=quality)
    return out.getvalue()


def jpeg_of_size(target_bytes: int, *, seed: int = 0) -> bytes:
    """A 4:3 JPEG of at least `target_bytes` and at most 10% more (or the closest found)."""

    def make(width: int) -> bytes:
        return jpeg(width, width * 3 // 4, seed=seed)

    def fits(size: int) -> bool:
        return target_bytes <= size <= target_bytes * 1.10

    width = 1024
    data = make(width)
    # Bytes grow roughly with the pixel count: one scaled guess, then bisect on the width.
    width = max(64, round(width * (target_bytes * 1.04 / len(data)) ** 0.5))
    data = make(width)
    low, high = (width, width * 2) if len(data) < target_bytes else (width // 2, width)
    best = data
    for _ in range(12):
        if fits(len(data)):
            return data
        if len(data) >= target_bytes and (len(best) < target_bytes or len(data) < len(best)):
            best = data
        if len(data) < target_bytes:
            low = width
        else:
            high = width
        width = (low + high) // 2
        data = make(width)
    return data if fits(len(data)) else best


def multipart_body(
    image: bytes,
    boundary: str,
    *,
    fields: tuple[tuple[str, str], ...] = (("name", "Bench upload"), ("platform", "Bench Station")),
    filename: str = "photo.jpg",
) -> bytes:
    """A multipart/form-data create request: the text `fields`, then the file part `image`."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + image
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)
