"""Passkeys in Chromium, with the DevTools protocol's virtual authenticator.

The authenticator is a platform one (`internal`) that keeps discoverable credentials and
verifies the user, like a phone or laptop with a fingerprint reader. WebAuthn needs a domain
name in a secure context: the app is opened as http://localhost:<port>, which is also its
PUBLIC_BASE_URL (the relying party).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import CDPSession, expect

from tests.api.second_factor_support import clear_of_step_edge
from tests.conftest import Database, LiveApp, free_port, start_app, stop_app
from tests.e2e.conftest import Browsers, Tab, screenshot
from tests.e2e.test_browser_more import log_in
from tests.e2e.test_browser_relogin_code import end_other_sessions as end_sessions_with_a_code
from tests.e2e.test_browser_relogin_code import with_authenticator
from tests.e2e.test_browser_sessions import choose_two_photos_for_snes, end_other_sessions
from tests.helpers import PASSWORD, bearer, register, totp_code, unique_email

expect.set_options(timeout=10_000)


@pytest.fixture
async def live(database: Database) -> AsyncIterator[LiveApp]:
    """The app at http://localhost:<port>, which PUBLIC_BASE_URL names."""
    port = free_port()
    settings = database.settings(PUBLIC_BASE_URL=f"http://localhost:{port}")
    running, server = await start_app(settings, port=port, host_name="localhost")
    try:
        yield running
    finally:
        await stop_app(server)


async def authenticator(tab: Tab) -> tuple[CDPSession, str]:
    """Give the tab a virtual platform authenticator with user verification."""
    cdp = await tab.context.new_cdp_session(tab.page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "ctap2Version": "ctap2_1",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


async def stored(cdp: CDPSession, authenticator_id: str) -> list[dict[str, Any]]:
    found = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    credentials: list[dict[str, Any]] = found["credentials"]
    return credentials


async def log_out(tab: Tab) -> None:
    await tab.page.get_by_role("button", name="Log out").first.click()
    await expect(tab.page).to_have_url(re.compile(r"/login"))


async def test_add_a_passkey_log_in_with_it_and_remove_it(
    browsers: Browsers, live: LiveApp
) -> None:
    email = unique_email()
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        await register(api, email=email)
    tab = await browsers.tab()
    page = tab.page
    cdp, device = await authenticator(tab)
    await log_in(tab, email)

    await tab.goto("/settings")
    section = page.locator("#passkeys")
    await expect(section.get_by_text("You have no passkeys yet.")).to_be_visible()
    await expect(section.get_by_text("Adding a passkey needs JavaScript")).to_be_hidden()
    await section.get_by_label("Name of the new passkey").fill("This laptop")
    await section.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkeys").get_by_role("status")).to_contain_text("Passkey added")
    await expect(page.locator("#passkeys strong", has_text="This laptop")).to_be_visible()
    [credential] = await stored(cdp, device)
    assert credential["isResidentCredential"] is True  # discoverable: no name needed to log in
    assert credential["rpId"] == "localhost"
    await screenshot(tab, "settings-passkeys", full_page=True)

    # A second passkey on the same authenticator is refused by the browser (exclude list).
    await page.locator("#passkeys").get_by_label("Name of the new passkey").fill("Twin")
    await page.locator("#passkeys").get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkey-add-result")).to_contain_text("already holds a passkey")

    # Log out, then in again with the passkey alone: no name, no password.
    await log_out(tab)
    await expect(page.get_by_text("Signing in with a passkey needs JavaScript")).to_be_hidden()
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page).to_have_url(re.compile(r"/gallery$"))
    await tab.goto("/settings")
    await expect(page.get_by_text(email).first).to_be_visible()
    await expect(page.locator("#passkeys")).to_contain_text("last used")
    assert (await stored(cdp, device))[0]["signCount"] >= 1

    # Remove it (with the password); the authenticator still holds it, but it logs in no more.
    passkeys = page.locator("#passkeys")
    await passkeys.get_by_text("Rename or remove").click()
    await passkeys.get_by_label("Your password, to remove it").fill("not my password")
    await passkeys.get_by_role("button", name="Remove “This laptop”").click()
    await expect(page.locator("#passkeys [role=alert]")).to_contain_text("password is not right")
    passkeys = page.locator("#passkeys")
    await passkeys.get_by_text("Rename or remove").click()
    await passkeys.get_by_label("Your password, to remove it").fill(PASSWORD)
    await passkeys.get_by_role("button", name="Remove “This laptop”").click()
    await expect(page.locator("#passkeys")).to_contain_text("Passkey removed.")
    await expect(page.locator("#passkeys")).to_contain_text("You have no passkeys yet.")

    await log_out(tab)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.locator("#passkey-login-result")).to_contain_text("not registered here")
    await expect(page).to_have_url(re.compile(r"/login"))


async def test_without_an_authenticator_the_page_says_what_happened(
    browsers: Browsers, live: LiveApp
) -> None:
    tab = await browsers.tab()
    cdp, device = await authenticator(tab)
    # An authenticator holding no passkey for this site: the browser finds nothing to offer.
    await tab.goto("/login")
    await tab.page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(tab.page.locator("#passkey-login-result")).to_contain_text("No passkey was used")
    assert await stored(cdp, device) == []


async def test_without_javascript_the_pages_say_passkeys_need_it(
    browsers: Browsers, live: LiveApp
) -> None:
    email = unique_email()
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        await register(api, email=email)
    tab = await browsers.tab(javascript=False)
    page = tab.page
    await tab.goto("/login")
    await expect(page.get_by_text("Signing in with a passkey needs JavaScript")).to_be_visible()
    await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    await page.get_by_label("Email or username").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await tab.goto("/settings")
    await expect(page.get_by_text("Adding a passkey needs JavaScript")).to_be_visible()
    await expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()


async def test_a_passkey_instead_of_the_code_after_the_password(
    browsers: Browsers, live: LiveApp
) -> None:
    tab, email, tokens = await signed_in_with_a_passkey(browsers, live)
    page = tab.page
    await log_out(tab)

    # Now the authenticator app goes on: logins ask for a second step, which a passkey passes.
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        auth = bearer(tokens)
        secret = (await api.post("/auth/mfa/totp/setup", json={}, headers=auth)).json()["secret"]
        await clear_of_step_edge()
        on = await api.post(
            "/auth/mfa/totp/confirm", json={"code": totp_code(secret)}, headers=auth
        )
        assert on.status_code == 200, on.text
    await page.get_by_label("Email or username").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_label("Code")).to_be_visible()
    valid = {totp_code(secret, step) for step in (-1, 0, 1)}
    wrong = next(code for code in ("000000", "111111") if code not in valid)
    await page.get_by_label("Code").fill(wrong)  # a wrong code first: the offer stays
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("#code-error")).to_be_visible()
    await page.get_by_role("button", name="Use a passkey instead").click()
    await expect(page).to_have_url(re.compile(r"/gallery$"))


async def add_passkey(tab: Tab, name: str) -> None:
    """Add a passkey from the settings page (the tab's authenticator keeps it)."""
    await tab.goto("/settings")
    section = tab.page.locator("#passkeys")
    await section.get_by_label("Name of the new passkey").fill(name)
    await section.get_by_role("button", name="Add a passkey").click()
    await expect(tab.page.locator("#passkeys").get_by_role("status")).to_contain_text(
        "Passkey added"
    )


async def signed_in_with_a_passkey(
    browsers: Browsers, live: LiveApp
) -> tuple[Tab, str, dict[str, Any]]:
    """A new account, logged in with its password in a tab whose authenticator holds a
    passkey of the account; return the tab, the email and the API tokens."""
    email = unique_email()
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        tokens: dict[str, Any] = await register(api, email=email)
    tab = await browsers.tab()
    await authenticator(tab)
    await log_in(tab, email)
    await add_passkey(tab, "Laptop")
    return tab, email, tokens


async def test_a_passkey_logs_in_again_in_place_and_the_photos_are_sent(
    browsers: Browsers, live: LiveApp, tmp_path: Path
) -> None:
    tab, email, _ = await signed_in_with_a_passkey(browsers, live)
    page = tab.page
    await tab.goto("/gallery")
    await choose_two_photos_for_snes(page, tmp_path)
    await end_other_sessions(browsers, email)

    await page.get_by_role("button", name="Add", exact=True).click()
    dialog = page.get_by_role("dialog", name="Log in again")
    await dialog.get_by_role("button", name="Sign in with a passkey").click()

    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("You are logged in again.")).to_be_visible()
    await expect(page.locator("#upload-files .file-status")).to_have_text(["Added", "Added"])
    await expect(page.locator("#grid .card-platform").first).to_have_text("SNES")


async def test_after_the_password_a_passkey_passes_the_dialogs_second_step(
    browsers: Browsers, live: LiveApp, tmp_path: Path
) -> None:
    tab, email, tokens = await signed_in_with_a_passkey(browsers, live)
    page = tab.page
    _, recovery = await with_authenticator(live, tokens["access_token"])
    await tab.goto("/gallery")
    await choose_two_photos_for_snes(page, tmp_path)
    await end_sessions_with_a_code(browsers, email, recovery[0])

    await page.get_by_role("button", name="Add", exact=True).click()
    dialog = page.get_by_role("dialog", name="Log in again")
    await dialog.get_by_label("Password").fill(PASSWORD)
    await dialog.get_by_role("button", name="Log in").click()
    await expect(dialog.get_by_label("Code")).to_be_focused()
    await dialog.get_by_role("button", name="Use a passkey instead").click()

    await expect(dialog).to_be_hidden()
    await expect(page.locator("#upload-files .file-status")).to_have_text(["Added", "Added"])
