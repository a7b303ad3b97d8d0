"""The composition root: settings, database, services, blueprints and listeners."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from tortoise import Tortoise

from gamecoll import __version__
from gamecoll.api import auth as auth_api
from gamecoll.api import account as account_api
from gamecoll.api import status as status_api
from gamecoll.config import Settings, load_settings
from gamecoll.db import apply_migrations, tortoise_config
from gamecoll.http.cookies import clear_auth_cookies, cookie_names, set_auth_cookies
from gamecoll.http.errors import GamecollErrorHandler
from gamecoll.http.openapi import setup_openapi
from gamecoll.logs import configure_logging
from gamecoll.security.tokens import TokenCodec
from gamecoll.services.auth import AuthService
from gamecoll.services.hashing import PasswordHasher
from gamecoll.services.rate_limits import RateLimiter
from gamecoll.services.sessions import SessionService
from gamecoll.services.users import UserService

log = logging.getLogger("gamecoll")


@dataclass
class Services:
    """Every service, built once per app from the settings."""

    hasher: PasswordHasher
    limiter: RateLimiter
    sessions: SessionService
    auth: AuthService
    users: UserService


def build_services(settings: Settings) -> Services:
    """Construct the services with their dependencies."""
    hasher = PasswordHasher(
        rounds=settings.bcrypt_rounds,
        workers=settings.hash_workers,
        queue_limit=settings.hash_queue_limit,
    )
    limiter = RateLimiter(
        login_per_minute=settings.rate_limit_login_per_minute,
        register_per_hour=settings.rate_limit_register_per_hour,
        refresh_per_minute=settings.rate_limit_refresh_per_minute,
        failures_before_lockout=settings.login_failures_before_lockout,
        lockout_base_seconds=settings.login_lockout_base_seconds,
        lockout_max_seconds=settings.login_lockout_max_seconds,
    )
    sessions = SessionService(
        codec=TokenCodec(
            secret=settings.jwt_secret_key,
            algorithm=settings.jwt_algorithm,
            issuer=settings.jwt_issuer,
        ),
        access_lifetime=timedelta(minutes=settings.access_token_expire_minutes),
        refresh_lifetime=timedelta(minutes=settings.refresh_token_expire_minutes),
        reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )
    auth = AuthService(hasher=hasher, limiter=limiter, sessions=sessions)
    users = UserService(hasher=hasher, sessions=sessions)
    return Services(hasher=hasher, limiter=limiter, sessions=sessions, auth=auth, users=users)


def _sanic_config(settings: Settings) -> dict[str, Any]:
    return {
        "REQUEST_MAX_SIZE": settings.request_max_size,
        "PROXIES_COUNT": settings.proxies_count,
        "REAL_IP_HEADER": settings.real_ip_header or None,
        "GRACEFUL_SHUTDOWN_TIMEOUT": settings.graceful_shutdown_seconds,
        "ACCESS_LOG": False,
        "FALLBACK_ERROR_FORMAT": "json",
        "CORS": bool(settings.allowed_origins),
        "CORS_ORIGINS": ",".join(settings.allowed_origins),
        "CORS_SUPPORTS_CREDENTIALS": True,
        "CORS_ALLOW_HEADERS": "authorization,content-type,x-csrf-token,if-none-match",
        "CORS_EXPOSE_HEADERS": "etag,retry-after",
        "CORS_MAX_AGE": 600,
    }


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' http: https:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def create_app(settings: Settings | None = None, *, name: str = "gamecoll") -> Sanic:
    """Build the Sanic application."""
    settings = settings or load_settings()
    configure_logging(settings)
    app = Sanic(name, error_handler=GamecollErrorHandler(), configure_logging=False)
    app.config.update(_sanic_config(settings))
    app.ctx.settings = settings
    app.ctx.cookie_names = cookie_names(settings)
    app.ctx.shutting_down = False
    services = build_services(settings)
    app.ctx.services = services
    setup_openapi(app, version=__version__)
    for service in (
        services.hasher,
        services.limiter,
        services.sessions,
        services.auth,
        services.users,
    ):
        app.ext.dependency(service)
    app.blueprint(status_api.bp)
    app.blueprint(auth_api.bp)
    app.blueprint(account_api.bp)
    _add_listeners(app, settings)
    _add_middleware(app)
    return app


def _add_listeners(app: Sanic, settings: Settings) -> None:
    @app.main_process_start
    async def migrate(app: Sanic) -> None:
        if settings.generated_secret:
            log.warning(
                "JWT_SECRET_KEY is not set: using a development secret kept in var/. "
                "Set JWT_SECRET_KEY (and APP_ENV=production) for real use."
            )
        if settings.run_migrations:
            await apply_migrations(settings)
            await Tortoise.close_connections()

    @app.before_server_start
    async def open_database(app: Sanic) -> None:
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)

    @app.before_server_stop
    async def stop_taking_traffic(app: Sanic) -> None:
        app.ctx.shutting_down = True

    @app.after_server_stop
    async def close_database(app: Sanic) -> None:
        await Tortoise.close_connections()
        app.ctx.services.hasher.close()


def _add_middleware(app: Sanic) -> None:
    @app.on_response
    async def finish(request: Request, response: HTTPResponse) -> None:
        names = request.app.ctx.cookie_names
        tokens = getattr(request.ctx, "new_tokens", None)
        if tokens is not None:
            set_auth_cookies(response, tokens, names)
            response.headers["cache-control"] = "no-store"
        elif getattr(request.ctx, "clear_auth_cookies", False):
            clear_auth_cookies(response, names)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        content_type = response.content_type or ""
        if content_type.startswith("text/html") and not request.path.startswith("/docs"):
            response.headers.setdefault("content-security-policy", PAGE_CSP)
