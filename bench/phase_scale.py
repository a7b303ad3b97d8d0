"""Phase C: list latency with 100 to 1,000,000 rows in the items table."""

from __future__ import annotations

import asyncio
import time

from bench import seed
from bench.core import log
from bench.loadgen import Req
from bench.measure import Measuring
from bench.plan import SCALE_SCENARIOS, Scenario


class PhaseScale(Measuring):
    """Phase C: list latency with 100 to 1,000,000 rows in the items table."""

    def phase_scale(self) -> None:
        plan = self.plan
        if not self.collection_api:
            return
        log(f"phase C: list latency with {plan.scale_sizes} items in the table")
        app = self.start_gamecoll("gamecoll_w1_scale", 1, self.layout1)
        user = self.accounts["scale"]
        asyncio.run(seed.empty_items(self.db_url))
        for name, size in zip(SCALE_SCENARIOS, plan.scale_sizes, strict=True):
            began = time.monotonic()
            rows = asyncio.run(seed.fill_items(self.db_url, user_id=user.user_id, total=size))
            log(f"items table: {rows} rows (filled in {time.monotonic() - began:.1f} s)")
            scenario = Scenario(
                name,
                app.name,
                [Req("/collection/items?limit=50", headers=user.bearer)],
                connections=1,
                note=f"{rows} items in the table, all the user's; one connection (latency)",
            )
            for _ in range(plan.repeats):
                self.measure(scenario)
            self.entry(name)["items_in_table"] = rows
        self.stop_server(app.name)
