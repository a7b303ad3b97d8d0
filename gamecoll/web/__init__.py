"""The HTMX pages: Jinja2 templates in templates/, assets in static/, routes in one blueprint."""

from __future__ import annotations

from functools import partial
from typing import Any

from sanic import Sanic

from gamecoll.config import Settings
from gamecoll.services.container import Services
from gamecoll.web.blueprint import bp
from gamecoll.web.errors import render_error
from gamecoll.web.rendering import Renderer
from gamecoll.web.settings_page import SettingsPage

__all__ = ["register_web"]


def register_web(app: Sanic[Any, Any], services: Services, config: Settings) -> None:
    """Mount the pages, give their handlers what they take by type, answer page errors in HTML."""
    # Importing the page modules adds their routes to the blueprint.
    from gamecoll.web import (  # noqa: F401
        auth,
        exchange,
        gallery,
        gallery_item,
        gallery_photo,
        gallery_upload,
        login_code,
        passkeys,
        recovery,
        security,
        settings,
        static,
        verification,
    )

    renderer = Renderer()
    app.ext.dependency(renderer)
    app.ext.dependency(
        SettingsPage(
            renderer=renderer,
            sessions=services.sessions,
            activity=services.activity,
            verification=services.verification,
            passkeys=services.passkeys,
            access_tokens=services.access_tokens,
            totp=services.totp,
        )
    )
    app.blueprint(bp)
    app.error_handler.html_renderer = partial(render_error, renderer, config)  # type: ignore[attr-defined]
