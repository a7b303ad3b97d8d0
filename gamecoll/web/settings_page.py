"""The settings page as it is shown: its sections, the sessions and activity lists, saved notes.

`SettingsPage` builds the page or one section of it; the handlers in `web/settings.py` get it by
type and only say which section answers and with what state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.errors import AppError
from gamecoll.http.guard import principal
from gamecoll.models import ActivityEntry, Session
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.activity import ActivityLog
from gamecoll.services.passkeys import PasskeyService
from gamecoll.services.sessions import SessionService
from gamecoll.services.totp import TotpService
from gamecoll.services.verification import VerificationService
from gamecoll.web.common import context, is_htmx
from gamecoll.web.passkeys import passkey_rows, passkey_state
from gamecoll.web.rendering import Renderer
from gamecoll.web.security_view import security_view
from gamecoll.web.verification import account_state

SAVED: Final = {
    "gpu": "GPU endpoint saved.",
    "gpu_cleared": "GPU endpoint removed.",
    "password": "Password changed. Every other session has been signed out.",
    "session": "That session has been signed out.",
    "others": "Every other session has been signed out.",
    "email": "A link is on its way to the new address; the change happens when you use it.",
}
# Each section's state (values, errors, message) in the context, and its template.
SECTIONS: Final = {
    "gpu": "settings/_gpu.html",
    "email": "settings/_email.html",
    "password": "settings/_password.html",
    "sessions_state": "settings/_sessions.html",
    "delete": "settings/_delete.html",
    "security": "settings/_security.html",
}

_BROWSERS: Final = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("HeadlessChrome/", "Chrome (headless)"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx/", "Python (httpx)"),
)
_SYSTEMS: Final = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_agent(agent: str) -> str:
    """Give a short name for a User-Agent ("Firefox on Linux"), or say it is unknown."""
    browser = next((name for token, name in _BROWSERS if token in agent), "")
    system = next((name for token, name in _SYSTEMS if token in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def when(moment: datetime) -> str:
    """Format a stored time for people (UTC, to the minute)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _session_rows(live: list[Session], current: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": str(s.id),
            "device": describe_agent(s.user_agent),
            "agent": s.user_agent,
            "ip": s.ip,
            "created": when(s.created_at),
            "created_iso": s.created_at.isoformat(),
            "last_used": when(s.last_used_at),
            "last_used_iso": s.last_used_at.isoformat(),
            "current": s.id == current,
        }
        for s in live
    ]


RECENT_ACTIVITY: Final = 10
EVENT_NAMES: Final = {
    "login_succeeded": "Logged in",
    "login_failed": "Failed login",
    "logout": "Logged out",
    "refresh_reuse_detected": "Stolen session suspected (a refresh token was reused)",
    "password_changed": "Password changed",
    "password_reset": "Password reset by email",
    "email_change_requested": "Email change asked",
    "email_changed": "Email address changed",
    "session_ended": "Session signed out",
    "account_disabled": "Account disabled",
    "account_enabled": "Account enabled",
    "passkey_added": "Passkey added",
    "passkey_removed": "Passkey removed",
    "totp_enabled": "Authenticator app set up",
    "totp_disabled": "Authenticator app removed",
    "recovery_codes_renewed": "New recovery codes made",
    "recovery_code_used": "Recovery code used",
    "access_token_created": "Access token created",
    "access_token_first_used": "Access token used for the first time",
    "access_token_revoked": "Access token revoked",
}


def _activity_rows(entries: list[ActivityEntry]) -> list[dict[str, Any]]:
    return [
        {
            "event": EVENT_NAMES.get(e.event, e.event),
            "when": when(e.created_at),
            "when_iso": e.created_at.isoformat(),
            "ip": e.ip,
            "device": describe_agent(e.user_agent) if e.user_agent else "",
        }
        for e in entries
    ]


def empty_section() -> dict[str, Any]:
    """The state of a section with nothing to say."""
    return {"form": {}, "errors": {}, "message": ""}


class SettingsPage:
    """Render the settings page, or one of its sections for htmx."""

    def __init__(
        self,
        *,
        renderer: Renderer,
        sessions: SessionService,
        activity: ActivityLog,
        verification: VerificationService,
        passkeys: PasskeyService,
        access_tokens: AccessTokenService,
        totp: TotpService,
    ) -> None:
        self.renderer = renderer
        self.sessions = sessions
        self.activity = activity
        self.verification = verification
        self.passkeys = passkeys
        self.access_tokens = access_tokens
        self.totp = totp

    async def context(self, request: Request, **sections: dict[str, Any]) -> dict[str, Any]:
        """Build the context of the settings page or one of its sections."""
        who = principal(request)
        live = await self.sessions.live(user_id=who.user.id)
        recent, _ = await self.activity.page(user_id=who.user.id, limit=RECENT_ACTIVITY)
        state = {name: empty_section() for name in SECTIONS}
        state.update(sections)
        state["security"] = await security_view(
            request, self.access_tokens, self.totp, **sections.get("security", {})
        )
        saved = request.args.get("saved", "")
        if saved in SAVED and not sections:
            section = {
                "gpu_cleared": "gpu",
                "session": "sessions_state",
                "others": "sessions_state",
            }.get(saved, saved)
            state[section]["message"] = SAVED[saved]
        return context(
            request,
            **account_state(request, required=self.verification.required),
            sessions=_session_rows(live, who.session.id),
            activity=_activity_rows(recent),
            passkeys=await passkey_rows(who.user, self.passkeys),
            passkeys_state=passkey_state(request),
            gpu_endpoint=who.user.gpu_endpoint or "",
            **state,
        )

    async def show(self, request: Request) -> HTTPResponse:
        """Answer with the whole page."""
        return self.renderer.response("settings/page.html", await self.context(request))

    async def answer(
        self,
        request: Request,
        section: str,
        state: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTTPResponse:
        """Answer a section's form: the section alone for htmx, else the whole page."""
        ctx = await self.context(request, **{section: state})
        template = SECTIONS[section] if is_htmx(request) else "settings/page.html"
        ctx["oob_sessions"] = is_htmx(request) and section == "password" and status == 200
        return self.renderer.response(template, ctx, status=status, headers=headers)

    async def refused(self, request: Request, section: str, error: AppError) -> HTTPResponse:
        """Show a section again with the error: next to its fields, or as one message (429)."""
        state = {
            "form": {},
            "errors": error.fields,
            "message": "" if error.fields else error.detail,
        }
        return await self.answer(
            request, section, state, status=error.status, headers=error.headers
        )
