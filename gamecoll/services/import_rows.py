"""Import one row: decide what it would do (create, update, unchanged, refused), then do it.

A row is matched to the user's items by its `id`: an item with that id, or one imported
before with it (`source_id`); so importing the same file twice changes nothing. A new item
gets a new id and remembers the row's as `source_id`. Files are written before the row that
refers to them and removed if that row cannot be written (never half an item, never a stray
file); a replaced photo's old files go after the row points at the new ones.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from tortoise.expressions import Q

from gamecoll.errors import AppError
from gamecoll.models import Item
from gamecoll.services.clock import utcnow
from gamecoll.services.duplicates import Duplicates, sha256_of
from gamecoll.services.exchange_format import CellError, parse_time
from gamecoll.services.image_checks import probe_image
from gamecoll.services.image_workers import ImageWorkers
from gamecoll.services.images import ProcessedImage
from gamecoll.services.import_reader import ImportFile
from gamecoll.services.item_files import ItemFiles, keys_of
from gamecoll.services.item_files import image_columns as stored_columns
from gamecoll.services.item_rules import ItemFields

CREATE: Final = "create"
UPDATE: Final = "update"
UNCHANGED: Final = "unchanged"
REFUSED: Final = "refused"


class RowRefused(Exception):
    """A row that is not imported, and why."""


@dataclass(frozen=True, slots=True)
class Planned:
    """What a row does, and what it needs to do it."""

    action: str
    columns: dict[str, Any]
    source_id: uuid.UUID | None
    existing: Item | None
    photo: bytes | None
    created_at: datetime
    updated_at: datetime
    upload_sha256: str | None = None
    """The checksum the photo had when first uploaded, as exported (for later duplicates)."""


def _upload_checksum(photo: object) -> str | None:
    value = photo.get("upload_sha256") if isinstance(photo, dict) else None
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
        return value
    return None


def _row_id(row: dict[str, Any]) -> uuid.UUID | None:
    value = row.get("id")
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise RowRefused("id: Must be a UUID, as exports write it.") from None


def _times(row: dict[str, Any]) -> tuple[datetime, datetime]:
    now = utcnow()
    try:
        created = parse_time(row.get("created_at"), "created_at") or now
        updated = parse_time(row.get("updated_at"), "updated_at") or created
    except CellError as exc:
        raise RowRefused(str(exc)) from None
    if created > now or updated > now:
        raise RowRefused("created_at and updated_at must not be in the future.")
    return created, updated


class RowImporter:
    """Plan and apply rows for one user."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID,
        files: ItemFiles,
        images: ImageWorkers,
        source: ImportFile,
        allow_duplicate: bool,
    ) -> None:
        self.user_id = user_id
        self.files = files
        self.images = images
        self.source = source
        self.allow_duplicate = allow_duplicate
        self.duplicates = Duplicates()

    async def plan(self, row: object) -> Planned:
        """Decide what a row does (RowRefused says why it is not imported)."""
        if isinstance(row, CellError):
            raise RowRefused(str(row))
        if not isinstance(row, dict):
            raise RowRefused("Must be an object.")
        row_id = _row_id(row)
        try:
            columns = ItemFields.clean(row).columns()
        except AppError as exc:
            raise RowRefused(exc.detail) from None
        created, updated = _times(row)
        photo = await asyncio.to_thread(self._photo, row.get("photo"))  # unpacks up to 10 MB
        existing = await self._match(row_id)
        checksum = await sha256_of(photo) if photo is not None else None
        if photo is not None and checksum is not None:
            await self._check_photo(photo, checksum, existing)
        original = _upload_checksum(row.get("photo"))
        if existing is None:
            return Planned(CREATE, columns, row_id, None, photo, created, updated, original)
        same_photo = checksum is None or checksum in (
            existing.image_sha256,
            existing.upload_sha256,
        )
        same = all(getattr(existing, key) == value for key, value in columns.items())
        if same and same_photo and existing.created_at == created:
            return Planned(UNCHANGED, columns, None, existing, None, created, updated)
        kept = None if same_photo else photo
        return Planned(UPDATE, columns, None, existing, kept, created, updated, original)

    def _photo(self, value: object) -> bytes | None:
        if value is None or self.source.file_format != "zip":
            return None  # JSON and CSV carry no photo bytes: the item's photo is kept
        name = value.get("file") if isinstance(value, dict) else None
        try:
            return self.source.photo(name)
        except ValueError as exc:
            raise RowRefused(f"photo: {exc}") from None

    async def _match(self, row_id: uuid.UUID | None) -> Item | None:
        if row_id is None:
            return None
        return (
            await Item.filter(Q(id=row_id) | Q(source_id=row_id), user_id=self.user_id)
            .order_by("created_at")
            .first()
        )

    async def _check_photo(self, photo: bytes, checksum: str, existing: Item | None) -> None:
        try:
            # Format, size, pixels and frames from the header: nothing is decoded.
            await asyncio.to_thread(probe_image, photo, self.images.limits)
        except AppError as exc:
            raise RowRefused(f"photo: {exc.detail}") from None
        if self.allow_duplicate:
            return
        found = (await self.duplicates.known(self.user_id, [checksum])).get(checksum)
        if found is not None and (existing is None or found != existing.id):
            raise RowRefused(
                f"photo: You already have this photo (item {found}); "
                "import with allow_duplicate=true to add it again."
            )

    async def apply(self, planned: Planned) -> Item | None:
        """Write what was planned; returns the item (None when nothing changes)."""
        if planned.action == UNCHANGED:
            return planned.existing
        processed = await self._process(planned.photo)
        keys = await self.files.store(self.user_id, processed) if processed else None
        image_columns = stored_columns(keys, processed) if keys and processed else {}
        if image_columns and planned.upload_sha256:
            image_columns["upload_sha256"] = planned.upload_sha256
        try:
            if planned.existing is None:
                return await Item.create(
                    id=uuid.uuid4(),
                    user_id=self.user_id,
                    source_id=planned.source_id,
                    created_at=planned.created_at,
                    updated_at=planned.updated_at,
                    **planned.columns,
                    **image_columns,
                )
            return await self._update(planned, image_columns)
        except BaseException:
            if keys is not None:
                await self.files.discard(keys.all())
            raise

    async def _process(self, photo: bytes | None) -> ProcessedImage | None:
        if photo is None:
            return None
        try:
            return await self.images.process_keeping(photo)
        except AppError as exc:
            raise RowRefused(f"photo: {exc.detail}") from None

    async def _update(self, planned: Planned, image_columns: dict[str, Any]) -> Item:
        existing = planned.existing
        assert existing is not None
        changes = {
            **planned.columns,
            "created_at": planned.created_at,
            "updated_at": planned.updated_at,
            **image_columns,
        }
        same_image = (
            {"image_path": existing.image_path}
            if existing.image_path
            else {"image_path__isnull": True}
        )
        changed = await Item.filter(id=existing.id, user_id=self.user_id, **same_image).update(
            **changes
        )
        if not changed:
            raise RowRefused("The item was being changed by another request; import it again.")
        if image_columns:
            await self.files.discard(keys_of(existing))
        for key, value in changes.items():
            setattr(existing, key, value)
        return existing
