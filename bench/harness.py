"""Measure gamecoll beside its ceilings in one run, and judge the targets of issue 6.

Phases (each server in its own process group, stopped in `finally`):

A. gamecoll with one worker, pinned to its own CPU; the ceiling apps pinned the same way.
   Seed through the API, then rounds of every throughput scenario (each warmed up once, then
   measured `repeats` times, interleaved with its ceiling so drift hits both alike), then the
   bcrypt micro-benchmark and the login storm, then resident memory over many requests.
B. gamecoll with WORKERS=2 on the same database: the scenarios the worker target names.
C. gamecoll with one worker again: list latency with the items table holding 100, 10,000 and
   1,000,000 rows (filled with generate_series).

The load generator (wrk) runs on the first CPU; see `CpuLayout`.

This module runs the phases and writes the results. What is measured: plan.py; the run's
state and servers: core.py; one scenario's rounds: measure.py; each phase: phase_*.py;
the targets judged: targets.py; the printed table: table.py; the machine: machine.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import export_zip, image_memory, seed
from bench.item_lists import phase_item_lists
from bench.loadgen import ensure_wrk
from bench.machine import machine_description, source_revision
from bench.phase_one_worker import PhaseOneWorker
from bench.phase_scale import PhaseScale
from bench.phase_two_workers import PhaseTwoWorkers
from bench.plan import ALL_SCENARIOS, DEFAULT_ADMIN_URL, GROUPS, SCHEMA_VERSION, Plan
from bench.procs import interrupt_on_sigterm
from bench.sessions_table import phase_sessions
from bench.table import format_table
from bench.targets import Targets


class Bench(PhaseOneWorker, PhaseTwoWorkers, PhaseScale, Targets):
    """One harness run: every phase, run in order, then cleaned up."""

    def run(self) -> None:
        asyncio.run(seed.create_database(self.admin_url, self.db_name))
        self.image_dir.mkdir(parents=True, exist_ok=True)
        for group, names in GROUPS.items():
            if not self.selected(group):
                for name in names:
                    self.skip(name, f"not selected (--only {','.join(self.plan.only)})")
        self.phase_one_worker()
        if self.selected("workers"):
            self.phase_two_workers()
        if self.selected("scale"):
            self.phase_scale()
        if self.selected("sessions"):
            phase_sessions(self)
        if self.selected("images"):
            image_memory.run(self)
        if self.selected("exchange"):
            export_zip.run(self)
        if self.selected("lists"):
            phase_item_lists(self)

    def selected(self, group: str) -> bool:
        """Whether this run includes a group of scenarios (`--only`; all by default)."""
        return not self.plan.only or group in self.plan.only

    def cleanup(self) -> list[str]:
        """Stop every process and drop the database; return what went wrong."""
        problems: list[str] = []
        self.processes.stop_all()
        if self.cleaned:
            return problems
        self.cleaned = True
        try:
            asyncio.run(seed.drop_database(self.admin_url, self.db_name))
        except Exception as exc:
            problems.append(f"dropping {self.db_name}: {exc}")
        return problems


def run(
    plan: Plan, *, out: Path, admin_url: str = DEFAULT_ADMIN_URL, install_wrk: bool = True
) -> int:
    """Run the whole harness; write `out` (JSON) and print the table. Returns an exit code."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-bench-"))
    results: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "mode": plan.mode,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan": {k: v for k, v in plan.__dict__.items()},
    }
    bench: Bench | None = None
    code = 1
    try:
        with interrupt_on_sigterm():
            wrk_binary = ensure_wrk(install=install_wrk)
            results["machine"] = machine_description(admin_url)
            results["source"] = source_revision()
            results["machine"]["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
            bench = Bench(plan, admin_url=admin_url, wrk_binary=wrk_binary, workdir=workdir)
            results["cpu_layout"] = {
                "one_worker": {"load": bench.layout1.load, "server": bench.layout1.server},
                "two_workers": {
                    "load": bench.layout2.load,
                    "server": bench.layout2.server,
                    "shared": bench.layout2.shared,
                },
            }
            try:
                bench.run()
            finally:
                problems = bench.cleanup()
            if bench.selected("storage"):
                results["storage_s3"] = run_storage_s3(plan, workdir)
            bench.ratios()
            bench.worker_ratios()
            results["collection_api"] = bench.collection_api
            results["scenarios"] = {
                name: bench.scenarios.get(name, {"status": "missing", "runs": []})
                for name in ALL_SCENARIOS
            }
            results["seed"] = bench.extra
            results["targets"] = bench.targets()
            if problems:
                results["cleanup_problems"] = problems
            code = 0
    except KeyboardInterrupt:
        print("bench: interrupted; everything started was stopped", file=sys.stderr)
        code = 130
        results["error"] = "interrupted"
    except Exception as exc:
        print(f"bench: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        results["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if bench is not None:
            bench.cleanup()
            results["processes"] = bench.processes.record()
            if "scenarios" not in results:
                results["scenarios"] = bench.scenarios
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results.setdefault("machine", {})["loadavg_end"] = (
            Path("/proc/loadavg").read_text().split()[:3]
        )
        shutil.rmtree(workdir, ignore_errors=True)
        target = out if code == 0 else out.with_name(out.name + ".failed.tmp")
        tmp = target.with_name(target.name + ".tmp") if code == 0 else target
        tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
        if code == 0:
            tmp.replace(target)
    if code == 0:
        print()
        print(format_table(results))
        if "scenarios" in results.get("storage_s3", {}):
            from bench import storage_s3

            print("\nobject storage (S3) against the local disk:")
            print(storage_s3.format_table(results["storage_s3"]))
        print(f"\nresults: {out}")
    else:
        print(f"bench: partial results in {target}", file=sys.stderr)
    return code


def run_storage_s3(plan: Plan, workdir: Path) -> dict[str, Any]:
    """The `storage` group (bench/storage_s3.py); a failure is recorded, not raised."""
    from bench import storage_s3

    try:
        return storage_s3.run(
            storage_s3.SMOKE if plan.mode == "smoke" else storage_s3.FULL, workdir / "storage"
        )
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
