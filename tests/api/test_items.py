"""The collection API: create, read, change, delete, list, paging, ownership, deletion."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.sqlite.client import SqliteClient

from gamecoll.services.item_rules import DERIVED_FIELDS, ITEM_FIELDS, METADATA_MAX_BYTES
from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    create,
    create_with_image,
    item_count,
    new_user,
    on_local_disk,
    send_multipart,
    stored_keys,
    user_id,
)
from tests.conftest import DB_KINDS_WITH_S3, LiveApp
from tests.helpers import PASSWORD, error_of, register


@pytest.fixture(params=DB_KINDS_WITH_S3)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Run each test on SQLite, PostgreSQL, and PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


ITEM_KEYS = {"id", *ITEM_FIELDS, *DERIVED_FIELDS, "created_at", "updated_at", "image"}
DETAIL_DEFAULTS = {
    "status": "owned",
    "region": None,
    "edition": "",
    "parts": [],
    "sealed": False,
    "graded": None,
    "completeness": "unknown",
    "condition": None,
    "barcode": None,
    "purchase": None,
    "quantity": 1,
    "tags": [],
}


async def test_create_returns_the_item_and_get_shows_it(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    body = {
        "name": "  Chrono Trigger  ",
        "platform": " SNES ",
        "notes": "Boxed.\nWith the map.",
        "metadata": {"region": "NTSC-U", "year": 1995, "tags": ["rpg"], "box": {"ok": True}},
    }

    response = await client.post(ITEMS, json=body, headers=headers)

    assert response.status_code == 201, response.text
    item = response.json()
    assert set(item) == ITEM_KEYS
    assert uuid.UUID(item["id"])
    assert item["name"] == "Chrono Trigger"
    assert item["platform"] == "SNES"
    assert item["notes"] == "Boxed.\nWith the map."
    assert item["metadata"] == body["metadata"]
    assert item["image"] is None
    assert {key: item[key] for key in DETAIL_DEFAULTS} == DETAIL_DEFAULTS
    assert datetime.fromisoformat(item["created_at"]).tzinfo is not None
    assert item["updated_at"] == item["created_at"]
    assert response.headers["location"] == f"{ITEMS}/{item['id']}"
    assert response.headers["cache-control"] == "no-store"

    shown = await client.get(f"{ITEMS}/{item['id']}", headers=headers)
    assert shown.status_code == 200
    assert shown.json() == item


async def test_only_the_name_is_required(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="Tetris")
    assert (item["platform"], item["notes"], item["metadata"]) == ("", "", {})

    missing = await client.post(ITEMS, json={"platform": "GB"}, headers=headers)
    assert missing.status_code == 422
    assert "name" in error_of(missing)["fields"]


BAD_FIELDS: list[tuple[dict[str, Any] | bytes, str]] = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Zel\x00da"}, "name"),
    ({"name": "Zel\nda"}, "name"),
    ({"name": "Zel\x1bda"}, "name"),
    ({"name": 42}, "name"),
    ({"name": "ok", "platform": "p" * 101}, "platform"),
    ({"name": "ok", "platform": "S\x00NES"}, "platform"),
    ({"name": "ok", "platform": ["SNES"]}, "platform"),
    ({"name": "ok", "notes": "n" * 5001}, "notes"),
    ({"name": "ok", "notes": "a\x00b"}, "notes"),
    ({"name": "ok", "metadata": ["not", "an", "object"]}, "metadata"),
    ({"name": "ok", "metadata": "text"}, "metadata"),
    ({"name": "ok", "metadata": {"k": "v" * METADATA_MAX_BYTES}}, "metadata"),
    ({"name": "ok", "metadata": {"k": "a\x00b"}}, "metadata"),
    ({"name": "ok", "metadata": {"k\x00": 1}}, "metadata"),
    (b'{"name": "ok", "metadata": {"n": NaN}}', "metadata"),  # Python's json reads these
    (b'{"name": "ok", "metadata": {"n": [-Infinity]}}', "metadata"),
    (b'{"name": "ok", "metadata": {"k": "\\ud800"}}', "metadata"),  # a lone surrogate
    (b'{"name": "\\udfff"}', "name"),
]


async def test_bad_fields_are_422_naming_the_field(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    for body, field in BAD_FIELDS:
        if isinstance(body, bytes):
            sent = {"content": body, "headers": {**headers, "Content-Type": "application/json"}}
        else:
            sent = {"json": body, "headers": headers}
        response = await client.post(ITEMS, **sent)
        assert response.status_code == 422, (body, response.text)
        assert field in error_of(response)["fields"], (body, response.text)
    assert await item_count(live.settings) == 0


async def test_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    # The compact form of {"k": "..."} is 8 bytes plus the value.
    metadata = {"k": "v" * (METADATA_MAX_BYTES - 8)}
    item = await create(
        client,
        headers,
        name=" " + "n" * 200 + " ",
        platform="p" * 100,
        notes="\t" + "é" * 4998 + "\r\n",
        metadata=metadata,
    )
    assert len(item["name"]) == 200
    assert len(item["notes"]) == 4998
    assert item["metadata"] == metadata


async def test_bodies_that_are_not_json_objects(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    cases = [
        (b"[1, 2]", "application/json", 422),
        (b"{not json", "application/json", 400),
        (b"name=x", "text/plain", 415),
        (b"", "application/json", 400),
    ]
    for content, kind, status in cases:
        response = await client.post(
            ITEMS, content=content, headers={**headers, "Content-Type": kind}
        )
        assert response.status_code == status, (content, response.text)
        error_of(response)


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="Doom", platform="PC", notes="n", metadata={"a": 1})
    url = f"{ITEMS}/{item['id']}"

    renamed = await client.patch(url, json={"name": " Doom II "}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert body["name"] == "Doom II"
    assert (body["platform"], body["notes"], body["metadata"]) == ("PC", "n", {"a": 1})
    assert body["created_at"] == item["created_at"]
    assert body["updated_at"] > item["updated_at"]

    cleared = await client.patch(
        url, json={"platform": None, "notes": None, "metadata": None}, headers=headers
    )
    assert cleared.status_code == 200
    assert (cleared.json()["platform"], cleared.json()["notes"]) == ("", "")
    assert cleared.json()["metadata"] == {}

    unchanged = await client.patch(url, json={}, headers=headers)
    assert unchanged.status_code == 200
    assert unchanged.json() == cleared.json()

    shown = await client.get(url, headers=headers)
    assert shown.json() == cleared.json()


async def test_patch_refuses_bad_fields_and_images(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="Doom")
    url = f"{ITEMS}/{item['id']}"
    for body, field in [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"platform": "p" * 101}, "platform"),
        ({"metadata": [1]}, "metadata"),
        ({"image": "aGVsbG8="}, "image"),
    ]:
        response = await client.patch(url, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert field in error_of(response)["fields"]
    form = await client.patch(
        url, content=b"name=x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert form.status_code == 415
    assert (await client.get(url, headers=headers)).json()["name"] == "Doom"


async def test_delete_removes_the_item_and_its_files(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    item = await create_with_image(client, headers, make.plain_jpeg())
    owner = await user_id(client, headers)
    assert len(await stored_keys(live)) == FILES_PER_IMAGE
    url = f"{ITEMS}/{item['id']}"

    deleted = await client.delete(url, headers=headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(url, headers=headers)).status_code == 404
    assert await stored_keys(live) == []
    if on_local_disk(live):
        assert not (live.settings.image_dir / owner).exists()  # the empty folder is pruned
    again = await client.delete(url, headers=headers)
    assert again.status_code == 404


async def test_another_users_items_are_always_404(client: httpx.AsyncClient, live: LiveApp) -> None:
    alice = await new_user(client)
    bob = await new_user(client)
    item = await create_with_image(client, alice, make.plain_jpeg(), name="Alice's game")
    base = f"{ITEMS}/{item['id']}"
    image_json = {"image": item["image"]["url"]}  # any body: the item check comes first
    attempts = [
        ("GET", base, None),
        ("PATCH", base, {"name": "mine now"}),
        ("DELETE", base, None),
        ("PUT", f"{base}/image", image_json),
        ("DELETE", f"{base}/image", None),
        ("GET", f"{base}/image", None),
        ("GET", f"{base}/image/raw", None),
        ("GET", item["image"]["raw_url"], None),
        ("GET", f"{base}/thumbnail", None),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=bob)
        assert response.status_code == 404, (method, url, response.text)
        assert error_of(response)["code"] == "not_found"
        with_etag = await client.request(
            method, url, headers={**bob, "If-None-Match": f'"{item["image"]["sha256"]}"'}
        )
        assert with_etag.status_code == 404, (method, url)

    unknown = await client.get(f"{ITEMS}/{uuid.uuid4()}", headers=alice)
    assert unknown.status_code == 404
    assert (await client.get(ITEMS, headers=bob)).json() == {"items": [], "next_cursor": None}
    still = await client.get(base, headers=alice)
    assert still.status_code == 200
    assert still.json() == item
    assert len(await stored_keys(live)) == FILES_PER_IMAGE


async def test_every_route_needs_a_login(client: httpx.AsyncClient) -> None:
    some = f"{ITEMS}/{uuid.uuid4()}"
    for method, url in [
        ("GET", ITEMS),
        ("POST", ITEMS),
        ("GET", some),
        ("PATCH", some),
        ("DELETE", some),
        ("PUT", f"{some}/image"),
        ("DELETE", f"{some}/image"),
        ("GET", f"{some}/image"),
        ("GET", f"{some}/image/raw"),
        ("GET", f"{some}/thumbnail"),
    ]:
        response = await client.request(method, url, json={"name": "x"})
        assert response.status_code == 401, (method, url, response.text)


async def test_cookie_login_posts_a_form_with_its_csrf_token(client: httpx.AsyncClient) -> None:
    tokens = await register(client)  # the client now holds the auth cookies
    csrf = tokens["csrf_token"]
    data = make.plain_jpeg()

    refused = await send_multipart(client, {}, data)
    assert refused.status_code == 403

    response = await send_multipart(client, {}, data, csrf_token=csrf)
    assert response.status_code == 201, response.text
    raw = await client.get(response.json()["image"]["raw_url"])
    assert raw.status_code == 200


# -- listing -------------------------------------------------------------------------------------


async def test_list_filters_by_text_and_platform(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    for name, platform in [
        ("Super Mario World", "SNES"),
        ("Mario Kart 64", "N64"),
        ("Zelda: A Link to the Past", "snes"),
        ("100% Orange Juice", "PC"),
        ("Half_Life", "PC"),
        ("Wipeout", "PlayStation"),
    ]:
        await create(client, headers, name=name, platform=platform)

    async def names(**params: str) -> list[str]:
        response = await client.get(ITEMS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(item["name"] for item in response.json()["items"])

    assert await names(q="mario") == ["Mario Kart 64", "Super Mario World"]
    assert await names(q="  MARIO ") == ["Mario Kart 64", "Super Mario World"]
    assert await names(q="playst") == ["Wipeout"]  # platform words match too
    # Four characters or more: whole words, by their start (full-text search, see
    # test_item_search.py); shorter: anywhere in the name or platform, as typed.
    assert await names(q="station") == []
    assert await names(q="sta") == ["Wipeout"]
    assert await names(platform="SNES") == ["Super Mario World", "Zelda: A Link to the Past"]
    assert await names(platform="sne") == []  # platform is an exact match
    assert await names(q="zelda", platform="snes") == ["Zelda: A Link to the Past"]
    assert await names(q="%") == ["100% Orange Juice"]  # LIKE wildcards are literal
    assert await names(q="_") == ["Half_Life"]
    assert await names(q="") == sorted(
        [
            "Super Mario World",
            "Mario Kart 64",
            "Zelda: A Link to the Past",
            "100% Orange Juice",
            "Half_Life",
            "Wipeout",
        ]
    )


async def test_list_refuses_bad_parameters(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    for params, field in [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "eyJhIjoxfQ"}, "cursor"),  # base64 of {"a":1}
        ({"cursor": "W1wibm93XCIsXCJ4XCJdIl0"}, "cursor"),
        ({"cursor": "A" * 500}, "cursor"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"platform": "p" * 101}, "platform"),
    ]:
        response = await client.get(ITEMS, params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert field in error_of(response)["fields"], params


async def test_paging_through_120_items_while_items_are_added(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    created: list[str] = []
    for index in range(120):
        created.append((await create(client, headers, name=f"Game {index:03}"))["id"])

    first = await client.get(ITEMS, headers=headers)
    assert len(first.json()["items"]) == 50  # the default page size

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "23"}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(ITEMS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        # Someone adds to the collection between two pages.
        await create(client, headers, name=f"Added after page {pages}")
        if cursor is None:
            break

    ids = [item["id"] for item in seen]
    assert pages == 6  # 23 * 5 = 115, then 5
    assert len(ids) == len(set(ids)) == 120
    assert ids == list(reversed(created))  # newest first, nothing lost or repeated
    stamps = [(item["created_at"], item["id"]) for item in seen]
    assert stamps == sorted(stamps, reverse=True)


class QueryCounter:
    """Count the SQL statements the app sends, on either database."""

    def __init__(self) -> None:
        self.statements: list[str] = []


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    for client_class in (SqliteClient, AsyncpgDBClient):
        for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
            original = getattr(client_class, name)

            def wrap(original: Any = original) -> Any:
                async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                    counter.statements.append(query)
                    return await original(self, query, *args, **kwargs)

                return counted

            monkeypatch.setattr(client_class, name, wrap())
    yield counter


async def test_a_list_page_costs_the_same_queries_whatever_its_length(
    client: httpx.AsyncClient, queries: QueryCounter
) -> None:
    headers = await new_user(client)
    for index in range(12):
        if index % 3 == 0:
            await create_with_image(client, headers, make.plain_jpeg(), name=f"Game {index}")
        else:
            await create(client, headers, name=f"Game {index}", metadata={"i": index})

    counts = []
    for limit in ("1", "5", "12"):
        queries.statements.clear()
        response = await client.get(ITEMS, params={"limit": limit}, headers=headers)
        assert response.status_code == 200
        assert len(response.json()["items"]) == int(limit)
        on_items = [sql for sql in queries.statements if '"items"' in sql]
        assert len(on_items) == 1, on_items
        counts.append(len(queries.statements))
    assert counts[0] == counts[1] == counts[2], counts


# -- account deletion ----------------------------------------------------------------------------


async def test_deleting_the_account_removes_its_items_and_files(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    alice = await new_user(client)
    bob = await new_user(client)
    alice_id = await user_id(client, alice)
    bob_id = await user_id(client, bob)
    for _ in range(3):
        await create_with_image(client, alice, make.plain_jpeg())
    await create(client, alice, name="no image")
    kept = await create_with_image(client, bob, make.png_with_alpha())
    assert any(key.startswith(f"{alice_id}/") for key in await stored_keys(live))

    response = await client.request(
        "DELETE", "/auth/user/me", json={"password": PASSWORD}, headers=alice
    )

    assert response.status_code == 204, response.text
    if on_local_disk(live):
        assert not (live.settings.image_dir / alice_id).exists()
    assert [key.split("/")[0] for key in await stored_keys(live)] == [bob_id] * FILES_PER_IMAGE
    assert await item_count(live.settings) == 1
    assert (await client.get(f"{ITEMS}/{kept['id']}", headers=bob)).status_code == 200


REF = "#/components/schemas/"


# -- documentation -------------------------------------------------------------------------------


async def test_openapi_documents_every_collection_endpoint(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/docs/openapi.json", follow_redirects=True)).json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    item = "/collection/items/{item_id}"
    expected = {
        ("/collection/items", "get"),
        ("/collection/items", "post"),
        (item, "get"),
        (item, "patch"),
        (item, "delete"),
        (f"{item}/image", "put"),
        (f"{item}/image", "delete"),
        (f"{item}/image", "get"),
        (f"{item}/image/raw", "get"),
        (f"{item}/thumbnail", "get"),
    }
    for path, method in expected:
        operation = paths[path][method]
        assert operation["summary"], (path, method)
        assert operation["tags"] == ["collection"]

    create_body = paths["/collection/items"]["post"]["requestBody"]["content"]
    assert create_body["multipart/form-data"]["schema"] == {"$ref": REF + "ItemCreateForm"}
    form = schemas["ItemCreateForm"]
    assert form["properties"]["image"] == {
        "type": "string",
        "format": "binary",
        "description": form["properties"]["image"]["description"],
    }
    assert form["required"] == ["name"]
    assert create_body["application/json"]["schema"] == {"$ref": REF + "ItemCreateRequest"}
    json_body = schemas["ItemCreateRequest"]
    assert json_body["properties"]["name"]["maxLength"] == 200
    assert json_body["required"] == ["name"]
    assert schemas["ItemImageForm"]["required"] == ["image"]

    out = paths[item]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert out == {"$ref": REF + "Item"}
    assert set(schemas["Item"]["properties"]) == ITEM_KEYS
    image = schemas["Item"]["properties"]["image"]
    assert image == {"anyOf": [{"$ref": REF + "ItemImage"}, {"type": "null"}]}
    assert {"sha256", "url", "raw_url", "thumbnail_url"} <= set(schemas["ItemImage"]["properties"])

    page = paths["/collection/items"]["get"]
    limit = next(p for p in page["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}
    assert {p["name"] for p in page["parameters"]} >= {"limit", "cursor", "q", "platform"}
    raw = paths[f"{item}/image/raw"]["get"]["responses"]["200"]["content"]
    assert set(raw) == {"image/jpeg", "image/png", "image/webp", "image/gif"}
    assert raw["image/jpeg"]["schema"] == {"type": "string", "format": "binary"}
    thumb = paths[f"{item}/thumbnail"]["get"]["responses"]["200"]["content"]
    assert set(thumb) == {"image/webp"}


async def test_concurrent_creates_get_distinct_ids_and_all_show_up(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    made = await asyncio.gather(*(create(client, headers, name=f"G{i}") for i in range(20)))
    listed = (await client.get(ITEMS, headers=headers)).json()["items"]
    assert sorted(item["id"] for item in listed) == sorted(item["id"] for item in made)
