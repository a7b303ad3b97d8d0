"""The gallery, finished (issue 15): each item at laptop and phone size, with and without
JavaScript where it applies. The fixtures run axe on every state and fail on console errors."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import expect

from tests.conftest import LiveApp
from tests.e2e.conftest import SIZES, Browsers, Tab
from tests.e2e.pictures import loaded_source, png_base64
from tests.e2e.test_browser_more import log_in, new_account

MIB = 1024 * 1024
LIMIT_TEXT = "1 MiB"
LONG_NAME = "The Legend of a Very Long Cartridge Name " * 4 + "Deluxe Edition Remastered"

expect.set_options(timeout=10_000)


@pytest.fixture
def app_env() -> dict[str, str]:
    """A 1 MiB limit per photo (about 1.4 MB per request), so batches outgrow one request."""
    return {"MAX_IMAGE_BYTES": str(MIB)}


def jpeg(width: int, height: int) -> bytes:
    """A smooth JPEG (small in bytes whatever its size)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def noise_png(side: int, seed: int) -> bytes:
    """A PNG of noise: about 3 bytes a pixel."""
    return base64.b64decode(png_base64(side, side, seed))


async def api_item(live: LiveApp, token: str, name: str, image: bytes | None) -> dict[str, Any]:
    """Add a game through the API (with the renditions made before it answers)."""
    body: dict[str, Any] = {"name": name, "platform": "NES"}
    if image is not None:
        body["image"] = base64.b64encode(image).decode()
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as api:
        answer = await api.post(
            "/collection/items", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def open_tab(browsers: Browsers, size: str, **extra: Any) -> Tab:
    return await browsers.tab(**SIZES[size], **extra)


@pytest.mark.parametrize("size", SIZES)
async def test_photo_is_added_changed_and_removed_in_place(
    browsers: Browsers, live: LiveApp, size: str, tmp_path: Path
) -> None:
    account = await new_account(live, [])
    await api_item(live, account["token"], "Bare", None)
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in(tab, account["email"])
    await page.get_by_role("link", name="Bare").first.click()
    await expect(page.get_by_role("img", name="No photo yet")).to_be_visible()
    url = page.url
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(jpeg(900, 600))
    await page.get_by_label("Photo", exact=True).set_input_files(str(cover))
    await page.get_by_role("button", name="Add the photo").click()
    await expect(page.get_by_role("img", name="Photo of Bare")).to_be_visible()
    await expect(page.locator("#photo .message")).to_have_text("The photo has been saved.")
    await expect(page.locator("#photo .message")).to_be_focused()
    assert page.url == url  # in place
    # The same checks and messages as any upload: a file that is not an image.
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    await page.get_by_label("New photo").set_input_files(str(notes))
    await page.get_by_role("button", name="Change the photo").click()
    await expect(page.locator("#photo-file-error")).to_contain_text("notes.txt: ")
    await expect(page.get_by_label("New photo")).to_be_focused()
    await expect(page.get_by_role("img", name="Photo of Bare")).to_be_visible()  # kept
    # Too big: refused before sending, naming the real limit.
    big = tmp_path / "huge.png"
    big.write_bytes(noise_png(720, 1))
    sent = len([u for u in tab.requests if u.endswith("/photo")])
    await page.get_by_label("New photo").set_input_files(str(big))
    await page.get_by_role("button", name="Change the photo").click()
    await expect(page.locator("#flash")).to_contain_text(
        f"huge.png: this photo is 1.48 MiB; the limit is {LIMIT_TEXT} per photo."
    )
    assert len([u for u in tab.requests if u.endswith("/photo")]) == sent
    # Changed, then removed (after the confirmation).
    other = tmp_path / "other.jpg"
    other.write_bytes(jpeg(600, 900))
    await page.get_by_label("New photo").set_input_files(str(other))
    await page.get_by_role("button", name="Change the photo").click()
    await expect(page.get_by_text(re.compile(r"^600 . 900 px"))).to_be_visible()
    await page.get_by_role("button", name="Remove the photo").click()
    await expect(page.get_by_role("img", name="No photo yet")).to_be_visible()
    await expect(page.locator("#photo .message")).to_have_text("The photo has been removed.")
    assert tab.dialogs[-1] == "Remove the photo of “Bare”? The game stays."


@pytest.mark.parametrize("size", SIZES)
async def test_photo_without_javascript(
    browsers: Browsers, live: LiveApp, size: str, tmp_path: Path
) -> None:
    account = await new_account(live, [])
    await api_item(live, account["token"], "Bare", None)
    tab = await open_tab(browsers, size, javascript=False)
    page = tab.page
    await log_in(tab, account["email"])
    await page.get_by_role("link", name="Bare").first.click()
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(jpeg(900, 600))
    await page.get_by_label("Photo", exact=True).set_input_files(str(cover))
    await page.get_by_role("button", name="Add the photo").click()
    await expect(page.get_by_text("The photo has been saved.")).to_be_visible()
    await expect(page.get_by_role("img", name="Photo of Bare")).to_be_visible()
    big = tmp_path / "huge.png"
    big.write_bytes(noise_png(720, 2))
    await page.get_by_label("New photo").set_input_files(str(big))
    await page.get_by_role("button", name="Change the photo").click()
    # Refused before it is read (the body is over the request limit): the page names the
    # per-photo limit.
    await expect(page.get_by_role("alert")).to_contain_text(
        f"Each photo can be at most {LIMIT_TEXT}: go back and choose a smaller one."
    )
    await page.go_back()
    await page.get_by_role("button", name="Remove the photo").click()
    await expect(page.get_by_text("The photo has been removed.")).to_be_visible()
    await expect(page.get_by_role("img", name="No photo yet")).to_be_visible()
    await page.reload()
    await expect(page.get_by_text("The photo has been removed.")).to_have_count(0)  # once


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("size", SIZES)
async def test_leaving_a_game_lands_on_its_card(
    browsers: Browsers, live: LiveApp, size: str, javascript: bool
) -> None:
    account = await new_account(live, [f"Game {n:02d}" for n in range(1, 31)])
    tab = await open_tab(browsers, size, javascript=javascript)
    page = tab.page
    await log_in(tab, account["email"])
    if javascript:  # scroll until the second page has come in
        await page.locator("#grid > li.more").scroll_into_view_if_needed()
        await expect(page.locator("#grid > li.card")).to_have_count(30)
        target = "Game 04"
    else:
        target = "Game 08"  # the 23rd card of the first page
    await page.get_by_role("link", name=target, exact=False).first.click()
    await expect(page.locator("#item-title")).to_have_text(target)
    await page.get_by_role("link", name="← All games").click()
    await expect(page).to_have_url(re.compile(r"/gallery\?at=[0-9a-f-]{36}#item-"))
    card = page.locator("#grid > li.card").filter(has_text=target)
    await expect(card).to_be_in_viewport()
    names = await page.locator("#grid .card-name").all_inner_texts()
    assert names[0] == "Game 30" and target in names  # the cards above it are there
    if javascript:
        await expect(card.locator(".card-link")).to_be_focused()
        # Back from a game lands there too.
        await page.locator(".card-link[title='Game 05']").click()
        await expect(page.locator("#item-title")).to_have_text("Game 05")
        await page.go_back()
        back = page.locator("#grid > li.card").filter(has_text="Game 05")
        await expect(back.locator(".card-link")).to_be_focused()
        await expect(back).to_be_in_viewport()
    else:
        assert await card.evaluate("li => li.matches(':target')")


@pytest.mark.parametrize("size", SIZES)
async def test_detail_shows_the_display_rendition_and_cards_use_srcset(
    browsers: Browsers, live: LiveApp, size: str
) -> None:
    account = await new_account(live, [f"Small {n}" for n in range(1, 8)])
    await api_item(live, account["token"], "Wide", jpeg(3000, 2000))
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in(tab, account["email"])
    wide = page.get_by_role("img", name="Photo of Wide")
    await expect(wide).to_have_attribute("width", "400")
    await expect(wide).to_have_attribute("height", "267")
    current = await loaded_source(wide)
    # 400 px thumbnails on a 1x screen; the 800 px one on a 3x phone.
    assert ("/thumbnail/2x?" in current) == (size == "phone"), current
    lazy = page.locator("#grid img[loading=lazy]")
    await expect(lazy).to_have_count(2)  # all but the first six
    await page.get_by_role("link", name="Wide").first.click()
    photo = page.get_by_role("img", name="Photo of Wide")
    await expect(photo).to_be_visible()
    await expect(photo).to_have_attribute("width", "1600")
    await expect(photo).to_have_attribute("height", "1067")
    assert "/display?" in await loaded_source(photo)
    assert not [url for url in tab.requests if "/image/raw" in url]  # the original stays put
    srcset = await photo.get_attribute("srcset") or ""
    assert re.fullmatch(r"\S+/display\?v=\w+ 1600w, \S+/image/raw\?v=\w+ 3000w", srcset)
    # Paging with the keys does not fetch originals either.
    if size == "desktop":
        await page.keyboard.press("ArrowRight")
        await expect(page.locator("#item-title")).to_have_text("Small 7")
        assert not [url for url in tab.requests if "/image/raw" in url]


@pytest.mark.parametrize("size", SIZES)
async def test_batches_of_any_size_with_a_result_per_photo(
    browsers: Browsers, live: LiveApp, size: str, tmp_path: Path
) -> None:
    account = await new_account(live, [])
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in(tab, account["email"])
    files = []
    for index in range(4):  # about 2.4 MB together: more than one request may carry
        path = tmp_path / f"Photo {index + 1}.png"
        path.write_bytes(noise_png(450, index))
        files.append(str(path))
    big = tmp_path / "Too big.png"
    big.write_bytes(noise_png(720, 9))
    files.insert(2, str(big))
    await page.get_by_label("Photos", exact=True).set_input_files(files)
    await expect(page.locator("#chosen")).to_contain_text("5 photos chosen")
    await page.get_by_role("button", name="Add", exact=True).click()
    rows = page.locator("#upload-files li")
    await expect(rows).to_have_count(5)
    statuses = rows.locator(".file-status")
    await expect(statuses).to_have_text(
        [
            "Added",
            "Added",
            f"Not added: this photo is 1.48 MiB; the limit is {LIMIT_TEXT} per photo.",
            "Added",
            "Added",
        ]
    )
    summary = page.locator("#upload-results .message")
    await expect(summary).to_have_text("Added 4 games. 1 photo was not added: see below.")
    await expect(summary).to_be_focused()
    await expect(page.locator("#grid > li.card")).to_have_count(4)
    names = await page.locator("#grid .card-name").all_inner_texts()
    assert names == ["Photo 4", "Photo 3", "Photo 2", "Photo 1"]
    # A new batch (a new photo: the ones above would now be duplicates): the old results go.
    another = tmp_path / "Another.png"
    another.write_bytes(noise_png(450, 5))
    await page.get_by_label("Photos", exact=True).set_input_files(str(another))
    await page.get_by_label("Name", exact=True).fill("Zelda")
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(rows).to_have_count(1)
    await expect(summary).to_have_text("Added 1 game.")
    await expect(page.locator("#grid .card-name").first).to_have_text("Zelda")


DROP = """([selector, names]) => {
  const transfer = new DataTransfer();
  for (const name of names) {
    transfer.items.add(new File([new Uint8Array([137, 80, 78, 71])], name, {type: 'image/png'}));
  }
  const target = document.querySelector(selector);
  const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
  target.dispatchEvent(new DragEvent('dragenter', init));
  target.dispatchEvent(new DragEvent('dragover', init));
  return target.dispatchEvent(new DragEvent('drop', init));  // false: the page took it
}"""


@pytest.mark.parametrize("size", SIZES)
async def test_a_drop_anywhere_is_taken_and_never_navigates(
    browsers: Browsers, live: LiveApp, size: str
) -> None:
    account = await new_account(live, ["Kept"])
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in(tab, account["email"])
    upload = page.locator("#upload")
    await expect(upload).not_to_have_attribute("open", "")  # collapsed: there are games
    assert await page.evaluate(DROP, ["h1", ["a.png", "b.png"]]) is False
    await expect(upload).to_have_attribute("open", "")
    await expect(page.locator("#chosen")).to_contain_text("2 photos chosen")
    assert await page.evaluate("document.getElementById('images').files.length") == 2
    # On a game's page a drop goes to its photo form; elsewhere it is refused.
    await page.get_by_role("link", name="Kept").first.click()
    assert await page.evaluate(DROP, [".facts", ["c.png"]]) is False
    assert await page.evaluate("document.getElementById('photo-file').files.length") == 1
    await tab.goto("/settings")
    assert await page.evaluate(DROP, ["main", ["d.png"]]) is False
    await expect(page).to_have_url(re.compile(r"/settings$"))


@pytest.mark.parametrize("size", SIZES)
async def test_long_names_cropped_photos_and_a_big_file_button(
    browsers: Browsers, live: LiveApp, size: str
) -> None:
    account = await new_account(live, [])
    await api_item(live, account["token"], LONG_NAME, jpeg(800, 300))
    tab = await open_tab(browsers, size)
    page = tab.page
    await log_in(tab, account["email"])
    card = page.locator("#grid > li.card").first
    name = card.locator(".card-name")
    line = await name.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    box = await name.bounding_box()
    assert box and box["height"] <= 2 * line + 1  # two lines
    assert (await card.bounding_box() or {"height": 999})["height"] < 520
    await expect(card.locator(".card-link")).to_have_attribute("title", LONG_NAME)
    image = card.get_by_role("img")
    assert await image.evaluate("img => getComputedStyle(img).objectFit") == "cover"
    await page.locator("#upload summary").click()
    button = await page.get_by_label("Photos", exact=True).bounding_box()
    assert button and button["height"] >= 44
    hint = page.locator(".drop-hint")
    if size == "phone":
        await expect(hint).to_be_hidden()  # nothing to drop from on a phone
    else:
        await expect(hint).to_be_visible()
    await card.locator(".card-link").click()
    await expect(page.locator("#item-title")).to_have_text(LONG_NAME)
