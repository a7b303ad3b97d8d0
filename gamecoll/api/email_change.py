"""Changing the email address: ask with the password, confirm with the mailed token."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from gamecoll.api.docs import secured
from gamecoll.api.mail_schemas import AcceptedOut, EmailChangeIn, VerifyIn
from gamecoll.api.schemas import ErrorOut
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, check_origin, principal
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.email_change import EmailChangeService

bp = Blueprint("email_change", url_prefix="/auth")

JSON_ERROR = {"application/json": ErrorOut}
ASKED = (
    "A link is on its way to {email}; the address changes when it is used. "
    "Your current address has been told."
)


@bp.put("/email")
@openapi.tag("account")
@openapi.body({"application/json": EmailChangeIn}, required=True)
@openapi.response(
    202, {"application/json": AcceptedOut}, "A confirmation link went to the new address"
)
@openapi.response(401, JSON_ERROR, "Not logged in")
@openapi.response(422, JSON_ERROR, "Wrong current password, or not a new valid address")
@openapi.response(429, JSON_ERROR, "Too many mails to this address")
@openapi.response(503, JSON_ERROR, "This server cannot send mail (code `mail_unavailable`)")
@secured
@authenticated
async def change_email(request: Request, email_change: EmailChangeService) -> HTTPResponse:
    """Ask to change the email address (a taken address gets the same answer)."""
    data = parse_json(request, EmailChangeIn)
    await email_change.request(
        user=principal(request).user,
        new_email=data.new_email,
        current_password=data.current_password,
        base_url=public_base(request),
    )
    email = data.new_email.strip().lower()
    return private_json({"message": ASKED.format(email=email)}, status=202)


@bp.post("/email/confirm")
@openapi.tag("account")
@openapi.body({"application/json": VerifyIn}, required=True)
@openapi.response(204, None, "The account now uses the new, verified address")
@openapi.response(
    400,
    JSON_ERROR,
    "The token is unknown, used or malformed (`token_invalid`) or expired "
    "(`token_expired`); nothing changed",
)
@openapi.response(409, JSON_ERROR, "Another account took the address meanwhile")
async def confirm_email(request: Request, email_change: EmailChangeService) -> HTTPResponse:
    """Confirm a new email address with the token mailed to it."""
    check_origin(request)
    data = parse_json(request, VerifyIn)
    await email_change.confirm(token=data.token)
    return no_content()
