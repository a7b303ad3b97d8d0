"""When PostgreSQL goes away the API answers 503 clearly, and recovers by itself."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Database, LiveApp, _pg_admin
from tests.helpers import bearer, error_of, register


async def _cut(database: Database, allow: bool) -> None:
    name = database.url.rsplit("/", 1)[1]
    await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
    if not allow:
        await _pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )


@pytest.mark.parametrize("db_kind", ["postgres"])
async def test_database_outage_gives_503_then_recovers(
    database: Database, live: LiveApp, client: httpx.AsyncClient
) -> None:
    tokens = await register(client)
    await _cut(database, allow=False)
    try:
        me = await client.get("/auth/user/me", headers=bearer(tokens))
        assert me.status_code == 503
        assert error_of(me)["code"] == "service_unavailable"
        assert "database" in error_of(me)["message"].lower()
        status = await client.get("/auth/")
        assert status.status_code == 503 and status.json()["database"] == "unavailable"
        assert (await client.get("/readyz")).status_code == 503
        assert (await client.get("/healthz")).status_code == 200
    finally:
        await _cut(database, allow=True)
    for _ in range(3):  # the pool may hand out one dead connection before it notices
        me = await client.get("/auth/user/me", headers=bearer(tokens))
        if me.status_code == 200:
            break
    assert me.status_code == 200
    assert (await client.get("/auth/")).json()["database"] == "ok"
