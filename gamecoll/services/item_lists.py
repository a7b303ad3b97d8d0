"""Rules for a list's parameters: filters, sort and search, as the API and the gallery send them.

`GET /collection/items` and `/gallery` take the same query parameters; this module checks
them once (422 naming the parameter) and turns them into the filter the SQL is written from
(gamecoll/models/item_lists.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from gamecoll.models.item_lists import RELEVANCE, ListFilter
from gamecoll.services.item_details import COMPLETENESS, REGIONS, STATUSES, TAG_MAX
from gamecoll.services.item_rules import PLATFORM_KEY_MAX, PLATFORM_MAX, QUERY_MAX, clean_filter
from gamecoll.services.text_rules import fail, text_key

SORTS: Final = ("added", "-added", "name", "platform", "price", "-price")
"""The sorts a client picks; without one a search is ranked, else newest first."""
DEFAULT_SORT: Final = "added"
SEARCH_MIN: Final = 4
"""Shorter searches (and those without a letter or digit) look for the text anywhere in the
name or platform, as before full-text search."""
TAG_FILTERS_MAX: Final = 10
_WORD: Final = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class ListParams:
    """A list's checked parameters: the filter and order, and the values as they were sent."""

    where: ListFilter
    sort: str | None = None
    q: str | None = None
    platform: str | None = None
    status: str | None = None
    region: str | None = None
    completeness: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def order(self) -> str:
        """The order's name: the sort asked for, else by relevance for a search, else newest."""
        if self.sort:
            return self.sort
        return RELEVANCE if self.where.words else DEFAULT_SORT

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.q or self.platform or self.status or self.region or self.completeness or self.tags
        )

    def query(self) -> list[tuple[str, str]]:
        """The parameters to carry in links (the values as sent; tags repeat)."""
        pairs = [
            (key, value)
            for key, value in (
                ("q", self.q),
                ("platform", self.platform),
                ("status", self.status),
                ("region", self.region),
                ("completeness", self.completeness),
            )
            if value
        ]
        pairs += [("tag", tag) for tag in self.tags]
        if self.sort:
            pairs.append(("sort", self.sort))
        return pairs


def _first(args: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = args[key] if key in args else ()  # noqa: SIM401 - Sanic's `get` gives one value
    return values[0] if values else None


def _choice(value: str | None, field: str, choices: tuple[str, ...]) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if text not in choices:
        raise fail(field, f"Must be one of: {', '.join(choices)}.")
    return text


def search_words(q: str) -> tuple[str, ...]:
    """The words of a full-text search (none: search for the text as it is)."""
    if len(q) < SEARCH_MIN:
        return ()
    return tuple(_WORD.findall(q.lower()))


def clean_list_params(args: Mapping[str, Sequence[str]]) -> ListParams:
    """Check a list's query parameters (each list of values as sent); 422 names the bad one."""
    q = clean_filter(_first(args, "q"), "q", QUERY_MAX)
    platform = clean_filter(_first(args, "platform"), "platform", PLATFORM_MAX)
    status = _choice(_first(args, "status"), "status", STATUSES)
    region = _choice(_first(args, "region"), "region", REGIONS)
    completeness = _choice(_first(args, "completeness"), "completeness", COMPLETENESS)
    sort = _choice(_first(args, "sort"), "sort", SORTS)
    sent_tags = args["tag"] if "tag" in args else ()  # noqa: SIM401 - all values
    tags = tuple(tag for tag in (clean_filter(t, "tag", TAG_MAX) for t in sent_tags) if tag)
    if len(tags) > TAG_FILTERS_MAX:
        raise fail("tag", f"Filter on at most {TAG_FILTERS_MAX} tags.")
    words = search_words(q) if q else ()
    where = ListFilter(
        status=status,
        region=region,
        completeness=completeness,
        platform_key=text_key(platform)[:PLATFORM_KEY_MAX] if platform else None,
        tag_keys=tuple(dict.fromkeys(text_key(tag) for tag in tags)),
        words=words,
        substring=text_key(q) if q and not words else None,
    )
    return ListParams(
        where=where,
        sort=sort,
        q=q,
        platform=platform,
        status=status,
        region=region,
        completeness=completeness,
        tags=tags,
    )
