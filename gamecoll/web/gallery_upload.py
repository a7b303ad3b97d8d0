"""Adding games from the gallery: a name, or one game per photo, whole or in parts."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Final

from sanic import HTTPResponse, Request
from sanic.request import File

from gamecoll.config import Settings
from gamecoll.errors import AppError, DuplicatePhoto, ValidationFailed
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.limits import upload_body
from gamecoll.models import Item
from gamecoll.services.duplicates import clean_flag
from gamecoll.services.item_rules import NAME_MAX, ItemFields
from gamecoll.services.items import ItemService
from gamecoll.web.blueprint import bp
from gamecoll.web.common import form_text, from_htmx, go
from gamecoll.web.gallery import gallery_context, upload_state
from gamecoll.web.gallery_views import (
    DUPLICATE_PAGE_TEXT,
    UPLOAD_FIELD,
    added_message,
    card,
    set_notice,
)
from gamecoll.web.rendering import Renderer

# The page sends big batches one photo per request: `part` of `parts` (both from 1).
PARTS_MAX: Final = 10_000


def _file_name(upload: File) -> str:
    """Make an item name from an uploaded file's name (its stem), or a neutral one."""
    stem = PurePosixPath((upload.name or "").replace("\\", "/")).stem.strip()
    return stem[:NAME_MAX] if stem else "Untitled photo"


def _part(form: dict[str, str]) -> tuple[int, int] | None:
    """Read which part of a split batch this request is (None: a whole batch)."""
    part, parts = form.get("part", ""), form.get("parts", "")
    if not (part.isdigit() and parts.isdigit()):
        return None
    number, total = int(part), int(parts)
    if not 1 <= number <= total <= PARTS_MAX:
        raise ValidationFailed(fields={"images": "This part of the upload is numbered wrongly."})
    return number, total


def _names(name: str, files: list[File], part: tuple[int, int] | None) -> list[str]:
    """Name the new items: the typed name (numbered for several files) or the files' names."""
    if not files:
        return [name]
    if not name.strip():
        return [_file_name(upload) for upload in files]
    if part is not None:
        number, total = part
        return [name if total == 1 else f"{name.strip()} ({number})"]
    if len(files) == 1:
        return [name]
    return [f"{name.strip()} ({index})" for index in range(1, len(files) + 1)]


def _label(files: list[File], index: int, fallback: str) -> str:
    return (files[index].name or f"Photo {index + 1}") if files else fallback


@bp.post("/gallery", ctx_body_limit=upload_body)
@authenticated
async def gallery_upload(
    request: Request, items: ItemService, renderer: Renderer, settings: Settings
) -> HTTPResponse:
    """Add one game, or one per photo when several are sent; each new card appears at once."""
    who = principal(request)
    form = form_data(request)
    values = {key: form_text(form, key) for key in ("name", "platform", "notes")}
    uploads = request.files.getlist(UPLOAD_FIELD) if request.files else []
    files = [upload for upload in (uploads or []) if upload.name or upload.body]
    allow_duplicate = clean_flag(form.get("allow_duplicate"), "allow_duplicate")
    part = _part(form)
    try:
        fields = [
            ItemFields.clean(
                {"name": name, "platform": values["platform"], "notes": values["notes"]}
            )
            for name in _names(values["name"], files, part)
        ]
    except ValidationFailed as exc:
        errors = dict(exc.fields)
        if "name" in errors and not files:
            errors["name"] = "Enter a name, or choose one or more photos."
        if part is not None:
            return _part_failed(renderer, "; ".join(errors.values()))
        state = upload_state(values=values, errors=errors)
        return await _upload_failed(request, items, renderer, settings, state)
    created: list[Item] = []
    problems: list[str] = []
    for index, item_fields in enumerate(fields):
        image = files[index].body if files else None
        try:
            created.append(
                await items.create(
                    user_id=who.user.id,
                    fields=item_fields,
                    image=image,
                    allow_duplicate=allow_duplicate,
                )
            )
        except AppError as exc:
            detail = DUPLICATE_PAGE_TEXT if isinstance(exc, DuplicatePhoto) else exc.detail
            problems.append(f"{_label(files, index, item_fields.name)}: {detail}")
    if part is not None:
        if not created:
            return _part_failed(renderer, "; ".join(problems))
        ctx = {"new_cards": [card(item, eager=True) for item in created]}
        return renderer.response("gallery/_new_cards.html", ctx)
    return await _answer(request, items, renderer, settings, created, problems, values)


async def _answer(
    request: Request,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
    created: list[Item],
    problems: list[str],
    values: dict[str, str],
) -> HTTPResponse:
    """Answer a whole batch: the new cards and what was not added."""
    if not created:
        state = upload_state(values=values)
        state["problems"] = problems
        return await _upload_failed(request, items, renderer, settings, state)
    if not from_htmx(request) and not problems:
        return set_notice(go(request, "/gallery"), request, added_message(len(created)))
    state = upload_state()
    state["message"] = added_message(len(created))
    state["problems"] = problems
    ctx = await gallery_context(request, items, settings, upload=state)
    if not from_htmx(request):
        return renderer.response("gallery/page.html", ctx)
    ctx["new_cards"] = [card(item, eager=True) for item in reversed(created)]
    return renderer.response("gallery/_uploaded.html", ctx)


def _part_failed(renderer: Renderer, problem: str) -> HTTPResponse:
    """Say why one part of a split batch was not added (422, read by gallery.js)."""
    ctx: dict[str, Any] = {"problem": problem}
    return renderer.response("gallery/_part_problem.html", ctx, status=422)


async def _upload_failed(
    request: Request,
    items: ItemService,
    renderer: Renderer,
    settings: Settings,
    state: dict[str, Any],
) -> HTTPResponse:
    """Show the upload form again with what went wrong (422)."""
    ctx = await gallery_context(request, items, settings, upload=state)
    if from_htmx(request):
        return renderer.response(
            "gallery/_upload.html",
            ctx,
            status=422,
            headers={"hx-retarget": "#upload", "hx-reswap": "outerHTML"},
        )
    return renderer.response("gallery/page.html", ctx, status=422)
