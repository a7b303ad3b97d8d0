"""Export and import in the browser: download the ZIP, import it into another account."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from playwright.async_api import expect

from tests.conftest import LiveApp
from tests.e2e.conftest import Browsers
from tests.e2e.test_browser_more import log_in, new_account

expect.set_options(timeout=15_000)


async def test_export_then_import_into_another_account(
    browsers: Browsers, live: LiveApp, tmp_path: Path
) -> None:
    mine = await new_account(live, ["Link's Awakening", "Tetris"])
    theirs = await new_account(live, [])
    tab = await browsers.tab()
    page = tab.page
    await log_in(tab, mine["email"])
    await tab.goto("/settings")
    async with page.expect_download() as started:
        await page.get_by_role("link", name="ZIP with photos").click()
    download = await started.value
    archive = tmp_path / download.suggested_filename
    await download.save_as(archive)
    assert re.fullmatch(r"gamecoll-collection-\d{8}\.zip", archive.name)
    with zipfile.ZipFile(archive) as opened:
        assert len(opened.namelist()) == 3  # collection.json and two photos

    other = await browsers.tab()
    await log_in(other, theirs["email"])
    await other.goto("/settings")
    form = other.page.locator("#import")
    await form.get_by_label("File", exact=True).set_input_files(str(archive))
    await form.get_by_label("Dry run", exact=False).uncheck()
    await form.get_by_role("button", name="Import").click()
    await expect(other.page.get_by_text("Done: 2 created, 0 updated")).to_be_visible()
    await other.page.get_by_role("link", name="Import another file").click()
    await other.goto("/gallery")
    await expect(other.page.locator("#grid .card")).to_have_count(2)
    browsers.check()


async def test_a_dry_run_without_javascript(
    browsers: Browsers, live: LiveApp, tmp_path: Path
) -> None:
    account = await new_account(live, [])
    tab = await browsers.tab(javascript=False)
    page = tab.page
    file = tmp_path / "games.json"
    file.write_text(json.dumps({"items": [{"name": "Kirby"}, {"platform": "no name"}]}))
    await log_in(tab, account["email"])
    await tab.goto("/settings")
    await page.get_by_label("File", exact=True).set_input_files(str(file))
    await page.get_by_role("button", name="Import").click()
    await expect(page).to_have_url(re.compile(r"/settings/import/[0-9a-f-]{36}$"))
    await expect(page.get_by_text("Nothing was changed.")).to_be_visible()
    await expect(page.get_by_role("cell", name="refused")).to_be_visible()
    await tab.goto("/gallery")
    await expect(page.get_by_text("Your collection is empty.")).to_be_visible()
    browsers.check()
