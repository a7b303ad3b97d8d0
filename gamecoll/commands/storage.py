"""`python -m gamecoll storage check [--fix]`: compare image files with the database."""

from __future__ import annotations

import asyncio

from gamecoll.config import Settings


def storage_check(settings: Settings, *, fix: bool) -> int:
    """Run the check (see gamecoll/services/storage_check.py for its exit codes)."""
    from gamecoll.services.storage_check import run_storage_check

    return asyncio.run(run_storage_check(settings, fix=fix))
