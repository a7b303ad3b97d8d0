"""Email verification: confirm the address with the mailed token, or ask for a new link."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from gamecoll.api.docs import secured
from gamecoll.api.mail_schemas import AcceptedOut, VerifyIn
from gamecoll.api.schemas import ErrorOut
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, check_origin, principal
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.verification import VerificationService

bp = Blueprint("verification", url_prefix="/auth/email")

JSON_ERROR = {"application/json": ErrorOut}


@bp.post("/verify")
@openapi.tag("verification")
@openapi.body({"application/json": VerifyIn}, required=True)
@openapi.response(204, None, "The email address is verified")
@openapi.response(
    400,
    JSON_ERROR,
    "The token is unknown, used or malformed (`token_invalid`) or expired "
    "(`token_expired`); nothing changed",
)
async def verify(request: Request, verification: VerificationService) -> HTTPResponse:
    """Verify the account's email address with the token from the mailed link."""
    check_origin(request)
    data = parse_json(request, VerifyIn)
    await verification.verify(token=data.token)
    return no_content()


@bp.post("/verify/resend")
@openapi.tag("verification")
@openapi.response(202, {"application/json": AcceptedOut}, "A new link is on its way")
@openapi.response(401, JSON_ERROR, "Not logged in")
@openapi.response(409, JSON_ERROR, "The address is already verified")
@openapi.response(429, JSON_ERROR, "Too many mails to this address")
@openapi.response(503, JSON_ERROR, "This server cannot send mail (code `mail_unavailable`)")
@secured
@authenticated
async def resend(request: Request, verification: VerificationService) -> HTTPResponse:
    """Send a new verification link to the signed-in user's address."""
    user = principal(request).user
    await verification.resend(user=user, base_url=public_base(request))
    message = f"A new link is on its way to {user.email}. It works for {verification.hours} hours."
    return private_json({"message": message}, status=202)
