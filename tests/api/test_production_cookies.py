"""In production, cookies carry the __Host- prefix and the Secure flag."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import PRODUCTION_SECRET
from tests.helpers import register


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"APP_ENV": "production", "JWT_SECRET_KEY": PRODUCTION_SECRET}


async def test_production_cookies_are_host_prefixed_and_secure(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register", json={"email": "prod@example.com", "password": "a long passphrase"}
    )
    assert response.status_code == 201
    cookies = response.headers.get_list("set-cookie")
    names = sorted(c.split("=", 1)[0] for c in cookies)
    assert names == ["__Host-gc_access", "__Host-gc_csrf", "__Host-gc_refresh"]
    for cookie in cookies:
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert all("HttpOnly" in c for c in cookies if not c.startswith("__Host-gc_csrf"))


async def test_production_cookie_session_is_read_back(client: httpx.AsyncClient) -> None:
    tokens = await register(client, email="prod2@example.com")
    # httpx does not send Secure cookies over http, as a browser would not: send it by hand.
    response = await client.get(
        "/auth/user/me", headers={"Cookie": f"__Host-gc_access={tokens['access_token']}"}
    )
    assert response.status_code == 200
