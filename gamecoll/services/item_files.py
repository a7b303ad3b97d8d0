"""The files of an item in the storage: their names, writing them all or none, removing them.

An image is stored as four files under `<user id>/<random token>`: the cleaned image and
its renditions (see renditions.py). A failed write removes what it wrote and says that
nothing was saved; a file that cannot be removed is left to `python -m gamecoll storage check
--fix`. Storage errors go up as they are; gamecoll/http/errors.py answers them.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Final

from gamecoll.errors import NotFound
from gamecoll.models import Item
from gamecoll.services.images import ProcessedImage
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


@dataclass(frozen=True, slots=True)
class ImageKeys:
    """The keys of an image and its renditions."""

    image: str
    thumbnail: str
    thumbnail_2x: str
    display: str

    @classmethod
    def new(cls, user_id: uuid.UUID, extension: str) -> ImageKeys:
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


def keys_of(item: Item) -> list[str]:
    """Every key a row refers to."""
    paths = (item.image_path, item.thumb_path, item.thumb2x_path, item.display_path)
    return [key for key in paths if key]


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


class ItemFiles:
    """Items' files in one storage."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def open(self, item: Item, *, rendition: str | None = None) -> StoredFile:
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

    async def read(self, item: Item) -> bytes:
        """Read the whole image (for the base64 answer)."""
        stored = await self.open(item)
        return b"".join([chunk async for chunk in stored.chunks()])

    async def store(self, user_id: uuid.UUID, image: ProcessedImage) -> ImageKeys:
        """Write the image and its renditions under names the server makes; all or nothing."""
        keys = ImageKeys.new(user_id, image.extension)
        contents = (image.content, image.thumbnail, image.thumbnail_2x, image.display)
        await self.save_all(list(zip(keys.all(), contents, strict=True)))
        return keys

    async def save_all(self, files: list[tuple[str, bytes]]) -> None:
        """Write files one after the other; on any failure remove those written."""
        written: list[str] = []
        try:
            for key, content in files:
                await self.storage.save(key, content)
                written.append(key)
        except BaseException as exc:
            await self.discard(written)
            if isinstance(exc, StorageError):
                raise nothing_saved(exc) from exc
            raise

    async def discard(self, keys: list[str]) -> None:
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

    async def delete_user_files(self, user_id: uuid.UUID) -> None:
        """Remove every file of a deleted account (its rows are gone by cascade)."""
        try:
            await self.storage.delete_prefix(f"{user_id}/")
        except StorageError as exc:
            log.warning(
                "could not remove the files of deleted user %s (%s); "
                "`python -m gamecoll storage check --fix` will",
                user_id,
                exc,
            )


def image_columns(keys: ImageKeys | None, image: ProcessedImage | None) -> dict[str, Any]:
    """Return an item's image columns for these files (all None: no image)."""
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
            "upload_sha256": None,
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
        "upload_sha256": image.upload_sha256,
    }
