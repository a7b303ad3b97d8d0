"""The gallery: a grid on the cursor, search, upload, the detail view, edit and delete."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any, Final

from sanic import HTTPResponse, Request
from sanic.request import File

from gamecoll.errors import AppError, ValidationFailed
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.limits import ITEM_FORM_BODY, upload_body
from gamecoll.models import Item
from gamecoll.services.image_checks import ACCEPTED_CONTENT_TYPES
from gamecoll.services.item_json import image_json
from gamecoll.services.item_rules import (
    NAME_MAX,
    NOTES_MAX,
    PLATFORM_MAX,
    QUERY_MAX,
    ItemFields,
    clean_changes,
)
from gamecoll.services.items import ItemService
from gamecoll.services.renditions import THUMB_SIZE
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, form_text, from_htmx, go, is_htmx, safe_next
from gamecoll.web.gallery_filters import filter_context, list_params, list_query
from gamecoll.web.item_details import detail_changes, detail_echo, details_view, edit_choices
from gamecoll.web.rendering import renderer

PAGE_SIZE: Final = 24
# The first cards are above the fold: load them at once, the rest lazily.
EAGER_CARDS: Final = 6
UPLOAD_FIELD: Final = "images"


def _items(request: Request) -> ItemService:
    service: ItemService = request.app.ctx.services.items
    return service


_filters = list_params  # the list's filters, search and sort (gallery_filters.py)
_query = list_query


def _thumb_size(item: Item) -> tuple[int, int]:
    """Return the thumbnail's size (the image scaled to fit THUMB_SIZE), for width/height."""
    width, height = item.image_width or THUMB_SIZE, item.image_height or THUMB_SIZE
    scale = min(1.0, THUMB_SIZE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def card(item: Item, *, filters: str = "", eager: bool = False) -> dict[str, Any]:
    """Shape an item for a grid card."""
    image = image_json(item)
    width, height = _thumb_size(item)
    return {
        "id": str(item.id),
        "name": item.name,
        "platform": item.platform,
        "href": f"/gallery/{item.id}{filters}",
        "thumb": image["thumbnail_url"] if image else None,
        "thumb_2x": image["thumbnail_2x_url"] if image else None,
        "width": width,
        "height": height,
        "eager": eager,
    }


def detail(item: Item) -> dict[str, Any]:
    """Shape an item for the detail view."""
    image = image_json(item)
    return {
        "id": str(item.id),
        "name": item.name,
        "platform": item.platform,
        "notes": item.notes,
        "created": item.created_at.strftime("%Y-%m-%d"),
        "created_iso": item.created_at.isoformat(),
        "image": image,
        "details": details_view(item),
    }


def _upload_state(
    *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    return {"form": values or {}, "errors": errors or {}, "message": "", "problems": []}


async def _gallery_context(
    request: Request, *, upload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the grid's context: one page from the cursor, with the filters kept."""
    who = principal(request)
    params = _filters(request)
    cursor = request.args.get("cursor") or None
    page = await _items(request).page(
        user_id=who.user.id, limit=PAGE_SIZE, cursor=cursor, params=params
    )
    filters = _query(params)
    first = cursor is None
    cards = [
        card(item, filters=filters, eager=first and index < EAGER_CARDS)
        for index, item in enumerate(page.items)
    ]
    more = f"/gallery{_query(params, cursor=page.next_cursor)}" if page.next_cursor else ""
    max_bytes = request.app.ctx.settings.max_image_bytes
    return context(
        request,
        cards=cards,
        more=more,
        q=params.q or "",
        platform=params.platform or "",
        filters=filters,
        filtered=params.filtered,
        **await filter_context(_items(request), who.user.id, params),
        first_page=first,
        upload=upload or _upload_state(),
        accept=",".join(ACCEPTED_CONTENT_TYPES),
        max_image_mb=max_image_mb(max_bytes),
        max_request_bytes=request.app.config.REQUEST_MAX_SIZE,
        added=_added_message(request.args.get("added", "")),
        deleted=request.args.get("deleted") == "1",
        limits={"name": NAME_MAX, "platform": PLATFORM_MAX, "notes": NOTES_MAX, "q": QUERY_MAX},
    )


def max_image_mb(max_bytes: int) -> str:
    """Say the per-photo limit in MB for people."""
    return f"{max_bytes / (1024 * 1024):g}"


def _added_message(value: str) -> str:
    if not value.isdigit() or int(value) < 1:
        return ""
    count = int(value)
    return "Added 1 game." if count == 1 else f"Added {count} games."


@bp.get("/gallery")
@authenticated
async def gallery(request: Request) -> HTTPResponse:
    """The grid: the whole page, or for htmx only the cards (search, next page)."""
    ctx = await _gallery_context(request)
    if not is_htmx(request):
        return renderer(request).response("gallery/page.html", ctx)
    # The search form sends its empty menus too: the address bar gets only what filters.
    # (The next page's requests, with a cursor, push nothing.)
    pushed = {"hx-push-url": f"/gallery{ctx['filters']}"} if ctx["first_page"] else {}
    return renderer(request).response("gallery/_cards.html", ctx, headers=pushed)


def _file_name(upload: File) -> str:
    """Make an item name from an uploaded file's name (its stem), or a neutral one."""
    stem = PurePosixPath((upload.name or "").replace("\\", "/")).stem.strip()
    return stem[:NAME_MAX] if stem else "Untitled photo"


def _names(name: str, files: list[File]) -> list[str]:
    """Name the new items: the typed name (numbered for several files) or the files' names."""
    if not files:
        return [name]
    if not name.strip():
        return [_file_name(upload) for upload in files]
    if len(files) == 1:
        return [name]
    return [f"{name.strip()} ({index})" for index in range(1, len(files) + 1)]


@bp.post("/gallery", ctx_body_limit=upload_body)
@authenticated
async def gallery_upload(request: Request) -> HTTPResponse:
    """Add one game, or one per photo when several are sent; each new card appears at once."""
    who = principal(request)
    items = _items(request)
    form = form_data(request)
    values = {key: form_text(form, key) for key in ("name", "platform", "notes")}
    uploads = request.files.getlist(UPLOAD_FIELD) if request.files else []
    files = [upload for upload in (uploads or []) if upload.name or upload.body]
    names = _names(values["name"], files)
    try:
        fields = [
            ItemFields.clean(
                {"name": name, "platform": values["platform"], "notes": values["notes"]}
            )
            for name in names
        ]
    except ValidationFailed as exc:
        errors = dict(exc.fields)
        if "name" in errors and not files:
            errors["name"] = "Enter a name, or choose one or more photos."
        return await _upload_failed(request, _upload_state(values=values, errors=errors))
    created: list[Item] = []
    problems: list[str] = []
    for index, item_fields in enumerate(fields):
        image = files[index].body if files else None
        try:
            created.append(await items.create(user_id=who.user.id, fields=item_fields, image=image))
        except AppError as exc:
            label = (files[index].name or f"Photo {index + 1}") if files else item_fields.name
            problems.append(f"{label}: {exc.detail}")
    if not created:
        state = _upload_state(values=values)
        state["problems"] = problems
        return await _upload_failed(request, state)
    if not from_htmx(request) and not problems:
        return go(request, f"/gallery?added={len(created)}")
    state = _upload_state()
    state["message"] = _added_message(str(len(created)))
    state["problems"] = problems
    if not from_htmx(request):
        ctx = await _gallery_context(request, upload=state)
        return renderer(request).response("gallery/page.html", ctx)
    ctx = await _gallery_context(request, upload=state)
    ctx["new_cards"] = [card(item, eager=True) for item in reversed(created)]
    return renderer(request).response("gallery/_uploaded.html", ctx)


async def _upload_failed(request: Request, state: dict[str, Any]) -> HTTPResponse:
    """Show the upload form again with what went wrong (422)."""
    ctx = await _gallery_context(request, upload=state)
    if from_htmx(request):
        return renderer(request).response(
            "gallery/_upload.html",
            ctx,
            status=422,
            headers={"hx-retarget": "#upload", "hx-reswap": "outerHTML"},
        )
    return renderer(request).response("gallery/page.html", ctx, status=422)


async def _detail_context(request: Request, item_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    who = principal(request)
    items = _items(request)
    item = await items.get(user_id=who.user.id, item_id=item_id)
    params = _filters(request)
    newer, older = await items.neighbours(item=item, params=params)
    filters = _query(params)
    state: dict[str, Any] = {"form": {}, "errors": {}, "message": ""}
    state.update(values.pop("edit", {}))
    return context(
        request,
        item=detail(item),
        filters=filters,
        back=f"/gallery{filters}",
        newer=f"/gallery/{newer.id}{filters}" if newer else "",
        older=f"/gallery/{older.id}{filters}" if older else "",
        newer_name=newer.name if newer else "",
        older_name=older.name if older else "",
        edit=state,
        limits={"name": NAME_MAX, "platform": PLATFORM_MAX, "notes": NOTES_MAX},
        detail_choices=edit_choices(),
        saved=request.args.get("saved") == "1",
        **values,
    )


@bp.get("/gallery/<item_id:uuid>")
@authenticated
async def gallery_item(request: Request, item_id: uuid.UUID) -> HTTPResponse:
    """One game: the page, or for htmx (keyboard navigation) only the detail view."""
    ctx = await _detail_context(request, item_id, editing=False)
    template = "gallery/detail.html"
    if is_htmx(request):
        # Cancelling an edit asks for the facts only; the keyboard asks for the whole view.
        facts = request.headers.get("hx-target") == "facts"
        template = "gallery/_facts.html" if facts else "gallery/_detail.html"
    return renderer(request).response(template, ctx)


@bp.get("/gallery/<item_id:uuid>/edit")
@authenticated
async def gallery_edit(request: Request, item_id: uuid.UUID) -> HTTPResponse:
    """The edit form: in place for htmx, else the detail page in edit mode."""
    ctx = await _detail_context(request, item_id, editing=True)
    template = "gallery/_edit.html" if is_htmx(request) else "gallery/detail.html"
    return renderer(request).response(template, ctx)


@bp.post("/gallery/<item_id:uuid>", ctx_body_limit=ITEM_FORM_BODY)
@authenticated
async def gallery_save(request: Request, item_id: uuid.UUID) -> HTTPResponse:
    """Save the name, platform and notes; errors come back next to the fields."""
    who = principal(request)
    form = form_data(request)
    values = {key: form_text(form, key) for key in ("name", "platform", "notes")}
    items = _items(request)
    item = await items.get(user_id=who.user.id, item_id=item_id)
    try:
        await items.update(item=item, changes=clean_changes({**values, **detail_changes(request)}))
    except ValidationFailed as exc:
        echo = {**values, **detail_echo(request)}
        ctx = await _detail_context(
            request, item_id, editing=True, edit={"form": echo, "errors": exc.fields}
        )
        template = "gallery/_edit.html" if is_htmx(request) else "gallery/detail.html"
        return renderer(request).response(template, ctx, status=422)
    if not is_htmx(request):
        return go(request, f"/gallery/{item_id}{_query(_filters(request), saved='1')}")
    ctx = await _detail_context(request, item_id, editing=False, edit={"message": "Saved."})
    return renderer(request).response("gallery/_facts.html", ctx)


@bp.get("/gallery/<item_id:uuid>/delete")
@authenticated
async def gallery_confirm_delete(request: Request, item_id: uuid.UUID) -> HTTPResponse:
    """Ask before deleting (the page that works without JavaScript)."""
    ctx = await _detail_context(request, item_id, editing=False)
    return renderer(request).response("gallery/delete.html", ctx)


@bp.post("/gallery/<item_id:uuid>/delete")
@authenticated
async def gallery_delete(request: Request, item_id: uuid.UUID) -> HTTPResponse:
    """Delete a game and its photo; from the grid the card goes, else back to the grid."""
    who = principal(request)
    items = _items(request)
    item = await items.get(user_id=who.user.id, item_id=item_id)
    await items.delete(user_id=who.user.id, item_id=item_id)
    target = form_text(form_data(request), "next")
    if is_htmx(request) and not target:
        # The card is replaced by nothing; say so in the alert area.
        ctx = context(request, name=item.name)
        return renderer(request).response("gallery/_deleted.html", ctx)
    destination = safe_next(target, default="/gallery")
    joiner = "&" if "?" in destination else "?"
    return go(request, f"{destination}{joiner}deleted=1")
