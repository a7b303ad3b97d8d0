"""Welcome, status, liveness and readiness."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request, json, redirect

from gamecoll import __version__
from gamecoll.api.docs import Answer, operation
from gamecoll.api.schemas import HealthOut, ReadinessOut, StatusOut, WelcomeOut
from gamecoll.http.cookies import AuthCookies
from gamecoll.services.health import database_ok

bp = Blueprint("status")


@bp.get("/")
@operation(
    "getWelcome",
    tag="status",
    answers={
        200: (WelcomeOut, "The API's name, version and where its docs are"),
        303: Answer(
            {"text/html": {"type": "string", "maxLength": 0}},
            "A browser (Accept: text/html first) is sent to its gallery or the login page",
            {"Location": {"type": "string"}},
        ),
    },
    database=False,
)
async def welcome(request: Request, cookies: AuthCookies) -> HTTPResponse:
    """Say hello and point to the docs (a browser goes to its gallery or the login page)."""
    if prefers_html(request):
        signed_in = cookies.access(request) or cookies.refresh(request)
        response = redirect("/gallery" if signed_in else "/login", status=303)
        response.headers["vary"] = "Accept, Cookie"
        return response
    return json(
        {
            "name": "gamecoll",
            "message": "Welcome to gamecoll, the game-collection account and collection API.",
            "version": __version__,
            "docs": {"swagger": "/docs", "redoc": "/redoc", "openapi": "/openapi.json"},
        },
        headers={"vary": "Accept, Cookie"},
    )


def prefers_html(request: Request) -> bool:
    """Tell whether the client asks for HTML before JSON (a browser navigating)."""
    accept = request.headers.get("accept", "").lower()
    html_at, json_at = accept.find("text/html"), accept.find("application/json")
    return html_at >= 0 and (json_at < 0 or html_at < json_at)


@bp.get("/auth", strict_slashes=False)
@operation(
    "getStatus",
    tag="status",
    answers={
        200: (StatusOut, "Server and database are up"),
        503: (StatusOut, "The database is unavailable"),
    },
)
async def auth_status(request: Request) -> HTTPResponse:
    """Report the server's and the database's status."""
    ok = await database_ok()
    return json(
        {
            "status": "ok" if ok else "degraded",
            "database": "ok" if ok else "unavailable",
            "version": __version__,
        },
        status=200 if ok else 503,
        headers={"cache-control": "no-store"},
    )


@bp.get("/healthz")
@operation(
    "getHealth",
    tag="status",
    answers={200: (HealthOut, "The process is alive")},
    database=False,
)
async def healthz(request: Request) -> HTTPResponse:
    """Answer whether the process is alive (no database call)."""
    return json({"status": "ok"}, headers={"cache-control": "no-store"})


@bp.get("/readyz")
@operation(
    "getReadiness",
    tag="status",
    answers={
        200: (ReadinessOut, "Ready: the database answers and the instance is not stopping"),
        503: (ReadinessOut, "Not ready: the database is unavailable or the instance is stopping"),
    },
)
async def readyz(request: Request) -> HTTPResponse:
    """Answer whether this instance should get traffic: database reachable, not stopping."""
    if request.app.ctx.shutting_down:
        return json({"status": "shutting_down"}, status=503, headers={"cache-control": "no-store"})
    if not await database_ok():
        return json(
            {"status": "unavailable", "database": "unavailable"},
            status=503,
            headers={"cache-control": "no-store"},
        )
    if request.app.ctx.shutting_down:  # it may have started during the database check
        return json({"status": "shutting_down"}, status=503, headers={"cache-control": "no-store"})
    return json({"status": "ok", "database": "ok"}, headers={"cache-control": "no-store"})
