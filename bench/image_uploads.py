"""The images the image scenarios upload, how many, and the uploads themselves."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from bench import images

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    """How much work: `full` for `make bench`, `smoke` for a quick run."""

    uploads: int  # worst-image uploads in all (rounds of four)
    phone_uploads: int  # for the CPU floor
    worst: bool  # False: small stand-ins for the worst images (smoke)


FULL_SIZES = Sizes(uploads=100, phone_uploads=12, worst=True)
SMOKE_SIZES = Sizes(uploads=8, phone_uploads=3, worst=False)


FULL_SIZES = Sizes(uploads=100, phone_uploads=12, worst=True)
SMOKE_SIZES = Sizes(uploads=8, phone_uploads=3, worst=False)


def rgba_png(side: int) -> bytes:
    """A smooth RGBA PNG (small file, `side` x `side` pixels once decoded)."""
    gradient = Image.linear_gradient("L").resize((side, side))
    im = Image.merge(
        "RGBA",
        (
            gradient,
            gradient.rotate(90),
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            gradient,
        ),
    )
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=9)
    return out.getvalue()


def big_jpeg(width: int, height: int) -> bytes:
    """A photo-like JPEG under the upload limit (the quality lowered until it fits)."""
    for quality in (90, 80, 70, 60, 50, 40):
        data = images.jpeg(width, height, seed=5, quality=quality)
        if len(data) <= MAX_UPLOAD_BYTES * 0.95:
            return data
    raise RuntimeError("could not make a JPEG under the upload limit")


def many_frame_gif(frames: int, side: int) -> bytes:
    """A GIF of `frames` frames of `side` x `side`: a dot moving over a gradient."""
    base = Image.linear_gradient("L").resize((side, side)).convert("P")
    pictures = []
    for n in range(frames):
        frame = base.copy()
        x = n * 7 % side
        ImageDraw.Draw(frame).ellipse((x, x, x + side // 8, x + side // 8), fill=255)
        pictures.append(frame)
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=40, loop=0)
    return out.getvalue()


def phone_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP sideways phone photo: EXIF orientation 6 and a camera model."""
    im = Image.open(io.BytesIO(images.jpeg(width, height, seed=12, quality=90)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0110] = "Bench Phone"
    out = io.BytesIO()
    im.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def worst_images(sizes: Sizes, cache: Path) -> list[tuple[str, bytes, str]]:
    """The four uploads of a round: (file name, bytes, content type), cached on disk."""
    if sizes.worst:
        specs = {
            "rgba-7000.png": (lambda: rgba_png(7000), "image/png"),
            "photo-8000x6000.jpg": (lambda: big_jpeg(8000, 6000), "image/jpeg"),
            "frames-999.gif": (lambda: many_frame_gif(999, 220), "image/gif"),
        }
    else:
        specs = {
            "rgba-700.png": (lambda: rgba_png(700), "image/png"),
            "photo-800x600.jpg": (lambda: big_jpeg(800, 600), "image/jpeg"),
            "frames-50.gif": (lambda: many_frame_gif(50, 64), "image/gif"),
        }
    made: dict[str, tuple[bytes, str]] = {}
    for name, (make, kind) in specs.items():
        path = cache / name
        if not path.exists():
            path.write_bytes(make())
        made[name] = (path.read_bytes(), kind)
    png = next(name for name in made if name.endswith(".png"))
    order = [png, *(name for name in made if name != png), png]
    return [(name, *made[name]) for name in order]


async def upload(client: httpx.AsyncClient, token: str, name: str, data: bytes, kind: str) -> int:
    response = await client.post(
        "/collection/items",
        params={"allow_duplicate": "true"},  # the same worst images, round after round
        data={"name": name},
        files={"image": (name, data, kind)},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code not in (201, 503):
        raise RuntimeError(f"upload of {name}: {response.status_code} {response.text[:300]}")
    return response.status_code


async def upload_round(
    client: httpx.AsyncClient, token: str, files: list[tuple[str, bytes, str]]
) -> list[int]:
    return list(await asyncio.gather(*(upload(client, token, *f) for f in files)))


async def register(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        "/auth/register", json={"email": email, "password": "bench-password-1234"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"register: {response.status_code} {response.text[:300]}")
    return str(response.json()["access_token"])
