"""The login storm: bcrypt's capacity, then logins beside other requests."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench import seed
from bench.core import log
from bench.loadgen import Req
from bench.measure import Measuring
from bench.plan import Scenario
from bench.procs import (
    allowed_cpus,
    run_bounded,
)


class PhaseLoginStorm(Measuring):
    """The login storm: bcrypt's capacity, then logins beside other requests."""

    def bcrypt_capacity(self, cpus: tuple[int, ...], out_name: str) -> dict[str, Any]:
        out = self.workdir / f"{out_name}.json"
        code = run_bounded(
            self.processes,
            out_name,
            [
                sys.executable,
                "-m",
                "bench.bcrypt_bench",
                "--rounds",
                str(self.plan.bcrypt_rounds),
                "--threads",
                str(len(cpus)),
                "--seconds",
                str(self.plan.bcrypt_seconds),
                "--out",
                str(out),
            ],
            timeout=self.plan.bcrypt_seconds + 60,
            cpus=cpus,
            log_path=self.workdir / f"{out_name}.log",
        )
        if code != 0:
            raise RuntimeError(f"bcrypt micro-benchmark failed ({code})")
        result: dict[str, Any] = json.loads(out.read_text())
        result["cpu_list"] = list(cpus)
        return result

    def login_storm(self) -> None:
        """Idle /auth/user/me, then the same during `storm_clients` concurrent logins."""
        plan = self.plan
        app = self.servers["gamecoll_w1"]
        log(f"login storm: {plan.storm_clients} concurrent logins at {plan.bcrypt_rounds} rounds")
        capacity = {
            "server_cpus": self.bcrypt_capacity(app.cpus, "bcrypt-server-cpus"),
            "all_cpus": self.bcrypt_capacity(tuple(allowed_cpus()), "bcrypt-all-cpus"),
        }
        self.scenarios["bcrypt_capacity"] = {
            "status": "ok",
            "runs": [],
            "rounds": plan.bcrypt_rounds,
            "hashes_per_s": round(capacity["server_cpus"]["hashes_per_s"], 2),
            "all_cpus_hashes_per_s": round(capacity["all_cpus"]["hashes_per_s"], 2),
            "detail": capacity,
            "note": "bcrypt checks per second on the CPUs the server runs on (the storm's bound)",
        }
        log(
            f"bcrypt: {capacity['server_cpus']['hashes_per_s']:.2f} hashes/s on CPUs {app.cpus}, "
            f"{capacity['all_cpus']['hashes_per_s']:.2f} on all"
        )
        storm_user = self.accounts["storm"]
        me = Scenario(
            "auth_me_idle",
            "gamecoll_w1",
            [Req("/auth/user/me", headers=self.accounts["main"].bearer)],
            plan.connections,
        )
        login = Req(
            "/auth/login",
            method="POST",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"email": storm_user.email, "password": seed.PASSWORD}),
        )
        ramp = 1
        storm_seconds = plan.seconds + 2 * ramp
        for round_no in range(plan.repeats):
            self.measure(me)
            if round_no == 0 and plan.warmup_seconds:
                self.wrk.run(
                    app.port,
                    requests=[login],
                    seconds=plan.warmup_seconds,
                    connections=plan.storm_clients,
                    timeout_s=60,
                )
            try:
                # The same logins with nothing else to serve: what hashing gets when the CPU
                # is not short (the bcrypt threads run at a lower priority than requests).
                before = self.cpu_snapshot(app)
                alone = self.wrk.run(
                    app.port,
                    requests=[login],
                    seconds=plan.seconds,
                    connections=plan.storm_clients,
                    timeout_s=60,
                )
                self.add_run(
                    "login_storm_alone", alone, self.cpu_used(before, self.cpu_snapshot(app))
                )
                before = self.cpu_snapshot(app)
                storm = self.wrk.start(
                    app.port,
                    requests=[login],
                    seconds=storm_seconds,
                    connections=plan.storm_clients,
                    timeout_s=60,
                )
                time.sleep(ramp)
                during = self.wrk.run(
                    app.port,
                    requests=me.requests,
                    seconds=plan.seconds,
                    connections=plan.connections,
                )
                logins = self.wrk.finish(storm)
                after = self.cpu_snapshot(app)
            except Exception as exc:
                for name in ("login_storm_alone", "login_storm", "auth_me_during_storm"):
                    self.entry(name).update(status="failed", reason=f"{type(exc).__name__}: {exc}")
                log(f"login storm FAILED: {exc}")
                return
            cpu = self.cpu_used(before, after)
            self.add_run("auth_me_during_storm", during, cpu)
            self.add_run("login_storm", logins, cpu)
        for name, conns in (
            ("login_storm_alone", plan.storm_clients),
            ("login_storm", plan.storm_clients),
            ("auth_me_during_storm", plan.connections),
        ):
            self.entry(name).update(
                {
                    "server": app.name,
                    "workers": 1,
                    "server_cpus": list(app.cpus),
                    "connections": conns,
                    "ceiling": None,
                }
            )
        self.entry("login_storm")["note"] = (
            f"{plan.storm_clients} concurrent logins at {plan.bcrypt_rounds} rounds; "
            "req/s here is logins (= bcrypt checks) per second"
        )
        self.entry("login_storm_alone")["note"] = (
            "the same logins with no other traffic: logins (= bcrypt checks) per second"
        )
