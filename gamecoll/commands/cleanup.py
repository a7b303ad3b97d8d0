"""`python -m gamecoll cleanup`: delete rows past their use (account mail too), print one line.

Exit codes: 0 done (or another instance is running the clean-up right now), 2 the database
could not be reached.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

import asyncpg
from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from gamecoll.config import Settings


async def run_cleanup_command(settings: Settings, *, out: TextIO | None = None) -> int:
    """Run one clean-up against the configured database; print its one line."""
    from gamecoll.db import close_database_connections, tortoise_config
    from gamecoll.services.cleanup import run_cleanup
    from gamecoll.services.container import build_services

    out = out or sys.stdout
    service = build_services(settings).cleanup
    try:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            report = await run_cleanup(settings, service)
        finally:
            await close_database_connections()
    except (BaseORMException, asyncpg.PostgresError, OSError, TimeoutError) as exc:
        print(f"gamecoll: cleanup failed: {exc}", file=sys.stderr)
        return 2
    if report is None:
        print("cleanup skipped: another instance is running it now", file=out)
    else:
        print(report.line(), file=out)
    return 0


def cleanup(settings: Settings) -> int:
    """Run the clean-up once."""
    return asyncio.run(run_cleanup_command(settings))
