"""Reading a user's items: one item, pages newest first (cursor paging), and its neighbours.

The unfiltered reads are fixed SQL written once (see gamecoll/models/fixed_sql.py); on
PostgreSQL a page can come as the items' API JSON made by the database (item_json.py).
Searches and platform filters go through the query builder.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gamecoll.errors import NotFound
from gamecoll.models import Item
from gamecoll.models.fixed_sql import FixedSelect, db_value
from gamecoll.services.item_json import ITEM_JSON_POSTGRES
from gamecoll.services.item_rules import PAGE_DEFAULT, decode_cursor, encode_cursor

ITEM_NOT_FOUND: Final = "No such item in your collection."

_ONE_ITEM = FixedSelect('SELECT {i} FROM "items" i WHERE i."id" = $1 AND i."user_id" = $2', i=Item)


@dataclass(frozen=True, slots=True)
class _PageReads:
    """The first and the following pages of a user's items, newest first."""

    first: FixedSelect
    after: FixedSelect

    @classmethod
    def selecting(cls, select_list: str) -> _PageReads:
        """Write both statements around a SELECT list over the `items` row aliased `i`."""
        where = ' FROM "items" i WHERE i."user_id" = $1 '
        cursor = 'AND (i."created_at" < $2 OR (i."created_at" = $2 AND i."id" < $3)) '
        order = 'ORDER BY i."created_at" DESC, i."id" DESC LIMIT '
        head = "SELECT " + select_list + where
        return cls(
            first=FixedSelect(head + order + "$2", i=Item),
            after=FixedSelect(head + cursor + order + "$4", i=Item),
        )

    async def rows(
        self, *, user_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[Sequence[Mapping[str, Any]], bool]:
        """Return up to `limit` rows after the cursor, and whether more follow."""
        owner = db_value(Item, "user_id", user_id)
        if cursor:
            created, last_id = decode_cursor(cursor)
            rows = await self.after.rows(
                owner,
                db_value(Item, "created_at", created),
                db_value(Item, "id", last_id),
                limit + 1,
            )
        else:
            rows = await self.first.rows(owner, limit + 1)
        return rows[:limit], len(rows) > limit


_PAGE = _PageReads.selecting("{i}")
_PAGE_JSON = _PageReads.selecting(
    ITEM_JSON_POSTGRES + ' AS item_json, i."created_at" AS created_at, i."id" AS id'
)


@dataclass(frozen=True, slots=True)
class JsonPage:
    """One page of items as their API JSON text, and the cursor of the next page."""

    items: list[str]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of items, newest first, and the cursor of the next page (None: last page)."""

    items: list[Item]
    next_cursor: str | None


async def get_item(*, user_id: uuid.UUID, item_id: uuid.UUID) -> Item:
    """Return one of the user's items; 404 for anyone else's."""
    rows = await _ONE_ITEM.rows(db_value(Item, "id", item_id), db_value(Item, "user_id", user_id))
    if not rows:
        raise NotFound(ITEM_NOT_FOUND)
    return _ONE_ITEM.build(Item, "i", rows[0])


def _filtered(*, user_id: uuid.UUID, q: str | None, platform: str | None) -> QuerySet[Item]:
    """The user's items matching the grid's search and platform filter."""
    query = Item.filter(user_id=user_id)
    if q:
        query = query.filter(Q(name__icontains=q) | Q(platform__icontains=q))
    if platform:
        query = query.filter(platform__iexact=platform)
    return query


async def item_page(
    *,
    user_id: uuid.UUID,
    limit: int = PAGE_DEFAULT,
    cursor: str | None = None,
    q: str | None = None,
    platform: str | None = None,
) -> ItemPage:
    """Return a page of the user's items, newest first, in one query."""
    if not q and not platform:
        rows, more = await _PAGE.rows(user_id=user_id, cursor=cursor, limit=limit)
        items = [_PAGE.first.build(Item, "i", row) for row in rows]
    else:
        query = _filtered(user_id=user_id, q=q, platform=platform)
        if cursor:
            created, last_id = decode_cursor(cursor)
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
        items = list(await query.order_by("-created_at", "-id").limit(limit + 1))
        more = len(items) > limit
        items = items[:limit]
    last = items[-1] if more and items else None
    return ItemPage(
        items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None
    )


async def json_page(
    *, user_id: uuid.UUID, limit: int = PAGE_DEFAULT, cursor: str | None = None
) -> JsonPage | None:
    """Return an unfiltered page as the items' API JSON made by PostgreSQL (None: SQLite)."""
    if Item._meta.db.capabilities.dialect != "postgres":
        return None
    rows, more = await _PAGE_JSON.rows(user_id=user_id, cursor=cursor, limit=limit)
    last = rows[-1] if more and rows else None
    return JsonPage(
        items=[row["item_json"] for row in rows],
        next_cursor=encode_cursor(last["created_at"], last["id"]) if last else None,
    )


async def neighbours(
    *, item: Item, q: str | None = None, platform: str | None = None
) -> tuple[Item | None, Item | None]:
    """Return the items just newer and just older than `item` in the list's order."""
    matching = _filtered(user_id=item.user_id, q=q, platform=platform)
    at, key = item.created_at, item.id
    newer = (
        await matching.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=key))
        .order_by("created_at", "id")
        .first()
    )
    older = (
        await matching.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=key))
        .order_by("-created_at", "-id")
        .first()
    )
    return newer, older
