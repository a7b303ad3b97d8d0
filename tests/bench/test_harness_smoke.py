"""A smoke run of the benchmark harness: it still works end to end, and cleans up after itself.

Tiny durations and seeds (`python -m bench --smoke`), no thresholds: nothing here asserts a
time or a speed. It needs PostgreSQL and wrk; with CI=true a missing one is a failure (wrk is
installed with apt-get first), otherwise a skip that says what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.loadgen import WrkMissingError, ensure_wrk
from bench.plan import ALL_SCENARIOS, ITEM_SCENARIOS, WORKER_TARGETS
from bench.procs import group_members
from tests.conftest import unavailable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get(
    "GAMECOLL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SMOKE_TIMEOUT_S = 600
TARGET_FIELDS = {"name", "description", "measured", "op", "bound", "met"}


def _postgres_problem() -> str | None:
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _database_exists(name: str) -> bool:
    import asyncpg

    async def query() -> bool:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
        try:
            return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await conn.close()

    return asyncio.run(query())


def _alive_in_group(pid: int, pgid: int) -> bool:
    """Whether `pid` still runs in process group `pgid` (a recycled pid would be elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[0] not in ("Z", "X") and int(fields[2]) == pgid


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run `python -m bench --smoke` once and return its results file."""
    problem = _postgres_problem()
    if problem:
        unavailable(f"the bench smoke run needs PostgreSQL at {ADMIN_URL} ({problem})")
    try:
        ensure_wrk(install=True)
    except WrkMissingError as exc:
        unavailable(f"the bench smoke run needs wrk: {exc}")
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    harness = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--no-install",
            "--out",
            str(out),
            "--admin-url",
            ADMIN_URL,
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = harness.communicate(timeout=SMOKE_TIMEOUT_S)
    finally:
        # The harness stops what it starts; this only guards against the harness itself hanging.
        if harness.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(harness.pid, signal.SIGINT)
            try:
                harness.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(harness.pid, signal.SIGKILL)
                harness.wait()
    text = output.decode(errors="replace")
    assert harness.returncode == 0, f"the harness failed:\n{text[-4000:]}"
    results: dict[str, Any] = json.loads(out.read_text())
    results["_harness_pid"] = harness.pid
    results["_output"] = text
    return results


def test_every_scenario_is_present_and_well_formed(smoke_results: dict[str, Any]) -> None:
    scenarios = smoke_results["scenarios"]
    assert smoke_results["schema"] == 1 and smoke_results["mode"] == "smoke"
    assert list(scenarios) == list(ALL_SCENARIOS)
    for name, entry in scenarios.items():
        if entry["status"] == "skipped":
            # Only while the collection API is missing, and then the file says why.
            assert not smoke_results["collection_api"], name
            assert name in ITEM_SCENARIOS and "collection API" in entry["reason"]
            continue
        assert entry["status"] == "ok", (name, entry)
        if name == "bcrypt_capacity":
            assert entry["hashes_per_s"] > 0 and entry["all_cpus_hashes_per_s"] > 0
        elif name == "image_memory":
            assert entry["uploads"] >= 8 and entry["refused_503"] == 0
            assert 0 < entry["warm"]["pss_mib"] <= entry["peak_first_round"]["pss_mib"]
            assert entry["after"]["processes"] >= 2  # the server and its image workers
        elif name == "upload_cpu_floor":
            assert entry["server_cpu_ms_per_upload"] > 0 and entry["bare_pillow_cpu_ms"] > 0
        elif name == "export_zip":
            assert entry["zip_entries"] == entry["items"] + 1 and entry["export_mb_per_s"] > 0
            assert 0 < entry["idle_rss_mib"] <= entry["peak_rss_mib"]
            assert entry["plain_copy"]["mb_per_s"] > 0
        elif name == "memory":
            assert entry["requests"] >= smoke_results["plan"]["memory_requests"]
            assert entry["rss_after_warmup_kib"] > 0 and entry["rss_after_requests_kib"] > 0
        else:
            assert len(entry["runs"]) == smoke_results["plan"]["repeats"], name
            for run in entry["runs"]:
                assert run["requests"] > 0 and run["rps"] > 0, (name, run)
                assert 0 < run["p50_ms"] <= run["p99_ms"], (name, run)
            assert set(entry["median"]) == {"rps", "p50_ms", "p99_ms"}
            if entry.get("ceiling"):
                assert entry["ratio_to_ceiling"] > 0, name
    if smoke_results["collection_api"]:
        sizes = [scenarios[n]["items_in_table"] for n in ALL_SCENARIOS if "list_latency" in n]
        assert sizes == list(smoke_results["plan"]["scale_sizes"])


def test_targets_list_every_target_with_its_verdict(smoke_results: dict[str, Any]) -> None:
    targets = smoke_results["targets"]
    names = [t["name"] for t in targets]
    # 15: the main, storm, image, export and the two list-page targets (issue 14).
    assert len(names) == len(set(names)) == 15 + len(WORKER_TARGETS)
    for target in targets:
        assert set(target) >= TARGET_FIELDS, target
        assert isinstance(target["met"], bool)
        assert isinstance(target["bound"], int | float)
        if smoke_results["collection_api"]:
            assert isinstance(target["measured"], int | float), target


def test_the_table_is_printed_with_the_machine(smoke_results: dict[str, Any]) -> None:
    output = smoke_results["_output"]
    assert "scenario" in output and "target" in output
    for name in ALL_SCENARIOS:
        assert name in output
    machine = smoke_results["machine"]
    for key in ("nproc", "cpu_model", "kernel", "postgresql"):
        assert machine[key], key


def test_every_process_started_was_stopped(smoke_results: dict[str, Any]) -> None:
    started = smoke_results["processes"]
    names = {p["name"] for p in started}
    assert {"gamecoll_w1", "gamecoll_w2", "ceiling_bare", "ceiling_jwt_pg", "wrk"} <= names
    for process in started:
        assert not group_members(process["pgid"]), process
        for pid in process["pids"]:
            assert not _alive_in_group(pid, process["pgid"]), process
    assert not group_members(smoke_results["_harness_pid"])


def test_the_bench_database_was_dropped(smoke_results: dict[str, Any]) -> None:
    assert not _database_exists(f"gamecoll_bench_{smoke_results['_harness_pid']}")
