"""Make the renditions that items stored before them lack, a few at a time, resumably.

Items are taken in the order of their id, a batch at a time, and only those still missing a
rendition: a second run finds nothing to do, and a run that was stopped picks up what is left.
Each image goes through the same worker pool as uploads, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from tortoise.expressions import Q

from gamecoll.errors import AppError
from gamecoll.models import Item
from gamecoll.services.items import ItemService
from gamecoll.storage import StorageError

log = logging.getLogger("gamecoll.images")

BATCH_SIZE: Final = 50


@dataclass
class BackfillProgress:
    """How far a backfill is: items to do at the start, made, failed (with why)."""

    total: int
    made: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (item id, reason)

    @property
    def seen(self) -> int:
        """Items handled so far."""
        return self.made + len(self.failures)


def _missing() -> Q:
    return Q(image_path__isnull=False) & (
        Q(thumb2x_path__isnull=True) | Q(display_path__isnull=True)
    )


async def count_missing() -> int:
    """How many items with an image lack a rendition."""
    return await Item.filter(_missing()).count()


async def backfill(
    items: ItemService,
    *,
    on_progress: Callable[[BackfillProgress], None] = lambda progress: None,
    batch_size: int = BATCH_SIZE,
) -> BackfillProgress:
    """Make every missing rendition; report progress after each item."""
    progress = BackfillProgress(total=await count_missing())
    after: uuid.UUID | None = None
    at_once = asyncio.Semaphore(items.images.workers)

    async def one(item: Item) -> None:
        async with at_once:
            try:
                if await items.add_renditions(item):
                    progress.made += 1
                else:
                    progress.failures.append((str(item.id), "its image changed meanwhile"))
            except (AppError, StorageError) as exc:
                progress.failures.append((str(item.id), exc.detail))
        on_progress(progress)

    while True:
        query = Item.filter(_missing())
        if after is not None:
            query = query.filter(id__gt=after)
        batch = list(await query.order_by("id").limit(batch_size))
        if not batch:
            return progress
        after = batch[-1].id
        await asyncio.gather(*(one(item) for item in batch))
