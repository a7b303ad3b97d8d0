"""`python -m gamecoll images backfill`: make the renditions existing items lack."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gamecoll.config import Settings
    from gamecoll.services.rendition_backfill import BackfillProgress


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `images backfill` to the command line."""
    images = sub.add_parser("images", help="image maintenance")
    images_sub = images.add_subparsers(dest="images_command", required=True)
    images_sub.add_parser(
        "backfill", help="make the display and 2x renditions that existing items lack"
    )


async def run_backfill(settings: Settings, *, out: TextIO | None = None) -> int:
    """Make the missing renditions, printing a progress line; 0 when nothing failed."""
    # Imported here: building the parser for other commands stays light.
    from tortoise import Tortoise
    from tortoise.exceptions import BaseORMException

    from gamecoll.db import close_database_connections, tortoise_config
    from gamecoll.services.container import build_services
    from gamecoll.services.rendition_backfill import backfill
    from gamecoll.storage import StorageError

    out = out or sys.stdout
    interactive = out.isatty()
    services = build_services(settings)  # the same storage and image workers as the server

    def show(progress: BackfillProgress) -> None:
        line = (
            f"images backfill: {progress.seen}/{progress.total} items, "
            f"{progress.made} made, {len(progress.failures)} failed"
        )
        if interactive:
            print("\r" + line, end="", file=out, flush=True)
        elif progress.seen % 50 == 0 or progress.seen == progress.total:
            print(line, file=out, flush=True)

    try:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            result = await backfill(services.items, on_progress=show)
        finally:
            await close_database_connections()
            services.images.close()
    except (BaseORMException, OSError, StorageError) as exc:
        print(f"gamecoll: images backfill failed: {exc}", file=sys.stderr)
        return 2
    if interactive and result.total:
        print(file=out)
    for item_id, reason in result.failures:
        print(f"failed: item {item_id}: {reason}", file=out)
    if result.total == 0:
        print("images backfill: every item has its renditions; nothing to do.", file=out)
    else:
        print(
            f"images backfill: made the renditions of {result.made} item(s), "
            f"{len(result.failures)} failed.",
            file=out,
        )
    return 1 if result.failures else 0
