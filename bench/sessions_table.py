"""Phase D: does a sessions table full of expired rows slow `/auth/user/me`? And the clean-up?

Every authenticated request reads its session by primary key (gamecoll/services/sessions.py),
so its cost should not depend on how many dead sessions share the table. Measured with one
connection (latency, like the list-latency phase), four times on one server:

- `auth_me_sessions_small`: the sessions table as the earlier phases left it;
- `auth_me_sessions_expired`: after adding a million sessions (full run) that expired two days
  ago, each with a spent refresh token, by one bulk INSERT ... SELECT (then VACUUM ANALYZE,
  as autovacuum would have done to a table that grew over weeks);
- `auth_me_during_cleanup`: while `python -m gamecoll cleanup` deletes them in batches;
- `auth_me_sessions_cleaned`: afterwards (no VACUUM: as a real table is right after a run).

The clean-up's own line and duration go into the results as well.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any

import asyncpg

from bench.loadgen import Req

if TYPE_CHECKING:
    from bench.harness import Bench

SESSION_SCENARIOS = (
    "auth_me_sessions_small",
    "auth_me_sessions_expired",
    "auth_me_during_cleanup",
    "auth_me_sessions_cleaned",
)
EXPIRED_SESSIONS = {"full": 1_000_000, "smoke": 2_000}
CLEANUP_TIMEOUT_S = 1800


async def table_sizes(db_url: str) -> dict[str, int]:
    """Count the rows of the tables the clean-up empties."""
    conn = await asyncpg.connect(db_url, timeout=10)
    try:
        return {
            table: int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
            for table in ("sessions", "refresh_tokens")
        }
    finally:
        await conn.close()


async def add_expired_sessions(db_url: str, count: int) -> None:
    """Insert `count` sessions of existing users that expired two days ago, each with a spent
    refresh token, in two set-based statements."""
    conn = await asyncpg.connect(db_url, timeout=10, command_timeout=3600)
    try:
        async with conn.transaction():
            await conn.execute(
                """
                CREATE TEMPORARY TABLE bench_dead ON COMMIT DROP AS
                SELECT gen_random_uuid() AS id, u.ids[1 + g % array_length(u.ids, 1)] AS user_id,
                       now() - interval '9 days' - make_interval(secs => g) AS created_at,
                       now() - interval '2 days' - make_interval(secs => g) AS expires_at
                FROM generate_series(1, $1::int) AS g,
                     (SELECT array_agg(id) AS ids FROM users) AS u
                """,
                count,
            )
            await conn.execute(
                """
                INSERT INTO sessions (id, user_id, csrf_token, user_agent, ip, created_at,
                                      last_used_at, expires_at, revoked_at, revoked_reason)
                SELECT id, user_id, md5(id::text), 'bench', '127.0.0.1', created_at,
                       expires_at - interval '7 days', expires_at, NULL, NULL
                FROM bench_dead
                """
            )
            await conn.execute(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, created_at, spent_at)
                SELECT encode(sha256(id::text::bytea), 'hex'), id,
                       expires_at - interval '7 days', expires_at - interval '7 days'
                FROM bench_dead
                """
            )
        # A table that grew over weeks has been vacuumed by autovacuum; without this the first
        # reads after the bulk insert pay for setting hint bits on two million rows.
        await conn.execute("VACUUM (ANALYZE) sessions, refresh_tokens")
    finally:
        await conn.close()


def start_cleanup(bench: Bench, server_port: int) -> Any:
    """Start `python -m gamecoll cleanup` with the server's settings."""
    from bench.plan import PROJECT_ROOT

    return bench.processes.start(
        "gamecoll_cleanup",
        [sys.executable, "-m", "gamecoll", "cleanup"],
        env=bench.gamecoll_env(server_port, 1),
        cpus=bench.layout1.server,
        log_path=bench.workdir / "cleanup.log",
        cwd=PROJECT_ROOT,
    )


def finish_cleanup(bench: Bench, started: Any, began: float) -> dict[str, Any]:
    """Wait for the clean-up; return its line and how long it took."""
    code = started.popen.wait(timeout=CLEANUP_TIMEOUT_S)
    seconds = time.monotonic() - began
    lines = (bench.workdir / "cleanup.log").read_text().strip().splitlines()
    if code != 0:
        raise RuntimeError(f"cleanup exited with {code}: {lines[-5:]}")
    return {"line": lines[-1] if lines else "", "seconds": round(seconds, 2)}


def phase_sessions(bench: Bench) -> None:
    """Measure /auth/user/me against a small and a huge sessions table, during and after the
    clean-up."""
    from bench.core import log
    from bench.plan import Scenario

    plan = bench.plan
    count = EXPIRED_SESSIONS[plan.mode]
    log(f"phase D: /auth/user/me with {count} expired sessions in the table")
    app = bench.start_gamecoll("gamecoll_w1_sessions", 1, bench.layout1)
    me = [Req("/auth/user/me", headers=bench.accounts["main"].bearer)]

    def measure(name: str, note: str) -> None:
        sizes = asyncio.run(table_sizes(bench.db_url))
        scenario = Scenario(name, app.name, me, connections=1, note=note)
        for _ in range(plan.repeats):
            bench.measure(scenario)
        bench.entry(name)["rows_before"] = sizes

    measure("auth_me_sessions_small", "the sessions table as earlier phases left it")
    began = time.monotonic()
    asyncio.run(add_expired_sessions(bench.db_url, count))
    bench.extra["expired_sessions_seed_seconds"] = round(time.monotonic() - began, 1)
    log(f"added {count} expired sessions in {bench.extra['expired_sessions_seed_seconds']} s")
    measure("auth_me_sessions_expired", f"{count} more sessions, expired two days ago")

    began = time.monotonic()
    cleaner = start_cleanup(bench, app.port)
    measure("auth_me_during_cleanup", "while `python -m gamecoll cleanup` deletes them")
    still_running = cleaner.popen.poll() is None
    bench.extra["cleanup"] = finish_cleanup(bench, cleaner, began)
    bench.extra["cleanup"]["ran_through_the_measurement"] = still_running
    log(f"{bench.extra['cleanup']['line']} in {bench.extra['cleanup']['seconds']} s")
    measure("auth_me_sessions_cleaned", "after the clean-up (no VACUUM yet)")
    bench.entry("auth_me_sessions_cleaned")["rows_after"] = asyncio.run(table_sizes(bench.db_url))
    bench.stop_server(app.name)
