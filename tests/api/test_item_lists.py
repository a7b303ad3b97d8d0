"""Lists of items: filters, every sort, and paging that stays exact while items are added."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.api.items_support import ITEMS, create, new_user
from tests.helpers import error_of

SORTS = ("added", "-added", "name", "platform", "price", "-price")


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, following the cursors."""
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = await client.get(
            ITEMS, params={**params, "limit": "100", "cursor": cursor}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["items"]
        if body["next_cursor"] is None:
            return found
        cursor = body["next_cursor"]


async def names(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    return [item["name"] for item in await listed(client, headers, **params)]


async def test_filters_each_and_together(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    for name, body in [
        ("Zelda", {"platform": "SNES", "status": "owned", "region": "pal", "tags": ["RPG"]}),
        ("Mario", {"platform": "snes", "status": "wishlist", "parts": ["game"], "tags": ["Fun"]}),
        ("Ico", {"platform": "PS2", "status": "sold", "sealed": True, "tags": ["rpg", "Art"]}),
        ("Halo", {"platform": "Xbox", "region": "ntsc_u", "parts": ["game", "box", "manual"]}),
        ("Okami", {"platform": "Straße", "tags": ["ART", "rpg", "Fun"]}),
    ]:
        await create(client, headers, name=name, **body)

    async def sorted_names(**params: Any) -> list[str]:
        return sorted(await names(client, headers, **params))

    assert await sorted_names(status="wishlist") == ["Mario"]
    assert await sorted_names(status="owned") == ["Halo", "Okami", "Zelda"]  # the default
    assert await sorted_names(region="pal") == ["Zelda"]
    assert await sorted_names(completeness="sealed") == ["Ico"]
    assert await sorted_names(completeness="loose") == ["Mario"]
    assert await sorted_names(completeness="cib") == ["Halo"]
    assert await sorted_names(completeness="unknown") == ["Okami", "Zelda"]
    assert await sorted_names(platform="Snes") == ["Mario", "Zelda"]
    assert await sorted_names(platform="STRASSE") == ["Okami"]  # case-folded, not lowercased
    assert await sorted_names(tag="rpg") == ["Ico", "Okami", "Zelda"]
    assert await sorted_names(tag=["RPG", "art"]) == ["Ico", "Okami"]  # every tag
    assert await sorted_names(tag=["rpg", "art", "fun"]) == ["Okami"]
    assert await sorted_names(tag="rp") == []  # tags match whole
    assert await sorted_names(tag="rpg", platform="snes") == ["Zelda"]
    assert await sorted_names(status="owned", tag="fun", region="") == ["Okami"]  # empty: any


async def test_every_sort_orders_as_documented(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    rows = [
        ("banana", "N64", "5.00"),
        ("Apple", "snes", None),
        ("Éclair", "GBA", "20"),
        ("cherry", "SNES", "0.99"),
        ("apple", "N64", "5"),
    ]
    made = [
        await create(
            client,
            headers,
            name=name,
            platform=platform,
            purchase={"price": price, "currency": "EUR"} if price else None,
        )
        for name, platform, price in rows
    ]
    by_id = {item["id"]: item["name"] for item in made}
    ids = [item["id"] for item in made]

    async def order(sort: str) -> list[str]:
        return [item["id"] for item in await listed(client, headers, sort=sort)]

    assert await order("added") == ids[::-1]
    assert await order("-added") == ids
    assert await listed(client, headers) == await listed(client, headers, sort="added")
    # Names compare without regard to case; equal names by id; É sorts after the letters.
    apples = sorted([ids[1], ids[4]])
    assert await order("name") == [*apples, ids[0], ids[3], ids[2]]
    # Platforms without regard to case, then names.
    by_platform = [by_id[i] for i in await order("platform")]
    assert by_platform == ["Éclair", "apple", "banana", "Apple", "cherry"]
    # Equal prices by id; no price comes last both ways.
    fives = sorted([ids[0], ids[4]])
    assert await order("price") == [ids[3], *fives, ids[2], ids[1]]
    assert await order("-price") == [ids[2], *fives[::-1], ids[3], ids[1]]


@pytest.mark.parametrize("sort", [*SORTS, "relevance"])
async def test_paging_under_each_sort_loses_and_repeats_nothing_while_items_are_added(
    client: httpx.AsyncClient, sort: str
) -> None:
    headers = await new_user(client)
    names_cycle = itertools.cycle(["alpha", "Beta", "gamma", "Delta", "alpha"])
    platforms = itertools.cycle(["SNES", "n64", "snes", "PS1"])
    prices = itertools.cycle(["1.00", None, "1", "250.5", "0.01", None])
    words = itertools.cycle(["chrono", "chrono trigger", "x"])

    def body(n: int) -> dict[str, Any]:
        price = next(prices)
        search = next(words)
        return {
            "name": f"{next(names_cycle)} {search}",
            "platform": next(platforms),
            "purchase": {"price": price, "currency": "USD"} if price else None,
            "tags": ["chrono"] if n % 4 == 0 else [],
            "notes": f"item {n} chrono" if n % 5 == 0 else "",
        }

    bodies = [body(n) for n in range(120)]
    original = [(await create(client, headers, **b))["id"] for b in bodies]
    matching = {
        item_id
        for item_id, b in zip(original, bodies, strict=True)
        if "chrono" in b["name"] or b["tags"] or b["notes"]
    }
    expected = matching if sort == "relevance" else set(original)
    params: dict[str, str] = {"q": "chrono"} if sort == "relevance" else {"sort": sort}
    seen: list[str] = []
    cursor = ""
    added = 0
    while True:
        response = await client.get(
            ITEMS, params={**params, "limit": "7", "cursor": cursor}, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
        # New items land before and after the cursor, in every order.
        for _ in range(2):
            await create(client, headers, **body(1000 + added))
            added += 1
    assert len(seen) == len(set(seen)), "an item came twice"
    assert set(original) & set(seen) == expected, "an item went missing"
    assert len(expected) > 80 and added >= 2 * (len(expected) // 7)


async def test_bad_list_parameters_are_422_naming_them(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    await create(client, headers, name="One")
    await create(client, headers, name="Two")
    first = await client.get(ITEMS, params={"limit": "1", "sort": "name"}, headers=headers)
    name_cursor = first.json()["next_cursor"]
    for params, field in [
        ({"status": "lent"}, "status"),
        ({"region": "eu"}, "region"),
        ({"completeness": "complete"}, "completeness"),
        ({"sort": "size"}, "sort"),
        ({"sort": "-name"}, "sort"),
        ({"tag": "t" * 41}, "tag"),
        ({"tag": [str(n) for n in range(11)]}, "tag"),
        ({"platform": "p" * 101}, "platform"),
        ({"q": "a\x00b"}, "q"),
        ({"cursor": name_cursor}, "cursor"),  # made by another sort
        ({"cursor": name_cursor, "sort": "price"}, "cursor"),
    ]:
        response = await client.get(ITEMS, params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert field in error_of(response)["fields"], params
    same_sort = await client.get(
        ITEMS, params={"cursor": name_cursor, "sort": "name"}, headers=headers
    )
    assert [item["name"] for item in same_sort.json()["items"]] == ["Two"]
