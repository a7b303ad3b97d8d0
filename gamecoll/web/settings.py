"""The settings page's routes: account, GPU endpoint, password, sessions, account deletion."""

from __future__ import annotations

import uuid

from sanic import HTTPResponse, Request

from gamecoll.errors import MailUnavailable, RateLimited, ReauthRequired, ValidationFailed
from gamecoll.http.body import form_data
from gamecoll.http.cookies import end_cookies
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.links import public_base
from gamecoll.services.email_change import EmailChangeService
from gamecoll.services.reauth import Reauth
from gamecoll.services.sessions import SessionService
from gamecoll.services.users import UserService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import form_text, go, is_htmx
from gamecoll.web.settings_page import SAVED, SettingsPage, empty_section


@bp.get("/settings")
@authenticated
async def settings_page(request: Request, page: SettingsPage) -> HTTPResponse:
    """Show the settings page."""
    return await page.show(request)


@bp.post("/settings/gpu-endpoint")
@authenticated
async def settings_gpu(request: Request, users: UserService, page: SettingsPage) -> HTTPResponse:
    """Save (or clear) the GPU endpoint."""
    value = form_text(form_data(request), "gpu_endpoint")
    try:
        user = await users.set_gpu_endpoint(user=principal(request).user, gpu_endpoint=value)
    except ValidationFailed as exc:
        state = {"form": {"gpu_endpoint": value}, "errors": exc.fields, "message": ""}
        return await page.answer(request, "gpu", state, status=422)
    saved = "gpu" if user.gpu_endpoint else "gpu_cleared"
    if not is_htmx(request):
        return go(request, f"/settings?saved={saved}#gpu")
    state = {"form": {}, "errors": {}, "message": SAVED[saved]}
    return await page.answer(request, "gpu", state)


@bp.post("/settings/password")
@authenticated
async def settings_password(
    request: Request, users: UserService, page: SettingsPage
) -> HTTPResponse:
    """Change the password; every other session ends."""
    form = form_data(request)
    try:
        await users.change_password(
            principal=principal(request),
            current_password=form_text(form, "current_password"),
            new_password=form_text(form, "new_password"),
        )
    except (ValidationFailed, RateLimited, ReauthRequired) as exc:
        return await page.refused(request, "password", exc)
    if not is_htmx(request):
        return go(request, "/settings?saved=password#password")
    return await page.answer(request, "password", {**empty_section(), "message": SAVED["password"]})


@bp.post("/settings/email")
@authenticated
async def settings_email(
    request: Request, email_change: EmailChangeService, page: SettingsPage
) -> HTTPResponse:
    """Ask to change the email address; a link goes to the new one."""
    form = form_data(request)
    new_email = form_text(form, "new_email")
    try:
        await email_change.request(
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
        return await page.answer(request, "email", state, status=exc.status, headers=exc.headers)
    if not is_htmx(request):
        return go(request, "/settings?saved=email#email")
    return await page.answer(request, "email", {**empty_section(), "message": SAVED["email"]})


@bp.post("/settings/sessions/<session_id:uuid>/end")
@authenticated
async def settings_end_session(
    request: Request, session_id: uuid.UUID, sessions: SessionService, page: SettingsPage
) -> HTTPResponse:
    """Sign one session out; signing out this one is logging out."""
    who = principal(request)
    await sessions.end_one(user_id=who.user.id, session_id=session_id)
    if session_id == who.session.id:
        end_cookies(request)
        return go(request, "/login?notice=logged_out")
    if not is_htmx(request):
        return go(request, "/settings?saved=session#sessions")
    return await page.answer(
        request, "sessions_state", {**empty_section(), "message": SAVED["session"]}
    )


@bp.post("/settings/sessions/end-others")
@authenticated
async def settings_end_others(
    request: Request, sessions: SessionService, reauth: Reauth, page: SettingsPage
) -> HTTPResponse:
    """Sign out every session but this one (password, or a login in the last 5 minutes)."""
    who = principal(request)
    try:
        await reauth.require(who, form_text(form_data(request), "current_password") or None)
    except (ValidationFailed, RateLimited, ReauthRequired) as exc:
        return await page.refused(request, "sessions_state", exc)
    ended = await sessions.end_all(user_id=who.user.id, reason="revoked", keep=who.session.id)
    if not is_htmx(request):
        return go(request, "/settings?saved=others#sessions")
    message = SAVED["others"] if ended else "There were no other sessions."
    return await page.answer(request, "sessions_state", {**empty_section(), "message": message})


@bp.post("/settings/delete")
@authenticated
async def settings_delete(request: Request, users: UserService, page: SettingsPage) -> HTTPResponse:
    """Delete the account and everything it owns, after checking the password."""
    try:
        await users.delete_account(
            principal=principal(request), password=form_text(form_data(request), "password")
        )
    except (ValidationFailed, RateLimited, ReauthRequired) as exc:
        return await page.refused(request, "delete", exc)
    end_cookies(request)
    return go(request, "/login?notice=deleted")
