"""The user's game collection: items, their photos in the storage, and cursor paging.

Order of writes, so that a crash or a failure can leave only files without a row (which
`python -m gamecoll storage check --fix` removes), never a row without its files:

- create: write the image and its thumbnail, then insert the row; if the insert fails, the
  files are removed;
- replace an image: write the new files, point the row at them, then remove the old files;
- delete (an item or its image): change the row first, then remove the files.

A row is changed with a compare-and-swap on its image path, so that two requests racing on
the same item never lose track of a file. Each write sequence runs in its own task that a
client hanging up cannot cancel half-way. Decoding and thumbnailing run in worker threads,
a few at a time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import secrets
import unicodedata
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from tortoise.expressions import Q

from gamecoll.errors import (
    Conflict,
    InsufficientStorage,
    NotFound,
    ServerBusy,
    StorageUnavailableError,
    ValidationFailed,
)
from gamecoll.models import Item, User
from gamecoll.services.clock import utcnow
from gamecoll.services.images import ProcessedImage, decode_base64_image, process_image
from gamecoll.storage import Storage, StorageError, StorageFull, StorageNotFound, StoredFile

log = logging.getLogger("gamecoll.items")

NAME_MAX: Final = 200
PLATFORM_MAX: Final = 100
NOTES_MAX: Final = 5000
METADATA_MAX_BYTES: Final = 16 * 1024
METADATA_MAX_DEPTH: Final = 32
QUERY_MAX: Final = 200
PAGE_DEFAULT: Final = 50
PAGE_MAX: Final = 100
CURSOR_MAX: Final = 200
THUMB_SIZE: Final = 400
VERSION_LENGTH: Final = 16
"""Hex digits of the image's SHA-256 that make its version in URLs (`?v=`)."""
THUMB_SUFFIX: Final = ".thumb.webp"
_SWAP_ATTEMPTS: Final = 5
_NOTES_CONTROLS_ALLOWED: Final = frozenset("\t\n\r")
ITEM_NOT_FOUND: Final = "No such item in your collection."

T = TypeVar("T")

# Write sequences that outlived their request (the client hung up): kept until they finish.
_DETACHED: set[asyncio.Task[Any]] = set()


# -- field rules -------------------------------------------------------------------------------


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", fields={field: message})


def _check_text(value: str, field: str, *, allowed_controls: frozenset[str] = frozenset()) -> None:
    """Refuse control characters (NUL included) and lone surrogates, which no database stores."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in allowed_controls:
            if char == "\x00":
                raise _fail(field, "Must not contain NUL characters.")
            raise _fail(field, "Must not contain control characters.")
        if "\ud800" <= char <= "\udfff":
            raise _fail(field, "Must be valid Unicode text.")


def clean_name(value: object, field: str = "name") -> str:
    """Return a trimmed name of 1 to 200 characters, or raise 422."""
    if not isinstance(value, str):
        raise _fail(field, "Must be a string.")
    name = value.strip()
    if not name:
        raise _fail(field, "Enter a name.")
    if len(name) > NAME_MAX:
        raise _fail(field, f"Use at most {NAME_MAX} characters.")
    _check_text(name, field)
    return name


def clean_platform(value: object, field: str = "platform") -> str:
    """Return a trimmed platform of up to 100 characters (empty for none), or raise 422."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _fail(field, "Must be a string.")
    platform = value.strip()
    if len(platform) > PLATFORM_MAX:
        raise _fail(field, f"Use at most {PLATFORM_MAX} characters.")
    _check_text(platform, field)
    return platform


def clean_notes(value: object, field: str = "notes") -> str:
    """Return trimmed notes of up to 5000 characters (tabs and line breaks allowed)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _fail(field, "Must be a string.")
    notes = value.strip()
    if len(notes) > NOTES_MAX:
        raise _fail(field, f"Use at most {NOTES_MAX} characters.")
    _check_text(notes, field, allowed_controls=_NOTES_CONTROLS_ALLOWED)
    return notes


def clean_metadata(value: object, field: str = "metadata") -> dict[str, Any]:
    """Return a JSON object of at most 16 KiB (compact UTF-8), or raise 422.

    Refused, because no database stores them faithfully: NUL and lone surrogates in strings,
    NaN and infinities, nesting deeper than 32 levels.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(field, "Must be a JSON object.")
    _check_json(value, field, 0)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > METADATA_MAX_BYTES:
        raise _fail(
            field,
            f"Is {size:,} bytes as compact JSON; the limit is {METADATA_MAX_BYTES:,} bytes.",
        )
    return value


def _check_json(value: object, field: str, depth: int) -> None:
    if isinstance(value, dict | list) and depth >= METADATA_MAX_DEPTH:
        raise _fail(field, f"Must not be nested deeper than {METADATA_MAX_DEPTH} levels.")
    if isinstance(value, str):
        _check_text(value, field, allowed_controls=_NOTES_CONTROLS_ALLOWED)
    elif isinstance(value, bool) or value is None or isinstance(value, int):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(field, "Numbers must be finite (no NaN or Infinity).")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(field, "Keys must be strings.")
            _check_text(key, field)
            _check_json(item, field, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, field, depth + 1)
    else:
        raise _fail(field, "Must contain only JSON values.")


def clean_limit(value: str | None) -> int:
    """Parse the page size (1 to 100; 50 when absent)."""
    if value is None or value.strip() == "":
        return PAGE_DEFAULT
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= PAGE_MAX:
        raise _fail("limit", f"Must be a whole number from 1 to {PAGE_MAX}.")
    return int(text)


def clean_filter(value: str | None, field: str, maximum: int) -> str | None:
    """Return a trimmed search or filter value (None when empty), or raise 422."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > maximum:
        raise _fail(field, f"Use at most {maximum} characters.")
    _check_text(text, field)
    return text


@dataclass(frozen=True, slots=True)
class ItemFields:
    """The cleaned text fields of an item."""

    name: str
    platform: str
    notes: str
    metadata: dict[str, Any]

    @classmethod
    def clean(cls, data: Mapping[str, Any]) -> ItemFields:
        """Clean the fields of a new item (only `name` is required)."""
        return cls(
            name=clean_name(data.get("name")),
            platform=clean_platform(data.get("platform")),
            notes=clean_notes(data.get("notes")),
            metadata=clean_metadata(data.get("metadata")),
        )


_CLEANERS = {
    "name": clean_name,
    "platform": clean_platform,
    "notes": clean_notes,
    "metadata": clean_metadata,
}


def clean_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Clean the fields a PATCH sends; null clears platform, notes and metadata."""
    return {key: clean(data[key]) for key, clean in _CLEANERS.items() if key in data}


# -- cursors -----------------------------------------------------------------------------------


def encode_cursor(item: Item) -> str:
    """Return an opaque cursor just after `item` in newest-first order."""
    raw = json.dumps([item.created_at.isoformat(), str(item.id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Read a cursor made by `encode_cursor`; 422 for anything else."""
    bad = _fail("cursor", "The cursor is not valid; start again from the first page.")
    text = cursor.strip()
    if not text or len(text) > CURSOR_MAX:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        created_text, id_text = json.loads(raw)
        created = datetime.fromisoformat(created_text)
        item_id = uuid.UUID(id_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise bad from None
    if created.tzinfo is None:
        raise bad
    return created, item_id


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of items, newest first, and the cursor of the next page (None: last page)."""

    items: list[Item]
    next_cursor: str | None


def image_version(item: Item) -> str | None:
    """Return the image's version for URLs (a SHA-256 prefix), None without an image."""
    return item.image_sha256[:VERSION_LENGTH] if item.image_sha256 else None


@dataclass(frozen=True, slots=True)
class _Keys:
    image: str
    thumbnail: str


def _keys_of(item: Item) -> list[str]:
    return [key for key in (item.image_path, item.thumb_path) if key]


def _image_columns(keys: _Keys | None, image: ProcessedImage | None) -> dict[str, Any]:
    if keys is None or image is None:
        return {
            "image_path": None,
            "thumb_path": None,
            "image_content_type": None,
            "image_width": None,
            "image_height": None,
            "image_size": None,
            "image_sha256": None,
        }
    return {
        "image_path": keys.image,
        "thumb_path": keys.thumbnail,
        "image_content_type": image.content_type,
        "image_width": image.width,
        "image_height": image.height,
        "image_size": image.size,
        "image_sha256": image.sha256,
    }


def _same_image(item: Item) -> dict[str, Any]:
    """Filter for "the row still points at the image this request read"."""
    if item.image_path is None:
        return {"image_path__isnull": True}
    return {"image_path": item.image_path}


def storage_error(
    exc: StorageError, *, writing: bool
) -> InsufficientStorage | StorageUnavailableError:
    """Translate a storage failure into the answer a client sees (507 full, 503 otherwise)."""
    if isinstance(exc, StorageFull):
        return InsufficientStorage(
            "The server has no room left to store images; nothing was saved. "
            "Try again later or ask the administrator to free some space."
        )
    if writing:
        return StorageUnavailableError(
            "The image storage is unavailable right now; nothing was saved. Try again shortly."
        )
    return StorageUnavailableError()


async def _to_completion(work: Coroutine[Any, Any, T]) -> T:
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


class ItemService:
    """Create, list, change and delete items and their images, for one user at a time."""

    def __init__(
        self,
        *,
        storage: Storage,
        max_image_bytes: int,
        max_image_pixels: int,
        workers: int = 2,
        queue_limit: int = 32,
    ) -> None:
        self.storage = storage
        self.max_image_bytes = max_image_bytes
        self.max_image_pixels = max_image_pixels
        self._workers = max(1, workers)
        self._queue_limit = queue_limit
        self._slots: asyncio.Semaphore | None = None
        self._pending = 0

    # -- images off the event loop ---------------------------------------------------------------

    async def decode_base64(self, value: str) -> bytes:
        """Decode a base64 or `data:` URL upload in a worker thread (422/413 when bad)."""
        return await asyncio.to_thread(decode_base64_image, value, max_bytes=self.max_image_bytes)

    async def process(self, data: bytes) -> ProcessedImage:
        """Check, clean and thumbnail an upload in a worker thread, a few at a time."""
        if self._pending >= self._workers + self._queue_limit:
            raise ServerBusy("Too many uploads are being processed; try again in a moment.")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._workers)
        self._pending += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(
                    process_image,
                    data,
                    max_bytes=self.max_image_bytes,
                    max_pixels=self.max_image_pixels,
                    thumb_size=THUMB_SIZE,
                )
        finally:
            self._pending -= 1

    # -- reading ---------------------------------------------------------------------------------

    async def get(self, *, user_id: uuid.UUID, item_id: uuid.UUID) -> Item:
        """Return one of the user's items; 404 for anyone else's."""
        item = await Item.get_or_none(id=item_id, user_id=user_id)
        if item is None:
            raise NotFound(ITEM_NOT_FOUND)
        return item

    async def page(
        self,
        *,
        user_id: uuid.UUID,
        limit: int = PAGE_DEFAULT,
        cursor: str | None = None,
        q: str | None = None,
        platform: str | None = None,
    ) -> ItemPage:
        """Return a page of the user's items, newest first, in one query."""
        query = Item.filter(user_id=user_id)
        if q:
            query = query.filter(Q(name__icontains=q) | Q(platform__icontains=q))
        if platform:
            query = query.filter(platform__iexact=platform)
        if cursor:
            created, last_id = decode_cursor(cursor)
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
        rows = list(await query.order_by("-created_at", "-id").limit(limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        return ItemPage(items=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)

    async def open_image(self, item: Item, *, thumbnail: bool = False) -> StoredFile:
        """Open the item's image (or thumbnail) for streaming; 404 when it has none."""
        key = item.thumb_path if thumbnail else item.image_path
        if key is None:
            raise NotFound("This item has no image.")
        try:
            return await self.storage.open(key)
        except StorageNotFound:
            log.error("item %s refers to %s, which is not in the storage", item.id, key)
            raise NotFound("The image file is missing from the storage.") from None
        except StorageError as exc:
            raise storage_error(exc, writing=False) from exc

    async def read_image(self, item: Item) -> bytes:
        """Read the whole image (for the base64 answer)."""
        stored = await self.open_image(item)
        parts: list[bytes] = []
        try:
            async for chunk in stored.chunks():
                parts.append(chunk)
        except StorageNotFound:
            raise NotFound("The image file is missing from the storage.") from None
        except StorageError as exc:
            raise storage_error(exc, writing=False) from exc
        return b"".join(parts)

    # -- writing ---------------------------------------------------------------------------------

    async def create(
        self, *, user_id: uuid.UUID, fields: ItemFields, image: bytes | None = None
    ) -> Item:
        """Create an item, with its image when one is given (files first, then the row)."""
        processed = await self.process(image) if image is not None else None
        return await _to_completion(self._insert(user_id, fields, processed))

    async def _insert(
        self, user_id: uuid.UUID, fields: ItemFields, processed: ProcessedImage | None
    ) -> Item:
        keys = await self._store(user_id, processed) if processed is not None else None
        now = utcnow()
        try:
            return await Item.create(
                id=uuid.uuid4(),
                user_id=user_id,
                name=fields.name,
                platform=fields.platform,
                notes=fields.notes,
                metadata=fields.metadata,
                created_at=now,
                updated_at=now,
                **_image_columns(keys, processed),
            )
        except BaseException:
            if keys is not None:
                await self._discard([keys.image, keys.thumbnail])
            raise

    async def update(self, *, item: Item, changes: Mapping[str, Any]) -> Item:
        """Change the text fields of an item (cleaned by `clean_changes`), not its image."""
        if not changes:
            return item
        for key, value in changes.items():
            setattr(item, key, value)
        item.updated_at = utcnow()
        await Item.filter(id=item.id, user_id=item.user_id).update(
            **dict(changes), updated_at=item.updated_at
        )
        return item

    async def replace_image(self, *, user_id: uuid.UUID, item_id: uuid.UUID, data: bytes) -> Item:
        """Give an item a new image: new files, then the row, then the old files go."""
        processed = await self.process(data)
        return await _to_completion(self._swap_image(user_id, item_id, processed))

    async def remove_image(self, *, user_id: uuid.UUID, item_id: uuid.UUID) -> Item:
        """Take an item's image away: the row first, then the files."""
        return await _to_completion(self._swap_image(user_id, item_id, None))

    async def _swap_image(
        self, user_id: uuid.UUID, item_id: uuid.UUID, processed: ProcessedImage | None
    ) -> Item:
        keys = await self._store(user_id, processed) if processed is not None else None
        columns = _image_columns(keys, processed)
        try:
            for _ in range(_SWAP_ATTEMPTS):
                current = await self.get(user_id=user_id, item_id=item_id)
                if keys is None and current.image_path is None:
                    return current  # nothing to remove
                now = utcnow()
                changed = await Item.filter(
                    id=item_id, user_id=user_id, **_same_image(current)
                ).update(**columns, updated_at=now)
                if changed:
                    break
            else:
                raise Conflict("The image was being changed by another request; try again.")
        except BaseException:
            if keys is not None:
                await self._discard([keys.image, keys.thumbnail])
            raise
        await self._discard(_keys_of(current))
        for key, value in columns.items():
            setattr(current, key, value)
        current.updated_at = now
        return current

    async def delete(self, *, user_id: uuid.UUID, item_id: uuid.UUID) -> None:
        """Delete an item: the row first, then its files."""
        await _to_completion(self._delete(user_id, item_id))

    async def _delete(self, user_id: uuid.UUID, item_id: uuid.UUID) -> None:
        for _ in range(_SWAP_ATTEMPTS):
            current = await self.get(user_id=user_id, item_id=item_id)
            deleted = await Item.filter(
                id=item_id, user_id=user_id, **_same_image(current)
            ).delete()
            if deleted:
                break
        else:
            raise Conflict("The item was being changed by another request; try again.")
        await self._discard(_keys_of(current))

    async def delete_user_files(self, user: User) -> None:
        """Remove every file of a deleted account (its rows are gone by cascade)."""
        try:
            await self.storage.delete_prefix(f"{user.id}/")
        except StorageError as exc:
            log.warning(
                "could not remove the files of deleted user %s (%s); "
                "`python -m gamecoll storage check --fix` will",
                user.id,
                exc,
            )

    # -- files -----------------------------------------------------------------------------------

    async def _store(self, user_id: uuid.UUID, image: ProcessedImage) -> _Keys:
        """Write the image and its thumbnail under names the server makes; all or nothing."""
        token = secrets.token_hex(16)
        keys = _Keys(
            image=f"{user_id}/{token}.{image.extension}",
            thumbnail=f"{user_id}/{token}{THUMB_SUFFIX}",
        )
        try:
            await self.storage.save(keys.image, image.content)
            try:
                await self.storage.save(keys.thumbnail, image.thumbnail)
            except BaseException:
                await self._discard([keys.image])
                raise
        except StorageError as exc:
            raise storage_error(exc, writing=True) from exc
        return keys

    async def _discard(self, keys: list[str]) -> None:
        """Remove files no row refers to; a failure leaves them to the storage check."""
        for key in keys:
            try:
                await self.storage.delete(key)
            except (StorageError, ValueError) as exc:
                log.warning(
                    "could not remove %s (%s); `python -m gamecoll storage check --fix` will",
                    key,
                    exc,
                )
