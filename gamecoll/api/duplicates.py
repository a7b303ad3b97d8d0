"""Duplicate photos: ask which photos are already in the collection before uploading them."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Body, Param, operation
from gamecoll.http.body import json_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.limits import KIB
from gamecoll.http.responses import private_json
from gamecoll.services.duplicates import CHECK_MAX, Duplicates, clean_checksums

bp = Blueprint("duplicates", url_prefix="/collection/items")

ALLOW_DUPLICATE: Final = Param(
    "allow_duplicate",
    {"type": "string", "enum": ["true", "false"]},
    "`true`: store the photo even if the user already has it (else 409 `duplicate_photo`).",
)
DUPLICATE_TEXT: Final = (
    "The user already has this photo (code `duplicate_photo`, `item_id` names the item); "
    "send `allow_duplicate=true` to store it again"
)
CHECK_BODY: Final = 128 * KIB
"""1,000 quoted checksums are some 67 KiB of JSON."""
_SHA256: Final[dict[str, Any]] = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}


class ChecksumsIn(BaseModel):
    model_config = ConfigDict(title="PhotoCheckRequest", extra="ignore")

    sha256: list[str] = Field(
        description=f"SHA-256 hex digests of photo files, 1 to {CHECK_MAX:,}.",
        json_schema_extra={"minItems": 1, "maxItems": CHECK_MAX, "items": _SHA256},
    )


class KnownPhotoOut(BaseModel):
    model_config = ConfigDict(title="KnownPhoto")

    sha256: str = Field(description="A checksum that was asked about, in lower case.")
    item_id: str = Field(description="An item of the user's with this photo.")


class ChecksumsOut(BaseModel):
    model_config = ConfigDict(title="PhotoCheckResult")

    known: list[KnownPhotoOut] = Field(description="The checksums the user already has.")
    unknown: list[str] = Field(description="The others: photos worth uploading.")


@bp.post("/check", ctx_body_limit=CHECK_BODY)
@operation(
    "checkPhotos",
    tag="collection",
    body=Body(ChecksumsIn),
    answers={200: (ChecksumsOut, "Which photos the user already has")},
    errors={422: "Not a list of 1 to 1,000 SHA-256 hex digests (the message says which)"},
    auth=True,
    scopes=("collection:read",),
)
@authenticated
async def check_photos(request: Request, duplicates: Duplicates) -> HTTPResponse:
    """Tell which of up to 1,000 photo checksums (SHA-256) the user already has.

    A checksum matches a photo as it was uploaded, or the stored file (as downloaded or exported).
    """
    data = json_data(request)
    value = data.get("sha256") if isinstance(data, dict) else None
    checksums = clean_checksums(value)
    found = await duplicates.known(principal(request).user.id, checksums)
    return private_json(
        {
            "known": [
                {"sha256": key, "item_id": str(found[key])} for key in checksums if key in found
            ],
            "unknown": [key for key in checksums if key not in found],
        }
    )
