"""Fixtures for the page tests: browser-like HTTP clients, logged-in users, seeded items."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, register

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTMX = {"HX-Request": "true"}
ITEMS = "/collection/items"


def csrf_from_page(html: str) -> str:
    """Return the CSRF token a page carries in its meta tag."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "no csrf-token meta tag"
    return found.group(1)


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small real PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Visitor:
    """A browser-like client: HTML Accept header, same-site Origin, its own cookies."""

    http: httpx.AsyncClient
    live: LiveApp
    email: str = ""
    csrf: str = ""
    tokens: dict[str, Any] = field(default_factory=dict)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(url, **kwargs)

    async def form(self, url: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """Post a form as the page would, with this session's CSRF token as a field."""
        return await self.http.post(url, data={"csrf_token": self.csrf, **data}, **kwargs)

    async def htmx(
        self, url: str, data: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send what htmx sends: HX-Request, the CSRF header, the current URL."""
        headers = {
            **HTMX,
            "X-CSRF-Token": self.csrf,
            "HX-Current-URL": f"{self.live.url}/gallery",
            **kwargs.pop("headers", {}),
        }
        if data is None and "files" not in kwargs:
            return await self.http.get(url, headers=headers, **kwargs)
        return await self.http.post(url, data=data or {}, headers=headers, **kwargs)

    async def login(self, identifier: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.http.post(
            "/login", data={"username": identifier, "password": password}
        )
        assert response.status_code == 303, response.text
        page = await self.http.get("/settings")
        self.csrf = csrf_from_page(page.text)
        return response


def visitor_client(live: LiveApp) -> httpx.AsyncClient:
    """An httpx client that looks like a browser on this site (redirects not followed)."""
    return live.client(headers={"Accept": BROWSER_ACCEPT, "Origin": live.url})


@pytest.fixture
async def guest(live: LiveApp) -> AsyncIterator[Visitor]:
    """A browser that is not logged in."""
    async with visitor_client(live) as http:
        yield Visitor(http, live)


async def new_member(live: LiveApp, http: httpx.AsyncClient, **extra: Any) -> Visitor:
    """Register a user through the API and log this client in through the login page."""
    async with live.client() as api:
        tokens = await register(api, **extra)
    visitor = Visitor(http, live, email=tokens["user"]["email"], tokens=tokens)
    await visitor.login(visitor.email)
    return visitor


@pytest.fixture
async def member(live: LiveApp) -> AsyncIterator[Visitor]:
    """A browser logged in as a freshly registered user."""
    async with visitor_client(live) as http:
        yield await new_member(live, http, username="member")


async def seed_items(
    live: LiveApp,
    tokens: dict[str, Any],
    names: list[str],
    *,
    platform: str = "",
    image: bool = True,
) -> list[dict[str, Any]]:
    """Create items through the JSON API (oldest first) and return them."""
    import base64

    made: list[dict[str, Any]] = []
    async with live.client() as api:
        for index, name in enumerate(names):
            body: dict[str, Any] = {"name": name, "platform": platform}
            if image:
                colour = (index * 37 % 256, 90, 200 - index * 11 % 200)
                body["image"] = base64.b64encode(png(80, 60, colour)).decode()
            response = await api.post(ITEMS, json=body, headers=bearer(tokens))
            assert response.status_code == 201, response.text
            made.append(response.json())
    return made
