"""Forgotten passwords: ask for a reset link, and set a new password with it."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from gamecoll.api.mail_schemas import AcceptedOut, ForgotIn, ResetIn
from gamecoll.api.schemas import ErrorOut
from gamecoll.http.body import parse_json
from gamecoll.http.guard import check_origin, client_ip
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.recovery import RecoveryService

bp = Blueprint("recovery", url_prefix="/auth/password")

JSON_ERROR = {"application/json": ErrorOut}
FORGOT_MESSAGE = (
    "If an account uses this address, a link to reset its password is on its way. "
    "It works once, for {minutes} minutes."
)


@bp.post("/forgot")
@openapi.tag("recovery")
@openapi.body({"application/json": ForgotIn}, required=True)
@openapi.response(
    202, {"application/json": AcceptedOut}, "The same answer whether or not the account exists"
)
@openapi.response(422, JSON_ERROR, "Not an email address")
@openapi.response(429, JSON_ERROR, "Too many requests from this IP or to this address")
@openapi.response(503, JSON_ERROR, "This server cannot send mail (code `mail_unavailable`)")
async def forgot(request: Request, recovery: RecoveryService) -> HTTPResponse:
    """Mail a password-reset link to the account with this email, if there is one."""
    check_origin(request)
    data = parse_json(request, ForgotIn)
    await recovery.forgot(email=data.email, ip=client_ip(request), base_url=public_base(request))
    return private_json({"message": FORGOT_MESSAGE.format(minutes=recovery.minutes)}, status=202)


@bp.post("/reset")
@openapi.tag("recovery")
@openapi.body({"application/json": ResetIn}, required=True)
@openapi.response(204, None, "The password is changed; every session has ended")
@openapi.response(
    400,
    JSON_ERROR,
    "The token is unknown, used or malformed (`token_invalid`) or expired "
    "(`token_expired`); nothing changed",
)
@openapi.response(422, JSON_ERROR, "The new password is too weak (the token stays usable)")
async def reset(request: Request, recovery: RecoveryService) -> HTTPResponse:
    """Set a new password with the token from a reset link."""
    check_origin(request)
    data = parse_json(request, ResetIn)
    await recovery.reset(
        token=data.token, new_password=data.new_password, base_url=public_base(request)
    )
    return no_content()
