"""Email verification with links from a real SMTP server, and REQUIRE_EMAIL_VERIFICATION."""

from __future__ import annotations

from datetime import timedelta

import httpx

from gamecoll.models import AccountToken
from gamecoll.security.link_tokens import link_token_hash
from gamecoll.services.clock import utcnow
from tests.conftest import Database, start_app, stop_app
from tests.helpers import bearer, error_of, register, unique_email
from tests.mailbox import SmtpServer, app_env, link_in, smtp, token_of

__all__ = ["app_env", "smtp"]


async def _verify_token(smtp: SmtpServer, email: str, count: int = 1) -> str:
    mails = await smtp.wait_for(email, count=count, subject="Confirm your email")
    return token_of(link_in(mails[-1], "/verify"))


async def test_registration_mails_a_link_that_verifies(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    assert tokens["user"]["email_verified"] is False
    token = await _verify_token(smtp, email)
    done = await client.post("/auth/email/verify", json={"token": token})
    assert done.status_code == 204, done.text
    me = await client.get("/auth/user/me", headers=bearer(tokens))
    assert me.json()["email_verified"] is True
    again = await client.post("/auth/email/verify", json={"token": token})
    assert again.status_code == 400 and error_of(again)["code"] == "token_invalid"
    resend = await client.post("/auth/email/verify/resend", headers=bearer(tokens))
    assert resend.status_code == 409


async def test_resend_replaces_the_link(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    first = await _verify_token(smtp, email)
    client.cookies.clear()
    assert (await client.post("/auth/email/verify/resend")).status_code == 401
    resend = await client.post("/auth/email/verify/resend", headers=bearer(tokens))
    assert resend.status_code == 202 and email in resend.json()["message"]
    second = await _verify_token(smtp, email, count=2)
    assert second != first
    stale = await client.post("/auth/email/verify", json={"token": first})
    assert error_of(stale)["code"] == "token_invalid"
    assert (await client.post("/auth/email/verify", json={"token": second})).status_code == 204


async def test_bad_and_expired_tokens(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    token = await _verify_token(smtp, email)
    for bad in ("", "abc", "!" * 43):
        answer = await client.post("/auth/email/verify", json={"token": bad})
        assert answer.status_code == 400 and error_of(answer)["code"] == "token_invalid"
    missing = await client.post("/auth/email/verify", json={})
    assert missing.status_code == 422
    await AccountToken.filter(token_hash=link_token_hash(token)).update(
        expires_at=utcnow() - timedelta(seconds=1)
    )
    expired = await client.post("/auth/email/verify", json={"token": token})
    assert expired.status_code == 400 and error_of(expired)["code"] == "token_expired"
    me = await client.get("/auth/user/me", headers=bearer(tokens))
    assert me.json()["email_verified"] is False


async def test_required_verification_closes_the_collection_until_verified(
    database: Database, smtp: SmtpServer
) -> None:
    settings = database.settings(SMTP_URL=smtp.url, REQUIRE_EMAIL_VERIFICATION="true")
    running, server = await start_app(settings)
    try:
        async with running.client() as client:
            email = unique_email()
            tokens = await register(client, email=email)
            items = await client.get("/collection/items", headers=bearer(tokens))
            assert items.status_code == 403
            error = error_of(items)
            assert error["code"] == "email_unverified" and "new one" in error["message"]
            me = await client.get("/auth/user/me", headers=bearer(tokens))
            assert me.status_code == 200  # the account itself stays reachable
            page = await client.get("/gallery", headers={"accept": "text/html"})
            assert page.status_code == 303
            assert page.headers["location"] == "/settings?notice=unverified#account"
            settings_page = await client.get(page.headers["location"])
            assert "Confirm your email address to open your collection." in settings_page.text
            assert "Send me a new link" in settings_page.text
            token = await _verify_token(smtp, email)
            assert (
                await client.post("/auth/email/verify", json={"token": token})
            ).status_code == 204
            items = await client.get("/collection/items", headers=bearer(tokens))
            assert items.status_code == 200
    finally:
        await stop_app(server)
