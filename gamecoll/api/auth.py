"""Auth endpoints: register, login, refresh, logout."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Body, operation
from gamecoll.api.schemas import LoginIn, LogoutIn, RefreshIn, RegisterIn, TokensOut
from gamecoll.errors import InvalidToken, NotAuthenticated
from gamecoll.http.body import parse_json, parse_json_or_form
from gamecoll.http.cookies import AuthCookies, end_cookies
from gamecoll.http.guard import check_origin, client_ip, optional_principal, user_agent
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, token_response
from gamecoll.services.auth import AuthService
from gamecoll.services.reauth import Reauth
from gamecoll.services.sessions import SessionService
from gamecoll.services.verification import VerificationService

bp = Blueprint("auth", url_prefix="/auth")

CROSS_SITE = "Cookie-less browser request from a site that is not allowed (Origin/Referer)"


@bp.post("/register")
@operation(
    "register",
    tag="auth",
    body=Body(RegisterIn),
    answers={201: (TokensOut, "The new user, logged in (the tokens are also set as cookies)")},
    errors={
        403: CROSS_SITE,
        409: "The email or username is taken",
        429: "Too many registrations from this address",
    },
)
async def register(
    request: Request, auth: AuthService, verification: VerificationService
) -> HTTPResponse:
    """Register a new account, log it in, and mail a link to verify its address."""
    check_origin(request)
    data = parse_json(request, RegisterIn)
    tokens = await auth.register(
        email=data.email,
        password=data.password,
        username=data.username,
        gpu_endpoint=data.gpu_endpoint,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    await verification.registered(user=tokens.user, base_url=public_base(request))
    return token_response(request, tokens, status=201)


@bp.post("/login")
@operation(
    "login",
    tag="auth",
    body=Body(LoginIn, form="LoginForm"),
    answers={200: (TokensOut, "Logged in (the tokens are also set as cookies)")},
    errors={
        401: "Unknown account or wrong password",
        403: CROSS_SITE + ", or the account is disabled (code `account_disabled`)",
        429: "Too many attempts for this account or address",
    },
)
async def login(request: Request, auth: AuthService) -> HTTPResponse:
    """Log in with email or username and password (JSON or the OAuth2 password form)."""
    check_origin(request)
    data = parse_json_or_form(request, LoginIn)
    tokens = await auth.login(
        identifier=data.identifier,
        password=data.password,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    return token_response(request, tokens)


@bp.post("/refresh")
@operation(
    "refreshTokens",
    tag="auth",
    body=Body(RefreshIn, required=False),
    answers={200: (TokensOut, "A new token pair; the old refresh token is spent")},
    errors={
        401: "No refresh token, or it is not valid, expired or reused",
        403: CROSS_SITE,
        429: "Too many refreshes from this address",
    },
)
async def refresh(request: Request, sessions: SessionService, cookies: AuthCookies) -> HTTPResponse:
    """Exchange a refresh token (body or cookie) for a new pair."""
    data = parse_json(request, RefreshIn, allow_empty=True)
    token = data.refresh_token
    if not token:
        check_origin(request)
        token = cookies.refresh(request)
    if not token:
        raise NotAuthenticated("Send refresh_token in the body or the refresh cookie.")
    try:
        tokens = await sessions.rotate(
            refresh_token=token, ip=client_ip(request), user_agent=user_agent(request)
        )
    except InvalidToken:
        end_cookies(request)
        raise
    return token_response(request, tokens)


@bp.post("/logout")
@operation(
    "logout",
    tag="auth",
    body=Body(LogoutIn, required=False),
    answers={204: (None, "Logged out (also when the token had already ended); cookies cleared")},
    errors={
        403: "With `all`: re-authentication needed (`reauth_required`); send current_password",
        422: "With `all`: the current password is not right",
        429: "Too many wrong passwords for this account; wait as long as Retry-After says",
    },
    auth="optional",
)
async def logout(request: Request, sessions: SessionService, reauth: Reauth) -> HTTPResponse:
    """End this session (or every session with `all`) and clear the cookies.

    Ending every session needs `current_password`, or a login or re-authentication in the
    last 5 minutes.
    """
    data = parse_json(request, LogoutIn, allow_empty=True)
    found = await optional_principal(request)
    if found is not None:
        if data.all:
            await reauth.require(found, data.current_password)
        await sessions.log_out(found, everywhere=data.all)
    end_cookies(request)
    return no_content()
