"""`python -m gamecoll storage check [--fix]` against a real database and image folder."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import httpx

from gamecoll.config import PROJECT_ROOT
from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    create_with_image,
    files_on_disk,
    keys_in_database,
    new_user,
    user_id,
)
from tests.conftest import LiveApp, base_env

HOUR_AGO = time.time() - 3600


async def storage_check(live: LiveApp, *args: str) -> tuple[int, str]:
    """Run the command in its own process, as an operator would; return (exit code, output)."""
    env = {
        **os.environ,
        **base_env(DATABASE_URL=live.settings.database_url, IMAGE_DIR=str(live.settings.image_dir)),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamecoll",
        "storage",
        "check",
        *args,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, output.decode()


def leave(path: Path, data: bytes = b"left behind", *, old: bool = True) -> str:
    """Write a file as a crashed upload would have left it; return its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if old:
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path.as_posix()


async def test_leftovers_are_listed_then_removed_and_live_files_kept(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    owner = await user_id(client, headers)
    for _ in range(2):
        await create_with_image(client, headers, make.plain_jpeg())
    referenced = await keys_in_database(live.settings)
    root = live.settings.image_dir
    gone_user = str(uuid.uuid4())
    leftovers = sorted(
        [
            f"{owner}/{'a' * 32}.jpg",  # files written, then the insert never happened
            f"{owner}/{'a' * 32}.thumb.webp",
            f"{gone_user}/{'b' * 32}.png",  # an account whose files could not be removed
            "stray.txt",
        ]
    )
    for key in leftovers:
        leave(root / key)
    young = f"{owner}/{'c' * 32}.jpg"  # may be an upload in progress: never touched
    leave(root / young, old=False)
    temporary = root / owner / ".tmp-crashed.part"
    leave(temporary)

    code, output = await storage_check(live)

    assert code == 1, output
    for key in leftovers:
        assert f"leftover: {key}" in output
    for key in referenced:
        assert key not in output
    assert young not in output and "skipped 1 file(s) younger than" in output
    assert "run with --fix" in output
    assert set(files_on_disk(root)) == {
        *referenced,
        *leftovers,
        young,
        f"{owner}/.tmp-crashed.part",
    }  # checking changes nothing

    code, output = await storage_check(live, "--fix")

    assert code == 0, output
    for key in leftovers:
        assert f"removed: {key}" in output
    assert f"removed temporary file: {owner}/.tmp-crashed.part" in output
    assert files_on_disk(root) == sorted([*referenced, young])
    assert not (root / gone_user).exists()

    code, output = await storage_check(live)
    assert code == 0, output
    assert "The image storage is clean." in output
    listed = (await client.get("/collection/items", headers=headers)).json()["items"]
    for item in listed:  # the items still serve their images
        assert (await client.get(item["image"]["raw_url"], headers=headers)).status_code == 200


async def test_missing_files_are_reported(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)
    owner = await user_id(client, headers)
    item = await create_with_image(client, headers, make.plain_jpeg())
    other = await new_user(client)
    await create_with_image(client, other, make.plain_jpeg())
    other_id = await user_id(client, other)
    thumb = next(
        key
        for key in files_on_disk(live.settings.image_dir)
        if key.startswith(owner) and key.endswith(".thumb.webp")
    )
    (live.settings.image_dir / thumb).unlink()
    for key in files_on_disk(live.settings.image_dir):
        if key.startswith(other_id):
            (live.settings.image_dir / key).unlink()  # a whole user's folder is gone

    code, output = await storage_check(live, "--fix")

    assert code == 1, output
    assert f"missing: {thumb} (item {item['id']} refers to it)" in output
    assert output.count(f"missing: {other_id}/") == FILES_PER_IMAGE
    assert "are missing" in output


async def test_an_empty_storage_is_clean(live: LiveApp) -> None:
    code, output = await storage_check(live)
    assert code == 0, output
    assert "Checked 0 file(s)" in output
