"""A passkey as the second step of a password login, and as re-authentication."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from gamecoll.models import Session
from gamecoll.services.clock import utcnow
from tests.api.second_factor_support import with_totp
from tests.helpers import PASSWORD, bearer, error_of, register
from tests.passkeys import SoftAuthenticator

ORIGIN = "https://games.example"


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"PUBLIC_BASE_URL": ORIGIN}


async def add_passkey(
    client: httpx.AsyncClient, tokens: dict[str, Any], device: SoftAuthenticator
) -> dict[str, Any]:
    options = await client.post("/auth/passkeys/register/options", headers=bearer(tokens))
    assert options.status_code == 200, options.text
    made = await client.post(
        "/auth/passkeys/register/verify",
        json={"credential": device.create(options.json()), "name": "Key"},
        headers=bearer(tokens),
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def password_login(client: httpx.AsyncClient, email: str) -> httpx.Response:
    answer = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    client.cookies.clear()
    return answer


async def second_step_options(client: httpx.AsyncClient, mfa_token: str) -> dict[str, Any]:
    answer = await client.post("/auth/passkeys/login/options", json={"mfa_token": mfa_token})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_passkey_passes_the_second_step_of_a_password_login(
    client: httpx.AsyncClient,
) -> None:
    tokens, _, _ = await with_totp(client)
    email = tokens["user"]["email"]
    device = SoftAuthenticator(ORIGIN)
    key = await add_passkey(client, tokens, device)

    asked = await password_login(client, email)
    error = error_of(asked)
    assert error["code"] == "mfa_required"
    assert error["methods"] == ["totp", "recovery_code", "passkey"]
    options = await second_step_options(client, error["mfa_token"])
    assert [c["id"] for c in options["allowCredentials"]] == [device.credentials[0].id_text]
    assert options["userVerification"] == "preferred"  # after the password, presence will do
    done = await client.post(
        "/auth/login/mfa",
        json={"mfa_token": error["mfa_token"], "passkey": device.get(options, verified=False)},
    )
    assert done.status_code == 200, done.text
    assert done.json()["user"]["email"] == email
    listed = (await client.get("/auth/passkeys", headers=bearer(done.json()))).json()
    assert listed["passkeys"][0]["id"] == key["id"] and listed["passkeys"][0]["last_used_at"]

    # The mfa_token is spent with the login; its challenge was spent with the answer.
    again = await client.post(
        "/auth/login/mfa", json={"mfa_token": error["mfa_token"], "passkey": device.get(options)}
    )
    assert error_of(again)["code"] == "mfa_token_invalid"


async def test_the_second_step_takes_only_the_accounts_own_passkey(
    client: httpx.AsyncClient,
) -> None:
    tokens, _, _ = await with_totp(client)
    await add_passkey(client, tokens, SoftAuthenticator(ORIGIN))
    stranger = SoftAuthenticator(ORIGIN)
    await add_passkey(client, await register(client), stranger)
    client.cookies.clear()
    token = error_of(await password_login(client, tokens["user"]["email"]))["mfa_token"]
    options = await second_step_options(client, token)
    refused = await client.post(
        "/auth/login/mfa", json={"mfa_token": token, "passkey": stranger.get(options)}
    )
    assert refused.status_code == 401 and error_of(refused)["code"] == "passkey_unknown"
    # A login challenge (usernameless) does not pass a second step either.
    alone = (await client.post("/auth/passkeys/login/options")).json()
    crossed = await client.post(
        "/auth/login/mfa", json={"mfa_token": token, "passkey": stranger.get(alone)}
    )
    assert error_of(crossed)["code"] == "passkey_challenge_invalid"
    both = await client.post(
        "/auth/login/mfa", json={"mfa_token": token, "code": "123456", "passkey": {}}
    )
    assert both.status_code == 422
    bogus = await client.post("/auth/passkeys/login/options", json={"mfa_token": "x" * 43})
    assert error_of(bogus)["code"] == "mfa_token_invalid"


async def test_a_passkey_alone_does_not_turn_the_second_step_on(
    client: httpx.AsyncClient,
) -> None:
    # Without the authenticator app there are no recovery codes: asking for the passkey after
    # the password would lock out whoever loses the device.
    tokens = await register(client)
    client.cookies.clear()
    await add_passkey(client, tokens, SoftAuthenticator(ORIGIN))
    assert (await password_login(client, tokens["user"]["email"])).status_code == 200
    status = (await client.get("/auth/mfa", headers=bearer(tokens))).json()
    assert status["methods"] == []


async def test_a_passkey_confirms_it_is_you_for_sensitive_changes(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    client.cookies.clear()
    auth = bearer(tokens)
    device = SoftAuthenticator(ORIGIN)
    key = await add_passkey(client, tokens, device)  # a fresh login counts as a proof

    await Session.all().update(reauthenticated_at=utcnow() - timedelta(minutes=6))
    url = f"/auth/passkeys/{key['id']}"
    stale = await client.request("DELETE", url, headers=auth)
    assert stale.status_code == 403 and error_of(stale)["code"] == "reauth_required"
    adding = await client.post("/auth/passkeys/register/options", headers=auth)
    assert error_of(adding)["code"] == "reauth_required"

    options = await client.post("/auth/passkeys/reauth/options", headers=auth)
    assert options.status_code == 200
    assert options.json()["allowCredentials"][0]["id"] == device.credentials[0].id_text
    confirmed = await client.post(
        "/auth/reauth", json={"passkey": device.get(options.json())}, headers=auth
    )
    assert confirmed.json() == {"method": "passkey", "valid_for": 300}
    assert (await client.request("DELETE", url, headers=auth)).status_code == 204

    # No passkey left: nothing to ask the browser for.
    none_left = await client.post("/auth/passkeys/reauth/options", headers=auth)
    assert none_left.status_code == 401 and error_of(none_left)["code"] == "passkey_unknown"
