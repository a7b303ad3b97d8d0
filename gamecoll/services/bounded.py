"""Blocking work in a pool started on first use, with a cap on the work waiting for it.

Logins (bcrypt, threads) and images (Pillow, processes) share this shape: at most `workers`
calls run at once, `queue_limit` more may wait, and anything beyond gets ServerBusy (503 with
`Retry-After`) at once instead of piling up. The pool starts on the first call, so that apps
which never hash or decode (most of them in tests) never start one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing.process
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from gamecoll.errors import ServerBusy

log = logging.getLogger("gamecoll.pools")

T = TypeVar("T")
STOP_TIMEOUT_SECONDS = 5.0
"""How long a stopping process pool's children get to exit before they are killed."""


class BoundedExecutor:
    """An executor made on first use by `factory`, and the count of calls in flight."""

    def __init__(
        self,
        *,
        workers: int,
        queue_limit: int,
        busy_message: str,
        factory: Callable[[int], Executor],
    ) -> None:
        self.workers = max(1, workers)
        self.queue_limit = max(0, queue_limit)
        self._busy_message = busy_message
        self._factory = factory
        self._executor: Executor | None = None
        self.pending = 0

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """Count one piece of work in flight, or raise ServerBusy when the queue is full."""
        if self.pending >= self.workers + self.queue_limit:
            raise ServerBusy(self._busy_message)
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1

    def executor(self) -> Executor:
        """Return the pool, starting it on first use."""
        if self._executor is None:
            self._executor = self._factory(self.workers)
        return self._executor

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` in the pool (the caller has been admitted) and return its result."""
        executor = self.executor()
        work = functools.partial(fn, *args, **kwargs)
        if isinstance(executor, ThreadPoolExecutor):
            return await asyncio.wrap_future(executor.submit(work))
        # A process pool may start a worker inside submit(), and the first one waits for the
        # fork server to start and import Pillow: hand the work over from a thread, so that
        # the event loop never waits on another process.
        submitting = asyncio.ensure_future(asyncio.to_thread(executor.submit, work))
        try:
            submitted = await asyncio.shield(submitting)
        except asyncio.CancelledError:
            submitting.add_done_callback(_cancel_submitted)  # the caller has gone: drop it
            raise
        return await asyncio.wrap_future(submitted)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Admit, then run `fn` in the pool; ServerBusy when too much is waiting."""
        with self.admitted():
            return await self.call(fn, *args, **kwargs)

    def close(self) -> None:
        """Stop the pool: queued work is cancelled; a process pool's children are ended by id."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # shutdown(wait=False) forgets the pool's processes while its manager thread may still
        # be replacing a worker that reached max_tasks_per_child (the thread then fails on
        # them): shut down waiting, in a thread, and end the children if that takes too long.
        stopper = threading.Thread(
            target=executor.shutdown, kwargs={"wait": True, "cancel_futures": True}, daemon=True
        )
        stopper.start()
        stopper.join(STOP_TIMEOUT_SECONDS)
        if not stopper.is_alive():
            return
        children: dict[int, multiprocessing.process.BaseProcess] = dict(
            getattr(executor, "_processes", None) or {}
        )
        for pid, child in children.items():
            if child.is_alive():
                log.warning("image worker %s did not stop in time; killing it", pid)
                child.kill()
        stopper.join(STOP_TIMEOUT_SECONDS)


def _cancel_submitted(submitting: asyncio.Future[Future[Any]]) -> None:
    """Cancel work handed to a pool after the caller that wanted it was cancelled."""
    if not submitting.cancelled() and submitting.exception() is None:
        submitting.result().cancel()
