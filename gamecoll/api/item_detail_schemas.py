"""What collectors record about a copy, in the API's requests and answers (the rules are in
gamecoll/services/item_details.py; these shapes document them and check JSON types)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

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
)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _enum(values: tuple[str, ...], description: str) -> Any:
    return Field(default=None, json_schema_extra={"enum": [*values, None]}, description=description)


class GradedIn(_In):
    model_config = ConfigDict(title="Graded", extra="forbid")

    company: StrictStr = Field(
        json_schema_extra={"minLength": 1, "maxLength": GRADER_MAX}, examples=["WATA"]
    )
    grade: StrictStr = Field(
        json_schema_extra={"minLength": 1, "maxLength": GRADE_MAX}, examples=["9.4 A+"]
    )


class PurchaseIn(_In):
    model_config = ConfigDict(title="Purchase", extra="forbid")

    price: StrictStr | None = Field(
        default=None,
        json_schema_extra={"pattern": r"^\s*[0-9]{1,10}(\.[0-9]{1,2})?\s*$"},
        description="A decimal string with at most 2 decimals; needs `currency`.",
        examples=["49.90"],
    )
    currency: StrictStr | None = Field(
        default=None, description="An ISO 4217 code (any case).", examples=["EUR"]
    )
    date: StrictStr | None = Field(
        default=None,
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD, not in the future.",
        examples=["2024-03-01"],
    )
    source: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": SOURCE_MAX}, examples=["Flea market"]
    )


class ItemDetailsIn(_In):
    """What collectors record: shared by the create and the change requests."""

    status: StrictStr | None = _enum(STATUSES, "Default owned; null sets the default.")
    region: StrictStr | None = _enum(REGIONS, "null: unknown.")
    edition: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": EDITION_MAX}, examples=["Player's Choice"]
    )
    parts: list[StrictStr] | None = Field(
        default=None,
        json_schema_extra={"items": {"type": "string", "enum": list(PARTS)}},
        description="The parts present, as a set (repeats count once).",
        examples=[["game", "box", "manual"]],
    )
    sealed: StrictBool | None = Field(default=None, description="Factory-sealed.")
    graded: GradedIn | None = Field(default=None, description="Graded by a company; null: not.")
    condition: StrictStr | None = _enum(CONDITIONS, "null: not recorded.")
    barcode: StrictStr | None = Field(
        default=None,
        json_schema_extra={"pattern": r"^\s*([0-9]{8}|[0-9]{12,13})?\s*$"},
        description="UPC-A (12 digits), EAN-13 or EAN-8, with a valid check digit.",
        examples=["045496830434"],
    )
    purchase: PurchaseIn | None = Field(default=None, description="null: none recorded.")
    quantity: StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 1, "maximum": QUANTITY_MAX}
    )
    tags: list[StrictStr] | None = Field(
        default=None,
        json_schema_extra={
            "maxItems": TAGS_MAX,
            "items": {"type": "string", "minLength": 1, "maxLength": TAG_MAX},
        },
        description="Kept as typed; matched in any case; a repeat in another case counts once.",
        examples=[["RPG", "Favourites"]],
    )


class GradedOut(BaseModel):
    model_config = ConfigDict(title="GradedOut")

    company: str
    grade: str


class PurchaseOut(BaseModel):
    model_config = ConfigDict(title="PurchaseOut")

    price: str | None = Field(description="Always with two decimals.", examples=["49.90"])
    currency: str | None = Field(examples=["EUR"])
    date: str | None = Field(json_schema_extra={"format": "date"}, examples=["2024-03-01"])
    source: str


def one_of(values: tuple[str, ...], nullable: bool = False) -> Any:
    """An answer's field that holds one of these codes (or null)."""
    return Field(json_schema_extra={"enum": [*values, *([None] if nullable else [])]})
