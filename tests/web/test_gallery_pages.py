"""The gallery: grid on the cursor, search, upload, detail, edit and delete."""

from __future__ import annotations

import re

from tests.conftest import LiveApp
from tests.web.conftest import Visitor, png, seed_items, visitor_client

HOSTILE = "<script>alert(1)</script>"


def card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="card" id="item-([0-9a-f-]+)"', html)


async def test_empty_gallery_says_what_to_do(member: Visitor) -> None:
    response = await member.get("/gallery")
    assert response.status_code == 200
    assert "hx-request" in response.headers["vary"].lower()
    html = response.text
    assert "Your collection is empty." in html
    assert '<details id="upload" class="panel upload" open>' in html  # the form is open
    assert 'method="post" action="/gallery" enctype="multipart/form-data"' in html
    assert 'type="file"' in html and "multiple" in html
    assert '<label for="images">Photos</label>' in html
    assert 'hx-push-url="true"' in html and "delay:300ms" in html


async def test_grid_pages_on_the_cursor(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(live, member.tokens, [f"Game {n:02d}" for n in range(1, 31)])
    page = await member.get("/gallery")
    ids = card_ids(page.text)
    assert len(ids) == 24
    assert ids[0] == made[-1]["id"]  # newest first
    first = made[-1]
    thumb = first["image"]["thumbnail_url"]
    assert f'src="{thumb}"' in page.text  # the API's versioned thumbnail URL
    # A photo smaller than the thumbnail is not enlarged: one candidate, at its own width.
    assert f'srcset="{thumb} 80w"' in page.text
    assert 'width="80" height="60"' in page.text  # nothing jumps while loading
    assert page.text.count('loading="lazy"') == 24 - 6
    more = re.search(r'<li class="more" hx-get="([^"]+)" hx-trigger="intersect once"', page.text)
    assert more is not None
    url = more.group(1).replace("&amp;", "&")
    assert f'<a class="button" href="{more.group(1)}">' in page.text  # no-JS: a link
    fragment = await member.htmx(url)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    rest = card_ids(fragment.text)
    assert len(rest) == 6 and not set(rest) & set(ids)
    assert 'class="more"' not in fragment.text  # the last page has no sentinel
    # Without htmx the same URL is a whole page (a link that works when shared).
    whole = await member.get(url)
    assert whole.text.startswith("<!doctype html>") and card_ids(whole.text) == rest
    # The thumbnail URL works with the same cookies.
    image = await member.get(thumb)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp"


async def test_search_answers_page_or_fragment(member: Visitor, live: LiveApp) -> None:
    await seed_items(live, member.tokens, ["Zelda", "Mario Kart", "Zelda II"], platform="NES")
    await seed_items(live, member.tokens, ["Super Mario 64"], platform="N64", image=False)
    fragment = await member.htmx("/gallery?q=zelda")
    assert fragment.status_code == 200
    assert "hx-request" in fragment.headers["vary"].lower()
    assert "<html" not in fragment.text
    assert len(card_ids(fragment.text)) == 2
    page = await member.get("/gallery?q=zelda")
    assert page.text.startswith("<!doctype html>")
    assert 'value="zelda"' in page.text and len(card_ids(page.text)) == 2
    # History restore (htmx asks without HX-Request) and htmx's own flag both get the page.
    restore = await member.htmx("/gallery?q=zelda", headers={"HX-History-Restore-Request": "true"})
    assert restore.text.startswith("<!doctype html>")
    platform = await member.htmx("/gallery?platform=n64")
    assert len(card_ids(platform.text)) == 1 and "Super Mario 64" in platform.text
    assert "No photo" in platform.text
    none = await member.htmx("/gallery?q=sonic")
    assert "No games match “sonic”." in none.text
    bad = await member.htmx("/gallery?cursor=nonsense")
    assert bad.status_code == 422
    assert bad.headers["hx-retarget"] == "#flash"
    assert "The cursor is not valid" in bad.text


async def test_upload_without_javascript(member: Visitor) -> None:
    response = await member.post(
        "/gallery",
        data={"csrf_token": member.csrf, "name": "Chrono Trigger", "platform": "SNES"},
        files=[("images", ("chrono.png", png(), "image/png"))],
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/gallery"
    page = await member.get("/gallery")
    assert "Added 1 game." in page.text
    assert "Added 1 game." not in (await member.get("/gallery")).text  # said once
    assert "Chrono Trigger" in page.text and "SNES" in page.text


async def test_upload_several_photos_with_htmx(member: Visitor) -> None:
    response = await member.htmx(
        "/gallery",
        {"name": "", "platform": "PS1", "notes": ""},
        files=[
            ("images", ("Final Fantasy VII.png", png(colour=(1, 2, 3)), "image/png")),
            ("images", ("Tekken 3.png", png(colour=(4, 5, 6)), "image/png")),
        ],
    )
    assert response.status_code == 200
    html = response.text
    assert len(card_ids(html)) == 2
    # Named after their files, newest (the last one) first: cards go to the top of the grid.
    assert html.index("Tekken 3") < html.index("Final Fantasy VII")
    assert '<details id="upload"' in html and 'hx-swap-oob="true"' in html
    assert "Added 2 games." in html


async def test_upload_errors_come_back_to_the_form(member: Visitor) -> None:
    nothing = await member.htmx("/gallery", {"name": "  "})
    assert nothing.status_code == 422
    assert nothing.headers["hx-retarget"] == "#upload"
    assert "Enter a name, or choose one or more photos." in nothing.text
    broken = await member.htmx(
        "/gallery",
        {"name": ""},
        files=[
            ("images", ("notes.txt", b"just text", "text/plain")),
            ("images", ("ok.png", png(), "image/png")),
        ],
    )
    assert broken.status_code == 200  # one of the two was added
    assert len(card_ids(broken.text)) == 1
    assert "notes.txt: This file is not an image in a known format" in broken.text
    only_bad = await member.post(
        "/gallery",
        data={"csrf_token": member.csrf},
        files=[("images", ("x.gif", b"GIF89a broken", "image/gif"))],
    )
    assert only_bad.status_code == 422
    assert only_bad.text.startswith("<!doctype html>")
    assert "x.gif:" in only_bad.text


async def test_detail_view_with_neighbours(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(live, member.tokens, ["Oldest", "Middle", "Newest"])
    oldest, middle, newest = (item["id"] for item in made)
    page = await member.get(f"/gallery/{middle}")
    assert page.status_code == 200
    html = page.text
    assert "<title>Middle · gamecoll</title>" in html
    image = made[1]["image"]
    # The display rendition is shown (not the original); a click opens the original.
    assert f'src="{image["display_url"]}"' in html
    assert f'<a href="{image["raw_url"]}" title="Open the full-size photo' in html
    assert 'alt="Photo of Middle"' in html
    assert 'data-nav="newer"' in html and f'href="/gallery/{newest}"' in html
    assert f'href="/gallery/{oldest}"' in html and 'aria-keyshortcuts="ArrowRight"' in html
    assert 'data-nav="back"' in html
    fragment = await member.htmx(f"/gallery/{oldest}")
    assert fragment.text.startswith("<title>Oldest · gamecoll</title>")
    assert '<article id="detail"' in fragment.text
    assert 'data-nav="older"' not in fragment.text  # the last one
    # Neighbours follow the search the grid had.
    filtered = await member.get(f"/gallery/{newest}?q=est")  # Oldest and Newest match
    assert 'data-nav="newer"' not in filtered.text
    assert f'href="/gallery/{oldest}?q=est"' in filtered.text  # Middle is skipped
    # "All games" goes back to this card in the same search, with the cards above it.
    assert f'href="/gallery?q=est&amp;at={newest}#item-{newest}"' in filtered.text


async def test_another_users_item_is_not_found(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(live, member.tokens, ["Mine"])
    async with visitor_client(live) as http:
        from tests.web.conftest import new_member

        stranger = await new_member(live, http)
        for response in (
            await stranger.get(f"/gallery/{made[0]['id']}"),
            await stranger.form(f"/gallery/{made[0]['id']}", {"name": "Stolen"}),
            await stranger.form(f"/gallery/{made[0]['id']}/delete", {}),
        ):
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("text/html")
    assert "Mine" in (await member.get(f"/gallery/{made[0]['id']}")).text


async def test_edit_in_place(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(live, member.tokens, ["Metroid"])
    item_id = made[0]["id"]
    form = await member.htmx(f"/gallery/{item_id}/edit")
    assert form.text.lstrip().startswith('<section id="facts"')
    assert 'value="Metroid"' in form.text and '<label for="edit-name">Name</label>' in form.text
    bad = await member.htmx(f"/gallery/{item_id}", {"name": "", "platform": "", "notes": ""})
    assert bad.status_code == 422
    assert "Enter a name." in bad.text and 'aria-invalid="true"' in bad.text
    ok = await member.htmx(
        f"/gallery/{item_id}", {"name": "Super Metroid", "platform": "SNES", "notes": "Boxed\nCIB"}
    )
    assert ok.status_code == 200
    assert ok.text.lstrip().startswith('<section id="facts"')
    assert "Super Metroid" in ok.text and "Saved." in ok.text and "Boxed\nCIB" in ok.text
    cancel = await member.htmx(f"/gallery/{item_id}", headers={"HX-Target": "facts"})
    assert cancel.text.lstrip().startswith('<section id="facts"')
    # Without JavaScript: the edit page, then a redirect back to the detail page.
    page = await member.get(f"/gallery/{item_id}/edit")
    assert page.text.startswith("<!doctype html>") and 'id="edit-form"' in page.text
    saved = await member.form(f"/gallery/{item_id}", {"name": "Metroid Prime", "platform": "GC"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/gallery/{item_id}"
    assert "Saved." in (await member.get(saved.headers["location"])).text
    assert "Saved." not in (await member.get(saved.headers["location"])).text  # said once


async def test_add_change_and_remove_the_photo(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(live, member.tokens, ["Bare"])
    item_id = made[0]["id"]
    await member.htmx(f"/gallery/{item_id}/photo/delete", {})
    page = (await member.get(f"/gallery/{item_id}")).text
    assert "No photo yet" in page and "Add the photo" in page
    # Without JavaScript: a multipart post, then back to the page with the photo.
    added = await member.post(
        f"/gallery/{item_id}/photo",
        data={"csrf_token": member.csrf},
        files=[("image", ("cover.png", png(), "image/png"))],
    )
    assert added.status_code == 303 and added.headers["location"] == f"/gallery/{item_id}"
    page = (await member.get(f"/gallery/{item_id}")).text
    assert "The photo has been saved." in page and "Change the photo" in page
    assert 'alt="Photo of Bare"' in page
    # A file that is not an image: the same check and message as every upload.
    bad = await member.post(
        f"/gallery/{item_id}/photo",
        data={"csrf_token": member.csrf},
        files=[("image", ("notes.txt", b"hello", "text/plain"))],
    )
    assert bad.status_code == 422
    assert "notes.txt: " in bad.text and 'aria-invalid="true"' in bad.text
    assert 'alt="Photo of Bare"' in bad.text  # the old photo stays
    # With htmx: the detail view comes back with the photo gone.
    removed = await member.htmx(f"/gallery/{item_id}/photo/delete", {})
    assert removed.status_code == 200
    assert (
        removed.text.lstrip().startswith("<title>")
        and "The photo has been removed." in removed.text
    )
    assert "No photo yet" in removed.text


async def test_delete_from_the_grid_and_from_the_page(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(live, member.tokens, ["Keep", "Drop", "Also drop"])
    keep, drop, also = (item["id"] for item in made)
    grid = (await member.get("/gallery")).text
    assert 'hx-confirm="Delete “Drop”? This cannot be undone."' in grid
    response = await member.htmx(f"/gallery/{drop}/delete", {})
    assert response.status_code == 200
    assert 'id="flash" hx-swap-oob="innerHTML"' in response.text
    assert "Deleted “Drop”." in response.text
    assert (await member.get(f"/gallery/{drop}")).status_code == 404
    # Without JavaScript: a confirmation page, then the post.
    confirm = await member.get(f"/gallery/{also}/delete")
    assert "Delete “Also drop”?" in confirm.text
    assert f'action="/gallery/{also}/delete"' in confirm.text
    done = await member.form(f"/gallery/{also}/delete", {"next": "/gallery?platform=SNES"})
    assert done.status_code == 303
    assert done.headers["location"] == "/gallery?platform=SNES"  # the filter is kept
    assert "Deleted “Also drop”." in (await member.get("/gallery?platform=SNES")).text
    assert "Deleted" not in (await member.get("/gallery?platform=SNES")).text  # said once
    # The image goes with it.
    assert (await member.get(made[2]["image"]["thumbnail_url"])).status_code == 404
    # From the detail page htmx goes back to the grid.
    back = await member.htmx(f"/gallery/{keep}/delete", {"next": "//evil.example"})
    assert back.headers["hx-redirect"] == "/gallery"
    assert card_ids((await member.get("/gallery")).text) == []


async def test_hostile_names_are_text(member: Visitor, live: LiveApp) -> None:
    made = await seed_items(
        live, member.tokens, [HOSTILE], platform='"><img src=x onerror=alert(1)>'
    )
    item_id = made[0]["id"]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for html in (
        (await member.get("/gallery")).text,
        (await member.htmx("/gallery")).text,
        (await member.get(f"/gallery/{item_id}")).text,
        (await member.htmx(f"/gallery/{item_id}/edit")).text,
        (await member.get(f"/gallery/{item_id}/delete")).text,
    ):
        assert HOSTILE not in html
        assert "<img src=x" not in html
        assert escaped in html
