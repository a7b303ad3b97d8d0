"""An import's job as its owner sees it: interrupted when its instance stopped, and the
KEEP_JOBS newest jobs kept, whatever their end."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from gamecoll.models import ImportJob
from gamecoll.services.clock import utcnow
from gamecoll.services.imports import KEEP_JOBS
from tests.api.items_support import new_user, user_id

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
