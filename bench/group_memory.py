"""Memory and CPU of a process group: an instance's server, image workers and helpers."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from bench.procs import group_members

_KIB_PER_MIB = 1024


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _role(pid: int) -> str:
    """What a process of the instance is, from its command line."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "forkserver" in cmd:
        return "fork server or image worker"
    if "spawn_main" in cmd:
        return "sanic process"
    return "sanic main"


def group_memory(pgid: int, *, detail: bool = False) -> dict[str, Any]:
    """Summed VmRSS and PSS (KiB) of a process group's live processes, and their count."""
    pids = group_members(pgid)
    each = {pid: (_status_kib(pid, "VmRSS"), _pss_kib(pid)) for pid in pids}
    found: dict[str, Any] = {
        "rss_kib": sum(rss for rss, _ in each.values()),
        "pss_kib": sum(pss for _, pss in each.values()),
        "processes": len(pids),
    }
    if detail:
        found["each"] = [
            {"pid": pid, "role": _role(pid), "rss_mib": mib(rss), "pss_mib": mib(pss)}
            for pid, (rss, pss) in sorted(each.items())
        ]
    return found


def group_cpu_seconds(pgid: int) -> float:
    """CPU of a process group, with that of its reaped children (recycled image workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in group_members(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        total += int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
    return total / ticks


class PeakSampler:
    """Sample a process group's memory every `interval` seconds in a thread; keep the peaks."""

    def __init__(self, pgid: int, interval: float = 0.02) -> None:
        self.pgid = pgid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.peak_processes = 0
        self.samples = 0
        self.at_peak: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = group_memory(self.pgid, detail=True)
            if now["pss_kib"] > self.peak_pss_kib:
                self.at_peak = now["each"]
            self.peak_rss_kib = max(self.peak_rss_kib, now["rss_kib"])
            self.peak_pss_kib = max(self.peak_pss_kib, now["pss_kib"])
            self.peak_processes = max(self.peak_processes, now["processes"])
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(kib: int) -> float:
    return round(kib / _KIB_PER_MIB, 1)
