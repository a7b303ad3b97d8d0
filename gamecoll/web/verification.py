"""Email verification pages: /verify confirms with a mailed link; settings asks for a new one."""

from __future__ import annotations

from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.errors import (
    Conflict,
    MailUnavailable,
    RateLimited,
    TokenExpiredError,
    TokenInvalidError,
)
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, check_origin, principal
from gamecoll.http.links import public_base
from gamecoll.services.email_change import EmailChangeService
from gamecoll.services.verification import VerificationService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx
from gamecoll.web.rendering import Renderer

ACCOUNT_NOTICES: Final = {
    "unverified": "Confirm your email address to open your collection.",
    "verify_sent": "A new link is on its way. Check your inbox (and the spam folder).",
    "email_verified": "Your email address is confirmed.",
}
# Errors of the resend button without JavaScript, shown after the redirect back to settings.
ACCOUNT_ERRORS: Final = {
    "conflict": Conflict.message,
    "rate_limited": "Too many mails to this address; try again in an hour.",
    "mail_unavailable": MailUnavailable.message,
}


def account_state(
    request: Request, *, required: bool, message: str = "", error: str = ""
) -> dict[str, Any]:
    """The settings page's account section: its notice and whether verification is required."""
    notice = request.args.get("notice", "") or request.args.get("saved", "")
    return {
        "account_message": message or ACCOUNT_NOTICES.get(notice, ""),
        "account_error": error or ACCOUNT_ERRORS.get(notice, ""),
        "verification_required": required,
    }


@bp.get("/verify")
async def verify_page(request: Request, renderer: Renderer) -> HTTPResponse:
    """Show the button that confirms the address (a GET never spends the link: mail scanners
    open links too)."""
    token = request.args.get("token", "")
    ctx = context(request, token=token[:200], done=False, token_error="")
    return renderer.response("verification/verify.html", ctx)


@bp.post("/verify")
async def verify_submit(
    request: Request, verification: VerificationService, renderer: Renderer
) -> HTTPResponse:
    """Confirm the address with the link's token."""
    check_origin(request)
    token = form_text(form_data(request), "token")
    try:
        await verification.verify(token=token)
    except (TokenInvalidError, TokenExpiredError) as exc:
        ctx = context(request, token=token, done=False, token_error=exc.detail)
        return renderer.response("verification/verify.html", ctx, status=exc.status)
    ctx = context(request, token="", done=True, token_error="")
    return renderer.response("verification/verify.html", ctx)


@bp.post("/settings/email/verify/resend")
@authenticated
async def settings_resend(
    request: Request, verification: VerificationService, renderer: Renderer
) -> HTTPResponse:
    """Send a new verification link from the settings page."""
    required = verification.required
    try:
        await verification.resend(user=principal(request).user, base_url=public_base(request))
    except (Conflict, RateLimited, MailUnavailable) as exc:
        if not is_htmx(request):
            return go(request, f"/settings?notice={exc.code}#account")
        state = account_state(request, required=required, error=exc.detail)
        return _account(request, renderer, state, status=exc.status)
    if not is_htmx(request):
        return go(request, "/settings?notice=verify_sent#account")
    state = account_state(request, required=required, message=ACCOUNT_NOTICES["verify_sent"])
    return _account(request, renderer, state)


def _account(
    request: Request, renderer: Renderer, state: dict[str, Any], *, status: int = 200
) -> HTTPResponse:
    """Answer htmx with the account section alone."""
    return renderer.response("settings/_account.html", context(request, **state), status=status)


@bp.get("/email/confirm")
async def email_confirm_page(request: Request, renderer: Renderer) -> HTTPResponse:
    """Show the button that moves the account to the new address (a GET changes nothing)."""
    token = request.args.get("token", "")
    ctx = context(request, token=token[:200], done=False, token_error="")
    return renderer.response("verification/email_confirm.html", ctx)


@bp.post("/email/confirm")
async def email_confirm_submit(
    request: Request, email_change: EmailChangeService, renderer: Renderer
) -> HTTPResponse:
    """Move the account to the new address with the link's token."""
    check_origin(request)
    token = form_text(form_data(request), "token")
    try:
        await email_change.confirm(token=token)
    except (TokenInvalidError, TokenExpiredError, Conflict) as exc:
        ctx = context(request, token=token, done=False, token_error=exc.detail)
        return renderer.response("verification/email_confirm.html", ctx, status=exc.status)
    ctx = context(request, token="", done=True, token_error="")
    return renderer.response("verification/email_confirm.html", ctx)
