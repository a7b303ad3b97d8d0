"""Image work in a few recycled worker processes, with a bound on memory and on waiting.

Decoding an image takes width x height x 4 bytes or so, and the C allocator rarely gives such
blocks back: a long-lived process keeps its peak. So every decode, orientation, re-encode and
rendition runs in a worker process, and:

- at most `workers` images are worked on at once (IMAGE_WORKERS for the instance, shared out
  between the server's WORKERS processes), and `queue_limit` more may wait; beyond that an
  upload gets 503 with `Retry-After`, as logins do;
- images run at once only while their decoded sizes add up to at most `max_decoded_bytes`
  (a single image may not exceed it at all): one 49-megapixel RGBA PNG runs alone, phone
  photos run side by side;
- each worker process is replaced after `tasks_per_worker` images (by default after each:
  a fork from the fork server costs about 40 ms of CPU, 7% of a 12 MP photo's work, and the
  whole memory of an image goes back to the system with its process), and gives free memory
  back after each image; the server process trims its heaps after each image too, and both
  have glibc map large blocks on their own (see `return_large_blocks`), so a peak never
  stays.

Workers start from a small fork server that has imported Pillow and this code (the
`forkserver` start method): starting or replacing one costs a fork, not a fresh interpreter,
and no worker inherits the server's memory, threads or sockets. The pool starts on the first
image and is stopped with the app; the header is read (and bombs refused) in a thread before
anything reaches a worker, so the event loop never decodes an image.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from gamecoll.errors import AppError, ServerBusy
from gamecoll.services.bounded import BoundedExecutor
from gamecoll.services.image_checks import ImageLimits, probe_image
from gamecoll.services.images import ProcessedImage, process_image, renditions_of_stored
from gamecoll.services.renditions import Renditions

log = logging.getLogger("gamecoll.images")

T = TypeVar("T")
START_METHOD: Final = "forkserver"
_PRELOAD: Final = [
    "gamecoll.services.image_checks",
    "gamecoll.services.images",
    "gamecoll.services.image_workers",
]
BUSY: Final = "Too many images are being processed; try again in a moment."
MMAP_THRESHOLD: Final = 256 * 1024
_M_MMAP_THRESHOLD: Final = -3  # mallopt parameter number in glibc's malloc.h


# -- in the worker process -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Refused:
    """A domain error raised in a worker, carried back whole (exceptions lose their fields)."""

    kind: type[AppError]
    detail: str
    fields: dict[str, str]


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def return_large_blocks() -> None:
    """Have glibc map every block over MMAP_THRESHOLD on its own, so that freeing returns it.

    By default glibc raises its threshold each time such a block is freed (up to 32 MiB), and
    later image-sized blocks (request bodies, encoded images, pixels) come from the heap,
    which it rarely gives back: the process keeps its peak. A fixed threshold stops that.
    """
    libc = _libc()
    with contextlib.suppress(AttributeError):
        if libc is not None:
            libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def _release_memory() -> None:
    """Give freed heap memory back to the system (glibc keeps it otherwise)."""
    libc = _libc()
    with contextlib.suppress(AttributeError):
        if libc is not None:
            libc.malloc_trim(0)


def _in_worker(fn: Callable[..., T], *args: Any) -> T | _Refused:
    """Run one task in a worker, returning domain errors as values."""
    try:
        return fn(*args)
    except AppError as exc:
        return _Refused(type(exc), exc.detail, dict(exc.fields))
    finally:
        _release_memory()


def _process(data: bytes, limits: ImageLimits) -> ProcessedImage:
    return process_image(
        data,
        max_bytes=limits.max_bytes,
        max_pixels=limits.max_pixels,
        max_decoded_bytes=limits.max_decoded_bytes,
        max_frames=limits.max_frames,
    )


def _process_keeping(data: bytes, limits: ImageLimits) -> ProcessedImage:
    return process_image(
        data,
        max_bytes=limits.max_bytes,
        max_pixels=limits.max_pixels,
        max_decoded_bytes=limits.max_decoded_bytes,
        max_frames=limits.max_frames,
        keep_stored_form=True,
    )


# -- in the server process -----------------------------------------------------------------------


class DecodeBudget:
    """First come, first served: at most `slots` images, and `total` decoded bytes, at once."""

    def __init__(self, *, total: int, slots: int) -> None:
        self.total = total
        self.slots = slots
        self.used = 0
        self.running = 0
        self._waiting: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def _fits(self, amount: int) -> bool:
        return self.running < self.slots and self.used + amount <= self.total

    def _take(self, amount: int) -> None:
        self.used += amount
        self.running += 1

    def _wake(self) -> None:
        while self._waiting and self._fits(self._waiting[0][0]):
            amount, waiter = self._waiting.popleft()
            if not waiter.done():
                self._take(amount)
                waiter.set_result(None)

    @contextlib.asynccontextmanager
    async def hold(self, amount: int) -> AsyncIterator[None]:
        """Wait for room for `amount` decoded bytes (capped at the total), then hold it."""
        amount = min(amount, self.total)
        if not self._waiting and self._fits(amount):
            self._take(amount)
        else:
            entry = (amount, asyncio.get_running_loop().create_future())
            self._waiting.append(entry)
            try:
                await entry[1]
            except asyncio.CancelledError:
                if entry[1].done() and not entry[1].cancelled():
                    self._release(amount)  # granted just as the wait was cancelled
                else:
                    with contextlib.suppress(ValueError):
                        self._waiting.remove(entry)
                    self._wake()
                raise
        try:
            yield
        finally:
            self._release(amount)

    def _release(self, amount: int) -> None:
        self.used -= amount
        self.running -= 1
        self._wake()


class ImageWorkers:
    """Check and process images in worker processes, a bounded number at once."""

    def __init__(
        self,
        *,
        limits: ImageLimits,
        workers: int,
        queue_limit: int,
        tasks_per_worker: int,
    ) -> None:
        self.limits = limits
        self.tasks_per_worker = max(1, tasks_per_worker)
        self._pool = BoundedExecutor(
            workers=workers, queue_limit=queue_limit, busy_message=BUSY, factory=self._start
        )
        self._budget = DecodeBudget(total=limits.max_decoded_bytes, slots=self._pool.workers)

    @property
    def workers(self) -> int:
        """How many images this server process works on at once."""
        return self._pool.workers

    def _start(self, workers: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context(START_METHOD)
        context.set_forkserver_preload(_PRELOAD)
        current = multiprocessing.current_process()
        if current.daemon:
            # Sanic's worker processes are daemonic, and multiprocessing refuses children to
            # those (they would be orphaned if killed). The pool's children are stopped by id
            # when the app stops, and exit by themselves when their queue's pipe closes.
            current._config["daemon"] = False  # type: ignore[attr-defined]
        return_large_blocks()  # this process holds bodies and encoded images too
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            max_tasks_per_child=self.tasks_per_worker,
            initializer=return_large_blocks,
        )

    async def process(self, data: bytes) -> ProcessedImage:
        """Check an upload, then clean it and make its renditions in a worker."""
        return await self._run(data, _process)

    async def process_keeping(self, data: bytes) -> ProcessedImage:
        """Like `process`, but keep a file already in the stored form byte for byte (imports)."""
        return await self._run(data, _process_keeping)

    async def renditions(self, data: bytes) -> Renditions:
        """Make the renditions of a stored image in a worker (for backfills)."""
        return await self._run(data, renditions_of_stored)

    async def _run(self, data: bytes, fn: Callable[[bytes, ImageLimits], T]) -> T:
        with self._pool.admitted():
            header = await asyncio.to_thread(probe_image, data, self.limits)
            async with self._budget.hold(header.decoded_bytes):
                try:
                    result: T | _Refused = await self._pool.call(_in_worker, fn, data, self.limits)
                except BrokenProcessPool:
                    # A worker died (killed for memory, say): start a fresh pool next time.
                    log.error("an image worker died; restarting the image workers")
                    await asyncio.to_thread(self._pool.close)
                    raise ServerBusy("The image could not be processed; try again.") from None
            await asyncio.to_thread(_release_memory)  # the body and its copies, in any arena
        if isinstance(result, _Refused):
            raise result.kind(result.detail, fields=result.fields)
        return result

    def close(self) -> None:
        """Stop the worker processes (by id; killed if they do not stop in time)."""
        self._pool.close()
