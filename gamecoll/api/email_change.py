"""Changing the email address: ask with the password, confirm with the mailed token."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.auth import CROSS_SITE
from gamecoll.api.docs import Body, operation
from gamecoll.api.mail_schemas import (
    BAD_LINK,
    NO_MAIL,
    TOO_MANY_MAILS,
    AcceptedOut,
    EmailChangeIn,
    VerifyIn,
)
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, check_origin, principal
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.email_change import EmailChangeService

bp = Blueprint("email_change", url_prefix="/auth")

ASKED = (
    "A link is on its way to {email}; the address changes when it is used. "
    "Your current address has been told."
)


@bp.put("/email")
@operation(
    "changeEmail",
    tag="account",
    body=Body(EmailChangeIn),
    answers={202: (AcceptedOut, "A confirmation link went to the new address")},
    errors={
        403: "Re-authentication needed (`reauth_required`): send current_password",
        422: "Wrong current password, or not a new valid address",
        429: TOO_MANY_MAILS + ", or too many wrong passwords for this account (Retry-After)",
        503: NO_MAIL,
    },
    auth=True,
)
@authenticated
async def change_email(request: Request, email_change: EmailChangeService) -> HTTPResponse:
    """Ask to change the email address (a taken address gets the same answer)."""
    data = parse_json(request, EmailChangeIn)
    email = await email_change.request(
        principal=principal(request),
        new_email=data.new_email,
        current_password=data.current_password,
        base_url=public_base(request),
    )
    return private_json({"message": ASKED.format(email=email)}, status=202)


@bp.post("/email/confirm")
@operation(
    "confirmEmailChange",
    tag="auth",
    body=Body(VerifyIn),
    answers={204: (None, "The account now uses the new, verified address")},
    errors={400: BAD_LINK, 403: CROSS_SITE, 409: "Another account took the address meanwhile"},
)
async def confirm_email(request: Request, email_change: EmailChangeService) -> HTTPResponse:
    """Confirm a new email address with the token mailed to it."""
    check_origin(request)
    data = parse_json(request, VerifyIn)
    await email_change.confirm(token=data.token)
    return no_content()
