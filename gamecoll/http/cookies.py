"""Auth cookies: HttpOnly tokens, a readable CSRF cookie, `__Host-` names in production."""

from __future__ import annotations

from dataclasses import dataclass

from sanic import HTTPResponse, Request

from gamecoll.config import Settings
from gamecoll.services.sessions import IssuedTokens


@dataclass(frozen=True)
class CookieNames:
    """The cookie names in use; production adds the `__Host-` prefix."""

    access: str
    refresh: str
    csrf: str
    secure: bool


def cookie_names(settings: Settings) -> CookieNames:
    """Pick the cookie names and the Secure flag for this deployment."""
    if settings.production:
        return CookieNames("__Host-gc_access", "__Host-gc_refresh", "__Host-gc_csrf", True)
    return CookieNames("gc_access", "gc_refresh", "gc_csrf", False)


def read_cookie(request: Request, name: str) -> str | None:
    """Return a cookie's value, or None when it is absent or empty."""
    value = request.cookies.get(name)
    return value or None


def set_auth_cookies(response: HTTPResponse, tokens: IssuedTokens, names: CookieNames) -> None:
    """Set the access, refresh and CSRF cookies from a fresh token pair."""
    for key, value, max_age, httponly in (
        (names.access, tokens.access_token, tokens.expires_in, True),
        (names.refresh, tokens.refresh_token, tokens.refresh_expires_in, True),
        (names.csrf, tokens.csrf_token, tokens.refresh_expires_in, False),
    ):
        response.add_cookie(
            key,
            value,
            path="/",
            max_age=max_age,
            httponly=httponly,
            secure=names.secure,
            samesite="Lax",
        )


def clear_auth_cookies(response: HTTPResponse, names: CookieNames) -> None:
    """Expire every auth cookie."""
    for key, httponly in ((names.access, True), (names.refresh, True), (names.csrf, False)):
        response.add_cookie(
            key,
            "",
            path="/",
            max_age=0,
            httponly=httponly,
            secure=names.secure,
            samesite="Lax",
        )
