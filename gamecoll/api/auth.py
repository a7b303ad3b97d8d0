"""Auth endpoints: register, login, refresh, logout."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from gamecoll.api.docs import secured
from gamecoll.api.schemas import ErrorOut, LoginIn, LogoutIn, RefreshIn, RegisterIn, TokensOut
from gamecoll.errors import InvalidToken, NotAuthenticated
from gamecoll.http.body import parse_json, parse_json_or_form
from gamecoll.http.cookies import clear_auth_cookies, read_cookie
from gamecoll.http.guard import authenticate, check_origin, client_ip, user_agent
from gamecoll.http.links import public_base
from gamecoll.http.responses import no_content, token_response
from gamecoll.services.auth import AuthService
from gamecoll.services.sessions import SessionService
from gamecoll.services.verification import VerificationService

bp = Blueprint("auth", url_prefix="/auth")

JSON_TOKENS = {"application/json": TokensOut}
JSON_ERROR = {"application/json": ErrorOut}


@bp.post("/register")
@openapi.tag("auth")
@openapi.body({"application/json": RegisterIn}, required=True)
@openapi.response(201, JSON_TOKENS, "The new user, logged in")
@openapi.response(409, JSON_ERROR, "The email or username is taken")
@openapi.response(422, JSON_ERROR, "A field is not valid")
@openapi.response(429, JSON_ERROR, "Too many registrations from this address")
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
@openapi.tag("auth")
@openapi.body(
    {"application/json": LoginIn, "application/x-www-form-urlencoded": LoginIn}, required=True
)
@openapi.response(200, JSON_TOKENS, "Logged in")
@openapi.response(401, JSON_ERROR, "Unknown account or wrong password")
@openapi.response(403, JSON_ERROR, "The account is disabled (code `account_disabled`)")
@openapi.response(429, JSON_ERROR, "Too many attempts")
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
@openapi.tag("auth")
@openapi.body({"application/json": RefreshIn})
@openapi.response(200, JSON_TOKENS, "A new token pair; the old refresh token is spent")
@openapi.response(401, JSON_ERROR, "The refresh token is not valid, expired or reused")
async def refresh(request: Request, sessions: SessionService, auth: AuthService) -> HTTPResponse:
    """Exchange a refresh token (body or cookie) for a new pair."""
    data = parse_json(request, RefreshIn, allow_empty=True)
    token = data.refresh_token
    if not token:
        check_origin(request)
        token = read_cookie(request, request.app.ctx.cookie_names.refresh)
    if not token:
        raise NotAuthenticated("Send refresh_token in the body or the refresh cookie.")
    await auth.limiter.hit(action="refresh", ip=client_ip(request))
    try:
        tokens = await sessions.rotate(
            refresh_token=token, ip=client_ip(request), user_agent=user_agent(request)
        )
    except InvalidToken:
        request.ctx.clear_auth_cookies = True
        raise
    return token_response(request, tokens)


@bp.post("/logout")
@openapi.tag("auth")
@openapi.body({"application/json": LogoutIn})
@openapi.response(204, None, "Logged out; cookies cleared")
@secured
async def logout(request: Request, sessions: SessionService) -> HTTPResponse:
    """End this session (or every session with `all`) and clear the cookies."""
    data = parse_json(request, LogoutIn, allow_empty=True)
    try:
        principal = await authenticate(request)
    except (NotAuthenticated, InvalidToken):
        principal = None
    if principal is not None:
        if data.all:
            await sessions.end_all(user_id=principal.user.id, reason="logout_all")
        else:
            await sessions.end(session_id=principal.session.id, reason="logout")
    request.ctx.new_tokens = None
    response = no_content()
    clear_auth_cookies(response, request.app.ctx.cookie_names)
    return response
