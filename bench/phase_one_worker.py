"""Phase A: gamecoll with one worker, seeded, beside its ceilings."""

from __future__ import annotations

import asyncio
import secrets
import time

from bench import images, seed
from bench.core import log
from bench.images import multipart_body
from bench.loadgen import Chain, Req
from bench.oversized import oversized_logins
from bench.phase_login_storm import PhaseLoginStorm
from bench.phase_memory import PhaseMemory
from bench.plan import ITEM_SCENARIOS, NO_COLLECTION_API, Scenario


class PhaseOneWorker(PhaseLoginStorm, PhaseMemory):
    """Phase A: gamecoll with one worker, seeded, beside its ceilings."""

    def phase_one_worker(self) -> None:
        plan = self.plan
        log(
            f"phase A: gamecoll WORKERS=1 on CPUs {self.layout1.server}, wrk on {self.layout1.load}"
        )
        app = self.start_gamecoll("gamecoll_w1", 1, self.layout1)
        asyncio.run(self.seed(app.port))
        if self.selected("main"):
            self.start_ceiling("bare")
            self.start_ceiling("jwt_pg")
            scenarios = self.main_scenarios()
            for round_no in range(plan.repeats):
                log(f"round {round_no + 1}/{plan.repeats}")
                for scenario in scenarios:
                    self.measure(scenario)
            self.stop_server("ceiling_bare")
            self.stop_server("ceiling_jwt_pg")
        if self.selected("storm"):
            self.login_storm()
        if self.selected("oversized"):
            oversized_logins(self)
        self.stop_server("gamecoll_w1")
        if self.selected("memory"):
            # A fresh worker: the uploads and 2 MB images above leave allocator high-water
            # marks that would hide (or fake) growth from ordinary requests.
            self.start_gamecoll("gamecoll_w1_memory", 1, self.layout1)
            self.memory("gamecoll_w1_memory")
            self.stop_server("gamecoll_w1_memory")

    async def seed(self, port: int) -> None:
        plan = self.plan
        started = time.monotonic()
        async with seed.Api(port) as api:
            self.collection_api = await api.collection_api_present()
            for role in ("main", "storm", "refresh", "upload", "scale"):
                self.accounts[role] = await api.register(f"bench-{role}@example.com")
            await seed.add_filler_users(
                self.db_url, count=plan.filler_users, like_email="bench-main@example.com"
            )
            if not self.collection_api:
                log(NO_COLLECTION_API)
                for name in ITEM_SCENARIOS:
                    self.skip(name, NO_COLLECTION_API)
                self.extra["seed_seconds"] = round(time.monotonic() - started, 1)
                return
            if not any(self.selected(g) for g in ("main", "memory", "workers")):
                self.extra["seed_seconds"] = round(time.monotonic() - started, 1)
                return  # no selected scenario reads the photos
            photos = [images.jpeg(*plan.photo_size, seed=n, quality=88) for n in range(10)]
            main = self.accounts["main"]
            big = images.jpeg_of_size(plan.big_photo_bytes, seed=100)
            big_item = await api.create_item(main, "Bench big photo", big)
            made = await api.create_items(main, photos, plan.photo_items - 1)
            # The newest item is first on the list page; its thumbnail is the one measured.
            thumb_item = made[-1]
            response = await api.get(thumb_item["image"]["thumbnail_url"], headers=main.bearer)
            seed._expect(response, 200, "thumbnail")
            self.refs.update(
                {
                    "thumbnail_url": thumb_item["image"]["thumbnail_url"],
                    "thumbnail_etag": response.headers["etag"],
                    "image_url": big_item["image"]["url"],
                    "raw_url": big_item["image"]["raw_url"],
                    "big_photo_bytes": len(big),
                }
            )
        upload = images.jpeg_of_size(plan.upload_bytes, seed=200)
        boundary = "gamecollbench" + secrets.token_hex(8)
        upload_file = self.workdir / "upload.multipart"
        upload_file.write_bytes(multipart_body(upload, boundary))
        self.refs.update(
            {"upload_file": upload_file, "upload_boundary": boundary, "upload_bytes": len(upload)}
        )
        self.extra["seed_seconds"] = round(time.monotonic() - started, 1)
        log(f"seeded in {self.extra['seed_seconds']} s")

    def main_scenarios(self) -> list[Scenario]:
        plan = self.plan
        c = plan.connections
        main = self.accounts["main"]
        me = Req("/auth/user/me", headers=main.bearer)
        out = [
            Scenario("ceiling_bare", "ceiling_bare", [Req("/healthz")], c),
            Scenario("healthz", "gamecoll_w1", [Req("/healthz")], c, ceiling="ceiling_bare"),
            Scenario("ceiling_jwt_pg", "ceiling_jwt_pg", [Req("/me", headers=main.bearer)], c),
            Scenario("auth_me", "gamecoll_w1", [me], c, ceiling="ceiling_jwt_pg"),
        ]
        if self.collection_api:
            refs = self.refs
            thumb = Req(refs["thumbnail_url"], headers=main.bearer)
            thumb_304 = Req(
                refs["thumbnail_url"],
                headers={**main.bearer, "If-None-Match": refs["thumbnail_etag"]},
            )
            out += [
                Scenario(
                    "items_list",
                    "gamecoll_w1",
                    [Req("/collection/items?limit=50", headers=main.bearer)],
                    c,
                    ceiling="ceiling_jwt_pg",
                ),
                Scenario("thumbnail_304", "gamecoll_w1", [thumb_304], c, "ceiling_jwt_pg", 304),
                Scenario("thumbnail_200", "gamecoll_w1", [thumb], c, ceiling="ceiling_jwt_pg"),
                Scenario(
                    "image_base64",
                    "gamecoll_w1",
                    [Req(refs["image_url"], headers=main.bearer)],
                    c,
                    ceiling="ceiling_jwt_pg",
                    note=f"{refs['big_photo_bytes']} byte JPEG as base64 JSON",
                ),
                Scenario(
                    "image_raw",
                    "gamecoll_w1",
                    [Req(refs["raw_url"], headers=main.bearer)],
                    c,
                    ceiling="ceiling_jwt_pg",
                    note=f"{refs['big_photo_bytes']} byte JPEG streamed",
                ),
            ]
        out.append(
            Scenario(
                "auth_refresh",
                "gamecoll_w1",
                connections=plan.refresh_sessions,
                threads=plan.refresh_sessions,
                ceiling="ceiling_jwt_pg",
                chain=self.refresh_chain,
                note="each connection rotates its own session's refresh token",
            )
        )
        if self.collection_api:
            upload_user = self.accounts["upload"]
            out.append(
                Scenario(
                    "upload_multipart",
                    "gamecoll_w1",
                    [
                        Req(
                            # The same photo every time: duplicates are what is measured.
                            "/collection/items?allow_duplicate=true",
                            method="POST",
                            headers={
                                **upload_user.bearer,
                                "Content-Type": "multipart/form-data; boundary="
                                + self.refs["upload_boundary"],
                            },
                            body_file=self.refs["upload_file"],
                        )
                    ],
                    plan.upload_connections,
                    ceiling="ceiling_jwt_pg",
                    expect=201,
                    timeout_s=60,
                    max_requests=plan.upload_max_per_run,
                    note=f"{self.refs['upload_bytes']} byte JPEG, multipart; "
                    f"at most {plan.upload_max_per_run} per run",
                )
            )
        return out

    def refresh_chain(self) -> Chain:
        """Fresh sessions for one refresh run: a run's last in-flight token may be spent."""
        tokens = asyncio.run(self._refresh_tokens())
        return Chain(
            path="/auth/refresh",
            headers={"Content-Type": "application/json"},
            body_format='{"refresh_token":"%s"}',
            pattern='"refresh_token"%s*:%s*"([^"]+)"',
            tokens=tokens,
        )

    async def _refresh_tokens(self) -> list[str]:
        async with seed.Api(self.servers["gamecoll_w1"].port) as api:
            return await api.refresh_tokens(
                self.accounts["refresh"].email, self.plan.refresh_sessions
            )
