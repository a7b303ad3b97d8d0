"""CORS: allowed browser origins may call the API with credentials; others get no CORS headers."""

from __future__ import annotations

import httpx
import pytest

FRONTEND = "http://localhost:3000"


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"ALLOWED_ORIGINS": f"{FRONTEND},https://app.example"}


async def test_preflight_from_an_allowed_origin(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/auth/login",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-csrf-token",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-csrf-token" in response.headers["access-control-allow-headers"].lower()


async def test_simple_request_from_an_allowed_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/", headers={"Origin": FRONTEND})
    assert response.headers["access-control-allow-origin"] == FRONTEND


async def test_other_origins_get_no_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
