"""`python -m gamecoll storage migrate --to s3|local` and `storage check` on S3, as an operator
runs them: real processes, a real database, a local folder and a real S3 server (SeaweedFS).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from typing import Any

import httpx
import pytest

from gamecoll.config import PROJECT_ROOT, Settings
from gamecoll.storage.factory import build_storage
from tests import images as make
from tests.api.items_support import (
    create_with_image,
    files_on_disk,
    keys_in_database,
    keys_in_store,
    new_user,
)
from tests.conftest import LiveApp, base_env, start_app, stop_app
from tests.s3server import SeaweedFS


@pytest.fixture(params=["postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """PostgreSQL: the database only tells the storage check which files items refer to."""
    return str(request.param)


async def command(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run `python -m gamecoll ARGS` in its own process; return (exit code, output)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "STORAGE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamecoll",
        *args,
        cwd=PROJECT_ROOT,
        env={**clean, **base_env(**env)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode()


def env_of(settings: Settings, s3: dict[str, str], backend: str) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "IMAGE_DIR": str(settings.image_dir),
        **s3,
        "STORAGE_BACKEND": backend,
    }


async def test_migrate_to_s3_copies_verifies_resumes_and_switches_nothing(
    client: httpx.AsyncClient, live: LiveApp, seaweedfs: SeaweedFS, database: Any
) -> None:
    headers = await new_user(client)
    items = [
        await create_with_image(client, headers, make.noisy_jpeg(300, 200, seed=n))
        for n in range(3)
    ]
    local_files = files_on_disk(live.settings.image_dir)
    assert local_files == await keys_in_database(live.settings)
    s3 = seaweedfs.env(prefix=f"mig-{uuid.uuid4().hex[:8]}")
    to_s3 = env_of(live.settings, s3, "local")

    code, output = await command(to_s3, "storage", "migrate", "--to", "s3")

    assert code == 0, output
    count = len(local_files)
    assert f"{count} file(s): {count} copied" in output
    assert "set STORAGE_BACKEND=s3" in output
    s3_settings = database.settings(**s3)
    assert await keys_in_store(s3_settings) == local_files
    assert files_on_disk(live.settings.image_dir) == local_files  # the source is untouched

    code, output = await command(to_s3, "storage", "migrate", "--to", "s3")
    assert code == 0, output
    assert f"{count} file(s): 0 copied (0.0 MB), {count} already there, 0 failed" in output

    # An interrupted run: one object missing, one half-written; the next run repairs both.
    target = build_storage(s3_settings)
    await target.start()
    try:
        await target.delete(local_files[0])
        await target.save(local_files[1], b"half a file")
    finally:
        await target.close()
    code, output = await command(to_s3, "storage", "migrate", "--to", "s3")
    assert code == 0, output
    assert f"{count} file(s): 2 copied" in output and f"{count - 2} already there" in output

    # The app on S3 (same database) serves what the local disk served.
    running, server = await start_app(database.settings(**s3))
    try:
        async with running.client() as on_s3:
            for item in items:
                from_s3 = await on_s3.get(item["image"]["raw_url"], headers=headers)
                from_disk = await client.get(item["image"]["raw_url"], headers=headers)
                assert from_s3.status_code == 200
                assert from_s3.content == from_disk.content
    finally:
        await stop_app(server)

    code, output = await command({**to_s3, "STORAGE_BACKEND": "s3"}, "storage", "check")
    assert code == 0, output
    assert "The image storage is clean." in output

    back_dir = live.settings.image_dir.parent / "back"
    back = {**to_s3, "STORAGE_BACKEND": "s3", "IMAGE_DIR": str(back_dir)}
    code, output = await command(back, "storage", "migrate", "--to", "local")
    assert code == 0, output
    assert files_on_disk(back_dir) == local_files
    for key in local_files:
        assert (back_dir / key).read_bytes() == (live.settings.image_dir / key).read_bytes()


async def test_migrate_refuses_bad_settings(live: LiveApp) -> None:
    env = {"DATABASE_URL": live.settings.database_url, "STORAGE_BACKEND": "local"}
    code, output = await command(env, "storage", "migrate", "--to", "s3")
    assert code == 2
    assert "needs S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY" in output
    code, output = await command(env, "storage", "migrate", "--to", "local")
    assert code == 2
    assert "already local" in output


async def test_storage_check_on_s3_reports_young_leftovers_and_missing_files(
    client: httpx.AsyncClient, live: LiveApp, seaweedfs: SeaweedFS, database: Any
) -> None:
    s3 = seaweedfs.env(prefix=f"chk-{uuid.uuid4().hex[:8]}")
    running, server = await start_app(database.settings(**s3))
    try:
        async with running.client() as on_s3:
            headers = await new_user(on_s3)
            await create_with_image(on_s3, headers, make.plain_jpeg())
    finally:
        await stop_app(server)
    keys = await keys_in_database(live.settings)
    storage = build_storage(running.settings)
    await storage.start()
    try:
        owner = keys[0].split("/")[0]
        await storage.save(f"{owner}/{'a' * 32}.jpg", b"left by a crash")
        await storage.delete(keys[-1])
    finally:
        await storage.close()

    code, output = await command(env_of(live.settings, s3, "s3"), "storage", "check", "--fix")

    assert code == 1, output
    assert "skipped 1 file(s) younger than 600 s" in output  # may be an upload in progress
    assert f"missing: {keys[-1]} (item " in output
    assert f"s3://{s3['S3_BUCKET']}/{s3['S3_PREFIX']}/" in output
