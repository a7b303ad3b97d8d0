"""The basics a frontend developer checks first."""

from __future__ import annotations

import httpx

from tests.helpers import bearer, register


async def test_register_then_me(client: httpx.AsyncClient) -> None:
    tokens = await register(client, username="ada")
    response = await client.get("/auth/user/me", headers=bearer(tokens))
    assert response.status_code == 200
    assert response.json()["username"] == "ada"
    assert "password_hash" not in response.json()
