"""A form sent after the session ended elsewhere: log in again, then send it, nothing lost.

Without JavaScript the form's text comes back in the login page as a draft (hidden fields);
after the login a page shows it and sends it on with the new session's CSRF token. Passwords
are never kept, and photos cannot be (a browser does not let a page choose files again).
"""

from __future__ import annotations

from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.errors import AppError
from gamecoll.http.body import form_data
from gamecoll.services.sessions import IssuedTokens
from gamecoll.web.common import context, safe_next
from gamecoll.web.rendering import Renderer

DRAFT_PREFIX: Final = "draft:"
DRAFT_ACTION: Final = "draft_action"
DRAFT_FIELDS_MAX: Final = 12
DRAFT_VALUE_MAX: Final = 6000
# Fields never carried in a draft: secrets, and the old session's token.
_NOT_KEPT: Final = ("password", "csrf_token", "next", "token")
LABELS: Final = {"name": "Name", "platform": "Platform", "notes": "Notes", "email": "Email"}


def _kept(name: str) -> bool:
    return not any(part in name for part in _NOT_KEPT)


def draft_of(request: Request) -> dict[str, Any]:
    """Return what a refused form carried: where it went, its text fields, whether it had files."""
    try:
        form = form_data(request)
    except AppError:
        form = {}
    fields = [
        (name, value[:DRAFT_VALUE_MAX]) for name, value in form.items() if _kept(name) and value
    ][:DRAFT_FIELDS_MAX]
    action = safe_next(request.path + (f"?{request.query_string}" if request.query_string else ""))
    had_files = bool(request.files and any(f.body for f in request.files.getlist("images") or []))
    had_files = had_files or bool(request.files and request.files.get("image"))
    return {"action": action, "fields": fields, "had_files": had_files}


def draft_from_login(form: dict[str, str]) -> dict[str, Any] | None:
    """Read a draft back from the login form's hidden fields (None without one)."""
    action = safe_next(form.get(DRAFT_ACTION), default="")
    if not action:
        return None
    fields = [
        (name[len(DRAFT_PREFIX) :], value[:DRAFT_VALUE_MAX])
        for name, value in form.items()
        if name.startswith(DRAFT_PREFIX) and _kept(name[len(DRAFT_PREFIX) :])
    ][:DRAFT_FIELDS_MAX]
    return {"action": action, "fields": fields, "had_files": form.get("draft_files") == "1"}


def relogin_page(request: Request, renderer: Renderer, error: AppError) -> HTTPResponse:
    """Show the login page holding the refused form's text (401)."""
    draft = draft_of(request)
    ctx = context(
        request,
        values={"next": draft["action"]},
        errors={},
        message="",
        next=draft["action"],
        notice="Your session has ended. Log in again and what you typed will be sent.",
        notice_kind="info",
        draft=draft,
        labels=LABELS,
    )
    return renderer.response("auth/login.html", ctx, status=error.status)


def resume_page(
    request: Request, renderer: Renderer, tokens: IssuedTokens, draft: dict[str, Any]
) -> HTTPResponse:
    """After logging in again: show the draft and send it with the new session's token."""
    ctx = context(request, draft=draft, labels=LABELS)
    ctx["user"] = tokens.user
    ctx["csrf_token"] = tokens.csrf_token
    return renderer.response("auth/resume.html", ctx)
