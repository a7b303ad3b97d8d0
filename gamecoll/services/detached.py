"""Write sequences that finish even when the client hangs up half-way.

A cancelled request must not leave files without their row or a row without its files, so
each write sequence runs in its own task; a task that outlives its request is kept here
until it ends, and a failure is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("gamecoll.items")

T = TypeVar("T")

# Write sequences that outlived their request (the client hung up): kept until they finish.
_DETACHED: set[asyncio.Task[Any]] = set()


async def to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Run a write sequence in its own task: if the request is cancelled, it still finishes."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            _DETACHED.add(task)
            task.add_done_callback(_forget_detached)
        raise


def _forget_detached(task: asyncio.Task[Any]) -> None:
    _DETACHED.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.info("a write whose client hung up failed: %s", task.exception())
