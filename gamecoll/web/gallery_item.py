"""One game's pages: the detail view, editing its facts, and deleting it."""

from __future__ import annotations

import uuid
from typing import Any

from sanic import HTTPResponse, Request

from gamecoll.config import Settings
from gamecoll.errors import ValidationFailed
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.limits import ITEM_FORM_BODY
from gamecoll.services.item_rules import clean_changes
from gamecoll.services.items import ItemService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, go, is_htmx, safe_next
from gamecoll.web.gallery_views import (
    ACCEPT,
    LIMITS,
    clear_notice,
    detail,
    filters_of,
    max_image_text,
    query,
    set_notice,
    take_notice,
)
from gamecoll.web.item_details import detail_changes, detail_echo, edit_choices
from gamecoll.web.rendering import Renderer


async def detail_context(
    request: Request, items: ItemService, settings: Settings, item_id: uuid.UUID, **values: Any
) -> dict[str, Any]:
    """Build the detail view's context: the item, its neighbours, the way back to its card."""
    who = principal(request)
    item = await items.get(user_id=who.user.id, item_id=item_id)
    params = filters_of(request)
    newer, older = await items.neighbours(item=item, params=params)
    filters = query(params)
    state: dict[str, Any] = {"form": {}, "errors": {}, "message": ""}
    state.update(values.pop("edit", {}))
    photo: dict[str, Any] = {"error": "", "message": ""}
    photo.update(values.pop("photo", {}))
    return context(
        request,
        item=detail(item),
        filters=filters,
        grid=f"/gallery{filters}",
        back=f"/gallery{query(params, at=str(item.id))}#item-{item.id}",
        newer=f"/gallery/{newer.id}{filters}" if newer else "",
        older=f"/gallery/{older.id}{filters}" if older else "",
        newer_name=newer.name if newer else "",
        older_name=older.name if older else "",
        edit=state,
        photo=photo,
        limits=LIMITS,
        detail_choices=edit_choices(),
        accept=ACCEPT,
        max_image=max_image_text(settings.max_image_bytes),
        max_image_bytes=settings.max_image_bytes,
        saved=False,
        **values,
    )


def _page(
    request: Request, renderer: Renderer, ctx: dict[str, Any], status: int = 200
) -> HTTPResponse:
    """Render the detail page with the one-time notice the last answer left."""
    ctx["edit"]["message"] = ctx["edit"]["message"] or take_notice(request)
    response = renderer.response("gallery/detail.html", ctx, status=status)
    return clear_notice(response, request)


@bp.get("/gallery/<item_id:uuid>")
@authenticated
async def gallery_item(
    request: Request,
    item_id: uuid.UUID,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Show one game: the page, or for htmx (keyboard navigation) only the detail view."""
    ctx = await detail_context(request, items, settings, item_id, editing=False)
    if not is_htmx(request):
        return _page(request, renderer, ctx)
    # Cancelling an edit asks for the facts only; the keyboard asks for the whole view.
    facts = request.headers.get("hx-target") == "facts"
    template = "gallery/_facts.html" if facts else "gallery/_detail.html"
    return renderer.response(template, ctx)


@bp.get("/gallery/<item_id:uuid>/edit")
@authenticated
async def gallery_edit(
    request: Request,
    item_id: uuid.UUID,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Show the edit form: in place for htmx, else the detail page in edit mode."""
    ctx = await detail_context(request, items, settings, item_id, editing=True)
    if not is_htmx(request):
        return _page(request, renderer, ctx)
    return renderer.response("gallery/_edit.html", ctx)


@bp.post("/gallery/<item_id:uuid>", ctx_body_limit=ITEM_FORM_BODY)
@authenticated
async def gallery_save(
    request: Request,
    item_id: uuid.UUID,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Save the name, platform and notes; errors come back next to the fields."""
    who = principal(request)
    form = form_data(request)
    values = {key: form_text(form, key) for key in ("name", "platform", "notes")}
    item = await items.get(user_id=who.user.id, item_id=item_id)
    try:
        await items.update(item=item, changes=clean_changes({**values, **detail_changes(request)}))
    except ValidationFailed as exc:
        echo = {**values, **detail_echo(request)}
        ctx = await detail_context(
            request,
            items,
            settings,
            item_id,
            editing=True,
            edit={"form": echo, "errors": exc.fields},
        )
        template = "gallery/_edit.html" if is_htmx(request) else "gallery/detail.html"
        return renderer.response(template, ctx, status=422)
    if not is_htmx(request):
        response = go(request, f"/gallery/{item_id}{query(filters_of(request))}")
        return set_notice(response, request, "Saved.")
    ctx = await detail_context(
        request, items, settings, item_id, editing=False, edit={"message": "Saved."}
    )
    return renderer.response("gallery/_facts.html", ctx)


@bp.get("/gallery/<item_id:uuid>/delete")
@authenticated
async def gallery_confirm_delete(
    request: Request,
    item_id: uuid.UUID,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Ask before deleting (the page that works without JavaScript)."""
    ctx = await detail_context(request, items, settings, item_id, editing=False)
    return renderer.response("gallery/delete.html", ctx)


@bp.post("/gallery/<item_id:uuid>/delete")
@authenticated
async def gallery_delete(
    request: Request, item_id: uuid.UUID, items: ItemService, renderer: Renderer
) -> HTTPResponse:
    """Delete a game and its photo; from the grid the card goes, else back to the grid."""
    who = principal(request)
    item = await items.get(user_id=who.user.id, item_id=item_id)
    await items.delete(user_id=who.user.id, item_id=item_id)
    target = form_text(form_data(request), "next")
    if is_htmx(request) and not target:
        # The card is replaced by nothing; say so in the alert area.
        ctx = context(request, name=item.name)
        return renderer.response("gallery/_deleted.html", ctx)
    response = go(request, safe_next(target, default="/gallery"))
    return set_notice(response, request, f"Deleted “{item.name}”.")
