"""wrk, the load generator: installed when missing, driven through bench/lua/driver.lua; and
`for_a_while`, a load loop in this process for what is measured beside wrk (bench/storage_s3.py)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.procs import LOCALHOST, Processes, Started

DRIVER = Path(__file__).resolve().parent / "lua" / "driver.lua"


class WrkMissingError(RuntimeError):
    """wrk is not installed and could not be installed."""


def ensure_wrk(*, install: bool = True) -> str:
    """Return the path of wrk, installing Debian's package with apt-get when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    why = "wrk is not installed"
    if install and shutil.which("apt-get"):
        print("bench: wrk is missing; installing Debian's package (apt-get install -y wrk)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        command = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
        if os.geteuid() != 0:
            command = ["sudo", "-n", *command] if shutil.which("sudo") else []
        if command:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                # The package lists may be missing on a fresh machine: refresh them once.
                subprocess.run(
                    [*command[: command.index("install")], "update"],
                    env=env,
                    capture_output=True,
                    timeout=600,
                )
                done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
            found = shutil.which("wrk")
            if found:
                return found
            why = f"`{' '.join(command)}` failed: {(done.stderr or done.stdout).strip()[-400:]}"
        else:
            why = "wrk is not installed, and installing it needs root (or sudo)"
    raise WrkMissingError(f"{why}. Install it with `apt-get install -y wrk` and run again.")


def lua_string(value: str) -> str:
    """A Lua string literal (decimal escapes for anything unusual)."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch.isalnum() or ch in " -_./:;,=+*&%$#@!?()[]{}<>~^|'`":
            out.append(ch)
        elif code < 128:
            out.append(f"\\{code:03d}")
        else:
            out.extend(f"\\{byte:03d}" for byte in ch.encode())
    return '"' + "".join(out) + '"'


def lua_value(value: Any) -> str:
    """Render str, int, float, bool, None, list and dict as a Lua expression."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return lua_string(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"[{lua_string(k)}] = {lua_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(f"cannot render {type(value).__name__} for Lua")


@dataclass
class Req:
    """One HTTP request of a scenario."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    body_file: Path | None = None

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "path": self.path, "headers": self.headers}
        if self.body is not None:
            out["body"] = self.body
        if self.body_file is not None:
            out["body_file"] = str(self.body_file)
        return out


@dataclass
class Chain:
    """Each wrk thread posts its own token and takes the next one from the answer."""

    path: str
    body_format: str
    pattern: str
    tokens: list[str]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WrkResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    statuses: dict[str, int]
    bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "errors": self.errors,
            "statuses": self.statuses,
            "bytes": self.bytes,
        }

    @property
    def failures(self) -> int:
        return sum(self.errors.values())


@dataclass
class WrkRun:
    """A wrk run in progress."""

    started: Started
    out_path: Path
    log_path: Path
    deadline_s: float


@dataclass
class Wrk:
    """Runs wrk pinned to the load generator's CPUs, always bounded in time and count."""

    binary: str
    processes: Processes
    workdir: Path
    cpus: tuple[int, ...]
    counter: int = 0

    def start(
        self,
        port: int,
        *,
        requests: list[Req] | None = None,
        chain: Chain | None = None,
        seconds: float,
        connections: int,
        threads: int = 1,
        max_requests: int = 0,
        timeout_s: float = 10.0,
    ) -> WrkRun:
        """Start driving load at 127.0.0.1:port for `seconds` (or `max_requests` per thread)."""
        self.counter += 1
        spec_path = self.workdir / f"wrk-{self.counter}.lua"
        out_path = self.workdir / f"wrk-{self.counter}.json"
        log_path = self.workdir / f"wrk-{self.counter}.log"
        spec: dict[str, Any] = {
            "requests": [r.spec() for r in requests or []],
            "max_requests": max_requests,
            "out_file": str(out_path),
        }
        if chain is not None:
            spec["chain"] = {
                "path": chain.path,
                "headers": chain.headers,
                "body_format": chain.body_format,
                "pattern": chain.pattern,
                "tokens": chain.tokens,
            }
        spec_path.write_text("return " + lua_value(spec) + "\n")
        duration = max(1, round(seconds))
        argv = [
            self.binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            f"--timeout={max(1, round(timeout_s))}s",
            "-s",
            str(DRIVER),
            f"http://{LOCALHOST}:{port}/",
        ]
        env = {**os.environ, "BENCH_WRK_SPEC": str(spec_path)}
        started = self.processes.start("wrk", argv, env=env, cpus=self.cpus, log_path=log_path)
        return WrkRun(started, out_path, log_path, duration + timeout_s + 30)

    def finish(self, run: WrkRun) -> WrkResult:
        """Wait for a run (stopping it if it overruns its bound) and read its result."""
        try:
            code = run.started.popen.wait(timeout=run.deadline_s)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"wrk did not finish within {run.deadline_s:.0f} s") from None
        finally:
            self.processes.stop(run.started, grace=2.0)
        if code != 0 or not run.out_path.exists():
            log = run.log_path.read_text(errors="replace")[-800:]
            raise RuntimeError(f"wrk failed (exit {code}): {log}")
        raw = json.loads(run.out_path.read_text())
        elapsed = raw["duration_us"] / 1e6
        lat = raw["latency_us"]
        return WrkResult(
            requests=raw["requests"],
            seconds=elapsed,
            rps=raw["requests"] / elapsed if elapsed else 0.0,
            p50_ms=lat["p50"] / 1000,
            p90_ms=lat["p90"] / 1000,
            p99_ms=lat["p99"] / 1000,
            max_ms=lat["max"] / 1000,
            errors={k: int(v) for k, v in raw["errors"].items()},
            statuses={str(k): int(v) for k, v in raw["statuses"].items()},
            bytes=raw["bytes"],
        )

    def run(self, port: int, **options: Any) -> WrkResult:
        """Start a run and wait for its result."""
        return self.finish(self.start(port, **options))


async def for_a_while(
    connections: int, seconds: float, one: Callable[[], Awaitable[int]], cap: int = 0
) -> dict[str, float]:
    """Run `one()` from `connections` tasks for `seconds`; count requests and bytes."""
    done = errors = moved = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done, errors, moved
        while time.perf_counter() < deadline and (not cap or done + errors < cap):
            started = time.perf_counter()
            try:
                moved += await one()
                done += 1
            except (httpx.HTTPError, AssertionError):
                errors += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": done,
        "errors": errors,
        "rps": done / elapsed,
        "mb_per_s": moved / elapsed / 1e6,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0.0,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    }
