"""`python -m gamecoll storage check [--fix]`: image files no item refers to, and the reverse.

Writes are ordered so that a crash can leave only files without a row (see
gamecoll/services/items.py). This command lists them and, with `--fix`, removes them, with the
temporary files of interrupted writes. Files younger than `min_age` seconds are left alone:
they may belong to an upload whose row is being inserted right now. Rows whose file is missing
cannot be repaired here; they are listed and make the exit code 1.

Exit codes: 0 clean (or everything found was fixed), 1 leftovers or missing files remain,
2 the database or the storage could not be read.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TextIO

from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from gamecoll.config import Settings
from gamecoll.db import close_database_connections, tortoise_config
from gamecoll.models import Item
from gamecoll.storage import LocalStorage, Storage, StorageError, StorageNotFound

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
    """Seconds since the file was written; None when unknown (a remote store) or gone."""
    try:
        stored = await storage.open(key)
    except StorageNotFound:
        return None
    path = stored.path
    if path is None:
        return float("inf")
    try:
        return now - path.stat().st_mtime
    except OSError:
        return None


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


async def run_storage_check(
    settings: Settings,
    fix: bool,
    *,
    min_age: float = MIN_AGE_SECONDS,
    out: TextIO | None = None,
) -> int:
    """Check the image storage against the database, print what is wrong; fix leftovers."""
    out = out or sys.stdout
    storage = LocalStorage(settings.image_dir)
    try:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            report = await find_problems(storage, min_age=min_age)
        finally:
            await close_database_connections()
    except (BaseORMException, OSError, StorageError) as exc:
        print(f"gamecoll: storage check failed: {exc}", file=sys.stderr)
        return 2

    print(f"Checked {report.files} file(s) under {storage.root}.", file=out)
    for key in report.leftovers:
        print(f"leftover: {key} (no item refers to it)", file=out)
    if report.young:
        print(
            f"skipped {len(report.young)} file(s) younger than {min_age:.0f} s "
            "(an upload may be in progress); check again later.",
            file=out,
        )
    for item_id, key in report.missing:
        print(f"missing: {key} (item {item_id} refers to it)", file=out)

    remaining = len(report.leftovers)
    if fix:
        removed = 0
        for key in report.leftovers:
            try:
                await storage.delete(key)
            except StorageError as exc:
                print(f"could not remove {key}: {exc}", file=out)
                continue
            removed += 1
            print(f"removed: {key}", file=out)
        remaining -= removed
        try:
            temporary = await storage.clean_temp_files(older_than=min_age)
        except StorageError as exc:
            print(f"could not remove temporary files: {exc}", file=out)
            remaining += 1
        else:
            for name in temporary:
                print(f"removed temporary file: {name}", file=out)
    elif report.leftovers:
        print(f"{len(report.leftovers)} leftover file(s); run with --fix to remove them.", file=out)
    if report.missing:
        print(
            f"{len(report.missing)} file(s) that items refer to are missing; restore them "
            "from a backup, or remove the images of those items.",
            file=out,
        )
    if remaining == 0 and not report.missing:
        print("The image storage is clean.", file=out)
        return 0
    return 1
