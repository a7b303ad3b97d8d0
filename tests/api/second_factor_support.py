"""Helpers of the second-factor and access-token tests: the app's TOTP flow, and moving a
stored moment into the past (the test's own database access, not an app back door)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

import httpx

from gamecoll.config import Settings
from tests.api.test_password_checks import sql
from tests.helpers import PASSWORD, bearer, error_of, register, totp_code


async def clear_of_step_edge(margin: float = 3.0) -> None:
    """Wait until the clock is at least `margin` seconds from a 30-second step's edge, so a
    code computed now for step offset k is still offset k when the server checks it."""
    into = time.time() % 30
    if into < margin:
        await asyncio.sleep(margin - into)
    elif into > 30 - margin:
        await asyncio.sleep(30 - into + margin)


async def with_totp(client: httpx.AsyncClient) -> tuple[dict[str, Any], str, list[str]]:
    """Register a user and turn on an authenticator app; return tokens, secret, codes."""
    tokens = await register(client)
    auth = bearer(tokens)
    setup = await client.post("/auth/mfa/totp/setup", json={}, headers=auth)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    await clear_of_step_edge()
    confirmed = await client.post(
        "/auth/mfa/totp/confirm", json={"code": totp_code(secret, -1)}, headers=auth
    )
    assert confirmed.status_code == 200, confirmed.text
    return tokens, secret, confirmed.json()["recovery_codes"]


async def mfa_token(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in with the password and return the mfa_token of the `mfa_required` answer."""
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    client.cookies.clear()
    assert answer.status_code == 401, answer.text
    error = error_of(answer)
    assert error["code"] == "mfa_required"
    assert error["methods"] == ["totp", "recovery_code"]
    token: str = error["mfa_token"]
    return token


async def move_back(settings: Settings, table: str, column: str, minutes: int) -> None:
    """Move every stored `column` of `table` `minutes` into the past."""
    if settings.database_url.startswith("sqlite://"):
        rows = await sql(settings, f'SELECT rowid, "{column}" FROM "{table}"')
        for rowid, value in rows:
            if value is None:
                continue
            moved = datetime.fromisoformat(str(value)) - timedelta(minutes=minutes)
            await sql(
                settings,
                f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                str(moved),
                rowid,
            )
        return
    await sql(
        settings,
        f'UPDATE "{table}" SET "{column}" = "{column}" - make_interval(mins => ?)',
        minutes,
    )
