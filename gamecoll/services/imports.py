"""Import a collection file as a job: dry run or real, with its progress in the database.

The request writes the body to a temporary file and checks the file as a whole (format,
encoding, ZIP entries); then a job row is made and the rows are imported one by one (see
import_rows.py), the counts saved every few rows so that any instance answers
`GET /collection/import/{job}`. Small files are imported before the request is answered;
bigger ones in the background. A job whose instance stopped is reported `interrupted`
once its heartbeat is older than STALE_AFTER; rows imported until then stay imported, and
importing the file again finishes the work (rows are matched by their id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from tortoise.expressions import Q

from gamecoll.errors import Conflict, NotFound
from gamecoll.models import ImportJob
from gamecoll.services.clock import utcnow
from gamecoll.services.image_workers import ImageWorkers
from gamecoll.services.import_reader import ImportFile
from gamecoll.services.import_rows import REFUSED, UNCHANGED, RowImporter, RowRefused
from gamecoll.services.import_slots import ImportSlot, ImportSlots
from gamecoll.services.item_files import ItemFiles

log = logging.getLogger("gamecoll.imports")

INLINE_MAX_BYTES: Final = 1024 * 1024
"""JSON and CSV files up to this size are imported before the request is answered."""
KEEP_JOBS: Final = 10
"""Finished jobs kept per user (older ones are removed when a new one starts)."""
REPORT_MAX_ROWS: Final = 10_000
"""Rows listed in a job's report (refusals first kept); the counts cover every row."""
SAVE_EVERY: Final = 25
SAVE_SECONDS: Final = 5.0
"""Progress is saved every SAVE_EVERY rows, or after this long (rows with big photos)."""
STALE_AFTER: Final = timedelta(minutes=2)
QUEUED, RUNNING, DONE, FAILED, INTERRUPTED = "queued", "running", "done", "failed", "interrupted"

# Jobs running in this process, kept until they finish.
_RUNNING: set[asyncio.Task[Any]] = set()


def job_state(job: ImportJob) -> str:
    """The job's state as clients see it (a running job with an old heartbeat: interrupted)."""
    if job.state in (QUEUED, RUNNING) and utcnow() - job.heartbeat_at > STALE_AFTER:
        return INTERRUPTED
    return job.state


def job_json(job: ImportJob) -> dict[str, Any]:
    """Shape a job for the API and the pages."""
    return {
        "id": str(job.id),
        "state": job_state(job),
        "format": job.file_format,
        "dry_run": job.dry_run,
        "allow_duplicate": job.allow_duplicate,
        "total": job.total,
        "processed": job.processed,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "refused": job.refused,
        "error": job.error,
        "rows": job.rows,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


class ImportService:
    """Start import jobs and report on them."""

    def __init__(self, *, files: ItemFiles, images: ImageWorkers) -> None:
        self.files = files
        self.images = images
        self.slots = ImportSlots()

    @asynccontextmanager
    async def receiving(self, user_id: uuid.UUID) -> AsyncIterator[ImportSlot]:
        """Hold a place for the user's file while it is read: 409 while an import of theirs
        goes on, 503 while this instance holds as many files as it has room for."""
        async with self.slots.holding(user_id) as slot:
            await self._refuse_concurrent(user_id)
            yield slot

    async def start(
        self,
        *,
        slot: ImportSlot,
        path: Path,
        size: int,
        file_format: str,
        dry_run: bool,
        allow_duplicate: bool,
    ) -> tuple[ImportJob, bool]:
        """Check the file and start its job; True when it finished already (a small file).

        The file (and the slot it was read in) is given up once the job is over, or now if
        it is refused.
        """
        user_id = slot.user_id
        try:
            await self._refuse_concurrent(user_id)
            await self._forget_old(user_id)
            source = ImportFile(path, file_format, self.images.limits.max_bytes)
            total = await asyncio.to_thread(lambda: source.open().count())
            now = utcnow()
            job = await ImportJob.create(
                id=uuid.uuid4(),
                user_id=user_id,
                file_format=file_format,
                dry_run=dry_run,
                allow_duplicate=allow_duplicate,
                state=QUEUED,
                total=total,
                processed=0,
                created=0,
                updated=0,
                unchanged=0,
                refused=0,
                rows=[],
                created_at=now,
                heartbeat_at=now,
            )
        except BaseException:
            _remove(path)
            raise
        importer = RowImporter(
            user_id=user_id,
            files=self.files,
            images=self.images,
            source=source,
            allow_duplicate=allow_duplicate,
        )
        work = self._run(job, importer, path, slot)
        slot.handed_over = True
        inline = file_format != "zip" and size <= INLINE_MAX_BYTES
        task = asyncio.ensure_future(work)
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        if inline:
            await asyncio.shield(task)
        return job, inline

    async def _refuse_concurrent(self, user_id: uuid.UUID) -> None:
        busy = await ImportJob.filter(
            user_id=user_id,
            state__in=(QUEUED, RUNNING),
            heartbeat_at__gt=utcnow() - STALE_AFTER,
        ).first()
        if busy is not None:
            raise Conflict(f"An import of yours is running (job {busy.id}); wait until it is done.")

    async def _forget_old(self, user_id: uuid.UUID) -> None:
        """Make room for a new job: remove the user's oldest jobs that are over (done, failed
        or interrupted) past the KEEP_JOBS - 1 newest."""
        old = (
            await ImportJob.filter(user_id=user_id)
            .order_by("-created_at")
            .offset(KEEP_JOBS - 1)
            .values_list("id", flat=True)
        )
        if old:
            over = Q(state__in=(DONE, FAILED)) | Q(heartbeat_at__lt=utcnow() - STALE_AFTER)
            await ImportJob.filter(over, id__in=list(old)).delete()

    async def get(self, *, user_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob:
        """Return one of the user's jobs; 404 for anyone else's."""
        job = await ImportJob.get_or_none(id=job_id, user_id=user_id)
        if job is None:
            raise NotFound("No such import of yours.")
        return job

    async def latest(self, *, user_id: uuid.UUID) -> ImportJob | None:
        """The user's most recent import, if any."""
        return await ImportJob.filter(user_id=user_id).order_by("-created_at").first()

    async def _run(
        self, job: ImportJob, importer: RowImporter, path: Path, slot: ImportSlot
    ) -> None:
        job.state = RUNNING
        try:
            await self._rows(job, importer)
            job.state = DONE
        except Exception as exc:  # the file changed under us, a storage or database outage
            log.warning("import %s failed: %s", job.id, exc)
            job.state = FAILED
            job.error = str(getattr(exc, "detail", None) or exc)[:500] or "The import failed."
        finally:
            importer.source.close()
            _remove(path)
            slot.release()
            job.finished_at = utcnow()
            with contextlib.suppress(Exception):
                await self._save(job)

    async def _rows(self, job: ImportJob, importer: RowImporter) -> None:
        rows = importer.source.rows()  # read in a thread, a row at a time
        number = 0
        saved = time.monotonic()
        while True:
            row = await asyncio.to_thread(next, rows, _END)
            if row is _END:
                return
            number += 1
            report = await self._row(job, importer, number, row)
            if len(job.rows) < REPORT_MAX_ROWS:
                job.rows.append(report)
            elif report["action"] == REFUSED:
                # Refusals matter most: they replace the earliest other rows.
                for index, kept in enumerate(job.rows):
                    if kept["action"] != REFUSED:
                        job.rows[index] = report
                        break
            job.processed = number
            if number % SAVE_EVERY == 0 or time.monotonic() - saved > SAVE_SECONDS:
                await self._save(job)
                saved = time.monotonic()

    async def _row(
        self, job: ImportJob, importer: RowImporter, number: int, row: object
    ) -> dict[str, Any]:
        name = row.get("name") if isinstance(row, dict) else None
        report: dict[str, Any] = {
            "row": number,
            "id": str(row.get("id")) if isinstance(row, dict) and row.get("id") else None,
            "name": name if isinstance(name, str) else None,
            "action": REFUSED,
            "reason": None,
            "item_id": None,
        }
        try:
            planned = await importer.plan(row)
            report["action"] = planned.action
            if planned.existing is not None:
                report["item_id"] = str(planned.existing.id)
            if not job.dry_run:
                item = await importer.apply(planned)
                if item is not None:
                    report["item_id"] = str(item.id)
        except RowRefused as exc:
            report["action"], report["reason"] = REFUSED, str(exc)
        counter = {"create": "created", "update": "updated", UNCHANGED: "unchanged"}.get(
            report["action"], "refused"
        )
        setattr(job, counter, getattr(job, counter) + 1)
        return report

    async def _save(self, job: ImportJob) -> None:
        job.heartbeat_at = utcnow()
        await ImportJob.filter(id=job.id).update(
            state=job.state,
            processed=job.processed,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            refused=job.refused,
            rows=job.rows if job.state not in (QUEUED, RUNNING) else [],
            error=job.error,
            heartbeat_at=job.heartbeat_at,
            finished_at=job.finished_at,
        )


_END: Final = object()


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
