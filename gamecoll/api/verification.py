"""Email verification: confirm the address with the mailed token, or ask for a new link."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.auth import CROSS_SITE
from gamecoll.api.docs import Body, operation
from gamecoll.api.mail_schemas import BAD_LINK, NO_MAIL, TOO_MANY_MAILS, AcceptedOut, VerifyIn
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, check_origin, principal
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.verification import VerificationService

bp = Blueprint("verification", url_prefix="/auth/email")


@bp.post("/verify")
@operation(
    "verifyEmail",
    tag="auth",
    body=Body(VerifyIn),
    answers={204: (None, "The email address is verified")},
    errors={400: BAD_LINK, 403: CROSS_SITE},
)
async def verify(request: Request, verification: VerificationService) -> HTTPResponse:
    """Verify the account's email address with the token from the mailed link."""
    check_origin(request)
    data = parse_json(request, VerifyIn)
    await verification.verify(token=data.token)
    return no_content()


@bp.post("/verify/resend")
@operation(
    "resendVerification",
    tag="account",
    answers={202: (AcceptedOut, "A new link is on its way")},
    errors={409: "The address is already verified", 429: TOO_MANY_MAILS, 503: NO_MAIL},
    auth=True,
)
@authenticated
async def resend(request: Request, verification: VerificationService) -> HTTPResponse:
    """Send a new verification link to the signed-in user's address."""
    user = principal(request).user
    await verification.resend(user=user, base_url=public_base(request))
    message = f"A new link is on its way to {user.email}. It works for {verification.hours} hours."
    return private_json({"message": message}, status=202)
