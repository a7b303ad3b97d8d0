"""Request and response shapes of the collection API, and the item's JSON."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gamecoll.api.item_detail_schemas import GradedOut, ItemDetailsIn, PurchaseOut, one_of
from gamecoll.models import Item
from gamecoll.services.image_checks import ACCEPTED_CONTENT_TYPES
from gamecoll.services.item_details import (
    COMPLETENESS,
    CONDITIONS,
    EDITION_MAX,
    PARTS,
    QUANTITY_MAX,
    REGIONS,
    STATUSES,
)
from gamecoll.services.item_rules import (
    METADATA_MAX_BYTES,
    NAME_MAX,
    NOTES_MAX,
    PLATFORM_MAX,
)

_IMAGE_TEXT = (
    "The image, base64-encoded (standard or URL-safe alphabet, padding optional) or as a "
    "`data:image/...;base64,...` URL. JPEG, PNG, WebP or GIF; the format is decided by "
    "decoding, never by the declared type."
)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ItemCreateIn(ItemDetailsIn):
    model_config = ConfigDict(title="ItemCreateRequest")

    # Lengths are documented here and checked by the service after trimming.
    name: StrictStr = Field(
        json_schema_extra={"minLength": 1, "maxLength": NAME_MAX}, examples=["Chrono Trigger"]
    )
    platform: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": PLATFORM_MAX}, examples=["SNES"]
    )
    notes: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": NOTES_MAX}, examples=["Boxed, with manual"]
    )
    metadata: dict[str, Any] | None = Field(
        default=None,
        description=f"Any JSON object, at most {METADATA_MAX_BYTES} bytes as compact JSON.",
        examples=[{"region": "NTSC-U", "condition": "good"}],
    )
    image: StrictStr | None = Field(default=None, description=_IMAGE_TEXT)


class ItemPatchIn(ItemDetailsIn):
    model_config = ConfigDict(title="ItemPatchRequest")

    name: StrictStr | None = Field(default=None, json_schema_extra={"maxLength": NAME_MAX})
    platform: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": PLATFORM_MAX}, description="null clears it"
    )
    notes: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": NOTES_MAX}, description="null clears it"
    )
    metadata: dict[str, Any] | None = Field(default=None, description="null clears it")


class ItemImageIn(_In):
    model_config = ConfigDict(title="ItemImageRequest")

    image: StrictStr = Field(description=_IMAGE_TEXT)


class ItemImageOut(BaseModel):
    model_config = ConfigDict(title="ItemImage")

    content_type: str = Field(examples=["image/jpeg"])
    width: int
    height: int
    size: int = Field(description="Bytes of the stored (cleaned) image.")
    sha256: str
    url: str = Field(description="The image as base64 JSON; the URL carries its version.")
    raw_url: str = Field(description="The image bytes; cached for a year, as it is versioned.")
    thumbnail_url: str = Field(description="A WebP thumbnail, longest side at most 400 px.")
    thumbnail_2x_url: str | None = Field(
        description="A WebP thumbnail for 2x and 3x screens, longest side at most 800 px "
        "(null for an image stored before renditions existed, until they are made)."
    )
    display_url: str | None = Field(
        description="A WebP picture for detail views, longest side at most 1600 px "
        "(null for an image stored before renditions existed, until they are made)."
    )


class ItemOut(BaseModel):
    model_config = ConfigDict(title="Item")

    id: uuid.UUID
    name: str
    platform: str
    notes: str
    metadata: dict[str, Any]
    status: str = one_of(STATUSES)
    region: str | None = one_of(REGIONS, nullable=True)
    edition: str
    parts: list[str] = Field(
        json_schema_extra={"items": {"type": "string", "enum": list(PARTS)}},
        description="In the order game, box, manual, inserts.",
    )
    sealed: bool
    graded: GradedOut | None
    completeness: str = Field(
        json_schema_extra={"enum": list(COMPLETENESS)},
        description="Derived: graded, then sealed, then from the parts (docs/collection.md).",
    )
    condition: str | None = one_of(CONDITIONS, nullable=True)
    barcode: str | None
    purchase: PurchaseOut | None
    quantity: int
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    image: ItemImageOut | None


class ItemPageOut(BaseModel):
    model_config = ConfigDict(title="ItemPage")

    items: list[ItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done.")


class ItemImageDataOut(BaseModel):
    model_config = ConfigDict(title="ItemImageData")

    item_id: uuid.UUID
    content_type: str
    width: int
    height: int
    size: int
    image: str = Field(description="The image bytes, base64-encoded.")


_FILE_PART: Final = {
    "type": "string",
    "format": "binary",
    "description": "The image file (JPEG, PNG, WebP or GIF); its name and type are ignored.",
}
_CSRF_FIELD: Final = {"type": "string", "description": "With cookie auth, instead of the header."}

FORMS: Final[dict[str, dict[str, Any]]] = {
    "ItemCreateForm": {
        "title": "ItemCreateForm",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
            "platform": {"type": "string", "maxLength": PLATFORM_MAX},
            "notes": {"type": "string", "maxLength": NOTES_MAX},
            "metadata": {"type": "string", "description": "A JSON object, as text."},
            "status": {"type": "string", "enum": list(STATUSES)},
            "region": {"type": "string", "enum": list(REGIONS)},
            "edition": {"type": "string", "maxLength": EDITION_MAX},
            "parts": {
                "type": "string",
                "description": 'A JSON array of parts, as text: `["game", "box"]`.',
            },
            "sealed": {"type": "boolean"},
            "graded": {"type": "string", "description": "A Graded object, as JSON text."},
            "condition": {"type": "string", "enum": list(CONDITIONS)},
            "barcode": {"type": "string", "description": "UPC-A, EAN-13 or EAN-8 digits."},
            "purchase": {"type": "string", "description": "A Purchase object, as JSON text."},
            "quantity": {"type": "integer", "minimum": 1, "maximum": QUANTITY_MAX},
            "tags": {"type": "string", "description": "A JSON array of tags, as text."},
            "image": _FILE_PART,
            "csrf_token": _CSRF_FIELD,
        },
        "required": ["name"],
    },
    "ItemImageForm": {
        "title": "ItemImageForm",
        "type": "object",
        "properties": {"image": _FILE_PART, "csrf_token": _CSRF_FIELD},
        "required": ["image"],
    },
}
"""The multipart forms, by their names in the API document."""

_BINARY: Final = {"type": "string", "format": "binary"}
IMAGE_BYTES: Final = {kind: _BINARY for kind in ACCEPTED_CONTENT_TYPES}
"""The raw image's media types: the stored file's own type, as it is sent."""
WEBP_BYTES: Final = {"image/webp": _BINARY}


def image_data_json(item: Item, encoded: str) -> dict[str, Any]:
    """Shape the base64 answer of `GET /collection/items/{id}/image`."""
    return {
        "item_id": str(item.id),
        "content_type": item.image_content_type,
        "width": item.image_width,
        "height": item.image_height,
        "size": item.image_size,
        "image": encoded,
    }
