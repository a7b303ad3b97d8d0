"""The security activity log: what is recorded, paging, notices, purging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from gamecoll.models import ActivityEntry
from gamecoll.services.clock import utcnow
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email
from tests.mailbox import SmtpServer, smtp

__all__ = ["smtp"]
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
def app_env(smtp: SmtpServer) -> dict[str, str]:
    return {"SMTP_URL": smtp.url, "MAIL_RETRY_SECONDS": "1", "REFRESH_REUSE_GRACE_SECONDS": "0"}


async def _events(
    client: httpx.AsyncClient, tokens: dict[str, Any], **params: str
) -> dict[str, Any]:
    answer = await client.get("/auth/activity", params=params, headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_security_events_are_logged_newest_first(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    email = unique_email()
    first = await register(client, email=email)
    client.cookies.clear()
    failed = await client.post("/auth/login", json={"email": email, "password": "wrong one!"})
    assert failed.status_code == 401
    second = (await client.post("/auth/login", json={"email": email, "password": PASSWORD})).json()
    client.cookies.clear()
    changed = await client.put(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(first),
    )
    assert changed.status_code == 204
    [notice] = await smtp.wait_for(email, subject="password was changed")
    assert "/forgot" in notice.text
    assert (await client.get("/auth/user/me", headers=bearer(second))).status_code == 401
    assert (await client.post("/auth/logout", headers=bearer(first))).status_code == 204
    third = (
        await client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
    ).json()
    client.cookies.clear()
    body = await _events(client, third)
    assert [e["event"] for e in body["activity"]] == [
        "login_succeeded",
        "logout",
        "password_changed",
        "login_succeeded",
        "login_failed",
    ]
    assert body["next_cursor"] is None
    entry = body["activity"][0]
    assert entry["ip"] == "127.0.0.1" and entry["user_agent"].startswith("python-httpx/")
    assert set(entry) == {"id", "event", "created_at", "ip", "user_agent"}

    # Paging by cursor, two at a time.
    seen: list[str] = []
    cursor = ""
    for _ in range(3):
        page = await _events(client, third, limit="2", **({"cursor": cursor} if cursor else {}))
        seen += [e["id"] for e in page["activity"]]
        cursor = page["next_cursor"] or ""
    assert seen == [e["id"] for e in body["activity"]] and cursor == ""
    bad = await client.get("/auth/activity?cursor=%%%", headers=bearer(third))
    assert bad.status_code == 400 and "cursor" in error_of(bad)["message"]
    assert (await client.get("/auth/activity?limit=0", headers=bearer(third))).status_code == 422
    assert (await client.get("/auth/activity")).status_code == 401

    # Another account sees only its own.
    other = await register(client, email=unique_email())
    client.cookies.clear()
    assert (await _events(client, other))["activity"] == []


async def test_refresh_reuse_and_ended_sessions_are_logged(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    tokens = await register(client, email=unique_email())
    client.cookies.clear()
    other = (
        await client.post(
            "/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD}
        )
    ).json()
    client.cookies.clear()
    sessions = (await client.get("/auth/sessions", headers=bearer(tokens))).json()["sessions"]
    [not_current] = [s for s in sessions if not s["current"]]
    ended = await client.delete(f"/auth/sessions/{not_current['id']}", headers=bearer(tokens))
    assert ended.status_code == 204
    assert (await client.get("/auth/user/me", headers=bearer(other))).status_code == 401
    old = tokens["refresh_token"]
    renewed = await client.post("/auth/refresh", json={"refresh_token": old})
    assert renewed.status_code == 200
    client.cookies.clear()
    reused = await client.post("/auth/refresh", json={"refresh_token": old})
    assert reused.status_code == 401
    fresh = (
        await client.post(
            "/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD}
        )
    ).json()
    client.cookies.clear()
    events = [e["event"] for e in (await _events(client, fresh))["activity"]]
    assert events[:3] == ["login_succeeded", "refresh_reuse_detected", "session_ended"]

    # Entries older than ACTIVITY_RETENTION_DAYS (90) go with the clean-up.
    cleanup = live.app.ctx.services.cleanup
    before = await ActivityEntry.all().count()
    kept = await cleanup.run(utcnow() + timedelta(days=89))
    assert kept.activity == 0 and await ActivityEntry.all().count() == before
    assert before > 0
    purged = await cleanup.run(utcnow() + timedelta(days=91))
    assert purged.activity == before
    assert await ActivityEntry.all().count() == 0


async def test_settings_page_shows_recent_activity(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email=email)
    client.cookies.clear()
    login = await client.post(
        "/login", data={"username": email, "password": PASSWORD}, headers={"accept": "text/html"}
    )
    assert login.status_code == 303
    page = await client.get("/settings")
    assert "Recent activity" in page.text
    assert "Logged in" in page.text and "Python (httpx)" in page.text
