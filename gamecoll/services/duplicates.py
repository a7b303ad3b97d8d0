"""Duplicate photos: which of a user's checksums are already in the collection.

A photo is known by two SHA-256 digests: of the bytes as they were uploaded (`upload_sha256`,
what a client can compute before sending), and of the file stored after cleaning
(`image_sha256`, what an export or a download gives back). A checksum matches either, so a
photo downloaded from gamecoll and sent again is a duplicate too; photos stored before
upload checksums were kept are matched by their stored file.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Iterable
from typing import Final

from tortoise.expressions import Q

from gamecoll.errors import DuplicatePhoto, ValidationFailed
from gamecoll.models import Item

CHECK_MAX: Final = 1000
"""How many checksums one check may ask about."""
_HEX64: Final = re.compile(r"[0-9a-f]{64}")


def clean_checksums(value: object, field: str = "sha256") -> list[str]:
    """Return 1 to 1000 distinct lower-case SHA-256 hex digests, or raise 422 naming the bad one."""
    if not isinstance(value, list):
        raise ValidationFailed(
            f"{field}: Must be a list of SHA-256 hex digests.",
            fields={field: "Must be a list of SHA-256 hex digests."},
        )
    if not value or len(value) > CHECK_MAX:
        message = f"Send from 1 to {CHECK_MAX:,} checksums (got {len(value):,})."
        raise ValidationFailed(f"{field}: {message}", fields={field: message})
    cleaned: list[str] = []
    for index, entry in enumerate(value):
        text = entry.strip().lower() if isinstance(entry, str) else None
        if text is None or not _HEX64.fullmatch(text):
            shown = repr(entry)[:80]
            message = f"Entry {index} ({shown}) is not a SHA-256 digest: 64 hexadecimal digits."
            raise ValidationFailed(f"{field}[{index}]: {message}", fields={field: message})
        cleaned.append(text)
    return list(dict.fromkeys(cleaned))


async def sha256_of(data: bytes) -> str:
    """Hash an upload off the event loop (10 MB take some 20 ms)."""
    return await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())


class Duplicates:
    """Look a user's photos up by checksum."""

    async def known(self, user_id: uuid.UUID, checksums: Iterable[str]) -> dict[str, uuid.UUID]:
        """Map each of the checksums the user already has to one item holding that photo."""
        wanted = list(checksums)
        if not wanted:
            return {}
        rows = (
            await Item.filter(Q(upload_sha256__in=wanted) | Q(image_sha256__in=wanted))
            .filter(user_id=user_id)
            .order_by("created_at", "id")
            .values_list("id", "upload_sha256", "image_sha256")
        )
        found: dict[str, uuid.UUID] = {}
        asked = set(wanted)
        for item_id, upload, stored in rows:
            for checksum in (upload, stored):
                if checksum in asked:
                    found.setdefault(checksum, item_id)
        return found

    async def refuse_known(
        self, user_id: uuid.UUID, data: bytes, *, except_item: uuid.UUID | None = None
    ) -> None:
        """Raise 409 `duplicate_photo` if the user already has this photo on another item."""
        checksum = await sha256_of(data)
        found = await self.known(user_id, [checksum])
        item_id = found.get(checksum)
        if item_id is not None and item_id != except_item:
            raise DuplicatePhoto(item_id)


def clean_flag(value: str | None, field: str) -> bool:
    """Read a yes/no query or form value, `true` or `false` (absent: false); else 422."""
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("true", "false"):
        return text == "true"
    message = "Must be true or false."
    raise ValidationFailed(f"{field}: {message}", fields={field: message})
