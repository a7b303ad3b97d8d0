"""Who is calling: bearer or cookie authentication, CSRF checks and the client's address.

One `Guard` per app holds what authentication needs (the session service, the verification
rule, the auth cookies, the allowed origins), given when the app is built (`install_guard`).
Handlers use the module's functions (`authenticated`, `principal`, `check_origin`...), which
find the app's guard. A credential is a bearer token or the cookies; `Guard._bearer` and
`Guard._cookies` each check one kind; a bearer token with the `gcp_` prefix is a personal
access token (`Guard._access_token`), allowed only within the scopes its route declares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from sanic import HTTPResponse, Request, Sanic

from gamecoll.errors import CsrfFailed, EmailUnverified, InvalidToken, NotAuthenticated
from gamecoll.http.body import FORM_TYPES, form_data, media_type
from gamecoll.http.cookies import AuthCookies, end_cookies, issue_cookies
from gamecoll.http.links import own_origin
from gamecoll.http.scopes import check_scopes
from gamecoll.security.access_tokens import looks_like_access_token
from gamecoll.security.csrf import csrf_token_matches, origin_allowed
from gamecoll.services.access_tokens import AccessTokenService
from gamecoll.services.sessions import NO_SESSION, ExtendedCheck, Principal, SessionService
from gamecoll.services.verification import VerificationService

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


def bearer_token(request: Request) -> str | None:
    """Return the request's bearer token (None without an Authorization header)."""
    header: str | None = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send the access token as `Authorization: Bearer <token>`.")
    return token.strip()


def presented_csrf_token(request: Request) -> str | None:
    """Return the CSRF token from the header, or from a form field."""
    token: str | None = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if media_type(request) in FORM_TYPES:
        value = form_data(request).get(CSRF_FIELD)
        return value or None
    return None


class Guard:
    """Authenticate requests and refuse cross-site state changes."""

    def __init__(
        self,
        *,
        sessions: SessionService,
        verification: VerificationService,
        cookies: AuthCookies,
        allowed_origins: tuple[str, ...],
        access_tokens: AccessTokenService,
    ) -> None:
        self.sessions = sessions
        self.access_tokens = access_tokens
        self.verification = verification
        self.cookies = cookies
        self.allowed_origins = allowed_origins

    def check_origin(self, request: Request) -> None:
        """Refuse a state-changing browser request sent from another site."""
        if request.method in SAFE_METHODS or request.headers.get("authorization"):
            return
        if not origin_allowed(
            origin=request.headers.get("origin"),
            referer=request.headers.get("referer"),
            own_origin=own_origin(request),
            allowed_origins=self.allowed_origins,
        ):
            raise CsrfFailed("This request came from a site that is not allowed.")

    def check_csrf(self, request: Request, expected: str) -> None:
        """Refuse a cookie-authenticated state change without this session's CSRF token."""
        self.check_origin(request)
        if not csrf_token_matches(expected, presented_csrf_token(request)):
            raise CsrfFailed()

    def check_verified(self, request: Request, found: Principal) -> None:
        """Refuse the collection to an unverified account when verification is required."""
        if request.path.startswith(VERIFIED_ONLY) and self.verification.blocks(found.user):
            raise EmailUnverified()

    async def authenticate(self, request: Request) -> Principal:
        """Authenticate by bearer token or by cookie (refreshing an expired access cookie)."""
        token = bearer_token(request)
        if token is not None and looks_like_access_token(token):
            return await self._access_token(request, token)
        if token is not None:
            return await self._bearer(token)
        return await self._cookies(request)

    async def authenticate_reading(
        self, request: Request, check: ExtendedCheck
    ) -> tuple[Principal, Mapping[str, Any] | None]:
        """Authenticate and check the verification rule; with a bearer access token, run the
        session check that a route extended with its own read, and return its row too.

        Other credentials authenticate as usual and get None: the caller reads for itself.
        """
        token = bearer_token(request)
        if token is None or looks_like_access_token(token):
            found = await self.authenticate(request)
            row = None
        else:
            found, row = await self.sessions.authenticate_reading(access_token=token, check=check)
        self.check_verified(request, found)
        return found, row

    async def _bearer(self, token: str) -> Principal:
        """Check a bearer access token (no CSRF: a browser never sends one by itself)."""
        return await self.sessions.authenticate(access_token=token)

    async def _access_token(self, request: Request, token: str) -> Principal:
        """Check a personal access token and that its route takes one of its scopes.

        A token has no session and needs no CSRF token; routes that declare no scopes (the
        pages, managing tokens, factors, the password or the account) refuse it.
        """
        grant = await self.access_tokens.authenticate(token)
        check_scopes(request, grant.scopes)
        return Principal(
            user=grant.user, session=NO_SESSION, token_id=grant.id, scopes=grant.scopes
        )

    async def _cookies(self, request: Request) -> Principal:
        """Check the access cookie, or spend the refresh cookie when it has expired."""
        access = self.cookies.access(request)
        found: Principal | None = None
        if access:
            try:
                found = await self.sessions.authenticate(access_token=access)
            except InvalidToken:
                found = None
        if found is None:
            refresh = self.cookies.refresh(request)
            if not refresh:
                if access:
                    end_cookies(request)
                    raise InvalidToken("Your session has ended; log in again.")
                raise NotAuthenticated()
            try:
                tokens = await self.sessions.rotate(
                    refresh_token=refresh, ip=client_ip(request), user_agent=user_agent(request)
                )
            except InvalidToken:
                end_cookies(request)
                raise
            issue_cookies(request, tokens)
            found = Principal(user=tokens.user, session=tokens.session)
        if request.method not in SAFE_METHODS:
            self.check_csrf(request, found.session.csrf_token)
        return found


def install_guard(app: Sanic[Any, Any], guard: Guard) -> None:
    """Make `guard` the app's guard, the one the functions below use."""
    app.ctx.guard = guard


def guard_of(request: Request) -> Guard:
    """Return the guard of the request's app."""
    found: Guard = request.app.ctx.guard
    return found


def check_origin(request: Request) -> None:
    """Refuse a state-changing browser request sent from another site."""
    guard_of(request).check_origin(request)


async def authenticate(request: Request) -> Principal:
    """Authenticate by bearer token or by cookie (refreshing an expired access cookie)."""
    return await guard_of(request).authenticate(request)


async def authenticate_reading(
    request: Request, check: ExtendedCheck
) -> tuple[Principal, Mapping[str, Any] | None]:
    """Authenticate; with a bearer token, run the extended session check (`Guard`'s method)."""
    return await guard_of(request).authenticate_reading(request, check)


async def optional_principal(request: Request) -> Principal | None:
    """Return the caller's user and session, or None when no live credential came with it."""
    try:
        return await authenticate(request)
    except (NotAuthenticated, InvalidToken):
        return None


def authenticated(handler: H) -> H:
    """Require a logged-in user; the handler finds it with `principal(request)`."""

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        guard = guard_of(request)
        request.ctx.principal = found = await guard.authenticate(request)
        guard.check_verified(request, found)
        return await handler(request, *args, **kwargs)

    return cast(H, wrapper)


def principal(request: Request) -> Principal:
    """Return the user and session that `authenticated` put on the request."""
    found: Principal = request.ctx.principal
    return found
