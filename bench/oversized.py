"""/healthz latency idle, and while clients keep sending oversized login bodies (issue 10).

Each attacker connection announces a 9.9 MB urlencoded login of about 3.3 million fields and
streams it until the server answers; then it reconnects. A server that reads and parses such
bodies stalls its event loop for seconds (the issue measured 4 s for a million fields); one
that refuses them from the head answers 413 at once. Meanwhile wrk measures /healthz.

In the harness (`python -m bench --only oversized`), and on its own against any checkout, to
compare before and after a change:

    .venv/bin/python -m bench.oversized [--root CHECKOUT] [--seconds 5] [--repeats 2]

The attackers run in their own process (`python -m bench.oversized attack ...`), pinned to
the load generator's CPU and stopped like every other process of the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.loadgen import Req
from bench.procs import LOCALHOST

if TYPE_CHECKING:
    from bench.harness import Bench

OVERSIZED_SCENARIOS = ("healthz_quiet", "healthz_oversized_logins")
ATTACKERS = 4
BODY_BYTES = 9_900_000
CHUNK = b"a=&" * 21_846  # 64 KiB of empty fields
RAMP_SECONDS = 1.0


# -- the attackers (a process of their own) -------------------------------------------------------


async def _attack_once(port: int, body_bytes: int) -> tuple[str, int, float]:
    """Send one oversized login; return the status (or how it failed), bytes sent, seconds."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(LOCALHOST, port)
    head = (
        f"POST /auth/login HTTP/1.1\r\nHost: {LOCALHOST}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {body_bytes}\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = asyncio.ensure_future(reader.readuntil(b"\r\n\r\n"))
    sent = 0
    status = "no answer"
    try:
        writer.write(head)
        while sent < body_bytes and not answer.done():
            piece = CHUNK[: body_bytes - sent]
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
        status = (await asyncio.wait_for(answer, 120)).split(b" ", 2)[1].decode()
    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
        # The server may answer and close while the body is still going out.
        try:
            status = (await asyncio.wait_for(answer, 1)).split(b" ", 2)[1].decode()
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            status = "reset"
    finally:
        answer.cancel()
        writer.close()
    return status, sent, time.monotonic() - started


async def _attack(port: int, seconds: float, clients: int, body_bytes: int) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    statuses: Counter[str] = Counter()
    sent: list[int] = []
    answered_in: list[float] = []

    async def client() -> None:
        while time.monotonic() < deadline:
            try:
                status, count, took = await _attack_once(port, body_bytes)
            except OSError as exc:
                statuses[f"connect: {type(exc).__name__}"] += 1
                await asyncio.sleep(0.05)
                continue
            statuses[status] += 1
            sent.append(count)
            answered_in.append(took)

    await asyncio.gather(*(client() for _ in range(clients)))
    return {
        "clients": clients,
        "announced_bytes": body_bytes,
        "attempts": sum(statuses.values()),
        "per_second": round(sum(statuses.values()) / seconds, 1),
        "statuses": dict(statuses),
        "median_body_bytes_sent": int(statistics.median(sent)) if sent else 0,
        "median_answer_ms": round(1000 * statistics.median(answered_in), 1) if answered_in else 0,
    }


def attack_main(argv: list[str]) -> int:
    """`attack --port P --seconds S --clients N --bytes B --out FILE`: run, write JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.oversized attack")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--clients", type=int, default=ATTACKERS)
    parser.add_argument("--bytes", type=int, default=BODY_BYTES)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = asyncio.run(_attack(args.port, args.seconds, args.clients, args.bytes))
    args.out.write_text(json.dumps(result) + "\n")
    return 0


# -- the scenario ------------------------------------------------------------------------------


def oversized_logins(
    bench: Bench,
    server_name: str = "gamecoll_w1",
    *,
    attackers_on_server_cpu: bool = False,
    body_bytes: int = BODY_BYTES,
) -> None:
    """Measure /healthz idle, then while ATTACKERS clients send oversized login bodies."""
    from bench.core import log
    from bench.plan import Scenario

    plan = bench.plan
    app = bench.servers[server_name]
    quiet = Scenario("healthz_quiet", server_name, [Req("/healthz")], plan.connections)
    attacks: list[dict[str, Any]] = []
    log(f"oversized logins: {ATTACKERS} clients sending {body_bytes:,}-byte login bodies")
    for round_no in range(plan.repeats):
        bench.measure(quiet)
        out = bench.workdir / f"oversized-{round_no}.json"
        attackers = bench.processes.start(
            "oversized_attackers",
            [
                sys.executable,
                "-m",
                "bench.oversized",
                "attack",
                f"--port={app.port}",
                f"--seconds={plan.seconds + 2 * RAMP_SECONDS}",
                f"--out={out}",
                f"--bytes={body_bytes}",
            ],
            cpus=app.cpus if attackers_on_server_cpu else bench.layout1.load,
            log_path=bench.workdir / "oversized-attackers.log",
        )
        try:
            time.sleep(RAMP_SECONDS)
            before = bench.cpu_snapshot(app)
            during = bench.wrk.run(
                app.port,
                requests=quiet.requests,
                seconds=plan.seconds,
                connections=quiet.connections,
            )
            cpu = bench.cpu_used(before, bench.cpu_snapshot(app))
            attackers.popen.wait(timeout=plan.seconds + 180)
            attacks.append(json.loads(out.read_text()))
        except Exception as exc:
            bench.entry("healthz_oversized_logins").update(
                status="failed", reason=f"{type(exc).__name__}: {exc}"
            )
            log(f"oversized logins FAILED: {exc}")
            return
        finally:
            bench.processes.stop(attackers, grace=2.0)
        bench.add_run("healthz_oversized_logins", during, cpu)
        log(f"  attackers: {attacks[-1]}")
    bench.entry("healthz_oversized_logins").update(
        {
            "server": app.name,
            "workers": app.workers,
            "server_cpus": list(app.cpus),
            "connections": quiet.connections,
            "ceiling": None,
            "attackers": attacks,
            "note": f"/healthz while {ATTACKERS} clients send {body_bytes:,}-byte logins",
        }
    )


def standalone_main(argv: list[str]) -> int:
    """Run only this scenario against one checkout and print its figures."""
    from bench import seed
    from bench.harness import Bench
    from bench.loadgen import ensure_wrk
    from bench.plan import FULL, PROJECT_ROOT, with_overrides
    from bench.procs import interrupt_on_sigterm

    parser = argparse.ArgumentParser(prog="python -m bench.oversized", description=__doc__)
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the checkout to run")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--attackers-on-server-cpu",
        action="store_true",
        help="pin the attackers beside the server instead of beside wrk (to tell the two apart)",
    )
    parser.add_argument("--body-bytes", type=int, default=BODY_BYTES, help="announced and sent")
    args = parser.parse_args(argv)
    plan = with_overrides(FULL, seconds=args.seconds, repeats=args.repeats, warmup_seconds=1)
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-oversized-"))
    bench = Bench(plan, admin_url=args.admin_url, wrk_binary=ensure_wrk(), workdir=workdir)
    try:
        with interrupt_on_sigterm():
            asyncio.run(seed.create_database(bench.admin_url, bench.db_name))
            bench.image_dir.mkdir(parents=True, exist_ok=True)
            bench.start_gamecoll("gamecoll_w1", 1, bench.layout1, root=args.root)
            oversized_logins(
                bench,
                attackers_on_server_cpu=args.attackers_on_server_cpu,
                body_bytes=args.body_bytes,
            )
    finally:
        problems = bench.cleanup()
    for name in OVERSIZED_SCENARIOS:
        entry = bench.scenarios.get(name, {})
        cpu = [run.get("server_cpu_s") for run in entry.get("runs", [])]
        print(name, json.dumps(entry.get("median")), entry.get("status"), "server cpu s:", cpu)
    for attack in bench.scenarios.get("healthz_oversized_logins", {}).get("attackers", []):
        print("attackers", json.dumps(attack))
    for problem in problems:
        print("cleanup:", problem, file=sys.stderr)
    return 0 if not problems else 1


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["attack"]:
        sys.exit(attack_main(arguments[1:]))
    sys.exit(standalone_main(arguments))
