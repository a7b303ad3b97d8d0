"""Export a whole collection as JSON, CSV or a ZIP of `collection.json` and the photos.

Every format is made as a stream of chunks while the items are read a page at a time, oldest
first, so memory stays the same whatever the collection's size. The ZIP is written in two
passes over the items: `collection.json` (deflated) first, then each original photo as it is
stored (not compressed again: photos are compressed already), read from the storage in
chunks. Only the list of photos to send (a key and a name per photo) and the archive's
central directory grow with the collection: some 200 bytes per item.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Final

from tortoise.expressions import Q

from gamecoll.models import Item
from gamecoll.services.clock import utcnow
from gamecoll.services.exchange_format import (
    COLLECTION_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    csv_columns,
    csv_row,
    export_row,
    photo_name,
)
from gamecoll.services.zipstream import ZipStream
from gamecoll.storage import Storage, StorageNotFound

log = logging.getLogger("gamecoll.exports")

EXPORT_FORMATS: Final = ("json", "csv", "zip")
MEDIA_TYPES: Final = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}
PAGE: Final = 500
FLUSH_BYTES: Final = 256 * 1024
"""Text formats are sent in pieces of about this size."""


async def user_items(user_id: uuid.UUID, *, page: int = PAGE) -> AsyncIterator[Item]:
    """Every item of the user, oldest first, read `page` rows at a time (keyset paging)."""
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        query = Item.filter(user_id=user_id)
        if after is not None:
            created, item_id = after
            query = query.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=item_id))
        rows = await query.order_by("created_at", "id").limit(page)
        for item in rows:
            yield item
        if len(rows) < page:
            return
        after = (rows[-1].created_at, rows[-1].id)


_Photo = tuple[str, str, int, datetime]
"""A photo to put in the archive: its storage key, its name there, its size, its time."""


def _header(exported_at: datetime) -> str:
    head = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": exported_at.isoformat(),
    }
    return json.dumps(head)[:-1] + ', "items": ['


class ExportService:
    """Stream a user's collection in one of the export formats."""

    def __init__(self, *, storage: Storage) -> None:
        self.storage = storage

    def chunks(self, user_id: uuid.UUID, file_format: str) -> AsyncIterator[bytes]:
        """The export in `file_format` ("json", "csv" or "zip"), as a stream of bytes."""
        if file_format == "csv":
            return self._csv(user_id)
        if file_format == "zip":
            return self._zip(user_id)
        return self._json(user_id)

    async def _json_text(
        self, user_id: uuid.UUID, photos: list[_Photo] | None = None
    ) -> AsyncIterator[str]:
        """collection.json, a piece at a time: one item per line (listing photos when asked)."""
        yield _header(utcnow())
        first = True
        async for item in user_items(user_id):
            name = photo_name(item)
            if photos is not None and name is not None and item.image_path is not None:
                photos.append((item.image_path, name, int(item.image_size or 0), item.updated_at))
            line = json.dumps(export_row(item), ensure_ascii=False)
            yield ("\n" if first else ",\n") + line
            first = False
        yield "\n]}\n"

    async def _json(self, user_id: uuid.UUID) -> AsyncIterator[bytes]:
        pending: list[str] = []
        size = 0
        async for piece in self._json_text(user_id):
            pending.append(piece)
            size += len(piece)
            if size >= FLUSH_BYTES:
                yield "".join(pending).encode()
                pending, size = [], 0
        yield "".join(pending).encode()

    async def _csv(self, user_id: uuid.UUID) -> AsyncIterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        out.write("\ufeff")  # so that spreadsheet programs read it as UTF-8
        writer.writerow(csv_columns())
        async for item in user_items(user_id):
            writer.writerow(csv_row(export_row(item)))
            if out.tell() >= FLUSH_BYTES:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode()

    async def _zip(self, user_id: uuid.UUID) -> AsyncIterator[bytes]:
        archive = ZipStream()
        photos: list[_Photo] = []  # the photos of the rows written, in their order
        with archive.open(COLLECTION_FILE, when=utcnow(), compress=True) as entry:
            async for piece in self._json_text(user_id, photos):
                entry.write(piece.encode())
                if archive.buffered >= FLUSH_BYTES:
                    yield archive.take()
        for key, name, size, when in photos:
            try:
                stored = await self.storage.open(key)
            except StorageNotFound:
                # Replaced or deleted since collection.json was written: its import says so.
                log.warning("export: %s is not in the storage any more; left out", key)
                continue
            with archive.open(name, when=when, compress=False, size=stored.size or size) as entry:
                async for chunk in stored.chunks():
                    entry.write(chunk)
                    if archive.buffered >= FLUSH_BYTES:
                        yield archive.take()
        yield archive.close()
