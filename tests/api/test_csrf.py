"""CSRF: cookie-authenticated state changes need this session's token and this site's origin."""

from __future__ import annotations

import httpx

from tests.conftest import LiveApp
from tests.helpers import bearer, error_of, register

GPU = {"gpu_endpoint": "http://192.168.0.9:5000"}


async def test_cookie_request_without_token_is_403(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.put("/auth/gpu-endpoint", json=GPU)
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    me = await client.get("/auth/user/me")
    assert me.json()["gpu_endpoint"] is None  # nothing changed


async def test_cookie_request_with_token_header_passes(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    response = await client.put(
        "/auth/gpu-endpoint", json=GPU, headers={"X-CSRF-Token": tokens["csrf_token"]}
    )
    assert response.status_code == 200
    assert response.json()["gpu_endpoint"] == GPU["gpu_endpoint"]


async def test_token_from_the_readable_cookie_works(client: httpx.AsyncClient) -> None:
    await register(client)
    token = client.cookies.get("gc_csrf")
    assert token
    response = await client.put("/auth/gpu-endpoint", json=GPU, headers={"X-CSRF-Token": token})
    assert response.status_code == 200


async def test_wrong_token_is_403(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.put("/auth/gpu-endpoint", json=GPU, headers={"X-CSRF-Token": "nope"})
    assert response.status_code == 403


async def test_another_sessions_token_is_403(live: LiveApp) -> None:
    async with live.client() as a, live.client() as b:
        await register(a)
        other = await register(b)
        response = await a.put(
            "/auth/gpu-endpoint", json=GPU, headers={"X-CSRF-Token": other["csrf_token"]}
        )
        assert response.status_code == 403


async def test_cross_site_origin_is_403_even_with_token(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    response = await client.put(
        "/auth/gpu-endpoint",
        json=GPU,
        headers={"X-CSRF-Token": tokens["csrf_token"], "Origin": "https://evil.example"},
    )
    assert response.status_code == 403


async def test_same_origin_header_is_accepted(live: LiveApp) -> None:
    async with live.client() as client:
        tokens = await register(client)
        response = await client.put(
            "/auth/gpu-endpoint",
            json=GPU,
            headers={"X-CSRF-Token": tokens["csrf_token"], "Origin": live.url},
        )
        assert response.status_code == 200


async def test_bearer_requests_need_no_csrf_token(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    client.cookies.clear()
    response = await client.put("/auth/gpu-endpoint", json=GPU, headers=bearer(tokens))
    assert response.status_code == 200


async def test_cross_site_login_form_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login",
        data={"username": "someone@example.com", "password": "whatever-1234"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


async def test_cookie_logout_needs_the_token(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    refused = await client.post("/auth/logout")
    assert refused.status_code == 403
    assert (await client.get("/auth/user/me")).status_code == 200
    ok = await client.post("/auth/logout", headers={"X-CSRF-Token": tokens["csrf_token"]})
    assert ok.status_code == 204
    assert (await client.get("/auth/user/me")).status_code == 401
