"""What a person does, in a real Chromium: from registering to logging out."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest
from playwright.async_api import expect

from tests.conftest import LiveApp, free_port
from tests.e2e.conftest import Browsers, Tab, screenshot
from tests.e2e.local_servers import LocalServer
from tests.e2e.pictures import box_art_base64, loaded_source, png_base64

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "an entirely different passphrase"
SEEDED = 58  # with the two uploaded photos: 60 games

expect.set_options(timeout=10_000)

DROP_FILES = """([files]) => {
  const zone = document.querySelector('[data-dropzone]');
  const transfer = new DataTransfer();
  for (const [name, data] of files) {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type: 'image/png'}));
  }
  transfer.items.add(new File(['not an image'], 'readme.txt', {type: 'text/plain'}));
  const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
  zone.dispatchEvent(new DragEvent('dragover', init));
  zone.dispatchEvent(new DragEvent('drop', init));
  return document.getElementById('images').files.length;
}"""

WATCH_PROGRESS = """() => {
  window.__progress = [];
  const list = document.getElementById('upload-files');
  new MutationObserver(() => {
    for (const row of list.querySelectorAll('li')) {
      window.__progress.push({
        name: row.querySelector('.file-name').textContent,
        value: Number(row.querySelector('progress').value),
        status: row.querySelector('.file-status').textContent,
      });
    }
  }).observe(list, {subtree: true, attributes: true, childList: true, characterData: true});
  window.__samePage = true;
}"""


async def register_in_browser(tab: Tab, email: str) -> None:
    await tab.goto("/gallery")
    await expect(tab.page).to_have_url(re.compile(r"/login$"))
    await tab.page.get_by_role("link", name="Register").last.click()
    await tab.page.get_by_label("Email").fill(email)
    await tab.page.get_by_label("Username (optional)").fill("walker")
    await tab.page.get_by_label("Password").fill(PASSWORD)
    await tab.page.get_by_role("button", name="Create account").click()
    await expect(tab.page).to_have_url(re.compile(r"/gallery$"))
    await expect(tab.page.get_by_text("Your collection is empty.")).to_be_visible()
    await tab.page.wait_for_load_state("load")  # its scripts have run (see log_in)


async def log_in(tab: Tab, identifier: str, password: str) -> None:
    await tab.page.get_by_label("Email or username").fill(identifier)
    await tab.page.get_by_label("Password").fill(password)
    await tab.page.get_by_role("button", name="Log in").click()


async def seed(live: LiveApp, identifier: str, count: int) -> None:
    """Add games through the JSON API, as another client of the same account would."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        login = await api.post("/auth/login", json={"username": identifier, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for n in range(1, count + 1):
            body = {"name": f"Game {n:02d}", "platform": "SNES" if n % 2 else "Mega Drive"}
            if n % 5:  # a few without a photo
                body["image"] = box_art_base64(f"Game {n:02d}", n)
            response = await api.post("/collection/items", json=body, headers=headers)
            assert response.status_code == 201, response.text


async def gpu_endpoint_settings(tab: Tab, answering: LocalServer, silent: LocalServer) -> None:
    page = tab.page
    await page.get_by_role("link", name="Settings").click()
    await expect(page).to_have_url(re.compile(r"/settings$"))
    field = page.get_by_label("Endpoint URL")
    test_button = page.get_by_role("button", name="Test connection")
    result = page.locator("#gpu-test-result")
    # A bad URL is refused next to the field.
    await field.fill("ftp://192.168.1.20")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#gpu_endpoint-error")).to_have_text(
        "The URL must start with http:// or https://."
    )
    await expect(field).to_be_focused()
    # The answering server: saved, then tested from the browser.
    await field.fill(answering.url)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("GPU endpoint saved.")).to_be_visible()
    await test_button.click()
    await expect(result).to_have_text(re.compile(r"^Connected: 127\.0\.0\.1:\d+ answered in"))
    assert answering.agents and all("Chrome" in agent for agent in answering.agents)
    # Nothing listens on this port: no answer.
    await field.fill(f"http://127.0.0.1:{free_port()}/")
    await test_button.click()
    await expect(result).to_have_text(re.compile(r"^No answer: could not connect to"))
    # A server that accepts and never answers: the test gives up after its timeout.
    await field.fill(silent.url)
    await test_button.evaluate("button => button.setAttribute('data-timeout-ms', '800')")
    await test_button.click()
    await expect(result).to_have_text(re.compile(r"did not answer within 0\.8 seconds\.$"))
    assert silent.agents, "the browser did call the silent server"
    await field.fill(answering.url)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("GPU endpoint saved.")).to_be_visible()


async def upload_two_photos(tab: Tab) -> None:
    page = tab.page
    await page.get_by_role("link", name="Gallery").click()
    await expect(page.locator("#upload")).to_have_attribute("open", "")
    files = [
        ["Final Fantasy VII.png", png_base64(320, 320, seed=7)],
        ["Tekken 3.png", png_base64(320, 320, seed=3)],
    ]
    kept = await page.evaluate(DROP_FILES, [files])
    assert kept == 2  # the text file is left out
    await expect(page.locator("#chosen")).to_contain_text("2 photos chosen")
    await expect(page.locator("#chosen")).to_contain_text("left out")
    await page.get_by_label("Platform", exact=True).first.fill("PlayStation")
    await page.evaluate(WATCH_PROGRESS)
    # Slow the upload down so that the progress bar has something to show.
    cdp = await tab.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page.locator("#grid > li.card")).to_have_count(2)
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    await cdp.detach()
    await expect(page.get_by_text("Added 2 games.")).to_be_visible()
    progress = await page.evaluate("window.__progress")
    assert progress, "no upload progress shown"
    for name in ("Final Fantasy VII.png", "Tekken 3.png"):  # each photo's own bar moved
        values = [p["value"] for p in progress if p["name"] == name]
        assert any(0 < value < 100 for value in values), progress
        assert values[-1] == 100
    # A result per photo.
    rows = page.locator("#upload-files li")
    await expect(rows).to_have_count(2)
    await expect(rows.locator(".file-status")).to_have_text(["Added", "Added"])
    assert await page.evaluate("window.__samePage") is True  # no reload: cards came by htmx
    names = await page.locator("#grid .card-name").all_inner_texts()
    assert names == ["Tekken 3", "Final Fantasy VII"]
    await expect(page.locator("#grid img").first).to_have_attribute("alt", "Photo of Tekken 3")


async def search(tab: Tab) -> None:
    page = tab.page
    searches: list[str] = []
    page.on(
        "request",
        lambda request: searches.append(request.url) if "/gallery?q=" in request.url else None,
    )
    await page.get_by_label("Search by name").press_sequentially("tekken", delay=40)
    await expect(page).to_have_url(re.compile(r"/gallery\?q=tekken$"))
    await expect(page.locator("#grid > li.card")).to_have_count(1)
    assert len(searches) == 1, searches  # typing is debounced: one request
    await page.reload()  # the search is in the URL, so a reload keeps it
    await expect(page.get_by_label("Search by name")).to_have_value("tekken")
    await expect(page.locator("#grid > li.card")).to_have_count(1)
    await page.get_by_label("Platform", exact=True).last.fill("mega drive")
    await page.get_by_label("Search by name").fill("")
    await expect(page).to_have_url(re.compile(r"/gallery\?platform=mega(%20|\+)drive$"))
    await expect(page.locator("#grid > li.card")).to_have_count(24)
    await page.go_back()  # both changes came within the debounce: one history entry
    await expect(page.get_by_label("Search by name")).to_have_value("tekken")
    await expect(page.locator("#grid > li.card")).to_have_count(1)


async def scroll_through_sixty(tab: Tab) -> None:
    page = tab.page
    await tab.goto("/gallery")
    cards = page.locator("#grid > li.card")
    await expect(cards).to_have_count(24)
    assert await page.locator("#grid img[loading=lazy]").count() > 0
    for expected in (48, 60):
        await page.locator("#grid > li.more").scroll_into_view_if_needed()
        await expect(cards).to_have_count(expected)
    await page.mouse.wheel(0, 10_000)
    await expect(page.locator("#grid > li.more")).to_have_count(0)
    names = await page.locator("#grid .card-name").all_inner_texts()
    assert names[0] == f"Game {SEEDED:02d}" and names[-1] == "Final Fantasy VII"
    assert len(set(names)) == 60
    await page.evaluate("window.scrollTo(0, 0)")
    await screenshot(tab, "gallery")


async def detail_and_keyboard(tab: Tab) -> None:
    page = tab.page
    await page.get_by_role("link", name="Photo of Game 31 Game 31").click()
    await expect(page).to_have_url(re.compile(r"/gallery/[0-9a-f-]{36}$"))
    await expect(page.locator("#item-title")).to_have_text("Game 31")
    photo = page.get_by_role("img", name="Photo of Game 31")
    await expect(photo).to_be_visible()
    await loaded_source(photo)
    await screenshot(tab, "detail")
    game31 = page.url
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#item-title")).to_have_text("Game 30")
    await expect(page).to_have_title("Game 30 · gamecoll")
    assert page.url != game31
    await page.keyboard.press("ArrowLeft")
    await expect(page.locator("#item-title")).to_have_text("Game 31")
    assert page.url == game31
    await page.keyboard.press("ArrowLeft")
    await expect(page.locator("#item-title")).to_have_text("Game 32")
    await page.go_back()  # history restore asks the server for the whole page
    await expect(page.locator("#item-title")).to_have_text("Game 31")
    await page.keyboard.press("Escape")
    await back_on_the_card(tab, "Game 31")
    await page.goto(game31)  # a shared link opens directly
    await expect(page.locator("#item-title")).to_have_text("Game 31")


async def edit_in_place(tab: Tab) -> None:
    page = tab.page
    url = page.url
    await page.get_by_role("link", name="Edit").click()
    name = page.get_by_label("Name")
    await expect(name).to_have_value("Game 31")
    await expect(name).to_be_focused()  # focus follows the swap
    assert page.url == url  # in place
    await name.fill("")
    await page.get_by_role("button", name="Save").click()
    assert await name.evaluate("input => input.validity.valueMissing")  # the browser says so
    await name.fill("   ")  # passes `required`; the server trims it and says why not
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#edit-name-error")).to_have_text("Enter a name.")
    await expect(page.get_by_label("Name")).to_be_focused()
    name = page.get_by_label("Name")
    await name.fill("Game 31: Special Edition")
    await page.get_by_label("Notes").fill("Boxed, with the map.\nSecond line.")
    await page.keyboard.press("ArrowLeft")  # typing in a field does not navigate
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#item-title")).to_have_text("Game 31: Special Edition")
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await expect(page.locator(".notes")).to_have_text("Boxed, with the map.\nSecond line.")
    await page.keyboard.press("Escape")
    await back_on_the_card(tab, "Game 31: Special Edition")
    await tab.goto("/gallery")


async def back_on_the_card(tab: Tab, name: str) -> None:
    """Back on the grid at the game's card, focused, with every card above it loaded."""
    page = tab.page
    await expect(page).to_have_url(re.compile(r"/gallery\?at=[0-9a-f-]{36}#item-[0-9a-f-]{36}$"))
    focused = page.locator(":focus")
    await expect(focused).to_have_attribute("title", name)
    names = await page.locator("#grid .card-name").all_inner_texts()
    assert names.index(name) == SEEDED - 31  # Game 58 ... Game 32 above it
    assert len(names) == 48  # the pages down to its own
    await expect(focused).to_be_in_viewport()


async def delete_one(tab: Tab) -> None:
    page = tab.page
    cards = page.locator("#grid > li.card")
    await expect(cards).to_have_count(24)
    first = cards.first
    name = await first.locator(".card-name").inner_text()
    await first.get_by_role("link", name=f"Delete {name}").click()
    await expect(page.locator("#grid .card-name").first).not_to_have_text(name)
    await expect(page.locator("#flash")).to_contain_text(f"Deleted “{name}”.")
    assert tab.dialogs[-1] == f"Delete “{name}”? This cannot be undone."
    await expect(cards).to_have_count(23)
    await page.reload()
    assert name not in await page.locator("#grid .card-name").all_inner_texts()


async def change_password_ends_other_session(
    tab: Tab, other: Tab, email: str, live: LiveApp
) -> None:
    await other.goto("/login")
    await log_in(other, email, PASSWORD)
    await expect(other.page).to_have_url(re.compile(r"/gallery$"))
    page = tab.page
    await page.get_by_role("link", name="Settings").click()
    sessions = page.locator("#sessions li.session")
    await expect(sessions).to_have_count(3)  # this browser, the other one, the API login
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_text("Password changed.")).to_be_visible()
    await expect(sessions).to_have_count(1)
    await screenshot(tab, "settings", full_page=True)
    # The other browser finds out on its next htmx request: it is asked to log in again in
    # place, and what was typed stays.
    await other.page.get_by_label("Search by name").fill("game 1")
    dialog = other.page.get_by_role("dialog", name="Log in again")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Email or username")).to_have_value(email)
    await dialog.get_by_label("Password").fill(PASSWORD)  # the old one
    await dialog.get_by_role("button", name="Log in").click()
    await expect(dialog.get_by_role("alert")).to_have_text(
        "The email, username or password is not right."
    )
    await expect(dialog.get_by_label("Password")).to_be_focused()
    await dialog.get_by_label("Password").fill(NEW_PASSWORD)
    await dialog.get_by_role("button", name="Log in").click()
    await expect(dialog).to_be_hidden()
    # The search is made again: its results, and the typed text where it was.
    await expect(other.page).to_have_url(re.compile(r"/gallery\?q=game(%20|\+)1$"))
    await expect(other.page.get_by_label("Search by name")).to_have_value("game 1")
    await expect(other.page.locator("#grid .card-name").first).to_have_text("Game 19")


@pytest.mark.parametrize("db_kind", ["sqlite", "postgres"])
async def test_walkthrough(
    browsers: Browsers,
    live: LiveApp,
    local_servers: Callable[..., Awaitable[LocalServer]],
) -> None:
    email = "walker@example.com"
    tab = await browsers.tab()
    await register_in_browser(tab, email)
    # Log out and back in, with a wrong password first.
    await tab.page.get_by_role("button", name="Log out", exact=True).click()
    await expect(tab.page.get_by_text("You are logged out.")).to_be_visible()
    await log_in(tab, "walker", "not my password")
    await expect(
        tab.page.get_by_text("The email, username or password is not right.")
    ).to_be_visible()
    await expect(tab.page.get_by_label("Email or username")).to_have_value("walker")
    await expect(tab.page.get_by_label("Password")).to_be_focused()  # where to act next
    await log_in(tab, "walker", PASSWORD)
    await expect(tab.page).to_have_url(re.compile(r"/gallery$"))
    await tab.page.wait_for_load_state("load")

    answering, silent = await local_servers(answer=True), await local_servers(answer=False)
    await gpu_endpoint_settings(tab, answering, silent)
    await upload_two_photos(tab)
    await seed(live, email, SEEDED)
    await search(tab)
    await scroll_through_sixty(tab)
    await detail_and_keyboard(tab)
    await edit_in_place(tab)
    await delete_one(tab)
    await change_password_ends_other_session(tab, await browsers.tab(), email, live)
    await tab.page.get_by_role("button", name="Log out", exact=True).click()
    await expect(tab.page).to_have_url(re.compile(r"/login\?notice=logged_out$"))
    await tab.goto("/settings")
    await expect(tab.page).to_have_url(re.compile(r"/login\?next=/settings$"))
