"""Welcome, status, liveness and readiness."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request, json, redirect
from sanic_ext import openapi

from gamecoll import __version__
from gamecoll.api.schemas import StatusOut
from gamecoll.http.cookies import read_cookie
from gamecoll.services.health import database_ok

bp = Blueprint("status")


@bp.get("/")
@openapi.tag("status")
async def welcome(request: Request) -> HTTPResponse:
    """Say hello and point to the docs (a browser goes to its gallery or the login page)."""
    if prefers_html(request):
        names = request.app.ctx.cookie_names
        signed_in = read_cookie(request, names.access) or read_cookie(request, names.refresh)
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
@openapi.tag("status")
@openapi.response(200, {"application/json": StatusOut}, "Server and database are up")
@openapi.response(503, {"application/json": StatusOut}, "The database is unavailable")
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
@openapi.tag("status")
async def healthz(request: Request) -> HTTPResponse:
    """Answer whether the process is alive (no database call)."""
    return json({"status": "ok"}, headers={"cache-control": "no-store"})


@bp.get("/readyz")
@openapi.tag("status")
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
