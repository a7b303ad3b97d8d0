"""`upload_cpu_floor`: CPU seconds of the instance's processes per 12 MP phone JPEG uploaded
(EXIF orientation 6, multipart), against the same decode, orientation, renditions and encodes
done by a bare Pillow script in its own process (see bench/image_memory.py for the group)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageOps

from bench.group_memory import group_cpu_seconds
from bench.image_uploads import Sizes, phone_jpeg, register, upload
from bench.procs import LOCALHOST


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
        "import sys; from pathlib import Path; from bench.upload_cpu_floor import bare_pillow; "
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
        token = await register(client, f"bench-cpu-{os.getpid()}@example.com")
        await upload(client, token, "warm.jpg", data, "image/jpeg")
        await asyncio.sleep(0.5)
        before = group_cpu_seconds(pgid)
        for n in range(count):
            code = await upload(client, token, f"phone-{n}.jpg", data, "image/jpeg")
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
