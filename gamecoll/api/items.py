"""The collection: items, their images (base64 JSON, raw bytes, WebP thumbnails)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final

from sanic import Blueprint, HTTPResponse, Request
from sanic import json as json_response
from sanic.exceptions import PayloadTooLarge as SanicPayloadTooLarge

from gamecoll.api.docs import IF_NONE_MATCH, Answer, Body, Param, links_with, operation
from gamecoll.api.item_schemas import (
    CURSOR,
    IMAGE_BYTES,
    LIMIT,
    LIMIT_TEXT,
    PLATFORM,
    QUERY,
    WEBP_BYTES,
    ItemCreateIn,
    ItemImageDataOut,
    ItemImageIn,
    ItemOut,
    ItemPageOut,
    ItemPatchIn,
    image_data_json,
)
from gamecoll.config import Settings
from gamecoll.errors import NotFound, PayloadTooLarge, ValidationFailed
from gamecoll.http.body import FORM_TYPES, form_data, json_data, media_type, validate
from gamecoll.http.guard import authenticate_with_item, authenticated, principal
from gamecoll.http.responses import no_content, private_json, private_json_text
from gamecoll.models import Item
from gamecoll.services.item_json import image_version, item_json, item_url
from gamecoll.services.item_rules import (
    PLATFORM_MAX,
    QUERY_MAX,
    ItemFields,
    clean_changes,
    clean_filter,
    clean_limit,
)
from gamecoll.services.items import ItemService
from gamecoll.storage import StoredFile

bp = Blueprint("items", url_prefix="/collection/items")

NO_ITEM = "No such item of yours"
NO_IMAGE = "No such item of yours, or it has no image"
NO_RENDITION = "No such item of yours, no image, or its rendition is not made yet (images backfill)"
BAD_IMAGE = "Not JSON or a form, or the image is not JPEG, PNG, WebP or GIF"
CACHING = {"ETag": {"type": "string"}, "Cache-Control": {"type": "string"}}
VERSION = Param("v", {"type": "string"}, "The image version (from the item's URLs).")
ITEM_OPERATIONS = (
    "getItem",
    "updateItem",
    "setItemImage",
    "getItemImage",
    "getItemImageRaw",
    "getItemThumbnail",
    "deleteItemImage",
    "deleteItem",
)
NOT_MODIFIED = Answer(None, "Not modified (If-None-Match)", {"ETag": {"type": "string"}})
UPLOAD_OVERHEAD: Final = 64 * 1024
"""Room for the other fields, multipart headers or a `data:` prefix next to the image."""
IMMUTABLE: Final = "private, max-age=31536000, immutable"
REVALIDATE: Final = "private, no-cache"
_MIB: Final = 1024 * 1024

# -- bodies: sized before they are read ----------------------------------------------------------


def _mib(size: int) -> str:
    return f"{size / _MIB:.2f}".rstrip("0").rstrip(".") + " MiB"


def body_limit(settings: Settings, kind: str, media: str) -> tuple[int, str]:
    """Return the largest body a route takes, and how to explain it."""
    image = settings.max_image_bytes
    if kind != "image":
        limit = settings.request_max_json_bytes
        return limit, f"at most {_mib(limit)} of JSON"
    if media in FORM_TYPES:
        return image + UPLOAD_OVERHEAD, f"an image of up to {_mib(image)} plus the other fields"
    limit = 4 * -(-image // 3) + UPLOAD_OVERHEAD
    return limit, f"an image of up to {_mib(image)}, base64-encoded, plus the other fields"


@bp.on_request
async def read_body_within_limit(request: Request) -> None:
    """Refuse a body over the route's limit before reading it, then read it (stream routes)."""
    kind = getattr(request.route.ctx, "body", None) if request.route else None
    if kind is None or request.stream is None:
        return
    limit, allowed = body_limit(request.app.ctx.settings, kind, media_type(request))
    declared = request.headers.get("content-length", "")

    def too_large(size: str) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is {size}; this endpoint takes {allowed}.")

    if declared.isdigit() and int(declared) > limit:
        raise too_large(_mib(int(declared)))
    request.stream.request_max_size = limit  # chunked bodies stop at the limit too
    try:
        await request.receive_body()  # type: ignore[no-untyped-call]
    except SanicPayloadTooLarge:
        raise too_large(f"over {_mib(limit)}") from None


@dataclass(frozen=True, slots=True)
class Upload:
    """What a create or image request sent: the raw fields and the image bytes, if any."""

    fields: dict[str, Any]
    image: bytes | None


NO_FILE: Final = "Send the image as a file part named `image` (or base64 in a JSON body)."


async def read_upload(request: Request, items: ItemService, *, image_required: bool) -> Upload:
    """Read a JSON body (image as base64) or a form (image as a file part named `image`)."""
    if media_type(request) in FORM_TYPES:
        fields: dict[str, Any] = form_data(request)
        if "image" in fields:
            raise ValidationFailed(NO_FILE, fields={"image": NO_FILE})
        if fields.get("metadata", "").strip():
            fields["metadata"] = _form_json(fields["metadata"])
        else:
            fields.pop("metadata", None)
        part = request.files.get("image") if request.files else None
        image = part.body if part is not None and part.body else None
        if image is None and image_required:
            raise ValidationFailed(NO_FILE, fields={"image": NO_FILE})
        return Upload(fields, image)
    data = json_data(request)
    if image_required:
        encoded: str | None = validate(ItemImageIn, data).image
    else:
        encoded = validate(ItemCreateIn, data).image
    image_bytes = await items.decode_base64(encoded) if encoded is not None else None
    return Upload({key: value for key, value in data.items() if key != "image"}, image_bytes)


def _form_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        message = "Must be a JSON object, as text."
        raise ValidationFailed(f"metadata: {message}", fields={"metadata": message}) from None


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


# -- routes --------------------------------------------------------------------------------------


@bp.get("")
@operation(
    "listItems",
    tag="collection",
    params=(
        Param("limit", LIMIT, LIMIT_TEXT),
        Param("cursor", CURSOR, "`next_cursor` of the previous page; absent or empty: the first."),
        Param("q", QUERY, f"Name or platform contains (any case), {QUERY_MAX} max."),
        Param("platform", PLATFORM, "Exactly this platform (any case)."),
    ),
    answers={200: (ItemPageOut, "A page of items, newest first")},
    errors={422: "A bad limit, cursor or filter"},
    auth=True,
)
@authenticated
async def list_items(request: Request, items: ItemService) -> HTTPResponse:
    """List the user's items, newest first, a page at a time."""
    args = request.get_args(keep_blank_values=True)  # an empty `limit=` is refused, not ignored
    user_id, limit, cursor = (
        principal(request).user.id,
        clean_limit(args.get("limit")),
        args.get("cursor"),
    )
    q = clean_filter(args.get("q"), "q", QUERY_MAX)
    platform = clean_filter(args.get("platform"), "platform", PLATFORM_MAX)
    if not q and not platform:
        made = await items.page_json(user_id=user_id, limit=limit, cursor=cursor)
        if made is not None:
            return private_json_text(
                f'{{"items":[{",".join(made.items)}],"next_cursor":{json.dumps(made.next_cursor)}}}'
            )
    page = await items.page(user_id=user_id, limit=limit, cursor=cursor, q=q, platform=platform)
    return private_json(
        {"items": [item_json(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@bp.post("", stream=True, ctx_body="image")
@operation(
    "createItem",
    tag="collection",
    body=Body(ItemCreateIn, multipart="ItemCreateForm"),
    answers={
        201: Answer(
            ItemOut,
            "The new item",
            {"Location": {"type": "string"}},
            links_with("item_id", "$response.body#/id", *ITEM_OPERATIONS),
        ),
    },
    errors={
        413: "The body or the image is too large",
        415: BAD_IMAGE,
        422: "A field is not valid, or the image is damaged or too big",
        503: "The database or the image storage is unavailable; nothing was saved",
        507: "The image storage is full; nothing was saved",
    },
    auth=True,
)
@authenticated
async def create_item(request: Request, items: ItemService) -> HTTPResponse:
    """Add an item, with an optional image (base64 in JSON, or a multipart file part)."""
    upload = await read_upload(request, items, image_required=False)
    fields = ItemFields.clean(validate(ItemCreateIn, upload.fields).model_dump())
    item = await items.create(user_id=principal(request).user.id, fields=fields, image=upload.image)
    response = private_json(item_json(item), status=201)
    response.headers["location"] = item_url(item)
    return response


@bp.get("/<item_id:uuid>")
@operation(
    "getItem",
    tag="collection",
    answers={200: (ItemOut, "The item")},
    errors={404: NO_ITEM},
    auth=True,
)
@authenticated
async def get_item(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Show one item."""
    item = await items.get(user_id=principal(request).user.id, item_id=item_id)
    return private_json(item_json(item))


@bp.patch("/<item_id:uuid>", stream=True, ctx_body="json")
@operation(
    "updateItem",
    tag="collection",
    body=Body(ItemPatchIn),
    answers={200: (ItemOut, "The changed item")},
    errors={404: NO_ITEM},
    auth=True,
)
@authenticated
async def update_item(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Change the name, platform, notes or metadata (the fields sent; null clears)."""
    item = await items.get(user_id=principal(request).user.id, item_id=item_id)
    data = json_data(request)
    model = validate(ItemPatchIn, data)
    if "image" in data:
        message = "Change the image with PUT /collection/items/{item_id}/image."
        raise ValidationFailed(message, fields={"image": message})
    changes = clean_changes({key: getattr(model, key) for key in model.model_fields_set})
    return private_json(item_json(await items.update(item=item, changes=changes)))


@bp.delete("/<item_id:uuid>")
@operation(
    "deleteItem",
    tag="collection",
    answers={204: (None, "Deleted, with its image files")},
    errors={404: NO_ITEM},
    auth=True,
)
@authenticated
async def delete_item(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Delete an item and its image files."""
    await items.delete(user_id=principal(request).user.id, item_id=item_id)
    return no_content()


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
)
async def get_display(
    request: Request, item_id: uuid.UUID, items: ItemService
) -> HTTPResponse | None:
    """Stream the WebP display picture (longest side at most 1600 px), for detail views."""
    return await send_image(request, items, item_id, rendition="display")
