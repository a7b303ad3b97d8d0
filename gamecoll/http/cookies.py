"""Auth cookies, set and cleared in one way: HttpOnly tokens and a readable CSRF cookie.

Handlers and the guard never write a cookie: they say what the answer must do with
`issue_cookies(request, tokens)` or `end_cookies(request)` (the last word wins), and
`AuthCookies.write` puts it on the response, whichever handler or error made it (the app's
response middleware calls it). Production uses `__Host-` names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sanic import HTTPResponse, Request

from gamecoll.config import Settings
from gamecoll.services.sessions import IssuedTokens

_ENDED: Final = "ended"
"""What `end_cookies` leaves on the request: expire every auth cookie."""


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


def issue_cookies(request: Request, tokens: IssuedTokens) -> None:
    """Have this request's answer set the auth cookies from a fresh token pair."""
    request.ctx.auth_cookies = tokens


def end_cookies(request: Request) -> None:
    """Have this request's answer expire the auth cookies (logout, a session that ended)."""
    request.ctx.auth_cookies = _ENDED


class AuthCookies:
    """This deployment's auth cookies: read them from a request, write them on its answer."""

    def __init__(self, names: CookieNames) -> None:
        self.names = names

    @staticmethod
    def _read(request: Request, name: str) -> str | None:
        value = request.cookies.get(name)
        return value or None

    def access(self, request: Request) -> str | None:
        """Return the access cookie's token, or None when it is absent or empty."""
        return self._read(request, self.names.access)

    def refresh(self, request: Request) -> str | None:
        """Return the refresh cookie's token, or None when it is absent or empty."""
        return self._read(request, self.names.refresh)

    def write(self, request: Request, response: HTTPResponse) -> None:
        """Set or expire the auth cookies on the response, as the request's handling asked."""
        wanted = getattr(request.ctx, "auth_cookies", None)
        if isinstance(wanted, IssuedTokens):
            self._set(response, wanted)
            response.headers["cache-control"] = "no-store"
        elif wanted == _ENDED:
            self._clear(response)

    def _set(self, response: HTTPResponse, tokens: IssuedTokens) -> None:
        names = self.names
        for key, value, max_age, httponly in (
            (names.access, tokens.access_token, tokens.expires_in, True),
            (names.refresh, tokens.refresh_token, tokens.refresh_expires_in, True),
            (names.csrf, tokens.csrf_token, tokens.refresh_expires_in, False),
        ):
            self._add(response, key, value, max_age=max_age, httponly=httponly)

    def _clear(self, response: HTTPResponse) -> None:
        names = self.names
        for key, httponly in ((names.access, True), (names.refresh, True), (names.csrf, False)):
            self._add(response, key, "", max_age=0, httponly=httponly)

    def _add(
        self, response: HTTPResponse, key: str, value: str, *, max_age: int, httponly: bool
    ) -> None:
        response.add_cookie(
            key,
            value,
            path="/",
            max_age=max_age,
            httponly=httponly,
            secure=self.names.secure,
            samesite="Lax",
        )
