"""The image routes' read of one item, riding on the session check (one round trip for a 304).

An image's 304 answer needs only the session check and the item's image columns: reading the
item in the session check's statement (a LEFT JOIN limited to the session's own user) answers
it in one round trip, as fast as the check alone (`thumbnail_304` in `make bench`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from gamecoll.models.fixed_sql import FixedSelect, db_value
from gamecoll.models.item import Item
from gamecoll.models.session_check import session_check

ITEM_WITH_SESSION: FixedSelect = session_check(
    also=", {i}", join='LEFT JOIN "items" i ON i."id" = $3 AND i."user_id" = s."user_id"', i=Item
)


def item_values(item_id: uuid.UUID) -> tuple[Any, ...]:
    """Return the values `ITEM_WITH_SESSION` adds to the session check's own."""
    return (db_value(Item, "id", item_id),)


def item_of(row: Mapping[str, Any]) -> Item | None:
    """Return the item an `ITEM_WITH_SESSION` row holds (None: no such item of this user)."""
    if row["i__id"] is None:
        return None
    return ITEM_WITH_SESSION.build(Item, "i", row)
