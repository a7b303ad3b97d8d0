"""The gallery's grid: pages of cards on the cursor, search, and the way back to a card."""

from __future__ import annotations

import uuid
from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.config import Settings
from gamecoll.http.guard import authenticated, principal
from gamecoll.models import Item
from gamecoll.services.item_lists import ListParams
from gamecoll.services.items import ItemService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, is_htmx
from gamecoll.web.gallery_filters import filter_context
from gamecoll.web.gallery_views import (
    ACCEPT,
    LIMITS,
    card,
    clear_notice,
    filters_of,
    max_image_text,
    query,
    take_notice,
)
from gamecoll.web.rendering import Renderer

PAGE_SIZE: Final = 24
# The first cards are above the fold: load them at once, the rest lazily.
EAGER_CARDS: Final = 6
# Coming back from a game (`?at=<id>`) loads the pages down to its card, up to this many.
BACK_PAGES_MAX: Final = 20


def upload_state(
    *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """The upload form's state: typed values, field errors, a message, photos not added."""
    return {"form": values or {}, "errors": errors or {}, "message": "", "problems": []}


def _game_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def _cards_down_to(
    items: ItemService,
    user_id: uuid.UUID,
    at: uuid.UUID | None,
    *,
    cursor: str | None,
    params: ListParams,
) -> tuple[list[Item], str | None]:
    """Return one page of cards, or with `at` every page down to that card's."""
    found: list[Item] = []
    for _ in range(BACK_PAGES_MAX if at else 1):
        page = await items.page(user_id=user_id, limit=PAGE_SIZE, cursor=cursor, params=params)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None or any(item.id == at for item in page.items):
            break
    return found, cursor


async def gallery_context(
    request: Request,
    items: ItemService,
    settings: Settings,
    *,
    upload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the grid's context: one page from the cursor (or down to a card), filters kept."""
    who = principal(request)
    params = filters_of(request)
    cursor = request.args.get("cursor") or None
    at = _game_id(request.args.get("at")) if cursor is None else None
    found, next_cursor = await _cards_down_to(items, who.user.id, at, cursor=cursor, params=params)
    filters = query(params)
    first = cursor is None
    cards = [
        card(item, filters=filters, eager=first and index < EAGER_CARDS)
        for index, item in enumerate(found)
    ]
    more = f"/gallery{query(params, cursor=next_cursor)}" if next_cursor else ""
    return context(
        request,
        cards=cards,
        more=more,
        q=params.q or "",
        platform=params.platform or "",
        filters=filters,
        filtered=params.filtered,
        **await filter_context(items, who.user.id, params),
        first_page=first,
        upload=upload or upload_state(),
        accept=ACCEPT,
        max_image=max_image_text(settings.max_image_bytes),
        max_image_bytes=settings.max_image_bytes,
        max_request_bytes=request.app.config.REQUEST_MAX_SIZE,
        notice="",
        limits=LIMITS,
    )


@bp.get("/gallery")
@authenticated
async def gallery(
    request: Request, items: ItemService, renderer: Renderer, settings: Settings
) -> HTTPResponse:
    """Show the grid: the whole page, or for htmx only the cards (search, next page)."""
    ctx = await gallery_context(request, items, settings)
    if is_htmx(request):
        # The search form sends its empty menus too: the address bar gets only what filters.
        # (The next page's requests, with a cursor, push nothing.)
        pushed = {"hx-push-url": f"/gallery{ctx['filters']}"} if ctx["first_page"] else {}
        return renderer.response("gallery/_cards.html", ctx, headers=pushed)
    ctx["notice"] = take_notice(request)
    return clear_notice(renderer.response("gallery/page.html", ctx), request)
