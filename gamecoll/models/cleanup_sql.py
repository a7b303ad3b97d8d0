"""The clean-up's statements: each deletes at most one batch of rows nobody needs any more.

Written once with `$n` placeholders (see gamecoll/models/sql.py); every statement picks its rows
through an index or a primary key and deletes at most `limit` of them, so a batch holds its
locks briefly whatever the size of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gamecoll.models.activity import ActivityEntry
from gamecoll.models.fixed_sql import db_value
from gamecoll.models.mail import AccountToken, OutboxMail
from gamecoll.models.second_factor import MfaChallenge
from gamecoll.models.session import RefreshToken, Session
from gamecoll.models.sql import execute, is_postgres

DIALECTS = ("postgres", "sqlite")


def _among(key: str, select: str) -> dict[str, str]:
    """The condition "`key` is among the values `select` names", per dialect.

    PostgreSQL plans `key IN (SELECT ... LIMIT n)` as a hash join over a scan of the whole
    table, once per batch (a run then grows with the square of the table); `key =
    ANY(ARRAY(SELECT ...))` runs the SELECT once and looks the keys up by index. SQLite looks
    IN-lists up by index itself.
    """
    # Only this module's constants go into the text; values travel as parameters.
    return {"postgres": f'"{key}" = ANY(ARRAY({select}))', "sqlite": f'"{key}" IN ({select})'}


def _delete(table: str, key: str, select: str | dict[str, str]) -> dict[str, str]:
    """DELETE the rows of `table` whose `key` is among those `select` names, per dialect."""
    by_dialect = select if isinstance(select, dict) else dict.fromkeys(DIALECTS, select)
    return {
        dialect: f'DELETE FROM "{table}" WHERE '  # noqa: S608 (constants only, see _among)
        + _among(key, by_dialect[dialect])[dialect]
        for dialect in DIALECTS
    }


ENDED_KINDS = ("expired", "revoked")
"""Sessions expired, or ended, before a time: statements of their own, each with its index.

A batch works on a window: the first `$2` such sessions in the order of their index. Their
refresh tokens go first, at most `$2` per statement, until none is left; then the window's
sessions go (with the same ORDER BY the same rows). So the tokens are counted exactly on both
databases (SQLite would count rows removed by a cascade as the parent's), no statement touches
more than `$2` rows, and each statement reads only its window: a run is linear in what it
deletes, not quadratic.
"""
_WINDOW = {
    "expired": 'SELECT "id" FROM "sessions" WHERE "expires_at" < $1 ORDER BY "expires_at" LIMIT $2',
    "revoked": 'SELECT "id" FROM "sessions" WHERE "revoked_at" < $1 ORDER BY "revoked_at" LIMIT $2',
}
ENDED_SESSIONS = {kind: _delete("sessions", "id", window) for kind, window in _WINDOW.items()}
TOKENS_OF_ENDED_SESSIONS = {
    kind: _delete(
        "refresh_tokens",
        "token_hash",
        {
            dialect: 'SELECT "token_hash" FROM "refresh_tokens" WHERE '  # noqa: S608
            + _among("session_id", window)[dialect]
            + " LIMIT $2"
            for dialect in DIALECTS
        },
    )
    for kind, window in _WINDOW.items()
}
SPENT_REFRESH_TOKENS = _delete(
    "refresh_tokens",
    "token_hash",
    'SELECT "token_hash" FROM "refresh_tokens" '
    'WHERE "created_at" < $1 AND "spent_at" IS NOT NULL LIMIT $2',
)
OLD_RATE_COUNTERS = _delete(
    "rate_counters", "key", 'SELECT "key" FROM "rate_counters" WHERE "window_start" < $1 LIMIT $2'
)
OLD_LOGIN_FAILURES = _delete(
    "login_failures",
    "key",
    'SELECT "key" FROM "login_failures" '
    'WHERE "last_failure_at" < $1 AND "locked_until" <= $2 LIMIT $3',
)

SENT_MAILS = _delete(
    "mail_outbox", "id", 'SELECT "id" FROM "mail_outbox" WHERE "sent_at" < $1 LIMIT $2'
)
# No index on these two columns: the clean-up keeps the table to the links of the last days.
OLD_ACCOUNT_TOKENS = _delete(
    "account_tokens",
    "token_hash",
    'SELECT "token_hash" FROM "account_tokens" WHERE "expires_at" < $1 OR "used_at" < $2 LIMIT $3',
)
EXPIRED_MFA_CHALLENGES = _delete(
    "mfa_challenges",
    "token_hash",
    'SELECT "token_hash" FROM "mfa_challenges" WHERE "expires_at" < $1 LIMIT $2',
)
OLD_ACTIVITY = _delete(
    "activity", "id", 'SELECT "id" FROM "activity" WHERE "created_at" < $1 LIMIT $2'
)


async def _run(statement: dict[str, str], values: Sequence[Any]) -> tuple[int, Sequence[Any]]:
    return await execute(statement["postgres" if is_postgres() else "sqlite"], values)


async def delete_tokens_of_ended_sessions(kind: str, before: datetime, limit: int) -> int:
    """Delete up to `limit` refresh tokens of the window of `limit` ended sessions."""
    when = db_value(Session, "expires_at", before)
    deleted, _ = await _run(TOKENS_OF_ENDED_SESSIONS[kind], [when, limit])
    return deleted


async def delete_ended_sessions(kind: str, before: datetime, limit: int) -> int:
    """Delete the window of up to `limit` sessions ended before a time."""
    when = db_value(Session, "expires_at", before)
    deleted, _ = await _run(ENDED_SESSIONS[kind], [when, limit])
    return deleted


async def delete_spent_refresh_tokens(created_before: datetime, limit: int) -> int:
    """Delete up to `limit` spent refresh tokens issued before a time."""
    when = db_value(RefreshToken, "created_at", created_before)
    deleted, _ = await _run(SPENT_REFRESH_TOKENS, [when, limit])
    return deleted


async def delete_old_rate_counters(window_before: int, limit: int) -> int:
    """Delete up to `limit` rate counters whose window started before a Unix time."""
    deleted, _ = await _run(OLD_RATE_COUNTERS, [window_before, limit])
    return deleted


async def delete_old_login_failures(last_before: int, now: int, limit: int) -> int:
    """Delete up to `limit` login-failure rows forgotten and no longer locked."""
    deleted, _ = await _run(OLD_LOGIN_FAILURES, [last_before, now, limit])
    return deleted


async def delete_sent_mails(sent_before: datetime, limit: int) -> int:
    """Delete up to `limit` mails sent before a time."""
    when = db_value(OutboxMail, "sent_at", sent_before)
    deleted, _ = await _run(SENT_MAILS, [when, limit])
    return deleted


async def delete_old_account_tokens(
    expired_before: datetime, used_before: datetime, limit: int
) -> int:
    """Delete up to `limit` link tokens expired, or used, before the given times."""
    expired = db_value(AccountToken, "expires_at", expired_before)
    used = db_value(AccountToken, "used_at", used_before)
    deleted, _ = await _run(OLD_ACCOUNT_TOKENS, [expired, used, limit])
    return deleted


async def delete_expired_mfa_challenges(before: datetime, limit: int) -> int:
    """Delete up to `limit` second-step challenges expired before a time."""
    deleted, _ = await _run(
        EXPIRED_MFA_CHALLENGES, [db_value(MfaChallenge, "expires_at", before), limit]
    )
    return deleted


async def delete_old_activity(before: datetime, limit: int) -> int:
    """Delete up to `limit` activity entries recorded before a time."""
    deleted, _ = await _run(OLD_ACTIVITY, [db_value(ActivityEntry, "created_at", before), limit])
    return deleted
