"""Passkeys (WebAuthn): register, log in without a password, list, rename and remove."""

from __future__ import annotations

import uuid

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.auth import CROSS_SITE
from gamecoll.api.docs import Body, operation
from gamecoll.api.mfa import GUESSES, REAUTH
from gamecoll.api.passkey_schemas import (
    LoginOptionsIn,
    LoginVerifyIn,
    PasskeyOut,
    PasskeysOut,
    RegisterVerifyIn,
    RemoveIn,
    RenameIn,
    WebAuthnOptionsOut,
    passkey_json,
)
from gamecoll.api.schemas import TokensOut
from gamecoll.api.security_schemas import PasswordOptionalIn
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, check_origin, client_ip, principal
from gamecoll.http.links import own_origin
from gamecoll.http.responses import no_content, private_json, token_response
from gamecoll.services.mfa import MfaService
from gamecoll.services.passkeys import PasskeyService

bp = Blueprint("passkeys", url_prefix="/auth/passkeys")

UNAVAILABLE = (
    "Passkeys are not set up: production needs PUBLIC_BASE_URL, and browsers need a domain "
    "name, not an IP address (code `passkeys_unavailable`)"
)
NEED_DOMAIN = (
    "In development without PUBLIC_BASE_URL, the site was reached by an IP address "
    "(`passkeys_need_domain`): open it by a name such as localhost"
)
BAD_ANSWER = NEED_DOMAIN + (
    "; or the answer is malformed (`passkey_malformed`), its challenge is unknown or used "
    "(`passkey_challenge_invalid`) or expired (`passkey_challenge_expired`), or it was made "
    "for another origin (`passkey_origin_mismatch`) or relying party (`passkey_rp_mismatch`)"
)


@bp.post("/register/options")
@operation(
    "passkeyRegistrationOptions",
    tag="passkeys",
    body=Body(PasswordOptionalIn, required=False),
    answers={200: (WebAuthnOptionsOut, "Options for `navigator.credentials.create()`")},
    errors={
        400: NEED_DOMAIN,
        403: REAUTH,
        409: "The account has 20 passkeys already",
        422: "The password is not right",
        429: GUESSES,
        503: UNAVAILABLE,
    },
    auth=True,
)
@authenticated
async def register_options(request: Request, passkeys: PasskeyService) -> HTTPResponse:
    """Start adding a passkey (a factor: the password, or a proof in the last 5 minutes)."""
    data = parse_json(request, PasswordOptionalIn, allow_empty=True)
    rp = passkeys.relying_party(own_origin(request))
    options = await passkeys.registration_options(
        principal=principal(request), rp=rp, current_password=data.current_password
    )
    return private_json(options)


@bp.post("/register/verify")
@operation(
    "registerPasskey",
    tag="passkeys",
    body=Body(RegisterVerifyIn),
    answers={201: (PasskeyOut, "The passkey is registered; it can log in from now on")},
    errors={
        400: BAD_ANSWER,
        401: "The attestation did not verify (`passkey_rejected`)",
        409: "This passkey is registered already",
        422: "The name is not valid",
        503: UNAVAILABLE,
    },
    auth=True,
)
@authenticated
async def register_verify(request: Request, passkeys: PasskeyService) -> HTTPResponse:
    """Finish registering a passkey with the browser's answer, under a name."""
    data = parse_json(request, RegisterVerifyIn)
    passkey = await passkeys.register(
        user=principal(request).user,
        credential=data.credential,
        name=data.name,
        rp=passkeys.relying_party(own_origin(request)),
    )
    return private_json(passkey_json(passkey), status=201)


@bp.post("/login/options")
@operation(
    "passkeyLoginOptions",
    tag="passkeys",
    body=Body(LoginOptionsIn, required=False),
    answers={200: (WebAuthnOptionsOut, "Options for `navigator.credentials.get()`")},
    errors={
        400: NEED_DOMAIN,
        401: "The mfa_token is unknown, used or expired (`mfa_token_invalid`, "
        "`mfa_token_expired`), or its account has no passkey (`passkey_unknown`)",
        403: CROSS_SITE,
        429: "Too many attempts from this address",
        503: UNAVAILABLE,
    },
)
async def login_options(
    request: Request, passkeys: PasskeyService, mfa: MfaService
) -> HTTPResponse:
    """Start logging in with a passkey alone, or passing a login's second step with one."""
    check_origin(request)
    data = parse_json(request, LoginOptionsIn, allow_empty=True)
    user = await mfa.pending_user(data.mfa_token) if data.mfa_token else None
    options = await passkeys.login_options(
        rp=passkeys.relying_party(own_origin(request)), ip=client_ip(request), user=user
    )
    return private_json(options)


@bp.post("/reauth/options")
@operation(
    "passkeyReauthOptions",
    tag="passkeys",
    answers={200: (WebAuthnOptionsOut, "Options for `navigator.credentials.get()`")},
    errors={
        400: NEED_DOMAIN,
        401: "The account has no passkey (`passkey_unknown`)",
        429: "Too many attempts from this address",
        503: UNAVAILABLE,
    },
    auth=True,
)
@authenticated
async def reauth_options(request: Request, passkeys: PasskeyService) -> HTTPResponse:
    """Start confirming it is you with a passkey (then `reauthenticate` with `passkey`)."""
    options = await passkeys.login_options(
        rp=passkeys.relying_party(own_origin(request)),
        ip=client_ip(request),
        user=principal(request).user,
    )
    return private_json(options)


@bp.post("/login/verify")
@operation(
    "loginWithPasskey",
    tag="passkeys",
    body=Body(LoginVerifyIn),
    answers={200: (TokensOut, "Logged in (the tokens are also set as cookies)")},
    errors={
        400: BAD_ANSWER,
        401: "No such passkey here (`passkey_unknown`), the signature or user verification "
        "failed (`passkey_rejected`), or its counter went back (`passkey_counter_regressed`)",
        403: CROSS_SITE + ", or the account is disabled (code `account_disabled`)",
        429: "Too many attempts from this address",
        503: UNAVAILABLE,
    },
)
async def login_verify(request: Request, passkeys: PasskeyService) -> HTTPResponse:
    """Log in with the browser's passkey answer."""
    check_origin(request)
    data = parse_json(request, LoginVerifyIn)
    tokens = await passkeys.login(
        credential=data.credential,
        rp=passkeys.relying_party(own_origin(request)),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:512],
    )
    return token_response(request, tokens)


@bp.get("")
@operation(
    "listPasskeys",
    tag="passkeys",
    answers={200: (PasskeysOut, "The account's passkeys, oldest first")},
    auth=True,
)
@authenticated
async def list_passkeys(request: Request, passkeys: PasskeyService) -> HTTPResponse:
    """List the account's passkeys with their names and last use."""
    found = await passkeys.list(user=principal(request).user)
    return private_json({"passkeys": [passkey_json(p) for p in found]})


@bp.patch("/<passkey_id:uuid>")
@operation(
    "renamePasskey",
    tag="passkeys",
    body=Body(RenameIn),
    answers={200: (PasskeyOut, "The passkey with its new name")},
    errors={404: "No such passkey of yours", 422: "The name is not valid"},
    auth=True,
)
@authenticated
async def rename_passkey(
    request: Request, passkey_id: uuid.UUID, passkeys: PasskeyService
) -> HTTPResponse:
    """Rename one of the account's passkeys."""
    data = parse_json(request, RenameIn)
    passkey = await passkeys.rename(
        user=principal(request).user, passkey_id=passkey_id, name=data.name
    )
    return private_json(passkey_json(passkey))


@bp.delete("/<passkey_id:uuid>")
@operation(
    "removePasskey",
    tag="passkeys",
    body=Body(RemoveIn, required=False),
    answers={204: (None, "The passkey is removed; it cannot log in any more")},
    errors={
        403: REAUTH,
        404: "No such passkey of yours",
        422: "The password is not right",
        429: GUESSES,
    },
    auth=True,
)
@authenticated
async def remove_passkey(
    request: Request, passkey_id: uuid.UUID, passkeys: PasskeyService
) -> HTTPResponse:
    """Remove a passkey, with the password or a proof of the user in the last 5 minutes."""
    data = parse_json(request, RemoveIn, allow_empty=True)
    await passkeys.remove(
        principal=principal(request), passkey_id=passkey_id, current_password=data.current_password
    )
    return no_content()
