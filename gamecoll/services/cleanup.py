"""Purge rows nobody needs any more: ended sessions, spent refresh tokens, stale counters.

What each kind of row is still good for, and so when it goes:

- A session that expired or was ended can never be used again (every request checks
  `revoked_at` and `expires_at`); it is kept `ENDED_SESSION_KEPT` after it ended, for whoever
  looks into an incident, then deleted with its refresh tokens.
- A spent refresh token is kept for reuse detection: replaying it ends its session. Once the
  token itself has expired (issued more than the refresh lifetime ago) its signature check
  fails before the database is read, so the row can no longer detect anything.
- A rate counter whose window has passed counts the same as no counter.
- A login-failure row counts the same as none once the account is no longer locked and the run
  of failures is older than the limiter remembers.
- Account mail (`account_mail_batches`, given by the container): mails sent over a week ago,
  account tokens (reset, verification, email change) expired or used over a day ago, and
  security activity older than `ACTIVITY_RETENTION_DAYS`.

Each statement deletes at most `batch_size` rows, so a batch holds locks briefly; a run goes on
until nothing is left and is idempotent. One run at a time on PostgreSQL (advisory lock).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from gamecoll.config import Settings
from gamecoll.db import CLEANUP_LOCK_ID, try_advisory_lock
from gamecoll.models import cleanup_sql
from gamecoll.services.clock import utcnow
from gamecoll.services.rate_limits import FAILURE_MEMORY_SECONDS

log = logging.getLogger("gamecoll.cleanup")

ENDED_SESSION_KEPT = timedelta(days=1)
"""How long an ended or expired session stays, for looking into what happened."""
TOKEN_EXPIRY_MARGIN = timedelta(hours=1)
"""Spent refresh tokens stay this long after they expire (clocks of instances differ)."""
BATCH_SIZE = 1000

Batch = Callable[[int], Awaitable[int]]
"""Deletes at most the given number of rows of one kind; returns how many it deleted."""
AccountMailBatches = Callable[[datetime], dict[str, Batch]]
"""The batches of account mail to purge as of a time, by kind (see account_mail_batches)."""


@dataclass(frozen=True)
class CleanupReport:
    """How many rows of each kind one run removed."""

    sessions: int = 0
    refresh_tokens: int = 0
    rate_counters: int = 0
    login_failures: int = 0
    mails: int = 0
    account_tokens: int = 0
    activity: int = 0

    @property
    def total(self) -> int:
        """Return the number of rows removed."""
        return (
            self.sessions
            + self.refresh_tokens
            + self.rate_counters
            + self.login_failures
            + self.mails
            + self.account_tokens
            + self.activity
        )

    def line(self) -> str:
        """Say what was removed, in one line."""
        return (
            f"cleanup removed {self.sessions} ended session(s), "
            f"{self.refresh_tokens} refresh token(s), {self.rate_counters} rate counter(s), "
            f"{self.login_failures} login-failure record(s), {self.mails} sent mail(s), "
            f"{self.account_tokens} account token(s), {self.activity} activity record(s)"
        )


class CleanupService:
    """Delete rows past their use, in bounded batches."""

    def __init__(
        self,
        *,
        refresh_lifetime: timedelta,
        longest_rate_window: int,
        account_mail: AccountMailBatches | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.refresh_lifetime = refresh_lifetime
        self.longest_rate_window = longest_rate_window
        self.account_mail = account_mail
        self.batch_size = batch_size

    async def run(self, now: datetime | None = None) -> CleanupReport:
        """Remove every row past its use, batch by batch; return what was removed."""
        now = now or utcnow()
        unix = int(now.timestamp())
        ended_before = now - ENDED_SESSION_KEPT
        sessions = tokens = 0
        for kind in cleanup_sql.ENDED_KINDS:
            ended, their_tokens = await self._drain_sessions(kind, ended_before)
            sessions, tokens = sessions + ended, tokens + their_tokens
        tokens += await self._drain(
            partial(
                cleanup_sql.delete_spent_refresh_tokens,
                now - self.refresh_lifetime - TOKEN_EXPIRY_MARGIN,
            )
        )
        counters = await self._drain(
            partial(cleanup_sql.delete_old_rate_counters, unix - self.longest_rate_window)
        )
        failures = await self._drain(
            partial(cleanup_sql.delete_old_login_failures, unix - FAILURE_MEMORY_SECONDS, unix)
        )
        mail: dict[str, int] = {}
        for kind, batch in (self.account_mail(now) if self.account_mail else {}).items():
            mail[kind] = await self._drain(batch)
        return CleanupReport(
            sessions=sessions,
            refresh_tokens=tokens,
            rate_counters=counters,
            login_failures=failures,
            mails=mail.get("mails", 0),
            account_tokens=mail.get("account_tokens", 0) + mail.get("mfa_challenges", 0),
            activity=mail.get("activity", 0),
        )

    async def _drain_sessions(self, kind: str, before: datetime) -> tuple[int, int]:
        """Delete ended sessions window by window, each window's tokens first."""
        sessions = tokens = 0
        while True:
            deleted = await cleanup_sql.delete_tokens_of_ended_sessions(
                kind, before, self.batch_size
            )
            tokens += deleted
            if deleted < self.batch_size:  # the window has no tokens left
                deleted = await cleanup_sql.delete_ended_sessions(kind, before, self.batch_size)
                sessions += deleted
                if deleted < self.batch_size:
                    return sessions, tokens
            await asyncio.sleep(0)  # let requests in between batches

    async def _drain(self, batch: Batch) -> int:
        """Run one kind of batch until it deletes less than a full batch."""
        removed = 0
        while True:
            deleted = await batch(self.batch_size)
            removed += deleted
            if deleted < self.batch_size:
                return removed
            await asyncio.sleep(0)


async def run_periodically(
    run_once: Callable[[], Awaitable[CleanupReport | None]],
    *,
    interval: float,
    first_delay: float,
) -> None:
    """Run the clean-up every `interval` seconds until cancelled; log, never raise."""
    delay = first_delay
    while True:
        await asyncio.sleep(delay)
        delay = interval
        started = time.monotonic()
        try:
            report = await run_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic clean-up failed; trying again in %.0f s", interval)
            continue
        if report is None:
            log.debug("clean-up skipped: another instance is running it")
        elif report.total:
            log.info("%s in %.1f s", report.line(), time.monotonic() - started)


async def run_cleanup(settings: Settings, service: CleanupService) -> CleanupReport | None:
    """Run the clean-up unless another instance is running it (then return None)."""
    async with try_advisory_lock(settings, CLEANUP_LOCK_ID) as taken:
        if not taken:
            return None
        return await service.run()
