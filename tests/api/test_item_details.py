"""What collectors record about a copy, through the API: JSON, forms, changes, refusals."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.items_support import ITEMS, create, item_count, new_user
from tests.conftest import LiveApp
from tests.helpers import error_of

DETAILS: dict[str, Any] = {
    "status": "for_trade",
    "region": "ntsc_j",
    "edition": "Collector's Edition",
    "parts": ["manual", "game", "box", "game"],
    "sealed": False,
    "graded": None,
    "condition": "very_good",
    "barcode": "036000291452",
    "purchase": {"price": "49.9", "currency": "usd", "date": "2019-07-04", "source": "Shop"},
    "quantity": 2,
    "tags": ["JRPG", "jrpg", "Favourites"],
}
SHOWN: dict[str, Any] = {
    **DETAILS,
    "parts": ["game", "box", "manual"],
    "completeness": "cib",
    "purchase": {"price": "49.90", "currency": "USD", "date": "2019-07-04", "source": "Shop"},
    "tags": ["JRPG", "Favourites"],
}


async def test_every_detail_is_kept_and_shown(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="Chrono Trigger", **DETAILS)
    assert {key: item[key] for key in SHOWN} == SHOWN
    shown = await client.get(f"{ITEMS}/{item['id']}", headers=headers)
    assert shown.json() == item


async def test_a_wrong_check_digit_is_422_naming_the_barcode(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    response = await client.post(
        ITEMS, json={"name": "Tetris", "barcode": "036000291453"}, headers=headers
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {"barcode": "The UPC-A check digit is 3; it should be 2."}
    assert await item_count(live.settings) == 0


async def test_each_bad_detail_names_its_field(client: httpx.AsyncClient, live: LiveApp) -> None:
    headers = await new_user(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": "lent"}, "status"),
        ({"region": "europe"}, "region"),
        ({"edition": "e" * 201}, "edition"),
        ({"parts": ["cartridge"]}, "parts"),
        ({"sealed": "yes"}, "sealed"),
        ({"graded": {"company": "WATA"}}, "graded.grade"),
        ({"condition": "ok"}, "condition"),
        ({"purchase": {"price": "1.999", "currency": "EUR"}}, "purchase.price"),
        ({"purchase": {"price": "2"}}, "purchase.currency"),
        ({"purchase": {"date": "2999-01-01"}}, "purchase.date"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1000}, "quantity"),
        ({"tags": ["t" * 41]}, "tags"),
        ({"tags": [str(n) for n in range(21)]}, "tags"),
    ]
    for body, field in cases:
        response = await client.post(ITEMS, json={"name": "X", **body}, headers=headers)
        assert response.status_code == 422, (body, response.text)
        fields = error_of(response)["fields"]
        assert any(name == field or name.startswith(field + ".") for name in fields), (
            body,
            fields,
        )
    assert await item_count(live.settings) == 0


async def test_a_multipart_form_carries_the_details(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    form: dict[str, Any] = {
        "name": "EarthBound",
        "status": "owned",
        "region": "ntsc_u",
        "parts": '["game", "box"]',
        "sealed": "false",
        "graded": '{"company": "VGA", "grade": "85+"}',
        "barcode": "96385074",
        "purchase": '{"price": "250", "currency": "GBP"}',
        "quantity": "3",
        "tags": '["Mother", "SNES RPG"]',
    }
    # A part with a file name makes httpx send multipart; the item takes no such part.
    empty_file = {"attachment": ("note.txt", b"", "text/plain")}
    response = await client.post(ITEMS, data=form, files=empty_file, headers=headers)
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["parts"] == ["game", "box"]
    assert item["sealed"] is False
    assert item["graded"] == {"company": "VGA", "grade": "85+"}
    assert item["completeness"] == "graded"
    assert item["purchase"] == {"price": "250.00", "currency": "GBP", "date": None, "source": ""}
    assert item["quantity"] == 3
    assert item["tags"] == ["Mother", "SNES RPG"]

    bad = await client.post(
        ITEMS, data={**form, "quantity": "many"}, files=empty_file, headers=headers
    )
    assert bad.status_code == 422
    assert set(error_of(bad)["fields"]) == {"quantity"}
    bad = await client.post(
        ITEMS, data={**form, "purchase": "{250 GBP"}, files=empty_file, headers=headers
    )
    assert bad.status_code == 422
    assert set(error_of(bad)["fields"]) == {"purchase"}
    as_urlencoded = await client.post(ITEMS, data=form, headers=headers)
    assert as_urlencoded.status_code == 201, as_urlencoded.text
    assert {
        k: v for k, v in as_urlencoded.json().items() if k not in ("id", "created_at", "updated_at")
    } == {k: v for k, v in item.items() if k not in ("id", "created_at", "updated_at")}
    assert await item_count(live.settings) == 2


async def test_changes_rederive_completeness_and_null_restores_defaults(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    item = await create(client, headers, name="Zelda", **DETAILS)
    url = f"{ITEMS}/{item['id']}"

    async def patch(body: dict[str, Any]) -> dict[str, Any]:
        response = await client.patch(url, json=body, headers=headers)
        assert response.status_code == 200, response.text
        changed: dict[str, Any] = response.json()
        return changed

    assert (await patch({"parts": ["game"]}))["completeness"] == "loose"
    assert (await patch({"sealed": True}))["completeness"] == "sealed"
    graded = await patch({"graded": {"company": "CGC", "grade": "9.8"}})
    assert graded["completeness"] == "graded"
    assert graded["parts"] == ["game"] and graded["sealed"] is True
    back = await patch({"graded": None, "sealed": None, "parts": None})
    assert (back["graded"], back["sealed"], back["parts"], back["completeness"]) == (
        None,
        False,
        [],
        "unknown",
    )
    cleared = await patch(
        {"status": None, "region": None, "purchase": None, "tags": None, "quantity": None}
    )
    assert (cleared["status"], cleared["region"], cleared["purchase"]) == ("owned", None, None)
    assert (cleared["tags"], cleared["quantity"]) == ([], 1)
    assert cleared["edition"] == "Collector's Edition"  # not sent: kept
    refused = await client.patch(url, json={"barcode": "036000291450"}, headers=headers)
    assert refused.status_code == 422
    assert set(error_of(refused)["fields"]) == {"barcode"}
    shown = await client.get(url, headers=headers)
    assert shown.json()["barcode"] == "036000291452"
