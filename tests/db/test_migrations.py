"""The migration chain ends at exactly the schema the models describe, on both databases."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise

from gamecoll.config import load_settings
from gamecoll.db import (
    MIGRATIONS_DIR,
    apply_migrations,
    close_database_connections,
    tortoise_config,
)
from tests.conftest import _pg_admin, _pg_url, base_env, run_sync

MIGRATION_COUNT = len(list((MIGRATIONS_DIR / "models").glob("[0-9]*_*.py")))


def _beyond_the_models() -> dict[str, str]:
    """What migration 9 creates that models cannot declare (search, expression indexes)."""
    path = next((MIGRATIONS_DIR / "models").glob("9_*_item_lists.py"))
    spec = importlib.util.spec_from_file_location("item_lists_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    objects: dict[str, str] = module.OBJECTS
    return objects


async def _generate(url: str) -> None:
    settings = load_settings(base_env(DATABASE_URL=url), dotenv=None)
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas(safe=False)
    connection = Tortoise.get_connection("sqlite" if url.startswith("sqlite") else "postgres")
    await connection.execute_script(_beyond_the_models()[connection.capabilities.dialect])
    await close_database_connections()


async def _migrate(url: str) -> list[str]:
    return await apply_migrations(load_settings(base_env(DATABASE_URL=url), dotenv=None))


def _sqlite_schema(path: Path) -> dict[str, Any]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'aerich' ORDER BY name"
            )
        ]
        schema: dict[str, Any] = {}
        for table in tables:
            # By name: a column added by a later migration comes last, wherever the model has it.
            columns = sorted(tuple(r[1:]) for r in conn.execute(f'PRAGMA table_info("{table}")'))
            foreign = sorted(
                tuple(r[2:]) for r in conn.execute(f'PRAGMA foreign_key_list("{table}")')
            )
            indexes = []
            for idx in conn.execute(f'PRAGMA index_list("{table}")'):
                cols = [r[2] for r in conn.execute(f'PRAGMA index_info("{idx[1]}")')]
                indexes.append((tuple(str(c) for c in cols), idx[2]))  # None: an expression
            schema[table] = {"columns": columns, "foreign": foreign, "indexes": sorted(indexes)}
        return schema
    finally:
        conn.close()


async def _pg_schema(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, character_maximum_length, "
            "column_default FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name != 'aerich' ORDER BY table_name, column_name"
        )
        indexes = await conn.fetch(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename != 'aerich' ORDER BY tablename, indexdef"
        )
        constraints = await conn.fetch(
            "SELECT tc.table_name, tc.constraint_type, kcu.column_name, rc.delete_rule "
            "FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu "
            "ON tc.constraint_name = kcu.constraint_name "
            "LEFT JOIN information_schema.referential_constraints rc "
            "ON tc.constraint_name = rc.constraint_name "
            "WHERE tc.table_schema = 'public' AND tc.table_name != 'aerich' "
            "ORDER BY 1, 2, 3"
        )
        return {
            "columns": [tuple(r) for r in columns],
            "indexes": [tuple(r) for r in indexes],
            "constraints": [tuple(r) for r in constraints],
        }
    finally:
        await conn.close()


def test_sqlite_migrations_match_the_models(tmp_path: Path) -> None:
    migrated, generated = tmp_path / "migrated.sqlite3", tmp_path / "generated.sqlite3"
    applied = run_sync(_migrate(f"sqlite://{migrated}"))
    assert len(applied) == MIGRATION_COUNT
    run_sync(_generate(f"sqlite://{generated}"))
    left, right = _sqlite_schema(migrated), _sqlite_schema(generated)
    assert set(left) == {
        "users",
        "sessions",
        "refresh_tokens",
        "items",
        "rate_counters",
        "login_failures",
        "mail_outbox",
        "account_tokens",
        "activity",
        "import_jobs",
        "passkeys",
        "passkey_challenges",
        "totp_factors",
        "recovery_codes",
        "mfa_challenges",
        "access_tokens",
        *(f"items_fts{part}" for part in ("", "_config", "_content", "_data", "_docsize", "_idx")),
    }
    assert left == right
    # A second run applies nothing.
    assert run_sync(_migrate(f"sqlite://{migrated}")) == []


async def _fresh_pg() -> str:
    name = f"gamecoll_m_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    return name


async def _drop_pg(name: str) -> None:
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_migrations_match_the_models(pg_template: str) -> None:
    migrated, generated = run_sync(_fresh_pg()), run_sync(_fresh_pg())
    try:
        assert len(run_sync(_migrate(_pg_url(migrated)))) == MIGRATION_COUNT
        run_sync(_generate(_pg_url(generated)))
        left = run_sync(_pg_schema(_pg_url(migrated)))
        right = run_sync(_pg_schema(_pg_url(generated)))
        assert left["columns"] and left == right
    finally:
        run_sync(_drop_pg(migrated))
        run_sync(_drop_pg(generated))


def test_three_concurrent_starts_apply_each_migration_once(
    pg_template: str, tmp_path: Path
) -> None:
    """Three server processes start at the same moment against an empty database."""
    from tests.conftest import free_port
    from tests.servers import servers

    name = run_sync(_fresh_pg())
    try:
        env = base_env(
            DATABASE_URL=_pg_url(name), IMAGE_DIR=str(tmp_path / "images"), LOG_LEVEL="INFO"
        )
        ports = [free_port() for _ in range(3)]
        with servers(3, env=env, log_dir=tmp_path, ports=ports) as started:
            logs = [server.log() for server in started]

        async def rows() -> list[Any]:
            conn = await asyncpg.connect(_pg_url(name))
            try:
                return list(await conn.fetch("SELECT version FROM aerich"))
            finally:
                await conn.close()

        assert len(run_sync(rows())) == MIGRATION_COUNT
        applied_lines = sum(log.count("applied migration") for log in logs)
        assert applied_lines == MIGRATION_COUNT, logs
    finally:
        run_sync(_drop_pg(name))
