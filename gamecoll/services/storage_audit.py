"""Image files no item refers to, and items whose files are missing (on either backend).

Writes are ordered so that a crash can leave only files without a row (see
gamecoll/services/items.py). Files younger than `min_age` seconds are reported apart: they may
belong to an upload whose row is being inserted right now. The command that prints and fixes
is `python -m gamecoll storage check` (gamecoll/commands/storage.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from gamecoll.models import Item
from gamecoll.storage import Storage, StorageNotFound

MIN_AGE_SECONDS = 600.0
"""Files younger than this may be an upload in progress (files are written before the row)."""


@dataclass
class StorageReport:
    """What a check found."""

    files: int = 0
    leftovers: list[str] = field(default_factory=list)
    young: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (item id, key)


async def _grouped(storage: Storage) -> AsyncIterator[tuple[str, list[str]]]:
    """Yield (top-level folder, its keys); the storage lists one folder at a time."""
    folder: str | None = None
    keys: list[str] = []
    async for key in storage.list(""):
        top = key.split("/", 1)[0] if "/" in key else ""
        if top != folder and folder is not None:
            yield folder, keys
            keys = []
        folder = top
        keys.append(key)
    if folder is not None:
        yield folder, keys


async def _referenced(user_id: uuid.UUID) -> dict[str, str]:
    """Return {key: item id} of the files a user's items refer to."""
    rows = await Item.filter(user_id=user_id, image_path__isnull=False).values_list(
        "id", "image_path", "thumb_path", "thumb2x_path", "display_path"
    )
    keys: dict[str, str] = {}
    for item_id, *paths in rows:
        for key in paths:
            if key:
                keys[str(key)] = str(item_id)
    return keys


def _user_id(folder: str) -> uuid.UUID | None:
    try:
        parsed = uuid.UUID(folder)
    except ValueError:
        return None
    return parsed if str(parsed) == folder else None


async def _age(storage: Storage, key: str, now: float) -> float | None:
    """Seconds since the file was written; None when it is gone."""
    try:
        info = await storage.stat(key)
    except StorageNotFound:
        return None
    return now - info.modified


async def find_problems(storage: Storage, *, min_age: float = MIN_AGE_SECONDS) -> StorageReport:
    """Compare the stored files with the items' image columns, one user folder at a time."""
    report = StorageReport()
    now = time.time()
    seen_users: set[uuid.UUID] = set()
    async for folder, keys in _grouped(storage):
        report.files += len(keys)
        user_id = _user_id(folder)
        referenced: dict[str, str] = {}
        if user_id is not None:
            seen_users.add(user_id)
            referenced = await _referenced(user_id)
        for key in keys:
            if key in referenced:
                continue
            age = await _age(storage, key, now)
            if age is None:
                continue  # removed while we looked
            (report.young if age < min_age else report.leftovers).append(key)
        present = set(keys)
        report.missing.extend(
            (item_id, key) for key, item_id in referenced.items() if key not in present
        )
    with_images = await (
        Item.filter(image_path__isnull=False).distinct().values_list("user_id", flat=True)
    )
    for owner in with_images:
        owner_id = owner if isinstance(owner, uuid.UUID) else uuid.UUID(str(owner))
        if owner_id not in seen_users:
            referenced = await _referenced(owner_id)
            report.missing.extend((item_id, key) for key, item_id in referenced.items())
    return report
