"""The gallery's filters and sort, and the collector's details on the detail and edit views."""

from __future__ import annotations

import re
from typing import Any

from tests.api.items_support import ITEMS

from tests.conftest import LiveApp
from tests.helpers import bearer
from tests.web.conftest import Visitor


async def api_item(live: LiveApp, member: Visitor, **body: Any) -> dict[str, Any]:
    """Create an item through the JSON API as the member."""
    async with live.client() as api:
        response = await api.post(ITEMS, json=body, headers=bearer(member.tokens))
        assert response.status_code == 201, response.text
        item: dict[str, Any] = response.json()
        return item


async def api_get(live: LiveApp, member: Visitor, item_id: str) -> dict[str, Any]:
    async with live.client() as api:
        response = await api.get(f"{ITEMS}/{item_id}", headers=bearer(member.tokens))
        item: dict[str, Any] = response.json()
        return item


async def test_the_grid_filters_and_sorts_and_offers_the_users_platforms(
    member: Visitor, live: LiveApp
) -> None:
    await api_item(live, member, name="Zelda", platform="SNES", status="owned")
    await api_item(live, member, name="Mario", platform="snes", status="wishlist", tags=["Fun"])
    await api_item(live, member, name="Halo", platform="Xbox", status="owned", tags=["fun"])

    page = await member.get("/gallery")
    assert page.status_code == 200
    html = page.text
    assert '<select id="status" name="status">' in html
    assert '<option value="for_trade">For trade</option>' in html
    assert '<option value="-price">Price, highest first</option>' in html
    datalist = re.search(r'<datalist id="platforms-owned">(.*?)</datalist>', html, re.S)
    assert datalist is not None
    offered = re.findall(r'<option value="([^"]*)">', datalist.group(1))
    # One spelling per platform, whatever the case.
    assert len(offered) == 2 and {name.lower() for name in offered} == {"snes", "xbox"}

    wishlist = await member.htmx("/gallery?status=wishlist")
    assert "Mario" in wishlist.text and "Zelda" not in wishlist.text
    snes = await member.get("/gallery?platform=Snes&sort=name")
    names = re.findall(r"(Halo|Mario|Zelda)", snes.text.split('id="grid"', 1)[1])
    assert names and set(names) == {"Mario", "Zelda"}
    assert names.index("Mario") < names.index("Zelda")
    assert 'value="Snes"' in snes.text  # the filter is kept in the form
    assert '<option value="name" selected>Name</option>' in snes.text
    tagged = await member.htmx("/gallery?tag=FUN")
    assert "Mario" in tagged.text and "Halo" in tagged.text and "Zelda" not in tagged.text

    bad = await member.get("/gallery?status=lent")
    assert bad.status_code == 422
    assert "status" in bad.text and bad.text.startswith("<!doctype html>")


async def test_the_detail_view_shows_the_details_and_the_neighbours_follow_the_sort(
    member: Visitor, live: LiveApp
) -> None:
    item = await api_item(
        live,
        member,
        name="Chrono Trigger",
        platform="SNES",
        status="for_trade",
        region="ntsc_u",
        edition="Player's Choice",
        parts=["game", "box", "manual"],
        condition="very_good",
        barcode="036000291452",
        purchase={"price": "49.9", "currency": "eur", "date": "2020-02-02", "source": "Fair"},
        quantity=2,
        tags=["RPG", "Square"],
    )
    await api_item(live, member, name="Actraiser")
    await api_item(live, member, name="Zombies Ate My Neighbors")
    page = await member.get(f"/gallery/{item['id']}?sort=name")
    html = page.text
    for shown in (
        "For trade · 2 copies",
        "Complete in box (Game, Box, Manual)",
        "NTSC-U (North America)",
        "Player&#39;s Choice",
        "Very good",
        "<code>036000291452</code>",
        '49.90 EUR on <time datetime="2020-02-02">2020-02-02</time> from Fair',
        'href="/gallery?tag=RPG"',
    ):
        assert shown in html, shown
    # In name order Actraiser comes before, Zombies after (newest first it would be neither).
    previous = re.search(r'href="(/gallery/[^"]+)"[^>]*data-nav="newer"', html)
    following = re.search(r'href="(/gallery/[^"]+)"[^>]*data-nav="older"', html)
    assert previous and following
    assert "Actraiser" in (await member.get(previous.group(1))).text
    assert "Zombies" in (await member.get(following.group(1))).text
    assert previous.group(1).endswith("?sort=name")


async def test_the_edit_form_saves_the_details(member: Visitor, live: LiveApp) -> None:
    item = await api_item(live, member, name="EarthBound", parts=["game"], sealed=True)
    form = await member.get(f"/gallery/{item['id']}/edit")
    assert form.status_code == 200
    assert 'name="item_details"' in form.text
    assert re.search(r'name="parts" value="game" checked', form.text)
    assert re.search(r'name="sealed" value="true" checked', form.text)

    fields = {
        "csrf_token": member.csrf,
        "name": "EarthBound",
        "platform": "SNES",
        "notes": "",
        "item_details": "1",
        "status": "owned",
        "region": "ntsc_u",
        "edition": "",
        "parts": ["game", "box"],
        "graded_company": "",
        "graded_grade": "",
        "condition": "good",
        "barcode": "",
        "purchase_price": "120",
        "purchase_currency": "usd",
        "purchase_date": "2019-05-01",
        "purchase_source": "eBay",
        "quantity": "1",
        "tags_text": "RPG, Mother series",
    }
    saved = await member.http.post(f"/gallery/{item['id']}", data=fields)
    assert saved.status_code == 303, saved.text
    stored = await api_get(live, member, item["id"])
    assert stored["parts"] == ["game", "box"] and stored["sealed"] is False  # unticked
    assert stored["completeness"] == "boxed"
    assert stored["purchase"] == {
        "price": "120.00",
        "currency": "USD",
        "date": "2019-05-01",
        "source": "eBay",
    }
    assert stored["tags"] == ["RPG", "Mother series"]
    assert (stored["region"], stored["condition"]) == ("ntsc_u", "good")

    wrong = {**fields, "barcode": "036000291453", "purchase_price": "1.999", "parts": ["game"]}
    refused = await member.http.post(f"/gallery/{item['id']}", data=wrong)
    assert refused.status_code == 422
    assert "The UPC-A check digit is 3; it should be 2." in refused.text
    assert 'value="036000291453"' in refused.text  # what was typed stays
    assert re.search(r'name="parts" value="game" checked', refused.text)
    assert not re.search(r'name="parts" value="box" checked', refused.text)
    unchanged = await api_get(live, member, item["id"])
    assert unchanged["barcode"] is None and unchanged["parts"] == ["game", "box"]

    graded = {**fields, "graded_company": "WATA", "graded_grade": ""}
    no_grade = await member.http.post(f"/gallery/{item['id']}", data=graded)
    assert no_grade.status_code == 422 and "Enter the grade." in no_grade.text


async def test_a_form_without_the_details_leaves_them_alone(member: Visitor, live: LiveApp) -> None:
    item = await api_item(
        live, member, name="Ico", parts=["game", "box"], sealed=True, tags=["Art"]
    )
    saved = await member.form(f"/gallery/{item['id']}", {"name": "ICO", "platform": "PS2"})
    assert saved.status_code == 303
    stored = await api_get(live, member, item["id"])
    assert stored["name"] == "ICO"
    assert (stored["parts"], stored["sealed"], stored["tags"]) == (["game", "box"], True, ["Art"])


async def test_htmx_save_answers_the_facts_with_the_details(member: Visitor, live: LiveApp) -> None:
    item = await api_item(live, member, name="Okami")
    answer = await member.htmx(
        f"/gallery/{item['id']}",
        {"name": "Okami", "item_details": "1", "status": "sold", "tags_text": "Art"},
    )
    assert answer.status_code == 200
    assert '<section id="facts"' in answer.text and "Sold" in answer.text


async def test_neighbours_follow_a_ranked_search(member: Visitor, live: LiveApp) -> None:
    in_notes = await api_item(live, member, name="Notes one", notes="chrono in the notes")
    await api_item(live, member, name="Unrelated")
    in_name = await api_item(live, member, name="Chrono Trigger")
    in_tags = await api_item(live, member, name="Tagged", tags=["Chrono"])
    # Ranked: the name first, then the tag, then the notes.
    middle = await member.get(f"/gallery/{in_tags['id']}?q=chrono")
    assert f'href="/gallery/{in_name["id"]}?q=chrono"' in middle.text
    assert f'href="/gallery/{in_notes["id"]}?q=chrono"' in middle.text
    assert "Unrelated" not in middle.text
