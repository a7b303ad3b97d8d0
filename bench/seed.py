"""The bench database and its data.

Accounts and items with photos go through gamecoll's own API (registration, login, uploads), so
that every row and file is exactly what the app makes. Bulk rows that no request needs to
create one by one (filler users, the items of the list-latency scenario) are inserted with
PostgreSQL's `generate_series`, which writes a million rows in seconds.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

PASSWORD = "bench password, not a common one 7"  # a throwaway bench account


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url`."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


async def create_database(admin_url: str, name: str) -> None:
    """Create an empty database (dropping a leftover of the same name)."""
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    """Drop the database, closing whatever is still connected to it."""
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def server_version(admin_url: str) -> str:
    """PostgreSQL's version string."""
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        return str(await conn.fetchval("SELECT version()"))
    finally:
        await conn.close()


@dataclass
class Account:
    """A bench user and its access token."""

    email: str
    user_id: str
    access_token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    """A small client of gamecoll's API at 127.0.0.1."""

    def __init__(self, port: int) -> None:
        # trust_env=False: never through a proxy from the environment, 127.0.0.1 only.
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=120.0, trust_env=False
        )

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def register(self, email: str) -> Account:
        response = await self.client.post(
            "/auth/register", json={"email": email, "password": PASSWORD}
        )
        _expect(response, 201, "register")
        data = response.json()
        return Account(email, data["user"]["id"], data["access_token"])

    async def login(self, email: str) -> dict[str, Any]:
        response = await self.client.post(
            "/auth/login", json={"email": email, "password": PASSWORD}
        )
        _expect(response, 200, "login")
        data: dict[str, Any] = response.json()
        return data

    async def refresh_tokens(self, email: str, count: int) -> list[str]:
        """Log in `count` times (concurrently) and return the refresh tokens."""
        logins = await asyncio.gather(*(self.login(email) for _ in range(count)))
        return [str(login["refresh_token"]) for login in logins]

    async def collection_api_present(self) -> bool:
        """Tell whether the running app serves /collection/items (401 without a token)."""
        response = await self.client.get("/collection/items")
        return response.status_code != 404

    async def create_item(self, account: Account, name: str, image: bytes) -> dict[str, Any]:
        body = {
            "name": name,
            "platform": "Bench Station",
            "notes": "Seeded by the benchmark harness.",
            "metadata": {"seeded": True},
            "image": base64.b64encode(image).decode("ascii"),
        }
        response = await self.client.post(
            "/collection/items",
            json=body,
            params={"allow_duplicate": "true"},  # a few images, cycled
            headers=account.bearer,
        )
        _expect(response, 201, "create item")
        data: dict[str, Any] = response.json()
        return data

    async def create_items(
        self, account: Account, images: list[bytes], count: int, *, parallel: int = 4
    ) -> list[dict[str, Any]]:
        """Upload `count` items, cycling through `images`, a few at a time."""
        numbered = iter(enumerate(itertools.islice(itertools.cycle(images), count)))
        made: list[dict[str, Any]] = []

        async def worker() -> None:
            for number, image in numbered:
                made.append(await self.create_item(account, f"Bench game {number:05d}", image))

        await asyncio.gather(*(worker() for _ in range(parallel)))
        return made

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(
            f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}"
        )


async def add_filler_users(db_url: str, *, count: int, like_email: str) -> None:
    """Insert `count` more users, sharing the password hash of an existing one."""
    conn = await asyncpg.connect(db_url, timeout=10)
    try:
        await conn.execute(
            """
            INSERT INTO users (id, email, username, username_key, password_hash, gpu_endpoint,
                               created_at, updated_at)
            SELECT gen_random_uuid(), 'filler' || g || '@bench.invalid', 'filler' || g,
                   'filler' || g, u.password_hash, NULL, now(), now()
            FROM generate_series(1, $1::int) AS g, (SELECT password_hash FROM users
                                                    WHERE email = $2) AS u
            """,
            count,
            like_email,
        )
        await conn.execute("ANALYZE users")
    finally:
        await conn.close()


async def fill_items(db_url: str, *, user_id: str, total: int) -> int:
    """Make the items table hold exactly `total` rows, all of this user's (no images).

    Rows are added with `generate_series`; created_at spreads one second apart, newest now.
    Returns the row count afterwards. ANALYZE runs after each fill, as autovacuum would soon.
    """
    conn = await asyncpg.connect(db_url, timeout=10, command_timeout=3600)
    try:
        have = int(await conn.fetchval("SELECT count(*) FROM items"))
        if have > total:
            raise RuntimeError(f"items already holds {have} rows, more than {total}")
        if have < total:
            await conn.execute(
                """
                INSERT INTO items (id, user_id, name, platform, notes, metadata,
                                   created_at, updated_at)
                SELECT gen_random_uuid(), $1::uuid, 'Scale game ' || g,
                       (ARRAY['PC', 'Switch', 'PS5', 'Xbox', 'Retro'])[1 + g % 5],
                       'Inserted by the list-latency scenario.', '{"seeded": true}'::jsonb,
                       now() - make_interval(secs => g), now() - make_interval(secs => g)
                FROM generate_series($2::int + 1, $3::int) AS g
                """,
                user_id,
                have,
                total,
            )
        await conn.execute("ANALYZE items")
        return int(await conn.fetchval("SELECT count(*) FROM items"))
    finally:
        await conn.close()


async def empty_items(db_url: str) -> None:
    """Remove every item row (the list-latency scenario starts from an empty table)."""
    conn = await asyncpg.connect(db_url, timeout=10)
    try:
        await conn.execute("TRUNCATE items")
    finally:
        await conn.close()
