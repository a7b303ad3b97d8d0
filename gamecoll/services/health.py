"""Is the database reachable?"""

from __future__ import annotations

import asyncio
import logging

from gamecoll.models.sql import ping

log = logging.getLogger("gamecoll.health")


DB_CHECK_SECONDS = 2.0


async def database_ok() -> bool:
    """Run `SELECT 1` within two seconds; False on any failure."""
    try:
        async with asyncio.timeout(DB_CHECK_SECONDS):
            await ping()
    except Exception as exc:  # any failure means "not reachable"
        log.warning("database check failed: %s", exc)
        return False
    return True
