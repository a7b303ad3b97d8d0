"""The security activity log: who did what to an account, when, from where; and its notices.

Services announce events through listener lists (`emit`); the log records them with the
client of the request in progress (set once per request by the app's middleware), and mails
a notice for the events that call for one.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from tortoise.expressions import Q

from gamecoll.errors import BadRequest
from gamecoll.models import ActivityEntry, User, cleanup_sql
from gamecoll.services.account_tokens import USED_KEPT_FOR
from gamecoll.services.cleanup import Batch
from gamecoll.services.clock import utcnow
from gamecoll.services.outbox import SENT_KEPT_FOR, Outbox

# Called with an event of EVENTS, or "session_ended:<reason>" when a session ends.
SecurityListener = Callable[[str, uuid.UUID], Awaitable[None]]

EVENTS: Final = (
    "login_succeeded",
    "login_failed",
    "logout",
    "refresh_reuse_detected",
    "password_changed",
    "password_reset",
    "email_change_requested",
    "email_changed",
    "session_ended",
    "account_disabled",
    "account_enabled",
    # Passkeys (issue 16): each one added or removed; logging in with one is login_succeeded.
    "passkey_added",
    "passkey_removed",
    "totp_enabled",
    "totp_disabled",
    "recovery_codes_renewed",
    "recovery_code_used",
    "access_token_created",
    "access_token_first_used",
    "access_token_revoked",
)
# Why a session ended (sessions.revoked_reason) -> the event it is; other reasons are
# recorded under their own event (a password reset, a disabled account) or not at all.
SESSION_REASONS: Final = {
    "logout": "logout",
    "logout_all": "logout",
    "refresh_reuse": "refresh_reuse_detected",
    "revoked": "session_ended",
}
# Events that also mail the account (the reset and email changes mail their own notices).
NOTICES: Final = {
    "password_changed": "password_changed",
    **{
        event: "security_notice"
        for event in (
            "totp_enabled",
            "totp_disabled",
            "recovery_codes_renewed",
            "recovery_code_used",
            "access_token_created",
            "access_token_first_used",
            "access_token_revoked",
        )
    },
}
# What the security notice says happened, per event.
NOTICE_LINES: Final = {
    "totp_enabled": "An authenticator app was set up as the second factor of your account.",
    "totp_disabled": "The authenticator app was removed from your account.",
    "recovery_codes_renewed": "New recovery codes were made for your account; the old ones no "
    "longer work.",
    "recovery_code_used": "A recovery code was used to sign in to your account.",
    "access_token_created": "A personal access token was created for your account.",
    "access_token_first_used": "A personal access token of your account was used for the "
    "first time.",
    "access_token_revoked": "A personal access token of your account was revoked.",
}
PAGE_MAX: Final = 100


@dataclass(frozen=True)
class Client:
    """The request in progress: the client's address, its User-Agent, and the site's origin."""

    ip: str = ""
    user_agent: str = ""
    origin: str = ""


current_client: ContextVar[Client] = ContextVar("gamecoll_client", default=Client())  # noqa: B039 - frozen


async def emit(listeners: Sequence[SecurityListener], event: str, user_id: uuid.UUID) -> None:
    """Tell every listener that `event` happened to this account."""
    for listener in listeners:
        await listener(event, user_id)


def _cursor(entry: ActivityEntry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, entry_id = raw.partition("|")
        return datetime.fromisoformat(moment), uuid.UUID(entry_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("The cursor is not valid; start again without it.") from None


class ActivityLog:
    """Record security events per account, page through them, and purge old ones."""

    def __init__(self, *, retention: timedelta, outbox: Outbox, public_base_url: str) -> None:
        self.retention = retention
        self.outbox = outbox
        self.public_base_url = public_base_url

    async def record(self, event: str, user_id: uuid.UUID) -> None:
        """Store one event with the current request's address and device."""
        client = current_client.get()
        await ActivityEntry.create(
            user_id=user_id,
            event=event,
            created_at=utcnow(),
            ip=client.ip[:64],
            user_agent=client.user_agent[:512],
        )

    async def listen(self, event: str, user_id: uuid.UUID) -> None:
        """The listener services call: record the event, and mail a notice when one is due."""
        kind, _, reason = event.partition(":")
        name = SESSION_REASONS.get(reason) if kind == "session_ended" else event
        if name is None or name not in EVENTS:
            return
        await self.record(name, user_id)
        mail = NOTICES.get(name)
        if mail and self.outbox.enabled:
            user = await User.get_or_none(id=user_id)
            if user is not None:
                base = self.public_base_url or current_client.get().origin
                await self.outbox.enqueue(
                    mail,
                    to=user.email,
                    when=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                    forgot_link=f"{base}/forgot",
                    what=NOTICE_LINES.get(name, ""),
                    settings_link=f"{base}/settings#security",
                )

    async def page(
        self, *, user_id: uuid.UUID, limit: int = 20, cursor: str | None = None
    ) -> tuple[list[ActivityEntry], str | None]:
        """Return the newest entries (after `cursor`) and the cursor of the next page."""
        limit = max(1, min(PAGE_MAX, limit))
        query = ActivityEntry.filter(user_id=user_id)
        if cursor:
            moment, entry_id = _parse_cursor(cursor)
            query = query.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=entry_id))
        rows = await query.order_by("-created_at", "-id").limit(limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (_cursor(rows[-1]) if more and rows else None)


def account_mail_batches(activity: ActivityLog, now: datetime) -> dict[str, Batch]:
    """The batches that purge what issue 13 keeps: sent mails, spent or expired tokens (links
    and second-step challenges), activity past its retention. The clean-up runs each until
    done."""
    return {
        "mails": partial(cleanup_sql.delete_sent_mails, now - SENT_KEPT_FOR),
        "account_tokens": partial(cleanup_sql.delete_old_account_tokens, now, now - USED_KEPT_FOR),
        "mfa_challenges": partial(cleanup_sql.delete_expired_mfa_challenges, now),
        "activity": partial(cleanup_sql.delete_old_activity, now - activity.retention),
    }
