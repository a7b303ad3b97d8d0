"""The rate limits' statements: one upsert per counted request or failed password check.

Each is one round trip that counts and answers the new count together (`INSERT ... ON
CONFLICT ... RETURNING`), so that concurrent workers and instances never lose a count.
"""

from __future__ import annotations

from typing import Final

from gamecoll.models.sql import execute, fetch

_HIT: Final = (
    'INSERT INTO "rate_counters" ("key", "window_start", "count") VALUES ($1, $2, 1) '
    'ON CONFLICT ("key") DO UPDATE SET '
    '"count" = CASE WHEN "rate_counters"."window_start" = excluded."window_start" '
    'THEN "rate_counters"."count" + 1 ELSE 1 END, '
    '"window_start" = excluded."window_start" '
    'RETURNING "count"'
)
_LOCKED_UNTIL: Final = 'SELECT "locked_until" FROM "login_failures" WHERE "key" = $1'
_FAILURE: Final = (
    'INSERT INTO "login_failures" ("key", "failures", "locked_until", "last_failure_at") '
    'VALUES ($1, 1, 0, $2) ON CONFLICT ("key") DO UPDATE SET '
    '"failures" = CASE WHEN "login_failures"."last_failure_at" < $3 THEN 1 '
    'ELSE "login_failures"."failures" + 1 END, '
    '"last_failure_at" = excluded."last_failure_at" '
    'RETURNING "failures"'
)
_LOCK: Final = 'UPDATE "login_failures" SET "locked_until" = $1 WHERE "key" = $2'
_CLEAR: Final = 'DELETE FROM "login_failures" WHERE "key" = $1'


async def count_request(key: str, window_start: int) -> int:
    """Count one request under `key` in the window starting then; return the window's count."""
    rows = await fetch(_HIT, [key, window_start])
    return int(rows[0]["count"]) if rows else 0


async def locked_until(key: str) -> int:
    """Return the Unix time until which the account is locked (0: never locked)."""
    rows = await fetch(_LOCKED_UNTIL, [key])
    return int(rows[0]["locked_until"]) if rows else 0


async def count_failure(key: str, now: int, forget_before: int) -> int:
    """Count a failed check at `now` (a run last seen before `forget_before` starts again)."""
    rows = await fetch(_FAILURE, [key, now, forget_before])
    return int(rows[0]["failures"]) if rows else 1


async def lock_until(key: str, until: int) -> None:
    """Lock the account until a Unix time."""
    await execute(_LOCK, [until, key])


async def clear_failures(key: str) -> None:
    """Forget the account's failed checks."""
    await execute(_CLEAR, [key])
