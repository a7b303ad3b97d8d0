"""Every password check counts failures per account; old pre-hashes upgrade at login."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from typing import Any

import bcrypt
import httpx
import pytest

from gamecoll.config import Settings
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email

NEW_PASSWORD = "a whole new password 42"


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"LOGIN_FAILURES_BEFORE_LOCKOUT": "3", "LOGIN_LOCKOUT_BASE_SECONDS": "30"}


async def sql(settings: Settings, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one statement (`?` placeholders) straight on the test database."""
    url = settings.database_url
    if url.startswith("sqlite://"):
        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            return [tuple(r) for r in conn.execute(query, args).fetchall()]
    import asyncpg

    for index in range(1, query.count("?") + 1):
        query = query.replace("?", f"${index}", 1)
    conn_pg = await asyncpg.connect(url, timeout=5)
    try:
        return [tuple(r) for r in await conn_pg.fetch(query, *args)]
    finally:
        await conn_pg.close()


def assert_locked(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 30


async def test_password_change_guesses_lock_even_the_right_password(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    wrong = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    for _ in range(3):
        answer = await client.put("/auth/password", json=wrong, headers=bearer(tokens))
        assert answer.status_code == 422
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_locked(await client.put("/auth/password", json=right, headers=bearer(tokens)))
    # The password did not change, and the lock is the account's: login waits too.
    login = await client.post(
        "/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD}
    )
    assert_locked(login)


async def test_account_deletion_guesses_lock_even_the_right_password(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    for _ in range(3):
        answer = await client.request(
            "DELETE", "/auth/user/me", json={"password": "nope nope"}, headers=bearer(tokens)
        )
        assert answer.status_code == 422
    right = await client.request(
        "DELETE", "/auth/user/me", json={"password": PASSWORD}, headers=bearer(tokens)
    )
    assert_locked(right)
    assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 200


async def test_email_change_guesses_lock_even_the_right_password(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    email = tokens["user"]["email"]
    for _ in range(3):
        wrong = {"new_email": unique_email(), "current_password": "not the password"}
        answer = await client.put("/auth/email", json=wrong, headers=bearer(tokens))
        assert error_of(answer)["fields"]["current_password"]
    right = {"new_email": unique_email(), "current_password": PASSWORD}
    assert_locked(await client.put("/auth/email", json=right, headers=bearer(tokens)))
    assert_locked(await client.post("/auth/login", json={"email": email, "password": PASSWORD}))


async def test_email_and_username_share_one_count(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email, username="sharedcount")
    for name in (email, "SharedCount", email.upper()):
        answer = await client.post("/auth/login", json={"email": name, "password": "wrong one"})
        assert answer.status_code == 401
    assert_locked(
        await client.post("/auth/login", json={"email": "sharedcount", "password": PASSWORD})
    )


async def test_a_success_resets_the_count(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    wrong = {"email": email, "password": "wrong one"}
    for _ in range(2):
        assert (await client.post("/auth/login", json=wrong)).status_code == 401
    right = {"email": email, "password": PASSWORD}
    assert (await client.post("/auth/login", json=right)).status_code == 200
    for _ in range(2):
        assert (await client.post("/auth/login", json=wrong)).status_code == 401
    assert (await client.post("/auth/login", json=right)).status_code == 200


async def test_unknown_and_known_accounts_answer_alike(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    answers: dict[str, list[tuple[int, str]]] = {}
    for name in (email, unique_email()):
        body = {"email": name, "password": "wrong one"}
        answers[name] = []
        for _ in range(4):
            response = await client.post("/auth/login", json=body)
            answers[name].append((response.status_code, error_of(response)["code"]))
    known, unknown = answers.values()
    assert known == unknown == [(401, "invalid_credentials")] * 3 + [(429, "rate_limited")]


async def test_legacy_prehash_is_upgraded_at_the_next_login(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    email = unique_email()
    await register(client, email=email)
    legacy_input = base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest())
    legacy = bcrypt.hashpw(legacy_input, bcrypt.gensalt(4)).decode()
    await sql(live.settings, "UPDATE users SET password_hash = ? WHERE email = ?", legacy, email)
    body = {"email": email, "password": PASSWORD}
    assert (await client.post("/auth/login", json=body)).status_code == 200
    [(stored,)] = await sql(live.settings, "SELECT password_hash FROM users WHERE email = ?", email)
    assert stored.startswith("$bcrypt-sha256$v=2,t=2b,r=4$")
    assert (await client.post("/auth/login", json=body)).status_code == 200
    wrong = {"email": email, "password": "not it at all"}
    assert (await client.post("/auth/login", json=wrong)).status_code == 401
