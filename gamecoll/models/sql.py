"""Raw SQL's one convention: statements are written once, with PostgreSQL's `$1, $2, ...`
placeholders, and SQLite is sent the same text with `?1, ?2, ...` (which it reads the same).

Every raw statement of the app (the `*_sql.py` modules beside the models) runs through the
functions here, on the connection Tortoise gives the models, so that transactions, logging and
error translation are those of any Tortoise query. The dialect is asked here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from gamecoll.models.user import User

_PLACEHOLDER: Final = re.compile(r"\$(\d+)")


def connection() -> BaseDBAsyncClient:
    """Return the connection (or the open transaction) that holds every table."""
    return User._meta.db


def is_postgres(db: BaseDBAsyncClient | None = None) -> bool:
    """Tell whether the database (by default the models' one) is PostgreSQL, not SQLite."""
    return (db or connection()).capabilities.dialect == "postgres"


def sqlite_placeholders(sql: str) -> str:
    """Rewrite `$n` placeholders as SQLite's `?n`."""
    return _PLACEHOLDER.sub(r"?\1", sql)


def for_dialect(sql: str, db: BaseDBAsyncClient | None = None) -> str:
    """Return the statement as the database (by default the models' one) takes it."""
    return sql if is_postgres(db) else sqlite_placeholders(sql)


async def execute(sql: str, values: Sequence[Any] = ()) -> tuple[int, Sequence[Any]]:
    """Run a statement written with `$n` placeholders; return rows affected and rows."""
    db = connection()
    return await db.execute_query(for_dialect(sql, db), list(values))


async def fetch(sql: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Run a statement written with `$n` placeholders and return its rows as dicts.

    Use it for `RETURNING`: on PostgreSQL Tortoise's `execute_query` runs INSERT, UPDATE and
    DELETE without fetching, and drops the rows they return.
    """
    db = connection()
    rows = await db.execute_query_dict(for_dialect(sql, db), list(values))
    return [dict(row) for row in rows]


async def ping() -> None:
    """Run `SELECT 1`; raise whatever the driver raises when the database does not answer."""
    await connection().execute_query("SELECT 1")
