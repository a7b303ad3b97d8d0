"""The settings page: account, GPU endpoint, password, sessions, account deletion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.errors import (
    AppError,
    MailUnavailable,
    RateLimited,
    ReauthRequired,
    ValidationFailed,
)
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.links import public_base
from gamecoll.models import ActivityEntry, Session
from gamecoll.services.activity import ActivityLog
from gamecoll.services.sessions import SessionService
from gamecoll.services.users import UserService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx
from gamecoll.web.passkeys import passkey_rows, passkey_state
from gamecoll.web.rendering import renderer
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


def _empty_section() -> dict[str, Any]:
    return {"form": {}, "errors": {}, "message": ""}


async def _settings_context(request: Request, **sections: dict[str, Any]) -> dict[str, Any]:
    """Build the context of the settings page or one of its sections."""
    who = principal(request)
    sessions: SessionService = request.app.ctx.services.sessions
    live = await sessions.live(user_id=who.user.id)
    activity: ActivityLog = request.app.ctx.services.activity
    recent, _ = await activity.page(user_id=who.user.id, limit=RECENT_ACTIVITY)
    state = {name: _empty_section() for name in SECTIONS}
    state.update(sections)
    state["security"] = await security_view(request, **sections.get("security", {}))
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
        **account_state(request),
        sessions=_session_rows(live, who.session.id),
        activity=_activity_rows(recent),
        passkeys=await passkey_rows(who.user, request.app.ctx.services.passkeys),
        passkeys_state=passkey_state(request),
        gpu_endpoint=who.user.gpu_endpoint or "",
        **state,
    )


async def _answer(
    request: Request,
    section: str,
    state: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """Answer a section's form: the section alone for htmx, else the whole page."""
    ctx = await _settings_context(request, **{section: state})
    template = SECTIONS[section] if is_htmx(request) else "settings/page.html"
    ctx["oob_sessions"] = is_htmx(request) and section == "password" and status == 200
    return renderer(request).response(template, ctx, status=status, headers=headers)


async def _refused(request: Request, section: str, error: AppError) -> HTTPResponse:
    """Show a section again with the error: next to its fields, or as one message (429)."""
    state = {"form": {}, "errors": error.fields, "message": "" if error.fields else error.detail}
    return await _answer(request, section, state, status=error.status, headers=error.headers)


@bp.get("/settings")
@authenticated
async def settings_page(request: Request) -> HTTPResponse:
    """Show the settings page."""
    ctx = await _settings_context(request)
    return renderer(request).response("settings/page.html", ctx)


@bp.post("/settings/gpu-endpoint")
@authenticated
async def settings_gpu(request: Request) -> HTTPResponse:
    """Save (or clear) the GPU endpoint."""
    users: UserService = request.app.ctx.services.users
    value = form_text(form_data(request), "gpu_endpoint")
    try:
        user = await users.set_gpu_endpoint(user=principal(request).user, gpu_endpoint=value)
    except ValidationFailed as exc:
        state = {"form": {"gpu_endpoint": value}, "errors": exc.fields, "message": ""}
        return await _answer(request, "gpu", state, status=422)
    saved = "gpu" if user.gpu_endpoint else "gpu_cleared"
    if not is_htmx(request):
        return go(request, f"/settings?saved={saved}#gpu")
    state = {"form": {}, "errors": {}, "message": SAVED[saved]}
    return await _answer(request, "gpu", state)


@bp.post("/settings/password")
@authenticated
async def settings_password(request: Request) -> HTTPResponse:
    """Change the password; every other session ends."""
    users: UserService = request.app.ctx.services.users
    form = form_data(request)
    try:
        await users.change_password(
            principal=principal(request),
            current_password=form_text(form, "current_password"),
            new_password=form_text(form, "new_password"),
        )
    except (ValidationFailed, RateLimited, ReauthRequired) as exc:
        return await _refused(request, "password", exc)
    if not is_htmx(request):
        return go(request, "/settings?saved=password#password")
    return await _answer(request, "password", {**_empty_section(), "message": SAVED["password"]})


@bp.post("/settings/email")
@authenticated
async def settings_email(request: Request) -> HTTPResponse:
    """Ask to change the email address; a link goes to the new one."""
    form = form_data(request)
    new_email = form_text(form, "new_email")
    try:
        await request.app.ctx.services.email_change.request(
            principal=principal(request),
            new_email=new_email,
            current_password=form_text(form, "current_password"),
            base_url=public_base(request),
        )
    except (ValidationFailed, RateLimited, MailUnavailable, ReauthRequired) as exc:
        error = "" if exc.fields else exc.detail
        state = {
            "form": {"new_email": new_email},
            "errors": exc.fields,
            "message": "",
            "error": error,
        }
        return await _answer(request, "email", state, status=exc.status, headers=exc.headers)
    if not is_htmx(request):
        return go(request, "/settings?saved=email#email")
    return await _answer(request, "email", {**_empty_section(), "message": SAVED["email"]})


@bp.post("/settings/sessions/<session_id:uuid>/end")
@authenticated
async def settings_end_session(request: Request, session_id: uuid.UUID) -> HTTPResponse:
    """Sign one session out; signing out this one is logging out."""
    who = principal(request)
    sessions: SessionService = request.app.ctx.services.sessions
    await sessions.end_one(user_id=who.user.id, session_id=session_id)
    if session_id == who.session.id:
        request.ctx.new_tokens = None
        request.ctx.clear_auth_cookies = True
        return go(request, "/login?notice=logged_out")
    if not is_htmx(request):
        return go(request, "/settings?saved=session#sessions")
    return await _answer(
        request, "sessions_state", {**_empty_section(), "message": SAVED["session"]}
    )


@bp.post("/settings/sessions/end-others")
@authenticated
async def settings_end_others(request: Request) -> HTTPResponse:
    """Sign out every session but this one (password, or a login in the last 5 minutes)."""
    who = principal(request)
    sessions: SessionService = request.app.ctx.services.sessions
    password = form_text(form_data(request), "current_password") or None
    try:
        await request.app.ctx.services.reauth.require(who, password)
    except (ValidationFailed, RateLimited, ReauthRequired) as exc:
        return await _refused(request, "sessions_state", exc)
    ended = await sessions.end_all(user_id=who.user.id, reason="revoked", keep=who.session.id)
    if not is_htmx(request):
        return go(request, "/settings?saved=others#sessions")
    message = SAVED["others"] if ended else "There were no other sessions."
    return await _answer(request, "sessions_state", {**_empty_section(), "message": message})


@bp.post("/settings/delete")
@authenticated
async def settings_delete(request: Request) -> HTTPResponse:
    """Delete the account and everything it owns, after checking the password."""
    users: UserService = request.app.ctx.services.users
    try:
        await users.delete_account(
            principal=principal(request), password=form_text(form_data(request), "password")
        )
    except (ValidationFailed, RateLimited, ReauthRequired) as exc:
        return await _refused(request, "delete", exc)
    request.ctx.new_tokens = None
    request.ctx.clear_auth_cookies = True
    return go(request, "/login?notice=deleted")
