"""Rules for what collectors record about a copy: status, region, edition, parts, grading,
condition, barcode, purchase, quantity and tags; and the completeness derived from them.

Each `clean_*` takes a decoded JSON value (None: absent or null) and returns the value kept,
or raises a 422 that names the field. Form readers turn their strings into JSON values first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from gamecoll.services.clock import utcnow
from gamecoll.services.currencies import CURRENCIES
from gamecoll.services.text_rules import clean_text, fail, text_key

STATUSES: Final = ("owned", "wishlist", "for_trade", "sold")
REGIONS: Final = ("ntsc_u", "pal", "ntsc_j", "ntsc_c", "region_free", "other")
PARTS: Final = ("game", "box", "manual", "inserts")
CONDITIONS: Final = ("mint", "near_mint", "very_good", "good", "fair", "poor")
COMPLETENESS: Final = (
    "sealed",
    "graded",
    "cib",
    "boxed",
    "loose",
    "box_only",
    "manual_only",
    "unknown",
)
DEFAULT_STATUS: Final = "owned"
EDITION_MAX: Final = 200
GRADER_MAX: Final = 100
GRADE_MAX: Final = 20
SOURCE_MAX: Final = 200
QUANTITY_MAX: Final = 999
TAGS_MAX: Final = 20
TAG_MAX: Final = 40
PRICE_DIGITS: Final = 10
"""Digits before the decimal point of a price (up to 9,999,999,999.99)."""
BARCODE_LENGTHS: Final = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}
LATEST_OFFSET: Final = timedelta(hours=14)
"""A purchase date may be today anywhere on Earth: UTC+14 is the latest time zone."""

_PRICE: Final = re.compile(rf"(\d{{1,{PRICE_DIGITS}}})(?:\.(\d{{1,2}}))?")


def _choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip() not in choices:
        raise fail(field, f"Must be one of: {', '.join(choices)}.")
    return value.strip()


def clean_status(value: object, field: str = "status") -> str:
    """Return owned (the default), wishlist, for_trade or sold."""
    return DEFAULT_STATUS if value is None else _choice(value, field, STATUSES)


def clean_region(value: object, field: str = "region") -> str | None:
    """Return the region code, or None when unknown."""
    return None if value is None else _choice(value, field, REGIONS)


def clean_condition(value: object, field: str = "condition") -> str | None:
    """Return the condition grade, or None when not recorded."""
    return None if value is None else _choice(value, field, CONDITIONS)


def clean_edition(value: object, field: str = "edition") -> str:
    """Return the trimmed edition of up to 200 characters ('' for none)."""
    return "" if value is None else clean_text(value, field, most=EDITION_MAX)


def clean_parts(value: object, field: str = "parts") -> list[str]:
    """Return the parts present as a set, in the order game, box, manual, inserts."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(field, f"Must be a list of: {', '.join(PARTS)}.")
    chosen = {_choice(part, field, PARTS) for part in value}
    return [part for part in PARTS if part in chosen]


def clean_sealed(value: object, field: str = "sealed") -> bool:
    """Return whether the copy is factory-sealed (false when absent)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise fail(field, "Must be true or false.")
    return value


def clean_graded(value: object, field: str = "graded") -> dict[str, str] | None:
    """Return `{"company", "grade"}` of a professionally graded copy, or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(field, 'Must be an object {"company": ..., "grade": ...} or null.')
    extra = sorted(set(value) - {"company", "grade"})
    if extra:
        raise fail(field, f"Has no field {extra[0]!r}; only company and grade.")
    company = clean_text(value.get("company") or "", f"{field}.company", most=GRADER_MAX)
    grade = clean_text(value.get("grade") or "", f"{field}.grade", most=GRADE_MAX)
    if not company:
        raise fail(f"{field}.company", "Enter the grading company.")
    if not grade:
        raise fail(f"{field}.grade", "Enter the grade.")
    return {"company": company, "grade": grade}


def clean_quantity(value: object, field: str = "quantity") -> int:
    """Return how many copies (1 to 999; 1 when absent)."""
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= QUANTITY_MAX:
        raise fail(field, f"Must be a whole number from 1 to {QUANTITY_MAX}.")
    return value


def check_digit(digits: str) -> int:
    """Return the GS1 check digit of a code's digits without it (EAN-8, UPC-A, EAN-13)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def clean_barcode(value: object, field: str = "barcode") -> str | None:
    """Return a UPC-A, EAN-13 or EAN-8 code whose check digit is right, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(field, "Must be a string of digits.")
    code = value.strip()
    if not code:
        return None
    if not (code.isascii() and code.isdigit()) or len(code) not in BARCODE_LENGTHS:
        raise fail(field, "Must be the 12 digits of a UPC-A, or the 13 or 8 of an EAN.")
    expected = check_digit(code[:-1])
    if int(code[-1]) != expected:
        kind = BARCODE_LENGTHS[len(code)]
        raise fail(field, f"The {kind} check digit is {code[-1]}; it should be {expected}.")
    return code


def latest_purchase_date() -> date:
    """Return the latest purchase date accepted: today in the latest time zone."""
    return (utcnow() + LATEST_OFFSET).date()


@dataclass(frozen=True, slots=True)
class Purchase:
    """What a copy cost, when and where: price in cents with its currency, date, source."""

    cents: int | None
    currency: str | None
    date: date | None
    source: str


def price_text(cents: int) -> str:
    """Write a price in cents as its decimal string, always with two decimals ("12.50")."""
    return f"{cents // 100}.{cents % 100:02d}"


def _price_cents(value: object, field: str) -> int | None:
    if value is None:
        return None
    match = _PRICE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise fail(field, 'Must be a decimal string with at most 2 decimals, such as "12.50".')
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def _currency(value: object, field: str) -> str | None:
    if value is None:
        return None
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in CURRENCIES:
        raise fail(field, 'Must be an ISO 4217 currency code, such as "EUR" or "USD".')
    return code


def _purchase_date(value: object, field: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None or not isinstance(value, str) or len(value.strip()) != 10:
        raise fail(field, 'Must be a date written YYYY-MM-DD, such as "2024-03-01".')
    if day > latest_purchase_date():
        raise fail(field, "Must not be in the future.")
    return day


def clean_purchase(value: object, field: str = "purchase") -> Purchase | None:
    """Return the purchase (each part optional, a price needs its currency), or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(field, 'Must be an object {"price", "currency", "date", "source"} or null.')
    extra = sorted(set(value) - {"price", "currency", "date", "source"})
    if extra:
        raise fail(field, f"Has no field {extra[0]!r}; only price, currency, date and source.")
    cents = _price_cents(value.get("price"), f"{field}.price")
    currency = _currency(value.get("currency"), f"{field}.currency")
    if cents is not None and currency is None:
        raise fail(f"{field}.currency", "Give the currency of the price.")
    day = _purchase_date(value.get("date"), f"{field}.date")
    source_value = value.get("source")
    source = (
        "" if source_value is None else clean_text(source_value, f"{field}.source", most=SOURCE_MAX)
    )
    if cents is None and currency is None and day is None and not source:
        return None
    return Purchase(cents=cents, currency=currency, date=day, source=source)


def purchase_json(purchase: Purchase | None) -> dict[str, Any] | None:
    """Shape a purchase for the API (prices as decimal strings, dates as ISO dates)."""
    if purchase is None:
        return None
    return {
        "price": price_text(purchase.cents) if purchase.cents is not None else None,
        "currency": purchase.currency,
        "date": purchase.date.isoformat() if purchase.date else None,
        "source": purchase.source,
    }


def clean_tags(value: object, field: str = "tags") -> list[str]:
    """Return up to 20 tags of up to 40 characters, as typed; a repeat in another case goes."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(field, "Must be a list of strings.")
    tags: list[str] = []
    seen: set[str] = set()
    for entry in value:
        tag = clean_text(entry, field, most=TAG_MAX)
        if not tag:
            raise fail(field, "Tags must not be empty.")
        if text_key(tag) not in seen:
            seen.add(text_key(tag))
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise fail(field, f"Use at most {TAGS_MAX} tags.")
    return tags


def tag_keys(tags: Iterable[str]) -> list[str]:
    """Return the keys under which tags are matched (any case)."""
    return [text_key(tag) for tag in tags]


def completeness(parts: Iterable[str], sealed: bool, graded: object) -> str:
    """Derive how complete a copy is: graded, sealed, cib, boxed, loose, box_only, ...

    A graded copy is `graded` even when sealed inside its case; then a sealed copy is
    `sealed`; otherwise the parts decide: game, box and manual make `cib`, game and box
    `boxed`, a game without its box `loose`, a box without the game `box_only`, a manual
    alone `manual_only`; nothing recorded (or only inserts) is `unknown`.
    """
    have = set(parts)
    if graded:
        return "graded"
    if sealed:
        return "sealed"
    if {"game", "box", "manual"} <= have:
        return "cib"
    if {"game", "box"} <= have:
        return "boxed"
    if "game" in have:
        return "loose"
    if "box" in have:
        return "box_only"
    if "manual" in have:
        return "manual_only"
    return "unknown"
