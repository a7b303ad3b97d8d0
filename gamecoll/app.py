"""The composition root: settings, database, services, blueprints and listeners."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.http import Http
from sanic.models.handler_types import RouteHandler
from sanic_routing import Route
from tortoise import Tortoise

from gamecoll.api import register_api
from gamecoll.api.document import build_document
from gamecoll.config import Settings, load_settings
from gamecoll.db import apply_migrations, close_database_connections, tortoise_config
from gamecoll.http.cookies import AuthCookies, cookie_names
from gamecoll.http.edge import check_request_head
from gamecoll.http.errors import GamecollErrorHandler
from gamecoll.http.guard import Guard, client_ip, install_guard, user_agent
from gamecoll.http.headers import add_security_headers
from gamecoll.http.limits import fit_body_limit
from gamecoll.http.links import own_origin
from gamecoll.http.openapi import setup_openapi
from gamecoll.http.spool import Spool
from gamecoll.logs import configure_logging
from gamecoll.services.activity import Client, current_client
from gamecoll.services.cleanup import run_cleanup, run_periodically
from gamecoll.services.container import build_services
from gamecoll.web import register_web

log = logging.getLogger("gamecoll")


def _sanic_config(settings: Settings) -> dict[str, Any]:
    return {
        "REQUEST_MAX_SIZE": settings.request_max_size,
        "PROXIES_COUNT": settings.proxies_count,
        "REAL_IP_HEADER": settings.real_ip_header or None,
        "GRACEFUL_SHUTDOWN_TIMEOUT": settings.graceful_shutdown_seconds,
        "ACCESS_LOG": False,
        "FALLBACK_ERROR_FORMAT": "json",
        # sanic-ext adds HEAD and OPTIONS routes one by one at start-up, rebuilding the router
        # each time (seconds per start). Nothing here needs HEAD; OPTIONS only answers CORS
        # preflights, so it is added only when cross-origin callers are allowed.
        "HTTP_AUTO_HEAD": False,
        "HTTP_AUTO_OPTIONS": bool(settings.allowed_origins),
        "CORS": bool(settings.allowed_origins),
        "CORS_ORIGINS": ",".join(settings.allowed_origins),
        "CORS_SUPPORTS_CREDENTIALS": True,
        "CORS_ALLOW_HEADERS": "authorization,content-type,x-csrf-token,if-none-match",
        "CORS_EXPOSE_HEADERS": "etag,retry-after",
        "CORS_MAX_AGE": 600,
    }


SHUTDOWN_SETTLE_SECONDS = 0.5
"""After SIGTERM, how long connections accepted just before the listener closed get to send
their request (Sanic closes connections that are idle when it starts draining)."""
CLEANUP_FIRST_DELAY_SECONDS = 60
"""The first periodic clean-up waits this long after start (or the interval, if shorter)."""
CLEANUP_STOP_SECONDS = 2.0
"""How long stopping waits for a cancelled clean-up to close its lock connection."""


def create_app(settings: Settings | None = None, *, name: str = "gamecoll") -> Sanic[Any, Any]:
    """Build the Sanic application."""
    settings = settings or load_settings()
    configure_logging(settings)
    app = Sanic(name, error_handler=GamecollErrorHandler(), configure_logging=False)
    app.config.update(_sanic_config(settings))
    app.ctx.settings = settings
    app.ctx.shutting_down = False
    services = build_services(settings)
    app.ctx.services = services
    cookies = AuthCookies(cookie_names(settings))
    app.ctx.spool = spool = Spool()
    install_guard(
        app,
        Guard(
            sessions=services.sessions,
            verification=services.verification,
            cookies=cookies,
            allowed_origins=settings.allowed_origins,
            access_tokens=services.access_tokens,
        ),
    )
    setup_openapi(app, build=build_document)
    for service in (*services.all(), cookies, spool, settings):
        app.ext.dependency(service)
    register_api(app)
    register_web(app, services, settings)
    _add_listeners(app, settings)
    _add_edge(app)
    _add_cleanup(app, settings)
    _add_middleware(app, cookies)
    return app


def _add_edge(app: Sanic[Any, Any]) -> None:
    @app.signal("http.routing.after")
    async def check_head(
        request: Request, route: Route, kwargs: dict[str, Any], handler: RouteHandler
    ) -> None:
        # After routing, before Sanic reads the body of a non-streaming route.
        check_request_head(request)
        fit_body_limit(request, route, handler)


def _add_listeners(app: Sanic[Any, Any], settings: Settings) -> None:
    @app.main_process_start
    async def migrate(app: Sanic[Any, Any]) -> None:
        if settings.generated_secret:
            log.warning(
                "JWT_SECRET_KEY is not set: using a development secret kept in var/. "
                "Set JWT_SECRET_KEY (and APP_ENV=production) for real use."
            )
        if settings.run_migrations:
            await apply_migrations(settings)

    @app.before_server_start
    async def open_database(app: Sanic[Any, Any]) -> None:
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        await app.ctx.services.storage.start()  # one object-storage client per worker
        await asyncio.to_thread(app.ctx.spool.open)  # and one folder of uploads on their way

    @app.after_server_start
    async def start_mail_sender(app: Sanic[Any, Any]) -> None:
        app.ctx.services.outbox.start()

    @app.before_server_stop
    async def stop_mail_sender(app: Sanic[Any, Any]) -> None:
        await app.ctx.services.outbox.stop()

    @app.before_server_stop
    async def stop_taking_traffic(app: Sanic[Any, Any]) -> None:
        # Readiness first: /readyz answers 503 and every answer now closes its connection.
        app.ctx.shutting_down = True
        await asyncio.sleep(0)  # accept the connections already queued
        if _stop_listening(app):
            # Connections accepted just now get time to send their request; then Sanic closes
            # the idle ones and waits up to GRACEFUL_SHUTDOWN_TIMEOUT for requests in flight.
            await asyncio.sleep(min(SHUTDOWN_SETTLE_SECONDS, settings.graceful_shutdown_seconds))

    @app.after_server_stop
    async def close_database(app: Sanic[Any, Any]) -> None:
        await close_database_connections()
        await app.ctx.services.storage.close()
        app.ctx.services.hasher.close()
        await asyncio.to_thread(app.ctx.services.images.close)
        await asyncio.to_thread(app.ctx.spool.close)


def _add_cleanup(app: Sanic[Any, Any], settings: Settings) -> None:
    """Purge old rows every CLEANUP_INTERVAL_SECONDS while the server runs (0: never)."""
    if settings.cleanup_interval_seconds <= 0:
        return
    interval = settings.cleanup_interval_seconds

    @app.after_server_start
    async def start_cleanup(app: Sanic[Any, Any]) -> None:
        service = app.ctx.services.cleanup
        app.ctx.cleanup_task = asyncio.create_task(
            run_periodically(
                lambda: run_cleanup(settings, service),
                interval=interval,
                first_delay=min(interval, CLEANUP_FIRST_DELAY_SECONDS),
            ),
            name="gamecoll-cleanup",
        )

    @app.before_server_stop
    async def stop_cleanup(app: Sanic[Any, Any]) -> None:
        # A batch in flight is abandoned; every batch is idempotent, the next run goes on.
        task: asyncio.Task[None] | None = getattr(app.ctx, "cleanup_task", None)
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=CLEANUP_STOP_SECONDS)


def _stop_listening(app: Sanic[Any, Any]) -> bool:
    """Refuse new connections from now on, so that a proxy tries another instance.

    Sanic's main process keeps its own copy of the listening socket until the workers have
    exited: closing the worker's copy alone leaves new connections queued with nobody to accept
    them, reset only when the main process exits, after a proxy has sent a POST on them (which
    it never resends). shutdown() acts on the socket itself, in every process. gamecoll never
    restarts a single worker, so a worker stopping means the whole instance is stopping.
    Return whether there was a listening socket (there is none under `app.create_server`).
    """
    stopped = False
    for info in app.state.server_info:
        sock = info.settings.get("sock")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                stopped = True
    return stopped


def _add_middleware(app: Sanic[Any, Any], cookies: AuthCookies) -> None:
    @app.on_request
    async def note_client(request: Request) -> None:
        # Who is asking, for the security activity log (services read it, not the request).
        current_client.set(
            Client(
                ip=client_ip(request), user_agent=user_agent(request), origin=own_origin(request)
            )
        )

    @app.on_response  # type: ignore[untyped-decorator]
    async def finish(request: Request, response: HTTPResponse) -> None:
        cookies.write(request, response)
        add_security_headers(request, response, request.app.ctx.settings)
        if request.app.ctx.shutting_down and isinstance(request.stream, Http):
            request.stream.keep_alive = False  # stopping: close the connection after this answer
