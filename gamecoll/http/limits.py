"""Body limits per route, enforced from the request head before a byte of the body is read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sanic import Request
from sanic.models.handler_types import RouteHandler
from sanic_routing import Route

from gamecoll.config import Settings
from gamecoll.errors import PayloadTooLarge

KIB: Final = 1024
MIB: Final = 1024 * KIB

SMALL_BODY: Final = 64 * KIB
"""What every route takes unless it declares more: the auth and settings forms and JSON bodies.

Their largest fields (a 4096-character password, a 2048-character URL) fit many times over;
a body of a million form fields does not get near the parser.
"""
ITEM_FORM_BODY: Final = 128 * KIB
"""An item's text fields as a browser form: 5000 characters of notes, percent-encoded."""

IMPORT_BODY: Final = 1024 * MIB
"""A collection file to import (a ZIP export with its photos): read to disk, never to memory."""

BodyLimit = int | Callable[[Settings], int]
"""A route's limit: bytes, or a function of the settings (for limits sized by an image)."""


def upload_body(settings: Settings) -> int:
    """The largest body a page upload takes: the request ceiling, sized for an image."""
    return settings.request_max_size


def size_text(size: int) -> str:
    """Write a byte count for people (`64 KiB`, `9.54 MiB`)."""
    if size >= MIB:
        return f"{size / MIB:.2f}".rstrip("0").rstrip(".") + " MiB"
    if size >= KIB:
        return f"{size / KIB:.1f}".rstrip("0").rstrip(".") + " KiB"
    return f"{size} bytes"


def route_body_limit(route: Route, settings: Settings) -> int:
    """Return the body limit a route declared with `ctx_body_limit=` (SMALL_BODY otherwise)."""
    declared: BodyLimit | None = getattr(route.ctx, "body_limit", None)
    if declared is None:
        return SMALL_BODY
    return declared(settings) if callable(declared) else declared


def too_large(declared: int | None, limit: int) -> PayloadTooLarge:
    """The 413 that names both the size sent and the limit."""
    sent = f"{size_text(declared)}" if declared is not None else f"over {size_text(limit)}"
    return PayloadTooLarge(
        f"The request body is {sent}; this endpoint takes at most {size_text(limit)}."
    )


def fit_body_limit(request: Request, route: Route, handler: RouteHandler) -> None:
    """Refuse a body over the route's limit from its Content-Length, and cap chunked bodies.

    Runs on Sanic's `http.routing.after` signal: after the route is known, before Sanic reads
    the body of a non-streaming route. Streaming routes (`stream=True`) read and limit their
    own bodies (see `gamecoll.api.item_uploads.read_body_within_limit`).
    """
    stream = request.stream
    if stream is None or not getattr(stream, "request_body", None) or hasattr(handler, "is_stream"):
        return
    limit = route_body_limit(route, request.app.ctx.settings)
    request.ctx.body_limit = limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    stream.request_max_size = min(stream.request_max_size, limit)
