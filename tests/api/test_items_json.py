"""The list and the item's own answer describe an item the same way, on both databases.

On PostgreSQL the list's JSON is made by the database (gamecoll/services/item_json.py) and
the single item's by Python; these tests hold the two to the same output.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from gamecoll.models import Item
from tests import images as make
from tests.api.items_support import ITEMS, create, create_with_image, new_user
from tests.conftest import DB_KINDS_WITH_S3


@pytest.fixture(params=DB_KINDS_WITH_S3)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Run each test on SQLite, PostgreSQL, and PostgreSQL with the images in SeaweedFS."""
    return str(request.param)


AWKWARD_NAME = 'Quotes " and \\ backslash, ünïcödé, emoji 🎮, </script>'
AWKWARD_TEXT = AWKWARD_NAME + ", tab\t, newline\n"
FULL_DETAILS: dict[str, object] = {
    "status": "for_trade",
    "region": "pal",
    "edition": AWKWARD_NAME,
    "parts": ["inserts", "manual", "box", "game"],
    "sealed": True,
    "graded": {"company": 'V"G<A>', "grade": "85+ NM"},
    "condition": "near_mint",
    "barcode": "4006381333931",
    "purchase": {
        "price": "1234567.5",
        "currency": "eur",
        "date": "0999-12-31",
        "source": AWKWARD_NAME,
    },
    "quantity": 999,
    "tags": ["RPG", "Ünïcödé", "rpg", AWKWARD_NAME[:40]],
}


async def _listed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get(ITEMS, params={"limit": "100"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_every_listed_item_equals_its_own_answer(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    await create(client, headers, name="Bare")
    await create(
        client,
        headers,
        name=AWKWARD_NAME,
        platform="Game Boy «Color»",
        notes=AWKWARD_TEXT,
        metadata={
            "nested": {"list": [1, 2.5, -3e-7, True, None, "x"]},
            "zähler": 10**15,
            "empty": {},
            "text": AWKWARD_TEXT,
        },
    )
    await create(client, headers, name="Details", **FULL_DETAILS)
    await create(
        client,
        headers,
        name="Partly",
        parts=["manual", "game"],
        purchase={"source": "Gift"},
        tags=["Solo"],
    )
    await create(client, headers, name="Cents", purchase={"price": "0.05", "currency": "jpy"})
    await create_with_image(client, headers, make.plain_jpeg(), name="With a photo")
    await create_with_image(client, headers, make.png_with_alpha(), name="PNG", notes="")

    listed = await _listed(client, headers)
    assert len(listed) == 7
    for entry in listed:
        own = await client.get(f"{ITEMS}/{entry['id']}", headers=headers)
        assert own.status_code == 200
        assert entry == own.json()
    assert [entry["name"] for entry in listed] == [
        "PNG",
        "With a photo",
        "Cents",
        "Partly",
        "Details",
        AWKWARD_NAME,
        "Bare",
    ]
    with_photo = next(entry for entry in listed if entry["name"] == "With a photo")
    image = with_photo["image"]
    assert isinstance(image, dict)
    version = str(image["sha256"])[:16]
    assert image["thumbnail_url"] == f"{ITEMS}/{with_photo['id']}/thumbnail?v={version}"
    by_name = {entry["name"]: entry for entry in listed}
    assert by_name["Partly"]["purchase"] == {
        "price": None,
        "currency": None,
        "date": None,
        "source": "Gift",
    }
    assert by_name["Partly"]["completeness"] == "loose"
    assert by_name["Cents"]["purchase"] == {
        "price": "0.05",
        "currency": "JPY",
        "date": None,
        "source": "",
    }
    details = by_name["Details"]
    assert details["purchase"] == {
        "price": "1234567.50",
        "currency": "EUR",
        "date": "0999-12-31",
        "source": AWKWARD_NAME,
    }
    assert details["graded"] == FULL_DETAILS["graded"]
    assert details["tags"] == ["RPG", "Ünïcödé", AWKWARD_NAME[:40]]
    assert details["completeness"] == "graded"


async def test_timestamps_read_alike_with_and_without_microseconds(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    whole = await create(client, headers, name="Whole second")
    fraction = await create(client, headers, name="Fraction")
    # Stored times are the server's clock; these two make both forms of isoformat() appear.
    await Item.filter(id=uuid.UUID(str(whole["id"]))).update(
        created_at=datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
        updated_at=datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC),
    )
    await Item.filter(id=uuid.UUID(str(fraction["id"]))).update(
        created_at=datetime(2024, 3, 1, 0, 0, 0, 5, tzinfo=UTC),
        updated_at=datetime(2025, 1, 1, 0, 0, 0, 120000, tzinfo=UTC),
    )

    listed = {entry["name"]: entry for entry in await _listed(client, headers)}
    assert listed["Whole second"]["created_at"] == "2024-02-29T23:59:59+00:00"
    assert listed["Whole second"]["updated_at"] == "2025-01-01T00:00:00+00:00"
    assert listed["Fraction"]["created_at"] == "2024-03-01T00:00:00.000005+00:00"
    assert listed["Fraction"]["updated_at"] == "2025-01-01T00:00:00.120000+00:00"
    for entry in listed.values():
        own = await client.get(f"{ITEMS}/{entry['id']}", headers=headers)
        assert entry == own.json()


async def test_renditions_not_made_yet_read_alike_as_null(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    made = await create_with_image(client, headers, make.plain_jpeg(), name="Made")
    older = await create_with_image(client, headers, make.plain_jpeg(), name="Older")
    # An image stored before renditions existed (until `images backfill` runs).
    await Item.filter(id=uuid.UUID(str(older["id"]))).update(thumb2x_path=None, display_path=None)

    listed = {entry["name"]: entry for entry in await _listed(client, headers)}
    image = listed["Made"]["image"]
    assert isinstance(image, dict)
    version = str(image["sha256"])[:16]
    assert image["thumbnail_2x_url"] == f"{ITEMS}/{made['id']}/thumbnail/2x?v={version}"
    assert image["display_url"] == f"{ITEMS}/{made['id']}/display?v={version}"
    old_image = listed["Older"]["image"]
    assert isinstance(old_image, dict)
    assert old_image["thumbnail_2x_url"] is None and old_image["display_url"] is None
    assert old_image["thumbnail_url"] and old_image["raw_url"]
    for entry in listed.values():
        own = await client.get(f"{ITEMS}/{entry['id']}", headers=headers)
        assert entry == own.json()
