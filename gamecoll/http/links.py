"""This site's own addresses: its origin as the browser sees it, and the one mailed links use."""

from __future__ import annotations

from sanic import Request


def own_origin(request: Request) -> str:
    """Return this site's origin as the browser sees it (lower case)."""
    return f"{request.scheme}://{request.host}".lower()


def public_base(request: Request) -> str:
    """Return the origin for mailed links (production with mail always has PUBLIC_BASE_URL)."""
    configured: str = request.app.ctx.settings.public_base_url
    return configured or own_origin(request)
