"""Image scenarios of issue 12: memory of the whole instance under the worst uploads, and the
CPU an upload costs against a bare Pillow script doing the same work.

`image_memory`: one gamecoll instance (WORKERS=1, default image settings, not pinned, so
IMAGE_WORKERS follows the machine's CPUs). After a warm-up of small uploads, four uploads of
the worst accepted images go at once (a 7000x7000 RGBA PNG twice, an 8000x6000 JPEG, a GIF
of 999 frames), while the resident memory of every process of the instance (server, image
workers, fork server, resource tracker) is sampled; then more rounds of four, up to
`uploads` in all, and the memory once idle is compared with the warm baseline. Both VmRSS
(pages shared between processes counted in each) and PSS (shared pages divided) are kept.

`upload_cpu_floor`: CPU seconds of the instance's processes per 12 MP phone JPEG uploaded
(EXIF orientation 6, multipart), against the same decode, orientation, renditions and encodes
done by a bare Pillow script in its own process.

Run alone with `python -m bench.image_memory [--smoke]`; the harness runs it as the
`images` group. The CPU floor is measured in upload_cpu_floor.py, the images and uploads
come from image_uploads.py, the memory samples from group_memory.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench import images
from bench.group_memory import PeakSampler, group_memory, mib
from bench.image_uploads import (
    FULL_SIZES,
    SMOKE_SIZES,
    Sizes,
    register,
    upload,
    upload_round,
    worst_images,
)
from bench.procs import LOCALHOST, CpuLayout
from bench.upload_cpu_floor import measure_cpu_floor

if TYPE_CHECKING:
    from bench.harness import Bench

SCENARIOS = ("image_memory", "upload_cpu_floor")
PEAK_BOUND_MIB = 400
GROWTH_BOUND_MIB = 50
CPU_RATIO_BOUND = 1.5
CONTAINER_LIMITS_MIB = {"compose and k8s base": 512, "k8s prod": 768}


async def _idle_memory(pgid: int, seconds: float = 2.0) -> dict[str, Any]:
    """The group's memory once uploads have settled (the lowest of a few samples)."""
    await asyncio.sleep(seconds)
    samples = [group_memory(pgid, detail=True)]
    for _ in range(4):
        await asyncio.sleep(0.25)
        samples.append(group_memory(pgid, detail=True))
    return min(samples, key=lambda sample: sample["pss_kib"])


async def measure_memory(port: int, pgid: int, sizes: Sizes, cache: Path) -> dict[str, Any]:
    """The image_memory scenario against a running instance."""
    files = worst_images(sizes, cache)
    small = images.jpeg(640, 480, seed=3)
    async with httpx.AsyncClient(
        base_url=f"http://{LOCALHOST}:{port}", timeout=600, trust_env=False
    ) as client:
        token = await register(client, f"bench-images-{os.getpid()}@example.com")
        for n in range(4):  # warm: the image workers are started and have worked
            await upload(client, token, f"warm-{n}.jpg", small, "image/jpeg")
        warm = await _idle_memory(pgid)
        statuses: list[int] = []
        started = time.monotonic()
        with PeakSampler(pgid) as first:
            statuses += await upload_round(client, token, files)
        first_seconds = time.monotonic() - started
        with PeakSampler(pgid) as rest:
            while len(statuses) < sizes.uploads:
                statuses += await upload_round(client, token, files)
        total_seconds = time.monotonic() - started
        after = await _idle_memory(pgid)
    return {
        "status": "ok" if all(code == 201 for code in statuses) else "errors",
        "runs": [],
        "images": [
            {"name": name, "bytes": len(data), "type": kind} for name, data, kind in files[:3]
        ],
        "uploads": len(statuses),
        "refused_503": statuses.count(503),
        "first_round_seconds": round(first_seconds, 1),
        "all_rounds_seconds": round(total_seconds, 1),
        "warm": {
            "rss_mib": mib(warm["rss_kib"]),
            "pss_mib": mib(warm["pss_kib"]),
            "processes": warm["processes"],
            "each": warm["each"],
        },
        "peak_first_round": {
            "rss_mib": mib(first.peak_rss_kib),
            "pss_mib": mib(first.peak_pss_kib),
            "processes": first.peak_processes,
            "samples": first.samples,
            "each_at_peak": first.at_peak,
        },
        "peak_all_rounds": {
            "rss_mib": mib(max(first.peak_rss_kib, rest.peak_rss_kib)),
            "pss_mib": mib(max(first.peak_pss_kib, rest.peak_pss_kib)),
            "each_at_peak": rest.at_peak
            if rest.peak_pss_kib > first.peak_pss_kib
            else first.at_peak,
        },
        "after": {
            "rss_mib": mib(after["rss_kib"]),
            "pss_mib": mib(after["pss_kib"]),
            "processes": after["processes"],
            "each": after["each"],
        },
        "growth_rss_mib": mib(after["rss_kib"] - warm["rss_kib"]),
        "growth_pss_mib": mib(after["pss_kib"] - warm["pss_kib"]),
        "container_limits_mib": CONTAINER_LIMITS_MIB,
    }


# -- the harness's part ---------------------------------------------------------------------------


def run(bench: Bench, *, sizes: Sizes | None = None, only: str | None = None) -> None:
    """Run both scenarios on a fresh instance of the harness's server (not pinned)."""
    from bench.core import log

    sizes = sizes or (SMOKE_SIZES if bench.plan.mode == "smoke" else FULL_SIZES)
    cache = bench.workdir / "image-cache"
    cache.mkdir(exist_ok=True)
    layout = CpuLayout.for_workers(1, pin=False)
    for name, measure in (
        ("image_memory", measure_memory),
        ("upload_cpu_floor", measure_cpu_floor),
    ):
        if only and name != only:
            continue
        server = bench.start_gamecoll(f"gamecoll_{name}", 1, layout)
        log(f"{name}: measuring")
        try:
            result = asyncio.run(measure(server.port, server.started.pid, sizes, cache))
        except Exception as exc:
            bench.entry(name).update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            log(f"{name} FAILED: {exc}")
        else:
            bench.scenarios[name] = {"server": server.name, **result}
            log(f"{name}: {json.dumps(result)}")
        finally:
            bench.stop_server(server.name)


def summary(name: str, entry: dict[str, Any]) -> str:
    """One line for the harness's table."""
    if name == "image_memory":
        peak, warm, after = entry["peak_first_round"], entry["warm"], entry["after"]
        return (
            f"{entry['status']}: peak PSS {peak['pss_mib']} MiB (RSS {peak['rss_mib']}), "
            f"warm {warm['pss_mib']}, after {entry['uploads']} uploads {after['pss_mib']} MiB"
        )
    return (
        f"{entry['status']}: {entry['server_cpu_ms_per_upload']} ms CPU per upload, "
        f"bare Pillow {entry['bare_pillow_cpu_ms']} ms"
    )


def targets(scenarios: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets for these scenarios, in the harness's shape."""
    memory = scenarios.get("image_memory", {})
    floor = scenarios.get("upload_cpu_floor", {})
    found = []
    for name, text, measured, op, bound in (
        (
            "image_memory_peak",
            "peak PSS of the whole instance, four worst uploads at once (MiB)",
            memory.get("peak_first_round", {}).get("pss_mib"),
            "<",
            PEAK_BOUND_MIB,
        ),
        (
            "image_memory_growth",
            f"PSS growth after {memory.get('uploads', '?')} worst uploads, vs warm (MiB)",
            memory.get("growth_pss_mib"),
            "<=",
            GROWTH_BOUND_MIB,
        ),
        (
            "upload_cpu_floor",
            "server CPU per 12 MP phone JPEG ÷ bare Pillow doing the same",
            floor.get("ratio"),
            "<=",
            CPU_RATIO_BOUND,
        ),
    ):
        met = None
        if measured is not None:
            met = measured < bound if op == "<" else measured <= bound
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
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the two scenarios alone: start the harness's server pieces, print the results."""
    from bench import seed
    from bench.harness import Bench
    from bench.plan import FULL, SMOKE

    parser = argparse.ArgumentParser(prog="python -m bench.image_memory", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small stand-in images, few uploads")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--out", type=Path, help="write the results JSON here")
    parser.add_argument("--uploads", type=int, help="worst-image uploads in all (default 100)")
    parser.add_argument("--only", choices=SCENARIOS, help="run one of the two scenarios")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-bench-images-"))
    bench = Bench(
        SMOKE if args.smoke else FULL, admin_url=args.admin_url, wrk_binary="", workdir=workdir
    )
    try:
        asyncio.run(seed.create_database(bench.admin_url, bench.db_name))
        bench.image_dir.mkdir(parents=True, exist_ok=True)
        sizes = SMOKE_SIZES if args.smoke else FULL_SIZES
        if args.uploads:
            sizes = replace(sizes, uploads=args.uploads)
        run(bench, sizes=sizes, only=args.only)
    finally:
        problems = bench.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    results = {
        "scenarios": {name: bench.scenarios.get(name) for name in SCENARIOS},
        "targets": targets(bench.scenarios),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "cleanup_problems": problems,
    }
    text = json.dumps(results, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
