"""Rate limits counted in the database, so that every worker and instance shares them."""

from __future__ import annotations

import time

from gamecoll.errors import RateLimited, wait_text
from gamecoll.models import rate_limit_sql

# A run of failures older than this is forgotten.
FAILURE_MEMORY_SECONDS = 3600


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
        count = await rate_limit_sql.count_request(f"{action}:{ip}"[:200], start)
        if count > limit:
            raise RateLimited(
                start + window - now,
                f"Too many {action} requests from your address; "
                f"try again in {wait_text(start + window - now)}.",
            )

    async def check_account(self, *, account: str) -> None:
        """Refuse a password check for an account locked after failed attempts."""
        now = int(time.time())
        until = await rate_limit_sql.locked_until(account[:400])
        if until > now:
            wait = until - now
            raise RateLimited(
                wait,
                f"Too many failed logins or password checks for this account; "
                f"try again in {wait_text(wait)}.",
            )

    async def record_failure(self, *, account: str) -> None:
        """Count a failed password check; past the limit, lock for a time that doubles."""
        now = int(time.time())
        failures = await rate_limit_sql.count_failure(
            account[:400], now, now - FAILURE_MEMORY_SECONDS
        )
        over = failures - self.failures_before_lockout
        if over >= 0:
            wait = min(self.lockout_max_seconds, self.lockout_base_seconds * 2 ** min(over, 20))
            await rate_limit_sql.lock_until(account[:400], now + wait)

    async def clear_failures(self, *, account: str) -> None:
        """Forget failed password checks after a success."""
        await rate_limit_sql.clear_failures(account[:400])
