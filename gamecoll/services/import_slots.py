"""Places for import files in this process, taken before a body is read.

An import's file is on the instance's disk from its first byte until its job is over, up to
1 GiB. A place is taken before the body is read, so that a user with an import going gets
409 at once (not after sending a gigabyte), and an instance holds at most FILES_AT_ONCE files
(503, to try again shortly) instead of filling its disk. The Kubernetes pod's /tmp is sized
for that many of the largest (k8s/base/backend.yaml).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from gamecoll.errors import Conflict, ServerBusy

FILES_AT_ONCE: Final = 2
"""Import files one process holds at once (being received or imported)."""


class ImportSlot:
    """One user's place for an import file, given back once (idempotent)."""

    def __init__(self, slots: ImportSlots, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.handed_over = False
        """Set when a job took the file: the job gives the place back when it is over."""
        self._slots = slots

    def release(self) -> None:
        """Give the place back."""
        self._slots.holders.discard(self.user_id)


class ImportSlots:
    """The users holding an import file in this process."""

    def __init__(self, limit: int = FILES_AT_ONCE) -> None:
        self.limit = limit
        self.holders: set[uuid.UUID] = set()

    def take(self, user_id: uuid.UUID) -> ImportSlot:
        """Take a place: 409 when the user holds one, 503 when the process is full."""
        if user_id in self.holders:
            raise Conflict("An import of yours is on its way; wait until it is done.")
        if len(self.holders) >= self.limit:
            raise ServerBusy("The server is busy with other imports; try again in a minute.")
        self.holders.add(user_id)
        return ImportSlot(self, user_id)

    @asynccontextmanager
    async def holding(self, user_id: uuid.UUID) -> AsyncIterator[ImportSlot]:
        """Hold a place while the body is read; it stays taken only if a job took the file."""
        slot = self.take(user_id)
        try:
            yield slot
        finally:
            if not slot.handed_over:
                slot.release()
