"""Write a streamed request body to a temporary file as it arrives, within a limit."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from sanic import Request
from sanic.exceptions import PayloadTooLarge as SanicPayloadTooLarge

from gamecoll.http.limits import too_large

PREFIX = "gamecoll-upload-"


def temporary_file(data: bytes = b"") -> tuple[Path, int]:
    """A new private temporary file holding `data` (for bodies already read)."""
    handle, name = tempfile.mkstemp(prefix=PREFIX)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return Path(name), len(data)


async def spool_body(request: Request, limit: int) -> tuple[Path, int]:
    """Write the body of a `stream=True` route to a temporary file; 413 over `limit` bytes.

    The caller owns the file (and removes it); on any failure here it is removed.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    stream = request.stream
    assert stream is not None
    stream.request_max_size = limit  # chunked bodies stop at the limit too
    handle, name = tempfile.mkstemp(prefix=PREFIX)
    path, size = Path(name), 0
    try:
        with os.fdopen(handle, "wb") as out:
            while True:
                try:
                    chunk = await stream.read()  # type: ignore[attr-defined]
                except SanicPayloadTooLarge:
                    raise too_large(None, limit) from None
                if chunk is None:
                    break
                size += len(chunk)
                if size > limit:
                    raise too_large(None, limit)
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return path, size
