"""OpenAPI at /openapi.json, Swagger UI at /docs and ReDoc at /redoc, all served locally."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic import HTTPResponse, Request, Sanic, json, redirect
from sanic_ext import openapi

from gamecoll.config import PROJECT_ROOT

DOCS_TEMPLATES = PROJECT_ROOT / "templates" / "docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect.html"
DOCUMENT = "/openapi.json"
SANIC_EXT_DOCUMENT = "/docs/openapi.json"


Document = dict[str, Any]


def setup_openapi(app: Sanic[Any, Any], *, build: Callable[[Sanic[Any, Any]], Document]) -> None:
    """Serve the document that `build` makes from the routes, and the docs without any CDN."""
    app.config.update(
        {
            # sanic-ext's own pages load scripts from CDNs: ours load them from static/vendor/.
            "OAS_UI_DEFAULT": "swagger",
            "OAS_URL_PREFIX": "/docs",
            "OAS_URI_TO_JSON": "/openapi.json",
            "OAS_PATH_TO_SWAGGER_HTML": str(DOCS_TEMPLATES / "swagger.html"),
            "OAS_PATH_TO_REDOC_HTML": str(DOCS_TEMPLATES / "redoc.html"),
            "OAS_UI_SWAGGER_OAUTH2_REDIRECT": "/oauth2-redirect.html",
        }
    )

    @app.on_request
    async def local_oauth2_redirect(request: Request) -> HTTPResponse | None:
        # sanic-ext's own handler for this page downloads it from a CDN: send ours instead.
        if request.path == OAUTH2_REDIRECT:
            return redirect("/static/vendor/swagger-ui/oauth2-redirect.html")
        if request.path == SANIC_EXT_DOCUMENT:
            return redirect(DOCUMENT, status=308)  # one document: ours, not sanic-ext's own
        return None

    @app.get("/redoc", name="docs_redoc")
    @openapi.exclude()
    async def redoc(request: Request) -> HTTPResponse:
        """Open ReDoc."""
        return redirect("/docs/redoc")

    @app.get(DOCUMENT, name="docs_openapi")
    @openapi.exclude()
    async def openapi_json(request: Request) -> HTTPResponse:
        """Send the OpenAPI document."""
        document: Document | None = getattr(request.app.ctx, "openapi_document", None)
        if document is None:  # the routes are fixed once the app serves: build it once
            document = request.app.ctx.openapi_document = build(request.app)
        return json(document)
