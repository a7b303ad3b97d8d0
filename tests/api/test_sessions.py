"""Refresh rotation, reuse detection, logout and the sessions list."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_spends_the_old_token(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    first = await refresh(client, tokens["refresh_token"])
    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert new["user"]["id"] == tokens["user"]["id"]
    assert (await client.get("/auth/user/me", headers=bearer(new))).status_code == 200
    assert (await refresh(client, new["refresh_token"])).status_code == 200


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"REFRESH_REUSE_GRACE_SECONDS": "1"}


async def test_reusing_a_spent_refresh_token_ends_the_session(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    rotated = (await refresh(client, tokens["refresh_token"])).json()
    await asyncio.sleep(1.6)  # past the grace window (1 s in this module)
    replay = await refresh(client, tokens["refresh_token"])
    assert replay.status_code == 401
    assert "already used" in error_of(replay)["message"]
    # Theft detection: the thief's replay also kills the legitimate holder's tokens.
    assert (await client.get("/auth/user/me", headers=bearer(rotated))).status_code == 401
    assert (await refresh(client, rotated["refresh_token"])).status_code == 401


async def test_two_tabs_refreshing_at_once_get_the_same_pair(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    a, b = await asyncio.gather(
        refresh(client, tokens["refresh_token"]), refresh(client, tokens["refresh_token"])
    )
    assert a.status_code == b.status_code == 200
    assert a.json()["refresh_token"] == b.json()["refresh_token"]
    assert a.json()["access_token"] == b.json()["access_token"]
    assert (await client.get("/auth/user/me", headers=bearer(a.json()))).status_code == 200
    assert (await refresh(client, a.json()["refresh_token"])).status_code == 200


async def test_twenty_parallel_refreshes_yield_one_successor(client: httpx.AsyncClient) -> None:
    """A replay inside the grace window cannot fork the session into chains of its own."""
    tokens = await register(client)
    answers = await asyncio.gather(*[refresh(client, tokens["refresh_token"]) for _ in range(20)])
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    assert len({a.json()["refresh_token"] for a in answers}) == 1
    assert len({a.json()["access_token"] for a in answers}) == 1
    successor = answers[0].json()
    # The one successor moves on; the copies every replayer holds are that same, spent token.
    onward = await refresh(client, successor["refresh_token"])
    assert onward.status_code == 200
    await asyncio.sleep(1.6)  # past the grace window (1 s in this module)
    replay = await refresh(client, successor["refresh_token"])
    assert replay.status_code == 401
    assert "already used" in error_of(replay)["message"]
    assert (await client.get("/auth/user/me", headers=bearer(onward.json()))).status_code == 401


async def test_a_replay_in_the_window_repeats_the_answer_it_got(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    first = (await refresh(client, tokens["refresh_token"])).json()
    again = await refresh(client, tokens["refresh_token"])
    assert again.status_code == 200
    assert again.json()["refresh_token"] == first["refresh_token"]
    assert again.json()["access_token"] == first["access_token"]
    assert 0 < again.json()["expires_in"] <= first["expires_in"]


async def test_a_replay_in_the_window_of_an_ended_session_is_401(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    first = (await refresh(client, tokens["refresh_token"])).json()
    assert (await client.post("/auth/logout", headers=bearer(first))).status_code == 204
    assert (await refresh(client, tokens["refresh_token"])).status_code == 401


async def test_refresh_with_the_cookie(client: httpx.AsyncClient) -> None:
    await register(client)
    old_cookie = client.cookies.get("gc_refresh")
    response = await client.post("/auth/refresh")
    assert response.status_code == 200
    assert client.cookies.get("gc_refresh") not in (None, old_cookie)


async def test_refresh_without_any_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh")
    assert response.status_code == 401


async def test_logout_kills_the_access_token_at_once(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    response = await client.post("/auth/logout", headers=bearer(tokens))
    assert response.status_code == 204
    cleared = response.headers.get_list("set-cookie")
    for name in ("gc_access=", "gc_refresh=", "gc_csrf="):
        assert any(c.startswith(name) and "Max-Age=0" in c for c in cleared), cleared
    assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 401
    assert (await refresh(client, tokens["refresh_token"])).status_code == 401
    again = await client.post("/auth/logout", headers=bearer(tokens))
    assert again.status_code == 204  # harmless


async def test_logout_all_ends_every_session(live: LiveApp) -> None:
    email = unique_email()
    async with live.client() as phone, live.client() as laptop:
        first = await register(phone, email=email)
        login = await laptop.post("/auth/login", json={"email": email, "password": PASSWORD})
        second = login.json()
        response = await laptop.post("/auth/logout", headers=bearer(second), json={"all": True})
        assert response.status_code == 204
        for tokens in (first, second):
            assert (await phone.get("/auth/user/me", headers=bearer(tokens))).status_code == 401


async def _login(client: httpx.AsyncClient, email: str, agent: str) -> dict[str, Any]:
    response = await client.post(
        "/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


async def test_sessions_list_and_revoke(live: LiveApp) -> None:
    email = unique_email()
    async with live.client() as a, live.client() as b:
        await register(a, email=email)
        mine = await _login(a, email, "Phone/1.0")
        other = await _login(b, email, "Laptop/2.0")
        listing = await a.get("/auth/sessions", headers=bearer(mine))
        assert listing.status_code == 200
        sessions = listing.json()["sessions"]
        assert len(sessions) == 3  # registration, phone, laptop
        current = [s for s in sessions if s["current"]]
        assert len(current) == 1 and current[0]["user_agent"] == "Phone/1.0"
        laptop = next(s for s in sessions if s["user_agent"] == "Laptop/2.0")
        assert laptop["ip"] == "127.0.0.1"
        assert {"id", "created_at", "last_used_at", "expires_at"} <= set(laptop)
        ended = await a.delete(f"/auth/sessions/{laptop['id']}", headers=bearer(mine))
        assert ended.status_code == 204
        assert (await b.get("/auth/user/me", headers=bearer(other))).status_code == 401
        assert (await a.get("/auth/user/me", headers=bearer(mine))).status_code == 200
        again = await a.delete(f"/auth/sessions/{laptop['id']}", headers=bearer(mine))
        assert again.status_code == 404


async def test_cannot_end_another_users_session(live: LiveApp) -> None:
    async with live.client() as a, live.client() as b:
        alice = await register(a)
        bob = await register(b)
        bob_sessions = (await b.get("/auth/sessions", headers=bearer(bob))).json()["sessions"]
        response = await a.delete(f"/auth/sessions/{bob_sessions[0]['id']}", headers=bearer(alice))
        assert response.status_code == 404
        assert (await b.get("/auth/user/me", headers=bearer(bob))).status_code == 200


async def test_expired_access_cookie_is_refreshed_transparently(live: LiveApp) -> None:
    async with live.client() as browser:
        await register(browser)
        browser.cookies.delete("gc_access")  # as the browser does when Max-Age runs out
        me = await browser.get("/auth/user/me")
        assert me.status_code == 200
        assert browser.cookies.get("gc_access")  # a fresh one was set
