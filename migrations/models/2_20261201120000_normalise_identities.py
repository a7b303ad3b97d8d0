"""Normalise stored emails and username keys: NFKC, case-folded (see security/identities.py).

Before this, emails were only lowercased and username keys only lowercased, so lookalike
names (fullwidth letters, a decomposed e-acute, a dotless i) were separate accounts. The schema
does not change; the rows are rewritten in Python, the same way on SQLite and PostgreSQL.

Where two existing rows normalise to the same value, the account that already holds the
normal form keeps it, or else the oldest gets it; the others keep their old values (unique
constraints forbid two). Those can still log in by username, or by email once renamed.
"""

from __future__ import annotations

from typing import Any

from tortoise import BaseDBAsyncClient

from gamecoll.security.identities import identity_key

RUN_IN_TRANSACTION = True


def _sql(db: BaseDBAsyncClient, query: str) -> str:
    """Write `?` placeholders as `$1, $2` for PostgreSQL."""
    if db.capabilities.dialect != "postgres":
        return query
    parts = query.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


async def _normalise(db: BaseDBAsyncClient, column: str, new_value: Any) -> None:
    rows = await db.execute_query_dict(
        f'SELECT "id", "{column}" AS value, "username" FROM "users" ORDER BY "created_at", "id"'
    )
    changes = [(row, new_value(row)) for row in rows]
    taken = {row["value"] for row, new in changes if new == row["value"]}
    for row, new in changes:
        if new == row["value"] or new in taken:
            continue  # already normal, or an older account holds the normal form
        taken.add(new)
        await db.execute_query(
            _sql(db, f'UPDATE "users" SET "{column}" = ? WHERE "id" = ?'),  # noqa: S608
            [new, row["id"]],
        )


async def upgrade(db: BaseDBAsyncClient) -> str:
    await _normalise(db, "email", lambda row: identity_key(row["value"]))
    await _normalise(
        db, "username_key", lambda row: identity_key(row["username"]) if row["username"] else None
    )
    return "SELECT 1;"


async def downgrade(db: BaseDBAsyncClient) -> str:
    # The old keys are not kept; normalised ones work with the old code as they are.
    return "SELECT 1;"
