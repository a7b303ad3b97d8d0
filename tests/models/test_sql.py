"""Raw SQL beside the models: one placeholder convention, run on both databases."""

from __future__ import annotations

from gamecoll.models import LoginFailure, RateCounter, rate_limit_sql
from gamecoll.models.sql import is_postgres, ping, sqlite_placeholders
from tests.conftest import LiveApp


def test_sqlite_gets_numbered_question_marks() -> None:
    sql = 'SELECT "a" FROM "t" WHERE "b" = $1 AND "c" < $12 AND "d" = \'$\''
    assert sqlite_placeholders(sql) == (
        'SELECT "a" FROM "t" WHERE "b" = ?1 AND "c" < ?12 AND "d" = \'$\''
    )


async def test_the_database_answers_and_says_its_dialect(live: LiveApp, db_kind: str) -> None:
    await ping()
    assert is_postgres() is (db_kind == "postgres")


async def test_requests_are_counted_per_window(live: LiveApp) -> None:
    key = "login:198.51.100.7"
    counts = [await rate_limit_sql.count_request(key, 600) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert await rate_limit_sql.count_request(key, 660) == 1  # a new window starts again
    stored = await RateCounter.get(key=key)
    assert (stored.window_start, stored.count) == (660, 1)


async def test_failures_count_lock_and_clear(live: LiveApp) -> None:
    key = "user:ada"
    assert await rate_limit_sql.locked_until(key) == 0
    assert await rate_limit_sql.count_failure(key, 1000, 0) == 1
    assert await rate_limit_sql.count_failure(key, 1001, 0) == 2
    assert await rate_limit_sql.count_failure(key, 5000, 4000) == 1  # the old run is forgotten
    await rate_limit_sql.lock_until(key, 5900)
    assert await rate_limit_sql.locked_until(key) == 5900
    await rate_limit_sql.clear_failures(key)
    assert await rate_limit_sql.locked_until(key) == 0
    assert not await LoginFailure.filter(key=key).exists()
