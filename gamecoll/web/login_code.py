"""The login's second step: after a right password, a page asks for the code."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request

from gamecoll.errors import (
    AccountDisabled,
    CodeInvalid,
    CodeReused,
    MfaTokenExpired,
    MfaTokenInvalid,
    RateLimited,
    ValidationFailed,
)
from gamecoll.http.body import form_data
from gamecoll.http.cookies import issue_cookies
from gamecoll.http.guard import check_origin, client_ip, user_agent
from gamecoll.services.mfa import MfaService, Proof
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx, safe_next
from gamecoll.web.relogin import draft_from_login, resume_page
from gamecoll.web.rendering import Renderer

START_AGAIN = "This sign-in attempt has ended; enter your password again."


def code_page(
    request: Request,
    renderer: Renderer,
    *,
    mfa_token: str,
    next_path: str,
    error: str = "",
    message: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
    passkey: bool = False,
    draft: dict[str, Any] | None = None,
) -> HTTPResponse:
    """Ask for the code (the whole page, or the form alone in place of the login form).

    With `passkey` (the account has one, see `mfa_required`'s methods) the form also offers
    "Use a passkey instead"; the form carries that choice along when it is shown again, and
    the `draft` of a form refused because the session had ended (web/relogin.py).
    """
    template = "auth/_login_code_form.html" if is_htmx(request) else "auth/login_code.html"
    ctx = context(
        request,
        mfa_token=mfa_token,
        next=safe_next(next_path),
        errors={"code": error} if error else {},
        message=message,
        passkey_offered=passkey,
        draft=draft,
    )
    return renderer.response(template, ctx, status=status, headers=headers)


def start_again(
    request: Request,
    renderer: Renderer,
    next_path: str,
    message: str,
    status: int,
    draft: dict[str, Any] | None,
) -> HTTPResponse:
    """Show the login form again with why the second step ended."""
    template = "auth/_login_form.html" if is_htmx(request) else "auth/login.html"
    ctx = context(
        request,
        values={"next": safe_next(next_path)},
        errors={},
        message=message,
        next=safe_next(next_path),
        notice="",
        draft=draft,
    )
    return renderer.response(template, ctx, status=status)


@bp.post("/login/code")
async def login_code_submit(request: Request, mfa: MfaService, renderer: Renderer) -> HTTPResponse:
    """Finish the login with a code from the app or a recovery code."""
    check_origin(request)
    form = form_data(request)
    token, next_path = form_text(form, "mfa_token"), form_text(form, "next")
    passkey = form_text(form, "passkey_offered") == "1"
    draft = draft_from_login(form)
    try:
        tokens = await mfa.complete(
            mfa_token=token,
            proof=Proof("code", form_text(form, "code")),
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except (CodeInvalid, CodeReused) as exc:
        return code_page(
            request,
            renderer,
            mfa_token=token,
            next_path=next_path,
            error=exc.detail,
            status=exc.status,
            passkey=passkey,
            draft=draft,
        )
    except (ValidationFailed, RateLimited) as exc:
        return code_page(
            request,
            renderer,
            mfa_token=token,
            next_path=next_path,
            message=exc.detail,
            status=exc.status,
            headers=exc.headers,
            passkey=passkey,
            draft=draft,
        )
    except (MfaTokenInvalid, MfaTokenExpired, AccountDisabled) as exc:
        message = exc.detail if isinstance(exc, AccountDisabled) else START_AGAIN
        return start_again(request, renderer, next_path, message, exc.status, draft)
    issue_cookies(request, tokens)
    if draft is not None:  # a form refused because the session had ended: send it now
        return resume_page(request, renderer, tokens, draft)
    return go(request, safe_next(next_path))
