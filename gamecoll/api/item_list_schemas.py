"""The collection's list parameters (filters, sort, search, paging) and its stats, as the
API document shows them; the rules are in gamecoll/services/item_lists.py."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from gamecoll.models.keyset import CURSOR_MAX
from gamecoll.services.item_details import TAG_MAX
from gamecoll.services.item_lists import SEARCH_MIN, TAG_FILTERS_MAX
from gamecoll.services.item_rules import PAGE_DEFAULT, PAGE_MAX, PLATFORM_MAX, QUERY_MAX

LIMIT: Final = {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": PAGE_DEFAULT}
LIMIT_TEXT: Final = f"Items per page, 1 to {PAGE_MAX} (default {PAGE_DEFAULT}; empty is refused)."
CURSOR: Final = {"type": "string", "maxLength": CURSOR_MAX}
QUERY: Final = {"type": "string", "maxLength": QUERY_MAX}
PLATFORM: Final = {"type": "string", "maxLength": PLATFORM_MAX}
TAG_FILTER: Final = {
    "type": "array",
    "items": {"type": "string", "maxLength": TAG_MAX},
    "maxItems": TAG_FILTERS_MAX,
}
SEARCH_TEXT: Final = (
    f"Full-text search of the name, platform, edition, notes and tags ({QUERY_MAX} characters "
    "at most): every word must begin a word of the item; results come best first (name, then "
    f"edition and tags, then platform, then notes) unless `sort` is given. Under {SEARCH_MIN} "
    "characters, or without a letter or digit: the name or platform contains the text (any case)."
)
SORT_TEXT: Final = (
    "`added` (default: newest first), `-added` (oldest first), `name`, `platform` (then name), "
    "`price` (cheapest first), `-price` (dearest first); items without a price come last. "
    "Without it a search is ranked best first."
)


def choice(values: tuple[str, ...]) -> dict[str, Any]:
    """The schema of a parameter that takes one of these codes."""
    return {"type": "string", "enum": list(values)}


class CountOut(BaseModel):
    model_config = ConfigDict(title="PlatformCount")

    platform: str = Field(
        description="One of its spellings; platforms differing only in case count together."
    )
    items: int


class PurchaseTotalOut(BaseModel):
    model_config = ConfigDict(title="PurchaseTotal")

    currency: str = Field(examples=["EUR"])
    total: str = Field(description="The sum of the prices, two decimals.", examples=["149.80"])
    items: int = Field(description="Items with a price in this currency.")


class StatsOut(BaseModel):
    model_config = ConfigDict(title="CollectionStats")

    items: int
    copies: int = Field(description="The items' quantities added up.")
    by_status: dict[str, int] = Field(description="Items per status (absent: none).")
    by_completeness: dict[str, int] = Field(description="Items per completeness (absent: none).")
    by_platform: list[CountOut] = Field(description="Most items first; no platform is absent.")
    purchases: list[PurchaseTotalOut] = Field(description="Per currency, by code.")
