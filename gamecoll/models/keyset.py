"""Keyset paging: an order over columns that ends in a unique one, and opaque cursors.

A page after a cursor is "the rows whose keys come after the last row's keys, in the order",
so rows added or removed meanwhile never make a row appear twice or go missing, whatever the
order (unlike OFFSET). Every key of an order runs in one direction, so that the condition is
a single row comparison, `(k1, k2, id) < ($2, $3, $4)`, that both databases answer from an
index on the same columns.

A cursor is the last row's key values with the order's name, as base64url JSON; it is
checked on the way back in (the order's name, the number and types of the values), since
clients may send anything.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

Kind = Literal["time", "uuid", "text", "int", "float"]
CURSOR_MAX: Final = 6000
"""The longest cursor accepted: a name key (at most 800 characters, up to 4 bytes each in
UTF-8) with an id and the order's name, in base64."""


class InvalidCursor(ValueError):
    """A cursor this order did not make."""


@dataclass(frozen=True, slots=True)
class Key:
    """One sort key: its SQL over the aliased row, and the type of its values."""

    sql: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Order:
    """A named order of rows: keys in one direction, the last one unique."""

    name: str
    keys: tuple[Key, ...]
    descending: bool

    def order_by(self, *, reverse: bool = False) -> str:
        """The ORDER BY list (`reverse`: the other way, for the rows before a key)."""
        direction = "DESC" if self.descending != reverse else "ASC"
        return ", ".join(f"{key.sql} {direction}" for key in self.keys)

    def after(self, placeholders: Sequence[str], *, reverse: bool = False) -> str:
        """The condition "comes after these key values" (`reverse`: comes before)."""
        assert len(placeholders) == len(self.keys)
        operator = "<" if self.descending != reverse else ">"
        left = ", ".join(key.sql for key in self.keys)
        return f"({left}) {operator} ({', '.join(placeholders)})"

    def key_list(self) -> str:
        """A SELECT list of the keys, as columns `k0`, `k1`, ... to make a cursor from."""
        return ", ".join(f"{key.sql} AS k{index}" for index, key in enumerate(self.keys))

    def values_of(self, row: Mapping[str, Any]) -> list[Any]:
        """Read the key values of a row selected with `key_list`, as Python values."""
        return [_python(key.kind, row[f"k{index}"]) for index, key in enumerate(self.keys)]

    def encode(self, values: Sequence[Any]) -> str:
        """Return the cursor of the row with these key values."""
        raw = json.dumps(
            [self.name, *(_json(value) for value in values)],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> list[Any]:
        """Return the key values of a cursor made by this order; InvalidCursor otherwise."""
        text = cursor.strip()
        if not text or len(text) > CURSOR_MAX:
            raise InvalidCursor(cursor)
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
            raise InvalidCursor(cursor) from None
        if not isinstance(raw, list) or len(raw) != len(self.keys) + 1 or raw[0] != self.name:
            raise InvalidCursor(cursor)
        return [_from_json(key.kind, value) for key, value in zip(self.keys, raw[1:], strict=True)]


def _python(kind: Kind, raw: Any) -> Any:
    """A key value as the driver gave it, as a Python value (SQLite gives text for most)."""
    if kind == "time":
        moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if kind == "uuid":
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    return raw


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _from_json(kind: Kind, value: Any) -> Any:
    try:
        if kind == "time" and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                # In UTC, as the database compares it: an offset may push year 1 out of range.
                return moment.astimezone(UTC)
        elif kind == "uuid" and isinstance(value, str):
            return uuid.UUID(value)
        elif kind == "text" and isinstance(value, str):
            return value
        elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            if -(2**63) <= value < 2**63:
                return value
        elif kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    except (ValueError, OverflowError):
        pass
    raise InvalidCursor(str(value))
