"""Run bcrypt off the event loop in a pool sized to the cores, with a cap on waiting work.

The hashing threads run at a lower priority (a higher niceness) than the event loop: when
the CPU is short, requests of logged-in users go first and logins take longer, instead of
every request slowing down while a burst of logins is hashed. When the CPU is not short,
the niceness changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from gamecoll.security import passwords
from gamecoll.services.bounded import BoundedExecutor


def _lower_priority(niceness: int) -> None:
    """Add to this thread's niceness (per thread on Linux; raising it needs no privilege)."""
    if niceness and hasattr(os, "setpriority"):
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            current = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, current + niceness))


class PasswordHasher:
    """Hash and verify passwords in a bounded thread pool."""

    def __init__(self, *, rounds: int, workers: int, queue_limit: int, niceness: int = 0) -> None:
        self.rounds = rounds
        self._pool = BoundedExecutor(
            workers=workers,
            queue_limit=queue_limit,
            busy_message="Too many logins at once; try again in a moment.",
            factory=lambda count: ThreadPoolExecutor(
                max_workers=count,
                thread_name_prefix="bcrypt",
                initializer=_lower_priority,
                initargs=(niceness,),
            ),
        )
        # Verifying against this keeps unknown-account logins as slow as real ones.
        self._dummy_hash = passwords.hash_password("gamecoll-dummy-password", rounds)

    async def hash(self, password: str) -> str:
        """Hash a new password at the configured cost."""
        return await self._pool.run(passwords.hash_password, password, self.rounds)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Check a password; with no hash, spend the same time and answer False."""
        result = await self._pool.run(
            passwords.verify_password, password, password_hash or self._dummy_hash
        )
        return bool(result) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """Tell whether a stored hash is cheaper than the configured cost or pre-hash is old."""
        return (
            passwords.is_legacy(password_hash) or passwords.hash_rounds(password_hash) < self.rounds
        )

    def close(self) -> None:
        """Stop the threads."""
        self._pool.close()
