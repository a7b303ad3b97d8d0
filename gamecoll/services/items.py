"""The user's game collection: items, their photos in the storage, and cursor paging.

Order of writes, so that a crash or a failure can leave only files without a row (which
`python -m gamecoll storage check --fix` removes), never a row without its files:

- create: write the image and its thumbnail, then insert the row; if the insert fails, the
  files are removed;
- replace an image: write the new files, point the row at them, then remove the old files;
- delete (an item or its image): change the row first, then remove the files.

A row is changed with a compare-and-swap on its image path, so that two requests racing on
the same item never lose track of a file. Each write sequence runs in its own task that a
client hanging up cannot cancel half-way. Decoding and renditions run in worker processes,
a few at a time (see `gamecoll/services/image_workers.py`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gamecoll.errors import Conflict, NotAuthenticated, NotFound
from gamecoll.models import Item, User
from gamecoll.models.fixed_sql import FixedSelect, db_value
from gamecoll.services.clock import utcnow
from gamecoll.services.image_checks import decode_base64_image
from gamecoll.services.image_workers import ImageWorkers
from gamecoll.services.images import ProcessedImage
from gamecoll.services.item_json import ITEM_JSON_POSTGRES
from gamecoll.services.item_rules import (
    PAGE_DEFAULT,
    ItemFields,
    decode_cursor,
    encode_cursor,
)
from gamecoll.storage import (
    Storage,
    StorageError,
    StorageFull,
    StorageNotFound,
    StorageUnavailable,
    StoredFile,
)

log = logging.getLogger("gamecoll.items")

THUMB_SUFFIX: Final = ".thumb.webp"
THUMB_2X_SUFFIX: Final = ".thumb2x.webp"
DISPLAY_SUFFIX: Final = ".display.webp"
RENDITION_COLUMNS: Final = {
    "thumbnail": "thumb_path",
    "thumbnail_2x": "thumb2x_path",
    "display": "display_path",
}
"""Each picture an item may serve besides its image, and the column holding its key."""
_SWAP_ATTEMPTS: Final = 5
ITEM_NOT_FOUND: Final = "No such item in your collection."

T = TypeVar("T")

# The gallery's and the image routes' reads, written once (see gamecoll/models/fixed_sql.py);
# searches and platform filters go through the query builder.
_ONE_ITEM = FixedSelect('SELECT {i} FROM "items" i WHERE i."id" = $1 AND i."user_id" = $2', i=Item)


@dataclass(frozen=True, slots=True)
class _PageReads:
    """The first and the following pages of a user's items, newest first."""

    first: FixedSelect
    after: FixedSelect

    @classmethod
    def selecting(cls, select_list: str) -> _PageReads:
        """Write both statements around a SELECT list over the `items` row aliased `i`."""
        where = ' FROM "items" i WHERE i."user_id" = $1 '
        cursor = 'AND (i."created_at" < $2 OR (i."created_at" = $2 AND i."id" < $3)) '
        order = 'ORDER BY i."created_at" DESC, i."id" DESC LIMIT '
        head = "SELECT " + select_list + where
        return cls(
            first=FixedSelect(head + order + "$2", i=Item),
            after=FixedSelect(head + cursor + order + "$4", i=Item),
        )

    async def rows(
        self, *, user_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[Sequence[Mapping[str, Any]], bool]:
        """Return up to `limit` rows after the cursor, and whether more follow."""
        owner = db_value(Item, "user_id", user_id)
        if cursor:
            created, last_id = decode_cursor(cursor)
            rows = await self.after.rows(
                owner,
                db_value(Item, "created_at", created),
                db_value(Item, "id", last_id),
                limit + 1,
            )
        else:
            rows = await self.first.rows(owner, limit + 1)
        return rows[:limit], len(rows) > limit


_PAGE = _PageReads.selecting("{i}")
_PAGE_JSON = _PageReads.selecting(
    ITEM_JSON_POSTGRES + ' AS item_json, i."created_at" AS created_at, i."id" AS id'
)

# Write sequences that outlived their request (the client hung up): kept until they finish.
_DETACHED: set[asyncio.Task[Any]] = set()


@dataclass(frozen=True, slots=True)
class JsonPage:
    """One page of items as their API JSON text, and the cursor of the next page."""

    items: list[str]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of items, newest first, and the cursor of the next page (None: last page)."""

    items: list[Item]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class _Keys:
    image: str
    thumbnail: str
    thumbnail_2x: str
    display: str

    @classmethod
    def new(cls, user_id: uuid.UUID, extension: str) -> _Keys:
        """Names the server makes for a new image and its renditions."""
        stem = f"{user_id}/{secrets.token_hex(16)}"
        return cls(
            image=f"{stem}.{extension}",
            thumbnail=stem + THUMB_SUFFIX,
            thumbnail_2x=stem + THUMB_2X_SUFFIX,
            display=stem + DISPLAY_SUFFIX,
        )

    def all(self) -> list[str]:
        """Every key, the image first."""
        return [self.image, self.thumbnail, self.thumbnail_2x, self.display]


def _keys_of(item: Item) -> list[str]:
    paths = (item.image_path, item.thumb_path, item.thumb2x_path, item.display_path)
    return [key for key in paths if key]


def _image_columns(keys: _Keys | None, image: ProcessedImage | None) -> dict[str, Any]:
    if keys is None or image is None:
        return {
            "image_path": None,
            "thumb_path": None,
            "thumb2x_path": None,
            "display_path": None,
            "image_content_type": None,
            "image_width": None,
            "image_height": None,
            "image_size": None,
            "image_sha256": None,
        }
    return {
        "image_path": keys.image,
        "thumb_path": keys.thumbnail,
        "thumb2x_path": keys.thumbnail_2x,
        "display_path": keys.display,
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


def nothing_saved(exc: StorageError) -> StorageError:
    """The same kind of failure, telling the user that the write left nothing behind."""
    if isinstance(exc, StorageFull):
        return StorageFull(
            "The server has no room left to store images; nothing was saved. "
            "Try again later or ask the administrator to free some space."
        )
    return StorageUnavailable(
        "The image storage is unavailable right now; nothing was saved. Try again shortly."
    )


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
        images: ImageWorkers,
    ) -> None:
        self.storage = storage
        self.images = images
        self.max_image_bytes = images.limits.max_bytes

    # -- images off the event loop ---------------------------------------------------------------

    async def decode_base64(self, value: str) -> bytes:
        """Decode a base64 or `data:` URL upload in a worker thread (422/413 when bad)."""
        return await asyncio.to_thread(decode_base64_image, value, max_bytes=self.max_image_bytes)

    async def process(self, data: bytes) -> ProcessedImage:
        """Check, clean and make the renditions of an upload in a worker process."""
        return await self.images.process(data)

    # -- reading ---------------------------------------------------------------------------------

    async def get(self, *, user_id: uuid.UUID, item_id: uuid.UUID) -> Item:
        """Return one of the user's items; 404 for anyone else's."""
        rows = await _ONE_ITEM.rows(
            db_value(Item, "id", item_id), db_value(Item, "user_id", user_id)
        )
        if not rows:
            raise NotFound(ITEM_NOT_FOUND)
        return _ONE_ITEM.build(Item, "i", rows[0])

    @staticmethod
    def _filtered(*, user_id: uuid.UUID, q: str | None, platform: str | None) -> QuerySet[Item]:
        """The user's items matching the grid's search and platform filter."""
        query = Item.filter(user_id=user_id)
        if q:
            query = query.filter(Q(name__icontains=q) | Q(platform__icontains=q))
        if platform:
            query = query.filter(platform__iexact=platform)
        return query

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
        if not q and not platform:
            rows, more = await _PAGE.rows(user_id=user_id, cursor=cursor, limit=limit)
            items = [_PAGE.first.build(Item, "i", row) for row in rows]
        else:
            query = self._filtered(user_id=user_id, q=q, platform=platform)
            if cursor:
                created, last_id = decode_cursor(cursor)
                query = query.filter(
                    Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id)
                )
            items = list(await query.order_by("-created_at", "-id").limit(limit + 1))
            more = len(items) > limit
            items = items[:limit]
        last = items[-1] if more and items else None
        return ItemPage(
            items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None
        )

    async def page_json(
        self, *, user_id: uuid.UUID, limit: int = PAGE_DEFAULT, cursor: str | None = None
    ) -> JsonPage | None:
        """Return an unfiltered page as the items' API JSON made by PostgreSQL (None: SQLite)."""
        if Item._meta.db.capabilities.dialect != "postgres":
            return None
        rows, more = await _PAGE_JSON.rows(user_id=user_id, cursor=cursor, limit=limit)
        last = rows[-1] if more and rows else None
        return JsonPage(
            items=[row["item_json"] for row in rows],
            next_cursor=encode_cursor(last["created_at"], last["id"]) if last else None,
        )

    async def neighbours(
        self, *, item: Item, q: str | None = None, platform: str | None = None
    ) -> tuple[Item | None, Item | None]:
        """Return the items just newer and just older than `item` in the list's order."""
        matching = self._filtered(user_id=item.user_id, q=q, platform=platform)
        at, key = item.created_at, item.id
        newer = (
            await matching.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=key))
            .order_by("created_at", "id")
            .first()
        )
        older = (
            await matching.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=key))
            .order_by("-created_at", "-id")
            .first()
        )
        return newer, older

    async def open_image(self, item: Item, *, rendition: str | None = None) -> StoredFile:
        """Open the item's image (or a rendition) for streaming; 404 when it has none."""
        key = getattr(item, RENDITION_COLUMNS[rendition]) if rendition else item.image_path
        if key is None:
            if item.image_path is None:
                raise NotFound("This item has no image.")
            raise NotFound("This rendition of the image has not been made yet.")
        try:
            return await self.storage.open(key)
        except StorageNotFound:
            log.error("item %s refers to %s, which is not in the storage", item.id, key)
            raise StorageNotFound("The image file is missing from the storage.") from None

    async def read_image(self, item: Item) -> bytes:
        """Read the whole image (for the base64 answer)."""
        stored = await self.open_image(item)
        return b"".join([chunk async for chunk in stored.chunks()])

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
        except BaseException as exc:
            if keys is not None:
                await self._discard(keys.all())
            if isinstance(exc, IntegrityError):
                # The only reference is the owner: the account was deleted during the upload.
                gone = "Your account no longer exists; nothing was saved."
                raise NotAuthenticated(gone) from None
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
                await self._discard(keys.all())
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

    async def add_renditions(self, item: Item) -> bool:
        """Make and store an image's missing renditions; False if its image changed meanwhile.

        The names follow the image's (`<user id>/<token>` and a suffix), so writing them again
        after an interrupted run replaces the same files.
        """
        if item.image_path is None:
            return False
        data = await self.read_image(item)
        made = await self.images.renditions(data)
        stem = item.image_path.rsplit(".", 1)[0]
        columns = {"thumb2x_path": stem + THUMB_2X_SUFFIX, "display_path": stem + DISPLAY_SUFFIX}
        contents = (made.thumbnail_2x, made.display)
        await self._save_all(list(zip(columns.values(), contents, strict=True)))
        changed = await Item.filter(
            id=item.id, user_id=item.user_id, image_path=item.image_path
        ).update(**columns)
        if not changed:
            await self._discard(list(columns.values()))
            return False
        for column, key in columns.items():
            setattr(item, column, key)
        return True

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
        """Write the image and its renditions under names the server makes; all or nothing."""
        keys = _Keys.new(user_id, image.extension)
        contents = (image.content, image.thumbnail, image.thumbnail_2x, image.display)
        await self._save_all(list(zip(keys.all(), contents, strict=True)))
        return keys

    async def _save_all(self, files: list[tuple[str, bytes]]) -> None:
        """Write files one after the other; on any failure remove those written."""
        written: list[str] = []
        try:
            for key, content in files:
                await self.storage.save(key, content)
                written.append(key)
        except BaseException as exc:
            await self._discard(written)
            if isinstance(exc, StorageError):
                raise nothing_saved(exc) from exc
            raise

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
