"""The targets of issue 6, judged from the measured scenarios."""

from __future__ import annotations

from typing import Any

from bench import export_zip, image_memory
from bench.core import BenchBase
from bench.item_lists import list_targets
from bench.plan import WORKER_TARGETS


class Targets(BenchBase):
    """The targets of issue 6, judged from the measured scenarios."""

    def ratios(self) -> None:
        for entry in self.scenarios.values():
            ceiling = entry.get("ceiling")
            if not ceiling or "median" not in entry:
                continue
            base = self.scenarios.get(ceiling, {}).get("median", {}).get("rps")
            if base:
                entry["ratio_to_ceiling"] = round(entry["median"]["rps"] / base, 3)

    def targets(self) -> list[dict[str, Any]]:
        s = self.scenarios

        def rps(name: str) -> float | None:
            value = s.get(name, {}).get("median", {}).get("rps")
            return float(value) if value else None

        def p(name: str, key: str) -> float | None:
            value = s.get(name, {}).get("median", {}).get(key)
            return float(value) if value else None

        def ratio(a: float | None, b: float | None) -> float | None:
            return round(a / b, 3) if a is not None and b else None

        found: list[dict[str, Any]] = []

        def target(name: str, text: str, measured: float | None, op: str, bound: float) -> None:
            met = None
            if measured is not None:
                met = {">=": measured >= bound, "<=": measured <= bound, "<": measured < bound}[op]
            found.append(
                {
                    "name": name,
                    "description": text,
                    "measured": measured,
                    "op": op,
                    "bound": bound,
                    "met": bool(met),
                    **({"missing": True} if measured is None else {}),
                }
            )

        target(
            "healthz_vs_bare_ceiling",
            "/healthz req/s ÷ bare Sanic ceiling",
            ratio(rps("healthz"), rps("ceiling_bare")),
            ">=",
            0.70,
        )
        target(
            "auth_me_vs_jwt_pg_ceiling",
            "/auth/user/me req/s ÷ JWT + asyncpg ceiling",
            ratio(rps("auth_me"), rps("ceiling_jwt_pg")),
            ">=",
            0.80,
        )
        target(
            "items_list_vs_jwt_pg_ceiling",
            "GET /collection/items?limit=50 req/s ÷ JWT + asyncpg ceiling",
            ratio(rps("items_list"), rps("ceiling_jwt_pg")),
            ">=",
            0.40,
        )
        target(
            "thumbnail_304_vs_jwt_pg_ceiling",
            "thumbnail 304 req/s ÷ JWT + asyncpg ceiling",
            ratio(rps("thumbnail_304"), rps("ceiling_jwt_pg")),
            ">=",
            0.70,
        )
        target(
            "storm_auth_me_throughput",
            "/auth/user/me req/s during the login storm ÷ idle",
            ratio(rps("auth_me_during_storm"), rps("auth_me_idle")),
            ">=",
            0.50,
        )
        target(
            "storm_auth_me_p99",
            "/auth/user/me p99 during the login storm ÷ idle p99",
            ratio(p("auth_me_during_storm", "p99_ms"), p("auth_me_idle", "p99_ms")),
            "<",
            3.0,
        )
        capacity = s.get("bcrypt_capacity", {}).get("hashes_per_s")
        target(
            "storm_hash_rate",
            "logins/s in the storm ÷ bcrypt checks/s the server's CPUs can do",
            ratio(rps("login_storm"), capacity),
            ">=",
            0.90,
        )
        target(
            "list_latency_large_vs_small",
            f"list p50 with {self.plan.scale_sizes[2]} items ÷ with {self.plan.scale_sizes[0]}",
            ratio(p("list_latency_large", "p50_ms"), p("list_latency_small", "p50_ms")),
            "<=",
            1.5,
        )
        memory = s.get("memory", {})
        target(
            "memory_growth",
            f"VmRSS growth over {self.plan.memory_requests} requests after warm-up",
            memory.get("growth"),
            "<=",
            0.10,
        )
        if memory and not memory.get("complete", True):
            # Fewer requests than the target names were sent in the time allowed: not judged.
            found[-1].update(met=False, incomplete=True, requests=memory.get("requests"))
        for name in WORKER_TARGETS:
            base = name.removeprefix("w2_")
            target(
                f"workers2_{base}",
                f"{base} req/s with WORKERS=2 ÷ WORKERS=1",
                ratio(rps(name), rps(base)),
                ">=",
                1.6,
            )
        found.extend(image_memory.targets(s))
        found.extend(export_zip.targets(s))
        found.extend(list_targets(s))
        return found

    def worker_ratios(self) -> None:
        for entry in self.scenarios.values():
            base = entry.get("compare_with")
            if base and "median" in entry:
                one = self.scenarios.get(base, {}).get("median", {}).get("rps")
                if one:
                    entry["ratio_to_one_worker"] = round(entry["median"]["rps"] / one, 3)
