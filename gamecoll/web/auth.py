"""Login, registration and logout."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request

from gamecoll.errors import (
    AccountDisabled,
    AppError,
    Conflict,
    InvalidCredentials,
    MfaRequired,
    RateLimited,
    ValidationFailed,
)
from gamecoll.http.body import form_data
from gamecoll.http.cookies import end_cookies, issue_cookies
from gamecoll.http.guard import check_origin, client_ip, optional_principal, user_agent
from gamecoll.http.links import public_base
from gamecoll.services.auth import AuthService
from gamecoll.services.sessions import SessionService
from gamecoll.services.verification import VerificationService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, current_principal, form_text, go, is_htmx, safe_next
from gamecoll.web.login_code import code_page
from gamecoll.web.relogin import draft_from_login, resume_page
from gamecoll.web.rendering import Renderer

NOTICES = {
    "logged_out": "You are logged out.",
    "deleted": "Your account and everything in it have been deleted.",
    "ended": "That session has ended. Log in again to continue.",
    "password_reset": "Your password has been reset and every session signed out. Log in.",
}


def _auth_page(
    request: Request,
    renderer: Renderer,
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
    return renderer.response(template, ctx, status=status, headers=headers)


@bp.get("/login")
async def login_page(request: Request, renderer: Renderer) -> HTTPResponse:
    """Show the login form (or go on to `next` when already logged in)."""
    next_path = request.args.get("next", "")
    if await current_principal(request) is not None:
        return go(request, safe_next(next_path))
    return _auth_page(request, renderer, page="login", values={"next": safe_next(next_path)})


def _form_error(
    request: Request,
    renderer: Renderer,
    *,
    page: str,
    values: dict[str, str],
    error: AppError,
    draft: dict[str, Any] | None = None,
) -> HTTPResponse:
    """Show the form again with the error: next to its fields, or as one message."""
    return _auth_page(
        request,
        renderer,
        page=page,
        values=values,
        errors=error.fields,
        message="" if error.fields else error.detail,
        status=error.status,
        headers=error.headers,
        draft=draft,
    )


@bp.post("/login")
async def login_submit(request: Request, auth: AuthService, renderer: Renderer) -> HTTPResponse:
    """Log in from the form; errors come back inline, success goes on to `next`."""
    check_origin(request)
    form = form_data(request)
    values = {"username": form_text(form, "username"), "next": form_text(form, "next")}
    draft = draft_from_login(form)  # the text of a form refused because the session ended
    try:
        tokens = await auth.login(
            identifier=values["username"],
            password=form_text(form, "password"),
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except (ValidationFailed, InvalidCredentials, RateLimited, AccountDisabled) as exc:
        return _form_error(request, renderer, page="login", values=values, error=exc, draft=draft)
    except MfaRequired as exc:  # the password was right: ask for the code
        methods = exc.extra.get("methods")
        return code_page(
            request,
            renderer,
            mfa_token=str(exc.extra["mfa_token"]),
            next_path=values["next"],
            passkey=isinstance(methods, list) and "passkey" in methods,
            draft=draft,
        )
    issue_cookies(request, tokens)
    if draft is not None:  # send it now, with the new session's token
        return resume_page(request, renderer, tokens, draft)
    return go(request, safe_next(values["next"]))


@bp.get("/register")
async def register_page(request: Request, renderer: Renderer) -> HTTPResponse:
    """Show the registration form."""
    next_path = request.args.get("next", "")
    if await current_principal(request) is not None:
        return go(request, safe_next(next_path))
    return _auth_page(request, renderer, page="register", values={"next": safe_next(next_path)})


@bp.post("/register")
async def register_submit(
    request: Request, auth: AuthService, verification: VerificationService, renderer: Renderer
) -> HTTPResponse:
    """Create the account from the form and log it in."""
    check_origin(request)
    form = form_data(request)
    values = {
        "email": form_text(form, "email"),
        "username": form_text(form, "username"),
        "next": form_text(form, "next"),
    }
    try:
        tokens = await auth.register(
            email=values["email"],
            password=form_text(form, "password"),
            username=values["username"] or None,
            gpu_endpoint=None,
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except (ValidationFailed, Conflict, RateLimited) as exc:
        return _form_error(request, renderer, page="register", values=values, error=exc)
    await verification.registered(user=tokens.user, base_url=public_base(request))
    issue_cookies(request, tokens)
    return go(request, safe_next(values["next"]))


@bp.post("/logout")
async def logout(request: Request, sessions: SessionService) -> HTTPResponse:
    """End this session and clear the cookies (a CSRF token is needed when logged in)."""
    found = await optional_principal(request)
    if found is not None:
        await sessions.log_out(found)
    end_cookies(request)
    return go(request, "/login?notice=logged_out")
