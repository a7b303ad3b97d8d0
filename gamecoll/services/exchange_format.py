"""The collection file format shared by export and import: one row per item.

A row is the item's API JSON (`item_json`, so every field the API shows, with ISO dates)
without the image URLs, with:

- `id`: the item's stable id. An imported item keeps the id it had in the file it came from
  (`source_id`), so exporting it again, from any account, gives the same id;
- `photo`: null, or the stored photo's `file` name in a ZIP export (`photos/<id>.<ext>`), its
  `content_type`, `width`, `height`, `size`, `sha256` and `upload_sha256`.

The item's own fields come from the one declared list, `ITEM_FIELDS` (item_rules.py): the CSV
columns are those fields (objects and lists as compact JSON text, booleans as true/false, read
back as the API's multipart forms are, by item_forms.py), then the dates and the photo's
columns. Nothing here names an item field but `id`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from gamecoll.models import Item
from gamecoll.services.item_json import item_json
from gamecoll.services.item_rules import ITEM_FIELDS

FORMAT_NAME: Final = "gamecoll-collection"
FORMAT_VERSION: Final = 1
COLLECTION_FILE: Final = "collection.json"
PHOTO_DIR: Final = "photos/"
DATE_COLUMNS: Final = ("created_at", "updated_at")
PHOTO_KEYS: Final = ("file", "content_type", "width", "height", "size", "sha256", "upload_sha256")
PHOTO_COLUMNS: Final = tuple(f"photo_{key}" for key in PHOTO_KEYS)
_EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}


def field_names() -> tuple[str, ...]:
    """The item's own (writable) fields, in their declared order."""
    return ITEM_FIELDS


def csv_columns() -> tuple[str, ...]:
    """The CSV header: id, the item's fields, the dates, the photo."""
    return ("id", *field_names(), *DATE_COLUMNS, *PHOTO_COLUMNS)


def export_id(item: Item) -> str:
    """The id an item has in exports: the one it was imported with, else its own."""
    return str(item.source_id or item.id)


def photo_name(item: Item) -> str | None:
    """The photo's file name inside a ZIP export (None without a photo)."""
    if item.image_path is None or item.image_content_type is None:
        return None
    extension = _EXTENSIONS.get(item.image_content_type, item.image_path.rsplit(".", 1)[-1])
    return f"{PHOTO_DIR}{export_id(item)}.{extension}"


def export_row(item: Item) -> dict[str, Any]:
    """Shape an item as a row of the file (JSON values)."""
    row = item_json(item)
    row.pop("image", None)
    row["id"] = export_id(item)
    name = photo_name(item)
    row["photo"] = (
        None
        if name is None
        else {
            "file": name,
            "content_type": item.image_content_type,
            "width": item.image_width,
            "height": item.image_height,
            "size": item.image_size,
            "sha256": item.image_sha256,
            "upload_sha256": item.upload_sha256,
        }
    )
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple | set | frozenset):
        listed = sorted(value) if isinstance(value, set | frozenset) else value
        return json.dumps(listed, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def csv_row(row: dict[str, Any]) -> list[str]:
    """Flatten an export row into the CSV columns."""
    photo = row.get("photo") or {}
    values = [row.get(column) for column in ("id", *field_names(), *DATE_COLUMNS)]
    values += [photo.get(key) for key in PHOTO_KEYS]
    return [_cell(value) for value in values]


# -- reading dates back ----------------------------------------------------------------------


class CellError(ValueError):
    """A value of a row that cannot be read (a date, a CSV cell)."""


def parse_time(value: object, field: str) -> datetime | None:
    """Read an ISO 8601 date-time with its offset (None when absent)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise CellError(f"{field}: Must be an ISO 8601 date and time.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CellError(f"{field}: Must be an ISO 8601 date and time.") from None
    if parsed.tzinfo is None:
        raise CellError(f"{field}: Must say its offset from UTC (such as +00:00).")
    return parsed
