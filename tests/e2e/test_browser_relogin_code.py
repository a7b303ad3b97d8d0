"""A session that ends elsewhere, for an account with an authenticator app: logging in again
asks for the code too, and what was typed or chosen still survives (issues 15 and 16)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.api.second_factor_support import clear_of_step_edge
from tests.conftest import LiveApp
from tests.e2e.conftest import SIZES, Browsers, Tab
from tests.e2e.test_browser_gallery import open_tab
from tests.e2e.test_browser_more import new_account
from tests.e2e.test_browser_sessions import choose_two_photos_for_snes
from tests.helpers import PASSWORD, totp_code

expect.set_options(timeout=10_000)


async def with_authenticator(live: LiveApp, token: str) -> tuple[str, list[str]]:
    """Turn on the account's authenticator app through the API; return its secret and
    recovery codes. The confirming code is the previous step's, so that the current and the
    next step's codes are still unused for the logins that follow."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        auth = {"Authorization": f"Bearer {token}"}
        setup = await api.post("/auth/mfa/totp/setup", json={}, headers=auth)
        assert setup.status_code == 200, setup.text
        secret: str = setup.json()["secret"]
        await clear_of_step_edge(margin=8)
        confirmed = await api.post(
            "/auth/mfa/totp/confirm", json={"code": totp_code(secret, -1)}, headers=auth
        )
        assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


async def log_in_with_code(tab: Tab, email: str, code: str) -> None:
    """Log in with the password, then the code page."""
    await tab.goto("/login")
    await tab.page.get_by_label("Email or username").fill(email)
    await tab.page.get_by_label("Password").fill(PASSWORD)
    await tab.page.get_by_role("button", name="Log in").click()
    await tab.page.get_by_label("Code").fill(code)
    await tab.page.get_by_role("button", name="Continue").click()
    await expect(tab.page).to_have_url(tab.base + "/gallery")
    await tab.page.wait_for_load_state("load")  # its scripts have run (see log_in)


async def end_other_sessions(browsers: Browsers, email: str, recovery_code: str) -> None:
    """Log in on another device (with a recovery code) and sign out everywhere else."""
    other = await browsers.tab()
    await log_in_with_code(other, email, recovery_code)
    await other.goto("/settings")
    await other.page.get_by_role("button", name="Sign out everywhere else").click()
    await expect(other.page.get_by_text("Every other session has been signed out.")).to_be_visible()


def a_wrong_code(secret: str) -> str:
    valid = {totp_code(secret, step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


@pytest.mark.parametrize("size", SIZES)
async def test_the_login_dialog_asks_for_the_code_and_the_photos_are_sent(
    browsers: Browsers, live: LiveApp, size: str, tmp_path: Path
) -> None:
    account = await new_account(live, [])
    secret, recovery = await with_authenticator(live, account["token"])
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in_with_code(tab, account["email"], totp_code(secret))
    await choose_two_photos_for_snes(page, tmp_path)
    await end_other_sessions(browsers, account["email"], recovery[0])
    await page.get_by_role("button", name="Add", exact=True).click()
    dialog = page.get_by_role("dialog", name="Log in again")
    await dialog.get_by_label("Password").fill(PASSWORD)
    await dialog.get_by_role("button", name="Log in").click()
    # The password was right: the same dialog asks for the code, where the person acts next.
    code = dialog.get_by_label("Code")
    await expect(code).to_be_focused()
    await expect(dialog.get_by_label("Password")).to_be_hidden()
    await code.fill(a_wrong_code(secret))
    await dialog.get_by_role("button", name="Log in").click()
    await expect(dialog.locator("#relogin-code-error")).to_have_text(
        "This code is not right; check the time on your phone."
    )
    await expect(code).to_be_focused()
    await code.fill(totp_code(secret, 1))
    await dialog.get_by_role("button", name="Log in").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#upload-files .file-status")).to_have_text(["Added", "Added"])
    await expect(page.locator("#grid .card-platform").first).to_have_text("SNES")


@pytest.mark.parametrize("size", SIZES)
async def test_the_code_page_carries_the_draft_without_javascript(
    browsers: Browsers, live: LiveApp, size: str
) -> None:
    account = await new_account(live, ["Metroid"])
    secret, recovery = await with_authenticator(live, account["token"])
    tab = await open_tab(browsers, size, javascript=False)
    page = tab.page
    await log_in_with_code(tab, account["email"], totp_code(secret))
    await page.locator(".card-link[title='Metroid']").click()
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Name").fill("Super Metroid")
    await page.get_by_label("Notes").fill("Kept across both steps.")
    await end_other_sessions(browsers, account["email"], recovery[0])
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Your session has ended.")).to_be_visible()
    await page.get_by_label("Email or username").fill(account["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_label("Code").fill(a_wrong_code(secret))
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("#code-error")).to_be_visible()
    await page.get_by_label("Code").fill(totp_code(secret, 1))
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_text("What you typed has not been sent yet.")).to_be_visible()
    await expect(page.get_by_text("Kept across both steps.")).to_be_visible()
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#item-title")).to_have_text("Super Metroid")
    await expect(page.get_by_text("Saved.")).to_be_visible()
