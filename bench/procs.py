"""Processes the harness starts: each in its own process group, pinned to CPUs, always stopped.

Every process goes through `Processes.start`, which records it; `Processes.stop_all` (called
from a `finally`, also on Ctrl-C and SIGTERM) stops each group with SIGINT, then SIGTERM, then
SIGKILL, and waits for it. Nothing is stopped by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOCALHOST = "127.0.0.1"


def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


def allowed_cpus() -> list[int]:
    """The CPU numbers this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


@dataclass(frozen=True)
class CpuLayout:
    """Which CPUs the load generator and the server get."""

    load: tuple[int, ...]
    server: tuple[int, ...]
    shared: bool  # True when the server could not get CPUs of its own

    @staticmethod
    def for_workers(workers: int, *, pin: bool = True) -> CpuLayout:
        """Load generator on the first CPU; the server on the next `workers` CPUs if there are
        that many, else on every CPU (then it shares one with the load generator)."""
        cpus = allowed_cpus()
        if not pin or len(cpus) < 2:
            return CpuLayout(tuple(cpus), tuple(cpus), True)
        if len(cpus) >= workers + 1:
            return CpuLayout((cpus[0],), tuple(cpus[1 : 1 + workers]), False)
        return CpuLayout((cpus[0],), tuple(cpus), True)


def taskset_prefix(cpus: Sequence[int]) -> list[str]:
    """`taskset -c <cpus>` when taskset exists and the set is narrower than the machine."""
    if not cpus or set(cpus) == set(allowed_cpus()) or not _which("taskset"):
        return []
    return ["taskset", "-c", ",".join(str(c) for c in cpus)]


def _which(name: str) -> str | None:
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may contain spaces.
        rest = stat[stat.rfind(")") + 2 :].split()
        state, group = rest[0], int(rest[2])
        if group == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def process_cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time of these processes (threads included), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        total += int(rest[11]) + int(rest[12])
    return total / ticks


def pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (read-only use: CPU accounting of PostgreSQL)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm == name:
            found.append(int(entry.name))
    return found


def vm_rss_kib(pid: int) -> int:
    """VmRSS of one process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def sanic_workers(pgid: int) -> list[int]:
    """The Sanic server worker processes in a process group (SANIC_WORKER_NAME=Sanic-Server-*)."""
    workers = []
    for pid in group_members(pgid):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(item.startswith(b"SANIC_WORKER_NAME=Sanic-Server-") for item in environ):
            workers.append(pid)
    return sorted(workers)


@dataclass
class Started:
    """One process the harness started."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path | None
    seen_pids: set[int] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Processes:
    """Start processes in their own groups and stop every one of them."""

    def __init__(self) -> None:
        self.started: list[Started] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cpus: Sequence[int] = (),
        log_path: Path | None = None,
        cwd: Path | None = None,
    ) -> Started:
        """Start `argv` in a new session (its own process group), pinned to `cpus`."""
        command = [*taskset_prefix(cpus), *argv]
        stdout = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            popen = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if log_path:
                stdout.close()  # type: ignore[union-attr]
        started = Started(name, popen, log_path, {popen.pid})
        self.started.append(started)
        return started

    def note_members(self, started: Started) -> None:
        """Remember the group's current members (for the record of what was started)."""
        started.seen_pids.update(group_members(started.pid))

    def stop(self, started: Started, *, grace: float = 20.0) -> None:
        """Stop a process group: SIGINT, then SIGTERM, then SIGKILL; wait for the leader."""
        pgid = started.pid
        self.note_members(started)
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if not group_members(pgid) and started.popen.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if started.popen.poll() is not None and not group_members(pgid):
                    break
                time.sleep(0.05)
        with contextlib.suppress(subprocess.TimeoutExpired):
            started.popen.wait(timeout=5)

    def stop_all(self) -> None:
        """Stop everything still running, newest first."""
        for started in reversed(self.started):
            if started.popen.poll() is None or group_members(started.pid):
                self.stop(started)

    def record(self) -> list[dict[str, object]]:
        """What was started, for the results file (the smoke test checks all are gone)."""
        return [
            {"name": s.name, "pid": s.pid, "pgid": s.pid, "pids": sorted(s.seen_pids)}
            for s in self.started
        ]


def run_bounded(
    processes: Processes,
    name: str,
    argv: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cpus: Sequence[int] = (),
    log_path: Path | None = None,
) -> int:
    """Run a command to completion within `timeout` seconds; stop its group if it overruns."""
    started = processes.start(name, argv, env=env, cpus=cpus, log_path=log_path)
    try:
        return started.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{name} did not finish within {timeout:.0f} s") from None
    finally:
        processes.stop(started, grace=2.0)


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so that `finally` blocks stop what was started."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
