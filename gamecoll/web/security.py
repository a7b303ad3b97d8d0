"""The settings page's Security section: the authenticator app, recovery codes and personal
access tokens, as plain forms (htmx swaps the section when it is there)."""

from __future__ import annotations

import uuid
from typing import Any

from sanic import HTTPResponse, Request

from gamecoll.errors import AppError
from gamecoll.http.body import form_data
from gamecoll.http.forms import read_form
from gamecoll.http.guard import authenticated, principal
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.mfa import MfaService, Proof
from gamecoll.services.reauth import Reauth
from gamecoll.services.totp import TotpService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import form_text
from gamecoll.web.settings_page import SettingsPage

SECTION = "security"


async def _refused(
    request: Request, page: SettingsPage, error: AppError, **state: Any
) -> HTTPResponse:
    """Show the section again with the error next to its field, or as its message."""
    errors = error.fields or ({"code": error.detail} if error.code.startswith("code_") else {})
    message = "" if errors else error.detail
    return await page.answer(
        request,
        SECTION,
        {"errors": errors, "message": message, **state},
        status=error.status,
        headers=error.headers,
    )


def _password(form: dict[str, str]) -> str | None:
    return form_text(form, "current_password") or None


@bp.post("/settings/security/totp/setup")
@authenticated
async def security_totp_setup(
    request: Request, reauth: Reauth, totp: TotpService, page: SettingsPage
) -> HTTPResponse:
    """Start setting up an authenticator app: show its QR code and key."""
    who = principal(request)
    try:
        await reauth.require(who, _password(form_data(request)))
        made = await totp.setup(who.user)
    except AppError as exc:
        return await _refused(request, page, exc)
    state = {"setup": made}
    return await page.answer(request, SECTION, state)


@bp.post("/settings/security/totp/confirm")
@authenticated
async def security_totp_confirm(
    request: Request, totp: TotpService, page: SettingsPage
) -> HTTPResponse:
    """Turn the authenticator app on with a first code; show the recovery codes once."""
    user = principal(request).user
    try:
        codes = await totp.confirm(user, form_text(form_data(request), "code"))
    except AppError as exc:
        return await _refused(request, page, exc, setup=await totp.pending(user))
    state = {"recovery_codes": codes, "message": "The authenticator app is on."}
    return await page.answer(request, SECTION, state)


@bp.post("/settings/security/totp/disable")
@authenticated
async def security_totp_disable(
    request: Request, reauth: Reauth, mfa: MfaService, totp: TotpService, page: SettingsPage
) -> HTTPResponse:
    """Turn the authenticator app off (password or a recent login, and a code)."""
    who = principal(request)
    form = form_data(request)
    try:
        await reauth.require(who, _password(form))
        await mfa.verify(who.user, Proof("code", form_text(form, "code")))
        await totp.disable(who.user)
    except AppError as exc:
        return await _refused(request, page, exc)
    return await page.answer(request, SECTION, {"message": "The authenticator app is off."})


@bp.post("/settings/security/recovery-codes")
@authenticated
async def security_recovery_codes(
    request: Request, reauth: Reauth, totp: TotpService, page: SettingsPage
) -> HTTPResponse:
    """Make a new set of recovery codes and show them once."""
    who = principal(request)
    try:
        await reauth.require(who, _password(form_data(request)))
        codes = await totp.renew_codes(who.user)
    except AppError as exc:
        return await _refused(request, page, exc)
    state = {"recovery_codes": codes, "message": "New recovery codes; the old ones are void."}
    return await page.answer(request, SECTION, state)


@bp.post("/settings/security/tokens")
@authenticated
async def security_token_create(
    request: Request, tokens: AccessTokenService, page: SettingsPage
) -> HTTPResponse:
    """Create a personal access token and show it once."""
    fields = read_form(request)[0]
    name = str(fields.get("name") or "")
    scopes = [str(value) for value in fields.getlist("scopes", [])]
    days_text = str(fields.get("expires_in_days") or "").strip()
    form = {"name": name, "scopes": scopes, "expires_in_days": days_text}
    try:
        days = int(days_text) if days_text else None
    except ValueError:
        days = -1  # refused by the service with its message
    try:
        row, token = await tokens.create(
            user=principal(request).user, name=name, scopes=scopes, expires_in_days=days
        )
    except AppError as exc:
        return await _refused(request, page, exc, form=form)
    state = {"new_token": token, "message": f"Token “{row.name}” created."}
    return await page.answer(request, SECTION, state, status=201)


@bp.post("/settings/security/tokens/<token_id:uuid>/revoke")
@authenticated
async def security_token_revoke(
    request: Request, token_id: uuid.UUID, tokens: AccessTokenService, page: SettingsPage
) -> HTTPResponse:
    """Revoke a personal access token at once."""
    try:
        await tokens.revoke(user_id=principal(request).user.id, token_id=token_id)
    except AppError as exc:
        return await _refused(request, page, exc)
    return await page.answer(request, SECTION, {"message": "The token is revoked."})
