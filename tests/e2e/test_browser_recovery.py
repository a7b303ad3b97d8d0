"""Forgotten password and email verification in Chromium, with the links from real mails."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.conftest import LiveApp
from tests.e2e.conftest import Browsers
from tests.e2e.test_browser_more import log_in
from tests.helpers import register, unique_email
from tests.mailbox import SmtpServer, app_env, link_in, smtp

__all__ = ["app_env", "smtp"]
NEW_PASSWORD = "a brand new passphrase 42"

expect.set_options(timeout=10_000)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_reset_a_forgotten_password(
    browsers: Browsers, live: LiveApp, smtp: SmtpServer, javascript: bool
) -> None:
    email = unique_email()
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        await register(api, email=email)
    tab = await browsers.tab(javascript=javascript)
    page = tab.page
    await tab.goto("/login")
    await page.get_by_role("link", name="Forgotten your password?").click()
    await expect(page).to_have_url(re.compile(r"/forgot$"))
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send me a link").click()
    await expect(page.get_by_text("a link to reset its password is on its way")).to_be_visible()
    [mail] = await smtp.wait_for(email, subject="Reset your")
    link = link_in(mail, "/reset")

    await page.goto(link)
    await page.get_by_label("New password").fill("short")
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page).to_have_url(link)  # the browser's own check (minlength) stops the form
    await page.get_by_label("New password").fill("password")  # long enough, but common
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page.locator("#new_password-error")).to_contain_text("common")
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page).to_have_url(re.compile(r"/login\?notice=password_reset$"))
    await expect(page.get_by_text("Your password has been reset")).to_be_visible()
    await log_in(tab, email, NEW_PASSWORD)

    # The link works once.
    await page.goto(link)
    await expect(page.get_by_role("alert")).to_contain_text("not valid or was already used")
    await expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


async def test_verify_the_email_from_the_mailed_link(
    browsers: Browsers, live: LiveApp, smtp: SmtpServer
) -> None:
    email = unique_email()
    tab = await browsers.tab()
    page = tab.page
    await tab.goto("/register")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("correct horse battery staple")
    await page.get_by_role("button", name=re.compile("Create|Register")).click()
    await expect(page).to_have_url(re.compile(r"/gallery$"))
    await tab.goto("/settings")
    await expect(page.locator("#email-status")).to_have_text("not verified")
    await page.get_by_role("button", name="Send me a new link").click()
    await expect(page.get_by_text("A new link is on its way")).to_be_visible()
    mails = await smtp.wait_for(email, count=2, subject="Confirm your email")
    link = link_in(mails[-1], "/verify")
    await page.goto(link)
    await page.get_by_role("button", name="Confirm my email address").click()
    await expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    await tab.goto("/settings")
    await expect(page.locator("#email-status")).to_have_text("verified")
    await expect(page.get_by_role("button", name="Send me a new link")).to_be_hidden()
    # The first link was replaced by the second one.
    await page.goto(link_in(mails[0], "/verify"))
    await page.get_by_role("button", name="Confirm my email address").click()
    await expect(page.get_by_role("alert")).to_contain_text("not valid or was already used")
