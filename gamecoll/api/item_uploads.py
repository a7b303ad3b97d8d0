"""Item request bodies: sized before they are read, then read as JSON or a multipart form.

The image comes base64-encoded in a JSON body or as a file part named `image`; a route's limit
(`ctx_body` "image" or "json") is checked against Content-Length and while a chunked body
arrives, before anything is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sanic import Request
from sanic.exceptions import PayloadTooLarge as SanicPayloadTooLarge

from gamecoll.api.item_schemas import (
    ItemCreateIn,
    ItemImageIn,
)
from gamecoll.config import Settings
from gamecoll.errors import PayloadTooLarge, ValidationFailed
from gamecoll.http.body import FORM_TYPES, json_data, media_type, validate
from gamecoll.http.forms import read_form
from gamecoll.services.duplicates import clean_flag
from gamecoll.services.item_forms import form_item_values
from gamecoll.services.items import ItemService

UPLOAD_OVERHEAD: Final = 64 * 1024
"""Room for the other fields, multipart headers or a `data:` prefix next to the image."""
_MIB: Final = 1024 * 1024


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
    """What a create or image request sent: the raw fields and the image bytes, if any.

    `allow_duplicate` is the query parameter `allow_duplicate=true`: store a photo the user
    already has (else 409 `duplicate_photo`).
    """

    fields: dict[str, Any]
    image: bytes | None
    allow_duplicate: bool = False


NO_FILE: Final = "Send the image as a file part named `image` (or base64 in a JSON body)."


async def read_upload(request: Request, items: ItemService, *, image_required: bool) -> Upload:
    """Read a JSON body (image as base64) or a form (image as a file part named `image`)."""
    allow = clean_flag(request.args.get("allow_duplicate"), "allow_duplicate")
    if media_type(request) in FORM_TYPES:
        form = read_form(request)[0]
        if "image" in form:
            raise ValidationFailed(NO_FILE, fields={"image": NO_FILE})
        fields = form_item_values(form)
        part = request.files.get("image") if request.files else None
        image = part.body if part is not None and part.body else None
        if image is None and image_required:
            raise ValidationFailed(NO_FILE, fields={"image": NO_FILE})
        return Upload(fields, image, allow)
    data = json_data(request)
    if image_required:
        encoded: str | None = validate(ItemImageIn, data).image
    else:
        encoded = validate(ItemCreateIn, data).image
    image_bytes = await items.decode_base64(encoded) if encoded is not None else None
    fields = {key: value for key, value in data.items() if key != "image"}
    return Upload(fields, image_bytes, allow)
