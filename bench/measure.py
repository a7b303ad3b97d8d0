"""Measuring one scenario: warm-up, wrk runs interleaved with the ceiling, CPU used."""

from __future__ import annotations

from typing import Any

import httpx

from bench.core import BenchBase, log, median
from bench.loadgen import WrkResult
from bench.plan import Scenario, Server
from bench.procs import (
    LOCALHOST,
    group_members,
    pids_named,
    process_cpu_seconds,
)


class Measuring(BenchBase):
    """Run one scenario's rounds and record them (see `measure`)."""

    def entry(self, name: str) -> dict[str, Any]:
        return self.scenarios.setdefault(name, {"status": "pending", "runs": []})

    def skip(self, name: str, reason: str) -> None:
        self.scenarios[name] = {"status": "skipped", "reason": reason, "runs": []}

    def preflight(self, scenario: Scenario) -> None:
        """Send the scenario's request(s) once and check the status (catches a wrong setup)."""
        server = self.servers[scenario.server]
        for req in scenario.requests:
            body: bytes | None = None
            if req.body_file is not None:
                body = req.body_file.read_bytes()
            elif req.body is not None:
                body = req.body.encode()
            response = httpx.request(
                req.method,
                f"http://{LOCALHOST}:{server.port}{req.path}",
                headers=req.headers,
                content=body,
                timeout=120,
                trust_env=False,  # never through a proxy: 127.0.0.1 only
            )
            if response.status_code != scenario.expect:
                raise RuntimeError(
                    f"{scenario.name}: {req.method} {req.path} answered "
                    f"{response.status_code}, expected {scenario.expect}: {response.text[:200]}"
                )

    def wrk_options(self, scenario: Scenario, seconds: int) -> dict[str, Any]:
        options: dict[str, Any] = {
            "seconds": seconds,
            "connections": scenario.connections,
            "timeout_s": scenario.timeout_s,
            "max_requests": scenario.max_requests,
            "threads": scenario.threads,
        }
        if scenario.chain is not None:
            options["chain"] = scenario.chain()
        else:
            options["requests"] = scenario.requests
        return options

    def measure(self, scenario: Scenario) -> None:
        """Warm up once (per server), then one measured run appended to the scenario."""
        entry = self.entry(scenario.name)
        if entry["status"] == "failed":
            return
        server = self.servers[scenario.server]
        entry.update(
            {
                "server": server.name,
                "workers": server.workers,
                "server_cpus": list(server.cpus),
                "connections": scenario.connections,
                "ceiling": scenario.ceiling,
            }
        )
        if scenario.note:
            entry["note"] = scenario.note
        try:
            key = (scenario.name, server.name)
            if key not in self.warmed:
                if scenario.chain is None:
                    self.preflight(scenario)
                if self.plan.warmup_seconds:
                    self.wrk.run(
                        server.port, **self.wrk_options(scenario, self.plan.warmup_seconds)
                    )
                self.warmed.add(key)
            result, cpu = self.timed_run(server, scenario)
        except Exception as exc:
            entry["status"] = "failed"
            entry["reason"] = f"{type(exc).__name__}: {exc}"
            log(f"{scenario.name}: FAILED: {exc}")
            return
        self.add_run(scenario.name, result, cpu, expect=scenario.expect)

    def timed_run(self, server: Server, scenario: Scenario) -> tuple[WrkResult, dict[str, float]]:
        before = self.cpu_snapshot(server)
        result = self.wrk.run(server.port, **self.wrk_options(scenario, self.plan.seconds))
        after = self.cpu_snapshot(server)
        return result, self.cpu_used(before, after)

    def cpu_snapshot(self, server: Server) -> dict[str, dict[int, float]]:
        """CPU seconds per process of the server's group and of PostgreSQL (all databases)."""
        return {
            "server_cpu_s": {
                p: process_cpu_seconds([p]) for p in group_members(server.started.pid)
            },
            "postgres_cpu_s": {p: process_cpu_seconds([p]) for p in pids_named("postgres")},
        }

    @staticmethod
    def cpu_used(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        """CPU seconds used between two snapshots (processes that ended meanwhile are missed)."""
        return {
            key: round(sum(t - before[key].get(pid, 0.0) for pid, t in after[key].items()), 2)
            for key in after
        }

    def add_run(
        self, name: str, result: WrkResult, cpu: dict[str, float], *, expect: int = 200
    ) -> None:
        entry = self.entry(name)
        run = {**result.as_json(), **cpu}
        entry["runs"].append(run)
        bad = result.failures
        unexpected = {s: n for s, n in result.statuses.items() if s != str(expect)}
        if bad or unexpected:
            entry.setdefault("problems", []).append(
                {"run": len(entry["runs"]), "errors": result.errors, "statuses": unexpected}
            )
        rps = [r["rps"] for r in entry["runs"]]
        entry["median"] = {
            "rps": round(median(rps), 1),
            "p50_ms": round(median([r["p50_ms"] for r in entry["runs"]]), 3),
            "p99_ms": round(median([r["p99_ms"] for r in entry["runs"]]), 3),
        }
        # Server CPU time per answered request: less noisy than req/s on a shared machine.
        entry["server_cpu_ms_per_request"] = round(
            median(
                [1000 * r["server_cpu_s"] / r["requests"] for r in entry["runs"] if r["requests"]]
            ),
            3,
        )
        entry["status"] = "ok" if "problems" not in entry else "errors"
        log(
            f"{name:<22} run {len(entry['runs'])}: {result.rps:9.1f} req/s  "
            f"p50 {result.p50_ms:8.2f} ms  p99 {result.p99_ms:8.2f} ms"
            + (f"  errors {result.errors} statuses {unexpected}" if bad or unexpected else "")
        )
