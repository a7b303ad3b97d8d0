"""Phase E: filtered, sorted and searched lists against one user's 100,000 items (issue 14).

The target: a filtered and sorted page, and a full-text search page, each within 1.5 times
the unfiltered page's p50 in the same run. All three are measured with one connection
(latency), interleaved round by round so that drift hits them alike, on one server:

- `list_unfiltered`: `GET /collection/items?limit=50` (newest first);
- `list_filtered_sorted`: owned SNES games, dearest first (`status`, `platform`, `sort=-price`);
- `list_search`: a full-text title search, ranked (`q`), matching 50 items;
- `list_search_broad`: a search for one word that 2,000 items have, for information only:
  every match must be ranked before the best 50 are known, so its cost grows with the matches.

The items are written by one INSERT ... SELECT over generate_series, with the columns the app
derives (keys, completeness) computed the same way in SQL, for the ASCII text used here. Titles
are two words from vocabularies of 40 and 50 and a number, so a pair of words is in one item in
2,000 and a word of the second list in one in 50; tags, platforms, statuses, prices and notes
vary too.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from bench.loadgen import Req

if TYPE_CHECKING:
    from bench.harness import Bench

LIST_SCENARIOS: Final = (
    "list_unfiltered",
    "list_filtered_sorted",
    "list_search",
    "list_search_broad",
)
ITEMS: Final = {"full": 100_000, "smoke": 500}
BOUND: Final = 1.5
SEARCH: Final = "shadow metroid"
"""A title search: both words begin words of 50 items' names (one title in 2,000)."""
BROAD_SEARCH: Final = "metroid"
"""One word in 2,000 items' names: every match is ranked, so this costs more (no target)."""
FILTERED: Final = "status=owned&platform=snes&sort=-price"

FILL = """
WITH words AS (
    SELECT '{super,final,legend,dark,secret,mega,dragon,star,crystal,shadow,silent,royal,
             iron,golden,wild,lost,ancient,cosmic,little,grand,street,space,magic,ghost,
             blue,red,green,neon,turbo,hyper,pocket,tiny,brave,fallen,hidden,eternal,
             savage,frozen,burning,last}'::text[] AS first,
           '{mario,zelda,metroid,fantasy,souls,knight,quest,saga,racer,fighter,tactics,
             warriors,chronicles,odyssey,kart,island,castle,galaxy,hunter,legacy,tales,
             heroes,rising,strike,force,arena,empire,frontier,station,runner,storm,
             dungeon,kingdom,party,sports,golf,tennis,soccer,puzzle,rhythm,drift,pinball,
             ninja,pirates,robots,wizards,dragons,monsters,colony,voyage}'::text[] AS second,
           '{SNES,N64,PS1,PS2,Game Boy,Mega Drive,Switch,Xbox,PC,Dreamcast}'::text[] AS platforms
), made AS (
    SELECT g,
           initcap(first[1 + g % 40]) || ' ' || initcap(second[1 + (g / 40) % 50]) || ' '
               || (g % 97) AS name,
           platforms[1 + (g / 7) % 10] AS platform,
           (ARRAY['owned','owned','owned','owned','wishlist','for_trade','sold'])[1 + g % 7]
               AS status,
           CASE WHEN g % 3 = 0 THEN NULL ELSE (g * 37) % 20000 END AS cents,
           (ARRAY['[]','["RPG"]','["RPG","Favourite"]','["Co-op"]','[]'])[1 + g % 5] AS tags
    FROM generate_series($2::int + 1, $3::int) AS g, words
)
INSERT INTO items (id, user_id, name, platform, notes, metadata, created_at, updated_at,
                   status, region, edition, parts, sealed, completeness, condition,
                   purchase_cents, purchase_currency, purchase_source, quantity,
                   tags, tag_keys, name_key, platform_key)
SELECT gen_random_uuid(), $1::uuid, name, platform,
       CASE WHEN g % 10 = 0 THEN 'Bought at a flea market, box a bit worn.' ELSE '' END,
       '{}'::jsonb, now() - make_interval(secs => g), now() - make_interval(secs => g),
       status, (ARRAY['pal','ntsc_u','ntsc_j',NULL])[1 + g % 4],
       CASE WHEN g % 11 = 0 THEN 'Greatest Hits' ELSE '' END,
       (ARRAY['["game","box","manual"]','["game"]','["game","box"]','[]'])[1 + g % 4]::jsonb,
       g % 13 = 0,
       CASE WHEN g % 13 = 0 THEN 'sealed'
            ELSE (ARRAY['cib','loose','boxed','unknown'])[1 + g % 4] END,
       (ARRAY['mint','good','fair',NULL])[1 + g % 4],
       cents, CASE WHEN cents IS NULL THEN NULL ELSE 'EUR' END, '', 1,
       tags::jsonb, lower(tags)::jsonb, lower(name), lower(platform)
FROM made
"""


async def fill(db_url: str, *, user_id: str, total: int) -> int:
    """Give the user exactly `total` items (their earlier items removed); return the count."""
    conn = await asyncpg.connect(db_url, timeout=10, command_timeout=3600)
    try:
        await conn.execute("DELETE FROM items WHERE user_id = $1::uuid", user_id)
        await conn.execute(FILL, user_id, 0, total)
        await conn.execute("VACUUM (ANALYZE) items")
        return int(
            await conn.fetchval("SELECT count(*) FROM items WHERE user_id = $1::uuid", user_id)
        )
    finally:
        await conn.close()


def phase_item_lists(bench: Bench) -> None:
    """Measure the three list pages against the user's items, round by round."""
    from bench.core import log
    from bench.plan import Scenario

    if not bench.collection_api:
        return
    plan = bench.plan
    total = ITEMS[plan.mode]
    user = bench.accounts["scale"]
    log(f"phase E: filtered, sorted and searched lists over {total} items of one user")
    began = time.monotonic()
    rows = asyncio.run(fill(bench.db_url, user_id=user.user_id, total=total))
    log(f"{rows} items for one user in {time.monotonic() - began:.1f} s")
    app = bench.start_gamecoll("gamecoll_w1_lists", 1, bench.layout1)
    paths = {
        "list_unfiltered": "/collection/items?limit=50",
        "list_filtered_sorted": f"/collection/items?limit=50&{FILTERED}",
        "list_search": f"/collection/items?limit=50&q={SEARCH.replace(' ', '+')}",
        "list_search_broad": f"/collection/items?limit=50&q={BROAD_SEARCH}",
    }
    notes = {
        "list_unfiltered": "newest first",
        "list_filtered_sorted": "owned SNES games, dearest first",
        "list_search": f"full-text search for {SEARCH!r} (50 matches), ranked",
        "list_search_broad": f"full-text search for {BROAD_SEARCH!r} (2,000 matches), ranked",
    }
    for _ in range(plan.repeats):
        for name in LIST_SCENARIOS:
            scenario = Scenario(
                name,
                app.name,
                [Req(paths[name], headers=user.bearer)],
                connections=1,
                note=f"{notes[name]}; {rows} items of one user; one connection (latency)",
            )
            bench.measure(scenario)
    for name in LIST_SCENARIOS:
        bench.entry(name)["items_of_the_user"] = rows
    bench.stop_server(app.name)


def list_targets(scenarios: dict[str, Any]) -> list[dict[str, Any]]:
    """The two targets of issue 14: p50 of each page ÷ the unfiltered page's p50."""

    def p50(name: str) -> float | None:
        value = scenarios.get(name, {}).get("median", {}).get("p50_ms")
        return float(value) if value else None

    base = p50("list_unfiltered")
    found = []
    for name, what in (
        ("list_filtered_sorted", "a filtered and sorted page"),
        ("list_search", "a full-text search page"),
    ):
        measured = p50(name)
        ratio = round(measured / base, 3) if measured is not None and base else None
        found.append(
            {
                "name": f"{name}_vs_unfiltered",
                "description": f"p50 of {what} ÷ the unfiltered page's, 100,000 items",
                "measured": ratio,
                "op": "<=",
                "bound": BOUND,
                "met": ratio is not None and ratio <= BOUND,
                **({"missing": True} if ratio is None else {}),
            }
        )
    return found
