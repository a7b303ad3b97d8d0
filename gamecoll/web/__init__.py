"""The HTMX pages: Jinja2 templates in templates/, assets in static/, routes in one blueprint."""

from __future__ import annotations

from typing import Any

from sanic import Sanic

from gamecoll.web.blueprint import bp
from gamecoll.web.errors import render_error
from gamecoll.web.rendering import Renderer

__all__ = ["register_web"]


def register_web(app: Sanic[Any, Any]) -> None:
    """Mount the pages and make page errors answer in HTML."""
    # Importing the page modules adds their routes to the blueprint.
    from gamecoll.web import (  # noqa: F401
        auth,
        gallery,
        gallery_item,
        gallery_photo,
        gallery_upload,
        recovery,
        settings,
        static,
        verification,
    )

    app.ctx.web_renderer = Renderer()
    app.blueprint(bp)
    app.error_handler.html_renderer = render_error  # type: ignore[attr-defined]
