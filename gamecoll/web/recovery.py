"""The forgotten-password pages: /forgot asks for a link, /reset sets the new password."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request

from gamecoll.errors import (
    MailUnavailable,
    RateLimited,
    TokenExpiredError,
    TokenInvalidError,
    ValidationFailed,
)
from gamecoll.http.body import form_data
from gamecoll.http.guard import check_origin, client_ip
from gamecoll.http.links import public_base
from gamecoll.services.recovery import RecoveryService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx
from gamecoll.web.rendering import renderer

TOKEN_ERRORS = (TokenInvalidError, TokenExpiredError)


def _page(request: Request, page: str, *, status: int = 200, **values: Any) -> HTTPResponse:
    """Render /forgot or /reset, or just its form for htmx."""
    template = f"recovery/_{page}_form.html" if is_htmx(request) else f"recovery/{page}.html"
    defaults: dict[str, Any] = {"errors": {}, "message": "", "sent": "", "token_error": ""}
    ctx = context(request, **{**defaults, **values})
    return renderer(request).response(template, ctx, status=status)


def _service(request: Request) -> RecoveryService:
    recovery: RecoveryService = request.app.ctx.services.recovery
    return recovery


@bp.get("/forgot")
async def forgot_page(request: Request) -> HTTPResponse:
    """Show the form that asks for a reset link."""
    return _page(request, "forgot", values={"email": request.args.get("email", "")[:320]})


@bp.post("/forgot")
async def forgot_submit(request: Request) -> HTTPResponse:
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    check_origin(request)
    email = form_text(form_data(request), "email")
    recovery = _service(request)
    try:
        await recovery.forgot(email=email, ip=client_ip(request), base_url=public_base(request))
    except (ValidationFailed, RateLimited, MailUnavailable) as exc:
        return _page(
            request,
            "forgot",
            status=exc.status,
            values={"email": email},
            errors=exc.fields,
            message="" if exc.fields else exc.detail,
        )
    sent = (
        f"If an account uses {email.strip()}, a link to reset its password is on its way. "
        f"It works once, for {recovery.minutes} minutes. Check your spam folder too."
    )
    return _page(request, "forgot", values={"email": ""}, sent=sent)


@bp.get("/reset")
async def reset_page(request: Request) -> HTTPResponse:
    """Show the new-password form for a reset link (or say why the link no longer works)."""
    token = request.args.get("token", "")
    try:
        await _service(request).check(token)
    except TOKEN_ERRORS as exc:
        return _page(request, "reset", status=exc.status, token=token, token_error=exc.detail)
    return _page(request, "reset", token=token)


@bp.post("/reset")
async def reset_submit(request: Request) -> HTTPResponse:
    """Set the new password; then log in with it."""
    check_origin(request)
    form = form_data(request)
    token = form_text(form, "token")
    try:
        await _service(request).reset(
            token=token,
            new_password=form_text(form, "new_password"),
            base_url=public_base(request),
            revoke_tokens=form_text(form, "revoke_access_tokens") == "on",
        )
    except TOKEN_ERRORS as exc:
        return _page(request, "reset", status=exc.status, token=token, token_error=exc.detail)
    except ValidationFailed as exc:
        return _page(request, "reset", status=exc.status, token=token, errors=exc.fields)
    request.ctx.clear_auth_cookies = True
    return go(request, "/login?notice=password_reset")
