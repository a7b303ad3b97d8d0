"""The settings page's passkeys: the list, rename and remove (no JavaScript needed for those).

Adding a passkey and logging in with one run in the browser (`static/js/passkeys.js`) against
the JSON API, since WebAuthn is a JavaScript API; these routes answer the forms of the list.
Without htmx, each form answers with a redirect to the settings page, whose passkeys section
then says what happened (`?passkey=<outcome>`), so a reload never posts twice.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.errors import RateLimited, ReauthRequired, ValidationFailed
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.models import User
from gamecoll.services.passkeys import PasskeyService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx
from gamecoll.web.rendering import Renderer

TEMPLATE: Final = "partials/passkeys.html"
OUTCOMES: Final = {
    "added": ("Passkey added. You can log in with it from now on.", ""),
    "renamed": ("Passkey renamed.", ""),
    "removed": ("Passkey removed. It cannot log in any more.", ""),
    "wrong_password": ("", "The password is not right; the passkey was not removed."),
    "locked": ("", "Too many wrong passwords for this account; wait a while and try again."),
    "bad_name": ("", "Use 1 to 64 visible characters for the name."),
    "reauth": ("", "Enter your password to confirm it is you; the passkey was not removed."),
}


def _when(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%d %H:%M UTC"))


async def passkey_rows(user: User, passkeys: PasskeyService) -> list[dict[str, Any]]:
    """The account's passkeys as the settings page shows them."""
    return [
        {
            "id": str(p.id),
            "name": p.name,
            "created": _when(p.created_at),
            "created_iso": p.created_at.isoformat(),
            "last_used": _when(p.last_used_at) if p.last_used_at else "",
            "last_used_iso": p.last_used_at.isoformat() if p.last_used_at else "",
            "backed_up": p.backed_up,
        }
        for p in await passkeys.list(user=user)
    ]


def passkey_state(request: Request, outcome: str = "") -> dict[str, str]:
    """The section's message or error, from this answer's outcome or the page's query."""
    message, error = OUTCOMES.get(outcome or request.args.get("passkey", ""), ("", ""))
    return {"message": message, "error": error}


async def _section(
    request: Request,
    passkeys: PasskeyService,
    renderer: Renderer,
    outcome: str,
    *,
    status: int = 200,
) -> HTTPResponse:
    """Answer with the passkeys section (htmx), or send the browser back to the settings page."""
    if not is_htmx(request) and request.method != "GET":
        return go(request, f"/settings?passkey={outcome}#passkeys")
    ctx = context(
        request,
        passkeys=await passkey_rows(principal(request).user, passkeys),
        passkeys_state=passkey_state(request, outcome),
    )
    return renderer.response(TEMPLATE, ctx, status=status)


@bp.get("/settings/passkeys")
@authenticated
async def passkeys_section(
    request: Request, passkeys: PasskeyService, renderer: Renderer
) -> HTTPResponse:
    """Show the passkeys section alone (the page's script reloads it after adding one)."""
    return await _section(request, passkeys, renderer, "")


@bp.post("/settings/passkeys/<passkey_id:uuid>/rename")
@authenticated
async def rename_passkey(
    request: Request, passkey_id: uuid.UUID, passkeys: PasskeyService, renderer: Renderer
) -> HTTPResponse:
    """Rename one of the account's passkeys."""
    try:
        await passkeys.rename(
            user=principal(request).user,
            passkey_id=passkey_id,
            name=form_text(form_data(request), "name"),
        )
    except ValidationFailed:
        return await _section(request, passkeys, renderer, "bad_name", status=422)
    return await _section(request, passkeys, renderer, "renamed")


@bp.post("/settings/passkeys/<passkey_id:uuid>/remove")
@authenticated
async def remove_passkey(
    request: Request, passkey_id: uuid.UUID, passkeys: PasskeyService, renderer: Renderer
) -> HTTPResponse:
    """Remove one of the account's passkeys, after checking the password."""
    try:
        await passkeys.remove(
            principal=principal(request),
            passkey_id=passkey_id,
            current_password=form_text(form_data(request), "current_password") or None,
        )
    except ValidationFailed:
        return await _section(request, passkeys, renderer, "wrong_password", status=422)
    except ReauthRequired:
        return await _section(request, passkeys, renderer, "reauth", status=403)
    except RateLimited:
        return await _section(request, passkeys, renderer, "locked", status=429)
    return await _section(request, passkeys, renderer, "removed")
