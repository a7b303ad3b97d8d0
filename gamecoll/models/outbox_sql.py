"""The outbox's lease: one statement takes a batch of due mails for one sender.

On PostgreSQL the due rows are locked with `FOR UPDATE SKIP LOCKED`, so that senders of several
instances never lease the same row; SQLite serves one instance and serialises writers itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from gamecoll.models.fixed_sql import db_value
from gamecoll.models.mail import OutboxMail
from gamecoll.models.sql import fetch, is_postgres

_CLAIM: Final = (
    'UPDATE "mail_outbox" SET "leased_until" = $1, "attempts" = "attempts" + 1 '
    'WHERE "id" IN (SELECT "id" FROM "mail_outbox" WHERE "sent_at" IS NULL '
    'AND "next_attempt_at" <= $2 AND ("leased_until" IS NULL OR "leased_until" < $2) '
    'ORDER BY "next_attempt_at" LIMIT $3{lock}) '
    'RETURNING "id", "to_address", "subject", "text_body", "html_body", "attempts"'
)


async def lease_due_mails(*, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
    """Lease up to `limit` unsent mails due at `now` until a time; return their rows."""
    sql = _CLAIM.format(lock=" FOR UPDATE SKIP LOCKED" if is_postgres() else "")
    return await fetch(
        sql,
        [
            db_value(OutboxMail, "leased_until", until),
            db_value(OutboxMail, "next_attempt_at", now),
            limit,
        ],
    )
