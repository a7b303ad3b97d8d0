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
from gamecoll.services.mfa import Proof
from gamecoll.web.blueprint import bp
from gamecoll.web.common import form_text
from gamecoll.web.settings import _answer

SECTION = "security"


async def _show(request: Request, status: int = 200, **state: Any) -> HTTPResponse:
    return await _answer(request, SECTION, state, status=status)


async def _refused(request: Request, error: AppError, **state: Any) -> HTTPResponse:
    """Show the section again with the error next to its field, or as its message."""
    message = "" if error.fields else error.detail
    errors = error.fields or ({"code": error.detail} if error.code.startswith("code_") else {})
    if errors.get("code"):
        message = ""
    return await _answer(
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
async def security_totp_setup(request: Request) -> HTTPResponse:
    """Start setting up an authenticator app: show its QR code and key."""
    services = request.app.ctx.services
    who = principal(request)
    try:
        await services.reauth.require(who, _password(form_data(request)))
        made = await services.totp.setup(who.user)
    except AppError as exc:
        return await _refused(request, exc)
    return await _show(request, setup={"secret": made.secret, "qr_svg": made.qr_svg})


@bp.post("/settings/security/totp/confirm")
@authenticated
async def security_totp_confirm(request: Request) -> HTTPResponse:
    """Turn the authenticator app on with a first code; show the recovery codes once."""
    services = request.app.ctx.services
    user = principal(request).user
    try:
        codes = await services.totp.confirm(user, form_text(form_data(request), "code"))
    except AppError as exc:
        pending = await services.totp.pending(user)
        return await _refused(request, exc, setup=pending)
    return await _show(request, recovery_codes=codes, message="The authenticator app is on.")


@bp.post("/settings/security/totp/disable")
@authenticated
async def security_totp_disable(request: Request) -> HTTPResponse:
    """Turn the authenticator app off (password or a recent login, and a code)."""
    services = request.app.ctx.services
    who = principal(request)
    form = form_data(request)
    try:
        await services.reauth.require(who, _password(form))
        await services.mfa.verify(who.user, Proof("code", form_text(form, "code")))
        await services.totp.disable(who.user)
    except AppError as exc:
        return await _refused(request, exc)
    return await _show(request, message="The authenticator app is off.")


@bp.post("/settings/security/recovery-codes")
@authenticated
async def security_recovery_codes(request: Request) -> HTTPResponse:
    """Make a new set of recovery codes and show them once."""
    services = request.app.ctx.services
    who = principal(request)
    try:
        await services.reauth.require(who, _password(form_data(request)))
        codes = await services.totp.renew_codes(who.user)
    except AppError as exc:
        return await _refused(request, exc)
    return await _show(
        request, recovery_codes=codes, message="New recovery codes; the old ones are void."
    )


@bp.post("/settings/security/tokens")
@authenticated
async def security_token_create(request: Request) -> HTTPResponse:
    """Create a personal access token and show it once."""
    services = request.app.ctx.services
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
        row, token = await services.access_tokens.create(
            user=principal(request).user, name=name, scopes=scopes, expires_in_days=days
        )
    except AppError as exc:
        return await _refused(request, exc, form=form)
    return await _show(request, status=201, new_token=token, message=f"Token “{row.name}” created.")


@bp.post("/settings/security/tokens/<token_id:uuid>/revoke")
@authenticated
async def security_token_revoke(request: Request, token_id: uuid.UUID) -> HTTPResponse:
    """Revoke a personal access token at once."""
    try:
        await request.app.ctx.services.access_tokens.revoke(
            user_id=principal(request).user.id, token_id=token_id
        )
    except AppError as exc:
        return await _refused(request, exc)
    return await _show(request, message="The token is revoked.")
