"""An item's image: replace, remove, and serve it (base64 JSON, raw bytes, WebP renditions).

Image answers carry an ETag and are cached for a year when the URL names the current version
(`?v=`), else revalidated; a 304 is answered from the database without touching the storage,
and the bytes are streamed from the storage.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from typing import Final

from sanic import Blueprint, HTTPResponse, Request
from sanic import json as json_response

from gamecoll.api.docs import IF_NONE_MATCH, Answer, Body, Param, operation
from gamecoll.api.item_schemas import (
    IMAGE_BYTES,
    WEBP_BYTES,
    ItemImageDataOut,
    ItemImageIn,
    ItemOut,
    image_data_json,
)
from gamecoll.api.item_uploads import read_body_within_limit, read_upload
from gamecoll.api.items import BAD_IMAGE, NO_ITEM
from gamecoll.errors import NotFound
from gamecoll.http.guard import authenticate_with_item, authenticated, principal
from gamecoll.http.responses import no_content, private_json
from gamecoll.models import Item
from gamecoll.services.item_json import image_version, item_json
from gamecoll.services.items import ItemService
from gamecoll.storage import StoredFile

bp = Blueprint("item_images", url_prefix="/collection/items")
bp.on_request(read_body_within_limit)

NO_IMAGE = "No such item of yours, or it has no image"
NO_RENDITION = "No such item of yours, no image, or its rendition is not made yet (images backfill)"
CACHING = {"ETag": {"type": "string"}, "Cache-Control": {"type": "string"}}
VERSION = Param("v", {"type": "string"}, "The image version (from the item's URLs).")
NOT_MODIFIED = Answer(None, "Not modified (If-None-Match)", {"ETag": {"type": "string"}})
IMMUTABLE: Final = "private, max-age=31536000, immutable"
REVALIDATE: Final = "private, no-cache"


# -- image answers: versioned caching, ETags, streaming -----------------------------------------


def etag_matches(header: str | None, etag: str) -> bool:
    """Tell whether an If-None-Match header names this ETag (weak comparison, or `*`)."""
    if not header:
        return False
    for part in header.split(","):
        tag = part.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def image_headers(request: Request, item: Item, etag: str) -> dict[str, str]:
    """Caching headers: immutable for a URL that carries the current version, else revalidate."""
    versioned = request.args.get("v") == image_version(item)
    return {
        "etag": etag,
        "cache-control": IMMUTABLE if versioned else REVALIDATE,
        "x-content-type-options": "nosniff",
    }


def _etag(item: Item, kind: str) -> str:
    if item.image_sha256 is None:
        raise NotFound("This item has no image.")
    return f'"{item.image_sha256}{kind}"'


async def _first_chunk(chunks: AsyncIterator[bytes]) -> bytes:
    """Read the first chunk before the headers go, so a storage failure still gets an answer."""
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return b""


async def stream_file(
    request: Request, stored: StoredFile, *, content_type: str, headers: dict[str, str]
) -> None:
    """Stream a stored file; the file is opened (and errors answered) before the headers go."""
    chunks = stored.chunks()
    try:
        first = await _first_chunk(chunks)
        response = await request.respond(
            headers={**headers, "content-length": str(stored.size)}, content_type=content_type
        )
        await response.send(first)
        async for chunk in chunks:
            await response.send(chunk)
        await response.eof()
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()


# ETag suffix of each rendition (see RENDITION_COLUMNS); the image itself has none.
_ETAG_SUFFIXES: Final = {"thumbnail": "-thumb", "thumbnail_2x": "-thumb2x", "display": "-display"}


async def send_image(
    request: Request, items: ItemService, item_id: uuid.UUID, *, rendition: str | None = None
) -> HTTPResponse | None:
    """Answer 304 from the database alone, or stream the image or one of its renditions."""
    who, item = await authenticate_with_item(request, item_id)
    request.ctx.principal = who
    if item is None:
        item = await items.get(user_id=who.user.id, item_id=item_id)
    etag = _etag(item, _ETAG_SUFFIXES[rendition] if rendition else "")
    headers = image_headers(request, item, etag)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return HTTPResponse(status=304, headers=headers)
    stored = await items.open_image(item, rendition=rendition)
    kind = "image/webp" if rendition else str(item.image_content_type)
    await stream_file(request, stored, content_type=kind, headers=headers)
    return None


@bp.put("/<item_id:uuid>/image", stream=True, ctx_body="image")
@operation(
    "setItemImage",
    tag="collection",
    body=Body(ItemImageIn, multipart="ItemImageForm"),
    answers={200: (ItemOut, "The item with its new image")},
    errors={
        404: NO_ITEM,
        413: "The body or the image is too large",
        415: BAD_IMAGE,
        422: "No image, or a damaged or too big one",
        503: "The database or the image storage is unavailable; nothing was changed",
        507: "The image storage is full; nothing was changed",
    },
    auth=True,
    scopes=("collection:write",),
)
@authenticated
async def put_image(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Replace the item's image (base64 in JSON, or a multipart file part)."""
    user_id = principal(request).user.id
    await items.get(user_id=user_id, item_id=item_id)  # 404 before reading the image
    upload = await read_upload(request, items, image_required=True)
    assert upload.image is not None
    item = await items.replace_image(user_id=user_id, item_id=item_id, data=upload.image)
    return private_json(item_json(item))


@bp.delete("/<item_id:uuid>/image")
@operation(
    "deleteItemImage",
    tag="collection",
    answers={204: (None, "The item has no image now (also when it had none)")},
    errors={404: NO_ITEM},
    auth=True,
    scopes=("collection:write",),
)
@authenticated
async def delete_image(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Remove the item's image and its files."""
    await items.remove_image(user_id=principal(request).user.id, item_id=item_id)
    return no_content()


@bp.get("/<item_id:uuid>/image")
@operation(
    "getItemImage",
    tag="collection",
    params=(VERSION, IF_NONE_MATCH),
    answers={
        200: Answer(ItemImageDataOut, "The image, base64-encoded", CACHING),
        304: NOT_MODIFIED,
    },
    errors={404: NO_IMAGE},
    auth=True,
    scopes=("collection:read",),
)
@authenticated
async def get_image(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Send the image base64-encoded in JSON, with its type and size."""
    item = await items.get(user_id=principal(request).user.id, item_id=item_id)
    etag = _etag(item, "-b64")
    headers = image_headers(request, item, etag)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return HTTPResponse(status=304, headers=headers)
    data = await items.read_image(item)
    encoded = (await asyncio.to_thread(base64.b64encode, data)).decode("ascii")
    return json_response(image_data_json(item, encoded), headers=headers)


@bp.get("/<item_id:uuid>/image/raw")
@operation(
    "getItemImageRaw",
    tag="collection",
    params=(VERSION, IF_NONE_MATCH),
    answers={
        200: Answer(IMAGE_BYTES, "The image bytes in their stored type, streamed", CACHING),
        304: NOT_MODIFIED,
    },
    errors={404: NO_IMAGE},
    auth=True,
    scopes=("collection:read",),
)
async def get_image_raw(
    request: Request, item_id: uuid.UUID, items: ItemService
) -> HTTPResponse | None:
    """Stream the image bytes, with an ETag and long caching for versioned URLs."""
    return await send_image(request, items, item_id)


@bp.get("/<item_id:uuid>/thumbnail")
@operation(
    "getItemThumbnail",
    tag="collection",
    params=(VERSION, IF_NONE_MATCH),
    answers={
        200: Answer(WEBP_BYTES, "A WebP thumbnail, longest side at most 400 px", CACHING),
        304: NOT_MODIFIED,
    },
    errors={404: NO_IMAGE},
    auth=True,
    scopes=("collection:read",),
)
async def get_thumbnail(
    request: Request, item_id: uuid.UUID, items: ItemService
) -> HTTPResponse | None:
    """Stream the WebP thumbnail, with an ETag and long caching for versioned URLs."""
    return await send_image(request, items, item_id, rendition="thumbnail")


@bp.get("/<item_id:uuid>/thumbnail/2x")
@operation(
    "getItemThumbnail2x",
    tag="collection",
    params=(VERSION, IF_NONE_MATCH),
    answers={
        200: Answer(WEBP_BYTES, "A WebP thumbnail, longest side at most 800 px", CACHING),
        304: NOT_MODIFIED,
    },
    errors={404: NO_RENDITION},
    auth=True,
    scopes=("collection:read",),
)
async def get_thumbnail_2x(
    request: Request, item_id: uuid.UUID, items: ItemService
) -> HTTPResponse | None:
    """Stream the WebP thumbnail for 2x and 3x screens (longest side at most 800 px)."""
    return await send_image(request, items, item_id, rendition="thumbnail_2x")


@bp.get("/<item_id:uuid>/display")
@operation(
    "getItemDisplay",
    tag="collection",
    params=(VERSION, IF_NONE_MATCH),
    answers={
        200: Answer(WEBP_BYTES, "A WebP picture, longest side at most 1600 px", CACHING),
        304: NOT_MODIFIED,
    },
    errors={404: NO_RENDITION},
    auth=True,
    scopes=("collection:read",),
)
async def get_display(
    request: Request, item_id: uuid.UUID, items: ItemService
) -> HTTPResponse | None:
    """Stream the WebP display picture (longest side at most 1600 px), for detail views."""
    return await send_image(request, items, item_id, rendition="display")
