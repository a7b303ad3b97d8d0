"""What the settings page's Security section shows: the second factor and the tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sanic import Request

from gamecoll.http.guard import principal
from gamecoll.security.access_tokens import SCOPES
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.clock import utcnow
from gamecoll.services.totp import TotpService

SCOPE_TEXT: Final = {
    "profile:read": "Read your profile",
    "collection:read": "Read your collection and its photos",
    "collection:write": "Add, change and delete items and photos",
    "images:upload": "Add items with a photo (nothing else)",
}
EXPIRY_CHOICES: Final = (("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never"))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


async def security_view(
    request: Request, access_tokens: AccessTokenService, totp: TotpService, **state: Any
) -> dict[str, Any]:
    """Build the section's state; `state` adds one-time values (codes, a new token) or errors."""
    user_id = principal(request).user.id
    rows = await access_tokens.list(user_id)
    now = utcnow()
    tokens = [
        {
            "id": str(row.id),
            "name": row.name,
            "scopes": row.scopes.split(),
            "created": _when(row.created_at),
            "last_used": _when(row.last_used_at) or "never",
            "expires": _when(row.expires_at) or "never",
            "expired": row.expires_at is not None and row.expires_at <= now,
        }
        for row in rows
    ]
    view: dict[str, Any] = {
        "totp": await totp.enabled(user_id),
        "codes_left": await totp.recovery_codes_left(user_id),
        "tokens": tokens,
        "scopes": [(scope, SCOPE_TEXT[scope]) for scope in SCOPES],
        "expiry_choices": EXPIRY_CHOICES,
        "setup": None,
        "recovery_codes": [],
        "new_token": "",
        "form": {},
        "errors": {},
        "message": "",
    }
    view.update(state)
    return view
