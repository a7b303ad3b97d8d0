"""Rules for an item's fields and list parameters, shared by the API, the pages and imports.

The rules of the collector's details (status, parts, purchase, ...) are in item_details.py;
`CLEANERS` lists every field a client writes, once, for the API, the pages and imports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gamecoll.services.item_details import (
    Purchase,
    clean_barcode,
    clean_condition,
    clean_edition,
    clean_graded,
    clean_parts,
    clean_purchase,
    clean_quantity,
    clean_region,
    clean_sealed,
    clean_status,
    clean_tags,
    completeness,
    tag_keys,
)
from gamecoll.services.text_rules import LINE_CONTROLS, check_text, clean_text, fail, text_key

NAME_MAX: Final = 200
PLATFORM_MAX: Final = 100
NOTES_MAX: Final = 5000
METADATA_MAX_BYTES: Final = 16 * 1024
METADATA_MAX_DEPTH: Final = 32
QUERY_MAX: Final = 200
PAGE_DEFAULT: Final = 50
PAGE_MAX: Final = 100
NAME_KEY_MAX: Final = 800
PLATFORM_KEY_MAX: Final = 400
"""Lengths of the case-folded sort and filter keys (folding can lengthen a text)."""


# -- field rules -------------------------------------------------------------------------------


def clean_name(value: object, field: str = "name") -> str:
    """Return a trimmed name of 1 to 200 characters, or raise 422."""
    if isinstance(value, str) and not value.strip():
        raise fail(field, "Enter a name.")
    return clean_text(value, field, most=NAME_MAX)


def clean_platform(value: object, field: str = "platform") -> str:
    """Return a trimmed platform of up to 100 characters (empty for none), or raise 422."""
    return "" if value is None else clean_text(value, field, most=PLATFORM_MAX)


def clean_notes(value: object, field: str = "notes") -> str:
    """Return trimmed notes of up to 5000 characters (tabs and line breaks allowed)."""
    if value is None:
        return ""
    return clean_text(value, field, most=NOTES_MAX, allowed_controls=LINE_CONTROLS)


def clean_metadata(value: object, field: str = "metadata") -> dict[str, Any]:
    """Return a JSON object of at most 16 KiB (compact UTF-8), or raise 422.

    Refused, because no database stores them faithfully: NUL and lone surrogates in strings,
    NaN and infinities, nesting deeper than 32 levels.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(field, "Must be a JSON object.")
    _check_json(value, field, 0)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > METADATA_MAX_BYTES:
        raise fail(
            field,
            f"Is {size:,} bytes as compact JSON; the limit is {METADATA_MAX_BYTES:,} bytes.",
        )
    return value


def _check_json(value: object, field: str, depth: int) -> None:
    if isinstance(value, dict | list) and depth >= METADATA_MAX_DEPTH:
        raise fail(field, f"Must not be nested deeper than {METADATA_MAX_DEPTH} levels.")
    if isinstance(value, str):
        check_text(value, field, allowed_controls=LINE_CONTROLS)
    elif isinstance(value, bool) or value is None or isinstance(value, int):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise fail(field, "Numbers must be finite (no NaN or Infinity).")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise fail(field, "Keys must be strings.")
            check_text(key, field)
            _check_json(item, field, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, field, depth + 1)
    else:
        raise fail(field, "Must contain only JSON values.")


def clean_limit(value: str | None) -> int:
    """Parse the page size (1 to 100; 50 when absent; an empty value is refused)."""
    if value is None:
        return PAGE_DEFAULT
    text = value.strip()
    if (
        not (text.isascii() and text.isdigit())
        or len(text) > len(str(PAGE_MAX))
        or not 1 <= int(text) <= PAGE_MAX
    ):
        raise fail("limit", f"Must be a whole number from 1 to {PAGE_MAX}.")
    return int(text)


def clean_filter(value: str | None, field: str, maximum: int) -> str | None:
    """Return a trimmed search or filter value (None when empty), or raise 422."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > maximum:
        raise fail(field, f"Use at most {maximum} characters.")
    check_text(text, field)
    return text


CLEANERS: Final[dict[str, Callable[[object], Any]]] = {
    "name": clean_name,
    "platform": clean_platform,
    "notes": clean_notes,
    "metadata": clean_metadata,
    "status": clean_status,
    "region": clean_region,
    "edition": clean_edition,
    "parts": clean_parts,
    "sealed": clean_sealed,
    "graded": clean_graded,
    "condition": clean_condition,
    "barcode": clean_barcode,
    "purchase": clean_purchase,
    "quantity": clean_quantity,
    "tags": clean_tags,
}
"""Every field a client writes, with its rule; null or absent gives the field's default."""

ITEM_FIELDS: Final = tuple(CLEANERS)
"""The writable fields of an item, in the order the API shows them (see item_json.py)."""
DERIVED_FIELDS: Final = ("completeness",)
"""Fields the API shows but derives: completeness, from parts, sealed and graded."""


@dataclass(frozen=True, slots=True)
class ItemFields:
    """The cleaned fields of an item, as `CLEANERS` makes them."""

    name: str
    platform: str = ""
    notes: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str = "owned"
    region: str | None = None
    edition: str = ""
    parts: list[str] = field(default_factory=list)
    sealed: bool = False
    graded: dict[str, str] | None = None
    condition: str | None = None
    barcode: str | None = None
    purchase: Purchase | None = None
    quantity: int = 1
    tags: list[str] = field(default_factory=list)

    @classmethod
    def clean(cls, data: Mapping[str, Any]) -> ItemFields:
        """Clean the fields of a new item (only `name` is required)."""
        return cls(**{name: clean(data.get(name)) for name, clean in CLEANERS.items()})

    def columns(self) -> dict[str, Any]:
        """Return the new item's columns, derived ones included."""
        return item_columns({name: getattr(self, name) for name in ITEM_FIELDS})


def clean_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Clean the fields a PATCH sends; null gives a field's default (a name cannot be null)."""
    return {key: clean(data[key]) for key, clean in CLEANERS.items() if key in data}


def item_columns(values: Mapping[str, Any], current: object = None) -> dict[str, Any]:
    """Turn cleaned fields into the columns to write, with the ones derived from them.

    For a change, `current` is the item as stored: completeness is derived from its parts,
    sealed and graded where the change does not give them.
    """
    columns: dict[str, Any] = {}
    for name, value in values.items():
        if name == "name":
            columns.update(name=value, name_key=text_key(value)[:NAME_KEY_MAX])
        elif name == "platform":
            columns.update(platform=value, platform_key=text_key(value)[:PLATFORM_KEY_MAX])
        elif name == "tags":
            columns.update(tags=value, tag_keys=tag_keys(value))
        elif name == "purchase":
            columns.update(
                purchase_cents=value.cents if value else None,
                purchase_currency=value.currency if value else None,
                purchase_date=value.date if value else None,
                purchase_source=value.source if value else "",
            )
        else:
            columns[name] = value
    decisive = ("parts", "sealed", "graded")
    if any(name in values for name in decisive):
        now = {
            name: values[name] if name in values else getattr(current, name) for name in decisive
        }
        columns["completeness"] = completeness(now["parts"], now["sealed"], now["graded"])
    return columns


def stored_purchase(item: Any) -> Purchase | None:
    """Read an item's purchase columns back (None when nothing is recorded)."""
    if (
        item.purchase_cents is None
        and item.purchase_currency is None
        and item.purchase_date is None
        and not item.purchase_source
    ):
        return None
    return Purchase(
        cents=item.purchase_cents,
        currency=item.purchase_currency,
        date=item.purchase_date,
        source=item.purchase_source,
    )
