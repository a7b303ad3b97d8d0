"""Static files (CSS, JS, vendored htmx): cached for a year when asked for by content hash."""

from __future__ import annotations

import mimetypes
from typing import Final

from sanic import HTTPResponse, Request
from sanic.response import file

from gamecoll.errors import NotFound
from gamecoll.web.blueprint import bp
from gamecoll.web.rendering import Renderer

TYPES: Final = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
IMMUTABLE: Final = "public, max-age=31536000, immutable"


@bp.get("/static/<name:path>")
async def static_file(request: Request, name: str, renderer: Renderer) -> HTTPResponse:
    """Send a file from static/; `?v=` with the current hash makes it cacheable for a year."""
    files = renderer.static
    path = files.resolve(name)
    if path is None:
        raise NotFound("No such file.")
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    versioned = request.args.get("v", "") == files.version(name)
    cache = IMMUTABLE if versioned else "no-cache"
    return await file(
        path,
        mime_type=kind or "application/octet-stream",
        headers={"cache-control": cache},
        request_headers=request.headers,
    )
