"""Login, registration and logout."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request

from gamecoll.errors import (
    AccountDisabled,
    AppError,
    Conflict,
    InvalidCredentials,
    InvalidToken,
    NotAuthenticated,
    RateLimited,
    ValidationFailed,
)
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticate, check_origin, client_ip, user_agent
from gamecoll.http.links import public_base
from gamecoll.services.sessions import SessionService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, current_principal, form_text, go, is_htmx, safe_next
from gamecoll.web.relogin import draft_from_login, resume_page
from gamecoll.web.rendering import renderer

NOTICES = {
    "logged_out": "You are logged out.",
    "deleted": "Your account and everything in it have been deleted.",
    "ended": "That session has ended. Log in again to continue.",
    "password_reset": "Your password has been reset and every session signed out. Log in.",
}


def _auth_page(
    request: Request,
    *,
    page: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
    draft: dict[str, Any] | None = None,
) -> HTTPResponse:
    """Render the login or register page, or just its form for htmx."""
    template = f"auth/_{page}_form.html" if is_htmx(request) else f"auth/{page}.html"
    ctx: dict[str, Any] = context(
        request,
        values=values,
        errors=errors or {},
        message=message,
        next=safe_next(values.get("next")),
        notice=NOTICES.get(request.args.get("notice", ""), ""),
        # An ended session is news to act on, not a success.
        notice_kind="info" if request.args.get("notice") == "ended" else "ok",
        draft=draft,
    )
    return renderer(request).response(template, ctx, status=status, headers=headers)


@bp.get("/login")
async def login_page(request: Request) -> HTTPResponse:
    """Show the login form (or go on to `next` when already logged in)."""
    next_path = request.args.get("next", "")
    if await current_principal(request) is not None:
        return go(request, safe_next(next_path))
    return _auth_page(request, page="login", values={"next": safe_next(next_path)})


def _form_error(
    request: Request,
    *,
    page: str,
    values: dict[str, str],
    error: AppError,
    draft: dict[str, Any] | None = None,
) -> HTTPResponse:
    """Show the form again with the error: next to its fields, or as one message."""
    return _auth_page(
        request,
        page=page,
        values=values,
        errors=error.fields,
        message="" if error.fields else error.detail,
        status=error.status,
        headers=error.headers,
        draft=draft,
    )


@bp.post("/login")
async def login_submit(request: Request) -> HTTPResponse:
    """Log in from the form; errors come back inline, success goes on to `next`."""
    check_origin(request)
    form = form_data(request)
    values = {"username": form_text(form, "username"), "next": form_text(form, "next")}
    try:
        tokens = await request.app.ctx.services.auth.login(
            identifier=values["username"],
            password=form_text(form, "password"),
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except (ValidationFailed, InvalidCredentials, RateLimited, AccountDisabled) as exc:
        draft = draft_from_login(form)
        return _form_error(request, page="login", values=values, error=exc, draft=draft)
    request.ctx.new_tokens = tokens
    draft = draft_from_login(form)
    if draft is not None:  # a form refused because the session had ended: send it now
        return resume_page(request, tokens, draft)
    return go(request, safe_next(values["next"]))


@bp.get("/register")
async def register_page(request: Request) -> HTTPResponse:
    """Show the registration form."""
    next_path = request.args.get("next", "")
    if await current_principal(request) is not None:
        return go(request, safe_next(next_path))
    return _auth_page(request, page="register", values={"next": safe_next(next_path)})


@bp.post("/register")
async def register_submit(request: Request) -> HTTPResponse:
    """Create the account from the form and log it in."""
    check_origin(request)
    form = form_data(request)
    values = {
        "email": form_text(form, "email"),
        "username": form_text(form, "username"),
        "next": form_text(form, "next"),
    }
    try:
        tokens = await request.app.ctx.services.auth.register(
            email=values["email"],
            password=form_text(form, "password"),
            username=values["username"] or None,
            gpu_endpoint=None,
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except (ValidationFailed, Conflict, RateLimited) as exc:
        return _form_error(request, page="register", values=values, error=exc)
    await request.app.ctx.services.verification.registered(
        user=tokens.user, base_url=public_base(request)
    )
    request.ctx.new_tokens = tokens
    return go(request, safe_next(values["next"]))


@bp.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    """End this session and clear the cookies (a CSRF token is needed when logged in)."""
    sessions: SessionService = request.app.ctx.services.sessions
    try:
        found = await authenticate(request)
    except (NotAuthenticated, InvalidToken):
        found = None
    if found is not None:
        await sessions.end(session_id=found.session.id, reason="logout")
    request.ctx.new_tokens = None
    request.ctx.clear_auth_cookies = True
    return go(request, "/login?notice=logged_out")
