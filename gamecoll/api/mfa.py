"""The second factor: set up, confirm and turn off the authenticator app, recovery codes,
finishing a login with a code, and re-authentication before sensitive changes."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Body, operation
from gamecoll.api.schemas import TokensOut
from gamecoll.api.security_schemas import (
    MfaLoginIn,
    PasswordOptionalIn,
    ReauthIn,
    ReauthOut,
    RecoveryCodesOut,
    SecondFactorOut,
    TotpConfirmIn,
    TotpDisableIn,
    TotpSetupOut,
)
from gamecoll.errors import ValidationFailed
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, check_origin, client_ip, principal, user_agent
from gamecoll.http.responses import no_content, private_json, token_response
from gamecoll.services.mfa import MfaService, Proof
from gamecoll.services.reauth import Reauth
from gamecoll.services.totp import TotpService

bp = Blueprint("mfa", url_prefix="/auth")


def proof_of(code: str | None, passkey: dict[str, Any] | None) -> Proof | None:
    """The second factor a body offers: a passkey's answer, or a code (None: neither)."""
    if code is not None and passkey is not None:
        raise ValidationFailed(fields={"passkey": "Send code or passkey, not both."})
    if passkey is not None:
        return Proof("passkey", passkey)
    return Proof("code", code) if code else None


def required_proof(code: str | None, passkey: dict[str, Any] | None) -> Proof:
    """The second factor a login's second step must offer: a code or a passkey's answer."""
    proof = proof_of(code, passkey)
    if proof is None:
        raise ValidationFailed(fields={"code": "This field is required (or send passkey)."})
    return proof


REAUTH = (
    "Re-authentication needed (code `reauth_required`): send current_password, or confirm "
    "at `reauthenticate` first"
)
WRONG_CODE = "The code is wrong (`code_invalid`) or was already used (`code_reused`)"
GUESSES = "Too many wrong passwords or codes for this account; wait as long as Retry-After says"


@bp.get("/mfa")
@operation(
    "getSecondFactor",
    tag="security",
    answers={200: (SecondFactorOut, "Which second factors are on")},
    auth=True,
)
@authenticated
async def second_factor(request: Request, mfa: MfaService, totp: TotpService) -> HTTPResponse:
    """Show whether a second factor is on and how many recovery codes are left."""
    user = principal(request).user
    return private_json(
        {
            "totp": await totp.enabled(user.id),
            "recovery_codes_left": await totp.recovery_codes_left(user.id),
            "methods": await mfa.methods(user.id),
        }
    )


@bp.post("/mfa/totp/setup")
@operation(
    "setupTotp",
    tag="security",
    body=Body(PasswordOptionalIn, required=False),
    answers={200: (TotpSetupOut, "A new secret, not on until `confirmTotp`")},
    errors={403: REAUTH, 409: "An authenticator app is already on", 429: GUESSES},
    auth=True,
)
@authenticated
async def setup_totp(request: Request, reauth: Reauth, totp: TotpService) -> HTTPResponse:
    """Start setting up an authenticator app: a secret and its QR code (nothing is on yet)."""
    data = parse_json(request, PasswordOptionalIn, allow_empty=True)
    who = principal(request)
    await reauth.require(who, data.current_password)
    made = await totp.setup(who.user)
    return private_json(
        {"secret": made.secret, "otpauth_uri": made.otpauth_uri, "qr_svg": made.qr_svg}
    )


@bp.post("/mfa/totp/confirm")
@operation(
    "confirmTotp",
    tag="security",
    body=Body(TotpConfirmIn),
    answers={200: (RecoveryCodesOut, "The app is on; ten recovery codes, shown once")},
    errors={400: WRONG_CODE, 409: "No set-up is waiting, or the app is already on"},
    auth=True,
)
@authenticated
async def confirm_totp(request: Request, totp: TotpService) -> HTTPResponse:
    """Turn the authenticator app on with a first code; answers the recovery codes once."""
    data = parse_json(request, TotpConfirmIn)
    codes = await totp.confirm(principal(request).user, data.code)
    return private_json({"recovery_codes": codes})


@bp.delete("/mfa/totp")
@operation(
    "disableTotp",
    tag="security",
    body=Body(TotpDisableIn),
    answers={204: (None, "The authenticator app and its recovery codes are gone")},
    errors={
        400: WRONG_CODE,
        403: REAUTH,
        409: "No authenticator app is on",
        422: "Wrong current password",
        429: GUESSES,
    },
    auth=True,
)
@authenticated
async def disable_totp(
    request: Request, reauth: Reauth, mfa: MfaService, totp: TotpService
) -> HTTPResponse:
    """Turn the authenticator app off, with the password and a code (or a recovery code)."""
    data = parse_json(request, TotpDisableIn)
    who = principal(request)
    await reauth.require(who, data.current_password)
    await mfa.verify(who.user, Proof("code", data.code))
    await totp.disable(who.user)
    return no_content()


@bp.post("/mfa/recovery-codes")
@operation(
    "renewRecoveryCodes",
    tag="security",
    body=Body(PasswordOptionalIn, required=False),
    answers={200: (RecoveryCodesOut, "Ten new codes, shown once; the old ones stop working")},
    errors={403: REAUTH, 409: "No authenticator app is on", 429: GUESSES},
    auth=True,
)
@authenticated
async def renew_recovery_codes(request: Request, reauth: Reauth, totp: TotpService) -> HTTPResponse:
    """Make a new set of recovery codes (the old set stops working)."""
    data = parse_json(request, PasswordOptionalIn, allow_empty=True)
    who = principal(request)
    await reauth.require(who, data.current_password)
    return private_json({"recovery_codes": await totp.renew_codes(who.user)})


@bp.post("/login/mfa")
@operation(
    "loginSecondFactor",
    tag="auth",
    body=Body(MfaLoginIn),
    answers={200: (TokensOut, "Logged in (the tokens are also set as cookies)")},
    errors={
        400: WRONG_CODE + "; or a passkey answer that is malformed or for another challenge, "
        "origin or relying party (`passkey_*`, see `loginWithPasskey`)",
        401: "The mfa_token is unknown or used (`mfa_token_invalid`) or expired "
        "(`mfa_token_expired`): log in again; or the passkey is not one of the account's "
        "(`passkey_unknown`) or did not verify (`passkey_rejected`, "
        "`passkey_counter_regressed`)",
        403: "Cross-site request, or the account is disabled (`account_disabled`)",
        429: GUESSES,
    },
)
async def login_second_factor(request: Request, mfa: MfaService) -> HTTPResponse:
    """Finish a login that answered `mfa_required`: the mfa_token and a code or a passkey."""
    check_origin(request)
    data = parse_json(request, MfaLoginIn)
    tokens = await mfa.complete(
        mfa_token=data.mfa_token,
        proof=required_proof(data.code, data.passkey),
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    return token_response(request, tokens)


@bp.post("/reauth")
@operation(
    "reauthenticate",
    tag="security",
    body=Body(ReauthIn),
    answers={200: (ReauthOut, "Confirmed: sensitive changes need no password for 5 minutes")},
    errors={
        400: WRONG_CODE + ", or a passkey answer that is malformed or for another challenge",
        401: "The passkey is not one of the account's, or did not verify",
        409: "A code was sent but no second factor is on",
        422: "Neither password, code nor passkey, or a wrong password",
        429: GUESSES,
    },
    auth=True,
)
@authenticated
async def reauthenticate(request: Request, reauth: Reauth) -> HTTPResponse:
    """Confirm it is you, with the password or a second factor, for the next 5 minutes."""
    data = parse_json(request, ReauthIn)
    method = await reauth.confirm(
        principal(request),
        password=data.password,
        proof=proof_of(data.code, data.passkey),
    )
    return private_json({"method": method, "valid_for": int(reauth.window.total_seconds())})
