"""SQL of the item lists: filters, full-text search, sort orders (keyset paging) and counts.

Statements are written per request from a few fixed pieces and kept by their text (a bounded
number of shapes), then run through `FixedSelect` like the other hot reads. Placeholders:
`$1` is always the owner; with a full-text search `$2` is the query and (SQLite) `$3`..`$5`
the per-field queries that rank it; the filters and the cursor follow.

Full-text search: PostgreSQL matches the `search` column (a tsvector the database generates
from the texts, GIN-indexed; migration 9) against a prefix `tsquery` and ranks with
`ts_rank`; SQLite matches the `items_fts` FTS5 table (kept by triggers, migration 9) and ranks
by where the words are: all in the name, then in the edition or tags, then in the platform.
Both ranks depend only on the item and the query, never on the other items, so a cursor stays
exact while items are added (FTS5's bm25 would not: it weighs words by how rare they are in
the whole table).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Final

from gamecoll.models.fixed_sql import FixedSelect, db_value
from gamecoll.models.item import Item
from gamecoll.models.keyset import Key, Order

SEARCH_VECTOR: Final = 'i."search"'
"""The document a PostgreSQL search matches: a generated tsvector column (migration 9)."""
SQLITE_RANK_FIELDS: Final = ("{name}", "{edition tags}", "{platform}")
"""The FTS5 column sets whose matches rank a result on SQLite: 4, 2 and 1 points."""
_NO_PRICE_LAST_UP: Final = 2**63 - 1
_NO_PRICE_LAST_DOWN: Final = -1
_ID: Final = Key('i."id"', "uuid")
_CREATED: Final = Key('i."created_at"', "time")
RELEVANCE: Final = "relevance"


@cache
def orders(dialect: str) -> dict[str, Order]:
    """The sort orders of a list by their names, written for this database."""
    binary = ' COLLATE "C"' if dialect == "postgres" else ""  # code point order on both
    name = Key(f'i."name_key"{binary}', "text")
    platform = Key(f'i."platform_key"{binary}', "text")
    rank = (
        Key(f"ts_rank({SEARCH_VECTOR}, $2::tsquery)", "float")
        if dialect == "postgres"
        else Key(
            "("
            + " + ".join(
                f'CASE WHEN i."id" IN ({_fts_ids(f"${n}")}) THEN {points} ELSE 0 END'
                for n, points in ((3, 4), (4, 2), (5, 1))
            )
            + ")",
            "int",
        )
    )
    price_up = Key(f'coalesce(i."purchase_cents", {_NO_PRICE_LAST_UP})', "int")
    price_down = Key(f'coalesce(i."purchase_cents", {_NO_PRICE_LAST_DOWN})', "int")
    return {
        order.name: order
        for order in (
            Order("added", (_CREATED, _ID), descending=True),
            Order("-added", (_CREATED, _ID), descending=False),
            Order("name", (name, _ID), descending=False),
            Order("platform", (platform, name, _ID), descending=False),
            Order("price", (price_up, _ID), descending=False),
            Order("-price", (price_down, _ID), descending=True),
            Order(RELEVANCE, (rank, _CREATED, _ID), descending=True),
        )
    }


def _fts_ids(placeholder: str) -> str:
    return f'SELECT "item_id" FROM "items_fts" WHERE "items_fts" MATCH {placeholder}'  # noqa: S608


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What a list keeps, as the service cleaned it: exact codes, keys, and a search."""

    status: str | None = None
    region: str | None = None
    completeness: str | None = None
    platform_key: str | None = None
    tag_keys: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    """Full-text search: every word must start a word of the item (ranked)."""
    substring: str | None = None
    """Short search: the name or platform key contains this (already case-folded)."""


class _Statement:
    """A statement being written: its text and its values, numbered in order."""

    def __init__(self, user_id: uuid.UUID) -> None:
        self.values: list[Any] = [db_value(Item, "user_id", user_id)]

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(dialect: str, where: ListFilter, statement: _Statement) -> list[str]:
    """The WHERE conditions of a filter, after the owner's (`$1`)."""
    postgres = dialect == "postgres"
    conditions = ['i."user_id" = $1']
    if where.words:
        if postgres:
            # A tsquery value, not text for to_tsquery(): a prepared statement's generic plan
            # would parse the text again for every row (2,000 matches: 1.5 ms became 9 ms).
            query = " & ".join(f"'{word}':*" for word in where.words)
            conditions.append(f"{SEARCH_VECTOR} @@ {statement.add(query)}::tsquery")
        else:
            terms = " AND ".join(f'"{word}"*' for word in where.words)
            conditions.append(f'i."id" IN ({_fts_ids(statement.add(terms))})')
            for columns in SQLITE_RANK_FIELDS:
                statement.add(f"{columns} : ({terms})")
    elif where.substring is not None:
        pattern = statement.add(_like(where.substring))
        conditions.append(
            f"(i.\"name_key\" LIKE {pattern} ESCAPE '\\' "
            f"OR i.\"platform_key\" LIKE {pattern} ESCAPE '\\')"
        )
    for column in ("status", "region", "completeness", "platform_key"):
        value = getattr(where, column)
        if value is not None:
            conditions.append(f'i."{column}" = {statement.add(value)}')
    for key in where.tag_keys:
        if postgres:
            conditions.append(f'i."tag_keys" @> ({statement.add(_json_list(key))}::text)::jsonb')
        else:
            conditions.append(
                'EXISTS (SELECT 1 FROM json_each(i."tag_keys") '  # noqa: S608 - a placeholder
                f"WHERE value = {statement.add(key)})"
            )
    return conditions


def _json_list(key: str) -> str:
    return json.dumps([key])


def _driver_values(order: Order, values: Sequence[Any]) -> list[Any]:
    """Key values as the driver takes them (time and ids as Tortoise stores them)."""
    converted: list[Any] = []
    for key, value in zip(order.keys, values, strict=True):
        if key.kind == "time":
            converted.append(db_value(Item, "created_at", value))
        elif key.kind == "uuid":
            converted.append(db_value(Item, "id", value))
        else:
            converted.append(value)
    return converted


@lru_cache(maxsize=512)
def _select(sql: str) -> FixedSelect:
    return FixedSelect(sql, i=Item)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One page of a list: which items, in which order, after which key values."""

    user_id: uuid.UUID
    where: ListFilter
    order: Order
    after: Sequence[Any] | None = None
    reverse: bool = False

    def statement(self, select: str, limit: int) -> tuple[FixedSelect, list[Any]]:
        """The SELECT of `select` (`{i}` for whole items) and the order's keys, with values."""
        dialect = Item._meta.db.capabilities.dialect
        statement = _Statement(self.user_id)
        conditions = _conditions(dialect, self.where, statement)
        if self.after is not None:
            marks = [statement.add(v) for v in _driver_values(self.order, self.after)]
            conditions.append(self.order.after(marks, reverse=self.reverse))
        # Fixed pieces and placeholders only: every value sent travels as a parameter.
        sql = (
            f'SELECT {select}, {self.order.key_list()} FROM "items" i '  # noqa: S608
            f"WHERE {' AND '.join(conditions)} "
            f"ORDER BY {self.order.order_by(reverse=self.reverse)} LIMIT {statement.add(limit)}"
        )
        return _select(sql), statement.values

    def key_statement(self, item_id: uuid.UUID) -> tuple[FixedSelect, list[Any]]:
        """The SELECT of one item's key values in this order (for its neighbours)."""
        dialect = Item._meta.db.capabilities.dialect
        statement = _Statement(self.user_id)
        # The search's values go first, as the rank's placeholders expect.
        _conditions(dialect, ListFilter(words=self.where.words), statement)
        sql = (
            f'SELECT {self.order.key_list()} FROM "items" i '  # noqa: S608
            f'WHERE i."user_id" = $1 AND i."id" = {statement.add(db_value(Item, "id", item_id))}'
        )
        return _select(sql), statement.values


STATS_QUERIES: Final = {
    "status": 'SELECT "status" AS k, count(*) AS n FROM "items" WHERE "user_id" = $1 '
    'GROUP BY "status"',
    "completeness": 'SELECT "completeness" AS k, count(*) AS n FROM "items" '
    'WHERE "user_id" = $1 GROUP BY "completeness"',
    "platform": 'SELECT min("platform") AS k, count(*) AS n FROM "items" WHERE "user_id" = $1 '
    'GROUP BY "platform_key" ORDER BY count(*) DESC, min("platform_key")',
    "purchase": 'SELECT "purchase_currency" AS k, sum("purchase_cents") AS total, count(*) AS n '
    'FROM "items" WHERE "user_id" = $1 AND "purchase_cents" IS NOT NULL '
    'GROUP BY "purchase_currency" ORDER BY "purchase_currency"',
    "total": 'SELECT count(*) AS n, coalesce(sum("quantity"), 0) AS copies FROM "items" '
    'WHERE "user_id" = $1',
}
"""The collection's counts; each statement reads only the owner's rows."""


async def stats_rows(user_id: uuid.UUID) -> dict[str, Sequence[Mapping[str, Any]]]:
    """Run the counts for one owner."""
    owner = db_value(Item, "user_id", user_id)
    return {name: await _select(sql).rows(owner) for name, sql in STATS_QUERIES.items()}


async def platform_rows(user_id: uuid.UUID) -> Sequence[Mapping[str, Any]]:
    """The owner's platforms (`k`, one spelling per key) with their counts (`n`)."""
    return await _select(STATS_QUERIES["platform"]).rows(db_value(Item, "user_id", user_id))
