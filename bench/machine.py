"""What the results file says about where it was measured: the machine and the commit."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench import seed
from bench.plan import PROJECT_ROOT
from bench.procs import allowed_cpus


def _command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def machine_description(admin_url: str) -> dict[str, Any]:
    """nproc, CPU model, kernel, PostgreSQL, Python, wrk, load average."""
    model = ""
    for line in _command_output(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
            break
    wrk_version = ""
    for line in _command_output(["wrk", "--version"]).splitlines():
        if line.startswith("wrk"):
            wrk_version = line.strip()
    try:
        pg = asyncio.run(seed.server_version(admin_url))
    except Exception as exc:
        pg = f"unknown ({exc})"
    import sanic

    return {
        "nproc": os.cpu_count(),
        "allowed_cpus": allowed_cpus(),
        "cpu_model": model,
        "kernel": platform.release(),
        "postgresql": pg,
        "python": platform.python_version(),
        "sanic": sanic.__version__,
        "wrk": wrk_version,
        "memory_total_mib": _mem_total_mib(),
    }


def source_revision() -> dict[str, Any]:
    """The commit measured, and how many files of the app differ from it."""
    commit = _command_output(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"])
    changed = _command_output(
        ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--", "gamecoll", "migrations"]
    )
    return {"commit": commit, "uncommitted_app_files": len(changed.splitlines())}


def _mem_total_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0
