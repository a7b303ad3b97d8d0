"""The collection file format shared by export and import: one row per item.

A row is the item's API JSON (`item_json`, so every field the API shows, with ISO dates)
without the image URLs, with:

- `id`: the item's stable id. An imported item keeps the id it had in the file it came from
  (`source_id`), so exporting it again, from any account, gives the same id;
- `photo`: null, or the stored photo's `file` name in a ZIP export (`photos/<id>.<ext>`), its
  `content_type`, `width`, `height`, `size`, `sha256` and `upload_sha256`.

The item's own fields come from the one declared list, `ItemFields`: the CSV columns are its
fields (objects and lists as compact JSON text, booleans as true/false), then the dates and
the photo's columns. Nothing here names an item field but `id`.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import datetime
from typing import Any, Final, Union

from gamecoll.models import Item
from gamecoll.services.item_json import item_json
from gamecoll.services.item_rules import ItemFields

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
    """The item's own fields, in their declared order."""
    return tuple(field.name for field in dataclasses.fields(ItemFields))


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


# -- reading CSV cells back into JSON values ---------------------------------------------------


def _kind(hint: Any) -> str:
    """How a field's CSV cell is read: "json", "bool", "int" or "text"."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        kinds = {_kind(arg) for arg in typing.get_args(hint) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "json"
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is str:
        return "text"
    return "json"  # dicts, lists, sets, tuples, dataclasses


def field_kinds() -> dict[str, str]:
    """Each field of ItemFields and how its CSV cell is read."""
    hints = typing.get_type_hints(ItemFields)
    return {name: _kind(hints[name]) for name in field_names()}


class CellError(ValueError):
    """A CSV cell that cannot be read as its field's kind."""


def read_cell(kind: str, text: str) -> Any:
    """Turn a CSV cell back into the JSON value the field takes (empty: absent)."""
    if text == "":
        return None
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise CellError("Must be true or false.")
    if kind == "int":
        stripped = text.strip()
        if stripped.lstrip("-").isdigit() and len(stripped) < 12:
            return int(stripped)
        raise CellError("Must be a whole number.")
    if kind == "json":
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise CellError("Must be JSON text (as the export writes it).") from None
    return text


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
