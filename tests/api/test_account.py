"""GPU endpoint, password change and account deletion."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email


async def test_set_and_clear_gpu_endpoint(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    h = bearer(tokens)
    response = await client.put(
        "/auth/gpu-endpoint", json={"gpu_endpoint": "https://gpu.local:8443/v1"}, headers=h
    )
    assert response.status_code == 200
    assert response.json()["gpu_endpoint"] == "https://gpu.local:8443/v1"
    assert (await client.get("/auth/user/me", headers=h)).json()["gpu_endpoint"] == (
        "https://gpu.local:8443/v1"
    )
    cleared = await client.put("/auth/gpu-endpoint", json={"gpu_endpoint": None}, headers=h)
    assert cleared.status_code == 200 and cleared.json()["gpu_endpoint"] is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://",
        "http://user@host",
        "file:///etc/passwd",
        "http://host:99999",
        "http://host/" + "a" * 2048,
        "http://ho st",
    ],
)
async def test_bad_gpu_endpoints_are_422(client: httpx.AsyncClient, url: str) -> None:
    tokens = await register(client)
    response = await client.put(
        "/auth/gpu-endpoint", json={"gpu_endpoint": url}, headers=bearer(tokens)
    )
    assert response.status_code == 422
    assert "gpu_endpoint" in error_of(response)["fields"]


async def test_gpu_endpoint_field_is_required(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    response = await client.put("/auth/gpu-endpoint", json={}, headers=bearer(tokens))
    assert response.status_code == 422


async def test_password_change_ends_other_sessions(live: LiveApp) -> None:
    email = unique_email()
    async with live.client() as a, live.client() as b:
        mine = await register(a, email=email)
        other = (await b.post("/auth/login", json={"email": email, "password": PASSWORD})).json()
        response = await a.put(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
            headers=bearer(mine),
        )
        assert response.status_code == 204
        assert (await a.get("/auth/user/me", headers=bearer(mine))).status_code == 200
        assert (await b.get("/auth/user/me", headers=bearer(other))).status_code == 401
        old = await a.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert old.status_code == 401
        new = await a.post(
            "/auth/login", json={"email": email, "password": "a brand new passphrase"}
        )
        assert new.status_code == 200


async def test_password_change_checks_current_and_new(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    wrong = await client.put(
        "/auth/password",
        json={"current_password": "not it at all", "new_password": "a brand new passphrase"},
        headers=bearer(tokens),
    )
    assert wrong.status_code == 422
    assert "current_password" in error_of(wrong)["fields"]
    weak = await client.put(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "12345678"},
        headers=bearer(tokens),
    )
    assert weak.status_code == 422
    assert "new_password" in error_of(weak)["fields"]
    # The same password again: refused (it would only sign out every other session).
    same = await client.put(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=bearer(tokens),
    )
    assert same.status_code == 422
    assert error_of(same)["fields"]["new_password"] == (
        "The new password is the same as the current one. Choose a different one."
    )
    still = await client.get("/auth/me", headers=bearer(tokens))
    assert still.status_code == 200  # this session was not touched


async def test_delete_account(live: LiveApp) -> None:
    email = unique_email()
    async with live.client() as client:
        tokens = await register(client, email=email)
        wrong = await client.request(
            "DELETE", "/auth/user/me", json={"password": "nope nope"}, headers=bearer(tokens)
        )
        assert wrong.status_code == 422
        assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 200
        response = await client.request(
            "DELETE", "/auth/user/me", json={"password": PASSWORD}, headers=bearer(tokens)
        )
        assert response.status_code == 204
        assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 401
        login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 401
        # The email is free again.
        await register(client, email=email)
