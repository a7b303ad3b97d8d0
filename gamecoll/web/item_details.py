"""The collector's details on the detail and edit views (templates/partials/item_details_*.html):
shown in words, and read back from the edit form."""

from __future__ import annotations

from typing import Any, Final

from sanic import Request

from gamecoll.http.forms import read_form
from gamecoll.models import Item
from gamecoll.services.item_details import (
    CONDITIONS,
    EDITION_MAX,
    GRADE_MAX,
    GRADER_MAX,
    PARTS,
    QUANTITY_MAX,
    REGIONS,
    SOURCE_MAX,
    STATUSES,
    TAG_MAX,
    TAGS_MAX,
    price_text,
)
from gamecoll.services.item_forms import form_item_values
from gamecoll.web.item_labels import (
    COMPLETENESS_LABELS,
    CONDITION_LABELS,
    PART_LABELS,
    REGION_LABELS,
    STATUS_LABELS,
)

MARKER: Final = "item_details"
"""A hidden input of the edit form: the details are in this form (unticked boxes included)."""
FIELDS: Final = (
    "status",
    "region",
    "edition",
    "sealed",
    "condition",
    "barcode",
    "quantity",
    "tags_text",
    "graded_company",
    "graded_grade",
    "purchase_price",
    "purchase_currency",
    "purchase_date",
    "purchase_source",
)


def details_view(item: Item) -> dict[str, Any]:
    """Shape an item's details for the detail view and to fill the edit form."""
    return {
        "status": item.status,
        "status_label": STATUS_LABELS.get(item.status, item.status),
        "region": item.region or "",
        "region_label": REGION_LABELS.get(item.region or "", ""),
        "edition": item.edition,
        "parts": list(item.parts),
        "parts_label": ", ".join(PART_LABELS[p] for p in item.parts if p in PART_LABELS),
        "sealed": item.sealed,
        "graded": item.graded,
        "completeness_label": COMPLETENESS_LABELS.get(item.completeness, item.completeness),
        "condition": item.condition or "",
        "condition_label": CONDITION_LABELS.get(item.condition or "", ""),
        "barcode": item.barcode or "",
        "quantity": item.quantity,
        "tags": list(item.tags),
        "tags_text": ", ".join(item.tags),
        "purchase_price": price_text(item.purchase_cents)
        if item.purchase_cents is not None
        else "",
        "purchase_currency": item.purchase_currency or "",
        "purchase_date": item.purchase_date.isoformat() if item.purchase_date else "",
        "purchase_source": item.purchase_source,
    }


def edit_choices() -> dict[str, Any]:
    """The choices and limits of the edit form's detail fields."""
    return {
        "status": [(code, STATUS_LABELS[code]) for code in STATUSES],
        "region": [(code, REGION_LABELS[code]) for code in REGIONS],
        "condition": [(code, CONDITION_LABELS[code]) for code in CONDITIONS],
        "parts": [(code, PART_LABELS[code]) for code in PARTS],
        "limits": {
            "edition": EDITION_MAX,
            "grader": GRADER_MAX,
            "grade": GRADE_MAX,
            "source": SOURCE_MAX,
            "quantity": QUANTITY_MAX,
            "tag": TAG_MAX,
            "tags": TAGS_MAX,
            "tags_text": TAGS_MAX * (TAG_MAX + 2),
        },
    }


def detail_changes(request: Request) -> dict[str, Any]:
    """The details an edit form sent, as JSON values for the item rules ({} without them)."""
    form = read_form(request)[0]
    if MARKER not in form:
        return {}
    values = form_item_values(form, page=True)
    return {key: value for key, value in values.items() if key not in ("name", "platform", "notes")}


def detail_echo(request: Request) -> dict[str, Any]:
    """The detail inputs as sent, to show the edit form again after an error."""
    form = read_form(request)[0]
    if MARKER not in form:
        return {}
    echo: dict[str, Any] = {key: form[key][0] for key in FIELDS if form.get(key)}
    echo["sealed"] = "sealed" in form
    echo["parts"] = list(form["parts"]) if "parts" in form else []
    return echo
