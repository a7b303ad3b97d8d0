"""Helpers shared by the collection tests (this module has no tests of its own)."""

from __future__ import annotations

import base64
import io
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from gamecoll.config import Settings
from gamecoll.storage.factory import build_storage
from tests.conftest import LiveApp
from tests.helpers import bearer, register

ITEMS = "/collection/items"


async def new_user(client: httpx.AsyncClient) -> dict[str, str]:
    """Register a user and return its Authorization header."""
    return bearer(await register(client))


async def user_id(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """Return the id of the user behind `headers`."""
    response = await client.get("/auth/user/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def b64(data: bytes) -> str:
    """Plain base64 text of `data`."""
    return base64.b64encode(data).decode()


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """Create an item from a JSON body and return it (201 expected).

    Tests use the same sample photos many times: a photo is sent with `allow_duplicate=true`
    (duplicates are refused otherwise; tests/api/test_duplicates.py covers that).
    """
    body.setdefault("name", "Chrono Trigger")
    params = {"allow_duplicate": "true"} if "image" in body else {}
    response = await client.post(ITEMS, json=body, params=params, headers=headers)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def create_with_image(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, **body: Any
) -> dict[str, Any]:
    """Create an item with an image sent as base64 JSON."""
    return await create(client, headers, image=b64(data), **body)


def multipart(
    fields: dict[str, str], file: tuple[str, bytes, str] | None = None
) -> tuple[bytes, str]:
    """Build a multipart/form-data body: text fields, and `file` as the part `image`."""
    boundary = "gamecoll-test-boundary-7d2f"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    if file is not None:
        filename, data, content_type = file
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def send_multipart(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes | None,
    *,
    method: str = "POST",
    url: str = ITEMS,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
) -> httpx.Response:
    """Send a multipart form, with `data` as the file part `image` when given."""
    if method == "POST":
        fields = {"name": "Chrono Trigger", **fields}
    body, media = multipart(fields, (filename, data, content_type) if data is not None else None)
    return await client.request(
        method, url, content=body, headers={**headers, "Content-Type": media}
    )


def files_on_disk(image_dir: Path) -> list[str]:
    """Every file under the image folder (temporary ones included), relative, sorted."""
    if not image_dir.exists():
        return []
    return sorted(p.relative_to(image_dir).as_posix() for p in image_dir.rglob("*") if p.is_file())


FILES_PER_IMAGE = 4
"""The image, its 400 px and 800 px thumbnails and its display rendition."""


async def keys_in_database(settings: Settings) -> list[str]:
    """Every image and rendition path the items table refers to, sorted."""
    url = settings.database_url
    query = (
        "SELECT image_path, thumb_path, thumb2x_path, display_path FROM items "
        "WHERE image_path IS NOT NULL"
    )
    if url.startswith("sqlite://"):
        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            rows: list[Any] = conn.execute(query).fetchall()
    else:
        import asyncpg

        conn_pg = await asyncpg.connect(url, timeout=5)
        try:
            rows = list(await conn_pg.fetch(query))
        finally:
            await conn_pg.close()
    return sorted(str(key) for row in rows for key in row if key is not None)


async def item_count(settings: Settings) -> int:
    """How many items exist in the database, whoever owns them."""
    url = settings.database_url
    if url.startswith("sqlite://"):
        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    import asyncpg

    conn_pg = await asyncpg.connect(url, timeout=5)
    try:
        return int(await conn_pg.fetchval("SELECT COUNT(*) FROM items"))
    finally:
        await conn_pg.close()


async def stored_keys(live: LiveApp) -> list[str]:
    """Every key the app has stored, sorted, whatever its storage backend.

    On the local disk: every file under the image folder, temporary files included (a stray
    one is a bug too). On S3: every object under the app's key prefix, listed through the app's
    own Storage.
    """
    if live.settings.storage_backend == "local":
        return files_on_disk(live.settings.image_dir)
    return sorted([key async for key in live.app.ctx.services.storage.list("")])


async def keys_in_store(settings: Settings) -> list[str]:
    """Every key in the storage `settings` describe, through a Storage of its own, sorted.

    For when no app is running, or another store than the app's is wanted.
    """
    storage = build_storage(settings)
    await storage.start()
    try:
        return sorted([key async for key in storage.list("")])
    finally:
        await storage.close()


async def stored_bytes(live: LiveApp, key: str) -> bytes:
    """The content stored under `key`, read through the app's Storage."""
    stored = await live.app.ctx.services.storage.open(key)
    return b"".join([chunk async for chunk in stored.chunks()])


async def remove_stored(live: LiveApp, key: str) -> None:
    """Remove a stored file behind the app's back (as an operator or a failing disk might)."""
    await live.app.ctx.services.storage.delete(key)


def on_local_disk(live: LiveApp) -> bool:
    """Whether the app keeps its images in the local folder (not in object storage)."""
    return bool(live.settings.storage_backend == "local")


async def assert_storage_matches_database(live: LiveApp) -> list[str]:
    """Stored files are exactly the files rows refer to: nothing stray, nothing missing."""
    keys = await stored_keys(live)
    assert keys == await keys_in_database(live.settings)
    return keys


def open_image(data: bytes) -> Image.Image:
    """Decode image bytes fully."""
    im = Image.open(io.BytesIO(data))
    im.load()
    return im
