"""The settings page's Export and Import sections, and an import's progress page.

Export is a set of download links to the API (`/collection/export`, which takes the session
cookie). Import sends a file as a form; the job's page shows its progress, refreshing itself
until it is over (htmx polls the section; without JavaScript the page reloads).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sanic import HTTPResponse, Request

from gamecoll.config import Settings
from gamecoll.errors import AppError, ValidationFailed
from gamecoll.http.body import form_data
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.limits import size_text, upload_body
from gamecoll.http.spool import Spool
from gamecoll.services.duplicates import clean_flag
from gamecoll.services.import_reader import sniff_format
from gamecoll.services.imports import INTERRUPTED, ImportService, job_json
from gamecoll.web.blueprint import bp
from gamecoll.web.common import context, from_htmx, go
from gamecoll.web.rendering import Renderer

FILE_FIELD: Final = "file"
SHOWN_ROWS: Final = 200
"""Rows listed on the page (refusals first); the counts cover every row."""
POLL_SECONDS: Final = 1


def import_section(settings: Settings, **values: Any) -> dict[str, Any]:
    """The Import section's state: the page's limit, errors and what was chosen."""
    state = {
        "errors": {},
        "message": "",
        "max_size": size_text(upload_body(settings)),
        "dry_run": True,
    }
    state.update(values)
    return state


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the progress page shows: counts, a percentage, the rows worth reading."""
    total, done = job["total"], job["processed"]
    rows = sorted(job["rows"], key=lambda row: (row["action"] != "refused", row["row"]))
    return {
        **job,
        "running": job["state"] in ("queued", "running"),
        "interrupted": job["state"] == INTERRUPTED,
        "percent": 100 if not total else min(100, done * 100 // total),
        "shown_rows": rows[:SHOWN_ROWS],
        "more_rows": max(0, len(rows) - SHOWN_ROWS),
    }


async def _refused(
    request: Request, renderer: Renderer, settings: Settings, error: AppError, dry_run: bool
) -> HTTPResponse:
    state = import_section(settings, errors={FILE_FIELD: error.detail}, dry_run=dry_run)
    ctx = context(request, exchange=state)
    if from_htmx(request):
        return renderer.response("settings/_exchange_import.html", ctx, status=error.status)
    return renderer.response("settings/import_job.html", ctx, status=error.status)


@bp.post("/settings/import", ctx_body_limit=upload_body)
@authenticated
async def settings_import(
    request: Request,
    imports: ImportService,
    spool: Spool,
    renderer: Renderer,
    settings: Settings,
) -> HTTPResponse:
    """Start importing the chosen file; show its progress."""
    form = form_data(request)
    dry_run = clean_flag(form.get("dry_run"), "dry_run")
    try:
        allow = clean_flag(form.get("allow_duplicate"), "allow_duplicate")
        part = request.files.get(FILE_FIELD) if request.files else None
        if part is None or not part.body:
            raise ValidationFailed("Choose a file exported from gamecoll (ZIP, JSON or CSV).")
        file_format = sniff_format(part.body[:64])
        if file_format is None:
            raise ValidationFailed("The file is empty.")
        async with imports.receiving(principal(request).user.id) as slot:
            path, size = spool.write(part.body)
            job, _ = await imports.start(
                slot=slot,
                path=path,
                size=size,
                file_format=file_format,
                dry_run=dry_run,
                allow_duplicate=allow,
            )
    except AppError as exc:
        return await _refused(request, renderer, settings, exc, dry_run)
    return go(request, f"/settings/import/{job.id}")


@bp.get("/settings/import/<job_id:uuid>")
@authenticated
async def settings_import_job(
    request: Request, job_id: uuid.UUID, imports: ImportService, renderer: Renderer
) -> HTTPResponse:
    """Show an import's progress, then what happened to each row."""
    job = await imports.get(user_id=principal(request).user.id, job_id=job_id)
    view = job_view(job_json(job))
    ctx = context(request, job=view, poll_seconds=POLL_SECONDS)
    if from_htmx(request):
        return renderer.response("settings/_import_job.html", ctx)
    headers = {}
    if view["running"]:
        headers["refresh"] = str(POLL_SECONDS * 2)  # without JavaScript the page reloads itself
    return renderer.response("settings/import_job.html", ctx, headers=headers)
