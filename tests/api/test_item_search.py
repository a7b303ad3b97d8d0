"""Full-text search, ranked, with the substring match kept for short queries; and the stats."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api.items_support import ITEMS, create, new_user

from tests.api.test_item_lists import names


async def test_search_ranks_name_then_edition_and_tags_then_platform_then_notes(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    for name, body in [
        ("In the notes", {"notes": "My brother's copy of Chrono Trigger."}),
        ("On the platform", {"platform": "Chrono Console"}),
        ("In the edition", {"edition": "Chrono Collector's Edition"}),
        ("Chrono Trigger", {"platform": "SNES"}),
        ("In a tag", {"tags": ["Chronos"]}),
        ("Unrelated", {"notes": "synchronous"}),
    ]:
        await create(client, headers, name=name, **body)

    ranked = [
        "Chrono Trigger",
        "In a tag",  # edition and tags weigh the same: the newer first
        "In the edition",
        "On the platform",
        "In the notes",
    ]
    assert await names(client, headers, q="chrono") == ranked
    assert await names(client, headers, q="CHRON") == ranked  # a word's start, any case
    assert await names(client, headers, q="trigger chrono") == ["Chrono Trigger", "In the notes"]
    assert await names(client, headers, q="chrono snes") == ["Chrono Trigger"]  # every word
    assert await names(client, headers, q="brother's") == ["In the notes"]
    assert await names(client, headers, q="hrono") == []  # not inside words
    # A sort asked for replaces the ranking; filters narrow a search.
    assert await names(client, headers, q="chrono", sort="name") == sorted(ranked, key=str.lower)
    assert await names(client, headers, q="chrono", platform="snes") == ["Chrono Trigger"]


async def test_short_queries_match_text_anywhere_in_the_name_or_platform(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    for name, platform in [
        ("Final Fantasy VII", "PS1"),
        ("FF Tactics", "PS1"),
        ("Tetris", "Game Boy"),
        ("Ōkami", "PS2"),
    ]:
        await create(client, headers, name=name, platform=platform, notes="ff in the notes")
    assert await names(client, headers, q="ff") == ["FF Tactics"]  # not in notes
    assert await names(client, headers, q="tas") == ["Final Fantasy VII"]  # inside a word
    assert await names(client, headers, q="oy") == ["Tetris"]  # the platform
    assert await names(client, headers, q="ŌK") == ["Ōkami"]  # any case, beyond ASCII
    assert await names(client, headers, q="++") == []
    long_symbols = await client.get(ITEMS, params={"q": "%%%%%"}, headers=headers)
    assert long_symbols.status_code == 200 and long_symbols.json()["items"] == []


async def test_search_follows_changes_and_deletions(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="Secret of Mana")
    assert await names(client, headers, q="mana") == ["Secret of Mana"]
    url = f"{ITEMS}/{item['id']}"
    changed = await client.patch(
        url, json={"name": "Seiken Densetsu", "tags": ["Mana"]}, headers=headers
    )
    assert changed.status_code == 200
    assert await names(client, headers, q="secret") == []
    assert await names(client, headers, q="mana") == ["Seiken Densetsu"]
    assert await names(client, headers, q="seiken") == ["Seiken Densetsu"]
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert await names(client, headers, q="mana") == []
    other = await new_user(client)
    await create(client, other, name="Secret of Mana")
    assert await names(client, headers, q="mana") == []  # never another user's items


async def test_stats_count_and_total(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    empty = await client.get("/collection/stats", headers=headers)
    assert empty.status_code == 200
    assert empty.json() == {
        "items": 0,
        "copies": 0,
        "by_status": {},
        "by_completeness": {},
        "by_platform": [],
        "purchases": [],
    }
    bodies: list[dict[str, Any]] = [
        {"platform": "SNES", "parts": ["game", "box", "manual"], "quantity": 2},
        {"platform": "snes", "status": "wishlist"},
        {"platform": "N64", "sealed": True, "purchase": {"price": "10", "currency": "EUR"}},
        {"platform": "", "purchase": {"price": "5.55", "currency": "eur"}},
        {"platform": "SNES", "status": "sold", "purchase": {"price": "0.45", "currency": "USD"}},
        {"purchase": {"source": "Gift"}},
    ]
    for n, body in enumerate(bodies):
        await create(client, headers, name=f"Game {n}", **body)
    stats = await client.get("/collection/stats", headers=headers)
    assert stats.status_code == 200
    assert stats.headers["cache-control"] == "no-store"
    assert stats.json() == {
        "items": 6,
        "copies": 7,
        "by_status": {"owned": 4, "wishlist": 1, "sold": 1},
        "by_completeness": {"cib": 1, "sealed": 1, "unknown": 4},
        "by_platform": [{"platform": "SNES", "items": 3}, {"platform": "N64", "items": 1}],
        "purchases": [
            {"currency": "EUR", "total": "15.55", "items": 2},
            {"currency": "USD", "total": "0.45", "items": 1},
        ],
    }
    other = await new_user(client)
    assert (await client.get("/collection/stats", headers=other)).json()["items"] == 0
    forged = await client.get("/collection/stats", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
