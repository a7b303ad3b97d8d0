"""`python -m gamecoll images backfill` makes the renditions older items lack, once."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import uuid

import httpx
from PIL import Image

from gamecoll.config import PROJECT_ROOT
from gamecoll.models import Item
from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    assert_storage_matches_database,
    create,
    create_with_image,
    files_on_disk,
    new_user,
)
from tests.conftest import LiveApp, base_env


async def backfill(live: LiveApp) -> tuple[int, str]:
    """Run the command in its own process, as an operator would; return (exit code, output)."""
    env = {
        **os.environ,
        **base_env(DATABASE_URL=live.settings.database_url, IMAGE_DIR=str(live.settings.image_dir)),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamecoll",
        "images",
        "backfill",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def make_old(live: LiveApp, item: dict[str, object]) -> None:
    """Turn an item into one stored before renditions existed: no columns, no files."""
    row = await Item.get(id=uuid.UUID(str(item["id"])))
    for key in (row.thumb2x_path, row.display_path):
        assert key is not None
        (live.settings.image_dir / key).unlink()
    await Item.filter(id=row.id).update(thumb2x_path=None, display_path=None)


async def test_backfill_makes_missing_renditions_and_a_second_run_does_nothing(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    old = [
        await create_with_image(client, headers, make.noisy_jpeg(2000, 1000), name="old jpeg"),
        await create_with_image(client, headers, make.png_with_alpha(900, 600), name="old png"),
    ]
    recent = await create_with_image(client, headers, make.plain_jpeg(), name="recent")
    await create(client, headers, name="no photo")
    for item in old:
        await make_old(live, item)
    before = {
        key: (live.settings.image_dir / key).stat().st_mtime_ns
        for key in files_on_disk(live.settings.image_dir)
    }
    assert len(before) == FILES_PER_IMAGE + 2 * 2

    code, output = await backfill(live)

    assert code == 0, output
    assert "images backfill: 2/2 items, 2 made, 0 failed" in output
    assert "made the renditions of 2 item(s), 0 failed" in output
    await assert_storage_matches_database(live)
    assert len(files_on_disk(live.settings.image_dir)) == 3 * FILES_PER_IMAGE
    for key, mtime in before.items():  # nothing already there was rewritten
        assert (live.settings.image_dir / key).stat().st_mtime_ns == mtime
    expected = [((1600, 800), (800, 400)), ((900, 600), (800, 533))]
    for item, (size, size_2x) in zip(old, expected, strict=True):
        shown = (await client.get(f"{ITEMS}/{item['id']}", headers=headers)).json()["image"]
        display = await client.get(shown["display_url"], headers=headers)
        assert display.status_code == 200
        assert Image.open(io.BytesIO(display.content)).size == size
        two_x = await client.get(shown["thumbnail_2x_url"], headers=headers)
        assert Image.open(io.BytesIO(two_x.content)).size == size_2x
    assert recent["image"]["display_url"]

    again_before = {
        key: (live.settings.image_dir / key).stat().st_mtime_ns
        for key in files_on_disk(live.settings.image_dir)
    }
    code, output = await backfill(live)

    assert code == 0, output
    assert "nothing to do" in output
    assert {
        key: (live.settings.image_dir / key).stat().st_mtime_ns
        for key in files_on_disk(live.settings.image_dir)
    } == again_before


async def test_an_item_whose_image_file_is_missing_is_reported_and_the_rest_done(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    lost = await create_with_image(client, headers, make.plain_jpeg(), name="lost")
    kept = await create_with_image(client, headers, make.plain_jpeg(), name="kept")
    for item in (lost, kept):
        await make_old(live, item)
    lost_row = await Item.get(id=uuid.UUID(str(lost["id"])))
    assert lost_row.image_path is not None
    (live.settings.image_dir / lost_row.image_path).unlink()

    code, output = await backfill(live)

    assert code == 1, output
    assert f"failed: item {lost['id']}: The image file is missing from the storage." in output
    assert "made the renditions of 1 item(s), 1 failed" in output
    shown = (await client.get(f"{ITEMS}/{kept['id']}", headers=headers)).json()["image"]
    assert shown["display_url"] is not None
