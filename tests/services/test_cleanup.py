"""`python -m gamecoll cleanup` and the periodic clean-up, against a real database."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from datetime import timedelta
from functools import partial

import asyncpg
import httpx
import pytest

from gamecoll.config import PROJECT_ROOT
from gamecoll.db import CLEANUP_LOCK_ID
from gamecoll.models import (
    AccountToken,
    ActivityEntry,
    LoginFailure,
    MfaChallenge,
    OutboxMail,
    RateCounter,
    RefreshToken,
    Session,
    User,
)
from gamecoll.services.activity import account_mail_batches
from gamecoll.services.cleanup import CleanupService
from gamecoll.services.clock import utcnow
from tests.conftest import Database, LiveApp, _pg_url, base_env, require_postgres
from tests.helpers import bearer, register, unique_email

NOTHING = (
    "cleanup removed 0 ended session(s), 0 refresh token(s), 0 rate counter(s), "
    "0 login-failure record(s), 0 sent mail(s), 0 account token(s), 0 activity record(s)"
)


@pytest.fixture
def app_env() -> dict[str, str]:
    """The server's own periodic clean-up stays off: these tests run the command."""
    return {"CLEANUP_INTERVAL_SECONDS": "0"}


async def cleanup_command(live: LiveApp) -> tuple[int, str]:
    """Run the command in its own process, as an operator or a CronJob would."""
    env = {**os.environ, **base_env(DATABASE_URL=live.settings.database_url)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamecoll",
        "cleanup",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    assert not errors, errors.decode()
    return process.returncode, output.decode()


async def old_session(
    user: User, *, expires_in: timedelta, revoked_ago: timedelta | None
) -> Session:
    now = utcnow()
    session = await Session.create(
        user=user,
        csrf_token=secrets.token_urlsafe(16),
        last_used_at=now,
        expires_at=now + expires_in,
        revoked_at=None if revoked_ago is None else now - revoked_ago,
        revoked_reason=None if revoked_ago is None else "logout",
    )
    return session


async def old_token(session: Session, *, age: timedelta, spent: bool) -> str:
    digest = secrets.token_hex(32)
    await RefreshToken.create(token_hash=digest, session=session)
    created = utcnow() - age
    await RefreshToken.filter(token_hash=digest).update(
        created_at=created, spent_at=created if spent else None
    )
    return digest


async def old_mail(*, sent_ago: timedelta | None) -> OutboxMail:
    now = utcnow()
    return await OutboxMail.create(
        to_address=unique_email(),
        subject="Reset your password",
        text_body="text",
        html_body="<p>html</p>",
        created_at=now - (sent_ago or timedelta()),
        next_attempt_at=now,
        sent_at=None if sent_ago is None else now - sent_ago,
    )


async def old_link_token(
    user: User, *, expires_in: timedelta, used_ago: timedelta | None = None
) -> str:
    now = utcnow()
    digest = secrets.token_hex(32)
    await AccountToken.create(
        token_hash=digest,
        user=user,
        purpose="reset",
        password_marker="m",
        created_at=now - timedelta(days=3),
        expires_at=now + expires_in,
        used_at=None if used_ago is None else now - used_ago,
    )
    return digest


async def test_old_rows_go_live_rows_stay_and_a_second_run_removes_nothing(
    live: LiveApp, client: httpx.AsyncClient
) -> None:
    email = unique_email()
    tokens = await register(client, email=email)
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    tokens = refreshed.json()
    user = await User.get(email=email)
    live_session = await Session.get(user_id=user.id, revoked_at__isnull=True)
    week = timedelta(minutes=live.settings.refresh_token_expire_minutes)
    hour, day = timedelta(hours=1), timedelta(days=1)

    # Removed: sessions expired or ended more than a day ago, with every token they had;
    # spent tokens that expired (issued more than the refresh lifetime ago, plus an hour).
    expired = await old_session(user, expires_in=-2 * day, revoked_ago=None)
    revoked = await old_session(user, expires_in=week, revoked_ago=2 * day)
    gone = [
        await old_token(expired, age=week + 2 * day, spent=True),
        await old_token(expired, age=week + 2 * day, spent=False),
        await old_token(revoked, age=3 * day, spent=True),
        await old_token(revoked, age=2 * day, spent=False),
        await old_token(live_session, age=week + 2 * hour, spent=True),
    ]
    # Kept: recently ended sessions, and spent tokens that reuse detection still needs.
    recently_expired = await old_session(user, expires_in=-hour, revoked_ago=None)
    recently_revoked = await old_session(user, expires_in=week, revoked_ago=hour)
    kept = [
        await old_token(live_session, age=week - hour, spent=True),
        await old_token(recently_expired, age=week + hour / 2, spent=True),
        await old_token(recently_revoked, age=hour, spent=False),
    ]
    now = int(time.time())
    await RateCounter.create(key="login:203.0.113.9", window_start=now - 7200, count=3)
    await RateCounter.create(key="register:203.0.113.9", window_start=now - 600, count=3)
    await LoginFailure.create(
        key="old", failures=7, locked_until=now - 60, last_failure_at=now - 7200
    )
    await LoginFailure.create(
        key="locked", failures=30, locked_until=now + 600, last_failure_at=now - 7200
    )
    await LoginFailure.create(key="recent", failures=2, locked_until=0, last_failure_at=now - 60)
    # Account mail: mails sent over a week ago, link tokens expired or used over a day ago, and
    # activity older than ACTIVITY_RETENTION_DAYS (90) go; the rest stays.
    sent_long_ago = await old_mail(sent_ago=timedelta(days=8))
    kept_mails = [(await old_mail(sent_ago=day)).id, (await old_mail(sent_ago=None)).id]
    gone_links = [
        await old_link_token(user, expires_in=-hour),
        await old_link_token(user, expires_in=hour, used_ago=2 * day),
    ]
    kept_links = [
        await old_link_token(user, expires_in=hour),
        await old_link_token(user, expires_in=hour, used_ago=hour),
    ]
    old_entry = await ActivityEntry.create(
        user=user, event="login_succeeded", created_at=utcnow() - timedelta(days=91)
    )
    await ActivityEntry.create(
        user=user, event="login_succeeded", created_at=utcnow() - timedelta(days=89)
    )
    activity_kept = await ActivityEntry.filter(user_id=user.id).count() - 1

    code, output = await cleanup_command(live)
    assert code == 0
    assert output.strip() == (
        "cleanup removed 2 ended session(s), 5 refresh token(s), 1 rate counter(s), "
        "1 login-failure record(s), 1 sent mail(s), 2 account token(s), 1 activity record(s)"
    )
    assert not await Session.filter(id__in=[expired.id, revoked.id]).exists()
    assert not await RefreshToken.filter(token_hash__in=gone).exists()
    assert (
        await Session.filter(
            id__in=[live_session.id, recently_expired.id, recently_revoked.id]
        ).count()
        == 3
    )
    assert await RefreshToken.filter(token_hash__in=kept).count() == len(kept)
    assert await RateCounter.filter(key="register:203.0.113.9").exists()
    assert not await RateCounter.filter(key="login:203.0.113.9").exists()
    assert sorted(await LoginFailure.all().values_list("key", flat=True)) == ["locked", "recent"]
    assert not await OutboxMail.filter(id=sent_long_ago.id).exists()
    assert await OutboxMail.filter(id__in=kept_mails).count() == 2
    assert not await AccountToken.filter(token_hash__in=gone_links).exists()
    assert await AccountToken.filter(token_hash__in=kept_links).count() == 2
    assert not await ActivityEntry.filter(id=old_entry.id).exists()
    assert await ActivityEntry.filter(user_id=user.id).count() == activity_kept

    code, output = await cleanup_command(live)
    assert (code, output.strip()) == (0, NOTHING)

    # The live session still works, and its refresh token still turns.
    me = await client.get("/auth/user/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.json()["email"] == email
    again = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 200


async def test_batches_are_bounded_and_go_on_until_done(live: LiveApp) -> None:
    user = await User.create(email=unique_email(), password_hash="x")
    for _ in range(5):
        session = await old_session(user, expires_in=-timedelta(days=3), revoked_ago=None)
        await old_token(session, age=timedelta(days=10), spent=True)
    cleanup = CleanupService(
        refresh_lifetime=timedelta(days=7), longest_rate_window=3600, batch_size=2
    )
    report = await cleanup.run()
    assert (report.sessions, report.refresh_tokens) == (5, 5)
    assert (await cleanup.run()).total == 0


async def test_account_mail_goes_in_bounded_batches_until_none_is_left(live: LiveApp) -> None:
    """Each statement deletes at most its batch (the sent mails, link tokens, second-step
    challenges and activity of a busy site may be many); a run goes on until all are gone."""
    user = await User.create(email=unique_email(), password_hash="x")
    day, now = timedelta(days=1), utcnow()
    for _ in range(5):
        await old_mail(sent_ago=8 * day)
        await old_link_token(user, expires_in=-day)
        await MfaChallenge.create(
            token_hash=secrets.token_hex(32), user=user, created_at=now - day, expires_at=now - day
        )
        await ActivityEntry.create(user=user, event="login_succeeded", created_at=now - 91 * day)
    activity = live.app.ctx.services.activity
    batches = account_mail_batches(activity, utcnow())

    assert {kind: await batch(2) for kind, batch in batches.items()} == {
        "mails": 2,
        "account_tokens": 2,
        "mfa_challenges": 2,
        "activity": 2,
    }
    cleanup = CleanupService(
        refresh_lifetime=timedelta(days=7),
        longest_rate_window=3600,
        account_mail=partial(account_mail_batches, activity),
        batch_size=2,
    )
    report = await cleanup.run()
    assert (report.mails, report.account_tokens, report.activity) == (3, 3 + 3, 3)
    assert not await OutboxMail.filter(sent_at__isnull=False).exists()
    assert not await AccountToken.filter(user_id=user.id).exists()
    assert not await MfaChallenge.filter(user_id=user.id).exists()
    assert not await ActivityEntry.filter(user_id=user.id).exists()
    assert (await cleanup.run()).total == 0


@pytest.mark.parametrize("db_kind", ["postgres"])
async def test_one_clean_up_at_a_time_on_postgres(live: LiveApp, database: Database) -> None:
    user = await User.create(email=unique_email(), password_hash="x")
    old = await old_session(user, expires_in=-timedelta(days=2), revoked_ago=None)
    holder = await asyncpg.connect(database.url)
    try:
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", CLEANUP_LOCK_ID)
        code, output = await cleanup_command(live)
        assert (code, output.strip()) == (0, "cleanup skipped: another instance is running it now")
        assert await Session.filter(id=old.id).exists()
    finally:
        await holder.close()
    code, output = await cleanup_command(live)
    assert output.startswith("cleanup removed 1 ended session(s)")


async def test_an_unreachable_database_is_one_line_and_exit_2() -> None:
    require_postgres()
    env = {
        **os.environ,
        **base_env(DATABASE_URL=_pg_url(f"gamecoll_missing_{secrets.token_hex(4)}")),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamecoll",
        "cleanup",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2 and output == b""
    lines = errors.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gamecoll: cleanup failed:"), lines
    assert "does not exist" in lines[0]
