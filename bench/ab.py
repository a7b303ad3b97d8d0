"""Compare two checkouts of gamecoll side by side, to try a change before proposing it.

    cp -r /work/main /tmp/benchcopy    # then change the copy
    .venv/bin/python -m bench.ab --b /tmp/benchcopy --scenarios auth_me,items_list,thumbnail_304

Both apps run at once on one database (the same migrations, secret and image folder, so the
same tokens and items work on both), pinned to the same CPU; the JWT + asyncpg ceiling runs
beside them. Each round runs every scenario on A, B and the ceiling in turn (the order rotates
each round), so that the noise of a shared machine hits all three alike. Prints median req/s,
p50, p99 and B/A. The `.venv` of this checkout runs both.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench import seed
from bench.core import log
from bench.harness import Bench
from bench.loadgen import Req, ensure_wrk
from bench.plan import FULL, PROJECT_ROOT, Scenario, with_overrides
from bench.procs import interrupt_on_sigterm


def main(argv: list[str] | None = None) -> int:
    """Start A, B and the ceiling, run the rounds, print the comparison."""
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("--a", type=Path, default=PROJECT_ROOT, help="checkout A (this one)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B (the changed copy)")
    parser.add_argument("--scenarios", default="auth_me,items_list,thumbnail_304")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    plan = with_overrides(
        FULL,
        seconds=args.seconds,
        photo_items=200,
        filler_users=1_000,
        bcrypt_rounds=4,
        big_photo_bytes=200_000,
    )
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-ab-"))
    bench = Bench(plan, admin_url=args.admin_url, wrk_binary=ensure_wrk(), workdir=workdir)
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    try:
        asyncio.run(seed.create_database(bench.admin_url, bench.db_name))
        bench.image_dir.mkdir(parents=True, exist_ok=True)
        a = bench.start_gamecoll("gamecoll_w1", 1, bench.layout1, root=args.a.resolve())
        asyncio.run(bench.seed(a.port))
        bench.start_gamecoll("gamecoll_b", 1, bench.layout1, root=args.b.resolve())
        bench.start_ceiling("jwt_pg")
        known = {s.name: s for s in bench.main_scenarios()}
        ceiling = Scenario(
            "ceiling", "ceiling_jwt_pg", [Req("/me", headers=bench.accounts["main"].bearer)]
        )
        trios = [
            (
                replace(known[n], name=f"A {n}"),
                replace(known[n], name=f"B {n}", server="gamecoll_b"),
            )
            for n in wanted
        ]
        for round_no in range(args.rounds):
            log(f"round {round_no + 1}/{args.rounds}")
            for one, two in trios:
                order = [one, two, ceiling]
                shift = round_no % 3
                for scenario in order[shift:] + order[:shift]:
                    bench.measure(scenario)
        print()
        print(f"{'scenario':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'B/A':>6} {'/ceil':>6}")
        ceiling_rps = statistics.median(r["rps"] for r in bench.scenarios["ceiling"]["runs"])
        for name in ["ceiling", *(f"{side} {n}" for n in wanted for side in "AB")]:
            entry = bench.scenarios[name]
            if "median" not in entry:
                print(f"{name:<26} {entry.get('status')}: {entry.get('reason', '')}")
                continue
            med = entry["median"]
            ratio = ""
            if name.startswith("B "):
                base = bench.scenarios["A " + name[2:]].get("median", {}).get("rps")
                ratio = f"{med['rps'] / base:.2f}" if base else ""
            print(
                f"{name:<26} {med['rps']:>9.1f} {med['p50_ms']:>8.2f} {med['p99_ms']:>8.2f} "
                f"{ratio:>6} {med['rps'] / ceiling_rps:>6.2f}"
            )
    finally:
        bench.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    with interrupt_on_sigterm():  # SIGTERM stops everything started, like Ctrl-C
        sys.exit(main())
