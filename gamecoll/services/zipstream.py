"""A ZIP archive written as a stream: each piece goes out as soon as it is made.

`zipfile` writes to a sink that cannot seek (it then puts each entry's sizes and CRC in a
data descriptor after the data), and the sink hands over what was written since the last
call: nothing but the central directory (one small record per entry) stays in memory.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from typing import IO, Final

ZIP_FLOOR: Final = datetime(1980, 1, 1)
"""The earliest time a ZIP entry can carry."""


class _Sink:
    """A write-only file: what zipfile writes waits here until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


class ZipStream:
    """Write entries one at a time; `take()` returns the archive's next bytes."""

    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", allowZip64=True)  # type: ignore[call-overload]

    def open(
        self, name: str, *, when: datetime, compress: bool, size: int | None = None
    ) -> IO[bytes]:
        """Start an entry; write its content to the returned file, then close it."""
        moment = max(when.replace(tzinfo=None), ZIP_FLOOR)
        info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        if size is not None:
            info.file_size = size  # lets zipfile pick ZIP64 headers for a big entry up front
        entry: IO[bytes] = self._zip.open(info, "w", force_zip64=size is None)
        return entry

    @property
    def buffered(self) -> int:
        """How many bytes wait to be taken."""
        return self._sink.size

    def take(self) -> bytes:
        """The bytes written since the last call."""
        return self._sink.take()

    def close(self) -> bytes:
        """Write the central directory; return the last bytes."""
        self._zip.close()
        return self._sink.take()
