"""Security headers on every answer: the page and docs CSPs, and HSTS when it is switched on."""

from __future__ import annotations

from typing import Final

from sanic import HTTPResponse, Request

from gamecoll.config import Settings

SECURITY_HEADERS: Final = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}

_COMMON: Final = "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
PAGE_CSP: Final = f"default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; {_COMMON}"
"""The pages: scripts, styles, fetches and images from this origin only."""

SETTINGS_CSP: Final = (
    f"default-src 'self'; img-src 'self' data: blob:; connect-src 'self' http: https:; {_COMMON}"
)
"""The settings page: "Test connection" fetches the GPU endpoint the user is typing, from the
browser, so it cannot be listed in advance (any host, port and scheme on the user's network)."""

SETTINGS_PAGE: Final = "/settings"

DOCS_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    f"{_COMMON}"
)
"""Swagger UI and ReDoc, vendored under static/: ReDoc injects its styles at run time and
runs its search in a worker made from a blob: URL; both fetch only /openapi.json and "Try it
out" calls to this origin."""

DOCS_PREFIX: Final = "/docs"


def content_security_policy(path: str) -> str:
    """Return the CSP for an HTML answer at this path."""
    if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/"):
        return DOCS_CSP
    if path == SETTINGS_PAGE:
        return SETTINGS_CSP
    return PAGE_CSP


def strict_transport_security(settings: Settings, request: Request) -> str | None:
    """Return the HSTS header value: in production, when HSTS_SECONDS > 0, over HTTPS only."""
    if not settings.production or settings.hsts_seconds <= 0 or request.scheme != "https":
        return None
    return f"max-age={settings.hsts_seconds}"


def add_security_headers(request: Request, response: HTTPResponse, settings: Settings) -> None:
    """Add the security headers a handler did not set itself."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if (response.content_type or "").startswith("text/html"):
        response.headers.setdefault(
            "content-security-policy", content_security_policy(request.path)
        )
    hsts = strict_transport_security(settings, request)
    if hsts is not None:
        response.headers.setdefault("strict-transport-security", hsts)
