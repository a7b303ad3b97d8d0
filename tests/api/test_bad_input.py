"""Malformed and hostile requests get a clear 4xx and leave the database as it was."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{bad json", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 422),
        (b'"just a string"', "application/json", 422),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"email=a@b.co", "text/plain", 415),
        (b"", "application/json", 400),
        (b"null", "application/json", 422),
        (b"[" * 20_000 + b"]" * 20_000, "application/json", 400),
    ],
)
async def test_malformed_bodies(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    response = await client.post(
        "/auth/register", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert error_of(response)["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a\x00b@example.com", "password": PASSWORD},
        {"email": "x" * 5_000 + "@example.com", "password": PASSWORD},
        {"email": unique_email(), "password": PASSWORD, "username": "ab\x00cd"},
        {"email": unique_email(), "password": PASSWORD, "username": "🎮🎮🎮🎮"},
        {"email": unique_email(), "password": PASSWORD, "username": "x" * 5_000},
        {"email": unique_email(), "password": PASSWORD, "gpu_endpoint": "http://a\x00b.local"},
        {"email": unique_email(), "password": ["a", "list"]},
        {"email": unique_email(), "password": PASSWORD, "username": 123},
        {"email": {"nested": True}, "password": PASSWORD},
    ],
    ids=[
        "nul-email",
        "5k-email",
        "nul-username",
        "emoji-username",
        "5k-username",
        "nul-url",
        "list-password",
        "int-username",
        "object-email",
    ],
)
async def test_odd_strings_are_422_and_nothing_is_created(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 422, response.text
    assert error_of(response)["fields"]
    if isinstance(body.get("email"), str) and "@example.com" in str(body["email"]):
        login = await client.post(
            "/auth/login", json={"email": body["email"], "password": PASSWORD}
        )
        assert login.status_code in (401, 422)  # no account was made


async def test_emoji_password_and_email_are_fine(client: httpx.AsyncClient) -> None:
    tokens = await register(client, password="🎮🕹️👾 game night")
    assert tokens["user"]["id"]


async def test_oversized_body_is_refused_with_413_before_it_is_sent(live: LiveApp) -> None:
    host, port = live.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /auth/register HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 20971520\r\n\r\n"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.read(4096), 10)
    finally:
        writer.close()
    status_line, _, rest = head.partition(b"\r\n")
    assert b" 413 " in status_line
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "payload_too_large"


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    missing = await client.get("/auth/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong_method = await client.get("/auth/register")
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"


async def test_bad_session_id_in_path_is_404(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    response = await client.delete("/auth/sessions/not-a-uuid", headers=bearer(tokens))
    assert response.status_code == 404


async def test_extra_fields_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "is_admin": True, "id": "x"},
    )
    assert response.status_code == 201
