"""Request and response shapes of the collection API, and the item's JSON."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gamecoll.models import Item
from gamecoll.services.item_rules import (
    METADATA_MAX_BYTES,
    NAME_MAX,
    NOTES_MAX,
    PAGE_MAX,
    PLATFORM_MAX,
)

_IMAGE_TEXT = (
    "The image, base64-encoded (standard or URL-safe alphabet, padding optional) or as a "
    "`data:image/...;base64,...` URL. JPEG, PNG, WebP or GIF; the format is decided by "
    "decoding, never by the declared type."
)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ItemCreateIn(_In):
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


class ItemPatchIn(_In):
    name: StrictStr | None = Field(default=None, json_schema_extra={"maxLength": NAME_MAX})
    platform: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": PLATFORM_MAX}, description="null clears it"
    )
    notes: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": NOTES_MAX}, description="null clears it"
    )
    metadata: dict[str, Any] | None = Field(default=None, description="null clears it")


class ItemImageIn(_In):
    image: StrictStr = Field(description=_IMAGE_TEXT)


class ItemImageOut(BaseModel):
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
    id: uuid.UUID
    name: str
    platform: str
    notes: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    image: ItemImageOut | None


class ItemPageOut(BaseModel):
    items: list[ItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done.")


class ItemImageDataOut(BaseModel):
    item_id: uuid.UUID
    content_type: str
    width: int
    height: int
    size: int
    image: str = Field(description="The image bytes, base64-encoded.")


def openapi_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return a model's JSON schema as OpenAPI 3.0 wants it: references inlined, nullable."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(value) for value in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            return convert({**definitions[node["$ref"].rsplit("/", 1)[-1]], **siblings})
        options = node.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            merged = {key: value for key, value in node.items() if key != "anyOf"}
            if len(rest) == 1:
                merged.update(rest[0])
            else:
                merged["anyOf"] = rest
            merged["nullable"] = True
            return convert(merged)
        out = {
            key: convert(value)
            for key, value in node.items()
            if not (key in ("title", "examples") and not isinstance(value, dict))
        }
        examples = node.get("examples")
        if isinstance(examples, list) and examples:
            out["example"] = examples[0]  # OpenAPI 3.0 schemas have one `example`
        return out

    converted: dict[str, Any] = convert(schema)
    return converted


def json_content(model: type[BaseModel]) -> dict[str, Any]:
    """An OpenAPI `content` entry for a JSON body shaped by `model`."""
    return {"application/json": {"schema": openapi_schema(model)}}


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"schema": {"type": "object", "properties": properties, "required": required}}


_FILE_PART: Final = {
    "type": "string",
    "format": "binary",
    "description": "The image file (JPEG, PNG, WebP or GIF); its name and type are ignored.",
}

ITEM_FORM: Final = _form(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
        "platform": {"type": "string", "maxLength": PLATFORM_MAX},
        "notes": {"type": "string", "maxLength": NOTES_MAX},
        "metadata": {"type": "string", "description": "A JSON object, as text."},
        "image": _FILE_PART,
        "csrf_token": {"type": "string", "description": "With cookie auth, instead of the header."},
    },
    ["name"],
)
IMAGE_FORM: Final = _form(
    {
        "image": _FILE_PART,
        "csrf_token": {"type": "string", "description": "With cookie auth, instead of the header."},
    },
    ["image"],
)
BINARY: Final = {"schema": {"type": "string", "format": "binary"}}
IMAGE_BYTES: Final = {
    kind: BINARY for kind in ("image/jpeg", "image/png", "image/webp", "image/gif")
}
WEBP_BYTES: Final = {"image/webp": BINARY}
LIMIT_TEXT: Final = f"Items per page, 1 to {PAGE_MAX} (default 50)."


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
