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
from gamecoll.services.verification import VerificationService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx
from gamecoll.web.rendering import renderer

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


def _service(request: Request) -> VerificationService:
    verification: VerificationService = request.app.ctx.services.verification
    return verification


def account_state(request: Request, *, message: str = "", error: str = "") -> dict[str, Any]:
    """The settings page's account section: its notice and whether verification is required."""
    notice = request.args.get("notice", "") or request.args.get("saved", "")
    return {
        "account_message": message or ACCOUNT_NOTICES.get(notice, ""),
        "account_error": error or ACCOUNT_ERRORS.get(notice, ""),
        "verification_required": _service(request).required,
    }


@bp.get("/verify")
async def verify_page(request: Request) -> HTTPResponse:
    """Show the button that confirms the address (a GET never spends the link: mail scanners
    open links too)."""
    token = request.args.get("token", "")
    ctx = context(request, token=token[:200], done=False, token_error="")
    return renderer(request).response("verification/verify.html", ctx)


@bp.post("/verify")
async def verify_submit(request: Request) -> HTTPResponse:
    """Confirm the address with the link's token."""
    check_origin(request)
    token = form_text(form_data(request), "token")
    try:
        await _service(request).verify(token=token)
    except (TokenInvalidError, TokenExpiredError) as exc:
        ctx = context(request, token=token, done=False, token_error=exc.detail)
        return renderer(request).response("verification/verify.html", ctx, status=exc.status)
    ctx = context(request, token="", done=True, token_error="")
    return renderer(request).response("verification/verify.html", ctx)


@bp.post("/settings/email/verify/resend")
@authenticated
async def settings_resend(request: Request) -> HTTPResponse:
    """Send a new verification link from the settings page."""
    try:
        await _service(request).resend(user=principal(request).user, base_url=public_base(request))
    except (Conflict, RateLimited, MailUnavailable) as exc:
        if not is_htmx(request):
            return go(request, f"/settings?notice={exc.code}#account")
        return _account(request, account_state(request, error=exc.detail), status=exc.status)
    if not is_htmx(request):
        return go(request, "/settings?notice=verify_sent#account")
    return _account(request, account_state(request, message=ACCOUNT_NOTICES["verify_sent"]))


def _account(request: Request, state: dict[str, Any], *, status: int = 200) -> HTTPResponse:
    """Answer htmx with the account section alone."""
    return renderer(request).response(
        "settings/_account.html", context(request, **state), status=status
    )


@bp.get("/email/confirm")
async def email_confirm_page(request: Request) -> HTTPResponse:
    """Show the button that moves the account to the new address (a GET changes nothing)."""
    token = request.args.get("token", "")
    ctx = context(request, token=token[:200], done=False, token_error="")
    return renderer(request).response("verification/email_confirm.html", ctx)


@bp.post("/email/confirm")
async def email_confirm_submit(request: Request) -> HTTPResponse:
    """Move the account to the new address with the link's token."""
    check_origin(request)
    token = form_text(form_data(request), "token")
    try:
        await request.app.ctx.services.email_change.confirm(token=token)
    except (TokenInvalidError, TokenExpiredError, Conflict) as exc:
        ctx = context(request, token=token, done=False, token_error=exc.detail)
        return renderer(request).response("verification/email_confirm.html", ctx, status=exc.status)
    ctx = context(request, token="", done=True, token_error="")
    return renderer(request).response("verification/email_confirm.html", ctx)
