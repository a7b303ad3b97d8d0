"""An import's job as its owner sees it: interrupted when its instance stopped, the KEEP_JOBS
newest jobs kept whatever their end, and places for import files taken before a body is read
(one per user, FILES_AT_ONCE per instance)."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import httpx

from gamecoll.models import ImportJob
from gamecoll.services.clock import utcnow
from gamecoll.services.import_slots import FILES_AT_ONCE
from gamecoll.services.imports import KEEP_JOBS
from tests.api.items_support import new_user, user_id
from tests.conftest import LiveApp

IMPORT = "/collection/import"


async def old_job(owner: str, *, age: timedelta, state: str) -> str:
    """A job of `owner` started `age` ago, last heard of then (a running one is interrupted)."""
    then = utcnow() - age
    job = await ImportJob.create(
        id=uuid.uuid4(),
        user_id=uuid.UUID(owner),
        file_format="zip",
        dry_run=False,
        allow_duplicate=False,
        state=state,
        total=3,
        processed=1,
        created=1,
        updated=0,
        unchanged=0,
        refused=0,
        rows=[{"row": 1, "action": "create"}],
        created_at=then,
        heartbeat_at=then,
        finished_at=then if state in ("done", "failed") else None,
    )
    return str(job.id)


async def state_of(client: httpx.AsyncClient, headers: dict[str, str], job: str) -> str | int:
    """The job's state, or the status when there is no such job."""
    response = await client.get(f"{IMPORT}/{job}", headers=headers)
    return response.json()["state"] if response.status_code == 200 else response.status_code


async def test_a_job_whose_instance_stopped_reads_interrupted(client: httpx.AsyncClient) -> None:
    headers = await new_user(client)
    owner = await user_id(client, headers)
    stopped = await old_job(owner, age=timedelta(minutes=10), state="running")
    lively = await old_job(owner, age=timedelta(seconds=5), state="running")

    assert await state_of(client, headers, stopped) == "interrupted"
    assert await state_of(client, headers, lively) == "running"
    busy = await client.post(IMPORT, content=b'{"items": []}', headers=headers)
    assert busy.status_code == 409  # one import at a time: the lively one still counts


async def test_a_new_import_keeps_the_newest_jobs_done_failed_or_interrupted(
    client: httpx.AsyncClient,
) -> None:
    headers = await new_user(client)
    owner = await user_id(client, headers)
    states = ["done", "running", "failed"] * 4  # the running ones were interrupted long ago
    jobs = [
        await old_job(owner, age=timedelta(hours=len(states) - age), state=state)
        for age, state in enumerate(states)
    ]  # oldest first

    response = await client.post(IMPORT, content=b'{"items": []}', headers=headers)
    assert response.status_code == 200, response.text

    kept = jobs[len(jobs) - (KEEP_JOBS - 1) :]
    assert [await state_of(client, headers, job) for job in jobs] == [404] * (
        len(jobs) - len(kept)
    ) + [state if state != "running" else "interrupted" for state in states[-len(kept) :]]
    assert await ImportJob.filter(user_id=uuid.UUID(owner)).count() == KEEP_JOBS


def empty_export() -> bytes:
    """A ZIP export of an empty collection."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("collection.json", '{"items": []}')
    return out.getvalue()


ARCHIVE = empty_export()


async def hold_a_place(
    client: httpx.AsyncClient, live: LiveApp, headers: dict[str, str], go_on: asyncio.Event
) -> asyncio.Task[httpx.Response]:
    """Start an import whose body stops after its first byte until `go_on`; return once the
    instance holds its place (the file has begun in the spool)."""
    spool = live.app.ctx.spool.directory
    before = set(spool.iterdir())

    async def body() -> AsyncIterator[bytes]:
        yield ARCHIVE[:1]
        await go_on.wait()
        yield ARCHIVE[1:]

    sending = asyncio.create_task(client.post(IMPORT, content=body(), headers=headers))
    for _ in range(200):
        if set(spool.iterdir()) - before:
            return sending
        await asyncio.sleep(0.05)
    raise AssertionError("the import's file never appeared in the spool")


async def head_only(live: LiveApp, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Send an import's head announcing 1 GiB, and no body; return the answer's status and
    JSON error (the server answers without waiting for the body)."""
    parts = urlsplit(live.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    lines = [
        f"POST {IMPORT} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/zip",
        f"Content-Length: {1024**3}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
        fields = dict(
            line.decode().split(": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line
        )
        length = int({k.lower(): v for k, v in fields.items()}["content-length"])
        body = await reader.readexactly(length)
    finally:
        writer.close()
    error: dict[str, str] = json.loads(body)["error"]
    return int(head.split(b" ", 2)[1]), {**error, **{k.lower(): v for k, v in fields.items()}}


async def test_a_second_import_of_a_user_is_refused_before_its_body_is_sent(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    headers = await new_user(client)
    go_on = asyncio.Event()
    first = await hold_a_place(client, live, headers, go_on)

    status, error = await head_only(live, headers)

    assert status == 409
    assert error["message"] == "An import of yours is on its way; wait until it is done."
    go_on.set()
    assert (await first).status_code == 202


async def test_an_instance_full_of_imports_says_try_again_shortly(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    users = [await new_user(client) for _ in range(FILES_AT_ONCE + 1)]
    go_on = asyncio.Event()
    held = [await hold_a_place(client, live, headers, go_on) for headers in users[:-1]]

    status, error = await head_only(live, users[-1])

    assert status == 503
    assert error["code"] == "busy" and "other imports" in error["message"]
    assert error["retry-after"]
    go_on.set()
    assert [(await sending).status_code for sending in held] == [202] * FILES_AT_ONCE
    for _ in range(200):  # their jobs end, and give their places back
        if not live.app.ctx.services.imports.slots.holders:
            break
        await asyncio.sleep(0.05)
    later = await client.post(IMPORT, content=b'{"items": []}', headers=users[-1])
    assert later.status_code == 200, later.text
