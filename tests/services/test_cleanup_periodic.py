"""The server runs the clean-up by itself every CLEANUP_INTERVAL_SECONDS."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from gamecoll.models import Session, User
from tests.helpers import bearer, register
from tests.services.test_cleanup import old_session


@pytest.fixture
def app_env() -> dict[str, str]:
    """Run the periodic clean-up every second (the first run comes after one interval)."""
    return {"CLEANUP_INTERVAL_SECONDS": "1"}


async def test_the_server_cleans_up_by_itself(live: object, client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    me = await client.get("/auth/user/me", headers=bearer(tokens))
    user = await User.get(email=me.json()["email"])
    old = await old_session(user, expires_in=-timedelta(days=2), revoked_ago=None)
    for _ in range(100):
        if not await Session.filter(id=old.id).exists():
            break
        await asyncio.sleep(0.1)
    assert not await Session.filter(id=old.id).exists()
    assert (await client.get("/auth/user/me", headers=bearer(tokens))).status_code == 200
