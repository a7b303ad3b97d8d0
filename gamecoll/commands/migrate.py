"""`python -m gamecoll migrate`: apply the migrations not yet applied."""

from __future__ import annotations

import asyncio

from gamecoll.config import Settings


def migrate(settings: Settings) -> int:
    """Apply migrations and say which."""
    from gamecoll.db import apply_migrations
    from gamecoll.logs import configure_logging

    configure_logging(settings)
    applied = asyncio.run(apply_migrations(settings))
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0
