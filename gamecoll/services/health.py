"""Is the database reachable?"""

from __future__ import annotations

import asyncio
import logging

from gamecoll.models import RateCounter

log = logging.getLogger("gamecoll.health")


async def database_ok(timeout: float = 2.0) -> bool:
    """Run `SELECT 1` within the timeout; False on any failure."""
    try:
        conn = RateCounter._meta.db
        await asyncio.wait_for(conn.execute_query("SELECT 1"), timeout)
    except Exception as exc:  # any failure means "not reachable"
        log.warning("database check failed: %s", exc)
        return False
    return True
