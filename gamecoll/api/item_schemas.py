"""Request and response shapes of the collection API, and the item's JSON."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from gamecoll.models import Item
from gamecoll.models.keyset import CURSOR_MAX
from gamecoll.services.image_checks import ACCEPTED_CONTENT_TYPES
from gamecoll.services.item_details import (
    COMPLETENESS,
    CONDITIONS,
    EDITION_MAX,
    GRADE_MAX,
    GRADER_MAX,
    PARTS,
    QUANTITY_MAX,
    REGIONS,
    SOURCE_MAX,
    STATUSES,
    TAG_MAX,
    TAGS_MAX,
)
from gamecoll.services.item_lists import SEARCH_MIN, TAG_FILTERS_MAX
from gamecoll.services.item_rules import (
    METADATA_MAX_BYTES,
    NAME_MAX,
    NOTES_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    PLATFORM_MAX,
    QUERY_MAX,
)

_IMAGE_TEXT = (
    "The image, base64-encoded (standard or URL-safe alphabet, padding optional) or as a "
    "`data:image/...;base64,...` URL. JPEG, PNG, WebP or GIF; the format is decided by "
    "decoding, never by the declared type."
)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _enum(values: tuple[str, ...], description: str) -> Any:
    return Field(default=None, json_schema_extra={"enum": [*values, None]}, description=description)


class GradedIn(_In):
    model_config = ConfigDict(title="Graded", extra="forbid")

    company: StrictStr = Field(
        json_schema_extra={"minLength": 1, "maxLength": GRADER_MAX}, examples=["WATA"]
    )
    grade: StrictStr = Field(
        json_schema_extra={"minLength": 1, "maxLength": GRADE_MAX}, examples=["9.4 A+"]
    )


class PurchaseIn(_In):
    model_config = ConfigDict(title="Purchase", extra="forbid")

    price: StrictStr | None = Field(
        default=None,
        json_schema_extra={"pattern": r"^\s*[0-9]{1,10}(\.[0-9]{1,2})?\s*$"},
        description="A decimal string with at most 2 decimals; needs `currency`.",
        examples=["49.90"],
    )
    currency: StrictStr | None = Field(
        default=None, description="An ISO 4217 code (any case).", examples=["EUR"]
    )
    date: StrictStr | None = Field(
        default=None,
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD, not in the future.",
        examples=["2024-03-01"],
    )
    source: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": SOURCE_MAX}, examples=["Flea market"]
    )


class ItemDetailsIn(_In):
    """What collectors record: shared by the create and the change requests."""

    status: StrictStr | None = _enum(STATUSES, "Default owned; null sets the default.")
    region: StrictStr | None = _enum(REGIONS, "null: unknown.")
    edition: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": EDITION_MAX}, examples=["Player's Choice"]
    )
    parts: list[StrictStr] | None = Field(
        default=None,
        json_schema_extra={"items": {"type": "string", "enum": list(PARTS)}},
        description="The parts present, as a set (repeats count once).",
        examples=[["game", "box", "manual"]],
    )
    sealed: StrictBool | None = Field(default=None, description="Factory-sealed.")
    graded: GradedIn | None = Field(default=None, description="Graded by a company; null: not.")
    condition: StrictStr | None = _enum(CONDITIONS, "null: not recorded.")
    barcode: StrictStr | None = Field(
        default=None,
        json_schema_extra={"pattern": r"^\s*([0-9]{8}|[0-9]{12,13})?\s*$"},
        description="UPC-A (12 digits), EAN-13 or EAN-8, with a valid check digit.",
        examples=["045496830434"],
    )
    purchase: PurchaseIn | None = Field(default=None, description="null: none recorded.")
    quantity: StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 1, "maximum": QUANTITY_MAX}
    )
    tags: list[StrictStr] | None = Field(
        default=None,
        json_schema_extra={
            "maxItems": TAGS_MAX,
            "items": {"type": "string", "minLength": 1, "maxLength": TAG_MAX},
        },
        description="Kept as typed; matched in any case; a repeat in another case counts once.",
        examples=[["RPG", "Favourites"]],
    )


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


class GradedOut(BaseModel):
    model_config = ConfigDict(title="GradedOut")

    company: str
    grade: str


class PurchaseOut(BaseModel):
    model_config = ConfigDict(title="PurchaseOut")

    price: str | None = Field(description="Always with two decimals.", examples=["49.90"])
    currency: str | None = Field(examples=["EUR"])
    date: str | None = Field(json_schema_extra={"format": "date"}, examples=["2024-03-01"])
    source: str


def _one_of(values: tuple[str, ...], nullable: bool = False) -> Any:
    return Field(json_schema_extra={"enum": [*values, *([None] if nullable else [])]})


class ItemOut(BaseModel):
    model_config = ConfigDict(title="Item")

    id: uuid.UUID
    name: str
    platform: str
    notes: str
    metadata: dict[str, Any]
    status: str = _one_of(STATUSES)
    region: str | None = _one_of(REGIONS, nullable=True)
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
    condition: str | None = _one_of(CONDITIONS, nullable=True)
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
LIMIT: Final = {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": PAGE_DEFAULT}
LIMIT_TEXT: Final = f"Items per page, 1 to {PAGE_MAX} (default {PAGE_DEFAULT}; empty is refused)."
CURSOR: Final = {"type": "string", "maxLength": CURSOR_MAX}
QUERY: Final = {"type": "string", "maxLength": QUERY_MAX}
PLATFORM: Final = {"type": "string", "maxLength": PLATFORM_MAX}
TAG_FILTER: Final = {
    "type": "array",
    "items": {"type": "string", "maxLength": TAG_MAX},
    "maxItems": TAG_FILTERS_MAX,
}
SEARCH_TEXT: Final = (
    f"Full-text search of the name, platform, edition, notes and tags ({QUERY_MAX} characters "
    "at most): every word must begin a word of the item; results come best first (name, then "
    f"edition and tags, then platform, then notes) unless `sort` is given. Under {SEARCH_MIN} "
    "characters, or without a letter or digit: the name or platform contains the text (any case)."
)
SORT_TEXT: Final = (
    "`added` (default: newest first), `-added` (oldest first), `name`, `platform` (then name), "
    "`price` (cheapest first), `-price` (dearest first); items without a price come last. "
    "Without it a search is ranked best first."
)


def choice(values: tuple[str, ...]) -> dict[str, Any]:
    """The schema of a parameter that takes one of these codes."""
    return {"type": "string", "enum": list(values)}


class CountOut(BaseModel):
    model_config = ConfigDict(title="PlatformCount")

    platform: str = Field(
        description="One of its spellings; platforms differing only in case count together."
    )
    items: int


class PurchaseTotalOut(BaseModel):
    model_config = ConfigDict(title="PurchaseTotal")

    currency: str = Field(examples=["EUR"])
    total: str = Field(description="The sum of the prices, two decimals.", examples=["149.80"])
    items: int = Field(description="Items with a price in this currency.")


class StatsOut(BaseModel):
    model_config = ConfigDict(title="CollectionStats")

    items: int
    copies: int = Field(description="The items' quantities added up.")
    by_status: dict[str, int] = Field(description="Items per status (absent: none).")
    by_completeness: dict[str, int] = Field(description="Items per completeness (absent: none).")
    by_platform: list[CountOut] = Field(description="Most items first; no platform is absent.")
    purchases: list[PurchaseTotalOut] = Field(description="Per currency, by code.")


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
