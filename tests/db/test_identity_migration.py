"""Migration 1 rewrites stored emails and username keys to their normalised forms."""

from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from gamecoll.config import load_settings
from gamecoll.db import apply_migrations
from tests.conftest import _pg_admin, _pg_url, base_env, run_sync

MIGRATION = "2_20261201120000_normalise_identities.py"
NFD_JOSE = unicodedata.normalize("NFD", "josé@example.com")
FULLWIDTH_ADMIN = "".join(chr(ord(c) + 0xFEE0) for c in "admin") + "@example.com"

# (email, username, username_key) as the old code stored them: only lowercased.
# (email, username, username_key) as the old code stored them: only lowercased; then the
# columns of later migrations (email_verified, disabled_at), which the rewrite leaves alone.
OLD_ROWS = [
    (FULLWIDTH_ADMIN, "Ｂｏｂ".lower(), "ｂｏｂ", False, None),  # noqa: RUF001 - fullwidth on purpose
    ("admin@example.com", None, None, True, None),  # already normal: keeps its email
    (NFD_JOSE, "Jose", "jose", True, None),
    ("straße@example.com", None, None, False, None),
    ("adm\u0131n@example.org", None, None, False, None),
]
EXPECTED = [
    (FULLWIDTH_ADMIN, "ｂｏｂ", "bob", False, None),  # noqa: RUF001 - the normal form was taken
    ("admin@example.com", None, None, True, None),
    (unicodedata.normalize("NFC", "josé@example.com"), "Jose", "jose", True, None),
    ("strasse@example.com", None, None, False, None),
    ("admin@example.org", None, None, False, None),
]


INSERT = (
    'INSERT INTO "users" (id, email, username, username_key, email_verified, disabled_at, '
    "password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'x', ?, ?)"
)
SELECT = (
    'SELECT email, username, username_key, email_verified, disabled_at FROM "users" '
    "ORDER BY created_at"
)
FORGET = 'DELETE FROM "aerich" WHERE version = ?'


def _old_rows() -> list[tuple[Any, ...]]:
    """The rows above with ids and creation times one day apart, oldest first."""
    return [
        (uuid.uuid4(), *row, datetime(2026, 1, day, tzinfo=UTC), datetime(2026, 1, day, tzinfo=UTC))
        for day, row in enumerate(OLD_ROWS, start=1)
    ]


async def _store_old_rows(url: str) -> list[tuple[Any, ...]]:
    """Write rows as the old code stored them, make migration 1 pending again, read back."""
    rows = _old_rows()
    if url.startswith("sqlite://"):
        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            conn.executemany(
                INSERT, [(str(r[0]), *r[1:6], *(d.isoformat() for d in r[6:])) for r in rows]
            )
            conn.execute(FORGET, (MIGRATION,))
            return [tuple(r) for r in conn.execute(SELECT)]
    conn_pg = await asyncpg.connect(url, timeout=5)
    try:
        await conn_pg.executemany(_dollars(INSERT), rows)
        await conn_pg.execute(_dollars(FORGET), MIGRATION)
        return [tuple(r) for r in await conn_pg.fetch(SELECT)]
    finally:
        await conn_pg.close()


async def _read(url: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            return [tuple(r) for r in conn.execute(SELECT)]
    conn_pg = await asyncpg.connect(url, timeout=5)
    try:
        return [tuple(r) for r in await conn_pg.fetch(SELECT)]
    finally:
        await conn_pg.close()


def _dollars(query: str) -> str:
    for n in range(1, query.count("?") + 1):
        query = query.replace("?", f"${n}", 1)
    return query


def _check(url: str) -> None:
    settings = load_settings(base_env(DATABASE_URL=url), dotenv=None)
    run_sync(apply_migrations(settings))
    assert run_sync(_store_old_rows(url)) == OLD_ROWS
    assert run_sync(apply_migrations(settings)) == [MIGRATION]
    assert run_sync(_read(url)) == EXPECTED


def test_sqlite_rows_are_normalised(tmp_path: Path) -> None:
    _check(f"sqlite://{tmp_path / 'old.sqlite3'}")


def test_postgres_rows_are_normalised(pg_template: str) -> None:
    name = f"gamecoll_n_{uuid.uuid4().hex[:10]}"
    run_sync(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        _check(_pg_url(name))
    finally:
        run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
