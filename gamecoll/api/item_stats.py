"""The collection's counts: items by status, platform and completeness; money spent."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import operation
from gamecoll.api.item_list_schemas import StatsOut
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.responses import private_json
from gamecoll.services.items import ItemService

bp = Blueprint("item_stats", url_prefix="/collection")


@bp.get("/stats")
@operation(
    "getCollectionStats",
    tag="collection",
    answers={200: (StatsOut, "The counts of the user's collection")},
    auth=True,
    scopes=("collection:read",),
)
@authenticated
async def collection_stats(request: Request, items: ItemService) -> HTTPResponse:
    """Count the items by status, platform and completeness, and total purchases per currency."""
    return private_json(await items.stats(user_id=principal(request).user.id))
