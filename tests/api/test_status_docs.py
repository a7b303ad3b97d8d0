"""Welcome, status, health and the API documentation."""

from __future__ import annotations

import httpx

from tests.helpers import register


async def test_welcome_links_to_docs(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["docs"] == {"swagger": "/docs", "redoc": "/redoc", "openapi": "/openapi.json"}


async def test_browser_is_sent_to_login_or_gallery(client: httpx.AsyncClient) -> None:
    accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    anonymous = await client.get("/", headers=accept)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    await register(client)
    member = await client.get("/", headers=accept)
    assert member.status_code == 303 and member.headers["location"] == "/gallery"
    api = await client.get("/")  # httpx sends Accept: */*
    assert api.status_code == 200 and api.json()["name"] == "gamecoll"


async def test_auth_status(client: httpx.AsyncClient) -> None:
    for path in ("/auth/", "/auth"):
        response = await client.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["database"] == "ok"
        assert body["version"]


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_openapi_document_describes_every_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json", follow_redirects=True)
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    expected = {
        ("/auth/register", "post"),
        ("/auth/login", "post"),
        ("/auth/refresh", "post"),
        ("/auth/logout", "post"),
        ("/auth/user/me", "get"),
        ("/auth/user/me", "delete"),
        ("/auth/me", "get"),
        ("/auth/gpu-endpoint", "put"),
        ("/auth/password", "put"),
        ("/auth/sessions", "get"),
        ("/auth/sessions/{session_id}", "delete"),
    }
    for path, method in expected:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing"
        operation = paths[path][method]
        assert operation.get("summary"), f"{path} has no summary"
    register = paths["/auth/register"]["post"]
    assert "application/json" in register["requestBody"]["content"]
    assert "201" in register["responses"]
    login_body = paths["/auth/login"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in login_body
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["oauth2"]["flows"]["password"]["tokenUrl"] == "/auth/login"


async def test_docs_pages_load_only_local_assets(client: httpx.AsyncClient) -> None:
    for path, asset in (
        ("/docs", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
        ("/redoc", "/static/vendor/redoc/redoc.standalone.js"),
    ):
        page = await client.get(path, follow_redirects=True)
        assert page.status_code == 200
        assert asset in page.text
        assert "http://" not in page.text and "https://" not in page.text
        script = await client.get(asset)
        assert script.status_code == 200 and len(script.content) > 100_000


async def test_oauth2_redirect_page_is_local(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/oauth2-redirect.html", follow_redirects=True)
    assert response.status_code == 200
    assert "oauth2-redirect.js" in response.text
