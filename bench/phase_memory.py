"""Resident memory of the workers over many requests."""

from __future__ import annotations

import time
from typing import Any

from bench.core import log
from bench.loadgen import Req
from bench.measure import Measuring
from bench.plan import Server
from bench.procs import (
    sanic_workers,
    vm_rss_kib,
)


class PhaseMemory(Measuring):
    """Resident memory of the workers over many requests."""

    def memory(self, server_name: str) -> None:
        """VmRSS of the worker(s) after a warm-up, and again after many more requests."""
        plan = self.plan
        app = self.servers[server_name]
        main = self.accounts["main"]
        mix = [Req("/healthz"), Req("/auth/user/me", headers=main.bearer)]
        if self.collection_api:
            mix += [
                Req("/collection/items?limit=50", headers=main.bearer),
                Req(
                    self.refs["thumbnail_url"],
                    headers={**main.bearer, "If-None-Match": self.refs["thumbnail_etag"]},
                ),
                Req(self.refs["thumbnail_url"], headers=main.bearer),
            ]
        log(
            f"memory: {plan.memory_warmup_requests} requests of warm-up, then "
            f"{plan.memory_requests} ({len(mix)} kinds in turn)"
        )
        try:
            warm = self.drive_count(
                app, mix, plan.memory_warmup_requests, max_seconds=plan.memory_max_seconds / 4
            )
            workers = sanic_workers(app.started.pid)
            rss_warm = {pid: vm_rss_kib(pid) for pid in workers}
            done = self.drive_count(
                app, mix, plan.memory_requests, max_seconds=plan.memory_max_seconds
            )
            rss_after = {pid: vm_rss_kib(pid) for pid in workers}
        except Exception as exc:
            self.entry("memory").update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            log(f"memory FAILED: {exc}")
            return
        warm_total = sum(rss_warm.values())
        after_total = sum(rss_after.values())
        self.scenarios["memory"] = {
            "status": "ok" if not done["errors"] else "errors",
            "runs": [],
            "server": app.name,
            "workers": len(workers),
            "worker_pids": workers,
            "mix": [r.path for r in mix],
            "warmup_requests": warm["requests"],
            "requests": done["requests"],
            "seconds": done["seconds"],
            "rps": round(done["requests"] / done["seconds"], 1) if done["seconds"] else 0,
            "errors": done["errors"],
            "complete": done["complete"],
            "max_seconds": plan.memory_max_seconds,
            "rss_after_warmup_kib": warm_total,
            "rss_after_requests_kib": after_total,
            "growth": round(after_total / warm_total - 1, 4) if warm_total else None,
        }
        log(
            f"memory: VmRSS {warm_total} KiB after warm-up, {after_total} KiB after "
            f"{done['requests']} requests"
        )

    def drive_count(
        self, server: Server, mix: list[Req], total: int, *, max_seconds: float
    ) -> dict[str, Any]:
        """Send `total` requests (a few more) in wrk runs of at most 60 s, within `max_seconds`.

        wrk only knows durations: each run gets a count cap (the driver stops its thread) and
        a duration from the rate of the run before. Stops early, incomplete, at `max_seconds`.
        """
        sent = 0
        errors = 0
        rate = 0.0
        began = time.monotonic()
        while sent < total:
            left = max_seconds - (time.monotonic() - began)
            if left < 1:
                break
            remaining = total - sent
            guess = 2 if rate <= 0 else int(remaining / rate * 1.15) + 1
            duration = max(1, min(60, guess, int(left)))
            started = time.monotonic()
            result = self.wrk.run(
                server.port,
                requests=mix,
                seconds=duration,
                connections=self.plan.connections,
                max_requests=remaining,
            )
            if result.requests == 0:
                raise RuntimeError("no request was answered")
            sent += result.requests
            errors += result.failures
            # wrk waits out its duration even when the count cap stopped it: use the wall clock
            # only when the cap was not reached.
            if result.requests < remaining or rate <= 0:
                rate = result.requests / max(time.monotonic() - started, 0.001)
        seconds = time.monotonic() - began
        return {
            "requests": sent,
            "seconds": round(seconds, 2),
            "errors": errors,
            "complete": sent >= total,
        }
