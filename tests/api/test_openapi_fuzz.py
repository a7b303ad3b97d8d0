"""Schemathesis against the live app: every check, a fixed seed, a bounded number of cases.

Runs on SQLite and PostgreSQL, once without credentials and once logged in. Any server error,
undocumented status, header, media type or body shape fails the test with schemathesis's
report (each failure with a curl line to reproduce it).
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveApp
from tests.helpers import bearer, register

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("st")
SEED = 20261201
EXAMPLES_PER_OPERATION = 10
RUN_TIMEOUT_SECONDS = 240


async def schemathesis(live: LiveApp, workdir: Path, *options: str) -> str:
    """Run schemathesis on the live app's document; fail with its report on any finding."""
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{live.url}/openapi.json",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--output-truncate",
        "true",
        *options,
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"schemathesis did not finish in {RUN_TIMEOUT_SECONDS} s")
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-20000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counts is not None and counts[1] == counts[2], report[-20000:]
    assert int(counts[1]) > 300, report[-20000:]  # it really generated cases
    return report


async def _operation_count(live: LiveApp) -> int:
    """How many operations the live document has (schemathesis must select them all)."""
    async with live.client() as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    return sum(1 for item in paths.values() for key in item if key != "parameters")


async def test_fuzzing_without_credentials_finds_nothing(live: LiveApp, tmp_path: Path) -> None:
    report = await schemathesis(live, tmp_path, "--phases", "examples,coverage,fuzzing")
    total = await _operation_count(live)
    assert f"Selected: {total}/{total}" in report


async def test_fuzzing_logged_in_finds_nothing(live: LiveApp, tmp_path: Path) -> None:
    async with live.client() as http:
        tokens = await register(http)
    token = bearer(tokens)["Authorization"]
    # Logging out, or ending the session schemathesis found in listSessions, would end the
    # session the rest of the run uses: the anonymous run and the contract walk cover them.
    report = await schemathesis(
        live,
        tmp_path,
        *("--header", f"Authorization: {token}"),
        *("--exclude-operation-id", "logout", "--exclude-operation-id", "endSession"),
    )
    total = await _operation_count(live)
    assert f"Selected: {total - 2}/{total}" in report
