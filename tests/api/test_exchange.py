"""Export (JSON, CSV, ZIP) and import: round trips, dry runs, idempotence, refusals, bad files."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests import images as make
from tests.api.items_support import (
    FILES_PER_IMAGE,
    ITEMS,
    b64,
    create,
    create_with_image,
    new_user,
    stored_keys,
)
from tests.conftest import DB_KINDS_WITH_S3, LiveApp
from tests.helpers import error_of

EXPORT = "/collection/export"
IMPORT = "/collection/import"


@pytest.fixture(params=DB_KINDS_WITH_S3)
def db_kind(request: pytest.FixtureRequest) -> str:
    """SQLite, PostgreSQL, and PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


async def collection(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(ITEMS, params={"limit": 100}, headers=headers)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def sample(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Three items: a phone photo, a PNG with alpha and fancy fields, and one without a photo."""
    await create_with_image(
        client, headers, make.phone_jpeg(), name="Chrono Trigger", platform="SNES"
    )
    await create_with_image(
        client,
        headers,
        make.png_with_alpha(),
        name='Zelda, "the" one',
        notes="Line one\nLine two; with, commas",
        metadata={"region": "PAL", "nested": {"list": [1, 2.5, None, True]}, "é": "ü"},
    )
    await create(
        client,
        headers,
        name="Loose cart",
        platform="N64",
        status="for_trade",
        region="pal",
        edition="Player's Choice",
        parts=["game", "box", "manual"],
        sealed=False,
        graded={"company": "WATA", "grade": "9.4"},
        condition="near_mint",
        barcode="4006381333931",
        purchase={"price": "49.99", "currency": "EUR", "date": "2020-05-01", "source": "Fair"},
        quantity=2,
        tags=["RPG", "Nintendo, 64"],
    )
    return await collection(client, headers)


async def export(client: httpx.AsyncClient, headers: dict[str, str], file_format: str) -> bytes:
    response = await client.get(EXPORT, params={"format": file_format}, headers=headers)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "private, no-store"
    return response.content


async def run_import(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes, **params: str
) -> dict[str, Any]:
    """Import a file and wait for its job to be over; return the job."""
    response = await client.post(IMPORT, content=body, params=params, headers=headers)
    assert response.status_code in (200, 202), response.text
    job: dict[str, Any] = response.json()
    if response.status_code == 202:
        assert response.headers["location"] == f"{IMPORT}/{job['id']}"
    for _ in range(600):
        if job["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.05)
        polled = await client.get(f"{IMPORT}/{job['id']}", headers=headers)
        assert polled.status_code == 200
        job = polled.json()
    assert job["state"] == "done", job
    return job


def comparable(item: dict[str, Any]) -> dict[str, Any]:
    """An item's fields without what differs between accounts (id, URLs)."""
    kept = {key: value for key, value in item.items() if key not in ("id", "image")}
    if item["image"]:
        kept["image"] = {
            key: item["image"][key] for key in ("content_type", "width", "height", "size", "sha256")
        }
    return kept


async def test_json_export_has_every_field_and_a_stable_id(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    items = await sample(client, headers)

    document = json.loads(await export(client, headers, "json"))

    assert document["format"] == "gamecoll-collection" and document["version"] == 1
    rows = document["items"]
    assert [row["id"] for row in rows] == [item["id"] for item in reversed(items)]  # oldest first
    for row, item in zip(rows, reversed(items), strict=True):
        for key in item:
            if key != "image":
                assert row[key] == item[key], key
        if item["image"]:
            assert row["photo"]["sha256"] == item["image"]["sha256"]
            assert row["photo"]["file"].startswith(f"photos/{item['id']}.")
        else:
            assert row["photo"] is None


async def test_csv_export_is_one_utf8_row_per_item(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    items = await sample(client, headers)

    data = await export(client, headers, "csv")

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == [item["id"] for item in reversed(items)]
    zelda = rows[1]
    assert zelda["notes"] == "Line one\nLine two; with, commas"
    assert json.loads(zelda["metadata"])["é"] == "ü"
    assert zelda["created_at"] == items[1]["created_at"]
    assert zelda["photo_sha256"] == items[1]["image"]["sha256"]


async def test_zip_round_trip_into_a_fresh_account_reproduces_everything(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await new_user(client), await new_user(client)
    items = await sample(client, alice)
    archive = await export(client, alice, "zip")
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.testzip() is None
        names = opened.namelist()
    assert names[0] == "collection.json" and len(names) == 3

    job = await run_import(client, bob, archive)

    assert (job["total"], job["created"], job["refused"]) == (3, 3, 0), job
    copies = await collection(client, bob)
    assert [comparable(copy) for copy in copies] == [comparable(item) for item in items]
    for original, copy in zip(items, copies, strict=True):
        if original["image"]:
            mine = await client.get(f"{ITEMS}/{original['id']}/image/raw", headers=alice)
            theirs = await client.get(f"{ITEMS}/{copy['id']}/image/raw", headers=bob)
            assert theirs.content == mine.content  # byte for byte
    # Bob's export names the items as Alice's did: the id is stable across accounts.
    bob_rows = json.loads(await export(client, bob, "json"))["items"]
    assert [row["id"] for row in bob_rows] == [item["id"] for item in reversed(items)]
    # The photo as first uploaded is known to Bob too: the upload checksum came along.
    again = await client.post(
        ITEMS, json={"name": "Again", "image": b64(make.phone_jpeg())}, headers=bob
    )
    assert again.status_code == 409 and error_of(again)["item_id"] == copies[2]["id"]


async def test_importing_twice_changes_nothing(client: httpx.AsyncClient) -> None:
    alice, bob = await new_user(client), await new_user(client)
    await sample(client, alice)
    archive = await export(client, alice, "zip")
    await run_import(client, bob, archive)
    before = await collection(client, bob)

    again = await run_import(client, bob, archive)
    own = await run_import(client, alice, archive)

    assert (again["unchanged"], again["created"], again["updated"]) == (3, 0, 0), again
    assert (own["unchanged"], own["created"]) == (3, 0), own
    assert await collection(client, bob) == before


async def test_a_dry_run_reports_and_writes_nothing(client: httpx.AsyncClient) -> None:
    alice, bob = await new_user(client), await new_user(client)
    await sample(client, alice)
    archive = await export(client, alice, "zip")

    job = await run_import(client, bob, archive, dry_run="true")

    assert job["dry_run"] is True
    assert [row["action"] for row in job["rows"]] == ["create"] * 3
    assert await collection(client, bob) == []


async def test_csv_and_json_imports_update_by_id(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    items = await sample(client, headers)
    data = (await export(client, headers, "csv")).decode("utf-8-sig")
    changed = data.replace("Loose cart", "Loose cart (label worn)")

    job = await run_import(client, {**headers, "Content-Type": "text/csv"}, changed.encode())

    assert (job["updated"], job["unchanged"]) == (1, 2), job
    now = await collection(client, headers)
    assert now[0]["name"] == "Loose cart (label worn)" and now[0]["id"] == items[0]["id"]
    assert now[1]["image"]["sha256"] == items[1]["image"]["sha256"]  # CSV carries no photo


async def test_bad_rows_are_refused_with_their_reason(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    rows = [
        {"name": "Good one"},
        {"platform": "no name"},
        {"id": "not-a-uuid", "name": "Bad id"},
        {"name": "Future", "created_at": "2999-01-01T00:00:00+00:00"},
        {"name": "Naive", "created_at": "2020-01-01T00:00:00"},
        {"name": "x" * 201},
        {"name": "Bad metadata", "metadata": [1, 2]},
    ]

    job = await run_import(client, headers, json.dumps({"items": rows}).encode())

    actions = [(row["action"], row["reason"]) for row in job["rows"]]
    assert actions[0] == ("create", None)
    assert all(action == "refused" for action, _ in actions[1:])
    reasons = " | ".join(reason for _, reason in actions[1:])
    for says in ("name", "id: Must be a UUID", "future", "offset", "200 characters", "metadata"):
        assert says in reasons, (says, reasons)
    assert [item["name"] for item in await collection(client, headers)] == ["Good one"]


async def test_a_photo_the_user_has_is_refused_unless_allowed(client: httpx.AsyncClient) -> None:
    alice, bob = await new_user(client), await new_user(client)
    mine = await create_with_image(client, alice, make.phone_jpeg(), name="Mine")
    archive = await export(client, alice, "zip")
    stored = (await client.get(f"{ITEMS}/{mine['id']}/image/raw", headers=alice)).content
    bobs = await create_with_image(client, bob, stored, name="Bob's copy of the same photo")

    refused = await run_import(client, bob, archive)
    allowed = await run_import(client, bob, archive, allow_duplicate="true")

    assert refused["refused"] == 1, refused
    assert "already have this photo" in refused["rows"][0]["reason"]
    assert bobs["id"] in refused["rows"][0]["reason"]
    assert allowed["created"] == 1, allowed
    assert len(await collection(client, bob)) == 2


def zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "params", "says"),
    [
        (b"name,platform\r\n\xff\xfe bad bytes,x\r\n", {}, "not UTF-8"),
        (b"PK\x03\x04 not really a zip", {}, "not a ZIP"),
        (zip_of({"other.txt": b"hi"}), {}, "no collection.json"),
        (zip_of({"collection.json": b"{" + b" " * 5_000_000 + b"}"}), {}, "zip bomb"),
        (b'{"items": [{"name": "a"}, ', {}, "not valid"),
        (b'{"format": "other", "items": []}', {}, "format"),
        (b'{"version": 2, "items": []}', {}, "reads version 1"),
        (b'{"items": [' + b"[" * 100_000 + b"]", {}, "JSON"),
        (b"", {}, "empty"),
        (b"platform\r\nSNES\r\n", {}, "`name`"),
    ],
)
async def test_hostile_or_broken_files_get_a_clear_422(
    client: httpx.AsyncClient, body: bytes, params: dict[str, str], says: str
) -> None:
    headers = await new_user(client)

    response = await client.post(IMPORT, content=body, params=params, headers=headers)

    assert response.status_code == 422, response.text
    assert says in error_of(response)["message"], error_of(response)
    assert await collection(client, headers) == []


async def test_a_lying_zip_entry_is_refused(client: httpx.AsyncClient) -> None:
    """An entry whose header declares a small size but which unpacks to more."""
    headers = await new_user(client)
    payload = json.dumps({"items": [{"name": "x" * 50}] * 2000}).encode()
    archive = bytearray(zip_of({"collection.json": payload}))
    # Declare 100 bytes in both the local and the central header.
    size = len(payload).to_bytes(4, "little")
    at = 0
    while (at := archive.find(size, at)) != -1:
        archive[at : at + 4] = (100).to_bytes(4, "little")
        at += 4

    response = await client.post(IMPORT, content=bytes(archive), headers=headers)

    assert response.status_code == 422, response.text
    assert await collection(client, headers) == []


async def test_an_unknown_format_is_refused(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)

    bad_export = await client.get(EXPORT, params={"format": "pdf"}, headers=headers)

    assert bad_export.status_code == 422 and "format" in error_of(bad_export)["fields"]


async def test_jobs_are_private(client: httpx.AsyncClient) -> None:
    alice, bob = await new_user(client), await new_user(client)
    job = await run_import(client, alice, b'{"items": []}')

    theirs = await client.get(f"{IMPORT}/{job['id']}", headers=bob)

    assert theirs.status_code == 404


async def test_a_photo_that_fails_leaves_no_file_and_no_row(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    rows = [
        {"id": str(uuid.uuid4()), "name": "Good", "photo": {"file": "photos/good.png"}},
        {"id": str(uuid.uuid4()), "name": "Broken", "photo": {"file": "photos/broken.jpg"}},
        {"id": str(uuid.uuid4()), "name": "Missing", "photo": {"file": "photos/missing.jpg"}},
        {"id": str(uuid.uuid4()), "name": "Escaping", "photo": {"file": "../../etc/passwd"}},
    ]
    archive = zip_of(
        {
            "collection.json": json.dumps({"items": rows}).encode(),
            "photos/good.png": make.png_with_alpha(),
            "photos/broken.jpg": make.truncated_jpeg(),
        }
    )

    job = await run_import(client, headers, archive)

    outcome = {row["name"]: (row["action"], row["reason"] or "") for row in job["rows"]}
    assert outcome["Good"] == ("create", "")
    assert outcome["Broken"][0] == "refused" and "photo:" in outcome["Broken"][1]
    assert outcome["Missing"] == ("refused", "photo: The archive has no photos/missing.jpg.")
    assert outcome["Escaping"][0] == "refused" and "under photos/" in outcome["Escaping"][1]
    assert [item["name"] for item in await collection(client, headers)] == ["Good"]
    assert len(await stored_keys(live)) == FILES_PER_IMAGE  # the good photo's files only


async def test_an_import_file_lives_in_the_spool_only_until_its_job_is_over(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    """The body is written to the instance's spool folder as it arrives, and is gone once the
    job is over, a dry run answered, or the file refused."""
    headers = await new_user(client)
    spool = live.app.ctx.spool.directory
    archive = zip_of({"collection.json": json.dumps({"items": [{"name": "Kept"}]}).encode()})
    half = len(archive) // 2
    first_half_in = asyncio.Event()
    go_on = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield archive[:half]
        first_half_in.set()
        await go_on.wait()
        yield archive[half:]

    sending = asyncio.create_task(client.post(IMPORT, content=body(), headers=headers))
    await first_half_in.wait()
    for _ in range(200):
        arriving = [path for path in spool.iterdir() if path.name != ".lock"]
        if arriving and arriving[0].stat().st_size == half:
            break
        await asyncio.sleep(0.05)
    assert [path.read_bytes() for path in arriving] == [archive[:half]]
    go_on.set()
    response = await sending
    assert response.status_code == 202, response.text
    job = response.json()
    while job["state"] in ("queued", "running"):
        await asyncio.sleep(0.05)
        job = (await client.get(f"{IMPORT}/{job['id']}", headers=headers)).json()
    assert job["state"] == "done", job
    assert [path.name for path in spool.iterdir()] == [".lock"]
    await run_import(client, headers, archive, dry_run="true")
    refused = await client.post(IMPORT, content=b'{"items": [', headers=headers)
    assert refused.status_code == 422
    assert [path.name for path in spool.iterdir()] == [".lock"]
    assert [item["name"] for item in await collection(client, headers)] == ["Kept"]
