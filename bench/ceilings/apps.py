"""The two ceiling apps the issue names.

- `bare`: a bare Sanic JSON handler, the ceiling for `/healthz`.
- `jwt_pg`: a Sanic handler that decodes a JWT (same algorithm, issuer, audience and required
  claims as gamecoll's access tokens) and reads one row by primary key through an asyncpg
  pool: the ceiling for every authenticated endpoint.

Neither uses sanic-ext, middleware or an ORM: that is the point of a ceiling.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import jwt
from sanic import HTTPResponse, Request, Sanic, json

from gamecoll.security.tokens import REQUIRED_CLAIMS


def create_bare() -> Sanic[Any, Any]:
    """A Sanic app whose handlers only answer a small JSON body."""
    app: Sanic[Any, Any] = Sanic("bench_ceiling_bare", configure_logging=False)
    app.config.ACCESS_LOG = False

    @app.get("/healthz")
    async def healthz(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    return app


def create_jwt_pg() -> Sanic[Any, Any]:
    """A Sanic app that authenticates a bearer JWT and reads the user's row by primary key."""
    app: Sanic[Any, Any] = Sanic("bench_ceiling_jwt_pg", configure_logging=False)
    app.config.ACCESS_LOG = False
    secret = os.environ["JWT_SECRET_KEY"]
    issuer = os.environ.get("JWT_ISSUER", "gamecoll")
    audience = os.environ.get("JWT_AUDIENCE", "gamecoll")
    dsn = os.environ["DATABASE_URL"]

    @app.before_server_start
    async def open_pool(app: Sanic[Any, Any]) -> None:
        # The same pool size as gamecoll's Tortoise connection (minsize 1, maxsize 10).
        app.ctx.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)

    @app.after_server_stop
    async def close_pool(app: Sanic[Any, Any]) -> None:
        await app.ctx.pool.close()

    @app.get("/healthz")
    async def healthz(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/me")
    async def me(request: Request) -> HTTPResponse:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return json({"error": "not authenticated"}, status=401)
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                issuer=issuer,
                audience=audience,
                leeway=5,
                options={"require": REQUIRED_CLAIMS},
            )
            user_id = uuid.UUID(str(claims["sub"]))
        except (jwt.PyJWTError, ValueError):
            return json({"error": "invalid token"}, status=401)
        row = await app.ctx.pool.fetchrow(
            "SELECT id, email, username, gpu_endpoint, created_at FROM users WHERE id = $1",
            user_id,
        )
        if row is None:
            return json({"error": "invalid token"}, status=401)
        return json(
            {
                "id": str(row["id"]),
                "email": row["email"],
                "username": row["username"],
                "gpu_endpoint": row["gpu_endpoint"],
                "created_at": row["created_at"].isoformat(),
            },
            headers={"cache-control": "no-store"},
        )

    return app


FACTORIES: dict[str, Callable[[], Sanic[Any, Any]]] = {
    "bare": create_bare,
    "jwt_pg": create_jwt_pg,
}
