"""Sessions and settings (issue 15): local times, the session button's name, the same
password refused, and a session that ends elsewhere while something is typed or chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.conftest import LiveApp
from tests.e2e.conftest import SIZES, Browsers
from tests.e2e.test_browser_gallery import noise_png, open_tab
from tests.e2e.test_browser_more import log_in, new_account
from tests.helpers import PASSWORD

expect.set_options(timeout=10_000)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("size", SIZES)
async def test_settings_messages_times_and_the_same_password(
    browsers: Browsers, live: LiveApp, size: str, javascript: bool
) -> None:
    account = await new_account(live, [])
    tab = await open_tab(browsers, size, javascript=javascript, timezone="Asia/Kolkata")
    page = tab.page
    await log_in(tab, account["email"])
    await tab.goto("/settings")
    this_device = page.get_by_role("button", name="Log out of this device")
    await expect(this_device).to_have_text("Log out of this device")  # name = what is shown
    used = page.locator("#sessions time").first
    if javascript:  # in the viewer's zone (UTC+5:30 here), not UTC
        await expect(used).not_to_contain_text("UTC")
        iso = await used.get_attribute("datetime") or ""
        minutes = int(iso[14:16])
        await expect(used).to_contain_text(f":{(minutes + 30) % 60:02d}")
    else:
        await expect(used).to_contain_text("UTC")  # said, when it cannot be converted
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill(PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    same = "The new password is the same as the current one. Choose a different one."
    await expect(page.locator("#new_password-error")).to_have_text(same)
    if javascript:
        await expect(page.get_by_label("New password")).to_be_focused()


async def choose_two_photos_for_snes(page: Page, folder: Path) -> None:
    """Choose two photos to upload and type their platform, without sending them yet."""
    photos = []
    for index in range(2):
        path = folder / f"Shot {index + 1}.png"
        path.write_bytes(noise_png(120, index))
        photos.append(str(path))
    await page.get_by_label("Photos", exact=True).set_input_files(photos)
    await page.get_by_label("Platform", exact=True).first.fill("SNES")


async def end_other_sessions(browsers: Browsers, email: str) -> None:
    """Log in elsewhere and sign out everywhere else (as a person does from another device)."""
    other = await browsers.tab()
    await log_in(other, email)
    await other.goto("/settings")
    await other.page.get_by_role("button", name="Sign out everywhere else").click()
    await expect(other.page.get_by_text("Every other session has been signed out.")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
async def test_an_ended_session_keeps_typed_text_and_chosen_photos(
    browsers: Browsers, live: LiveApp, size: str, tmp_path: Path
) -> None:
    account = await new_account(live, ["Metroid"])
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in(tab, account["email"])
    # Photos chosen and a name typed; then the session ends elsewhere.
    await page.locator("#upload summary").click()
    await choose_two_photos_for_snes(page, tmp_path)
    await end_other_sessions(browsers, account["email"])
    await page.get_by_role("button", name="Add", exact=True).click()
    dialog = page.get_by_role("dialog", name="Log in again")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Password")).to_be_focused()
    # The same account logs in again: this page's request is made again for it.
    await expect(dialog.get_by_label("Email or username")).to_have_value(account["email"])
    await expect(dialog.get_by_label("Email or username")).not_to_be_editable()
    await dialog.get_by_label("Password").fill(PASSWORD)
    await dialog.get_by_role("button", name="Log in").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#upload-files .file-status")).to_have_text(["Added", "Added"])
    await expect(page.locator("#grid .card-platform").first).to_have_text("SNES")
    # An edit in place: the typed text is saved after the login.
    await page.locator(".card-link[title='Metroid']").click()
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Name").fill("Super Metroid")
    await page.get_by_label("Notes").fill("Typed before the session ended.")
    await end_other_sessions(browsers, account["email"])
    await page.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Password").fill(PASSWORD)
    await dialog.get_by_role("button", name="Log in").click()
    await expect(page.locator("#item-title")).to_have_text("Super Metroid")
    await expect(page.locator(".notes")).to_have_text("Typed before the session ended.")
    await expect(page.get_by_text("Saved.")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
async def test_an_ended_session_keeps_the_draft_without_javascript(
    browsers: Browsers, live: LiveApp, size: str
) -> None:
    account = await new_account(live, ["Metroid"])
    tab = await open_tab(browsers, size, javascript=False)
    page = tab.page
    await log_in(tab, account["email"])
    await page.locator(".card-link[title='Metroid']").click()
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Name").fill("Super Metroid")
    await page.get_by_label("Notes").fill("Kept across the login.")
    await end_other_sessions(browsers, account["email"])
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Your session has ended.")).to_be_visible()
    await page.get_by_label("Email or username").fill(account["email"])
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_text("The email, username or password is not right.")).to_be_visible()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_text("What you typed has not been sent yet.")).to_be_visible()
    await expect(page.get_by_text("Kept across the login.")).to_be_visible()
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#item-title")).to_have_text("Super Metroid")
    await expect(page.get_by_text("Saved.")).to_be_visible()
