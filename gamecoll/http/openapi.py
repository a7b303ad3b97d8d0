"""OpenAPI document, Swagger UI at /docs, ReDoc at /redoc, the JSON at /openapi.json."""

from __future__ import annotations

from sanic import HTTPResponse, Request, Sanic, redirect


def setup_openapi(app: Sanic, *, version: str) -> None:
    """Describe the API and its two auth schemes, and expose the docs."""
    app.config.update(
        {
            "OAS_UI_DEFAULT": "swagger",
            "OAS_URL_PREFIX": "/docs",
            "OAS_URI_TO_JSON": "/openapi.json",
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
        "oauth2",
        "oauth2",
        flows={"password": {"tokenUrl": "/auth/login", "scopes": {}}},
    )

    @app.get("/redoc", name="redoc_alias")
    async def redoc(request: Request) -> HTTPResponse:
        """Open ReDoc."""
        return redirect("/docs/redoc")

    @app.get("/openapi.json", name="openapi_alias")
    async def openapi_json(request: Request) -> HTTPResponse:
        """Send the OpenAPI document."""
        return redirect("/docs/openapi.json")
