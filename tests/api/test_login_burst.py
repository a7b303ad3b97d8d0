"""A burst of logins does not stall other requests, and a flood is refused, not queued forever."""

from __future__ import annotations

import asyncio

import pytest

from gamecoll.security import passwords
from tests.conftest import Database, start_app, stop_app
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_other_requests_flow_during_a_login_burst(database: Database) -> None:
    live, server = await start_app(database.settings(BCRYPT_ROUNDS="12"))
    try:
        async with live.client() as client:
            email = unique_email()
            tokens = await register(client, email=email)
            logins = [
                asyncio.create_task(
                    client.post("/auth/login", json={"email": email, "password": PASSWORD})
                )
                for _ in range(6)
            ]
            await asyncio.sleep(0.05)  # let the hashing start
            me = await client.get("/auth/user/me", headers=bearer(tokens))
            assert me.status_code == 200
            # The cheap request came back while hashing was still going on.
            assert not all(task.done() for task in logins)
            answers = await asyncio.gather(*logins)
            assert [a.status_code for a in answers] == [200] * 6
    finally:
        await stop_app(server)


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_too_many_waiting_logins_get_503_with_retry_after(database: Database) -> None:
    live, server = await start_app(
        database.settings(BCRYPT_ROUNDS="11", HASH_WORKERS="1", HASH_QUEUE_LIMIT="1")
    )
    try:
        async with live.client() as client:
            email = unique_email()
            await register(client, email=email)
            body = {"email": email, "password": PASSWORD}
            answers = await asyncio.gather(
                *[client.post("/auth/login", json=body) for _ in range(6)]
            )
            codes = sorted(a.status_code for a in answers)
            assert 200 in codes and 503 in codes
            busy = next(a for a in answers if a.status_code == 503)
            assert busy.headers["retry-after"] == "1"
            assert error_of(busy)["code"] == "busy"
    finally:
        await stop_app(server)


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_hash_is_upgraded_on_login_when_rounds_rise(database: Database) -> None:
    import sqlite3

    email = unique_email()
    live, server = await start_app(database.settings(BCRYPT_ROUNDS="4"))
    try:
        async with live.client() as client:
            await register(client, email=email)
    finally:
        await stop_app(server)

    def stored_cost() -> int:
        path = database.url.removeprefix("sqlite://")
        with sqlite3.connect(path) as conn:
            row = conn.execute(
                "SELECT password_hash FROM users WHERE email = ?", (email,)
            ).fetchone()
        return passwords.hash_rounds(row[0])

    assert stored_cost() == 4
    live, server = await start_app(database.settings(BCRYPT_ROUNDS="6"))
    try:
        async with live.client() as client:
            ok = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert ok.status_code == 200
    finally:
        await stop_app(server)
    assert stored_cost() == 6
