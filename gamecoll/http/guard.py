"""Who is calling: bearer or cookie authentication, CSRF checks and the client's address."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar, cast

from sanic import HTTPResponse, Request

from gamecoll.errors import CsrfFailed, EmailUnverified, InvalidToken, NotAuthenticated
from gamecoll.http.body import FORM_TYPES, form_data, media_type
from gamecoll.http.cookies import read_cookie
from gamecoll.http.scopes import check_scopes
from gamecoll.models import Item
from gamecoll.security.access_tokens import looks_like_access_token
from gamecoll.security.csrf import csrf_token_matches, origin_allowed
from gamecoll.services.sessions import NO_SESSION, Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# With REQUIRE_EMAIL_VERIFICATION, these need a verified address (settings and login do not).
VERIFIED_ONLY = ("/collection", "/gallery")

H = TypeVar("H", bound=Callable[..., Awaitable[HTTPResponse]])


def client_ip(request: Request) -> str:
    """Return the client's address; proxy headers count only when a proxy is trusted."""
    return str(request.remote_addr or request.ip or "unknown")


def user_agent(request: Request) -> str:
    """Return the User-Agent header, cut to a storable length."""
    return request.headers.get("user-agent", "")[:512]


def own_origin(request: Request) -> str:
    """Return this site's origin as the browser sees it."""
    return f"{request.scheme}://{request.host}"


def check_origin(request: Request) -> None:
    """Refuse a state-changing browser request sent from another site."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return
    if not origin_allowed(
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        own_origin=own_origin(request),
        allowed_origins=request.app.ctx.settings.allowed_origins,
    ):
        raise CsrfFailed("This request came from a site that is not allowed.")


def presented_csrf_token(request: Request) -> str | None:
    """Return the CSRF token from the header, or from a form field."""
    token: str | None = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if media_type(request) in FORM_TYPES:
        value = form_data(request).get(CSRF_FIELD)
        return value or None
    return None


def check_csrf(request: Request, expected: str) -> None:
    """Refuse a cookie-authenticated state change without this session's CSRF token."""
    check_origin(request)
    if not csrf_token_matches(expected, presented_csrf_token(request)):
        raise CsrfFailed()


def bearer_token(request: Request) -> str | None:
    """Return the request's bearer token (None without an Authorization header)."""
    header: str | None = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send the access token as `Authorization: Bearer <token>`.")
    return token.strip()


async def authenticate_with_item(
    request: Request, item_id: uuid.UUID
) -> tuple[Principal, Item | None]:
    """Authenticate, and with a bearer token read the user's item in the same query.

    Cookie requests (which may need a refresh) authenticate as usual and get None: the
    caller reads the item itself.
    """
    token = bearer_token(request)
    if token is None or looks_like_access_token(token):
        return await authenticate(request), None
    found = await request.app.ctx.services.sessions.authenticate_with_item(
        access_token=token, item_id=item_id
    )
    request.ctx.auth_via = "bearer"
    check_verified(request, found[0])
    return cast(tuple[Principal, Item | None], found)


async def authenticate(request: Request) -> Principal:
    """Authenticate by Bearer token or by cookie (refreshing an expired access cookie)."""
    services = request.app.ctx.services
    token = bearer_token(request)
    if token is not None and looks_like_access_token(token):
        return await authenticate_access_token(request, token)
    if token is not None:
        principal: Principal = await services.sessions.authenticate(access_token=token)
        request.ctx.auth_via = "bearer"
        return principal
    names = request.app.ctx.cookie_names
    access = read_cookie(request, names.access)
    found: Principal | None = None
    if access:
        try:
            found = await services.sessions.authenticate(access_token=access)
        except InvalidToken:
            found = None
    if found is None:
        refresh = read_cookie(request, names.refresh)
        if not refresh:
            if access:
                request.ctx.clear_auth_cookies = True
                raise InvalidToken("Your session has ended; log in again.")
            raise NotAuthenticated()
        try:
            tokens = await services.sessions.rotate(
                refresh_token=refresh, ip=client_ip(request), user_agent=user_agent(request)
            )
        except InvalidToken:
            request.ctx.clear_auth_cookies = True
            raise
        request.ctx.new_tokens = tokens
        found = Principal(user=tokens.user, session=tokens.session)
    request.ctx.auth_via = "cookie"
    if request.method not in SAFE_METHODS:
        check_csrf(request, found.session.csrf_token)
    return found


async def authenticate_access_token(request: Request, token: str) -> Principal:
    """Authenticate a personal access token, within the scopes the route declares.

    A token has no session: no CSRF check (a browser never sends the header by itself), and
    routes without scopes (the pages, managing tokens, factors or the account) refuse it.
    """
    grant = await request.app.ctx.services.access_tokens.authenticate(token)
    check_scopes(request, grant.scopes)
    request.ctx.auth_via = "access_token"
    return Principal(user=grant.user, session=NO_SESSION, token_id=grant.id, scopes=grant.scopes)


def authenticated(handler: H) -> H:
    """Require a logged-in user; the handler finds it with `principal(request)`."""

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        request.ctx.principal = await authenticate(request)
        check_verified(request, request.ctx.principal)
        return await handler(request, *args, **kwargs)

    return cast(H, wrapper)


def check_verified(request: Request, found: Principal) -> None:
    """Refuse the collection to an unverified account when REQUIRE_EMAIL_VERIFICATION is on."""
    if request.path.startswith(VERIFIED_ONLY) and request.app.ctx.services.verification.blocks(
        found.user
    ):
        raise EmailUnverified()


def principal(request: Request) -> Principal:
    """Return the user and session that `authenticated` put on the request."""
    found: Principal = request.ctx.principal
    return found
