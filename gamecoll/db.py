"""Database wiring: the Tortoise config and migrations applied under one lock."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gamecoll.config import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger("gamecoll.db")

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
MODEL_MODULES = ["gamecoll.models", "aerich.models"]
# Any fixed 64-bit numbers; every instance takes these advisory locks to migrate or clean up.
MIGRATION_LOCK_ID = 0x67616D65636F6C6C
CLEANUP_LOCK_ID = 0x67636C65616E7570


def tortoise_url(database_url: str) -> str:
    """Turn the configured URL into the form Tortoise expects."""
    if database_url.startswith("postgresql://"):
        return "postgres://" + database_url[len("postgresql://") :]
    return database_url


async def release_as_is(connection: object) -> None:
    """Return a connection to the pool without asyncpg's default reset query.

    By default asyncpg sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release: one more round trip for every query Tortoise runs. The app
    never leaves that state behind (no SET, LISTEN, cursors or advisory locks on pooled
    connections; the migration lock has a connection of its own), and asyncpg still rolls back
    a transaction left open before it calls this.
    """


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """Return the Tortoise config dict for these settings."""
    url = tortoise_url(settings.database_url)
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection: dict[str, Any] | str = {
            "engine": "tortoise.backends.sqlite",
            "credentials": {
                "file_path": path,
                "journal_mode": "WAL",
                "foreign_keys": "ON",
                "busy_timeout": 5000,
            },
        }
    else:
        parts = urlsplit(url)
        connection = {
            "engine": "tortoise.backends.asyncpg",
            "credentials": {
                "host": parts.hostname,
                "port": parts.port or 5432,
                "user": parts.username or "postgres",
                "password": parts.password or "",
                "database": parts.path.lstrip("/"),
                "minsize": 1,
                "maxsize": 10,
                "timeout": 5,
                "command_timeout": 30,
                "reset": release_as_is,
            },
        }
    # Tortoise caches SQL per connection name, so each dialect gets its own name:
    # a process (the test suite) that uses both never reuses one dialect's SQL for the other.
    name = "sqlite" if url.startswith("sqlite://") else "postgres"
    return {
        "connections": {name: connection},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": name}},
        "use_tz": True,
        "timezone": "UTC",
    }


def _aerich_config() -> dict[str, Any]:
    return tortoise_config(load_settings())


# Read by the `aerich` command line through [tool.aerich] in pyproject.toml.
TORTOISE_ORM: dict[str, Any] = (
    _aerich_config() if os.environ.get("GAMECOLL_AERICH_CLI") == "1" else {}
)


async def _lock_connection(settings: Settings) -> Any:
    """Open a connection of its own: a pooled one must not keep a session lock."""
    import asyncpg

    return await asyncpg.connect(
        tortoise_url(settings.database_url).replace("postgres://", "postgresql://", 1), timeout=10
    )


@asynccontextmanager
async def try_advisory_lock(settings: Settings, lock_id: int) -> AsyncIterator[bool]:
    """Try to take a PostgreSQL advisory lock without waiting; say whether it was taken.

    SQLite serves one instance, so there it is always taken. Closing the lock's connection
    releases it, also when the task holding it is cancelled or the process dies.
    """
    if not settings.is_postgres:
        yield True
        return
    conn = await _lock_connection(settings)
    try:
        yield bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_id))
    finally:
        try:
            await asyncio.wait_for(conn.close(), timeout=2)
        except asyncio.CancelledError:
            conn.terminate()
            raise
        except Exception:  # a broken connection: drop it, the server forgets its locks
            conn.terminate()


@asynccontextmanager
async def _migration_lock(settings: Settings) -> AsyncIterator[None]:
    """Hold a PostgreSQL advisory lock (SQLite serialises writers itself)."""
    if not settings.is_postgres:
        yield
        return
    conn = await _lock_connection(settings)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await conn.close()


async def apply_migrations(settings: Settings) -> list[str]:
    """Apply every migration not yet applied; return the names of those applied now."""
    from aerich import Command

    async with _migration_lock(settings):
        command = Command(
            tortoise_config=tortoise_config(settings),
            app="models",
            location=str(MIGRATIONS_DIR),
        )
        async with command:
            try:
                applied: list[str] = await command.upgrade(run_in_transaction=True)
            finally:
                await close_database_connections()
    for name in applied:
        log.info("applied migration %s", name)
    return applied


async def close_database_connections() -> None:
    """Close Tortoise's connections and forget its models' bindings to this database."""
    from tortoise import Tortoise

    await Tortoise._reset_apps()
    await Tortoise.close_connections()
