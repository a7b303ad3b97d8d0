"""Passkeys through the API, answered by a software authenticator with real ES256 keys."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gamecoll.errors import PasskeysUnavailable
from gamecoll.models import PasskeyChallenge
from gamecoll.services.clock import utcnow
from gamecoll.services.passkeys import PasskeyService
from tests.conftest import LiveApp, start_app, stop_app
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email
from tests.mailbox import SmtpServer, smtp
from tests.passkeys import SoftAuthenticator, b64url

__all__ = ["smtp"]
ORIGIN = "https://games.example"


@pytest.fixture
def app_env(smtp: SmtpServer) -> dict[str, str]:
    # The relying party comes from PUBLIC_BASE_URL, whatever address the test reaches it at.
    return {"SMTP_URL": smtp.url, "MAIL_RETRY_SECONDS": "1", "PUBLIC_BASE_URL": ORIGIN}


async def _options(client: httpx.AsyncClient, path: str, **kwargs: Any) -> dict[str, Any]:
    answer = await client.post(f"/auth/passkeys/{path}/options", **kwargs)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"].startswith("no-store")
    body: dict[str, Any] = answer.json()
    return body


async def _add_passkey(
    client: httpx.AsyncClient,
    tokens: dict[str, Any],
    device: SoftAuthenticator,
    name: str | None = "Phone",
) -> dict[str, Any]:
    options = await _options(client, "register", headers=bearer(tokens))
    answer = await client.post(
        "/auth/passkeys/register/verify",
        json={"credential": device.create(options), "name": name},
        headers=bearer(tokens),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _login(
    client: httpx.AsyncClient, device: SoftAuthenticator, **wrong: Any
) -> httpx.Response:
    options = await _options(client, "login")
    return await client.post(
        "/auth/passkeys/login/verify", json={"credential": device.get(options, **wrong)}
    )


async def test_register_then_log_in_without_a_password(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    email = unique_email()
    tokens = await register(client, email=email, username="ada.l")
    client.cookies.clear()
    options = await _options(client, "register", headers=bearer(tokens))
    assert options["rp"] == {"name": "gamecoll", "id": "games.example"}
    assert options["user"]["name"] == email and options["user"]["displayName"] == "ada.l"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    device = SoftAuthenticator(ORIGIN)
    made = await client.post(
        "/auth/passkeys/register/verify",
        json={"credential": device.create(options), "name": "  Phone  "},
        headers=bearer(tokens),
    )
    assert made.status_code == 201, made.text
    passkey = made.json()
    assert passkey["name"] == "Phone" and passkey["last_used_at"] is None
    assert passkey["transports"] == ["internal", "hybrid"]
    [notice] = await smtp.wait_for(email, subject="passkey was added")
    assert "Phone" in notice.text and f"{ORIGIN}/settings" in notice.text

    login_options = await _options(client, "login")
    assert login_options["rpId"] == "games.example"
    assert login_options["allowCredentials"] == []  # usernameless: the browser offers them
    assert login_options["userVerification"] == "required"
    logged_in = await client.post(
        "/auth/passkeys/login/verify", json={"credential": device.get(login_options)}
    )
    assert logged_in.status_code == 200, logged_in.text
    session = logged_in.json()
    assert session["user"]["email"] == email
    assert "gc_access" in logged_in.cookies
    me = await client.get("/auth/user/me", headers=bearer(session))
    assert me.json()["email"] == email

    listed = (await client.get("/auth/passkeys", headers=bearer(session))).json()["passkeys"]
    assert [p["name"] for p in listed] == ["Phone"] and listed[0]["last_used_at"]
    activity = (await client.get("/auth/activity", headers=bearer(session))).json()["activity"]
    assert [e["event"] for e in activity][:2] == ["login_succeeded", "passkey_added"]


async def test_several_named_passkeys_renamed_and_removed(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    client.cookies.clear()
    phone, laptop = SoftAuthenticator(ORIGIN), SoftAuthenticator(ORIGIN)
    first = await _add_passkey(client, tokens, phone, name="Phone")
    second = await _add_passkey(client, tokens, laptop, name=None)
    assert second["name"].startswith("Passkey of 20")
    options = await _options(client, "register", headers=bearer(tokens))
    assert len(options["excludeCredentials"]) == 2  # the browser will not make a third twin

    renamed = await client.patch(
        f"/auth/passkeys/{second['id']}", json={"name": "Laptop"}, headers=bearer(tokens)
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Laptop"
    hidden = await client.patch(
        f"/auth/passkeys/{second['id']}", json={"name": "Lap\u200btop"}, headers=bearer(tokens)
    )
    assert hidden.status_code == 422 and "name" in error_of(hidden)["fields"]

    wrong = await client.request(
        "DELETE",
        f"/auth/passkeys/{first['id']}",
        json={"current_password": "not my password"},
        headers=bearer(tokens),
    )
    assert wrong.status_code == 422 and "current_password" in error_of(wrong)["fields"]
    removed = await client.request(
        "DELETE",
        f"/auth/passkeys/{first['id']}",
        json={"current_password": PASSWORD},
        headers=bearer(tokens),
    )
    assert removed.status_code == 204
    [notice] = await smtp.wait_for(email, subject="passkey was removed")
    assert "Phone" in notice.text
    listed = (await client.get("/auth/passkeys", headers=bearer(tokens))).json()["passkeys"]
    assert [p["name"] for p in listed] == ["Laptop"]

    # The removed passkey no longer logs in; the other one does.
    gone = await _login(client, phone)
    assert gone.status_code == 401 and error_of(gone)["code"] == "passkey_unknown"
    assert (await _login(client, laptop)).status_code == 200

    again = await client.request(
        "DELETE",
        f"/auth/passkeys/{first['id']}",
        json={"current_password": PASSWORD},
        headers=bearer(tokens),
    )
    assert again.status_code == 404


async def test_someone_elses_passkey_cannot_be_renamed_or_removed(
    client: httpx.AsyncClient,
) -> None:
    owner, other = await register(client), await register(client)
    client.cookies.clear()
    key = await _add_passkey(client, owner, SoftAuthenticator(ORIGIN))
    renamed = await client.patch(
        f"/auth/passkeys/{key['id']}", json={"name": "Mine now"}, headers=bearer(other)
    )
    assert renamed.status_code == 404
    removed = await client.request(
        "DELETE",
        f"/auth/passkeys/{key['id']}",
        json={"current_password": PASSWORD},
        headers=bearer(other),
    )
    assert removed.status_code == 404
    assert (await client.get("/auth/passkeys", headers=bearer(other))).json() == {"passkeys": []}


@pytest.mark.parametrize(
    ("credential", "says"),
    [
        ({}, "credential.type"),
        ({"type": "public-key", "id": "!!", "rawId": "!!", "response": {}}, "rawId"),
        ({"type": "public-key", "id": "AAAA", "rawId": "AAAA", "response": []}, "response"),
        (
            {"type": "public-key", "id": "AAAA", "rawId": "AAAA", "response": {}},
            "clientDataJSON",
        ),
        (
            {
                "type": "public-key",
                "id": "AAAA",
                "rawId": "AAAA",
                "response": {
                    "clientDataJSON": b64url(b"\xff\xfe not json"),
                    "authenticatorData": "AAAA",
                    "signature": "AAAA",
                },
            },
            "clientDataJSON",
        ),
    ],
)
async def test_malformed_answers_are_400(
    client: httpx.AsyncClient, credential: dict[str, Any], says: str
) -> None:
    for path in ("login/verify", "register/verify"):
        tokens = await register(client)
        answer = await client.post(
            f"/auth/passkeys/{path}", json={"credential": credential}, headers=bearer(tokens)
        )
        assert answer.status_code == 400, answer.text
        error = error_of(answer)
        assert error["code"] == "passkey_malformed" and says in error["message"]
    not_an_object = await client.post("/auth/passkeys/login/verify", json={"credential": "x"})
    assert not_an_object.status_code == 422


async def test_hostile_cbor_and_signatures_are_refused_not_crashed(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    client.cookies.clear()
    device = SoftAuthenticator(ORIGIN)
    options = await _options(client, "register", headers=bearer(tokens))
    made = device.create(options)
    made["response"]["attestationObject"] = b64url(b"\xbf\xff" + b"\x9f" * 50)
    broken = await client.post(
        "/auth/passkeys/register/verify", json={"credential": made}, headers=bearer(tokens)
    )
    assert broken.status_code == 400 and error_of(broken)["code"] == "passkey_malformed"

    await _add_passkey(client, tokens, device)
    options = await _options(client, "login")
    signed = device.get(options)
    signed["response"]["signature"] = b64url(b"0\x06\x02\x01\x01\x02\x01\x01")
    forged = await client.post("/auth/passkeys/login/verify", json={"credential": signed})
    assert forged.status_code == 401 and error_of(forged)["code"] == "passkey_rejected"
    # An authenticator that did not verify the person (no PIN, no fingerprint) cannot log in
    # alone.
    unverified = await _login(client, device, verified=False)
    assert unverified.status_code == 401 and error_of(unverified)["code"] == "passkey_rejected"


async def test_wrong_origin_and_wrong_relying_party_say_which(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    client.cookies.clear()
    device = SoftAuthenticator(ORIGIN)
    options = await _options(client, "register", headers=bearer(tokens))
    phished = await client.post(
        "/auth/passkeys/register/verify",
        json={"credential": device.create(options, origin="https://games.example.evil")},
        headers=bearer(tokens),
    )
    assert phished.status_code == 400
    assert error_of(phished)["code"] == "passkey_origin_mismatch"
    options = await _options(client, "register", headers=bearer(tokens))
    other_rp = await client.post(
        "/auth/passkeys/register/verify",
        json={"credential": device.create(options, rp_id="evil.example")},
        headers=bearer(tokens),
    )
    assert other_rp.status_code == 400 and error_of(other_rp)["code"] == "passkey_rp_mismatch"

    await _add_passkey(client, tokens, device)
    wrong_origin = await _login(client, device, origin="http://games.example")
    assert error_of(wrong_origin)["code"] == "passkey_origin_mismatch"
    wrong_rp = await _login(client, device, rp_id="example")
    assert error_of(wrong_rp)["code"] == "passkey_rp_mismatch"
    assert (await _login(client, device)).status_code == 200


async def test_challenges_are_single_use_short_lived_and_for_one_purpose(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    client.cookies.clear()
    device = SoftAuthenticator(ORIGIN)
    await _add_passkey(client, tokens, device)

    options = await _options(client, "login")
    assert (
        await client.post("/auth/passkeys/login/verify", json={"credential": device.get(options)})
    ).status_code == 200
    replay = await client.post(
        "/auth/passkeys/login/verify", json={"credential": device.get(options)}
    )
    assert replay.status_code == 400 and error_of(replay)["code"] == "passkey_challenge_invalid"

    made_up = await _login(client, device, challenge=b64url(b"a challenge nobody issued"))
    assert error_of(made_up)["code"] == "passkey_challenge_invalid"

    # A registration challenge does not log in.
    register_options = await _options(client, "register", headers=bearer(tokens))
    crossed = await _login(client, device, challenge=register_options["challenge"])
    assert error_of(crossed)["code"] == "passkey_challenge_invalid"

    options = await _options(client, "login")
    await PasskeyChallenge.all().update(expires_at=utcnow() - timedelta(seconds=1))
    late = await client.post(
        "/auth/passkeys/login/verify", json={"credential": device.get(options)}
    )
    assert late.status_code == 400 and error_of(late)["code"] == "passkey_challenge_expired"


async def test_a_registration_challenge_belongs_to_its_account(
    client: httpx.AsyncClient,
) -> None:
    ada, bob = await register(client), await register(client)
    client.cookies.clear()
    options = await _options(client, "register", headers=bearer(ada))
    stolen = await client.post(
        "/auth/passkeys/register/verify",
        json={"credential": SoftAuthenticator(ORIGIN).create(options)},
        headers=bearer(bob),
    )
    assert stolen.status_code == 400 and error_of(stolen)["code"] == "passkey_challenge_invalid"
    assert (await client.get("/auth/passkeys", headers=bearer(bob))).json() == {"passkeys": []}


async def test_the_sign_counter_must_grow(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    client.cookies.clear()
    device = SoftAuthenticator(ORIGIN)
    await _add_passkey(client, tokens, device)
    assert (await _login(client, device, counter=5)).status_code == 200
    cloned = await _login(client, device, counter=5)
    assert cloned.status_code == 401
    assert error_of(cloned)["code"] == "passkey_counter_regressed"
    assert (await _login(client, device, counter=3)).status_code == 401
    assert (await _login(client, device, counter=6)).status_code == 200

    # Two answers with one counter value, each for its own challenge: one logs in.
    first, second = await _options(client, "login"), await _options(client, "login")
    raced = await asyncio.gather(
        *(
            client.post(
                "/auth/passkeys/login/verify", json={"credential": device.get(o, counter=7)}
            )
            for o in (first, second)
        )
    )
    assert sorted(r.status_code for r in raced) == [200, 401]


async def test_passkeys_without_a_counter_keep_working(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    client.cookies.clear()
    synced = SoftAuthenticator(ORIGIN, counting=False)
    await _add_passkey(client, tokens, synced)
    assert (await _login(client, synced)).status_code == 200
    assert (await _login(client, synced)).status_code == 200


async def test_a_disabled_account_cannot_log_in_with_its_passkey(
    client: httpx.AsyncClient,
) -> None:
    from gamecoll.models import User

    email = unique_email()
    tokens = await register(client, email=email)
    client.cookies.clear()
    device = SoftAuthenticator(ORIGIN)
    await _add_passkey(client, tokens, device)
    await User.filter(email=email).update(disabled_at=utcnow())
    refused = await _login(client, device)
    assert refused.status_code == 403 and error_of(refused)["code"] == "account_disabled"


async def test_a_registered_passkey_cannot_be_registered_twice(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    client.cookies.clear()
    device = SoftAuthenticator(ORIGIN)
    options = await _options(client, "register", headers=bearer(tokens))
    answer = device.create(options)
    made = await client.post(
        "/auth/passkeys/register/verify", json={"credential": answer}, headers=bearer(tokens)
    )
    assert made.status_code == 201
    # The same credential again over a fresh challenge (a client that ignores the exclude list).
    fresh = await _options(client, "register", headers=bearer(tokens))
    twin = device.create(fresh, same_as=device.credentials[0])
    assert twin["id"] == answer["id"]
    again = await client.post(
        "/auth/passkeys/register/verify", json={"credential": twin}, headers=bearer(tokens)
    )
    assert again.status_code == 409, again.text
    listed = (await client.get("/auth/passkeys", headers=bearer(tokens))).json()["passkeys"]
    assert len(listed) == 1


async def test_reached_by_an_ip_address_without_public_base_url_says_to_use_a_name(
    live: LiveApp,
) -> None:
    async with live.client() as http:  # this app has PUBLIC_BASE_URL; build one without it
        assert (await http.post("/auth/passkeys/login/options")).status_code == 200
    settings = replace(live.settings, public_base_url="")
    running, server = await start_app(settings)
    try:
        async with running.client() as http:
            answer = await http.post("/auth/passkeys/login/options")
            assert answer.status_code == 400
            assert error_of(answer)["code"] == "passkeys_need_domain"
            assert "localhost" in error_of(answer)["message"]
            named = await http.post(
                "/auth/passkeys/login/options", headers={"Host": "localhost:8080"}
            )
            assert named.status_code == 200 and named.json()["rpId"] == "localhost"
    finally:
        await stop_app(server)


def test_production_takes_the_relying_party_only_from_public_base_url() -> None:
    def relying_party(base_url: str, production: bool, request_origin: str) -> str:
        service = PasskeyService(
            public_base_url=base_url,
            production=production,
            sessions=None,  # type: ignore[arg-type]  # not used to name the relying party
            reauth=None,  # type: ignore[arg-type]
            limiter=None,  # type: ignore[arg-type]
            outbox=None,  # type: ignore[arg-type]
        )
        rp = service.relying_party(request_origin)
        return f"{rp.id} {rp.origin}"

    assert relying_party(ORIGIN, True, "https://evil.example") == f"games.example {ORIGIN}"
    assert relying_party("", False, "http://localhost:8080") == "localhost http://localhost:8080"
    with pytest.raises(PasskeysUnavailable):
        relying_party("", True, "https://evil.example")  # never the Host header in production
    with pytest.raises(PasskeysUnavailable) as ip_address:
        relying_party("http://192.168.1.20:8080", True, "")
    assert "domain name" in ip_address.value.detail


async def test_an_account_holds_at_most_twenty_passkeys(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    client.cookies.clear()
    for number in range(20):
        await _add_passkey(client, tokens, SoftAuthenticator(ORIGIN), name=f"Key {number}")
    full = await client.post("/auth/passkeys/register/options", headers=bearer(tokens))
    assert full.status_code == 409 and "20 passkeys" in error_of(full)["message"]


async def test_another_instance_finishes_the_ceremony_and_a_raced_answer_wins_once(
    live: LiveApp, client: httpx.AsyncClient
) -> None:
    # A second server on the same database, as behind a load balancer with three instances.
    other, server = await start_app(live.settings)
    try:
        async with other.client() as elsewhere:
            tokens = await register(client)
            client.cookies.clear()
            device = SoftAuthenticator(ORIGIN)
            options = await _options(client, "register", headers=bearer(tokens))
            made = await elsewhere.post(
                "/auth/passkeys/register/verify",
                json={"credential": device.create(options), "name": "Phone"},
                headers=bearer(tokens),
            )
            assert made.status_code == 201, made.text

            login_options = await _options(elsewhere, "login")
            answer = {"credential": device.get(login_options)}
            raced = await asyncio.gather(
                client.post("/auth/passkeys/login/verify", json=answer),
                elsewhere.post("/auth/passkeys/login/verify", json=answer),
            )
    finally:
        await stop_app(server)
    assert sorted(r.status_code for r in raced) == [200, 400]
    loser = next(r for r in raced if r.status_code == 400)
    assert error_of(loser)["code"] == "passkey_challenge_invalid"
