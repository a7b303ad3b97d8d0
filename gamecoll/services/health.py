"""Is the database reachable?"""

from __future__ import annotations

import asyncio
import logging

from gamecoll.models import RateCounter

log = logging.getLogger("gamecoll.health")


DB_CHECK_SECONDS = 2.0


async def database_ok() -> bool:
    """Run `SELECT 1` within two seconds; False on any failure."""
    try:
        conn = RateCounter._meta.db
        async with asyncio.timeout(DB_CHECK_SECONDS):
            await conn.execute_query("SELECT 1")
    except Exception as exc:  # any failure means "not reachable"
        log.warning("database check failed: %s", exc)
        return False
    return True
