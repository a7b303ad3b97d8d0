"""Phase B: gamecoll with WORKERS=2 on the same database."""

from __future__ import annotations

from bench.core import log
from bench.loadgen import Req
from bench.measure import Measuring
from bench.plan import Scenario


class PhaseTwoWorkers(Measuring):
    """Phase B: gamecoll with WORKERS=2 on the same database."""

    def phase_two_workers(self) -> None:
        plan = self.plan
        log(
            f"phase B: gamecoll WORKERS=2 on CPUs {self.layout2.server}, wrk on {self.layout2.load}"
        )
        self.start_gamecoll("gamecoll_w2", 2, self.layout2)
        main = self.accounts["main"]
        c = plan.connections
        scenarios = [
            Scenario("w2_healthz", "gamecoll_w2", [Req("/healthz")], c, compare_with="healthz"),
            Scenario(
                "w2_auth_me",
                "gamecoll_w2",
                [Req("/auth/user/me", headers=main.bearer)],
                c,
                compare_with="auth_me",
            ),
        ]
        if self.collection_api:
            scenarios += [
                Scenario(
                    "w2_thumbnail_304",
                    "gamecoll_w2",
                    [
                        Req(
                            self.refs["thumbnail_url"],
                            headers={**main.bearer, "If-None-Match": self.refs["thumbnail_etag"]},
                        )
                    ],
                    c,
                    expect=304,
                    compare_with="thumbnail_304",
                ),
                Scenario(
                    "w2_items_list",
                    "gamecoll_w2",
                    [Req("/collection/items?limit=50", headers=main.bearer)],
                    c,
                    compare_with="items_list",
                ),
            ]
        for round_no in range(plan.repeats):
            log(f"round {round_no + 1}/{plan.repeats} (WORKERS=2)")
            for scenario in scenarios:
                self.measure(scenario)
        for scenario in scenarios:
            if scenario.compare_with:
                self.entry(scenario.name)["compare_with"] = scenario.compare_with
                if self.layout2.shared:
                    self.entry(scenario.name)["note"] = (
                        "the server shares its CPUs with the load generator (too few CPUs)"
                    )
        self.stop_server("gamecoll_w2")
