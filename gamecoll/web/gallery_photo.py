"""A game's photo from its detail page: add or change it, or take it away."""

from __future__ import annotations

import uuid

from sanic import HTTPResponse, Request

from gamecoll.config import Settings
from gamecoll.errors import AppError, DuplicatePhoto
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.limits import upload_body
from gamecoll.services.items import ItemService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import go, is_htmx
from gamecoll.web.gallery_item import detail_context
from gamecoll.web.gallery_views import (
    DUPLICATE_PAGE_TEXT,
    PHOTO_FIELD,
    filters_of,
    query,
    set_notice,
)
from gamecoll.web.rendering import Renderer


async def _answer(
    request: Request,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
    item_id: uuid.UUID,
    *,
    message: str,
) -> HTTPResponse:
    """Show the detail view with its new photo (htmx), or go back to the page."""
    if not is_htmx(request):
        response = go(request, f"/gallery/{item_id}{query(filters_of(request))}")
        return set_notice(response, request, message)
    ctx = await detail_context(
        request, items, settings, item_id, editing=False, photo={"message": message}
    )
    return renderer.response("gallery/_detail.html", ctx)


@bp.post("/gallery/<item_id:uuid>/photo", ctx_body_limit=upload_body)
@authenticated
async def gallery_photo(
    request: Request,
    item_id: uuid.UUID,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Give a game a photo, or a new one in place of the old (the checks of every upload)."""
    user_id = principal(request).user.id
    await items.get(user_id=user_id, item_id=item_id)  # 404 before the photo is read
    upload = request.files.get(PHOTO_FIELD) if request.files else None
    problem = ""
    if upload is None or not upload.body:
        problem = "Choose a photo first."
    else:
        try:
            await items.replace_image(user_id=user_id, item_id=item_id, data=upload.body)
        except AppError as exc:
            detail = DUPLICATE_PAGE_TEXT if isinstance(exc, DuplicatePhoto) else exc.detail
            problem = f"{upload.name}: {detail}" if upload.name else detail
    if problem:
        ctx = await detail_context(
            request, items, settings, item_id, editing=False, photo={"error": problem}
        )
        template = "gallery/_detail.html" if is_htmx(request) else "gallery/detail.html"
        return renderer.response(template, ctx, status=422)
    return await _answer(
        request, items, renderer, settings, item_id, message="The photo has been saved."
    )


@bp.post("/gallery/<item_id:uuid>/photo/delete")
@authenticated
async def gallery_photo_delete(
    request: Request,
    item_id: uuid.UUID,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Take a game's photo away (the game stays)."""
    await items.remove_image(user_id=principal(request).user.id, item_id=item_id)
    return await _answer(
        request, items, renderer, settings, item_id, message="The photo has been removed."
    )
