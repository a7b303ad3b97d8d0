"""Profile gamecoll's hot paths under wrk load with py-spy (not a dependency: pass its path).

    python3 -m venv /tmp/prof-venv && /tmp/prof-venv/bin/pip install py-spy
    .venv/bin/python -m bench.profile --py-spy /tmp/prof-venv/bin/py-spy \\
        --scenarios auth_me,items_list,thumbnail_304 --seconds 20 --out /tmp/gamecoll-profile

Sets up like phase A of the harness (its own database, one pinned worker, the API seeding with
fewer items), then for each scenario: warm up, measure without the profiler, and measure again
while py-spy samples the worker (non-blocking). Writes the collapsed stacks
(`<scenario>.txt`, for flamegraph tools or speedscope) and prints the functions with the most
samples, inclusive and self. Run it from a scratch copy of the repository to try a change:
`cp -r /work/main /tmp/benchcopy && cd /tmp/benchcopy && /work/main/.venv/bin/python -m ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.core import log
from bench.harness import Bench
from bench.loadgen import ensure_wrk
from bench.plan import FULL, with_overrides
from bench.procs import interrupt_on_sigterm, run_bounded, sanic_workers

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """`func (path/file.py:123)` -> `func (path/file.py)`: one entry per function."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match['func']} ({match['file']})"


def summarize(collapsed: str, top: int = 25) -> str:
    """The functions with the most samples in py-spy's raw (collapsed) output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [frame_name(f) for f in stack.split(";") if f]
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples (active only)", "", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Set up, profile each scenario, clean up."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--py-spy", required=True, help="path of the py-spy executable")
    parser.add_argument("--scenarios", default="auth_me,items_list,thumbnail_304")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "gamecoll-profile"
    )
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    plan = with_overrides(
        FULL, photo_items=200, filler_users=1_000, bcrypt_rounds=4, big_photo_bytes=200_000
    )
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-profile-"))
    bench = Bench(plan, admin_url=args.admin_url, wrk_binary=ensure_wrk(), workdir=workdir)
    try:
        asyncio.run(bench_setup(bench))
        app = bench.servers["gamecoll_w1"]
        worker = sanic_workers(app.started.pid)[0]
        scenarios = {s.name: s for s in bench.main_scenarios()}
        for name in wanted:
            scenario = scenarios[name]
            bench.preflight(scenario)
            bench.wrk.run(app.port, **bench.wrk_options(scenario, 3))
            plain = bench.wrk.run(app.port, **bench.wrk_options(scenario, args.seconds))
            out = args.out / f"{name}.txt"
            load = bench.wrk.start(app.port, **bench.wrk_options(scenario, args.seconds + 2))
            try:
                run_bounded(
                    bench.processes,
                    "py-spy",
                    [
                        args.py_spy,
                        "record",
                        "--pid",
                        str(worker),
                        "--duration",
                        str(args.seconds),
                        "--rate",
                        str(args.rate),
                        "--format",
                        "raw",
                        "--nonblocking",
                        "--output",
                        str(out),
                    ],
                    timeout=args.seconds + 60,
                    cpus=bench.layout1.load,
                    log_path=workdir / f"py-spy-{name}.log",
                )
            finally:
                sampled = bench.wrk.finish(load)
            log(
                f"{name}: {plain.rps:.1f} req/s without the profiler "
                f"(p50 {plain.p50_ms:.2f} ms, p99 {plain.p99_ms:.2f} ms), "
                f"{sampled.rps:.1f} req/s while sampled"
            )
            summary = summarize(out.read_text()) if out.exists() else "py-spy wrote nothing"
            (args.out / f"{name}.summary.txt").write_text(summary + "\n")
            print(summary, flush=True)
    finally:
        bench.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"collapsed stacks and summaries in {args.out}")
    return 0


async def bench_setup(bench: Bench) -> None:
    """Database, one pinned worker, seeded data."""
    from bench import seed

    await seed.create_database(bench.admin_url, bench.db_name)
    bench.image_dir.mkdir(parents=True, exist_ok=True)
    app = await asyncio.to_thread(bench.start_gamecoll, "gamecoll_w1", 1, bench.layout1)
    await bench.seed(app.port)


if __name__ == "__main__":
    with interrupt_on_sigterm():  # SIGTERM stops everything started, like Ctrl-C
        sys.exit(main())
