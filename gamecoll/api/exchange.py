"""Export the whole collection (JSON, CSV or ZIP with the photos) and import such a file."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import BINARY, Answer, Body, Param, operation
from gamecoll.errors import UnsupportedMediaType, ValidationFailed
from gamecoll.http.body import media_type
from gamecoll.http.guard import authenticate, authenticated, guard_of, principal
from gamecoll.http.limits import IMPORT_BODY, size_text
from gamecoll.http.responses import private_json
from gamecoll.http.spool import Spool
from gamecoll.services.clock import utcnow
from gamecoll.services.duplicates import clean_flag
from gamecoll.services.exchange_format import FORMAT_VERSION
from gamecoll.services.exports import EXPORT_FORMATS, MEDIA_TYPES, ExportService
from gamecoll.services.import_reader import sniff_format
from gamecoll.services.imports import ImportService, job_json

bp = Blueprint("exchange", url_prefix="/collection")

_FORMAT_OF_TYPE: Final = {
    "application/json": "json",
    "text/csv": "csv",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
}


def clean_format(value: str | None, allowed: tuple[str, ...], *, default: str | None) -> str | None:
    """Read `format` (json, csv or zip); 422 for anything else."""
    if value is None or not value.strip():
        return default
    text = value.strip().lower()
    if text not in allowed:
        message = f"Must be one of {', '.join(allowed)}."
        raise ValidationFailed(f"format: {message}", fields={"format": message})
    return text


class ImportRowOut(BaseModel):
    model_config = ConfigDict(title="ImportRow")

    row: int = Field(description="The row's number in the file, from 1.")
    id: str | None = Field(description="The row's `id`, if it has one.")
    name: str | None = Field(description="The row's name, if it has one.")
    action: str = Field(
        description="`create`, `update`, `unchanged` or `refused` (in a dry run: would be)."
    )
    reason: str | None = Field(description="Why a row is refused.")
    item_id: str | None = Field(description="The item made, changed or matched.")


class ImportJobOut(BaseModel):
    model_config = ConfigDict(title="ImportJob")

    id: str
    state: str = Field(description="`queued`, `running`, `done`, `failed` or `interrupted`.")
    format: str
    dry_run: bool
    allow_duplicate: bool
    total: int = Field(description="Rows in the file.")
    processed: int = Field(description="Rows handled so far.")
    created: int
    updated: int
    unchanged: int
    refused: int
    error: str | None = Field(description="Why a failed job stopped.")
    rows: list[ImportRowOut] = Field(
        description="Each row's outcome once the job is over (refusals kept first past 10,000)."
    )
    created_at: str
    finished_at: str | None


COLLECTION_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "An export: `items`, one object per item (see GET /collection/export).",
    "required": ["items"],
    "properties": {
        "format": {"const": "gamecoll-collection"},
        "version": {"const": FORMAT_VERSION},
        "items": {"type": "array", "items": {"type": "object"}},
    },
}
EXPORT_FORMAT = Param(
    "format",
    {"type": "string", "enum": list(EXPORT_FORMATS)},
    "`json` (default), `csv`, or `zip`: collection.json and the original photos.",
)
JOB_LINKS: Final = {
    "GetImportJob": {"operationId": "getImportJob", "parameters": {"job_id": "$response.body#/id"}}
}


@bp.get("/export")
@operation(
    "exportCollection",
    tag="collection",
    params=(EXPORT_FORMAT,),
    answers={
        200: Answer(
            {
                "application/json": {"schema": COLLECTION_SCHEMA},
                "text/csv": {"schema": {"type": "string"}},
                "application/zip": {"schema": BINARY},
            },
            "The whole collection, streamed",
            {"Content-Disposition": {"type": "string"}},
        )
    },
    errors={422: "An unknown format"},
    auth=True,
    scopes=("collection:read",),
)
async def export_collection(request: Request, exports: ExportService) -> HTTPResponse | None:
    """Download the whole collection: every field, with the photos in the ZIP format."""
    request.ctx.principal = await authenticate(request)  # as @authenticated, for a stream
    guard_of(request).check_verified(request, request.ctx.principal)
    file_format = clean_format(request.args.get("format"), EXPORT_FORMATS, default="json")
    assert file_format is not None
    name = f"gamecoll-collection-{utcnow():%Y%m%d}.{file_format}"
    chunks = exports.chunks(principal(request).user.id, file_format)
    first = await anext(chunks)  # a database error still gets a proper answer
    response = await request.respond(
        content_type=MEDIA_TYPES[file_format],
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )
    try:
        await response.send(first)
        async for chunk in chunks:
            await response.send(chunk)
        await response.eof()
        return None
    finally:
        with contextlib.suppress(Exception):
            await chunks.aclose()  # type: ignore[attr-defined]


def import_format(request: Request, head: bytes) -> str:
    """The file's format: a ZIP by its first bytes, else as the Content-Type says, else sniffed."""
    media = media_type(request)
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise UnsupportedMediaType(
            "Send the file itself as the body (JSON, CSV or ZIP), not as a form."
        )
    sniffed = sniff_format(head)
    if sniffed is None:
        raise ValidationFailed("The file is empty.", fields={"file": "The file is empty."})
    if sniffed == "zip":
        return sniffed
    return _FORMAT_OF_TYPE.get(media, sniffed)


@bp.post("/import", stream=True, ctx_body_limit=IMPORT_BODY)
@operation(
    "importCollection",
    tag="collection",
    params=(
        Param("dry_run", {"type": "string", "enum": ["true", "false"]}, "`true`: change nothing."),
        Param(
            "allow_duplicate",
            {"type": "string", "enum": ["true", "false"]},
            "`true`: import photos the user already has on other items.",
        ),
    ),
    body=Body(
        model=None,
        raw={
            "application/json": {"schema": COLLECTION_SCHEMA},
            # text/csv and application/zip are taken too (see the description); generated
            # clients know octet-stream, which covers both: the format is in the first bytes.
            "application/octet-stream": {"schema": BINARY},
        },
    ),
    answers={
        200: Answer(ImportJobOut, "A small file, imported (or dry-run): the report", {}, JOB_LINKS),
        202: Answer(
            ImportJobOut,
            "A big file: the job started; follow it at Location",
            {"Location": {"type": "string"}},
            JOB_LINKS,
        ),
    },
    errors={
        409: "An import of the user's is still running (said before the body is read)",
        413: f"The file is over {size_text(IMPORT_BODY)}",
        415: "A form instead of the file",
        422: "Not a collection file: not UTF-8, not valid JSON or CSV, a damaged or hostile ZIP",
        503: "This instance holds as many import files as it has room for; try again shortly",
        507: "The server has no room to receive the file now (or, for a photo, to store it)",
    },
    auth=True,
    scopes=("collection:write",),
)
@authenticated
async def import_collection(request: Request, imports: ImportService, spool: Spool) -> HTTPResponse:
    """Import a collection file (JSON, CSV or a ZIP export); `dry_run=true` only reports.

    The format is the Content-Type's (application/json, text/csv, application/zip), or found
    from the first bytes (application/octet-stream: a CSV or a ZIP). Rows are matched by `id`,
    so importing the same file again changes nothing. Small JSON and CSV files are imported
    before the answer (200); others run as a job (202).
    """
    dry_run = clean_flag(request.args.get("dry_run"), "dry_run")
    allow = clean_flag(request.args.get("allow_duplicate"), "allow_duplicate")
    async with imports.receiving(principal(request).user.id) as slot:
        path, size = await spool.receive(request, IMPORT_BODY)
        try:
            with path.open("rb") as stream:
                head = stream.read(64)
            file_format = import_format(request, head)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        job, finished = await imports.start(
            slot=slot,
            path=path,
            size=size,
            file_format=file_format,
            dry_run=dry_run,
            allow_duplicate=allow,
        )
    if finished:
        job = await imports.get(user_id=job.user_id, job_id=job.id)
        return private_json(job_json(job))
    response = private_json(job_json(job), status=202)
    response.headers["location"] = f"/collection/import/{job.id}"
    return response


@bp.get("/import/<job_id:uuid>")
@operation(
    "getImportJob",
    tag="collection",
    answers={200: (ImportJobOut, "The import's progress, and its report once over")},
    errors={404: "No such import of yours"},
    auth=True,
    scopes=("collection:read", "collection:write"),
)
@authenticated
async def get_import_job(
    request: Request, job_id: uuid.UUID, imports: ImportService
) -> HTTPResponse:
    """Show an import's progress and, once it is over, what happened to each row."""
    job = await imports.get(user_id=principal(request).user.id, job_id=job_id)
    return private_json(job_json(job))
