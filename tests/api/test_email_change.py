"""Changing the email address: link to the new address, notice to the old, taken looks free."""

from __future__ import annotations

import asyncio

import httpx

from tests.helpers import PASSWORD, bearer, error_of, register, unique_email
from tests.mailbox import SmtpServer, app_env, link_in, smtp, token_of

__all__ = ["app_env", "smtp"]


async def test_change_takes_effect_when_the_new_address_confirms(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    old, new = unique_email(), unique_email()
    tokens = await register(client, email=old)
    body = {"new_email": new, "current_password": PASSWORD}
    asked = await client.put("/auth/email", json=body, headers=bearer(tokens))
    assert asked.status_code == 202, asked.text
    [link_mail] = await smtp.wait_for(new, subject="Confirm your new email")
    [notice] = await smtp.wait_for(old, subject="about to change")
    assert new in notice.text
    me = await client.get("/auth/user/me", headers=bearer(tokens))
    assert me.json()["email"] == old  # nothing changes before the link is used
    token = token_of(link_in(link_mail, "/email/confirm"))
    done = await client.post("/auth/email/confirm", json={"token": token})
    assert done.status_code == 204, done.text
    me = await client.get("/auth/user/me", headers=bearer(tokens))
    assert me.json()["email"] == new and me.json()["email_verified"] is True
    [changed] = await smtp.wait_for(old, subject="was changed")
    assert new in changed.text
    login = await client.post("/auth/login", json={"email": new, "password": PASSWORD})
    assert login.status_code == 200
    again = await client.post("/auth/email/confirm", json={"token": token})
    assert again.status_code == 400 and error_of(again)["code"] == "token_invalid"


async def test_a_taken_address_looks_free_and_its_owner_hears_nothing(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    taken, free, mine = unique_email(), unique_email(), unique_email()
    await register(client, email=taken)
    tokens = await register(client, email=mine)
    await smtp.wait_for(taken, subject="Confirm your email")  # its own verification mail
    to_taken = await client.put(
        "/auth/email",
        json={"new_email": taken, "current_password": PASSWORD},
        headers=bearer(tokens),
    )
    to_free = await client.put(
        "/auth/email",
        json={"new_email": free, "current_password": PASSWORD},
        headers=bearer(tokens),
    )
    assert to_taken.status_code == to_free.status_code == 202
    assert to_taken.json()["message"].replace(taken, "X") == to_free.json()["message"].replace(
        free, "X"
    )
    await smtp.wait_for(free, subject="Confirm your new email")
    await smtp.wait_for(mine, count=2, subject="about to change")
    await asyncio.sleep(0.5)
    assert len(smtp.to(taken)) == 1  # only its own verification mail


async def test_bad_requests_change_nothing(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    mine = unique_email()
    tokens = await register(client, email=mine)
    wrong = await client.put(
        "/auth/email",
        json={"new_email": unique_email(), "current_password": "not my password"},
        headers=bearer(tokens),
    )
    assert wrong.status_code == 422 and "current_password" in error_of(wrong)["fields"]
    same = await client.put(
        "/auth/email",
        json={"new_email": mine.upper(), "current_password": PASSWORD},
        headers=bearer(tokens),
    )
    assert same.status_code == 422 and "new_email" in error_of(same)["fields"]
    bad = await client.put(
        "/auth/email",
        json={"new_email": "nope", "current_password": PASSWORD},
        headers=bearer(tokens),
    )
    assert bad.status_code == 422
    client.cookies.clear()
    anonymous = await client.put(
        "/auth/email", json={"new_email": "a@b.co", "current_password": "x"}
    )
    assert anonymous.status_code == 401
    invalid = await client.post("/auth/email/confirm", json={"token": "x" * 43})
    assert invalid.status_code == 400 and error_of(invalid)["code"] == "token_invalid"
    await asyncio.sleep(0.3)
    assert [m.subject for m in smtp.to(mine)] == ["Confirm your email address for gamecoll"]
