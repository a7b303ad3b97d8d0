"""TOTP with recovery codes through the API: set-up, login with a second factor, replay,
lockout, the mfa_token's single use and expiry, and turning it off."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.api.second_factor_support import clear_of_step_edge, mfa_token, move_back, with_totp
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, totp_code


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"LOGIN_FAILURES_BEFORE_LOCKOUT": "6", "LOGIN_LOCKOUT_BASE_SECONDS": "30"}


async def finish(client: httpx.AsyncClient, token: str, code: str) -> httpx.Response:
    answer = await client.post("/auth/login/mfa", json={"mfa_token": token, "code": code})
    client.cookies.clear()
    return answer


async def test_setup_shows_a_secret_and_enables_nothing_until_confirmed(
    client: httpx.AsyncClient,
) -> None:
    from tests.helpers import register

    tokens = await register(client)
    auth = bearer(tokens)
    setup = await client.post("/auth/mfa/totp/setup", headers=auth)
    body = setup.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/gamecoll:")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg") and "<script" not in body["qr_svg"]
    # Not confirmed: the password alone still logs in.
    login = await client.post(
        "/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD}
    )
    assert login.status_code == 200
    status = await client.get("/auth/mfa", headers=auth)
    assert status.json() == {"totp": False, "recovery_codes_left": 0, "methods": []}
    early = await client.post("/auth/mfa/recovery-codes", headers=auth)
    assert early.status_code == 409


async def test_codes_at_the_window_edges_and_no_replay(client: httpx.AsyncClient) -> None:
    tokens, secret, codes = await with_totp(client)  # confirmed with the code of step -1
    email = tokens["user"]["email"]
    assert len(codes) == 10 and len(set(codes)) == 10
    token = await mfa_token(client, email)
    await clear_of_step_edge()
    for outside in (-2, 2):  # one step beyond the window either side
        refused = await finish(client, token, totp_code(secret, outside))
        assert error_of(refused)["code"] == "code_invalid", outside
    late = await finish(client, token, totp_code(secret, 1))  # the window's far edge
    assert late.status_code == 200, late.text
    assert late.json()["user"]["email"] == email
    # The same code again, and an older one, are replays: refused on a fresh login too.
    await clear_of_step_edge()
    again = await mfa_token(client, email)
    for replay in (totp_code(secret, 1), totp_code(secret, 0)):
        refused = await finish(client, again, replay)
        assert error_of(refused)["code"] == "code_reused"


async def test_recovery_codes_work_once_and_a_new_set_voids_the_old(
    client: httpx.AsyncClient,
) -> None:
    tokens, _, codes = await with_totp(client)
    email = tokens["user"]["email"]
    typed = codes[3].lower().replace("-", " ")  # case, spaces and dashes do not matter
    used = await finish(client, await mfa_token(client, email), typed)
    assert used.status_code == 200, used.text
    auth = bearer(used.json())
    again = await finish(client, await mfa_token(client, email), codes[3])
    assert error_of(again)["code"] == "code_reused"
    status = await client.get("/auth/mfa", headers=auth)
    assert status.json()["recovery_codes_left"] == 9
    activity = await client.get("/auth/activity", headers=auth)
    events = [entry["event"] for entry in activity.json()["activity"]]
    assert "recovery_code_used" in events and "totp_enabled" in events

    renewed = await client.post("/auth/mfa/recovery-codes", headers=auth)  # fresh login
    fresh = renewed.json()["recovery_codes"]
    old = await finish(client, await mfa_token(client, email), codes[4])
    assert error_of(old)["code"] == "code_invalid"
    assert (await finish(client, await mfa_token(client, email), fresh[0])).status_code == 200


async def test_the_mfa_token_is_single_use_and_expires(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    tokens, _, codes = await with_totp(client)
    email = tokens["user"]["email"]
    token = await mfa_token(client, email)
    assert (await finish(client, token, codes[0])).status_code == 200
    spent = await finish(client, token, codes[1])
    assert spent.status_code == 401 and error_of(spent)["code"] == "mfa_token_invalid"
    for bad in ("", "not-a-token", "x" * 43):
        assert error_of(await finish(client, bad, codes[1]))["code"] == "mfa_token_invalid"

    pending = await mfa_token(client, email)
    await move_back(live.settings, "mfa_challenges", "expires_at", 6)
    expired = await finish(client, pending, codes[1])
    assert expired.status_code == 401 and error_of(expired)["code"] == "mfa_token_expired"
    # No session was made by any of these: the recovery code was not spent either.
    fresh = await finish(client, await mfa_token(client, email), codes[1])
    assert fresh.status_code == 200


async def test_wrong_codes_kill_the_mfa_token_and_count_towards_the_lockout(
    client: httpx.AsyncClient,
) -> None:
    tokens, _, codes = await with_totp(client)
    email = tokens["user"]["email"]
    token = await mfa_token(client, email)
    for wrong in ("000000", "111111", "ABCDE-FGHJK", "222222", "333333"):
        answer = await finish(client, token, wrong)
        assert error_of(answer)["code"] == "code_invalid"
    dead = await finish(client, token, codes[0])  # five wrong answers spend the token
    assert error_of(dead)["code"] == "mfa_token_invalid"
    # The right password does not clear the count before the second factor: one more
    # wrong code (the sixth) locks the account, and then even a right code waits.
    token = await mfa_token(client, email)
    assert error_of(await finish(client, token, "444444"))["code"] == "code_invalid"
    locked = await finish(client, token, codes[0])
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) <= 30
    password = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert password.status_code == 429


async def test_turning_it_off_needs_a_code_and_the_password(client: httpx.AsyncClient) -> None:
    tokens, _secret, codes = await with_totp(client)
    auth = bearer(tokens)
    email = tokens["user"]["email"]
    no_code = await client.request("DELETE", "/auth/mfa/totp", json={}, headers=auth)
    assert no_code.status_code == 422
    wrong = {"current_password": PASSWORD, "code": "123456"}
    refused = await client.request("DELETE", "/auth/mfa/totp", json=wrong, headers=auth)
    assert error_of(refused)["code"] == "code_invalid"
    bad_password = {"current_password": "not the password", "code": codes[0]}
    answer = await client.request("DELETE", "/auth/mfa/totp", json=bad_password, headers=auth)
    assert error_of(answer)["fields"]["current_password"]
    right = {"current_password": PASSWORD, "code": codes[0]}
    off = await client.request("DELETE", "/auth/mfa/totp", json=right, headers=auth)
    assert off.status_code == 204
    login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    activity = await client.get("/auth/activity", headers=auth)
    assert activity.json()["activity"][1]["event"] == "totp_disabled"


async def test_reauthentication_lasts_five_minutes(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    tokens, secret, _codes = await with_totp(client)
    auth = bearer(tokens)
    # The login itself is a proof: within 5 minutes no password is asked.
    assert (await client.post("/auth/mfa/recovery-codes", headers=auth)).status_code == 200
    await move_back(live.settings, "sessions", "reauthenticated_at", 6)
    stale = await client.post("/auth/mfa/recovery-codes", headers=auth)
    assert stale.status_code == 403 and error_of(stale)["code"] == "reauth_required"
    with_password = await client.post(
        "/auth/mfa/recovery-codes", json={"current_password": PASSWORD}, headers=auth
    )
    assert with_password.status_code == 200
    await move_back(live.settings, "sessions", "reauthenticated_at", 6)
    await clear_of_step_edge()
    by_code = await client.post("/auth/reauth", json={"code": totp_code(secret, 1)}, headers=auth)
    assert by_code.json() == {"method": "totp", "valid_for": 300}
    assert (await client.post("/auth/mfa/recovery-codes", headers=auth)).status_code == 200
    nothing = await client.post("/auth/reauth", json={}, headers=auth)
    assert nothing.status_code == 422
    wrong = await client.post("/auth/reauth", json={"password": "not it"}, headers=auth)
    assert error_of(wrong)["fields"]["password"]


async def test_bad_input_is_answered_with_what_was_wrong(client: httpx.AsyncClient) -> None:
    tokens, _, _ = await with_totp(client)
    auth = bearer(tokens)
    for body in ({"code": 123456}, {"code": "1" * 65}, {"code": "12\x003456"}, []):
        answer = await client.post("/auth/reauth", json=body, headers=auth)
        assert answer.status_code in (400, 422), (body, answer.text)
    raw = await client.post(
        "/auth/login/mfa", content=b"\xff\xfe", headers={"content-type": "application/json"}
    )
    assert raw.status_code == 400
    missing = await client.post("/auth/login/mfa", json={"mfa_token": "x"})
    assert error_of(missing)["fields"]["code"]


async def test_secrets_never_reach_the_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Everything the app and Sanic log, at every level, and the rest at INFO. (The database
    # drivers' DEBUG lines show query parameters, stored values included: never in production.)
    caplog.set_level(logging.INFO)
    for name in ("gamecoll", "sanic"):
        caplog.set_level(logging.DEBUG, logger=name)
    tokens, secret, codes = await with_totp(client)
    email = tokens["user"]["email"]
    token = await mfa_token(client, email)
    await finish(client, token, "000000")
    done = await finish(client, token, codes[0])
    made = await client.post(
        "/auth/tokens",
        json={"name": "logs", "scopes": ["profile:read"]},
        headers=bearer(done.json()),
    )
    pat = made.json()["token"]
    await client.get("/auth/user/me", headers={"Authorization": f"Bearer {pat}"})
    await client.get("/auth/tokens", headers={"Authorization": f"Bearer {pat}"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    text += caplog.text
    assert "A security change to your gamecoll account" in text  # the logs were captured
    for secret_value in (secret, token, pat, *codes):
        assert secret_value not in text


async def test_sensitive_changes_take_a_recent_proof_instead_of_the_password(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    from tests.helpers import register

    tokens = await register(client)
    client.cookies.clear()
    auth = bearer(tokens)
    fresh = {"new_password": PASSWORD + " 2"}  # no current_password: the login is recent
    assert (await client.put("/auth/password", json=fresh, headers=auth)).status_code == 204
    await move_back(live.settings, "sessions", "reauthenticated_at", 6)
    stale = {"new_password": PASSWORD + " 3"}
    refused = await client.put("/auth/password", json=stale, headers=auth)
    assert refused.status_code == 403 and error_of(refused)["code"] == "reauth_required"
    email = await client.put("/auth/email", json={"new_email": "x@example.com"}, headers=auth)
    assert error_of(email)["code"] == "reauth_required"
    delete = await client.request("DELETE", "/auth/user/me", json={}, headers=auth)
    assert error_of(delete)["code"] == "reauth_required"
    assert (await client.get("/auth/user/me", headers=auth)).status_code == 200
    confirmed = await client.post("/auth/reauth", json={"password": PASSWORD + " 2"}, headers=auth)
    assert confirmed.json()["method"] == "password"
    gone = await client.request("DELETE", "/auth/user/me", json={}, headers=auth)
    assert gone.status_code == 204
