"""JavaScript switched off, a hostile item name, a 360 px phone, the dark theme, the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.conftest import LiveApp
from tests.e2e.conftest import Browsers, Tab, screenshot
from tests.e2e.pictures import box_art_base64
from tests.helpers import PASSWORD, register, unique_email
from tests.web.conftest import png

HOSTILE = "<script>alert(1)</script>"

expect.set_options(timeout=10_000)


async def new_account(live: LiveApp, names: list[str], **extra: str) -> dict[str, str]:
    """Register through the API and add games; return the email and an access token."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        email = unique_email()
        tokens = await register(api, email=email, **extra)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        for index, name in enumerate(names):
            body = {"name": name, "platform": "Game Boy", "image": box_art_base64(name[:12], index)}
            response = await api.post("/collection/items", json=body, headers=headers)
            assert response.status_code == 201, response.text
    return {"email": email, "token": tokens["access_token"]}


async def log_in(tab: Tab, email: str, password: str = PASSWORD) -> None:
    await tab.goto("/login")
    await tab.page.get_by_label("Email or username").fill(email)
    await tab.page.get_by_label("Password").fill(password)
    await tab.page.get_by_role("button", name="Log in").click()
    await expect(tab.page).to_have_url(re.compile(r"/gallery$"))
    # The gallery's scripts have run (htmx listens to the search) only once it has loaded: a
    # test that types at once could otherwise type before them, as no person does.
    await tab.page.wait_for_load_state("load")


async def test_without_javascript(browsers: Browsers, live: LiveApp, tmp_path: Path) -> None:
    account = await new_account(live, [])
    tab = await browsers.tab(javascript=False)
    page = tab.page
    # Logging in: a wrong password first, shown on the page the form posted to.
    await tab.goto("/settings")
    await expect(page).to_have_url(re.compile(r"/login\?next=/settings$"))
    await page.get_by_label("Email or username").fill(account["email"])
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_text("The email, username or password is not right.")).to_be_visible()
    await expect(page.get_by_label("Password")).to_be_focused()  # where to act next
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/settings$"))
    await expect(page.get_by_role("button", name="Test connection")).to_be_hidden()
    # Uploading: a plain multipart post and a redirect.
    photo = tmp_path / "Pokemon Red.png"
    photo.write_bytes(png(120, 90))
    await page.get_by_role("link", name="Gallery").click()
    await expect(page.get_by_text("Your collection is empty.")).to_be_visible()
    await page.get_by_label("Photos").set_input_files(str(photo))
    await page.get_by_label("Platform", exact=True).first.fill("Game Boy")
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/gallery$"))
    await expect(page.get_by_text("Added 1 game.")).to_be_visible()
    await expect(page.locator("#grid .card-name")).to_have_text(["Pokemon Red"])
    # Searching: a GET form.
    await page.get_by_label("Search by name").fill("poke")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"/gallery\?q=poke&platform=&status=&"))
    await expect(page.locator("#grid .card")).to_have_count(1)
    # Editing: a page of its own.
    await page.get_by_role("link", name="Photo of Pokemon Red Pokemon Red").click()
    await page.get_by_role("link", name="Edit").click()
    await expect(page).to_have_url(re.compile(r"/edit\?q=poke$"))
    await page.get_by_label("Name").fill("Pokémon Red")
    await page.get_by_role("button", name="Save").click()
    await expect(page).to_have_url(re.compile(r"\?q=poke$"))
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await expect(page.locator("#item-title")).to_have_text("Pokémon Red")
    # Deleting: a confirmation page.
    await page.get_by_role("link", name="Delete").click()
    await expect(page.get_by_role("heading", name="Delete “Pokémon Red”?")).to_be_visible()
    await page.get_by_role("button", name="Delete").click()
    await expect(page).to_have_url(re.compile(r"/gallery\?q=poke$"))  # the search is kept
    await expect(page.get_by_text("Deleted “Pokémon Red”.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_text("Your games")).to_be_visible()
    await expect(page.get_by_text("Deleted “Pokémon Red”.")).to_have_count(0)  # said once
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect(page.get_by_text("You are logged out.")).to_be_visible()


async def test_hostile_item_name_is_shown_as_text(browsers: Browsers, live: LiveApp) -> None:
    account = await new_account(live, [HOSTILE, "Plain"])
    tab = await browsers.tab(accept_dialogs=False)
    page = tab.page
    await log_in(tab, account["email"])
    await expect(page.locator("#grid .card-name").first).to_have_text("Plain")  # newest first
    hostile = page.locator("#grid .card-name").last
    await expect(hostile).to_have_text(HOSTILE)
    await expect(page.get_by_role("img", name=f"Photo of {HOSTILE}")).to_be_visible()
    await page.get_by_label("Search by name").fill("<script>")
    await expect(page.locator("#grid .card")).to_have_count(1)
    await page.get_by_role("link", name=f"Delete {HOSTILE}").click()  # dismissed
    await expect(page.locator("#grid .card")).to_have_count(1)
    assert tab.dialogs == [f"Delete “{HOSTILE}”? This cannot be undone."]
    await hostile.click()
    await expect(page.locator("#item-title")).to_have_text(HOSTILE)
    await expect(page).to_have_title(f"{HOSTILE} · gamecoll")
    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Name")).to_have_value(HOSTILE)
    injected = await page.evaluate("document.querySelectorAll('main script').length")
    assert injected == 0
    # An error answer is shown, not dropped: the neighbour is deleted elsewhere, then asked for.
    await page.get_by_role("link", name="Cancel").click()
    await page.goto(page.url.split("?", 1)[0])  # without the search, "Plain" is the neighbour
    previous = page.locator('[data-nav="newer"]')
    plain_url = await previous.get_attribute("href")
    assert plain_url
    async with httpx.AsyncClient(base_url=live.url) as api:
        gone = await api.delete(
            "/collection/items/" + plain_url.rsplit("/", 1)[1],
            headers={"Authorization": f"Bearer {account['token']}"},
        )
        assert gone.status_code == 204
    await page.keyboard.press("ArrowLeft")
    await expect(page.locator("#flash [role=alert]")).to_contain_text("No such item")
    await expect(page.locator("#item-title")).to_have_text(HOSTILE)  # still here
    # Tab.problems records any alert(1) and any CSP report; the fixture fails on them.


async def test_phone_width_dark_theme_and_keyboard(browsers: Browsers, live: LiveApp) -> None:
    names = [f"Phone game {n}" for n in range(1, 8)]
    account = await new_account(live, names)
    tab = await browsers.tab(width=360, height=740, mobile=True, color_scheme="dark")
    page = tab.page
    await tab.goto("/login")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert await page.evaluate(fits)
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 19, 24)", background  # the dark theme follows the system
    # The keyboard: the first Tab lands on the visible skip link, with a focus ring.
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_text("Skip to content")
    assert await focused.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    await log_in(tab, account["email"])
    await expect(page.locator("#grid .card")).to_have_count(7)
    columns = await page.evaluate(
        "getComputedStyle(document.getElementById('grid')).gridTemplateColumns.split(' ').length"
    )
    assert columns == 2
    for path in ("/gallery", "/settings"):
        await tab.goto(path)
        assert await page.evaluate(fits), path
        await check_labels(tab)
    await tab.goto("/gallery")
    await screenshot(tab, "gallery-phone-dark")
    await page.locator("#grid .card-link").first.click()
    await expect(page.locator("#item-title")).to_have_text("Phone game 7")
    assert await page.evaluate(fits)
    await check_labels(tab)
    await screenshot(tab, "detail-phone-dark")


async def check_labels(tab: Tab) -> None:
    """Every visible form control has a label, every image an alt text."""
    unlabelled = await tab.page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && !el.hidden)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    no_alt = await tab.page.evaluate(
        "() => [...document.images].filter(img => !img.alt).map(img => img.outerHTML)"
    )
    assert no_alt == []
