"""The rules of what collectors record about a copy, one field at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from gamecoll.errors import ValidationFailed
from gamecoll.services.item_details import (
    Purchase,
    check_digit,
    clean_barcode,
    clean_condition,
    clean_edition,
    clean_graded,
    clean_parts,
    clean_purchase,
    clean_quantity,
    clean_region,
    clean_sealed,
    clean_status,
    clean_tags,
    completeness,
    latest_purchase_date,
)
from gamecoll.services.item_forms import form_item_values
from gamecoll.services.item_rules import ItemFields, clean_changes, item_columns


def refused(clean: Any, value: object) -> ValidationFailed:
    """Run a rule that must refuse the value; return its error."""
    with pytest.raises(ValidationFailed) as exc:
        clean(value)
    return exc.value


def test_status_region_condition_take_only_their_codes() -> None:
    assert clean_status(None) == "owned"
    assert [clean_status(s) for s in ("owned", "wishlist", "for_trade", "sold")] == [
        "owned",
        "wishlist",
        "for_trade",
        "sold",
    ]
    assert clean_region(None) is None
    assert clean_region(" ntsc_j ") == "ntsc_j"
    assert clean_condition("near_mint") == "near_mint"
    for clean, field in ((clean_status, "status"), (clean_region, "region")):
        for bad in ("Owned", "NTSC-U", "", 3, ["pal"]):
            assert set(refused(clean, bad).fields) == {field}
    error = refused(clean_condition, "excellent")
    assert error.fields == {
        "condition": "Must be one of: mint, near_mint, very_good, good, fair, poor."
    }


def test_edition_is_text_up_to_200_characters() -> None:
    assert clean_edition(None) == ""
    assert clean_edition(" Greatest Hits ") == "Greatest Hits"
    assert clean_edition("é" * 200) == "é" * 200
    for bad in ("x" * 201, "a\x00", 5):
        assert set(refused(clean_edition, bad).fields) == {"edition"}


def test_parts_are_a_set_in_a_fixed_order() -> None:
    assert clean_parts(None) == []
    assert clean_parts(["manual", "game", "game", "box"]) == ["game", "box", "manual"]
    assert clean_parts(["inserts"]) == ["inserts"]
    for bad in ("game", ["cartridge"], [1], {"game": True}):
        assert set(refused(clean_parts, bad).fields) == {"parts"}


def test_sealed_is_a_boolean() -> None:
    assert clean_sealed(None) is False
    assert clean_sealed(True) is True
    for bad in ("true", 1, 0):
        assert refused(clean_sealed, bad).fields == {"sealed": "Must be true or false."}


def test_graded_needs_a_company_and_a_grade() -> None:
    assert clean_graded(None) is None
    assert clean_graded({"company": " WATA ", "grade": "9.4 A+"}) == {
        "company": "WATA",
        "grade": "9.4 A+",
    }
    assert set(refused(clean_graded, {"company": "VGA"}).fields) == {"graded.grade"}
    assert set(refused(clean_graded, {"company": " ", "grade": "85"}).fields) == {"graded.company"}
    assert set(refused(clean_graded, {"company": "x" * 101, "grade": "1"}).fields) == {
        "graded.company"
    }
    assert set(refused(clean_graded, {"company": "A", "grade": "1" * 21}).fields) == {
        "graded.grade"
    }
    assert set(refused(clean_graded, {"company": "A", "grade": "1", "x": 1}).fields) == {"graded"}
    assert set(refused(clean_graded, "WATA 9.4").fields) == {"graded"}


@pytest.mark.parametrize(
    ("parts", "sealed", "graded", "expected"),
    [
        (["game", "box", "manual"], True, {"company": "WATA", "grade": "9"}, "graded"),
        ([], True, None, "sealed"),
        (["game", "box", "manual"], False, None, "cib"),
        (["game", "box", "manual", "inserts"], False, None, "cib"),
        (["game", "box"], False, None, "boxed"),
        (["game", "box", "inserts"], False, None, "boxed"),
        (["game"], False, None, "loose"),
        (["game", "manual"], False, None, "loose"),
        (["box"], False, None, "box_only"),
        (["box", "manual"], False, None, "box_only"),
        (["manual"], False, None, "manual_only"),
        (["inserts"], False, None, "unknown"),
        ([], False, None, "unknown"),
    ],
)
def test_completeness_is_derived(
    parts: list[str], sealed: bool, graded: dict[str, str] | None, expected: str
) -> None:
    assert completeness(parts, sealed, graded) == expected


def test_barcodes_need_a_right_check_digit() -> None:
    assert check_digit("03600029145") == 2  # UPC-A 036000291452
    assert clean_barcode("036000291452") == "036000291452"
    assert clean_barcode(" 4006381333931 ") == "4006381333931"  # EAN-13
    assert clean_barcode("96385074") == "96385074"  # EAN-8
    assert clean_barcode(None) is None
    assert clean_barcode("  ") is None
    wrong = refused(clean_barcode, "4006381333932")
    assert wrong.fields == {"barcode": "The EAN-13 check digit is 2; it should be 1."}
    assert "barcode" in wrong.detail
    assert refused(clean_barcode, "036000291453").fields["barcode"].startswith("The UPC-A")
    assert refused(clean_barcode, "96385075").fields["barcode"].startswith("The EAN-8")
    for bad in ("12345", "40063813339311", "4006-381333931", "٤٠٠٦٣٨١٣٣٣٩٣١", 4006381333931):
        assert set(refused(clean_barcode, bad).fields) == {"barcode"}


def test_purchase_price_currency_date_source() -> None:
    assert clean_purchase(None) is None
    assert clean_purchase({}) is None
    assert clean_purchase({"price": "12.5", "currency": "eur"}) == Purchase(
        cents=1250, currency="EUR", date=None, source=""
    )
    assert clean_purchase({"price": "0", "currency": "JPY"}) == Purchase(0, "JPY", None, "")
    assert clean_purchase({"price": "9999999999.99", "currency": "DEM"}) == Purchase(
        999_999_999_999, "DEM", None, ""
    )
    assert clean_purchase({"date": "2001-09-14", "source": " eBay "}) == Purchase(
        None, None, date(2001, 9, 14), "eBay"
    )
    cases: list[tuple[dict[str, Any], str]] = [
        ({"price": "12.345", "currency": "EUR"}, "purchase.price"),
        ({"price": "-1", "currency": "EUR"}, "purchase.price"),
        ({"price": "1e3", "currency": "EUR"}, "purchase.price"),
        ({"price": 12.5, "currency": "EUR"}, "purchase.price"),
        ({"price": "12,50", "currency": "EUR"}, "purchase.price"),
        ({"price": "12345678901", "currency": "EUR"}, "purchase.price"),
        ({"price": "12"}, "purchase.currency"),
        ({"price": "12", "currency": "EURO"}, "purchase.currency"),
        ({"price": "12", "currency": "XXX"}, "purchase.currency"),
        ({"date": "2024-02-30"}, "purchase.date"),
        ({"date": "20240201"}, "purchase.date"),
        ({"date": "2024-02-01T10:00:00"}, "purchase.date"),
        ({"source": "x" * 201}, "purchase.source"),
        ({"shop": "x"}, "purchase"),
    ]
    for value, field in cases:
        assert set(refused(clean_purchase, value).fields) == {field}, value
    assert set(refused(clean_purchase, "12 EUR").fields) == {"purchase"}


def test_purchase_date_may_be_today_anywhere_but_not_later() -> None:
    latest = latest_purchase_date()
    assert latest - datetime.now(UTC).date() in (timedelta(0), timedelta(days=1))
    assert clean_purchase({"date": latest.isoformat()}) == Purchase(None, None, latest, "")
    tomorrow = latest + timedelta(days=1)
    error = refused(clean_purchase, {"date": tomorrow.isoformat()})
    assert error.fields == {"purchase.date": "Must not be in the future."}


def test_quantity_is_1_to_999() -> None:
    assert clean_quantity(None) == 1
    assert clean_quantity(999) == 999
    for bad in (0, 1000, -1, True, 2.0, "3"):
        assert set(refused(clean_quantity, bad).fields) == {"quantity"}


def test_tags_are_kept_as_typed_and_repeats_in_any_case_go() -> None:
    assert clean_tags(None) == []
    assert clean_tags([" RPG ", "rpg", "Straße", "STRASSE", "co-op"]) == ["RPG", "Straße", "co-op"]
    assert clean_tags(["t" * 40]) == ["t" * 40]
    assert len(clean_tags([f"tag {n}" for n in range(20)])) == 20
    for bad in (
        "rpg",
        ["t" * 41],
        [""],
        [" "],
        [1],
        ["a\nb"],
        [f"tag {n}" for n in range(21)],
    ):
        assert set(refused(clean_tags, bad).fields) == {"tags"}, bad


def test_item_columns_derive_keys_and_completeness() -> None:
    fields = ItemFields.clean(
        {
            "name": "ＺＥＬＤＡ",  # noqa: RUF001 - fullwidth on purpose
            "platform": "Super NES",
            "parts": ["game", "box"],
            "tags": ["RPG", "Zwei"],
            "purchase": {"price": "5", "currency": "usd", "date": "2020-01-02"},
        }
    )
    columns = fields.columns()
    assert columns["name_key"] == "zelda"
    assert columns["platform_key"] == "super nes"
    assert columns["tag_keys"] == ["rpg", "zwei"]
    assert columns["completeness"] == "boxed"
    assert (columns["purchase_cents"], columns["purchase_currency"]) == (500, "USD")
    assert columns["purchase_date"] == date(2020, 1, 2)

    class Stored:
        parts = ["game", "box"]
        sealed = False
        graded = None

    changed = item_columns(clean_changes({"parts": ["game", "box", "manual"]}), Stored())
    assert changed == {"parts": ["game", "box", "manual"], "completeness": "cib"}
    assert item_columns(clean_changes({"sealed": True}), Stored())["completeness"] == "sealed"
    assert item_columns(clean_changes({"purchase": None}), Stored()) == {
        "purchase_cents": None,
        "purchase_currency": None,
        "purchase_date": None,
        "purchase_source": "",
    }


def test_api_forms_carry_structured_fields_as_json_text() -> None:
    form = {
        "name": ["Chrono Trigger"],
        "status": ["wishlist"],
        "region": [""],
        "parts": ['["game", "manual"]'],
        "tags": ['["RPG", "Square"]'],
        "sealed": ["true"],
        "quantity": ["2"],
        "graded": ['{"company": "WATA", "grade": "9.6"}'],
        "purchase": [""],
    }
    assert form_item_values(form) == {
        "name": "Chrono Trigger",
        "status": "wishlist",
        "parts": ["game", "manual"],
        "tags": ["RPG", "Square"],
        "sealed": True,
        "quantity": 2,
        "graded": {"company": "WATA", "grade": "9.6"},
    }
    assert form_item_values({"quantity": ["two"], "sealed": ["1"], "tags": ["{}"]}) == {
        "quantity": "two",
        "sealed": "1",
        "tags": {},
    }
    for field, text in (("purchase", "{not json"), ("tags", "RPG")):
        with pytest.raises(ValidationFailed) as exc:
            form_item_values({field: [text]})
        assert set(exc.value.fields) == {field}


def test_page_forms_use_checkboxes_and_separate_inputs() -> None:
    form = {
        "name": ["Chrono Trigger"],
        "parts": ["game", "manual"],
        "tags_text": ["RPG, Square ,,"],
        "sealed": ["true"],
        "graded_company": [""],
        "graded_grade": [""],
        "purchase_price": ["12.50"],
        "purchase_currency": ["EUR"],
        "purchase_date": [""],
    }
    assert form_item_values(form, page=True) == {
        "name": "Chrono Trigger",
        "parts": ["game", "manual"],
        "tags": ["RPG", " Square "],
        "sealed": True,
        "graded": None,
        "purchase": {"price": "12.50", "currency": "EUR"},
    }
    unticked = form_item_values({"name": ["X"]}, page=True)
    assert unticked == {"name": "X", "parts": [], "sealed": False}
