"""Forgotten password through a real SMTP server: the link in the mail resets the password."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from gamecoll.models import AccountToken
from gamecoll.security.link_tokens import link_token_hash
from gamecoll.services.clock import utcnow
from tests.conftest import PRODUCTION_SECRET, Database, start_app, stop_app
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email
from tests.mailbox import SmtpServer, app_env, link_in, smtp, token_of

__all__ = ["app_env", "smtp"]
NEW_PASSWORD = "a brand new passphrase 42"


async def _reset_token(client: httpx.AsyncClient, smtp: SmtpServer, email: str) -> str:
    answer = await client.post("/auth/password/forgot", json={"email": email})
    assert answer.status_code == 202, answer.text
    [mail] = await smtp.wait_for(email, subject="Reset your")
    return token_of(link_in(mail, "/reset"))


async def test_reset_through_the_mailed_link(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    other = await register(client, email=unique_email())
    known = await client.post("/auth/password/forgot", json={"email": email.upper()})
    unknown = await client.post("/auth/password/forgot", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert "30 minutes" in known.json()["message"]
    [mail] = await smtp.wait_for(email, subject="Reset your")
    link = link_in(mail, "/reset")
    assert link.startswith(str(client.base_url))
    assert smtp.to("nobody@example.com") == []

    done = await client.post(
        "/auth/password/reset", json={"token": token_of(link), "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text
    # Every session of the account ended; another account's did not.
    assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 401
    assert (await client.get("/auth/user/me", headers=bearer(other))).status_code == 200
    old = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert new.status_code == 200
    [notice] = await smtp.wait_for(email, subject="was reset")
    assert "every session was signed out" in notice.text
    # Single use.
    again = await client.post(
        "/auth/password/reset", json={"token": token_of(link), "new_password": "yet another one 99"}
    )
    assert again.status_code == 400 and error_of(again)["code"] == "token_invalid"


async def test_bad_tokens_change_nothing(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    email = unique_email()
    await register(client, email=email)
    token = await _reset_token(client, smtp, email)
    for bad in ("", "short", "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "é" * 43):
        answer = await client.post(
            "/auth/password/reset", json={"token": bad, "new_password": NEW_PASSWORD}
        )
        assert answer.status_code == 400, (bad, answer.text)
        assert error_of(answer)["code"] == "token_invalid"
    weak = await client.post("/auth/password/reset", json={"token": token, "new_password": "123"})
    assert weak.status_code == 422 and "new_password" in error_of(weak)["fields"]
    await AccountToken.filter(token_hash=link_token_hash(token)).update(
        expires_at=utcnow() - timedelta(seconds=1)
    )
    expired = await client.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert expired.status_code == 400 and error_of(expired)["code"] == "token_expired"
    login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200  # the password never changed


async def test_a_password_change_voids_the_link(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    token = await _reset_token(client, smtp, email)
    changed = await client.put(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(tokens),
    )
    assert changed.status_code == 204
    answer = await client.post(
        "/auth/password/reset", json={"token": token, "new_password": "yet another one 99"}
    )
    assert answer.status_code == 400 and error_of(answer)["code"] == "token_invalid"
    # A newer link replaces the older one.
    first = await _reset_token(client, smtp, email)
    await asyncio.sleep(0)
    second = await client.post("/auth/password/forgot", json={"email": email})
    assert second.status_code == 202
    await smtp.wait_for(email, count=3, subject="Reset your")
    stale = await client.post(
        "/auth/password/reset", json={"token": first, "new_password": "yet another one 99"}
    )
    assert error_of(stale)["code"] == "token_invalid"


async def test_rate_limits_per_address_and_per_ip(database: Database, smtp: SmtpServer) -> None:
    settings = database.settings(
        SMTP_URL=smtp.url,
        RATE_LIMIT_MAIL_PER_ADDRESS_PER_HOUR="2",
        RATE_LIMIT_FORGOT_PER_HOUR="4",
    )
    running, server = await start_app(settings)
    try:
        async with running.client() as client:
            codes = [
                (await client.post("/auth/password/forgot", json={"email": "a@example.com"}))
                for _ in range(3)
            ]
            assert [c.status_code for c in codes] == [202, 202, 429]
            assert "this address" in error_of(codes[2])["message"]
            assert codes[2].headers["retry-after"]
            more = [
                (await client.post("/auth/password/forgot", json={"email": f"{n}@example.com"}))
                for n in range(2)
            ]
            assert [c.status_code for c in more] == [202, 429]  # 4 per IP, then 429
            bad = await client.post("/auth/password/forgot", json={"email": "not an address"})
            assert bad.status_code == 422
    finally:
        await stop_app(server)


async def test_production_without_smtp_says_the_administrator_can_help(
    database: Database,
) -> None:
    settings = database.settings(APP_ENV="production", JWT_SECRET_KEY=PRODUCTION_SECRET)
    running, server = await start_app(settings)
    try:
        async with running.client() as client:
            answer = await client.post("/auth/password/forgot", json={"email": "a@example.com"})
        assert answer.status_code == 503
        error = error_of(answer)
        assert error["code"] == "mail_unavailable" and "administrator" in error["message"]
    finally:
        await stop_app(server)


async def test_mails_survive_smtp_down_and_a_restart_and_go_out_once(
    database: Database, smtp: SmtpServer, app_env: dict[str, str]
) -> None:
    """SMTP stops, mails are asked for, the app restarts, SMTP returns: each mail once."""
    running, server = await start_app(database.settings(**app_env))
    emails = [unique_email() for _ in range(4)]
    try:
        async with running.client() as client:
            for email in emails:
                await register(client, email=email)
            for email in emails:  # the verification mails go out while SMTP is up
                await smtp.wait_for(email, subject="Confirm your email")
            smtp.stop()
            for email in emails:
                answer = await client.post("/auth/password/forgot", json={"email": email})
                assert answer.status_code == 202  # answered at once, SMTP down or not
            await asyncio.sleep(0.5)  # the sender tries, fails and backs off
    finally:
        await stop_app(server)
    assert [m for m in smtp.mails if "Reset" in m.subject] == []
    running, server = await start_app(database.settings(**app_env))
    try:
        smtp.start()
        for email in emails:
            await smtp.wait_for(email, subject="Reset your")
        await asyncio.sleep(1.5)  # time for any duplicate to show up
        for email in emails:
            subjects = sorted(m.subject for m in smtp.to(email))
            assert subjects == [
                "Confirm your email address for gamecoll",
                "Reset your gamecoll password",
            ], subjects
    finally:
        await stop_app(server)


async def test_a_reset_ends_the_lockout_of_the_account(
    database: Database, smtp: SmtpServer, app_env: dict[str, str]
) -> None:
    settings = database.settings(
        **app_env, LOGIN_FAILURES_BEFORE_LOCKOUT="3", LOGIN_LOCKOUT_BASE_SECONDS="60"
    )
    running, server = await start_app(settings)
    try:
        async with running.client() as client:
            email = unique_email()
            await register(client, email=email)
            client.cookies.clear()
            for _ in range(3):
                wrong = {"email": email, "password": "a wrong guess"}
                assert (await client.post("/auth/login", json=wrong)).status_code == 401
            right = {"email": email, "password": PASSWORD}
            assert (await client.post("/auth/login", json=right)).status_code == 429
            token = await _reset_token(client, smtp, email)
            reset = {"token": token, "new_password": NEW_PASSWORD}
            assert (await client.post("/auth/password/reset", json=reset)).status_code == 204
            new = await client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
            assert new.status_code == 200, new.text
    finally:
        await stop_app(server)
