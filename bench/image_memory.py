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
`images` group.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from PIL import Image, ImageDraw, ImageOps

from bench import images
from bench.procs import LOCALHOST, CpuLayout, group_members

if TYPE_CHECKING:
    from bench.harness import Bench

SCENARIOS = ("image_memory", "upload_cpu_floor")
PEAK_BOUND_MIB = 400
GROWTH_BOUND_MIB = 50
CPU_RATIO_BOUND = 1.5
CONTAINER_LIMITS_MIB = {"compose and k8s base": 512, "k8s prod": 768}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_KIB_PER_MIB = 1024


@dataclass(frozen=True)
class Sizes:
    """How much work: `full` for `make bench`, `smoke` for a quick run."""

    uploads: int  # worst-image uploads in all (rounds of four)
    phone_uploads: int  # for the CPU floor
    worst: bool  # False: small stand-ins for the worst images (smoke)


FULL_SIZES = Sizes(uploads=100, phone_uploads=12, worst=True)
SMOKE_SIZES = Sizes(uploads=8, phone_uploads=3, worst=False)


# -- images ---------------------------------------------------------------------------------------


def rgba_png(side: int) -> bytes:
    """A smooth RGBA PNG (small file, `side` x `side` pixels once decoded)."""
    gradient = Image.linear_gradient("L").resize((side, side))
    im = Image.merge(
        "RGBA",
        (
            gradient,
            gradient.rotate(90),
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            gradient,
        ),
    )
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=9)
    return out.getvalue()


def big_jpeg(width: int, height: int) -> bytes:
    """A photo-like JPEG under the upload limit (the quality lowered until it fits)."""
    for quality in (90, 80, 70, 60, 50, 40):
        data = images.jpeg(width, height, seed=5, quality=quality)
        if len(data) <= MAX_UPLOAD_BYTES * 0.95:
            return data
    raise RuntimeError("could not make a JPEG under the upload limit")


def many_frame_gif(frames: int, side: int) -> bytes:
    """A GIF of `frames` frames of `side` x `side`: a dot moving over a gradient."""
    base = Image.linear_gradient("L").resize((side, side)).convert("P")
    pictures = []
    for n in range(frames):
        frame = base.copy()
        x = n * 7 % side
        ImageDraw.Draw(frame).ellipse((x, x, x + side // 8, x + side // 8), fill=255)
        pictures.append(frame)
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=40, loop=0)
    return out.getvalue()


def phone_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP sideways phone photo: EXIF orientation 6 and a camera model."""
    im = Image.open(io.BytesIO(images.jpeg(width, height, seed=12, quality=90)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0110] = "Bench Phone"
    out = io.BytesIO()
    im.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def worst_images(sizes: Sizes, cache: Path) -> list[tuple[str, bytes, str]]:
    """The four uploads of a round: (file name, bytes, content type), cached on disk."""
    if sizes.worst:
        specs = {
            "rgba-7000.png": (lambda: rgba_png(7000), "image/png"),
            "photo-8000x6000.jpg": (lambda: big_jpeg(8000, 6000), "image/jpeg"),
            "frames-999.gif": (lambda: many_frame_gif(999, 220), "image/gif"),
        }
    else:
        specs = {
            "rgba-700.png": (lambda: rgba_png(700), "image/png"),
            "photo-800x600.jpg": (lambda: big_jpeg(800, 600), "image/jpeg"),
            "frames-50.gif": (lambda: many_frame_gif(50, 64), "image/gif"),
        }
    made: dict[str, tuple[bytes, str]] = {}
    for name, (make, kind) in specs.items():
        path = cache / name
        if not path.exists():
            path.write_bytes(make())
        made[name] = (path.read_bytes(), kind)
    png = next(name for name in made if name.endswith(".png"))
    order = [png, *(name for name in made if name != png), png]
    return [(name, *made[name]) for name in order]


# -- memory of a process group --------------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _role(pid: int) -> str:
    """What a process of the instance is, from its command line."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "forkserver" in cmd:
        return "fork server or image worker"
    if "spawn_main" in cmd:
        return "sanic process"
    return "sanic main"


def group_memory(pgid: int, *, detail: bool = False) -> dict[str, Any]:
    """Summed VmRSS and PSS (KiB) of a process group's live processes, and their count."""
    pids = group_members(pgid)
    each = {pid: (_status_kib(pid, "VmRSS"), _pss_kib(pid)) for pid in pids}
    found: dict[str, Any] = {
        "rss_kib": sum(rss for rss, _ in each.values()),
        "pss_kib": sum(pss for _, pss in each.values()),
        "processes": len(pids),
    }
    if detail:
        found["each"] = [
            {"pid": pid, "role": _role(pid), "rss_mib": _mib(rss), "pss_mib": _mib(pss)}
            for pid, (rss, pss) in sorted(each.items())
        ]
    return found


def group_cpu_seconds(pgid: int) -> float:
    """CPU of a process group, with that of its reaped children (recycled image workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in group_members(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        total += int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
    return total / ticks


class PeakSampler:
    """Sample a process group's memory every `interval` seconds in a thread; keep the peaks."""

    def __init__(self, pgid: int, interval: float = 0.02) -> None:
        self.pgid = pgid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.peak_processes = 0
        self.samples = 0
        self.at_peak: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = group_memory(self.pgid, detail=True)
            if now["pss_kib"] > self.peak_pss_kib:
                self.at_peak = now["each"]
            self.peak_rss_kib = max(self.peak_rss_kib, now["rss_kib"])
            self.peak_pss_kib = max(self.peak_pss_kib, now["pss_kib"])
            self.peak_processes = max(self.peak_processes, now["processes"])
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _mib(kib: int) -> float:
    return round(kib / _KIB_PER_MIB, 1)


# -- uploads --------------------------------------------------------------------------------------


async def _upload(client: httpx.AsyncClient, token: str, name: str, data: bytes, kind: str) -> int:
    response = await client.post(
        "/collection/items",
        params={"allow_duplicate": "true"},  # the same worst images, round after round
        data={"name": name},
        files={"image": (name, data, kind)},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code not in (201, 503):
        raise RuntimeError(f"upload of {name}: {response.status_code} {response.text[:300]}")
    return response.status_code


async def _round(
    client: httpx.AsyncClient, token: str, files: list[tuple[str, bytes, str]]
) -> list[int]:
    return list(await asyncio.gather(*(_upload(client, token, *f) for f in files)))


async def _register(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        "/auth/register", json={"email": email, "password": "bench-password-1234"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"register: {response.status_code} {response.text[:300]}")
    return str(response.json()["access_token"])


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
        token = await _register(client, f"bench-images-{os.getpid()}@example.com")
        for n in range(4):  # warm: the image workers are started and have worked
            await _upload(client, token, f"warm-{n}.jpg", small, "image/jpeg")
        warm = await _idle_memory(pgid)
        statuses: list[int] = []
        started = time.monotonic()
        with PeakSampler(pgid) as first:
            statuses += await _round(client, token, files)
        first_seconds = time.monotonic() - started
        with PeakSampler(pgid) as rest:
            while len(statuses) < sizes.uploads:
                statuses += await _round(client, token, files)
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
            "rss_mib": _mib(warm["rss_kib"]),
            "pss_mib": _mib(warm["pss_kib"]),
            "processes": warm["processes"],
            "each": warm["each"],
        },
        "peak_first_round": {
            "rss_mib": _mib(first.peak_rss_kib),
            "pss_mib": _mib(first.peak_pss_kib),
            "processes": first.peak_processes,
            "samples": first.samples,
            "each_at_peak": first.at_peak,
        },
        "peak_all_rounds": {
            "rss_mib": _mib(max(first.peak_rss_kib, rest.peak_rss_kib)),
            "pss_mib": _mib(max(first.peak_pss_kib, rest.peak_pss_kib)),
            "each_at_peak": rest.at_peak
            if rest.peak_pss_kib > first.peak_pss_kib
            else first.at_peak,
        },
        "after": {
            "rss_mib": _mib(after["rss_kib"]),
            "pss_mib": _mib(after["pss_kib"]),
            "processes": after["processes"],
            "each": after["each"],
        },
        "growth_rss_mib": _mib(after["rss_kib"] - warm["rss_kib"]),
        "growth_pss_mib": _mib(after["pss_kib"] - warm["pss_kib"]),
        "container_limits_mib": CONTAINER_LIMITS_MIB,
    }


# -- the CPU floor --------------------------------------------------------------------------------


def bare_pillow(data: bytes, count: int) -> float:
    """CPU seconds per image of the upload's work done with Pillow alone, in this process."""
    begin = time.process_time()
    for _ in range(count):
        # Renditions: decode at a reduced scale, upright, three WebP sizes.
        with Image.open(io.BytesIO(data)) as im:
            im.draft(None, (1600, 1200))
            upright = ImageOps.exif_transpose(im)
        for side in (1600, 800, 400):
            upright = upright.resize(_fit(upright.size, side), Image.Resampling.LANCZOS)
            upright.save(io.BytesIO(), "WEBP", quality=82 if side == 1600 else 80, method=4)
        # The original: full decode, upright, JPEG without metadata, its digest.
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            ImageOps.exif_transpose(im, in_place=True)
            out = io.BytesIO()
            im.info = {}
            im.save(out, "JPEG", quality=90)
        hashlib.sha256(out.getvalue()).hexdigest()
    return (time.process_time() - begin) / count


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= longest:
        return width, height
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _bare_in_subprocess(path: Path, count: int) -> float:
    code = (
        "import sys; from pathlib import Path; from bench.image_memory import bare_pillow; "
        f"print(bare_pillow(Path({str(path)!r}).read_bytes(), {count}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return float(done.stdout.strip())


async def measure_cpu_floor(port: int, pgid: int, sizes: Sizes, cache: Path) -> dict[str, Any]:
    """The upload_cpu_floor scenario against a running instance."""
    path = cache / "phone-12mp.jpg"
    if not path.exists():
        path.write_bytes(phone_jpeg())
    data = path.read_bytes()
    count = sizes.phone_uploads
    async with httpx.AsyncClient(
        base_url=f"http://{LOCALHOST}:{port}", timeout=600, trust_env=False
    ) as client:
        token = await _register(client, f"bench-cpu-{os.getpid()}@example.com")
        await _upload(client, token, "warm.jpg", data, "image/jpeg")
        await asyncio.sleep(0.5)
        before = group_cpu_seconds(pgid)
        for n in range(count):
            code = await _upload(client, token, f"phone-{n}.jpg", data, "image/jpeg")
            if code != 201:
                raise RuntimeError(f"phone upload answered {code}")
        await asyncio.sleep(0.5)  # reaped workers' CPU lands in their parent's counters
        server = (group_cpu_seconds(pgid) - before) / count
    bare = _bare_in_subprocess(path, count)
    return {
        "status": "ok",
        "runs": [],
        "image": {"bytes": len(data), "size": [4000, 3000], "orientation": 6},
        "uploads": count,
        "server_cpu_ms_per_upload": round(server * 1000, 1),
        "bare_pillow_cpu_ms": round(bare * 1000, 1),
        "ratio": round(server / bare, 3) if bare else None,
    }


# -- the harness's part ---------------------------------------------------------------------------


def run(bench: Bench, *, sizes: Sizes | None = None, only: str | None = None) -> None:
    """Run both scenarios on a fresh instance of the harness's server (not pinned)."""
    from bench.harness import log

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
    from bench.harness import FULL, SMOKE, Bench

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
