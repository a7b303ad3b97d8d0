"""Migration 5 gives items stored before it the defaults, and their case-folded keys."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aerich import Command

from gamecoll.config import load_settings
from gamecoll.db import (
    MIGRATIONS_DIR,
    apply_migrations,
    close_database_connections,
    tortoise_config,
)
from tests.conftest import _pg_admin, _pg_url, base_env, run_sync

BEFORE = ("0_", "1_", "2_", "3_", "4_")
USER = (
    'INSERT INTO "users" (id, email, password_hash, created_at, updated_at, email_verified) '
    "VALUES (?, 'old@example.com', 'x', ?, ?, ?)"
)
ITEM = (
    'INSERT INTO "items" (id, user_id, name, platform, notes, metadata, created_at, updated_at) '
    "VALUES (?, ?, ?, ?, '', '{}', ?, ?)"
)
READ = (
    "SELECT status, region, edition, parts, sealed, graded, completeness, condition, barcode, "
    "purchase_cents, purchase_currency, purchase_date, purchase_source, quantity, tags, "
    "tag_keys, name_key, platform_key FROM items ORDER BY name"
)
NAMES = [("ＺＥＬＤＡ", "Super NES"), ("Straße Fighter", "")]  # noqa: RUF001 - fullwidth
DEFAULTS: tuple[Any, ...] = ("owned", None, "", "[]", False, None, "unknown", None, None)
DEFAULTS_AFTER: tuple[Any, ...] = (None, None, None, "", 1, "[]", "[]")


async def _migrate_up_to_4(url: str, tmp_path: Path) -> None:
    """Apply the migrations made before item details, from a copy of the folder."""
    folder = tmp_path / "migrations" / "models"
    folder.mkdir(parents=True)
    for path in (MIGRATIONS_DIR / "models").glob("*.py"):
        if path.name.startswith(BEFORE):
            shutil.copy(path, folder / path.name)
    settings = load_settings(base_env(DATABASE_URL=url), dotenv=None)
    command = Command(
        tortoise_config=tortoise_config(settings), app="models", location=str(folder.parent)
    )
    async with command:
        try:
            await command.upgrade(run_in_transaction=True)
        finally:
            await close_database_connections()


def _rows(now: datetime) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    owner = uuid.uuid4()
    user = (owner, now, now, True)
    items = [(uuid.uuid4(), owner, name, platform, now, now) for name, platform in NAMES]
    return user, items


def _check(rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        normal = tuple(v if not isinstance(v, str) else v.replace(" ", "") for v in row)
        assert normal[:9] in (DEFAULTS, (*DEFAULTS[:4], 0, *DEFAULTS[5:])), row
        assert normal[9:16] == DEFAULTS_AFTER, row
    assert [row[16:] for row in rows] == [("strasse fighter", ""), ("zelda", "super nes")]


def test_sqlite_items_get_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite://{path}"
    run_sync(_migrate_up_to_4(url, tmp_path))
    user, items = _rows(datetime(2026, 1, 1, tzinfo=UTC))
    with sqlite3.connect(path) as conn:
        conn.execute(USER, (str(user[0]), *(v.isoformat() for v in user[1:3]), 1))
        conn.executemany(
            ITEM,
            [(str(i[0]), str(i[1]), i[2], i[3], i[4].isoformat(), i[5].isoformat()) for i in items],
        )
    settings = load_settings(base_env(DATABASE_URL=url), dotenv=None)
    assert any(name.startswith("5_") for name in run_sync(apply_migrations(settings)))
    with sqlite3.connect(path) as conn:
        _check([tuple(row) for row in conn.execute(READ)])
        # Migration 9 put the items stored before into the full-text index.
        found = conn.execute("SELECT item_id FROM items_fts WHERE items_fts MATCH 'fight*'")
        assert [row[0] for row in found] == [str(items[1][0])]


def _dollars(query: str) -> str:
    for n in range(1, query.count("?") + 1):
        query = query.replace("?", f"${n}", 1)
    return query


async def _pg_old_rows(url: str) -> None:
    user, items = _rows(datetime(2026, 1, 1, tzinfo=UTC))
    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(_dollars(USER), *user)
        await conn.executemany(_dollars(ITEM), items)
    finally:
        await conn.close()


async def _pg_read(url: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        return [tuple(row) for row in await conn.fetch(READ)]
    finally:
        await conn.close()


def test_postgres_items_get_the_defaults(pg_template: str, tmp_path: Path) -> None:
    name = f"gamecoll_d_{uuid.uuid4().hex[:10]}"
    run_sync(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = _pg_url(name)
        run_sync(_migrate_up_to_4(url, tmp_path))
        run_sync(_pg_old_rows(url))
        settings = load_settings(base_env(DATABASE_URL=url), dotenv=None)
        assert any(n.startswith("5_") for n in run_sync(apply_migrations(settings)))
        _check(run_sync(_pg_read(url)))
    finally:
        run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
