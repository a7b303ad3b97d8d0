"""OpenAPI at /openapi.json, Swagger UI at /docs and ReDoc at /redoc, all served locally."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request, Sanic, json, redirect
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder

from gamecoll.config import PROJECT_ROOT

DOCS_TEMPLATES = PROJECT_ROOT / "templates" / "docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect.html"


def setup_openapi(app: Sanic[Any, Any], *, version: str) -> None:
    """Describe the API and its auth schemes, and serve the docs without any CDN."""
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
    app.ext.openapi.describe(
        "gamecoll API",
        version=version,
        description=(
            "Accounts, sessions, GPU endpoint and game collection. "
            "Authenticate with `Authorization: Bearer <access_token>` or with the cookies "
            "set by login; cookie requests that change state need the `X-CSRF-Token` header. "
            "The GPU endpoint is stored only: the server never calls it, so LAN addresses "
            "are allowed."
        ),
    )
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")
    app.ext.openapi.add_security_scheme("cookie", "apiKey", location="cookie", name="gc_access")
    app.ext.openapi.add_security_scheme(
        "oauth2", "oauth2", flows={"password": {"tokenUrl": "/auth/login", "scopes": {}}}
    )

    @app.on_request
    async def local_oauth2_redirect(request: Request) -> HTTPResponse | None:
        # sanic-ext's own handler for this page downloads it from a CDN: send ours instead.
        if request.path == OAUTH2_REDIRECT:
            return redirect("/static/vendor/swagger-ui/oauth2-redirect.html")
        return None

    @app.get("/redoc", name="docs_redoc")
    @openapi.exclude()
    async def redoc(request: Request) -> HTTPResponse:
        """Open ReDoc."""
        return redirect("/docs/redoc")

    @app.get("/openapi.json", name="docs_openapi")
    @openapi.exclude()
    async def openapi_json(request: Request) -> HTTPResponse:
        """Send the OpenAPI document."""
        spec = SpecificationBuilder().build(request.app)
        return json(spec.serialize())  # type: ignore[no-untyped-call]
