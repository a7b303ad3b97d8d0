"""Security headers: a CSP per kind of page, and HSTS only when switched on, over HTTPS."""

from __future__ import annotations

import httpx
import pytest

from gamecoll.config import ConfigError, load_settings
from gamecoll.http.headers import DOCS_CSP, PAGE_CSP, SETTINGS_CSP
from tests.conftest import PRODUCTION_SECRET, LiveApp, base_env
from tests.web.conftest import new_member, visitor_client

HTTPS_PROXY = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def directive(policy: str, name: str) -> str:
    """Return one directive of a CSP, e.g. `connect-src 'self'`."""
    found = [part.strip() for part in policy.split(";") if part.strip().startswith(name + " ")]
    assert len(found) == 1, policy
    return found[0]


async def test_pages_connect_only_to_their_own_origin(live: LiveApp) -> None:
    async with visitor_client(live) as http:
        for path in ("/login", "/register"):
            response = await http.get(path)
            policy = response.headers["content-security-policy"]
            assert policy == PAGE_CSP
            assert directive(policy, "connect-src") == "connect-src 'self'"
        await new_member(live, http)
        gallery = await http.get("/gallery")
        assert directive(gallery.headers["content-security-policy"], "connect-src") == (
            "connect-src 'self'"
        )
        # "Test connection" fetches the endpoint the user types: only this page may.
        settings = await http.get("/settings")
        assert settings.headers["content-security-policy"] == SETTINGS_CSP
        assert directive(SETTINGS_CSP, "connect-src") == "connect-src 'self' http: https:"


async def test_the_api_docs_have_their_own_csp(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/docs/swagger", "/docs/redoc"):
        response = await client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == DOCS_CSP
    assert directive(DOCS_CSP, "script-src") == "script-src 'self'"
    assert directive(DOCS_CSP, "connect-src") == "connect-src 'self'"


async def test_no_hsts_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers=HTTPS_PROXY)
    assert "strict-transport-security" not in response.headers


@pytest.fixture
def app_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.node.name.startswith("test_hsts_in_production"):
        return {
            "APP_ENV": "production",
            "JWT_SECRET_KEY": PRODUCTION_SECRET,
            "HSTS_SECONDS": "31536000",
            "PROXIES_COUNT": "1",
        }
    if request.node.name.startswith("test_hsts_is_a_production_setting"):
        return {"HSTS_SECONDS": "31536000", "PROXIES_COUNT": "1"}
    return {"PROXIES_COUNT": "1"}


async def test_hsts_in_production_over_https_only(client: httpx.AsyncClient) -> None:
    over_https = await client.get("/healthz", headers=HTTPS_PROXY)
    assert over_https.headers["strict-transport-security"] == "max-age=31536000"
    page = await client.get("/login", headers=HTTPS_PROXY)
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    # RFC 6797: never over plain HTTP (a browser would ignore it anyway).
    plain = await client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert "strict-transport-security" not in plain.headers


async def test_hsts_is_a_production_setting(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers=HTTPS_PROXY)
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize("value", ["-1", "63072001", "a year"])
def test_hsts_seconds_is_checked(value: str) -> None:
    with pytest.raises(ConfigError, match="HSTS_SECONDS"):
        load_settings(base_env(HSTS_SECONDS=value))
