"""The mail outbox: mails are rows first, and a sender loop in every worker delivers them.

A request only inserts a row, so a mail server that is down, slow or refusing never makes a
request fail or wait. The sender leases due rows (on PostgreSQL with `FOR UPDATE SKIP
LOCKED`, so that several instances never take the same row), sends them, and marks them sent;
a failure puts the row back with a doubling wait. A lease that outlives a crashed sender
expires and the row is tried again, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any, Final

from gamecoll.models import OutboxMail
from gamecoll.models.fixed_sql import python_value
from gamecoll.models.outbox_sql import lease_due_mails
from gamecoll.services.clock import utcnow
from gamecoll.services.mail import Mail, MailTemplates, Transport

log = logging.getLogger("gamecoll.mail")

BATCH: Final = 10
MAX_RETRY_WAIT: Final = timedelta(hours=1)
SENT_KEPT_FOR: Final = timedelta(days=7)
POLL_SECONDS: Final = 5.0
STOP_WAIT_SECONDS: Final = 5.0


class MailUnavailableError(Exception):
    """This installation cannot send mail (production without SMTP_URL)."""


class Outbox:
    """Queue mails in the database and deliver them off the request path."""

    def __init__(
        self,
        *,
        templates: MailTemplates,
        transport: Transport | None,
        retry_seconds: int,
        lease_seconds: float,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.templates = templates
        self.transport = transport
        self.retry = timedelta(seconds=retry_seconds)
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def enabled(self) -> bool:
        """Tell whether mail can be sent at all (false in production without SMTP_URL)."""
        return self.transport is not None

    async def enqueue(self, name: str, *, to: str, **values: Any) -> None:
        """Render mail `name` and store it for the sender; raise when mail is not set up."""
        if self.transport is None:
            raise MailUnavailableError()
        mail = self.templates.render(name, to=to, **values)
        now = utcnow()
        await OutboxMail.create(
            to_address=mail.to,
            subject=mail.subject,
            text_body=mail.text,
            html_body=mail.html,
            created_at=now,
            next_attempt_at=now,
        )
        self._wake.set()

    def wake(self) -> None:
        """Have this worker's sender look at the outbox now (after a transaction commits)."""
        self._wake.set()

    async def send_due(self) -> int:
        """Lease the mails that are due, send them, and return how many went out."""
        if self.transport is None:
            return 0
        sent = 0
        while True:
            rows = await self._claim()
            for row in rows:
                sent += await self._deliver(row)
            if len(rows) < BATCH:
                return sent

    async def _claim(self) -> list[dict[str, Any]]:
        now = utcnow()
        return await lease_due_mails(now=now, until=now + self.lease, limit=BATCH)

    async def _deliver(self, row: dict[str, Any]) -> int:
        assert self.transport is not None
        mail_id: uuid.UUID = python_value(OutboxMail, "id", row["id"])
        mail = Mail(
            to=row["to_address"],
            subject=row["subject"],
            text=row["text_body"],
            html=row["html_body"],
        )
        try:
            await self.transport.send(mail)
        except Exception as exc:  # any failure is retried later
            attempts = int(row["attempts"])
            wait = min(MAX_RETRY_WAIT, self.retry * 2 ** min(attempts - 1, 16))
            log.warning(
                "mail %s to %s failed (attempt %d, next in %s): %s",
                mail_id,
                mail.to,
                attempts,
                wait,
                exc,
            )
            await OutboxMail.filter(id=mail_id).update(
                leased_until=None,
                next_attempt_at=utcnow() + wait,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )
            return 0
        # The bodies carry one-time links: keep them only until the mail is out.
        await OutboxMail.filter(id=mail_id).update(
            sent_at=utcnow(), leased_until=None, text_body="", html_body="", last_error=None
        )
        log.info("mail %s sent to %s: %s", mail_id, mail.to, mail.subject)
        return 1

    async def run(self) -> None:
        """Send due mails until cancelled: at once when a mail is queued here, else by polling."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be down; try again on the next round
                log.exception("the mail sender could not read the outbox")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    def start(self) -> None:
        """Start the sender loop in this worker (once)."""
        if self.transport is not None and self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self.run(), name="mail-outbox")

    async def stop(self) -> None:
        """Stop the sender loop; a mail being sent is left leased and retried later."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_WAIT_SECONDS)
        if not done:
            log.warning("the mail sender did not stop within %s s", STOP_WAIT_SECONDS)
