"""Item fields sent as a form (the API's multipart create, the gallery's pages), read into the
JSON values the item rules take (item_rules.py `CLEANERS`); the rules then judge them.

A form has only strings: `sealed` is true or false (a ticked box sends true), `quantity` digits,
the structured fields JSON text (the API) or separate inputs (the pages). An empty optional
field is absent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from gamecoll.services.text_rules import fail

TEXT_FIELDS: Final = ("name", "platform", "notes", "edition", "barcode")
CHOICE_FIELDS: Final = ("status", "region", "condition")
LIST_FIELDS: Final = ("parts", "tags")
JSON_FIELDS: Final = ("metadata", "graded", "purchase")
TAGS_TEXT: Final = "tags_text"
"""The pages' single tag input: tags separated by commas."""


def _json_text(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        kind = "array" if field in LIST_FIELDS else "object"
        raise fail(field, f"Must be a JSON {kind}, as text.") from None


def _flag(text: str) -> object:
    word = text.strip().lower()
    return True if word == "true" else False if word == "false" else text


def _number(text: str) -> object:
    digits = text.strip()
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else text


def _grouped(form: Mapping[str, Sequence[str]], prefix: str, keys: tuple[str, ...]) -> Any:
    """Gather the pages' `<prefix>_<key>` inputs into one object (None when all are empty)."""
    values = {key: _all(form, f"{prefix}_{key}") for key in keys}
    kept = {key: value[0].strip() for key, value in values.items() if value and value[0].strip()}
    return kept or None


def _all(form: Mapping[str, Sequence[str]], key: str) -> Sequence[str]:
    """Every value of a field (a form's own `get` may give only the first)."""
    return form[key] if key in form else ()  # noqa: SIM401 - Sanic's `get` gives one value


def form_item_values(form: Mapping[str, Sequence[str]], *, page: bool = False) -> dict[str, Any]:
    """Read a form's item fields as JSON values; fields the form does not carry are left out.

    The API's forms send `parts` and `tags` as JSON arrays in text, like `metadata`, `graded`
    and `purchase`. The pages (`page`) send checkboxes for the parts and `sealed` (browsers
    send nothing for an unticked box: none and false), tags in one comma-separated input,
    and the grading and purchase as separate inputs.
    """
    values: dict[str, Any] = {}
    first = {key: _all(form, key)[0] for key in form if _all(form, key)}
    for key in TEXT_FIELDS:
        if key in first:
            values[key] = first[key]
    for key in CHOICE_FIELDS:
        if first.get(key, "").strip():
            values[key] = first[key]
    if first.get("sealed", "").strip():
        values["sealed"] = _flag(first["sealed"])
    if first.get("quantity", "").strip():
        values["quantity"] = _number(first["quantity"])
    for key in (*JSON_FIELDS, *(() if page else LIST_FIELDS)):
        if first.get(key, "").strip():
            values[key] = _json_text(first[key], key)
    if page:
        values.update(_page_values(form, first))
    return values


def _page_values(form: Mapping[str, Sequence[str]], first: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"parts": list(_all(form, "parts"))}
    values["sealed"] = _flag(first["sealed"]) if first.get("sealed", "").strip() else False
    if TAGS_TEXT in first:
        values["tags"] = [tag for tag in first[TAGS_TEXT].split(",") if tag.strip()]
    if any(key.startswith("graded_") for key in form):
        values["graded"] = _grouped(form, "graded", ("company", "grade"))
    if any(key.startswith("purchase_") for key in form):
        values["purchase"] = _grouped(form, "purchase", ("price", "currency", "date", "source"))
    return values
