"""The gallery's filters and sort: read from the query string, carried in links, and the
choices the controls offer (templates/partials/gallery_filters.html)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sanic import Request

from gamecoll.services.item_details import COMPLETENESS, REGIONS, STATUSES, TAG_MAX
from gamecoll.services.item_lists import SORTS, ListParams, clean_list_params
from gamecoll.services.items import ItemService
from gamecoll.web.item_labels import COMPLETENESS_LABELS, REGION_LABELS, SORT_LABELS, STATUS_LABELS


def list_params(request: Request) -> ListParams:
    """Read and check the list's filters, search and sort (422 when one is bad)."""
    return clean_list_params(request.get_args(keep_blank_values=True))


def list_query(params: ListParams, **extra: str | None) -> str:
    """The query string that keeps the list's parameters, with `extra` ('' when empty)."""
    pairs = params.query() + [(key, value) for key, value in extra.items() if value]
    return "?" + urlencode(pairs) if pairs else ""


async def filter_context(items: ItemService, user_id: Any, params: ListParams) -> dict[str, Any]:
    """What the filter controls show: the values in use, the choices, the user's platforms."""
    return {
        "list": params,
        "list_tag": ", ".join(params.tags),
        "platforms": await items.platforms(user_id=user_id),
        "choices": {
            "status": [(code, STATUS_LABELS[code]) for code in STATUSES],
            "region": [(code, REGION_LABELS[code]) for code in REGIONS],
            "completeness": [(code, COMPLETENESS_LABELS[code]) for code in COMPLETENESS],
            "sort": [(code, SORT_LABELS[code]) for code in SORTS],
        },
        "tag_max": TAG_MAX,
    }
