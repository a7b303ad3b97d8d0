"""Rate limits: per-account back-off with Retry-After, per-IP limits, shared across instances."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database, base_env, free_port
from tests.helpers import PASSWORD, error_of, register, unique_email
from tests.servers import servers


@pytest.fixture
def app_env() -> dict[str, str]:
    return {
        "LOGIN_FAILURES_BEFORE_LOCKOUT": "3",
        "LOGIN_LOCKOUT_BASE_SECONDS": "30",
        "RATE_LIMIT_REGISTER_PER_HOUR": "3",
        "RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
    }


async def test_failed_logins_lock_the_account_with_growing_back_off(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await register(client, email=email)
    wrong = {"email": email, "password": "not the password"}
    for _ in range(3):
        assert (await client.post("/auth/login", json=wrong)).status_code == 401
    locked = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "rate_limited"
    first_wait = int(locked.headers["retry-after"])
    assert 25 <= first_wait <= 30
    assert "failed logins" in error_of(locked)["message"]


async def test_unknown_accounts_lock_the_same_way(client: httpx.AsyncClient) -> None:
    wrong = {"email": unique_email(), "password": "not the password"}
    answers = [(await client.post("/auth/login", json=wrong)).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]


async def test_register_is_limited_per_ip(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await register(client)
    response = await client.post(
        "/auth/register", json={"email": unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1


async def test_login_ip_limit(database: Database) -> None:
    from tests.conftest import start_app, stop_app

    live, server = await start_app(database.settings(RATE_LIMIT_LOGIN_PER_MINUTE="2"))
    try:
        async with live.client() as client:
            body = {"email": unique_email(), "password": "whatever-1234"}
            codes = [(await client.post("/auth/login", json=body)).status_code for _ in range(3)]
            assert codes == [401, 401, 429]
            assert (
                "from your address"
                in error_of(await client.post("/auth/login", json=body))["message"]
            )
    finally:
        await stop_app(server)


async def test_refreshing_through_the_cookie_counts_towards_the_refresh_limit(
    database: Database,
) -> None:
    """A page or API call that spends the refresh cookie is a refresh like POST /auth/refresh."""
    from tests.conftest import start_app, stop_app

    if time.time() % 60 > 50:  # the counter's window is the minute: use one minute throughout
        await asyncio.sleep(61 - time.time() % 60)
    live, server = await start_app(database.settings(RATE_LIMIT_REFRESH_PER_MINUTE="2"))
    try:
        async with live.client() as client:
            tokens = await register(client)
            body = await client.post(
                "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )
            assert body.status_code == 200
            client.cookies.delete("gc_access")  # expired: the guard spends the refresh cookie
            assert (await client.get("/auth/user/me")).status_code == 200
            client.cookies.delete("gc_access")
            limited = await client.get("/auth/user/me")
            assert limited.status_code == 429
            assert "Too many refresh requests" in error_of(limited)["message"]
            assert int(limited.headers["retry-after"]) >= 1
    finally:
        await stop_app(server)


def _count_lockout(a: str, b: str, email: str) -> list[int]:
    wrong = {"email": email, "password": "not the password"}
    codes = []
    for index in range(4):
        url = a if index % 2 == 0 else b
        codes.append(httpx.post(f"{url}/auth/login", json=wrong, timeout=10).status_code)
    return codes


@pytest.mark.parametrize("db_kind", ["postgres"])
def test_failed_logins_count_across_two_instances(database: Database, tmp_path: Path) -> None:
    env = base_env(
        DATABASE_URL=database.url,
        IMAGE_DIR=str(database.image_dir),
        LOGIN_FAILURES_BEFORE_LOCKOUT="3",
        LOGIN_LOCKOUT_BASE_SECONDS="60",
        RATE_LIMIT_REFRESH_PER_MINUTE="3",
    )
    with servers(2, env=env, log_dir=tmp_path, ports=[free_port(), free_port()]) as (a, b):
        email = unique_email()
        reg = httpx.post(
            f"{a.url}/auth/register", json={"email": email, "password": PASSWORD}, timeout=10
        )
        assert reg.status_code == 201
        # Two failures on each instance: the third overall locks the account on both.
        assert _count_lockout(a.url, b.url, email) == [401, 401, 401, 429]
        right = {"email": email, "password": PASSWORD}
        assert httpx.post(f"{a.url}/auth/login", json=right, timeout=10).status_code == 429
        # Per-IP refresh limit, shared as well: 3 per minute across both.
        token = reg.json()["refresh_token"]
        codes = []
        for index in range(4):
            url = (a.url, b.url)[index % 2]
            answer = httpx.post(f"{url}/auth/refresh", json={"refresh_token": token}, timeout=10)
            codes.append(answer.status_code)
            if answer.status_code == 200:
                token = answer.json()["refresh_token"]
        assert codes == [200, 200, 200, 429]
