"""The user's game collection: creating, changing and deleting items and their images.

Reading (one item, pages, neighbours) is in item_pages.py; the files' names, all-or-nothing
writes and removal are in item_files.py.

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
import uuid
from collections.abc import Mapping
from typing import Any, Final

from tortoise.exceptions import IntegrityError

from gamecoll.errors import Conflict, NotAuthenticated
from gamecoll.models import Item, User
from gamecoll.services import item_pages
from gamecoll.services.clock import utcnow
from gamecoll.services.detached import to_completion
from gamecoll.services.duplicates import Duplicates
from gamecoll.services.image_checks import decode_base64_image
from gamecoll.services.image_workers import ImageWorkers
from gamecoll.services.images import ProcessedImage
from gamecoll.services.item_files import (
    DISPLAY_SUFFIX,
    THUMB_2X_SUFFIX,
    ItemFiles,
    image_columns,
    keys_of,
)
from gamecoll.services.item_lists import ListParams
from gamecoll.services.item_pages import EVERYTHING, ItemPage, JsonPage
from gamecoll.services.item_rules import PAGE_DEFAULT, ItemFields, item_columns
from gamecoll.storage import Storage, StoredFile

log = logging.getLogger("gamecoll.items")

_SWAP_ATTEMPTS: Final = 5


def _same_image(item: Item) -> dict[str, Any]:
    """Filter for "the row still points at the image this request read"."""
    if item.image_path is None:
        return {"image_path__isnull": True}
    return {"image_path": item.image_path}


class ItemService:
    """Create, list, change and delete items and their images, for one user at a time."""

    def __init__(
        self,
        *,
        storage: Storage,
        images: ImageWorkers,
    ) -> None:
        self.storage = storage
        self.files = ItemFiles(storage)
        self.images = images
        self.duplicates = Duplicates()
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
        return await item_pages.get_item(user_id=user_id, item_id=item_id)

    async def page(
        self,
        *,
        user_id: uuid.UUID,
        params: ListParams = EVERYTHING,
        limit: int = PAGE_DEFAULT,
        cursor: str | None = None,
    ) -> ItemPage:
        """Return a page of the user's items in the list's order, in one query."""
        return await item_pages.item_page(
            user_id=user_id, params=params, limit=limit, cursor=cursor
        )

    async def page_json(
        self,
        *,
        user_id: uuid.UUID,
        params: ListParams = EVERYTHING,
        limit: int = PAGE_DEFAULT,
        cursor: str | None = None,
    ) -> JsonPage | None:
        """Return a page as the items' API JSON made by PostgreSQL (None: SQLite)."""
        return await item_pages.json_page(
            user_id=user_id, params=params, limit=limit, cursor=cursor
        )

    async def neighbours(
        self, *, item: Item, params: ListParams = EVERYTHING
    ) -> tuple[Item | None, Item | None]:
        """Return the items just before and just after `item` in the list's order."""
        return await item_pages.neighbours(item=item, params=params)

    async def platforms(self, *, user_id: uuid.UUID) -> list[str]:
        """Return the platforms of the user's items, most items first (one spelling each)."""
        return await item_pages.platforms(user_id=user_id)

    async def stats(self, *, user_id: uuid.UUID) -> dict[str, Any]:
        """Count the user's items by status, platform and completeness, and their purchases."""
        return await item_pages.stats(user_id=user_id)

    async def open_image(self, item: Item, *, rendition: str | None = None) -> StoredFile:
        """Open the item's image (or a rendition) for streaming; 404 when it has none."""
        return await self.files.open(item, rendition=rendition)

    async def read_image(self, item: Item) -> bytes:
        """Read the whole image (for the base64 answer)."""
        return await self.files.read(item)

    # -- writing ---------------------------------------------------------------------------------

    async def create(
        self,
        *,
        user_id: uuid.UUID,
        fields: ItemFields,
        image: bytes | None = None,
        allow_duplicate: bool = False,
    ) -> Item:
        """Create an item, with its image when one is given (files first, then the row).

        A photo the user already has is refused (409 `duplicate_photo`) unless allowed.
        """
        if image is not None and not allow_duplicate:
            await self.duplicates.refuse_known(user_id, image)
        processed = await self.process(image) if image is not None else None
        return await to_completion(self._insert(user_id, fields, processed))

    async def _insert(
        self, user_id: uuid.UUID, fields: ItemFields, processed: ProcessedImage | None
    ) -> Item:
        keys = await self.files.store(user_id, processed) if processed is not None else None
        now = utcnow()
        try:
            return await Item.create(
                id=uuid.uuid4(),
                user_id=user_id,
                **fields.columns(),
                created_at=now,
                updated_at=now,
                **image_columns(keys, processed),
            )
        except BaseException as exc:
            if keys is not None:
                await self.files.discard(keys.all())
            if isinstance(exc, IntegrityError):
                # The only reference is the owner: the account was deleted during the upload.
                gone = "Your account no longer exists; nothing was saved."
                raise NotAuthenticated(gone) from None
            raise

    async def update(self, *, item: Item, changes: Mapping[str, Any]) -> Item:
        """Change the fields of an item (cleaned by `clean_changes`), not its image."""
        if not changes:
            return item
        columns = item_columns(changes, current=item)
        for key, value in columns.items():
            setattr(item, key, value)
        item.updated_at = utcnow()
        await Item.filter(id=item.id, user_id=item.user_id).update(
            **columns, updated_at=item.updated_at
        )
        return item

    async def replace_image(
        self, *, user_id: uuid.UUID, item_id: uuid.UUID, data: bytes, allow_duplicate: bool = False
    ) -> Item:
        """Give an item a new image: new files, then the row, then the old files go.

        A photo another of the user's items has is refused (409 `duplicate_photo`) unless allowed.
        """
        if not allow_duplicate:
            await self.duplicates.refuse_known(user_id, data, except_item=item_id)
        processed = await self.process(data)
        return await to_completion(self._swap_image(user_id, item_id, processed))

    async def remove_image(self, *, user_id: uuid.UUID, item_id: uuid.UUID) -> Item:
        """Take an item's image away: the row first, then the files."""
        return await to_completion(self._swap_image(user_id, item_id, None))

    async def _swap_image(
        self, user_id: uuid.UUID, item_id: uuid.UUID, processed: ProcessedImage | None
    ) -> Item:
        keys = await self.files.store(user_id, processed) if processed is not None else None
        columns = image_columns(keys, processed)
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
                await self.files.discard(keys.all())
            raise
        await self.files.discard(keys_of(current))
        for key, value in columns.items():
            setattr(current, key, value)
        current.updated_at = now
        return current

    async def delete(self, *, user_id: uuid.UUID, item_id: uuid.UUID) -> None:
        """Delete an item: the row first, then its files."""
        await to_completion(self._delete(user_id, item_id))

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
        await self.files.discard(keys_of(current))

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
        await self.files.save_all(list(zip(columns.values(), contents, strict=True)))
        changed = await Item.filter(
            id=item.id, user_id=item.user_id, image_path=item.image_path
        ).update(**columns)
        if not changed:
            await self.files.discard(list(columns.values()))
            return False
        for column, key in columns.items():
            setattr(item, column, key)
        return True

    async def delete_user_files(self, user: User) -> None:
        """Remove every file of a deleted account (its rows are gone by cascade)."""
        await self.files.delete_user_files(user.id)
