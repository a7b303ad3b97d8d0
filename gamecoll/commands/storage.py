"""`python -m gamecoll storage check [--fix]` and `storage migrate --to local|s3`.

check: image files no item refers to, and items whose files are missing, on the backend in
use. Exit codes: 0 clean (or everything found was fixed), 1 leftovers or missing files remain,
2 the database or the storage could not be read.

migrate: copy every file from the backend in use (STORAGE_BACKEND) to the other one, both
configured by the same settings (IMAGE_DIR for local, S3_* for s3). Exit codes: 0 every file
is in the target and verified, 1 some files failed (run again), 2 bad settings or a store
that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from gamecoll.config import ConfigError, Settings
from gamecoll.db import close_database_connections, tortoise_config
from gamecoll.services.storage_audit import MIN_AGE_SECONDS, find_problems
from gamecoll.services.storage_migrate import MigrationReport, migrate
from gamecoll.storage import LocalStorage, Storage, StorageError
from gamecoll.storage.factory import BACKENDS, build_storage, describe

PROGRESS_EVERY_SECONDS = 2.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `storage check` and `storage migrate` to the command line."""
    storage = sub.add_parser("storage", help="image storage maintenance")
    storage_sub = storage.add_subparsers(dest="storage_command", required=True)
    check = storage_sub.add_parser("check", help="list image files that no item refers to")
    check.add_argument("--fix", action="store_true", help="remove them")
    move = storage_sub.add_parser(
        "migrate", help="copy every image file to the other backend (switches nothing)"
    )
    move.add_argument("--to", required=True, choices=BACKENDS, help="the backend to copy to")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the storage command chosen on the command line."""
    if args.storage_command == "migrate":
        return await run_migrate(settings, args.to)
    return await run_storage_check(settings, fix=args.fix)


async def run_storage_check(
    settings: Settings,
    fix: bool,
    *,
    min_age: float = MIN_AGE_SECONDS,
    out: TextIO | None = None,
) -> int:
    """Check the image storage against the database, print what is wrong; fix leftovers."""
    out = out or sys.stdout
    storage = build_storage(settings)
    try:
        await storage.start()
        await Tortoise.init(config=tortoise_config(settings))
        try:
            report = await find_problems(storage, min_age=min_age)
        finally:
            await close_database_connections()
    except (BaseORMException, OSError, StorageError) as exc:
        await storage.close()
        print(f"gamecoll: storage check failed: {exc}", file=sys.stderr)
        return 2

    try:
        print(f"Checked {report.files} file(s) under {describe(settings)}.", file=out)
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
            remaining -= await _remove_leftovers(storage, report.leftovers, out)
            remaining += await _remove_temporary(storage, min_age, out)
        elif report.leftovers:
            print(
                f"{len(report.leftovers)} leftover file(s); run with --fix to remove them.",
                file=out,
            )
    finally:
        await storage.close()
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


async def _remove_leftovers(storage: Storage, leftovers: list[str], out: TextIO) -> int:
    removed = 0
    for key in leftovers:
        try:
            await storage.delete(key)
        except StorageError as exc:
            print(f"could not remove {key}: {exc}", file=out)
            continue
        removed += 1
        print(f"removed: {key}", file=out)
    return removed


async def _remove_temporary(storage: Storage, min_age: float, out: TextIO) -> int:
    """Remove the temporary files of interrupted writes (local disk only: S3 PUTs leave none)."""
    if not isinstance(storage, LocalStorage):
        return 0
    try:
        temporary = await storage.clean_temp_files(older_than=min_age)
    except StorageError as exc:
        print(f"could not remove temporary files: {exc}", file=out)
        return 1
    for name in temporary:
        print(f"removed temporary file: {name}", file=out)
    return 0


async def run_migrate(settings: Settings, to: str, *, out: TextIO | None = None) -> int:
    """Copy every file from STORAGE_BACKEND's store to the `to` backend, verified."""
    out = out or sys.stdout
    if to == settings.storage_backend:
        print(
            f"gamecoll: STORAGE_BACKEND is already {to}; --to names the backend to copy to",
            file=sys.stderr,
        )
        return 2
    try:
        source, target = build_storage(settings), build_storage(settings, to)
    except ConfigError as exc:
        print(f"gamecoll: configuration error: {exc}", file=sys.stderr)
        return 2
    print(f"Copying {describe(settings)} -> {describe(settings, to)}", file=out)
    last = [time.monotonic()]

    def progress(report: MigrationReport, key: str) -> None:
        now = time.monotonic()
        if report.failed and report.failed[-1][0] == key:
            print(f"failed: {key}: {report.failed[-1][1]}", file=out)
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            print(_summary(report), file=out, flush=True)

    try:
        await source.start()
        await target.start()
        report = await migrate(source, target, progress=progress)
    except (StorageError, OSError) as exc:
        print(f"gamecoll: storage migrate failed: {exc}", file=sys.stderr)
        return 2
    finally:
        await source.close()
        await target.close()
    print(_summary(report), file=out)
    if report.failed:
        print(f"{len(report.failed)} file(s) failed; run the command again.", file=out)
        return 1
    print(
        f"Every file is in the {to} storage and verified. The app still uses "
        f"{settings.storage_backend}: set STORAGE_BACKEND={to} and restart it to switch.",
        file=out,
    )
    return 0


def _summary(report: MigrationReport) -> str:
    return (
        f"{report.seen} file(s): {report.copied} copied "
        f"({report.copied_bytes / 1e6:.1f} MB), {report.skipped} already there, "
        f"{len(report.failed)} failed"
    )
