"""Reading a user's items: one item, pages of a list (filtered, sorted, searched; keyset
cursors), an item's neighbours in a list, and the collection's counts.

The SQL is written beside the models (gamecoll/models/item_lists.py, keyset.py); on
PostgreSQL a page can come as the items' API JSON made by the database (item_json.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from gamecoll.errors import NotFound
from gamecoll.models import Item
from gamecoll.models.fixed_sql import FixedSelect, db_value
from gamecoll.models.item_lists import ListFilter, ListQuery, orders, platform_rows, stats_rows
from gamecoll.models.keyset import InvalidCursor
from gamecoll.services.item_details import price_text
from gamecoll.services.item_json import ITEM_JSON_POSTGRES
from gamecoll.services.item_lists import ListParams
from gamecoll.services.item_rules import PAGE_DEFAULT
from gamecoll.services.text_rules import fail

ITEM_NOT_FOUND: Final = "No such item in your collection."
BAD_CURSOR: Final = "The cursor is not valid for this list; start again from the first page."
EVERYTHING: Final = ListParams(where=ListFilter())

_ONE_ITEM = FixedSelect('SELECT {i} FROM "items" i WHERE i."id" = $1 AND i."user_id" = $2', i=Item)


@dataclass(frozen=True, slots=True)
class JsonPage:
    """One page of items as their API JSON text, and the cursor of the next page."""

    items: list[str]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of items in the list's order, and the cursor of the next page (None: last)."""

    items: list[Item]
    next_cursor: str | None


async def get_item(*, user_id: uuid.UUID, item_id: uuid.UUID) -> Item:
    """Return one of the user's items; 404 for anyone else's."""
    rows = await _ONE_ITEM.rows(db_value(Item, "id", item_id), db_value(Item, "user_id", user_id))
    if not rows:
        raise NotFound(ITEM_NOT_FOUND)
    return _ONE_ITEM.build(Item, "i", rows[0])


def _list(user_id: uuid.UUID, params: ListParams, cursor: str | None) -> ListQuery:
    """The query of a list's page after the cursor (absent or empty: the first page)."""
    order = orders(Item._meta.db.capabilities.dialect)[params.order]
    try:
        after = order.decode(cursor) if cursor else None
    except InvalidCursor:
        raise fail("cursor", BAD_CURSOR) from None
    return ListQuery(user_id=user_id, where=params.where, order=order, after=after)


async def _page(
    query: ListQuery, select: str, limit: int
) -> tuple[FixedSelect, list[Any], str | None]:
    statement, values = query.statement(select, limit + 1)
    rows = list(await statement.rows(*values))
    more = len(rows) > limit
    rows = rows[:limit]
    last = query.order.encode(query.order.values_of(rows[-1])) if more and rows else None
    return statement, rows, last


async def item_page(
    *,
    user_id: uuid.UUID,
    params: ListParams = EVERYTHING,
    limit: int = PAGE_DEFAULT,
    cursor: str | None = None,
) -> ItemPage:
    """Return a page of the user's items in the list's order, in one query."""
    statement, rows, next_cursor = await _page(_list(user_id, params, cursor), "{i}", limit)
    return ItemPage([statement.build(Item, "i", row) for row in rows], next_cursor)


async def json_page(
    *,
    user_id: uuid.UUID,
    params: ListParams = EVERYTHING,
    limit: int = PAGE_DEFAULT,
    cursor: str | None = None,
) -> JsonPage | None:
    """Return a page as the items' API JSON made by PostgreSQL (None: SQLite)."""
    if Item._meta.db.capabilities.dialect != "postgres":
        return None
    query = _list(user_id, params, cursor)
    _, rows, next_cursor = await _page(query, ITEM_JSON_POSTGRES + " AS item_json", limit)
    return JsonPage([row["item_json"] for row in rows], next_cursor)


async def neighbours(
    *, item: Item, params: ListParams = EVERYTHING
) -> tuple[Item | None, Item | None]:
    """Return the items just before and just after `item` in the list's order."""
    order = orders(Item._meta.db.capabilities.dialect)[params.order]
    base = ListQuery(user_id=item.user_id, where=params.where, order=order)
    statement, values = base.key_statement(item.id)
    rows = await statement.rows(*values)
    if not rows:
        return None, None
    keys = order.values_of(rows[0])
    found: list[Item | None] = []
    for reverse in (True, False):
        query = ListQuery(item.user_id, params.where, order, after=keys, reverse=reverse)
        select, values = query.statement("{i}", 1)
        near = await select.rows(*values)
        found.append(select.build(Item, "i", near[0]) if near else None)
    return found[0], found[1]


async def platforms(*, user_id: uuid.UUID) -> list[str]:
    """Return the platforms of the user's items, most items first (one spelling each)."""
    return [str(row["k"]) for row in await platform_rows(user_id) if row["k"]]


async def stats(*, user_id: uuid.UUID) -> dict[str, Any]:
    """Count the user's items by status, platform and completeness; total purchases by currency."""
    rows = await stats_rows(user_id)
    total = rows["total"][0]
    return {
        "items": int(total["n"]),
        "copies": int(total["copies"]),
        "by_status": {row["k"]: int(row["n"]) for row in rows["status"]},
        "by_completeness": {row["k"]: int(row["n"]) for row in rows["completeness"]},
        "by_platform": [
            {"platform": row["k"], "items": int(row["n"])} for row in rows["platform"] if row["k"]
        ],
        "purchases": [
            {"currency": row["k"], "total": price_text(int(row["total"])), "items": int(row["n"])}
            for row in rows["purchase"]
        ],
    }
