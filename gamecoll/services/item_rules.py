"""Rules for an item's fields, list parameters and cursors, shared by the API and the pages."""

from __future__ import annotations

import base64
import binascii
import json
import math
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from gamecoll.errors import ValidationFailed

NAME_MAX: Final = 200
PLATFORM_MAX: Final = 100
NOTES_MAX: Final = 5000
METADATA_MAX_BYTES: Final = 16 * 1024
METADATA_MAX_DEPTH: Final = 32
QUERY_MAX: Final = 200
PAGE_DEFAULT: Final = 50
PAGE_MAX: Final = 100
CURSOR_MAX: Final = 200
_NOTES_CONTROLS_ALLOWED: Final = frozenset("\t\n\r")


# -- field rules -------------------------------------------------------------------------------


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", fields={field: message})


def _check_text(value: str, field: str, *, allowed_controls: frozenset[str] = frozenset()) -> None:
    """Refuse control characters (NUL included) and lone surrogates, which no database stores."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in allowed_controls:
            if char == "\x00":
                raise _fail(field, "Must not contain NUL characters.")
            raise _fail(field, "Must not contain control characters.")
        if "\ud800" <= char <= "\udfff":
            raise _fail(field, "Must be valid Unicode text.")


def _clean_text(
    value: object, field: str, *, most: int, allowed_controls: frozenset[str] = frozenset()
) -> str:
    """Return the trimmed text of at most `most` characters, or raise 422."""
    if not isinstance(value, str):
        raise _fail(field, "Must be a string.")
    text = value.strip()
    if len(text) > most:
        raise _fail(field, f"Use at most {most} characters.")
    _check_text(text, field, allowed_controls=allowed_controls)
    return text


def clean_name(value: object, field: str = "name") -> str:
    """Return a trimmed name of 1 to 200 characters, or raise 422."""
    if isinstance(value, str) and not value.strip():
        raise _fail(field, "Enter a name.")
    return _clean_text(value, field, most=NAME_MAX)


def clean_platform(value: object, field: str = "platform") -> str:
    """Return a trimmed platform of up to 100 characters (empty for none), or raise 422."""
    return "" if value is None else _clean_text(value, field, most=PLATFORM_MAX)


def clean_notes(value: object, field: str = "notes") -> str:
    """Return trimmed notes of up to 5000 characters (tabs and line breaks allowed)."""
    if value is None:
        return ""
    return _clean_text(value, field, most=NOTES_MAX, allowed_controls=_NOTES_CONTROLS_ALLOWED)


def clean_metadata(value: object, field: str = "metadata") -> dict[str, Any]:
    """Return a JSON object of at most 16 KiB (compact UTF-8), or raise 422.

    Refused, because no database stores them faithfully: NUL and lone surrogates in strings,
    NaN and infinities, nesting deeper than 32 levels.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(field, "Must be a JSON object.")
    _check_json(value, field, 0)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > METADATA_MAX_BYTES:
        raise _fail(
            field,
            f"Is {size:,} bytes as compact JSON; the limit is {METADATA_MAX_BYTES:,} bytes.",
        )
    return value


def _check_json(value: object, field: str, depth: int) -> None:
    if isinstance(value, dict | list) and depth >= METADATA_MAX_DEPTH:
        raise _fail(field, f"Must not be nested deeper than {METADATA_MAX_DEPTH} levels.")
    if isinstance(value, str):
        _check_text(value, field, allowed_controls=_NOTES_CONTROLS_ALLOWED)
    elif isinstance(value, bool) or value is None or isinstance(value, int):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(field, "Numbers must be finite (no NaN or Infinity).")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(field, "Keys must be strings.")
            _check_text(key, field)
            _check_json(item, field, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, field, depth + 1)
    else:
        raise _fail(field, "Must contain only JSON values.")


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
        raise _fail("limit", f"Must be a whole number from 1 to {PAGE_MAX}.")
    return int(text)


def clean_filter(value: str | None, field: str, maximum: int) -> str | None:
    """Return a trimmed search or filter value (None when empty), or raise 422."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > maximum:
        raise _fail(field, f"Use at most {maximum} characters.")
    _check_text(text, field)
    return text


@dataclass(frozen=True, slots=True)
class ItemFields:
    """The cleaned text fields of an item."""

    name: str
    platform: str
    notes: str
    metadata: dict[str, Any]

    @classmethod
    def clean(cls, data: Mapping[str, Any]) -> ItemFields:
        """Clean the fields of a new item (only `name` is required)."""
        return cls(
            name=clean_name(data.get("name")),
            platform=clean_platform(data.get("platform")),
            notes=clean_notes(data.get("notes")),
            metadata=clean_metadata(data.get("metadata")),
        )


_CLEANERS = {
    "name": clean_name,
    "platform": clean_platform,
    "notes": clean_notes,
    "metadata": clean_metadata,
}


def clean_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Clean the fields a PATCH sends; null clears platform, notes and metadata."""
    return {key: clean(data[key]) for key, clean in _CLEANERS.items() if key in data}


# -- cursors -----------------------------------------------------------------------------------


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    """Return an opaque cursor just after this item in newest-first order."""
    raw = json.dumps([created_at.isoformat(), str(item_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Read a cursor made by `encode_cursor`; 422 for anything else."""
    bad = _fail("cursor", "The cursor is not valid; start again from the first page.")
    text = cursor.strip()
    if not text or len(text) > CURSOR_MAX:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        created_text, id_text = json.loads(raw)
        created = datetime.fromisoformat(created_text)
        item_id = uuid.UUID(id_text)
        if created.tzinfo is None:
            raise bad
        # In UTC, as the database compares it: an offset may push year 1 or 9999 out of range.
        created = created.astimezone(UTC)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise bad from None
    return created, item_id
