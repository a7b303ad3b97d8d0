"""Forgotten passwords: ask for a reset link, and set a new password with it."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.auth import CROSS_SITE
from gamecoll.api.docs import Body, operation
from gamecoll.api.mail_schemas import BAD_LINK, NO_MAIL, AcceptedOut, ForgotIn, ResetIn
from gamecoll.http.body import parse_json
from gamecoll.http.guard import check_origin, client_ip
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.recovery import RecoveryService

bp = Blueprint("recovery", url_prefix="/auth/password")

FORGOT_MESSAGE = (
    "If an account uses this address, a link to reset its password is on its way. "
    "It works once, for {minutes} minutes."
)


@bp.post("/forgot")
@operation(
    "forgotPassword",
    tag="auth",
    body=Body(ForgotIn),
    answers={202: (AcceptedOut, "The same answer whether or not the account exists")},
    errors={
        403: CROSS_SITE,
        422: "Not an email address",
        429: "Too many requests from this address or to this email",
        503: NO_MAIL,
    },
)
async def forgot(request: Request, recovery: RecoveryService) -> HTTPResponse:
    """Mail a password-reset link to the account with this email, if there is one."""
    check_origin(request)
    data = parse_json(request, ForgotIn)
    await recovery.forgot(email=data.email, ip=client_ip(request), base_url=public_base(request))
    return private_json({"message": FORGOT_MESSAGE.format(minutes=recovery.minutes)}, status=202)


@bp.post("/reset")
@operation(
    "resetPassword",
    tag="auth",
    body=Body(ResetIn),
    answers={
        204: (None, "The password is changed; every session (and, if asked, token) has ended")
    },
    errors={
        400: BAD_LINK,
        403: CROSS_SITE,
        422: "The new password is too weak (the token stays usable)",
    },
)
async def reset(request: Request, recovery: RecoveryService) -> HTTPResponse:
    """Set a new password with the token from a reset link."""
    check_origin(request)
    data = parse_json(request, ResetIn)
    await recovery.reset(
        token=data.token,
        new_password=data.new_password,
        base_url=public_base(request),
        revoke_tokens=data.revoke_access_tokens,
    )
    return no_content()
