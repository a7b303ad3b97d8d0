"""POST /auth/register: what a new user gets, and every way it can be refused."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import PASSWORD, bearer, error_of, register, unique_email


async def test_register_returns_user_tokens_and_cookies(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await client.post(
        "/auth/register",
        json={
            "email": email.upper(),
            "password": PASSWORD,
            "username": "Ada_Lovelace",
            "gpu_endpoint": "http://192.168.1.20:8000",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
        "csrf_token",
        "user",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_expires_in"] == 10080 * 60
    assert body["user"]["email"] == email  # stored lowercased
    assert body["user"]["username"] == "Ada_Lovelace"
    assert body["user"]["gpu_endpoint"] == "http://192.168.1.20:8000"
    assert set(body["user"]) == {
        "id",
        "email",
        "email_verified",
        "username",
        "gpu_endpoint",
        "created_at",
    }
    assert body["user"]["email_verified"] is False
    assert response.headers["cache-control"] == "no-store"
    cookies = response.headers.get_list("set-cookie")
    access = next(c for c in cookies if c.startswith("gc_access="))
    refresh = next(c for c in cookies if c.startswith("gc_refresh="))
    csrf = next(c for c in cookies if c.startswith("gc_csrf="))
    for cookie in (access, refresh):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "HttpOnly" not in csrf
    assert "Secure" not in access  # development: plain http on localhost


async def test_email_taken_is_409_case_insensitively(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    response = await client.post(
        "/auth/register", json={"email": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert "email" in error_of(response)["fields"]


async def test_username_taken_is_409_case_insensitively(client: httpx.AsyncClient) -> None:
    await register(client, username="Mario")
    response = await client.post(
        "/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "username": "mARIO"},
    )
    assert response.status_code == 409
    assert "username" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email", "valid email"),
        ({"email": "", "password": PASSWORD}, "email", "Enter your email"),
        ({"email": "a@b.co", "password": "short"}, "password", "at least 8"),
        ({"email": "a@b.co", "password": "password1"}, "password", "common"),
        ({"email": "a@b.co", "password": "x" * 1025}, "password", "at most 1024"),
        ({"email": "a@b.co", "password": PASSWORD, "username": "ab"}, "username", "3 to 32"),
        ({"email": "a@b.co", "password": PASSWORD, "username": "bad name"}, "username", "3 to 32"),
        (
            {"email": "a@b.co", "password": PASSWORD, "gpu_endpoint": "ftp://x"},
            "gpu_endpoint",
            "http",
        ),
        (
            {"email": "a@b.co", "password": PASSWORD, "gpu_endpoint": "http://u:p@host"},
            "gpu_endpoint",
            "user name",
        ),
        ({"password": PASSWORD}, "email", "required"),
        ({"email": "a@b.co"}, "password", "required"),
        ({"email": 12, "password": PASSWORD}, "email", "string"),
    ],
)
async def test_invalid_fields_get_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str, words: str
) -> None:
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert words.lower() in error["fields"][field].lower()


async def test_every_bad_field_is_reported_at_once(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register",
        json={"email": "nope", "password": "short", "username": "x", "gpu_endpoint": "gopher:x"},
    )
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"email", "password", "username", "gpu_endpoint"}


async def test_lan_gpu_endpoint_is_accepted(client: httpx.AsyncClient) -> None:
    tokens = await register(client, gpu_endpoint="http://10.0.0.5:7860/api")
    assert tokens["user"]["gpu_endpoint"] == "http://10.0.0.5:7860/api"


async def test_73_byte_password_registers_and_logs_in(client: httpx.AsyncClient) -> None:
    password = "p" * 73
    email = unique_email()
    await register(client, email=email, password=password)
    ok = await client.post("/auth/login", json={"email": email, "password": password})
    assert ok.status_code == 200
    # A password equal in its first 72 bytes must not work: nothing is truncated.
    wrong = await client.post("/auth/login", json={"email": email, "password": "p" * 72 + "q"})
    assert wrong.status_code == 401


async def test_1000_character_password(client: httpx.AsyncClient) -> None:
    password = "🎮" * 1000
    email = unique_email()
    tokens = await register(client, email=email, password=password)
    assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 200
    ok = await client.post("/auth/login", json={"email": email, "password": password})
    assert ok.status_code == 200
