"""Issue 14's export target: a ZIP export of 10,000 items with photos, in constant memory.

One gamecoll instance (WORKERS=1, PostgreSQL, local image folder). One user gets `items`
items, each with a photo file written straight into the image folder and its row inserted
with asyncpg (uploading 10,000 photos through the API would measure the uploads instead).
After a warm-up export of the empty collection, the resident memory of every process of the
instance is sampled while `GET /collection/export?format=zip` is downloaded to a file; the
target is that no sample exceeds the idle memory by more than 50 MiB. The throughput of the
download (MB/s of the archive) is reported beside a plain copy of the same photo files
(`shutil.copyfile` one after the other) on the same disk; the archive is then checked: one
entry per photo plus `collection.json`.

Run alone with `python -m bench.export_zip [--smoke]`; the harness runs it as the `exchange`
group.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from bench import images
from bench.image_memory import PeakSampler, group_memory
from bench.procs import LOCALHOST, CpuLayout

if TYPE_CHECKING:
    from bench.harness import Bench

SCENARIOS = ("export_zip",)
GROWTH_BOUND_MIB = 50
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    """How much: `full` for `make bench`, `smoke` for a quick run."""

    items: int
    distinct_photos: int


FULL_SIZES = Sizes(items=10_000, distinct_photos=40)
SMOKE_SIZES = Sizes(items=300, distinct_photos=10)


def _photos(count: int) -> list[bytes]:
    """Photo-like JPEGs of some 100 KB (640 x 480 and a little more), a few sizes."""
    return [
        images.jpeg(640 + 16 * (n % 8), 480 + 12 * (n % 8), seed=n, quality=85)
        for n in range(count)
    ]


async def seed(db_url: str, image_dir: Path, user_id: str, sizes: Sizes) -> list[Path]:
    """Give the user `sizes.items` items with photos; return the photo files."""
    photos = _photos(sizes.distinct_photos)
    folder = image_dir / user_id
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    paths = []
    now = time.time()
    for n in range(sizes.items):
        data = photos[n % len(photos)]
        token = uuid.uuid4().hex
        key = f"{user_id}/{token}.jpg"
        (image_dir / key).write_bytes(data)
        paths.append(image_dir / key)
        digest = hashlib.sha256(data).hexdigest()
        rows.append(
            (
                uuid.uuid4(),
                uuid.UUID(user_id),
                f"Export game {n:05d}",
                ("PC", "SNES", "N64", "PS2")[n % 4],
                "Seeded by bench/export_zip.py.",
                json.dumps({"n": n}),
                now - (sizes.items - n),
                key,
                f"{user_id}/{token}.thumb.webp",
                len(data),
                digest,
            )
        )
    conn = await asyncpg.connect(db_url, timeout=10, command_timeout=600)
    try:
        await conn.executemany(
            """
            INSERT INTO items (id, user_id, name, platform, notes, metadata, created_at,
                               updated_at, image_path, thumb_path, image_content_type,
                               image_width, image_height, image_size, image_sha256)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, to_timestamp($7), to_timestamp($7),
                    $8, $9, 'image/jpeg', 640, 480, $10, $11)
            """,
            rows,
        )
        await conn.execute("ANALYZE items")
    finally:
        await conn.close()
    return paths


def plain_copy(paths: list[Path], target: Path) -> dict[str, float]:
    """Copy the photo files one after the other; MB/s of photo bytes."""
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    started = time.monotonic()
    for n, path in enumerate(paths):
        shutil.copyfile(path, target / f"{n}.jpg")
        total += path.stat().st_size
    seconds = time.monotonic() - started
    shutil.rmtree(target, ignore_errors=True)
    return {
        "bytes": total,
        "seconds": round(seconds, 2),
        "mb_per_s": round(total / 1e6 / seconds, 1),
    }


async def measure(
    port: int, pgid: int, db_url: str, image_dir: Path, workdir: Path, sizes: Sizes
) -> dict[str, Any]:
    """The export_zip scenario against a running instance."""
    async with httpx.AsyncClient(
        base_url=f"http://{LOCALHOST}:{port}", timeout=3600, trust_env=False
    ) as client:
        made = await client.post(
            "/auth/register",
            json={
                "email": f"bench-export-{os.getpid()}@example.com",
                "password": "bench-password-1234",
            },
        )
        made.raise_for_status()
        body = made.json()
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        for _ in range(3):  # warm: the route, its imports and the first pages
            warm = await client.get("/collection/export", params={"format": "zip"}, headers=headers)
            warm.raise_for_status()
        paths = await seed(db_url, image_dir, body["user"]["id"], sizes)
        await asyncio.sleep(1.0)
        idle = min((group_memory(pgid) for _ in range(5)), key=lambda s: s["rss_kib"])
        archive = workdir / "export.zip"
        size = 0
        started = time.monotonic()
        with PeakSampler(pgid, interval=0.05) as peak, archive.open("wb") as out:
            async with client.stream(
                "GET", "/collection/export", params={"format": "zip"}, headers=headers
            ) as response:
                response.raise_for_status()
                async for chunk in response.aiter_raw():
                    out.write(chunk)
                    size += len(chunk)
        seconds = time.monotonic() - started
    with zipfile.ZipFile(archive) as opened:
        entries = len(opened.infolist())
        listed = json.loads(opened.read("collection.json"))["items"]
    archive.unlink()
    copy = plain_copy(paths, workdir / "plain-copy")
    growth_mib = (peak.peak_rss_kib - idle["rss_kib"]) / 1024
    ok = entries == sizes.items + 1 and len(listed) == sizes.items
    return {
        "status": "ok" if ok else "errors",
        "runs": [],
        "items": sizes.items,
        "zip_entries": entries,
        "archive_bytes": size,
        "seconds": round(seconds, 2),
        "export_mb_per_s": round(size / 1e6 / seconds, 1),
        "plain_copy": copy,
        "idle_rss_mib": round(idle["rss_kib"] / 1024, 1),
        "peak_rss_mib": round(peak.peak_rss_kib / 1024, 1),
        "growth_rss_mib": round(growth_mib, 1),
        "peak_pss_mib": round(peak.peak_pss_kib / 1024, 1),
        "samples": peak.samples,
    }


def run(bench: Bench, *, sizes: Sizes | None = None) -> None:
    """Run the scenario on a fresh instance of the harness's server (not pinned)."""
    from bench.core import log

    sizes = sizes or (SMOKE_SIZES if bench.plan.mode == "smoke" else FULL_SIZES)
    layout = CpuLayout.for_workers(1, pin=False)
    server = bench.start_gamecoll("gamecoll_export_zip", 1, layout)
    log("export_zip: seeding and measuring")
    try:
        result = asyncio.run(
            measure(
                server.port, server.started.pid, bench.db_url, bench.image_dir, bench.workdir, sizes
            )
        )
    except Exception as exc:
        bench.entry("export_zip").update(status="failed", reason=f"{type(exc).__name__}: {exc}")
        log(f"export_zip FAILED: {exc}")
    else:
        bench.scenarios["export_zip"] = {"server": server.name, **result}
        log(f"export_zip: {json.dumps(result)}")
    finally:
        bench.stop_server(server.name)


def summary(entry: dict[str, Any]) -> str:
    """One line for the harness's table."""
    return (
        f"{entry['status']}: {entry['items']} items, {entry['archive_bytes'] / _MIB:.0f} MiB at "
        f"{entry['export_mb_per_s']} MB/s (plain copy {entry['plain_copy']['mb_per_s']} MB/s); "
        f"RSS idle {entry['idle_rss_mib']}, peak {entry['peak_rss_mib']} MiB"
    )


def targets(scenarios: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's target for this scenario, in the harness's shape."""
    entry = scenarios.get("export_zip", {})
    measured = entry.get("growth_rss_mib")
    return [
        {
            "name": "export_zip_memory",
            "description": (
                f"RSS over idle while exporting {entry.get('items', '?')} items as ZIP (MiB)"
            ),
            "measured": measured,
            "op": "<=",
            "bound": GROWTH_BOUND_MIB,
            "met": measured is not None and measured <= GROWTH_BOUND_MIB,
            **({"missing": True} if measured is None else {}),
        }
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the scenario alone and print its result."""
    from bench import seed as bench_seed
    from bench.harness import Bench
    from bench.plan import FULL, SMOKE

    parser = argparse.ArgumentParser(prog="python -m bench.export_zip", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_SIZES.items} items")
    parser.add_argument("--items", type=int, help="items with photos (default 10,000)")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-bench-export-"))
    bench = Bench(
        SMOKE if args.smoke else FULL, admin_url=args.admin_url, wrk_binary="", workdir=workdir
    )
    sizes = SMOKE_SIZES if args.smoke else FULL_SIZES
    if args.items:
        sizes = Sizes(items=args.items, distinct_photos=sizes.distinct_photos)
    try:
        asyncio.run(bench_seed.create_database(bench.admin_url, bench.db_name))
        bench.image_dir.mkdir(parents=True, exist_ok=True)
        run(bench, sizes=sizes)
    finally:
        problems = bench.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    entry = bench.scenarios.get("export_zip", {})
    print(
        json.dumps(
            {"export_zip": entry, "targets": targets(bench.scenarios), "problems": problems},
            indent=2,
        )
    )
    return 0 if entry.get("status") == "ok" and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
