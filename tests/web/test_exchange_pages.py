"""The settings page's Export and Import sections, and an import's progress page."""

from __future__ import annotations

import asyncio
import json
import re

import httpx

from tests.web.conftest import Visitor, seed_items


async def wait_until_over(member: Visitor, url: str) -> str:
    """Poll the progress page as htmx does until the job is over; return its last fragment."""
    for _ in range(200):
        fragment = (await member.htmx(url)).text
        if "hx-trigger" not in fragment:
            return fragment
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_settings_offer_the_exports_and_an_import_form(member: Visitor) -> None:
    page = (await member.get("/settings")).text

    assert '<section id="export"' in page and '<section id="import"' in page
    for fmt in ("zip", "json", "csv"):
        assert f'href="/collection/export?format={fmt}"' in page
    assert 'name="file" type="file"' in page and 'name="dry_run"' in page


async def test_the_export_links_download_with_the_session_cookie(member: Visitor) -> None:
    await seed_items(member.live, member.tokens, ["Metroid"], image=False)

    response = await member.get("/collection/export?format=json")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["items"]] == ["Metroid"]


async def test_import_without_javascript_shows_the_report(member: Visitor) -> None:
    data = json.dumps({"items": [{"name": "Earthbound"}, {"platform": "no name"}]}).encode()

    response = await member.post(
        "/settings/import",
        data={"csrf_token": member.csrf},
        files=[("file", ("collection.json", data, "application/json"))],
    )
    assert response.status_code == 303
    page = await member.get(response.headers["location"])

    assert page.status_code == 200
    html = page.text
    assert "Done: 1 created, 0 updated, 0 unchanged, 1 refused, of 2 rows." in html
    assert re.search(r"<td>2</td><td></td><td>refused</td><td>name: ", html), html
    assert "Earthbound" in html


async def test_a_dry_run_with_htmx_polls_until_it_is_over(member: Visitor) -> None:
    data = json.dumps({"items": [{"name": "Mother 3"}]}).encode()

    started = await member.htmx(
        "/settings/import",
        data={"dry_run": "true"},
        files=[("file", ("c.json", data, "application/json"))],
    )
    assert started.status_code == 200 and started.headers["hx-redirect"].startswith(
        "/settings/import/"
    )
    fragment = await wait_until_over(member, started.headers["hx-redirect"])

    assert "Nothing was changed. Importing this file would create 1" in fragment
    async with httpx.AsyncClient(base_url=member.live.url) as api:
        listed = await api.get(
            "/collection/items",
            headers={"Authorization": f"Bearer {member.tokens['access_token']}"},
        )
    assert listed.json()["items"] == []


async def test_a_bad_file_comes_back_to_the_form(member: Visitor) -> None:
    no_file = await member.htmx("/settings/import", data={})
    not_utf8 = await member.post(
        "/settings/import",
        data={"csrf_token": member.csrf},
        files=[("file", ("c.csv", b"name\r\n\xff\xfe\r\n", "text/csv"))],
    )

    assert no_file.status_code == 422 and "Choose a file" in no_file.text
    assert '<section id="import"' in no_file.text
    assert not_utf8.status_code == 422 and "not UTF-8" in not_utf8.text


async def test_a_photo_already_in_the_gallery_is_not_added_twice(member: Visitor) -> None:
    from tests.web.conftest import png

    photo = png(colour=(9, 8, 7))
    first = await member.post(
        "/gallery",
        data={"csrf_token": member.csrf},
        files=[("images", ("a.png", photo, "image/png"))],
    )
    again = await member.post(
        "/gallery",
        data={"csrf_token": member.csrf},
        files=[("images", ("b.png", photo, "image/png"))],
    )
    allowed = await member.post(
        "/gallery",
        data={"csrf_token": member.csrf, "allow_duplicate": "true"},
        files=[("images", ("c.png", photo, "image/png"))],
    )

    assert first.status_code == 303 and allowed.status_code == 303
    assert again.status_code == 422
    assert "b.png: You already have this photo in your collection." in again.text
