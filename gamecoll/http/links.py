"""The origin put in links that are mailed: PUBLIC_BASE_URL, or in development this request's."""

from __future__ import annotations

from sanic import Request


def public_base(request: Request) -> str:
    """Return the origin for mailed links (production with mail always has PUBLIC_BASE_URL)."""
    configured: str = request.app.ctx.settings.public_base_url
    return configured or f"{request.scheme}://{request.host}"
