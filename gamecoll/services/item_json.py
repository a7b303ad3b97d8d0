"""An item's public JSON, written twice side by side: in Python for one item, and as a
PostgreSQL expression for list pages.

Building 50 models and their dicts in Python costs several times the database's work for a
page; PostgreSQL builds the same JSON in C. Both forms must give the same object for the same
row: `tests/api/test_items_json.py` compares every field of the list with the item's own
answer, on both databases.
"""

from __future__ import annotations

from typing import Any, Final

from gamecoll.models import Item
from gamecoll.services.item_details import purchase_json
from gamecoll.services.item_rules import stored_purchase

ITEMS_PATH: Final = "/collection/items"
VERSION_LENGTH: Final = 16
"""Hex digits of the image's SHA-256 that make its version in URLs (`?v=`)."""


def image_version(item: Item) -> str | None:
    """Return the image's version for URLs (a SHA-256 prefix), None without an image."""
    return item.image_sha256[:VERSION_LENGTH] if item.image_sha256 else None


def item_url(item: Item, suffix: str = "") -> str:
    """Return the path of an item, or of one of its sub-resources."""
    return f"{ITEMS_PATH}/{item.id}{suffix}"


def image_json(item: Item) -> dict[str, Any] | None:
    """Shape an item's image (None without one), with URLs that carry its version."""
    version = image_version(item)
    if version is None or item.image_content_type is None:
        return None
    query = f"?v={version}"

    def made(path: str | None, suffix: str) -> str | None:
        return item_url(item, suffix) + query if path else None

    return {
        "content_type": item.image_content_type,
        "width": item.image_width,
        "height": item.image_height,
        "size": item.image_size,
        "sha256": item.image_sha256,
        "url": item_url(item, "/image") + query,
        "raw_url": item_url(item, "/image/raw") + query,
        "thumbnail_url": item_url(item, "/thumbnail") + query,
        "thumbnail_2x_url": made(item.thumb2x_path, "/thumbnail/2x"),
        "display_url": made(item.display_path, "/display"),
    }


def item_json(item: Item) -> dict[str, Any]:
    """Shape an item for the API."""
    return {
        "id": str(item.id),
        "name": item.name,
        "platform": item.platform,
        "notes": item.notes,
        "metadata": item.metadata,
        **details_json(item),
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "image": image_json(item),
    }


def details_json(item: Item) -> dict[str, Any]:
    """Shape what a collector records about the copy (item_details.py), completeness included."""
    return {
        "status": item.status,
        "region": item.region,
        "edition": item.edition,
        "parts": item.parts,
        "sealed": item.sealed,
        "graded": item.graded,
        "completeness": item.completeness,
        "condition": item.condition,
        "barcode": item.barcode,
        "purchase": purchase_json(stored_purchase(item)),
        "quantity": item.quantity,
        "tags": item.tags,
    }


def _iso_utc(column: str) -> str:
    """SQL for `datetime.isoformat()` of a UTC timestamp (micro-seconds only when not zero)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN extract(microseconds FROM {utc})::bigint % 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00'"
    )


def _url(suffix: str) -> str:
    return f"'{ITEMS_PATH}/' || i.id || '{suffix}?v=' || left(i.image_sha256, {VERSION_LENGTH})"


def _made_url(column: str, suffix: str) -> str:
    """The URL of a rendition, null while it has not been made (see `image_json`)."""
    return f"CASE WHEN i.{column} IS NULL THEN NULL ELSE {_url(suffix)} END"


_PRICE_POSTGRES: Final = (
    "(i.purchase_cents / 100)::text || '.' || lpad((i.purchase_cents % 100)::text, 2, '0')"
)
_PURCHASE_POSTGRES: Final = (
    "CASE WHEN i.purchase_cents IS NULL AND i.purchase_currency IS NULL "
    "AND i.purchase_date IS NULL AND i.purchase_source = '' THEN NULL ELSE json_build_object("
    f"'price', CASE WHEN i.purchase_cents IS NULL THEN NULL ELSE {_PRICE_POSTGRES} END, "
    "'currency', i.purchase_currency, 'date', to_char(i.purchase_date, 'YYYY-MM-DD'), "
    "'source', i.purchase_source) END"
)
"""`purchase_json` in SQL (item_details.py): null when nothing is recorded."""

ITEM_JSON_POSTGRES: Final = (
    "json_build_object("
    "'id', i.id, 'name', i.name, 'platform', i.platform, 'notes', i.notes, "
    "'metadata', i.metadata, "
    "'status', i.status, 'region', i.region, 'edition', i.edition, 'parts', i.parts, "
    "'sealed', i.sealed, 'graded', i.graded, 'completeness', i.completeness, "
    "'condition', i.condition, 'barcode', i.barcode, "
    f"'purchase', {_PURCHASE_POSTGRES}, "
    "'quantity', i.quantity, 'tags', i.tags, "
    f"'created_at', {_iso_utc('i.created_at')}, "
    f"'updated_at', {_iso_utc('i.updated_at')}, "
    "'image', CASE WHEN coalesce(i.image_sha256, '') = '' OR i.image_content_type IS NULL "
    "THEN NULL ELSE json_build_object("
    "'content_type', i.image_content_type, 'width', i.image_width, "
    "'height', i.image_height, 'size', i.image_size, 'sha256', i.image_sha256, "
    f"'url', {_url('/image')}, 'raw_url', {_url('/image/raw')}, "
    f"'thumbnail_url', {_url('/thumbnail')}, "
    f"'thumbnail_2x_url', {_made_url('thumb2x_path', '/thumbnail/2x')}, "
    f"'display_url', {_made_url('display_path', '/display')}) END"
    ")::text"
)
"""`item_json` as a PostgreSQL expression over the `items` row aliased `i`: JSON text."""
