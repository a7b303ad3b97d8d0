"""POST /auth/login: JSON or the OAuth2 form, and the same answer for every failure."""

from __future__ import annotations

import httpx

from tests.helpers import PASSWORD, bearer, error_of, register, unique_email


async def test_login_by_email_any_case(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    response = await client.post("/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == email
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/auth/user/me", headers=bearer(body))
    assert me.json()["email"] == email


async def test_login_by_username_any_case(client: httpx.AsyncClient) -> None:
    await register(client, username="Luigi")
    response = await client.post("/auth/login", json={"username": "LUIGI", "password": PASSWORD})
    assert response.status_code == 200


async def test_oauth2_password_form(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    response = await client.post(
        "/auth/login", data={"username": email, "password": PASSWORD, "grant_type": "password"}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


async def test_unknown_account_and_wrong_password_answer_alike(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await register(client, email=email)
    wrong = await client.post("/auth/login", json={"email": email, "password": "wrong password!"})
    unknown = await client.post(
        "/auth/login", json={"email": unique_email(), "password": "wrong password!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert error_of(wrong)["code"] == "invalid_credentials"
    assert "set-cookie" not in wrong.headers


async def test_login_needs_a_password(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json={"email": "a@b.co"})
    assert response.status_code == 422
    assert "password" in error_of(response)["fields"]


async def test_login_needs_an_identifier(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json={"password": "abcdefghij"})
    assert response.status_code == 422


async def test_cookie_session_works_without_bearer(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    client.cookies.clear()
    await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    me = await client.get("/auth/user/me")
    assert me.status_code == 200
    assert me.json()["email"] == email
    alias = await client.get("/auth/me")
    assert alias.json() == me.json()
    assert me.headers["cache-control"] == "no-store"


async def test_me_without_credentials_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/user/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    bad = await client.get("/auth/user/me", headers={"Authorization": "Basic abc"})
    assert bad.status_code == 401
    garbage = await client.get("/auth/user/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert garbage.status_code == 401
    assert error_of(garbage)["code"] == "invalid_token"


async def test_refresh_token_cannot_be_used_as_access_token(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    client.cookies.clear()
    response = await client.get(
        "/auth/user/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert response.status_code == 401
    swapped = await client.post("/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert swapped.status_code == 401
