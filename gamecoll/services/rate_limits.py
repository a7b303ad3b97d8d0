"""Rate limits counted in the database, so that every worker and instance shares them."""

from __future__ import annotations

import time
from typing import Any

from gamecoll.errors import RateLimited, wait_text
from gamecoll.models import RateCounter

# A run of failures older than this is forgotten.
FAILURE_MEMORY_SECONDS = 3600


def _sql(query: str, dialect: str) -> str:
    """Rewrite `?` placeholders as `$1, $2, ...` for PostgreSQL."""
    if dialect != "postgres":
        return query
    parts = query.split("?")
    out = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        out += f"${index}{part}"
    return out


async def _query(query: str, values: list[Any]) -> list[dict[str, Any]]:
    conn = RateCounter._meta.db
    # execute_query_dict always fetches; execute_query drops RETURNING rows on PostgreSQL.
    rows = await conn.execute_query_dict(_sql(query, conn.capabilities.dialect), values)
    return [dict(row) for row in rows]


class RateLimiter:
    """Fixed-window counters per client IP, and growing back-off per account."""

    def __init__(
        self,
        *,
        login_per_minute: int,
        register_per_hour: int,
        refresh_per_minute: int,
        failures_before_lockout: int,
        lockout_base_seconds: int,
        lockout_max_seconds: int,
    ) -> None:
        self.limits = {
            "login": (login_per_minute, 60),
            "register": (register_per_hour, 3600),
            "refresh": (refresh_per_minute, 60),
        }
        self.failures_before_lockout = failures_before_lockout
        self.lockout_base_seconds = lockout_base_seconds
        self.lockout_max_seconds = lockout_max_seconds

    async def hit(self, *, action: str, ip: str) -> None:
        """Count one request of this kind from this IP; raise 429 past the limit."""
        limit, window = self.limits[action]
        now = int(time.time())
        start = now - now % window
        rows = await _query(
            "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN rate_counters.window_start = excluded.window_start "
            "THEN rate_counters.count + 1 ELSE 1 END, "
            "window_start = excluded.window_start "
            "RETURNING count",
            [f"{action}:{ip}"[:200], start],
        )
        if rows and int(rows[0]["count"]) > limit:
            raise RateLimited(
                start + window - now,
                f"Too many {action} requests from your address; "
                f"try again in {wait_text(start + window - now)}.",
            )

    async def check_account(self, *, account: str) -> None:
        """Refuse a password check for an account locked after failed attempts."""
        now = int(time.time())
        rows = await _query(
            "SELECT locked_until FROM login_failures WHERE key = ?", [account[:400]]
        )
        if rows and int(rows[0]["locked_until"]) > now:
            wait = int(rows[0]["locked_until"]) - now
            raise RateLimited(
                wait,
                f"Too many failed logins or password checks for this account; "
                f"try again in {wait_text(wait)}.",
            )

    async def record_failure(self, *, account: str) -> None:
        """Count a failed password check; past the limit, lock for a time that doubles."""
        now = int(time.time())
        rows = await _query(
            "INSERT INTO login_failures (key, failures, locked_until, last_failure_at) "
            "VALUES (?, 1, 0, ?) ON CONFLICT (key) DO UPDATE SET "
            "failures = CASE WHEN login_failures.last_failure_at < ? THEN 1 "
            "ELSE login_failures.failures + 1 END, "
            "last_failure_at = excluded.last_failure_at "
            "RETURNING failures",
            [account[:400], now, now - FAILURE_MEMORY_SECONDS],
        )
        failures = int(rows[0]["failures"]) if rows else 1
        over = failures - self.failures_before_lockout
        if over >= 0:
            wait = min(self.lockout_max_seconds, self.lockout_base_seconds * 2 ** min(over, 20))
            await _query(
                "UPDATE login_failures SET locked_until = ? WHERE key = ?",
                [now + wait, account[:400]],
            )

    async def clear_failures(self, *, account: str) -> None:
        """Forget failed password checks after a success."""
        await _query("DELETE FROM login_failures WHERE key = ?", [account[:400]])
